"""The ``windows-qemu`` provider: a real Windows computer under QEMU/KVM, reached over OpenSSH with PowerShell.

``prepare`` builds the Windows artefacts of a computer directory with :mod:`worldbuilder.materialize.windows`
(the ``D:`` data disk, the WB-PROV provisioning ISO, the libvirt domain XML and QEMU command line), exactly as
``image build --os windows``; the ref is the build directory. ``boot`` installs Windows from an install ISO
(``install_iso``, or ``$WB_WINDOWS_ISO``) or boots a prepared sysprep'd disk through an overlay (``base_qcow2``,
or ``$WB_WINDOWS_BASE_QCOW2``), on a host with a working ``/dev/kvm``; without them it raises
:class:`~worldbuilder.errors.BootUnavailable` naming each missing piece, before anything starts.

Not yet: day snapshots (qcow2 overlays per day) raise :class:`~worldbuilder.errors.SnapshotError`, and
``attach`` only finds computers this process booted (the SSH port is chosen at boot).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from worldbuilder.errors import (
    BootUnavailable,
    ComputerNotRunning,
    EngineUnavailable,
    SnapshotError,
    WorldbuilderError,
)
from worldbuilder.runtime.computer import Computer, Snapshots
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, ImageRef, RunningComputer

ISO_ENV, BASE_ENV = "WB_WINDOWS_ISO", "WB_WINDOWS_BASE_QCOW2"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


def _pid_alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


class WindowsQemuProvider(ComputerProvider):
    name = "windows-qemu"

    def __init__(self, limits: Limits | None = None, owner: dict[str, str] | None = None,
                 workdir: str | Path | None = None, install_iso: str | Path | None = None,
                 base_qcow2: str | Path | None = None, openssh_zip: str | Path | None = None,
                 data_size_gib: int = 16, kvm_device: str = "/dev/kvm") -> None:
        super().__init__(limits, owner, workdir)
        self.install_iso = Path(install_iso) if install_iso else _env_path(ISO_ENV)
        self.base_qcow2 = Path(base_qcow2) if base_qcow2 else _env_path(BASE_ENV)
        self.openssh_zip = Path(openssh_zip) if openssh_zip else None
        self.data_size = data_size_gib << 30
        self.kvm_device = kvm_device
        self._running: dict[str, Computer] = {}

    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        from worldbuilder.materialize.windows.build import build_windows, default_build_dir
        from worldbuilder.spec import ComputerSpec

        if variant != "default":
            raise WorldbuilderError(f"the {self.name} backend has no variant {variant!r} (only 'default')")
        computer_dir = Path(computer_dir)
        spec = ComputerSpec.load(computer_dir)
        out = self.workdir / "windows" / spec.id if self.workdir is not None else default_build_dir(spec.id)
        build = build_windows(computer_dir, out, self.openssh_zip, self.data_size)
        return ImageRef(self.name, str(build.dir), build.computer_id)

    def missing(self) -> list[str]:
        """What this host lacks to boot Windows (empty when it can): the install source and a working KVM."""
        from worldbuilder.materialize.windows.boot import check_kvm

        out = []
        if self.install_iso is None and self.base_qcow2 is None:
            out.append(f"a Windows install ISO (--iso or ${ISO_ENV}) or a prepared disk (--base-qcow2 or ${BASE_ENV})")
        elif self.install_iso is not None and self.base_qcow2 is not None:
            out.append("only one of the install ISO and the prepared disk (both were given)")
        else:
            src = self.install_iso or self.base_qcow2
            if not src.is_file():  # type: ignore[union-attr]
                out.append(f"the file {src} (it does not exist)")
        try:
            check_kvm(self.kvm_device)
        except (EngineUnavailable, OSError) as exc:
            out.append(f"a working {self.kvm_device} ({str(exc).removeprefix('Windows VMs need KVM and ')})")
        return out

    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> Computer:
        from worldbuilder.materialize.windows.boot import boot_windows
        from worldbuilder.materialize.windows.build import find_build

        build = find_build(Path(ref.ref if isinstance(ref, ImageRef) else ref))
        missing = self.missing()
        if missing:
            raise BootUnavailable(f"cannot boot the Windows computer {build.computer_id}: missing "
                                  + "; ".join(missing))
        limits = limits or self.limits
        build = build.model_copy(update={"memory_mb": max(build.memory_mb, limits.memory_mb),
                                         "cpus": max(1, int(limits.vcpus))})
        computer = boot_windows(build, self.install_iso, self.base_qcow2)
        self._running[computer.name] = computer
        return computer

    def attach(self, name: str) -> Computer:
        if name not in self._running:
            raise ComputerNotRunning(f"no Windows computer {name} booted by this process")
        return self._running[name]

    def stop(self, name: str) -> None:
        for row in self.ls():
            if row.name == name:
                os.kill(int(row.extra["pid"]), signal.SIGTERM)
                self._running.pop(name, None)
                return
        raise ComputerNotRunning(f"no running Windows computer {name}")

    def ls(self) -> list[RunningComputer]:
        from worldbuilder.materialize.windows.build import default_build_dir

        roots = {default_build_dir("x").parent} | ({self.workdir / "windows"} if self.workdir is not None else set())
        out = []
        for root in sorted(r for r in roots if r.is_dir()):
            for build in sorted(root.iterdir()):
                pid = _pid_alive(build / "run" / "qemu.pid")
                if pid is not None:
                    out.append(RunningComputer(f"wb-win-{build.name}", self.name, str(build), "running",
                                               {"pid": str(pid)}))
        return out

    def snapshots(self, computer: Computer) -> Snapshots:
        raise SnapshotError(f"{computer.name}: snapshots of Windows computers are not implemented yet")
