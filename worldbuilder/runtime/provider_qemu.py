"""The ``qemu`` provider: qcow2 disks built by materialize.vm, VMs run by QemuBackend, internal qcow2 snapshots.

With a ``workdir`` (a simulation), ``prepare`` gives the run its own disk: an overlay on the built one under
``workdir/disk``, so day snapshots (``savevm``) land in the run's overlay and the built disk stays untouched.
Snapshot refs are ``<disk.qcow2>@<label>``; booting one resumes the VM where the snapshot was taken.
"""

from __future__ import annotations

import re
from pathlib import Path

from worldbuilder.errors import WorldbuilderError
from worldbuilder.runtime.computer import Computer, Snapshots
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, ImageRef, RunningComputer
from worldbuilder.runtime.qemu_backend import QemuBackend, QemuComputer
from worldbuilder.runtime.qemu_snapshots import QemuSnapshots
from worldbuilder.runtime.vm_disks import private_disk, split_ref

STOP_TIMEOUT = 30.0  # seconds for an ACPI shutdown before QEMU is told to quit


def vm_name(owner: dict[str, str] | None, default: str) -> str:
    """A VM name unique to the owning run (or the disk's own name)."""
    run = (owner or {}).get("run", "")
    return re.sub(r"[^a-zA-Z0-9_.-]", "-", f"wb-{run}")[:63] if run else default


class QemuProvider(ComputerProvider):
    name = "qemu"

    def _backend(self, limits: Limits | None = None) -> QemuBackend:
        limits = limits or self.limits
        return QemuBackend(memory_mb=limits.memory_mb, cpus=limits.vcpus)

    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        from worldbuilder.materialize.vm import build_vm_disk

        if variant != "default":
            raise WorldbuilderError(f"the {self.name} backend has no variant {variant!r} (only 'default')")
        disk = build_vm_disk(computer_dir)
        if self.workdir is not None:
            disk = private_disk(disk, self.workdir / "disk", vm_name(self.owner, disk.name))
        return ImageRef(self.name, str(disk.dir), disk.computer_id)

    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> QemuComputer:
        disk, label = split_ref(ref.ref if isinstance(ref, ImageRef) else ref)
        return self._backend(limits).boot(disk, name=name or vm_name(self.owner, disk.name), loadvm=label)

    def attach(self, name: str) -> QemuComputer:
        return QemuBackend().attach(name)

    def stop(self, name: str) -> None:
        QemuBackend().stop(name, timeout=STOP_TIMEOUT)

    def ls(self) -> list[RunningComputer]:
        return [RunningComputer(vm.name, self.name, str(vm.disk_dir), "running",
                                {"ssh": f"127.0.0.1:{vm.port}", "accel": vm.accel})
                for vm in QemuBackend().list_running()]

    def snapshots(self, computer: Computer) -> Snapshots:
        if not isinstance(computer, QemuComputer):
            raise WorldbuilderError(f"{computer.name} is not a QEMU computer")
        return QemuSnapshots(computer.name, computer.disk)

    def reap(self) -> None:
        """Stop the VMs running a disk under this provider's workdir (a killed run's)."""
        if self.workdir is None:
            return
        root = self.workdir.resolve()
        for vm in QemuBackend().list_running():
            if vm.disk_dir.resolve().is_relative_to(root):
                try:
                    self.stop(vm.name)
                except WorldbuilderError:
                    pass
