"""Boot a Windows build under QEMU/KVM and hand back the usual :class:`Computer` handle over OpenSSH.

``install_iso``: a fresh 64 GiB ``os.qcow2`` is created and Windows installs from the ISO, driven by
the WB-PROV answer file (30-90 minutes under KVM). ``base_qcow2``: a prepared (sysprep-generalised)
Windows disk is used through a qcow2 overlay, so the base is never written. Either way the boot
waits until the provisioner's ready marker exists and the user logs in with the computer's key.

This path needs a host with a working ``/dev/kvm`` (Windows under TCG is far too slow) and cannot
run in CI; every precondition fails with one line before anything starts. ``boot_windows`` is the
``windows boot`` command's direct path (it writes the build's disks); the ``windows-qemu`` provider uses
:func:`start_machine` and :func:`wait_ready` on overlay generations instead (see runtime/windows_layers.py).
"""

from __future__ import annotations

import base64
import fcntl
import functools
import os
import posixpath
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from worldbuilder.errors import BootError, CommandTimeout, ComputerError, EngineUnavailable, WorldbuilderError
from worldbuilder.materialize.windows.build import WindowsBuild

KVM_GET_API_VERSION = 0xAE00
OS_DISK_SIZE = "64G"
INSTALL_TIMEOUT = 2 * 3600.0
BOOT_TIMEOUT = 900.0
READY = "C:\\ProgramData\\worldbuilder\\ready"


class WindowsBootError(BootError, ComputerError):
    """A Windows VM could not be started, or never became reachable over SSH."""


