"""libvirt: a domain XML for a computer's VM disk, and define/start/stop through libvirt-python.

The domain mirrors :mod:`qemu_backend`: direct kernel boot, memory/vCPU limits, virtio disk, serial
console to a file, and user-mode networking with ``restrict=on`` and one host-only SSH forward
(passed with ``<qemu:commandline>`` because libvirt's own ``<interface type='user'>`` has no
``restrict`` and needs passt for port forwards). ``type='kvm'`` only when KVM really works,
``type='qemu'`` (TCG) otherwise. QEMU runs as root under libvirt (static DAC label, no relabel)
because the disks live in root's state directory; nothing else is exposed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from xml.etree import ElementTree as ET

from worldbuilder.errors import BootError, ComputerError, EngineUnavailable
from worldbuilder.materialize.vm import VMDisk
from worldbuilder.runtime import accel
from worldbuilder.runtime.computer import SSHEndpoint
from worldbuilder.runtime.qemu_backend import READY_TIMEOUT, _tail, free_port, run_root, wait_for_login
from worldbuilder.runtime.ssh import SSHComputer

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
DEFAULT_URI = "qemu:///system"


def domain_name(disk: VMDisk) -> str:
    return f"wb-{disk.name}"


def serial_log_path(disk: VMDisk, name: str | None = None) -> Path:
    path = run_root() / f"{name or domain_name(disk)}-libvirt"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path / "serial.log"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def domain_xml(disk: VMDisk, port: int, choice: accel.AccelChoice | None = None,
               memory_mb: int | None = None, cpus: int | None = None, name: str | None = None,
               loadvm: str | None = None) -> str:
    """The libvirt domain XML of a VM disk with SSH forwarded to ``127.0.0.1:port`` (``name`` overrides the
    domain name; ``loadvm`` resumes from an internal qcow2 snapshot)."""
    choice = choice or accel.detect(kernel=disk.kernel_path)
    ET.register_namespace("qemu", QEMU_NS)
    dom = ET.Element("domain", {"type": choice.domain_type})
    _sub(dom, "name", name or domain_name(disk))
    key = f"worldbuilder-vm:{disk.computer_id}" + (f":{name}" if name else "")
    _sub(dom, "uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, key)))
    _sub(dom, "title", f"worldbuilder computer {disk.computer_id}")
    _sub(dom, "description", f"user {disk.user}, home {disk.home}; ssh -p {port} {disk.user}@127.0.0.1")
    _sub(dom, "memory", str(memory_mb or disk.memory_mb), unit="MiB")
    _sub(dom, "vcpu", str(cpus or disk.cpus))
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64", machine="pc")
    _sub(os_el, "kernel", str(disk.kernel_path))
    _sub(os_el, "initrd", str(disk.initrd_path))
    _sub(os_el, "cmdline", disk.append)
    _sub(_sub(dom, "features"), "acpi")
    _sub(dom, "cpu", mode="host-passthrough" if choice.name == "kvm" else "maximum")
    _sub(dom, "clock", offset="utc")
    for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        _sub(dom, event, action)
    _devices(dom, disk, name)
    label = _sub(dom, "seclabel", type="static", model="dac", relabel="no")
    _sub(label, "label", "+0:+0")
    cmdline = _sub(dom, f"{{{QEMU_NS}}}commandline")
    for arg in ("-netdev", f"user,id=wbnet0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:22",
                "-device", "virtio-net-pci,netdev=wbnet0,bus=pci.0,addr=0x10",  # fixed slot: libvirt assigns its own first
                *(("-loadvm", loadvm) if loadvm else ())):
        _sub(cmdline, f"{{{QEMU_NS}}}arg", value=arg)
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode") + "\n"


def _devices(dom: ET.Element, disk: VMDisk, name: str | None = None) -> None:
    dev = _sub(dom, "devices")
    _sub(dev, "emulator", accel.qemu_binary())
    d = _sub(dev, "disk", type="file", device="disk")
    _sub(d, "driver", name="qemu", type="qcow2", cache="writeback", discard="unmap")
    _sub(d, "source", file=str(disk.disk_path))
    _sub(d, "target", dev="vda", bus="virtio")
    serial = _sub(dev, "serial", type="file")
    _sub(serial, "source", path=str(serial_log_path(disk, name)))
    _sub(serial, "target", port="0")
    rng = _sub(dev, "rng", model="virtio")
    _sub(rng, "backend", "/dev/urandom", model="random")
    _sub(dev, "memballoon", model="none")


def validate_xml(xml: str) -> None:
    """Validate a domain XML against libvirt's schema with ``virt-xml-validate``."""
    tool = shutil.which("virt-xml-validate")
    if tool is None:
        raise EngineUnavailable("virt-xml-validate is not installed; run scripts/ensure-engine.sh vm")
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as fh:
        fh.write(xml)
    try:
        proc = subprocess.run([tool, fh.name, "domain"], capture_output=True, text=True, timeout=60)
    finally:
        Path(fh.name).unlink(missing_ok=True)
    if proc.returncode != 0:
        raise ComputerError(f"domain XML does not validate: {_tail(proc.stderr or proc.stdout)}")


