"""QemuBackend: boot per-computer qcow2 disks under QEMU (KVM when it really works, else TCG).

Each VM: direct kernel boot (``-kernel/-initrd``, root on ``/dev/vda``), memory and CPU limits,
serial console to a log file, a QMP socket for control, and user-mode networking with
``restrict=on`` (no route out of the VM) plus ONE host-only forward ``127.0.0.1:<free port> → :22``.
State of running VMs lives in ``$WORLDBUILDER_HOME/vm/run/<name>/`` (state.json, qmp.sock,
serial.log, qemu.log), so another process (the CLI) can attach, snapshot or stop them.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from worldbuilder.errors import BootError, ComputerError, ComputerNameInUse, ComputerNotRunning
from worldbuilder.materialize.paths import state_home
from worldbuilder.materialize.vm import VMDisk, find_disk, load_disk
from worldbuilder.runtime import accel
from worldbuilder.runtime.computer import SSHEndpoint
from worldbuilder.runtime.qmp import QMP, press_power_button
from worldbuilder.runtime.ssh import SSHComputer

T = TypeVar("T")

NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$")
# Boot-to-SSH limit: a TCG boot takes 20-40 s on an idle 2-core host but several minutes on a loaded one.
READY_TIMEOUT = float(os.environ.get("WORLDBUILDER_VM_READY_TIMEOUT", "600"))


class RunningVM(BaseModel):
    """What a running VM needs to be found again (``state.json``)."""

    name: str
    pid: int
    port: int
    disk_dir: Path
    run_dir: Path
    qmp: Path
    serial_log: Path
    accel: str
    started_at: datetime
    memory_mb: int
    cpus: int

    def endpoint(self, disk: VMDisk) -> SSHEndpoint:
        return SSHEndpoint("127.0.0.1", self.port, disk.user, disk.key_path)


class QemuComputer(SSHComputer):
    """An :class:`SSHComputer` whose liveness is its QEMU process."""

    def __init__(self, vm: RunningVM, disk: VMDisk, **kw: object) -> None:
        self.vm, self.disk, self.computer_id = vm, disk, disk.computer_id
        super().__init__(vm.endpoint(disk), vm.name, disk.home, **kw)  # type: ignore[arg-type]

    def is_dead(self) -> bool:
        return not pid_alive(self.vm.pid)


def run_root() -> Path:
    path = state_home() / "vm" / "run"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def pid_alive(pid: int) -> bool:
    """True while ``pid`` is a live (non-zombie) QEMU process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X") and b"qemu-system" in cmdline


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _socket_path(run_dir: Path) -> Path:
    """The QMP socket path (UNIX paths are limited to ~107 bytes: fall back to a short temp path)."""
    path = run_dir / "qmp.sock"
    if len(str(path)) < 100:
        return path
    return Path(tempfile.gettempdir()) / f"wb-qmp-{hashlib.sha256(str(run_dir).encode()).hexdigest()[:12]}.sock"


def qemu_command(disk: VMDisk, vm: RunningVM, choice: accel.AccelChoice, loadvm: str | None = None) -> list[str]:
    """The full QEMU command line of a VM."""
    net = f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{vm.port}-:22"
    cmd = [accel.qemu_binary(), "-name", f"wb-{vm.name},process=wb-{vm.name}", "-machine", "pc",
           *choice.qemu_args(), "-m", str(vm.memory_mb), "-smp", str(vm.cpus), "-nodefaults", "-no-user-config",
           "-display", "none", "-kernel", str(disk.kernel_path), "-initrd", str(disk.initrd_path),
           "-append", disk.append,
           "-drive", f"file={disk.disk_path},if=virtio,format=qcow2,cache=writeback,discard=unmap",
           "-netdev", net, "-device", "virtio-net-pci,netdev=n0",
           "-device", "virtio-rng-pci", "-serial", f"file:{vm.serial_log}",
           "-qmp", f"unix:{vm.qmp},server=on,wait=off", "-pidfile", str(vm.run_dir / "qemu.pid")]
    if loadvm:
        cmd += ["-loadvm", loadvm]
    return cmd


