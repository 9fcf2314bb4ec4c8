"""Where a running Windows VM is found again by another process.

At boot the provider writes ``<build>/run/state.json`` (:class:`WindowsVM`: QEMU and swtpm pids, SSH port,
user, home, key, QMP socket, the active overlay generation) and a pointer
``$WORLDBUILDER_HOME/windows-running/<name>.json`` → the build directory, both atomically (temp file +
rename), so ``attach``/``stop``/``ls`` in a second process (the CLI, a resumed run) find the VM by name
whatever workdir it was booted from. A pointer whose QEMU is gone is removed when read.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from worldbuilder.errors import ComputerNotRunning
from worldbuilder.materialize.paths import state_home

STATE_FILE = "state.json"


class WindowsVM(BaseModel):
    """What a running Windows VM needs to be attached, snapshotted and stopped (``run/state.json``)."""

    name: str
    build_dir: Path
    pid: int
    swtpm_pid: int = 0
    port: int
    user: str
    home: str
    key_path: Path
    qmp: Path
    generation: int  # the overlay generation QEMU writes to (see windows_layers)
    vars: str  # the UEFI variable store QEMU writes to, relative to the build's layers/ folder
    accel: str
    started_at: datetime

    @property
    def run_dir(self) -> Path:
        return self.build_dir / "run"


def qmp_path(run_dir: Path) -> Path:
    """The QMP socket of a build's VM (UNIX socket paths are limited to ~107 bytes: else a short temp path)."""
    path = run_dir / "qmp.sock"
    if len(str(path)) < 100:
        return path
    digest = hashlib.sha256(str(run_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"wb-win-qmp-{digest}.sock"


def registry() -> Path:
    path = state_home() / "windows-running"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _atomic_json(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def save(vm: WindowsVM) -> None:
    """Write the state, then the pointer (a reader that finds the pointer always finds the state)."""
    _atomic_json(vm.run_dir / STATE_FILE, vm.model_dump_json(indent=1) + "\n")
    _atomic_json(registry() / f"{vm.name}.json", json.dumps({"build_dir": str(vm.build_dir)}) + "\n")


def pid_alive(pid: int) -> bool:
    """True while ``pid`` is a live, non-zombie QEMU process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X") and b"qemu-system" in cmdline


def forget(vm: WindowsVM) -> None:
    """Remove the pointer and the state of a VM that is gone."""
    pointer = registry() / f"{vm.name}.json"
    try:
        if json.loads(pointer.read_text()).get("build_dir") == str(vm.build_dir):
            pointer.unlink()
    except (OSError, ValueError):
        pass
    (vm.run_dir / STATE_FILE).unlink(missing_ok=True)


def load(name: str) -> WindowsVM:
    """The state of the running VM ``name``; :class:`ComputerNotRunning` when there is none (stale state goes)."""
    pointer = registry() / f"{name}.json"
    try:
        build_dir = Path(json.loads(pointer.read_text())["build_dir"])
        vm = WindowsVM.model_validate_json((build_dir / "run" / STATE_FILE).read_text())
    except (OSError, ValueError, KeyError):
        pointer.unlink(missing_ok=True)
        raise ComputerNotRunning(f"no running Windows computer {name}") from None
    if vm.name != name:  # the build now runs under another name: only this pointer is stale
        pointer.unlink(missing_ok=True)
        raise ComputerNotRunning(f"no running Windows computer {name}")
    if not pid_alive(vm.pid):
        forget(vm)
        raise ComputerNotRunning(f"the Windows computer {name} is not running any more")
    return vm


def load_build(build_dir: Path) -> WindowsVM | None:
    """The running VM of a build directory, if any."""
    try:
        vm = WindowsVM.model_validate_json((build_dir / "run" / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return vm if pid_alive(vm.pid) else None


def running() -> list[WindowsVM]:
    out = []
    for pointer in sorted(registry().glob("*.json")):
        try:
            out.append(load(pointer.stem))
        except ComputerNotRunning:
            continue
    return out
