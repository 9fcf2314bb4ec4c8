"""Fleet engines, registered by name: ``local`` (process pool) and ``ray`` (optional extra ``fleet``).

An engine runs :func:`agent_harness.fleet.worker.execute` for job-stages: ``submit`` returns a handle,
``wait`` returns the finished ones as ``(handle, result)``; ``capacity`` bounds what the driver keeps in
flight (back-pressure); ``retries_inside`` says whether the engine retries transient faults itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Engine(Protocol):
    capacity: int
    retries_inside: bool

    def submit(self, fleet_dir: str, job: dict, stage: str, config: dict) -> Any: ...

    def wait(self, handles: list[Any], timeout: float) -> list[tuple[Any, dict]]: ...

    def shutdown(self) -> None: ...


def _local(**kw) -> Engine:
    from agent_harness.fleet.engines.local import LocalEngine

    return LocalEngine(**kw)


def _ray(**kw) -> Engine:
    from agent_harness.fleet.engines.ray_engine import RayEngine

    return RayEngine(**kw)


ENGINES: dict[str, Callable[..., Engine]] = {"local": _local, "ray": _ray}


def make_engine(name: str, workers: int | None = None, address: str | None = None, max_attempts: int = 3) -> Engine:
    from agent_harness.fleet.manifest import FleetError

    if name not in ENGINES:
        raise FleetError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")
    return ENGINES[name](workers=workers, address=address, max_attempts=max_attempts)