class QemuBackend:
    """Start, find, snapshot and stop computers as QEMU VMs."""

    def __init__(self, memory_mb: int | None = None, cpus: int | None = None,
                 ready_timeout: float = READY_TIMEOUT) -> None:
        self.memory_mb, self.cpus, self.ready_timeout = memory_mb, cpus, ready_timeout
        self._children: dict[str, subprocess.Popen] = {}

    # ------------------------------------------------------------------ lifecycle
    def boot(self, disk: VMDisk | str | Path, name: str | None = None, loadvm: str | None = None) -> QemuComputer:
        """Boot a disk (VMDisk, disk dir, computer dir or id) and wait until SSH logs in."""
        disk = disk if isinstance(disk, VMDisk) else find_disk(disk)
        name = name or disk.name
        if not NAME_RE.match(name):
            raise ComputerError(f"invalid VM name {name!r} (letters, digits, '_', '.', '-')")
        disk.check_key()
        self._claim(name, disk)
        choice = accel.detect(kernel=disk.kernel_path)
        run_dir = run_root() / name
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True, mode=0o700)
        for attempt in range(3):  # a free port can be taken between probing and QEMU binding it
            vm = RunningVM(name=name, pid=0, port=free_port(), disk_dir=disk.dir, run_dir=run_dir,
                           qmp=_socket_path(run_dir), serial_log=run_dir / "serial.log", accel=choice.name,
                           started_at=datetime.now(UTC), memory_mb=self.memory_mb or disk.memory_mb,
                           cpus=self.cpus or disk.cpus)
            proc = self._spawn(disk, vm, choice, loadvm)
            vm = vm.model_copy(update={"pid": proc.pid})
            _save_state(vm)
            try:
                return self._wait_ready(vm, disk, proc)
            except _PortTaken:
                if attempt == 2:
                    raise BootError(f"{name}: could not bind a host port for SSH") from None
            except BaseException:
                self._kill(vm)
                raise
        raise AssertionError("unreachable")

    def _claim(self, name: str, disk: VMDisk) -> None:
        for other in self.list_running():
            if other.name == name:
                raise ComputerNameInUse(f"a VM named {name!r} is already running (stop it first)")
            if other.disk_dir == disk.dir:
                raise ComputerNameInUse(f"disk {disk.dir} is already in use by VM {other.name!r}")

    def _spawn(self, disk: VMDisk, vm: RunningVM, choice: accel.AccelChoice, loadvm: str | None) -> subprocess.Popen:
        vm.serial_log.unlink(missing_ok=True)
        vm.qmp.unlink(missing_ok=True)
        log = open(vm.run_dir / "qemu.log", "wb")  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen(qemu_command(disk, vm, choice, loadvm), stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self._children[vm.name] = proc
        return proc

    def _wait_ready(self, vm: RunningVM, disk: VMDisk, proc: subprocess.Popen) -> QemuComputer:
        deadline = time.monotonic() + self.ready_timeout

        def alive() -> None:
            if proc.poll() is not None:
                qlog = (vm.run_dir / "qemu.log").read_text(errors="replace")
                if "Could not set up host forwarding rule" in qlog:
                    raise _PortTaken()
                raise BootError(f"{vm.name}: QEMU exited ({proc.returncode}) during boot: "
                                f"{_tail(qlog) or _tail(_read(vm.serial_log))}")

        computer = wait_for_login(vm.name, vm.port, deadline, alive, lambda: QemuComputer(
            vm, disk, connect_timeout=max(5.0, min(30.0, deadline - time.monotonic()))))
        if computer is None:
            raise BootError(f"{vm.name}: SSH not ready after {self.ready_timeout:g}s ({vm.accel}); "
                            f"serial log tail: {_tail(_read(vm.serial_log))}")
        return computer

    def attach(self, name: str, **kw: object) -> QemuComputer:
        """A handle on an already-running VM."""
        vm = self.state(name)
        return QemuComputer(vm, load_disk(vm.disk_dir), **kw)

    def state(self, name: str) -> RunningVM:
        path = run_root() / name / "state.json"
        if not path.exists():
            raise ComputerNotRunning(f"no VM named {name!r} is running (see `worldbuilder vm ls`)")
        vm = RunningVM.model_validate_json(path.read_text())
        if not pid_alive(vm.pid):
            self._cleanup(vm)
            raise ComputerNotRunning(f"VM {name!r} is not running any more")
        return vm

    def list_running(self) -> list[RunningVM]:
        out = []
        for path in sorted(run_root().glob("*/state.json")):
            try:
                out.append(self.state(path.parent.name))
            except (ComputerNotRunning, ValueError):
                continue
        return out

    def stop(self, name: str, timeout: float = 60.0) -> None:
        """Shut a VM down cleanly (ACPI power button; QMP quit, then SIGKILL, when it does not)."""
        vm = self.state(name)
        press_power_button(vm.qmp)
        if not _wait_gone(vm.pid, timeout, self._children.get(name)):
            self._kill(vm)
        self._cleanup(vm)

    # ------------------------------------------------------------------ helpers
    def _kill(self, vm: RunningVM) -> None:
        try:
            with QMP(vm.qmp, timeout=5) as qmp:
                qmp.execute("quit")
        except ComputerError:
            pass
        if not _wait_gone(vm.pid, 5, self._children.get(vm.name)) and pid_alive(vm.pid):
            try:
                os.kill(vm.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _wait_gone(vm.pid, 10, self._children.get(vm.name))
        self._cleanup(vm)

    def _cleanup(self, vm: RunningVM) -> None:
        child = self._children.pop(vm.name, None)
        if child is not None:
            child.poll()
        (vm.run_dir / "state.json").unlink(missing_ok=True)
        vm.qmp.unlink(missing_ok=True)


class _PortTaken(Exception):
    pass


def _save_state(vm: RunningVM) -> None:
    tmp = vm.run_dir / ".state.json.tmp"
    tmp.write_text(vm.model_dump_json(indent=1))
    os.replace(tmp, vm.run_dir / "state.json")


def _wait_gone(pid: int, timeout: float, child: subprocess.Popen | None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None:
            child.poll()
        if not pid_alive(pid):
            return True
        time.sleep(0.2)
    return False


def wait_for_login(name: str, port: int, deadline: float, alive: Callable[[], None],
                   login: Callable[[], T]) -> T | None:
    """Poll until sshd answers on ``port`` and ``login()`` succeeds; None at ``deadline``.

    ``alive()`` raises when the VM died. A rejected key is final (the disk was built with another key);
    any other login failure means sshd answers but logins are not ready yet, so keep waiting.
    """
    while time.monotonic() < deadline:
        alive()
        if _ssh_banner(port, timeout=2.0):
            try:
                return login()
            except ComputerError as exc:
                if "rejected" in str(exc):
                    raise BootError(f"{name}: {exc} (the disk was built with another key?)") from exc
        time.sleep(0.5)
    return None


def _ssh_banner(port: int, timeout: float) -> bool:
    """True once the guest's sshd sends its banner (slirp accepts connections before that)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(ln.strip() for ln in text.strip().splitlines()[-lines:])
