"""``image build --os windows``: a computer directory → everything a Windows VM of it needs.

Layout of a Windows build directory (default ``$WORLDBUILDER_HOME/windows/<computer-id>/``)::

    data.qcow2        the D: data disk (NTFS, staged profile)          see data_disk.py
    provision.iso     WB-PROV: Autounattend.xml, provision.ps1, ...    see provision_iso.py
    OVMF_VARS.fd      this computer's UEFI variable store
    domain.xml        libvirt domain (validated with virt-xml-validate) see machine.py
    qemu-command.txt  the same machine as a QEMU command line
    windows.json      WindowsBuild (this module)
    os.qcow2          created by ``windows boot`` (install target, or overlay of a prepared base)

The directory is built in a temporary sibling and renamed into place; the SSH key pair is the
computer's usual one (private key on the host only).
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from worldbuilder import __version__
from worldbuilder.errors import ImageNotFound, WorldbuilderError
from worldbuilder.materialize.keys import ensure_keypair
from worldbuilder.materialize.paths import state_home
from worldbuilder.materialize.windows import data_disk, machine, provision_iso
from worldbuilder.materialize.windows.answer_file import InstallOptions
from worldbuilder.materialize.windows.layout import check_tree, hidden_paths, windows_layout
from worldbuilder.materialize.windows.timezones import windows_timezone
from worldbuilder.output import replace_dir
from worldbuilder.render.times import epoch
from worldbuilder.spec import ComputerSpec

META_FILE = "windows.json"
DEFAULT_SSH_PORT = 2222  # in the written domain.xml / qemu-command.txt; `windows boot` picks a free port


class WindowsBuild(BaseModel):
    """A built Windows computer (``windows.json``)."""

    model_config = ConfigDict(extra="forbid")

    dir: Path
    computer_id: str
    account: str
    home: str
    hostname: str
    key_path: Path
    public_key: str
    ovmf_code: Path
    data_disk: str = "data.qcow2"
    provision_iso: str = "provision.iso"
    ovmf_vars: str = "OVMF_VARS.fd"
    os_disk: str = "os.qcow2"
    data_size: int
    file_count: int
    openssh_zip: bool
    memory_mb: int = 4096
    cpus: int = 2
    disk_seconds: float
    build_seconds: float
    built_at: datetime
    tool_version: str = __version__

    def path(self, name: str) -> Path:
        return self.dir / name

    def machine(self, name: str, port: int, install_iso: Path | None = None, kvm: bool = True) -> machine.Machine:
        return machine.Machine(name=name, computer_id=self.computer_id, os_disk=self.path(self.os_disk),
                               data_disk=self.path(self.data_disk), provision_iso=self.path(self.provision_iso),
                               ovmf_code=self.ovmf_code, ovmf_vars=self.path(self.ovmf_vars),
                               tpm_dir=self.dir / "tpm", ssh_port=port, install_iso=install_iso,
                               memory_mb=self.memory_mb, cpus=self.cpus, kvm=kvm)


def default_build_dir(computer_id: str) -> Path:
    return state_home() / "windows" / computer_id


def load_build(path: Path) -> WindowsBuild:
    meta = path / META_FILE
    if not meta.exists():
        raise ImageNotFound(f"no Windows build at {path} (build one with: worldbuilder image build DIR --os windows)")
    try:
        build = WindowsBuild.model_validate_json(meta.read_text())
    except ValueError as exc:
        raise ImageNotFound(f"{meta} is unreadable or from an older version; rebuild it") from exc
    return build.model_copy(update={"dir": path.resolve()})


def find_build(ref: Path) -> WindowsBuild:
    """A build directory, or a computer directory whose build sits at the default place."""
    if (ref / META_FILE).exists():
        return load_build(ref)
    if (ref / "spec.json").exists():
        return load_build(default_build_dir(ComputerSpec.load(ref).id))
    raise ImageNotFound(f"no Windows build or computer directory at {ref}")


def build_windows(computer_dir: Path, out: Path | None = None, openssh_zip: Path | None = None,
                  data_size: int = data_disk.DEFAULT_SIZE, log=None) -> WindowsBuild:
    """Build the data disk, the provisioning ISO and the VM description of a rendered computer."""
    started = time.monotonic()
    computer_dir = Path(computer_dir)
    spec = ComputerSpec.load(computer_dir)
    tree = computer_dir / "tree"
    if not tree.is_dir():
        raise WorldbuilderError(f"{computer_dir} has no rendered tree/ (render the spec first)")
    lay = windows_layout(spec)
    check_tree(lay, tree)
    data_disk.volume_entries(lay, tree)  # names Windows cannot hold: one error line, before any work
    data_disk.check_tools()
    ovmf_code, ovmf_vars = machine.find_ovmf()
    out = (Path(out) if out else default_build_dir(spec.id)).absolute()
    if (out / "os.qcow2").exists():
        raise WorldbuilderError(f"{out} holds an installed Windows (os.qcow2); remove that directory or "
                                "build into another --out")
    keys = ensure_keypair(spec.id)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        if log:
            log(f"building the Windows computer {spec.id} ({lay.account}) in {out}")
        disk = data_disk.build_data_disk(lay, tree, work / "data.qcow2", data_size, spec.id, hidden_paths(spec, lay))
        opts = InstallOptions(timezone=windows_timezone(spec.profile.timezone),
                              locale=spec.profile.locale.split(".")[0].replace("_", "-"))
        provision_iso.build_iso(lay, keys.public, work / "provision.iso", epoch(spec.world.history_end,
                                spec.profile.timezone), opts, openssh_zip)
        shutil.copyfile(ovmf_vars, work / "OVMF_VARS.fd")
        build = WindowsBuild(dir=out, computer_id=spec.id, account=lay.account, home=lay.home, hostname=lay.hostname,
                             key_path=keys.private_path, public_key=keys.public, ovmf_code=ovmf_code,
                             data_size=data_size, file_count=disk.files, openssh_zip=openssh_zip is not None,
                             disk_seconds=disk.seconds, build_seconds=0.0, built_at=datetime.now(UTC))
        write_machine_files(build, work)
        build = build.model_copy(update={"build_seconds": round(time.monotonic() - started, 2)})
        (work / META_FILE).write_text(build.model_dump_json(indent=1) + "\n")
        replace_dir(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return load_build(out)


def write_machine_files(build: WindowsBuild, into: Path, port: int = DEFAULT_SSH_PORT) -> None:
    """``domain.xml`` (validated when virt-xml-validate is installed) and ``qemu-command.txt``."""
    m = build.machine(f"wb-win-{build.computer_id}", port)
    xml = machine.domain_xml(m)
    if shutil.which("virt-xml-validate"):
        machine.validate_domain(xml)
    (into / "domain.xml").write_text(xml)
    lines = [shlex.join(machine.swtpm_command(m)) + " &", shlex.join(machine.qemu_command(m))]
    (into / "qemu-command.txt").write_text("\n".join(lines) + "\n")


