"""Per-computer VM disks: the cached `vm` rootfs + the computer's layer → ext4 → qcow2, no mounts.

Steps: validate the spec → ensure the vm rootfs → copy it → extract the staging tar (the same layer
the Docker image gets: home with owners and mtimes + provisioner input) → run the provisioner
against the copy (``--root``, commands via chroot) → ``mkfs.ext4 -d`` a sparse raw image from the
directory (no loop mount) → ``qemu-img convert -O qcow2`` → kernel + initrd next to the disk for
direct kernel boot. Everything is built in a temporary directory and renamed into place.

Layout of a disk directory (default ``$WORLDBUILDER_HOME/vm/<computer-id>/``)::

    disk.qcow2  vmlinuz  initrd.img  vm.json (VMDisk)  spec.json  snapshots.json (after snapshots)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from worldbuilder import __version__
from worldbuilder.computer_dir import MANIFEST_FILE, SPEC_FILE
from worldbuilder.errors import EngineUnavailable, ImageNotFound
from worldbuilder.materialize import rootfs_vm, staging
from worldbuilder.materialize.keys import ensure_keypair
from worldbuilder.materialize.paths import PROVISIONERS_DIR, state_home
from worldbuilder.materialize.rootfs_vm import VMImageError
from worldbuilder.output import replace_dir
from worldbuilder.spec import ComputerSpec

DISK_FILE = "disk.qcow2"
INDEX_FILE = "snapshots.json"
META_FILE = "vm.json"
GIB = 1 << 30
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0 net.ifnames=0 panic=-1 wb.slirp=1"


class VMDisk(BaseModel):
    """A built VM disk and everything needed to boot it (saved as ``vm.json``)."""

    model_config = ConfigDict(extra="forbid")

    dir: Path
    computer_id: str
    name: str
    user: str
    home: str
    hostname: str
    layout: str
    mounts: dict[str, str]  # layout root prefix ("." on linux, "C", "D") -> absolute dir in the VM
    key_path: Path
    public_key: str  # the key in the disk's authorized_keys (checked against key_path at boot)
    disk: str = DISK_FILE
    kernel: str = "vmlinuz"
    initrd: str = "initrd.img"
    append: str = KERNEL_ARGS
    memory_mb: int = 1024
    cpus: int = 2
    virtual_size: int  # bytes of the ext4 filesystem
    disk_bytes: int  # bytes the qcow2 takes on the host
    file_count: int  # regular files from the computer's tree
    build_hash: str
    rootfs: str  # vm rootfs recipe hash
    built_at: datetime
    build_seconds: float
    tool_version: str = __version__

    @property
    def disk_path(self) -> Path:
        return self.dir / self.disk

    @property
    def kernel_path(self) -> Path:
        return self.dir / self.kernel

    @property
    def initrd_path(self) -> Path:
        return self.dir / self.initrd

    def check_key(self) -> None:
        """Fail early when the host key pair no longer matches the one built into the disk."""
        pub = self.key_path.with_suffix(".pub")
        have = pub.read_text().split()[:2] if pub.exists() and self.key_path.exists() else []
        if have != self.public_key.split()[:2]:
            raise ImageNotFound(f"the SSH key {self.key_path} is missing or is not the one built into {self.dir} "
                                "(rebuild the disk: worldbuilder vm build --force COMPUTER)")

    def save(self) -> None:
        tmp = self.dir / f".{META_FILE}.tmp"
        tmp.write_text(self.model_dump_json(indent=1) + "\n")
        os.replace(tmp, self.dir / META_FILE)


def default_disk_dir(computer_id: str) -> Path:
    return state_home() / "vm" / computer_id


def load_disk(path: str | Path) -> VMDisk:
    """Load a disk directory (or its ``vm.json``)."""
    path = Path(path)
    meta = path if path.name == META_FILE else path / META_FILE
    if not meta.exists():
        raise ImageNotFound(f"no VM disk at {path} (build one with: worldbuilder vm build COMPUTER)")
    try:
        disk = VMDisk.model_validate_json(meta.read_text())
    except ValueError as exc:  # pydantic.ValidationError, or JSON from an older version
        raise ImageNotFound(f"{meta} is unreadable or from an older version; rebuild the disk "
                            "(worldbuilder vm build --force COMPUTER)") from exc
    return disk.model_copy(update={"dir": meta.parent.resolve()})


def find_disk(ref: str | Path) -> VMDisk:
    """A disk directory, or a computer directory / spec whose disk was built at the default place."""
    ref = Path(ref)
    if (ref / META_FILE).exists() or ref.name == META_FILE:
        return load_disk(ref)
    if ref.exists():
        spec = ComputerSpec.load(ref)
        return load_disk(default_disk_dir(spec.id))
    if (default_disk_dir(str(ref)) / META_FILE).exists():
        return load_disk(default_disk_dir(str(ref)))
    raise ImageNotFound(f"no VM disk, computer directory or computer id {str(ref)!r}")


def _build_hash(spec: ComputerSpec, computer_dir: Path, pubkey: str, rootfs_hash: str, options: str) -> str:
    h = hashlib.sha256()
    for part in (spec.content_hash(), pubkey, rootfs_hash, options, __version__, KERNEL_ARGS):
        h.update(part.encode() + b"\0")
    manifest = computer_dir / MANIFEST_FILE
    h.update(manifest.read_bytes() if manifest.exists() else b"")
    for f in (PROVISIONERS_DIR / "provision.py", Path(staging.__file__), Path(__file__)):
        h.update(f.read_bytes())
    return h.hexdigest()


def _check_tools() -> None:
    for tool in ("mkfs.ext4", "qemu-img", "tar", "chroot"):
        if shutil.which(tool) is None:
            raise EngineUnavailable(f"{tool} is not installed; run scripts/ensure-engine.sh vm")


def build_vm_disk(computer_dir: str | Path, out: str | Path | None = None, force: bool = False,
                  sudo: bool = False, compress: bool = False, log=None) -> VMDisk:
    """Build (or reuse, when its inputs are unchanged) the qcow2 disk of a computer directory.

    ``compress`` writes zlib-compressed qcow2 clusters (about 3x smaller on the host, ~20 s slower).
    """
    started = time.monotonic()
    computer_dir = Path(computer_dir)
    spec, tree = staging.load_computer_for_build(computer_dir, VMImageError)
    _check_tools()
    out = Path(out) if out else default_disk_dir(spec.id)
    rootfs = rootfs_vm.ensure_rootfs(log=log)
    keys = ensure_keypair(spec.id)
    bhash = _build_hash(spec, computer_dir, keys.public, rootfs_vm.recipe_hash(), f"{sudo}{compress}")
    if not force and (out / META_FILE).exists():
        old = load_disk(out)
        if old.build_hash == bhash and old.disk_path.exists():
            return old
    _check_not_in_use(out / DISK_FILE)
    out.parent.mkdir(parents=True, exist_ok=True)
    if log:
        log(f"building the VM disk of {spec.id} in {out}")
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        config = staging.provision_config(spec, keys.public, sudo=sudo)
        root = work / "root"
        count = _assemble_root(spec, tree, rootfs, root, config, work / "layer.tar")
        raw = work / "disk.raw"
        size = _make_ext4(root, raw, spec.id)
        _write_initial_index(root, config["mounts"], work / INDEX_FILE, spec)
        rootfs_vm.rmtree_rootfs(root)
        _run(["qemu-img", "convert", "-q", *(["-c"] if compress else []), "-O", "qcow2", str(raw),
              str(work / DISK_FILE)], "qemu-img convert")
        raw.unlink()
        kernel, initrd = rootfs_vm.kernel_files(rootfs)
        _link_or_copy(kernel, work / "vmlinuz")
        _link_or_copy(initrd, work / "initrd.img")
        shutil.copy2(computer_dir / SPEC_FILE, work / SPEC_FILE)
        disk = VMDisk(dir=out.resolve(), computer_id=spec.id, name=spec.id, user=spec.profile.username,
                      home=config["user"]["home"], hostname=config["hostname"], layout=spec.layout.kind,
                      mounts=config["mounts"],
                      key_path=keys.private_path, public_key=keys.public, virtual_size=size,
                      disk_bytes=(work / DISK_FILE).stat().st_blocks * 512, file_count=count, build_hash=bhash,
                      rootfs=rootfs_vm.recipe_hash(), built_at=datetime.now(UTC),
                      build_seconds=round(time.monotonic() - started, 2))
        disk.model_copy(update={"dir": work}).save()
        replace_dir(work, out)
    except BaseException:
        rootfs_vm.rmtree_rootfs(work)
        raise
    return load_disk(out)


def _check_not_in_use(disk: Path) -> None:
    """Refuse to replace a disk a running VM holds (QEMU's image lock makes ``qemu-img info`` fail)."""
    if not disk.exists():
        return
    proc = subprocess.run(["qemu-img", "info", str(disk)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 and "lock" in proc.stderr:
        raise VMImageError(f"{disk} is in use by a running VM; stop it before rebuilding")


def _assemble_root(spec: ComputerSpec, tree: Path, rootfs: Path, root: Path, config: dict, layer: Path) -> int:
    """Copy the rootfs, add the computer's layer and provision it; returns the tree's file count."""
    _run(["cp", "-a", "--reflink=auto", f"{rootfs}/.", str(root)], "copying the vm rootfs")
    (root / ".worldbuilder-vm-rootfs").unlink(missing_ok=True)
    count = staging.write_layer(spec, tree, layer, config)
    _run(["tar", "-C", str(root), "--numeric-owner", "-xpf", str(layer)], "extracting the computer layer")
    layer.unlink()
    prov = root / staging.PROVISION_DIR
    _run([sys.executable, str(PROVISIONERS_DIR / "provision.py"), str(prov / "computer.json"), "--root", str(root)],
         "provisioning the vm disk")
    shutil.rmtree(prov)
    (root / "etc" / "machine-id").write_text(uuid.UUID(hashlib.md5(spec.id.encode()).hexdigest()).hex + "\n")
    return count


def _make_ext4(root: Path, raw: Path, computer_id: str) -> int:
    """A sparse ext4 image populated from ``root`` (mkfs -d, no mount); returns its size in bytes."""
    used = int(subprocess.run(["du", "-sx", "--block-size=1", str(root)], capture_output=True, text=True,
                              check=True).stdout.split()[0])
    size = max(4 * GIB, -(-(used * 2 + GIB) // GIB) * GIB)
    with open(raw, "wb") as fh:
        fh.truncate(size)
    fs_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"worldbuilder-vm:{computer_id}"))
    _run(["mkfs.ext4", "-q", "-F", "-L", "wbroot", "-U", fs_uuid, "-E", f"hash_seed={fs_uuid}",
          "-d", str(root), str(raw)], "mkfs.ext4 -d")
    return size


def _write_initial_index(root: Path, mounts: dict[str, str], out: Path, spec: ComputerSpec) -> None:
    """``snapshots.json`` with the file listing of the fresh disk as label ``latest``."""
    from worldbuilder.materialize.file_index import INITIAL, LISTER

    host_mounts = {k: str(root / v.lstrip("/")) for k, v in mounts.items()}
    proc = subprocess.run([sys.executable, "-c", LISTER, json.dumps(host_mounts)], capture_output=True,
                          text=True, check=True)
    record = {"label": INITIAL, "created": spec.world.history_end.isoformat(), "files": json.loads(proc.stdout)}
    out.write_text(json.dumps({INITIAL: record}, indent=1))


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _run(cmd: list[str], what: str, timeout: float = 1800) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-2:] or ["no output"]
        raise VMImageError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")
