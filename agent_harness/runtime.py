"""How the harness obtains its computers: a ComputerProvider (worldbuilder.runtime.provider) per run.

The harness has no runtime class of its own; it asks the provider map for the run's backend and uses only
the provider interface (boot, snapshots, carry_over, release, reap, connection).
"""

from __future__ import annotations

from pathlib import Path

from worldbuilder.runtime.computer import Computer
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, make_provider

BACKENDS = ("docker", "qemu", "libvirt", "local", "windows-qemu")


def run_provider(backend: str, run_id: str, run_root: Path, disk_quota: str | None = None) -> ComputerProvider:
    """The provider of a run: computers labelled with (run id, run dir); run-private state in ``run_root/backend``."""
    owner = {"run": run_id, "run-dir": str(Path(run_root).resolve())}
    limits = Limits(disk=disk_quota) if backend == "docker" else Limits(disk=None)
    return make_provider(backend, limits=limits, owner=owner, workdir=Path(run_root) / backend)


def live_info(provider: ComputerProvider, computer: Computer) -> dict:
    """What an external program (or a later cleanup) needs to find the running computer (``live.json``)."""
    info = {"runtime": provider.name, "name": computer.name, "home": computer.home, "user": computer.user}
    ep = provider.connection(computer)
    if ep is not None:
        info |= {"host": ep.host, "port": ep.port, "key_path": str(ep.key_path), "ssh": ep.command()}
    return info
