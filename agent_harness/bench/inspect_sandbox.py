"""The ``worldbuilder`` sandbox environment for inspect_ai (registered through its entry points).

Config: the path of a benchmark bundle (folder or ``.tar.zst``). ``task_init`` imports the bundle
(verified, idempotent); ``sample_init`` boots the sample's task computer (``metadata["wb_task"]``)
with our Docker runtime and talks to it over SSH as the computer's user: ``exec``, ``read_file``,
``write_file``; ``sample_cleanup`` stops it. Relative paths and the working directory are the home.
"""

from __future__ import annotations

import shlex
import threading
from pathlib import Path
from typing import Any, Literal, Union, overload

import anyio
from inspect_ai.util import ExecResult, SandboxEnvironment, sandboxenv
from inspect_ai.util._sandbox.environment import SandboxUserUnsupportedError

from worldbuilder.errors import CommandTimeout

_IMPORTED: dict[str, dict[str, str]] = {}  # bundle path -> {task id: bootable image tag}
_LOCK = threading.Lock()


def bundle_of(config: Any) -> str:
    if isinstance(config, str) and config:
        return str(Path(config).resolve())
    raise ValueError("the worldbuilder sandbox needs the path of a benchmark bundle as its config")


def imported(bundle: str) -> dict[str, str]:
    with _LOCK:
        if bundle not in _IMPORTED:
            from agent_harness.bench.importer import import_bundle

            _IMPORTED[bundle] = import_bundle(Path(bundle))
        return _IMPORTED[bundle]


@sandboxenv(name="worldbuilder")
class WorldbuilderSandbox(SandboxEnvironment):
    """One booted worldbuilder computer (a :class:`DockerComputer`)."""

    def __init__(self, computer) -> None:
        super().__init__()
        self.computer = computer

    @classmethod
    async def task_init(cls, task_name: str, config: Any) -> None:
        await anyio.to_thread.run_sync(imported, bundle_of(config))

    @classmethod
    async def sample_init(cls, task_name: str, config: Any, metadata: dict[str, str]) -> dict[str, SandboxEnvironment]:
        from worldbuilder.runtime.docker_backend import DockerBackend

        tags = await anyio.to_thread.run_sync(imported, bundle_of(config))
        task = metadata.get("wb_task")
        if task not in tags:
            raise ValueError(f"sample metadata wb_task={task!r} is not a task of the bundle")
        comp = await anyio.to_thread.run_sync(lambda: DockerBackend().boot(tags[task]))
        return {"default": cls(comp)}

    @classmethod
    async def sample_cleanup(cls, task_name: str, config: Any, environments: dict[str, SandboxEnvironment],
                             interrupted: bool) -> None:
        from worldbuilder.runtime.docker_backend import DockerBackend

        for env in environments.values():
            comp = env.as_type(WorldbuilderSandbox).computer

            def stop(comp=comp) -> None:
                comp.close()
                DockerBackend().stop(comp.name)

            await anyio.to_thread.run_sync(stop)

    async def exec(self, cmd: list[str], input: str | bytes | None = None, cwd: str | None = None,
                   env: dict[str, str] | None = None, user: str | None = None, timeout: int | None = None,
                   timeout_retry: bool = True, concurrency: bool = True) -> ExecResult[str]:
        if user not in (None, self.computer.endpoint.user):
            raise SandboxUserUnsupportedError(f"the worldbuilder sandbox runs commands as "
                                              f"{self.computer.endpoint.user} only")
        line = shlex.join(cmd)
        if input is not None:
            stdin = f".wb-stdin-{id(self)}-{anyio.current_time():.0f}"
            await self.write_file(stdin, input)
            line = f"{line} < {shlex.quote(self.computer.resolve(stdin))}; rc=$?; rm -f " \
                   f"{shlex.quote(self.computer.resolve(stdin))}; exit $rc"
        if env:
            line = "".join(f"export {k}={shlex.quote(v)}; " for k, v in env.items()) + line
        if cwd:
            line = f"cd {shlex.quote(self.computer.resolve(cwd))} && {{ {line}; }}"
        try:
            r = await anyio.to_thread.run_sync(lambda: self.computer.exec(line, timeout=float(timeout or 600)))
        except CommandTimeout as exc:
            raise TimeoutError(str(exc)) from exc
        return ExecResult(success=r.exit_code == 0, returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr)

    async def write_file(self, file: str, contents: str | bytes) -> None:
        data = contents.encode() if isinstance(contents, str) else contents
        await anyio.to_thread.run_sync(lambda: self.computer.write(file, data))

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    async def read_file(self, file: str, text: bool = True) -> Union[str | bytes]:  # noqa: UP007
        data = await anyio.to_thread.run_sync(lambda: self.computer.read(file))
        return data.decode("utf-8", errors="replace") if text else data
