"""Pick QEMU's accelerator: KVM only when it really boots a kernel, else TCG.

``/dev/kvm`` existing is not enough: nested KVM may abort (unsupported MSRs with ``-cpu host``) or
hang forever in protected mode, while trivial real-mode code runs fine. So the probe does what a
boot does, with the same CPU arguments: it starts the VM kernel with no root device and
``panic=-1 -no-reboot``; a working accelerator reaches "Kernel panic" and QEMU exits by itself
within a second or two. Anything else (abort, no output, hang) is killed after a hard timeout and
means TCG. Without a kernel to probe with, a 64 KiB BIOS that writes to ``isa-debug-exit`` is used
(weaker: it only proves real-mode execution). The answer is cached for the life of the process;
``WORLDBUILDER_ACCEL=kvm|tcg`` overrides it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from worldbuilder.errors import EngineUnavailable, WorldbuilderError

QEMU = "qemu-system-x86_64"
PROBE_TIMEOUT = 10.0
_EXIT_CODE = (0x42 << 1) | 1  # isa-debug-exit turns value v into exit status (v << 1) | 1
_cached: AccelChoice | None = None


@dataclass(frozen=True)
class AccelChoice:
    name: str  # "kvm" or "tcg"
    reason: str

    @property
    def domain_type(self) -> str:
        """libvirt <domain type=...> for this accelerator."""
        return "kvm" if self.name == "kvm" else "qemu"

    def qemu_args(self) -> list[str]:
        if self.name == "kvm":
            return ["-accel", "kvm", "-cpu", "host"]
        return ["-accel", "tcg,thread=multi", "-cpu", "max"]


def qemu_binary() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise EngineUnavailable(f"{QEMU} is not installed; run scripts/ensure-engine.sh vm")
    return path


def probe_bios() -> bytes:
    """A 64 KiB BIOS image: at the reset vector, ``mov al,0x42; out 0xf4,al; hlt``."""
    rom = bytearray(b"\xf4" * 0x10000)
    rom[0xFFF0:0xFFF5] = b"\xb0\x42\xe6\xf4\xf4"
    return bytes(rom)


def probe(accel: str, kernel: Path | None = None, timeout: float = PROBE_TIMEOUT) -> tuple[bool, str]:
    """Run a probe guest under ``accel``; (works, reason). Never blocks longer than ~timeout."""
    choice = AccelChoice(accel, "probe")
    with tempfile.TemporaryDirectory(prefix="wb-accel-") as tmp:
        serial = Path(tmp) / "serial.log"
        cmd = [qemu_binary(), *choice.qemu_args(), "-machine", "pc", "-m", "256", "-nodefaults",
               "-display", "none", "-no-reboot", "-serial", f"file:{serial}"]
        if kernel is not None:
            cmd += ["-kernel", str(kernel), "-append", "console=ttyS0 panic=-1 root=/dev/wb-probe loglevel=1"]
        else:
            bios = Path(tmp) / "probe.bin"
            bios.write_bytes(probe_bios())
            cmd += ["-bios", str(bios), "-device", "isa-debug-exit,iobase=0xf4,iosize=0x01"]
        code, err = run_bounded(cmd, timeout)
        if code is None:
            return False, f"{accel} probe did not finish in {timeout:.0f}s (killed)"
        panicked = serial.exists() and b"Kernel panic" in serial.read_bytes()
    if kernel is not None and code == 0 and panicked:
        return True, f"{accel} probe booted the kernel"
    if kernel is None and code == _EXIT_CODE:
        return True, f"{accel} probe ran real-mode guest code (no kernel to probe with)"
    detail = (err.strip().splitlines() or [""])[-1]
    return False, f"{accel} probe failed (exit {code}): {detail}"[:300]


def run_bounded(cmd: list[str], timeout: float) -> tuple[int | None, str]:
    """Run ``cmd`` in its own process group; (exit code or None when killed at ``timeout``, stderr)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return None, ""
    return proc.returncode, err.decode(errors="replace")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # stuck in the kernel: leave it, do not hang the caller
        pass


def detect(kernel: Path | None = None, refresh: bool = False) -> AccelChoice:
    """KVM if /dev/kvm is usable and the probe passes, else TCG (cached per process)."""
    global _cached
    forced = os.environ.get("WORLDBUILDER_ACCEL", "").strip().lower()
    if forced:
        if forced not in ("kvm", "tcg"):
            raise WorldbuilderError(f"WORLDBUILDER_ACCEL must be kvm or tcg, not {forced!r}")
        return AccelChoice(forced, "forced by WORLDBUILDER_ACCEL")
    if _cached is not None and not refresh:
        return _cached
    if not os.path.exists("/dev/kvm"):
        choice = AccelChoice("tcg", "/dev/kvm does not exist")
    elif not os.access("/dev/kvm", os.R_OK | os.W_OK):
        choice = AccelChoice("tcg", "/dev/kvm is not accessible")
    else:
        ok, reason = probe("kvm", kernel or _any_kernel())
        choice = AccelChoice("kvm" if ok else "tcg", reason)
    _cached = choice
    return choice


def _any_kernel() -> Path | None:
    """A VM kernel to probe with: the cached vm rootfs's, if one was built."""
    from worldbuilder.materialize.paths import cache_home

    kernels = sorted((cache_home() / "vm").glob("rootfs-*/boot/vmlinuz-*"))
    return kernels[-1] if kernels else None