class LibvirtComputer(SSHComputer):
    """An :class:`SSHComputer` whose liveness is its libvirt domain's state."""

    def __init__(self, dom, disk: VMDisk, endpoint: SSHEndpoint, **kw: object) -> None:
        self.dom, self.disk, self.computer_id = dom, disk, disk.computer_id
        super().__init__(endpoint, dom.name(), disk.home, **kw)  # type: ignore[arg-type]

    def is_dead(self) -> bool:
        try:
            return not self.dom.isActive()
        except Exception:  # libvirtError: the domain is gone (undefined)
            return True


class LibvirtBackend:
    """Define, start and destroy computers as libvirt domains."""

    def __init__(self, uri: str = DEFAULT_URI, ready_timeout: float = READY_TIMEOUT) -> None:
        self.uri, self.ready_timeout = uri, ready_timeout

    def connect(self):
        try:
            import libvirt
        except ImportError as exc:
            raise EngineUnavailable("libvirt-python is not installed (pip install '.[vm]')") from exc
        try:
            return libvirt.open(self.uri)
        except libvirt.libvirtError as exc:
            raise EngineUnavailable(f"libvirt at {self.uri} does not answer ({exc}); "
                                    "run scripts/ensure-engine.sh vm") from exc

    def define(self, disk: VMDisk, port: int | None = None, **kw) -> tuple[object, int]:
        """Define (or redefine) the disk's domain; returns (virDomain, ssh port). ``kw``: see :func:`domain_xml`."""
        port = port or free_port()
        xml = domain_xml(disk, port, **kw)
        validate_xml(xml)
        conn = self.connect()
        return conn.defineXML(xml), port

    def boot(self, disk: VMDisk, wait_ssh: bool = True, **kw) -> tuple[object, SSHEndpoint, SSHComputer | None]:
        """Define and start the domain; with ``wait_ssh``, also log in (returns the handle). ``kw``: see
        :func:`domain_xml` (name, loadvm, memory_mb, cpus)."""
        import libvirt

        disk.check_key()
        dom, port = self.define(disk, **kw)
        name = kw.get("name") or domain_name(disk)
        serial_log_path(disk, name).unlink(missing_ok=True)
        try:
            dom.create()
        except libvirt.libvirtError as exc:
            self.destroy(name)
            raise BootError(f"libvirt could not start {name}: {_tail(str(exc), 1)[-300:]}") from exc
        endpoint = SSHEndpoint("127.0.0.1", port, disk.user, disk.key_path)
        if not wait_ssh:
            return dom, endpoint, None
        try:
            return dom, endpoint, self._wait_ready(dom, disk, endpoint)
        except BaseException:
            self.destroy(name)
            raise

    def _wait_ready(self, dom, disk: VMDisk, endpoint: SSHEndpoint) -> SSHComputer:
        def alive() -> None:
            if not dom.isActive():
                raise BootError(f"{dom.name()}: domain stopped during boot")

        computer = wait_for_login(dom.name(), endpoint.port, time.monotonic() + self.ready_timeout, alive,
                                  lambda: LibvirtComputer(dom, disk, endpoint, connect_timeout=30.0))
        if computer is None:
            raise BootError(f"{dom.name()}: SSH not ready after {self.ready_timeout:g}s; serial log tail: "
                            f"{_tail(serial_log_path(disk, dom.name()).read_text(errors='replace'))}")
        return computer

    def destroy(self, disk: VMDisk | str, undefine: bool = True) -> bool:
        """Stop the domain (of a disk, or by name) hard and, by default, undefine it; False if absent."""
        import libvirt

        conn = self.connect()
        try:
            dom = conn.lookupByName(domain_name(disk) if isinstance(disk, VMDisk) else disk)
        except libvirt.libvirtError:
            return False
        if dom.isActive():
            dom.destroy()
        if undefine:
            dom.undefine()
        return True
