"""The ``libvirt`` provider: the same qcow2 disks as ``qemu``, run as libvirt domains (qemu:///system).

Snapshots are the same internal qcow2 snapshots (``savevm``/``loadvm`` through libvirt's monitor passthrough),
indexed like QEMU's, so refs are ``<disk.qcow2>@<label>`` and a stopped domain boots one with ``-loadvm``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from xml.etree import ElementTree as ET

from worldbuilder.errors import ComputerNotRunning, SnapshotError, WorldbuilderError
from worldbuilder.materialize.vm import VMDisk, load_disk
from worldbuilder.runtime.computer import Computer, Snapshots, SSHEndpoint
from worldbuilder.runtime.libvirt_backend import QEMU_NS, LibvirtBackend, LibvirtComputer, domain_name
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, ImageRef, RunningComputer
from worldbuilder.runtime.provider_qemu import vm_name
from worldbuilder.runtime.qemu_snapshots import QemuSnapshots
from worldbuilder.runtime.vm_disks import private_disk, split_ref

STOP_TIMEOUT = 30.0
TITLE = "worldbuilder computer"


class LibvirtSnapshots(QemuSnapshots):
    """QEMU's snapshot index and qcow2 snapshots, driven through a libvirt domain."""

    def __init__(self, provider: LibvirtProvider, computer: LibvirtComputer) -> None:
        self.name, self.provider, self.disk, self.computer = computer.name, provider, computer.disk, computer

    def _attach(self) -> Computer:
        return self.provider.attach(self.name)

    def _hmp(self, command: str, resume: bool = False) -> str:
        import libvirt
        import libvirt_qemu

        dom = self.provider.domain(self.name)
        try:
            out = libvirt_qemu.qemuMonitorCommand(dom, command, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
            if resume and not out.strip():
                libvirt_qemu.qemuMonitorCommand(dom, "cont", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
        except libvirt.libvirtError as exc:
            raise SnapshotError(f"{command.split()[0]} on {self.name} failed: {exc}") from exc
        return out

    def _running(self) -> bool:
        return any(r.name == self.name for r in self.provider.ls())

    def _boot_at(self, label: str) -> Computer:
        return self.provider.boot(f"{self.disk.disk_path}@{label}", name=self.name)

    def _reattach(self) -> Computer:
        return self.provider.attach(self.name)


class LibvirtProvider(ComputerProvider):
    name = "libvirt"

    def __init__(self, limits: Limits | None = None, owner: dict[str, str] | None = None,
                 workdir: str | Path | None = None, uri: str | None = None) -> None:
        super().__init__(limits, owner, workdir)
        self.backend = LibvirtBackend(uri) if uri else LibvirtBackend()

    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        from worldbuilder.materialize.vm import build_vm_disk

        if variant != "default":
            raise WorldbuilderError(f"the {self.name} backend has no variant {variant!r} (only 'default')")
        disk = build_vm_disk(computer_dir)
        if self.workdir is not None:
            disk = private_disk(disk, self.workdir / "disk", vm_name(self.owner, disk.name))
        return ImageRef(self.name, str(disk.dir), disk.computer_id)

    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> LibvirtComputer:
        disk, label = split_ref(ref.ref if isinstance(ref, ImageRef) else ref)
        limits = limits or self.limits
        name = name or (vm_name(self.owner, disk.name) if self.owner else domain_name(disk))
        if any(r.name == name for r in self.ls()):
            from worldbuilder.errors import ComputerNameInUse

            raise ComputerNameInUse(f"a libvirt domain named {name!r} is already running (stop it first)")
        _, _, computer = self.backend.boot(disk, name=name, loadvm=label, memory_mb=limits.memory_mb,
                                           cpus=limits.vcpus)
        assert isinstance(computer, LibvirtComputer)
        return computer

    def domain(self, name: str):
        import libvirt

        try:
            dom = self.backend.connect().lookupByName(name)
        except libvirt.libvirtError as exc:
            raise ComputerNotRunning(f"no libvirt domain named {name!r}") from exc
        if not dom.isActive():
            raise ComputerNotRunning(f"libvirt domain {name!r} is not running")
        return dom

    def attach(self, name: str) -> LibvirtComputer:
        dom = self.domain(name)
        disk, port = _disk_and_port(dom.XMLDesc(0))
        return LibvirtComputer(dom, disk, SSHEndpoint("127.0.0.1", port, disk.user, disk.key_path),
                               connect_timeout=60.0)

    def stop(self, name: str) -> None:
        dom = self.domain(name)
        try:
            dom.shutdown()
            deadline = time.monotonic() + STOP_TIMEOUT
            while time.monotonic() < deadline and dom.isActive():
                time.sleep(0.5)
        except Exception:  # libvirtError: no ACPI answer; destroyed below
            pass
        self.backend.destroy(name)

    def ls(self) -> list[RunningComputer]:
        out = []
        for dom in self.backend.connect().listAllDomains():
            if dom.isActive() and TITLE in dom.XMLDesc(0):
                out.append(RunningComputer(dom.name(), self.name, _disk_and_port(dom.XMLDesc(0))[0].dir.as_posix()))
        return sorted(out, key=lambda r: r.name)

    def snapshots(self, computer: Computer) -> Snapshots:
        if not isinstance(computer, LibvirtComputer):
            raise WorldbuilderError(f"{computer.name} is not a libvirt computer")
        return LibvirtSnapshots(self, computer)

    def reap(self) -> None:
        if self.workdir is None:
            return
        root = self.workdir.resolve()
        for row in self.ls():
            if Path(row.image).resolve().is_relative_to(root):
                try:
                    self.stop(row.name)
                except WorldbuilderError:
                    pass


def _disk_and_port(xml: str) -> tuple[VMDisk, int]:
    """The VM disk and SSH port of a worldbuilder domain (from its XML)."""
    root = ET.fromstring(xml)
    src = root.find("./devices/disk/source")
    if src is None:
        raise ComputerNotRunning("not a worldbuilder domain (no disk)")
    args = [a.get("value", "") for a in root.iter(f"{{{QEMU_NS}}}arg")]
    m = next((re.search(r"hostfwd=tcp:127\.0\.0\.1:(\d+)-:22", a) for a in args if "hostfwd" in a), None)
    if m is None:
        raise ComputerNotRunning("not a worldbuilder domain (no SSH forward)")
    return load_disk(Path(src.get("file", "")).parent), int(m.group(1))