def check_kvm(device: str = "/dev/kvm") -> None:
    """A /dev/kvm that opens, answers KVM_GET_API_VERSION and really runs a guest, else one line."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        raise EngineUnavailable(f"Windows VMs need KVM and {device} is not usable ({exc.strerror})") from exc
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION) != 12:
            raise EngineUnavailable(f"Windows VMs need KVM and {device} does not answer KVM_GET_API_VERSION")
    finally:
        os.close(fd)
    from worldbuilder.runtime import accel  # the shared probe: /dev/kvm can exist and still abort guests

    choice = accel.detect()
    if choice.name != "kvm":
        raise EngineUnavailable(f"Windows VMs need KVM, which does not work here ({' '.join(choice.reason.split())[:160]})")


def check_boot_tools() -> None:
    for tool in ("qemu-system-x86_64", "qemu-img", "swtpm"):
        if shutil.which(tool) is None:
            raise EngineUnavailable(f"{tool} is not installed; run scripts/ensure-engine.sh windows")


def check_sources(install_iso: Path | None, base_qcow2: Path | None) -> None:
    if (install_iso is None) == (base_qcow2 is None):
        raise WorldbuilderError("give exactly one of --iso WINDOWS.iso (install) or --base-qcow2 PREPARED.qcow2")
    src = install_iso or base_qcow2
    assert src is not None
    if not src.is_file():
        raise WorldbuilderError(f"{src} does not exist")


def prepare_os_disk(build: WindowsBuild, install_iso: Path | None, base_qcow2: Path | None) -> None:
    """Create ``os.qcow2``: empty for an install, an overlay over a prepared base otherwise."""
    check_sources(install_iso, base_qcow2)
    os_disk = build.path(build.os_disk)
    if os_disk.exists():
        if install_iso is not None:
            raise WorldbuilderError(f"{os_disk} exists: Windows is installed already (boot with --base-qcow2 "
                                    "or remove it to reinstall)")
        return
    cmd = ["qemu-img", "create", "-q", "-f", "qcow2"]
    if base_qcow2 is not None:
        cmd += ["-b", str(base_qcow2.absolute()), "-F", "qcow2"]
    proc = subprocess.run([*cmd, str(os_disk), *([OS_DISK_SIZE] if install_iso else [])],
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise WindowsBootError(f"qemu-img create failed: {proc.stderr.strip()[:200]}")


def boot_windows(build: WindowsBuild, install_iso: Path | None = None, base_qcow2: Path | None = None,
                 timeout: float | None = None, log=None, accel: str = "kvm"):
    """Start the VM and return a :class:`WindowsComputer` once the user logs in over SSH.

    ``accel="tcg"`` only exercises the boot machinery (tests): Windows is unusably slow without KVM.
    """
    check_boot_tools()
    check_sources(install_iso, base_qcow2)
    if accel == "kvm":
        check_kvm()
    build_key_matches(build)
    prepare_os_disk(build, install_iso, base_qcow2)
    port = _free_port()
    m = build.machine(f"wb-win-{build.computer_id}", port, install_iso=install_iso, kvm=accel == "kvm")
    run = build.dir / "run"
    swtpm, qemu = start_machine(m, run, run / "qmp.sock")
    if log:
        log(f"{m.name}: QEMU pid {qemu.pid}, SSH on 127.0.0.1:{port}; waiting for the provisioner")
    try:
        return wait_ready(build, m.name, port, qemu, timeout or (INSTALL_TIMEOUT if install_iso else BOOT_TIMEOUT))
    except BaseException:
        kill_machine(qemu, swtpm)
        raise


def start_machine(m, run: Path, qmp: Path) -> tuple[subprocess.Popen, subprocess.Popen]:
    """Start swtpm and QEMU for machine ``m`` (logs and pid file in ``run``); (swtpm, qemu), not waiting."""
    from worldbuilder.materialize.windows.machine import qemu_command, swtpm_command

    m.tpm_dir.mkdir(exist_ok=True, mode=0o700)
    run.mkdir(exist_ok=True, mode=0o700)
    qmp.unlink(missing_ok=True)
    swtpm = subprocess.Popen(swtpm_command(m), stdin=subprocess.DEVNULL, start_new_session=True)
    for _ in range(50):
        if m.tpm_socket.exists():
            break
        time.sleep(0.1)
    with open(run / "qemu.log", "wb") as qlog:
        qemu = subprocess.Popen(qemu_command(m, qmp=qmp, pidfile=run / "qemu.pid"), stdin=subprocess.DEVNULL,
                                stdout=qlog, stderr=subprocess.STDOUT, start_new_session=True)
    return swtpm, qemu


def kill_machine(qemu: subprocess.Popen, swtpm: subprocess.Popen) -> None:
    for proc in (qemu, swtpm):
        proc.kill()
        proc.wait(timeout=30)


def build_key_matches(build: WindowsBuild) -> None:
    pub = build.key_path.with_suffix(".pub")
    if not build.key_path.exists() or not pub.exists() or pub.read_text().split()[:2] != build.public_key.split()[:2]:
        raise WindowsBootError(f"the SSH key {build.key_path} is missing or not the one on {build.dir}/provision.iso")


def wait_ready(build: WindowsBuild, name: str, port: int, qemu: subprocess.Popen, timeout: float):
    from worldbuilder.runtime.computer import SSHEndpoint

    deadline = time.monotonic() + timeout
    endpoint = SSHEndpoint("127.0.0.1", port, build.account, build.key_path)
    while time.monotonic() < deadline:
        if qemu.poll() is not None:
            raise WindowsBootError(f"{name}: QEMU exited ({qemu.returncode}); see {build.dir}/run/qemu.log")
        if _banner(port, min(3.0, max(0.1, deadline - time.monotonic()))):
            try:
                comp = windows_computer_class()(endpoint, name, build.home, qemu.pid)
            except ComputerError:
                comp = None
            if comp is not None and comp.exec(f"Test-Path -LiteralPath '{READY}'", timeout=60).stdout.strip() == "True":
                return comp
        time.sleep(max(0.0, min(10.0, deadline - time.monotonic())))
    raise WindowsBootError(f"{name}: not ready over SSH after {timeout:.0f}s (see {build.dir}/run/qemu.log)")


def powershell_command(home: str, cmd: str) -> str:
    """The SSH command line that runs ``cmd`` in Windows PowerShell inside folder ``home``.

    ``-EncodedCommand`` (base64 of UTF-16LE) survives both cmd.exe and PowerShell as sshd's shell.
    """
    folder = home.replace("/", "\\").replace("'", "''")
    script = f"Set-Location -LiteralPath '{folder}'; {cmd}"
    return "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + base64.b64encode(
        script.encode("utf-16-le")).decode()


def resolve_windows_path(home: str, path: str) -> str:
    """``C:/...`` form of ``path`` (``C:\\...``, ``C:/...`` or relative to ``home``), normalised."""
    p = path.replace("\\", "/")
    absolute = bool(re.match(r"^[A-Za-z]:/", p)) or p.startswith("/")
    return posixpath.normpath(p if absolute else posixpath.join(home.replace("\\", "/"), p))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _banner(port: int, timeout: float) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


@functools.cache
def windows_computer_class():
    """WindowsComputer: SSHComputer with PowerShell commands and Windows paths (runtime imported lazily)."""
    from worldbuilder.runtime.computer import ExecResult
    from worldbuilder.runtime.ssh import KILL_GRACE, NET_ERRORS, SSHComputer

    class WindowsComputer(SSHComputer):
        """Commands run in Windows PowerShell in the profile folder; paths may be ``C:\\...`` or relative."""

        def __init__(self, endpoint, name: str, home: str, pid: int, **kw) -> None:
            self.pid = pid
            super().__init__(endpoint, name, home.replace("\\", "/"), use_runner=False, **kw)

        def is_dead(self) -> bool:
            try:
                os.kill(self.pid, 0)
                return False
            except OSError:
                return True

        def resolve(self, path: str) -> str:
            return resolve_windows_path(self.home, path)

        def _exec_channel(self, cmd: str, timeout: float, start: float) -> ExecResult:
            try:
                chan = self._transport().open_session(timeout=self.op_timeout)
                chan.exec_command(powershell_command(self.home, cmd))
            except NET_ERRORS as exc:
                raise self._unreachable(exc) from exc
            try:
                out, err, code = self._collect(chan, start + timeout + KILL_GRACE)
            finally:
                chan.close()
            if code is None:
                raise CommandTimeout(f"command exceeded {timeout:g}s: {cmd[:80]}")
            return ExecResult(code, out.decode(errors="replace"), err.decode(errors="replace"),
                              time.monotonic() - start)

    return WindowsComputer
