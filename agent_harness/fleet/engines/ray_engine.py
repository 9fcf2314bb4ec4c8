"""``ray`` engine (extra ``fleet``): one Ray task per job-stage.

* Stages that need a container engine (``image``, ``simulate`` unless the fleet's runtime is not
  ``docker``) ask for the custom resource
  ``{"docker": 1}``; each node declares how many concurrent computers it can hold when it starts
  (``ray start --resources '{"docker": 4}'``), so Ray places them only there.
* Only paths and small dicts cross the object store (fleet dir, job, stage, config in; output path,
  timings, node id, one-line error out), never file bytes: nodes share the fleet directory (NFS, a
  shared volume) and images are built on the node that runs the simulation (or pulled from a registry).
* Back-pressure: the driver keeps at most ``capacity`` tasks in flight and waits with ``ray.wait``.
* Retries: transient faults raise :class:`TransientFault`, retried by Ray itself (``max_retries``,
  ``retry_exceptions``); a task that still fails ends ``quarantined``.
"""

from __future__ import annotations

import os
from typing import Any

from agent_harness.fleet.manifest import FleetError
from agent_harness.fleet.worker import execute

DOCKER_STAGES = frozenset({"image", "simulate"})
SECRET_MARKS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


class TransientFault(Exception):
    """A transient stage failure, raised inside the task so that Ray retries it."""


def _task(fleet_dir: str, job: dict, stage: str, config: dict) -> dict:
    import ray

    res = execute(fleet_dir, job, stage, config, node=ray.get_runtime_context().get_node_id())
    if not res["ok"] and res["transient"]:
        raise TransientFault(res["error"])
    return res


def _env_vars() -> dict[str, str]:
    """The driver's WORLDBUILDER_* settings for the workers (never anything that looks like a secret)."""
    return {k: v for k, v in os.environ.items()
            if k.startswith("WORLDBUILDER_") and not any(m in k for m in SECRET_MARKS)}


class RayEngine:
    retries_inside = True

    def __init__(self, workers: int | None = None, address: str | None = None, max_attempts: int = 3) -> None:
        try:
            import ray
        except ImportError as exc:
            raise FleetError("the ray engine needs the extra: pip install 'worldbuilder[fleet]'") from exc
        self.ray = ray
        ray.init(address=address or os.environ.get("RAY_ADDRESS") or None, ignore_reinit_error=True,
                 logging_level="ERROR", log_to_driver=False, runtime_env={"env_vars": _env_vars()})
        self.remote = ray.remote(_task)
        self.capacity = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.max_retries = max(0, max_attempts - 1)

    def submit(self, fleet_dir: str, job: dict, stage: str, config: dict) -> Any:
        docker = stage in DOCKER_STAGES and config.get("runtime", "docker") == "docker"  # not local computers
        resources = {"docker": 1} if docker else {}
        return self.remote.options(num_cpus=1, resources=resources, max_retries=self.max_retries,
                                   retry_exceptions=[TransientFault]).remote(fleet_dir, job, stage, config)

    def wait(self, handles: list[Any], timeout: float) -> list[tuple[Any, dict]]:
        ready, _ = self.ray.wait(handles, num_returns=1, timeout=timeout)
        out = []
        for ref in ready:
            try:
                out.append((ref, self.ray.get(ref)))
            except Exception as exc:  # retries used up (TransientFault) or the task/node died
                cause = getattr(exc, "cause", None) or exc
                text = " ".join(str(cause).split())[:500]
                name = "" if isinstance(cause, TransientFault) else f"{type(cause).__name__}: "
                out.append((ref, {"ok": False, "error": f"{name}{text}", "transient": True}))
        return out

    def shutdown(self) -> None:
        self.ray.shutdown()
