"""The Windows VM: a libvirt domain XML and the matching QEMU command line, from one description.

Both describe the same machine: q35 + UEFI (OVMF pflash, a per-computer copy of the variable
store), KVM with Hyper-V enlightenments, SATA (AHCI) disks (Windows has no virtio driver out of
the box) in a fixed order — port 0 the OS disk (the answer file wipes disk 0), port 1 the ``D:``
data disk, then the Windows install ISO (only while installing) and the WB-PROV ISO —, an e1000e
NIC on user-mode networking with ``restrict=on`` (no route out) and one host-only forward
``127.0.0.1:<port> → :22``, a TPM 2.0 (swtpm; libvirt starts its own, the QEMU command line
talks to the socket of one we start), a USB tablet and a plain VGA for the install screens.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from worldbuilder.errors import EngineUnavailable, WorldbuilderError

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
OVMF_PAIRS = (  # (code, vars template): Debian 12 ovmf, newest first
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
)
HYPERV = ("hv_relaxed", "hv_vapic", "hv_spinlocks=0x1fff", "hv_time")


class MachineError(WorldbuilderError):
    """The VM description is invalid (the domain XML does not validate, firmware missing...)."""


@dataclass(frozen=True)
class Machine:
    """Everything that differs between two Windows VMs."""

    name: str
    computer_id: str
    os_disk: Path
    data_disk: Path
    provision_iso: Path
    ovmf_code: Path
    ovmf_vars: Path  # this VM's writable copy
    tpm_dir: Path  # swtpm state (libvirt keeps its own under /var/lib/libvirt/swtpm)
    ssh_port: int
    install_iso: Path | None = None
    memory_mb: int = 4096
    cpus: int = 2
    kvm: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def tpm_socket(self) -> Path:
        """swtpm's control socket (UNIX socket paths are limited to ~107 bytes: else a short temp path)."""
        path = self.tpm_dir / "swtpm.sock"
        if len(str(path)) < 100:
            return path
        digest = hashlib.sha256(str(self.tpm_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"wb-swtpm-{digest}.sock"

    def cdroms(self) -> list[tuple[str, Path]]:
        return ([("install", self.install_iso)] if self.install_iso else []) + [("provision", self.provision_iso)]


def find_ovmf() -> tuple[Path, Path]:
    """(code, vars template) of the installed OVMF firmware."""
    for code, vars_ in OVMF_PAIRS:
        if Path(code).exists() and Path(vars_).exists():
            return Path(code), Path(vars_)
    raise EngineUnavailable("OVMF UEFI firmware is not installed; run scripts/ensure-engine.sh windows")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _disk(devices: ET.Element, path: Path, dev: str, cdrom: bool, port: int, boot: int = 0) -> None:
    d = _sub(devices, "disk", type="file", device="cdrom" if cdrom else "disk")
    _sub(d, "driver", name="qemu", type="raw" if cdrom else "qcow2")
    _sub(d, "source", file=str(path))
    _sub(d, "target", dev=dev, bus="sata")
    if cdrom:
        _sub(d, "readonly")
    if boot:
        _sub(d, "boot", order=str(boot))
    _sub(d, "address", type="drive", controller="0", bus="0", target="0", unit=str(port))


def domain_xml(m: Machine) -> str:
    """The libvirt domain XML of ``m``."""
    ET.register_namespace("qemu", QEMU_NS)
    dom = ET.Element("domain", {"type": "kvm" if m.kvm else "qemu"})
    _sub(dom, "name", m.name)
    _sub(dom, "uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"worldbuilder-windows:{m.computer_id}:{m.name}")))
    _sub(dom, "title", f"worldbuilder Windows computer {m.computer_id}")
    _sub(dom, "memory", str(m.memory_mb), unit="MiB")
    _sub(dom, "vcpu", str(m.cpus))
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch="x86_64", machine="q35")
    _sub(os_el, "loader", str(m.ovmf_code), readonly="yes", type="pflash", secure="no")
    _sub(os_el, "nvram", str(m.ovmf_vars))
    features = _sub(dom, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    hv = _sub(features, "hyperv", mode="custom")
    for name in ("relaxed", "vapic"):
        _sub(hv, name, state="on")
    _sub(hv, "spinlocks", state="on", retries="8191")
    _sub(features, "smm", state="on")
    _sub(dom, "cpu", mode="host-passthrough" if m.kvm else "maximum")
    clock = _sub(dom, "clock", offset="localtime")
    _sub(clock, "timer", name="hypervclock", present="yes")
    for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        _sub(dom, event, action)
    dev = _sub(dom, "devices")
    _sub(dev, "emulator", shutil.which("qemu-system-x86_64") or "/usr/bin/qemu-system-x86_64")
    _disk(dev, m.os_disk, "sda", False, 0, boot=1)
    _disk(dev, m.data_disk, "sdb", False, 1)
    for i, (name, iso) in enumerate(m.cdroms()):
        _disk(dev, iso, f"sd{'cd'[i]}", True, 2 + i, boot=2 if name == "install" else 0)
    _sub(dev, "controller", type="sata", index="0")
    _sub(dev, "controller", type="usb", model="qemu-xhci")
    _sub(dev, "input", type="tablet", bus="usb")
    tpm = _sub(dev, "tpm", model="tpm-crb")
    _sub(tpm, "backend", type="emulator", version="2.0")
    _sub(_sub(dev, "video"), "model", type="vga")
    _sub(dev, "graphics", type="vnc", listen="127.0.0.1", autoport="yes")
    _sub(dev, "memballoon", model="none")
    cmdline = _sub(dom, f"{{{QEMU_NS}}}commandline")
    for arg in ("-netdev", f"user,id=wbnet0,restrict=on,hostfwd=tcp:127.0.0.1:{m.ssh_port}-:22",
                "-device", "e1000e,netdev=wbnet0,bus=pcie.0,addr=0x10"):
        _sub(cmdline, f"{{{QEMU_NS}}}arg", value=arg)
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode") + "\n"


def qemu_command(m: Machine, qmp: Path | None = None, pidfile: Path | None = None) -> list[str]:
    """The QEMU command line of ``m`` (the same machine as :func:`domain_xml`; swtpm runs beside it)."""
    accel = ["-accel", "kvm", "-cpu", "host," + ",".join(HYPERV)] if m.kvm else ["-accel", "tcg", "-cpu", "max"]
    cmd = ["qemu-system-x86_64", "-name", f"{m.name},process={m.name}", "-machine", "q35,smm=on", *accel,
           "-m", str(m.memory_mb), "-smp", str(m.cpus), "-nodefaults", "-no-user-config", "-rtc", "base=localtime",
           "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={m.ovmf_code}",
           "-drive", f"if=pflash,format=raw,unit=1,file={m.ovmf_vars}",
           "-drive", f"file={m.os_disk},if=none,id=osdisk,format=qcow2",
           "-device", "ide-hd,drive=osdisk,bus=ide.0,bootindex=1",
           "-drive", f"file={m.data_disk},if=none,id=datadisk,format=qcow2",
           "-device", "ide-hd,drive=datadisk,bus=ide.1"]
    for i, (name, iso) in enumerate(m.cdroms()):
        cmd += ["-drive", f"file={iso},if=none,id={name},media=cdrom,readonly=on,format=raw",
                "-device", f"ide-cd,drive={name},bus=ide.{2 + i}" + (",bootindex=2" if name == "install" else "")]
    cmd += ["-netdev", f"user,id=wbnet0,restrict=on,hostfwd=tcp:127.0.0.1:{m.ssh_port}-:22",
            "-device", "e1000e,netdev=wbnet0",
            "-chardev", f"socket,id=chrtpm,path={m.tpm_socket}", "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
            "-device", "tpm-crb,tpmdev=tpm0",
            "-device", "qemu-xhci", "-device", "usb-tablet", "-vga", "std", "-display", "none"]
    if qmp is not None:
        cmd += ["-qmp", f"unix:{qmp},server=on,wait=off"]
    if pidfile is not None:
        cmd += ["-pidfile", str(pidfile)]
    return cmd


def swtpm_command(m: Machine) -> list[str]:
    """swtpm for :func:`qemu_command` (ends by itself when QEMU disconnects)."""
    return ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={m.tpm_dir}", "--terminate",
            "--ctrl", f"type=unixio,path={m.tpm_socket}", "--log", f"file={m.tpm_dir / 'swtpm.log'}"]


def validate_domain(xml: str) -> None:
    """Validate against libvirt's RNG schema (``virt-xml-validate``); MachineError on failure."""
    if shutil.which("virt-xml-validate") is None:
        raise EngineUnavailable("virt-xml-validate is not installed; run scripts/ensure-engine.sh windows")
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as fh:
        fh.write(xml)
        fh.flush()
        proc = subprocess.run(["virt-xml-validate", fh.name, "domain"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])
        raise MachineError(f"the domain XML does not validate: {tail}")
