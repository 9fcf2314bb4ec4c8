"""The cached `vm` variant rootfs: the shared workstation base + kernel, systemd and DHCP, built once.

Recipe = the base recipe (``images/base/packages.txt``, its wheels and ``finish-rootfs.sh``, so a VM
has the same tools and document libraries as a container) + ``images/vm/packages.txt`` (kernel,
systemd, udev) + ``images/vm/configure.sh`` (fstab, networkd, sshd, initramfs), each run in a
chroot. The result lives in ``$WORLDBUILDER_CACHE/vm/rootfs-<hash>/`` and is created atomically.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from worldbuilder.errors import EngineUnavailable, WorldbuilderError
from worldbuilder.materialize import base_image
from worldbuilder.materialize.paths import IMAGES_DIR, cache_home

SUITE = base_image.SUITE
DEFAULT_MIRROR = "http://deb.debian.org/debian"
RECIPE_DIR = IMAGES_DIR / "vm"
RECIPE_FILES = ("packages.txt", "configure.sh")
BASE_VARIANT = "base"


class VMImageError(WorldbuilderError):
    """The VM rootfs or disk could not be built."""


def read_packages(recipe_dir: Path = RECIPE_DIR) -> list[str]:
    """Base packages + vm packages, in order, without duplicates."""
    lines = (recipe_dir / "packages.txt").read_text().splitlines()
    vm = [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]
    return list(dict.fromkeys(base_image.packages(BASE_VARIANT) + vm))


def recipe_hash(recipe_dir: Path = RECIPE_DIR) -> str:
    """Hash of everything that defines the rootfs (base recipe, vm files, suite, mirror)."""
    h = hashlib.sha256(f"{SUITE}\x1f{mirror()}\x1f{base_image.recipe_hash(BASE_VARIANT)}".encode())
    for name in RECIPE_FILES:
        h.update(name.encode() + b"\x1f" + (recipe_dir / name).read_bytes())
    return h.hexdigest()[:16]


def mirror() -> str:
    return os.environ.get("WORLDBUILDER_APT_MIRROR", DEFAULT_MIRROR)


def rootfs_path(recipe_dir: Path = RECIPE_DIR) -> Path:
    return cache_home() / "vm" / f"rootfs-{recipe_hash(recipe_dir)}"


def _run(cmd: list[str], what: str, timeout: float = 1800) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise VMImageError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")


def ensure_rootfs(recipe_dir: Path = RECIPE_DIR, log=None) -> Path:
    """Return the cached vm rootfs directory, building it with debootstrap when missing."""
    target = rootfs_path(recipe_dir)
    if (target / "boot").is_dir() and (target / ".worldbuilder-vm-rootfs").exists():
        return target
    if shutil.which("debootstrap") is None:
        raise EngineUnavailable("debootstrap is not installed; run scripts/ensure-engine.sh vm")
    if os.geteuid() != 0:
        raise VMImageError("building the vm rootfs needs root (debootstrap, chroot)")
    target.parent.mkdir(parents=True, exist_ok=True)
    if log:
        log(f"building the vm rootfs {target.name} (debootstrap; a few minutes, once per recipe)")
    wheels = base_image.fetch_wheels(BASE_VARIANT)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    os.chmod(tmp, 0o755)  # becomes the VM's "/"
    try:
        _debootstrap(tmp, read_packages(recipe_dir))
        shutil.copytree(wheels, tmp / "tmp" / "wheels")
        shutil.copy2(IMAGES_DIR / "base" / "finish-rootfs.sh", tmp / "tmp" / "finish-rootfs.sh")
        _run(["chroot", str(tmp), "/bin/sh", "/tmp/finish-rootfs.sh"], "vm rootfs finish-rootfs.sh")
        shutil.copy2(recipe_dir / "configure.sh", tmp / "tmp" / "configure.sh")
        _run(["chroot", str(tmp), "/bin/sh", "/tmp/configure.sh"], "vm rootfs configure.sh")
        (tmp / "tmp" / "configure.sh").unlink()
        (tmp / ".worldbuilder-vm-rootfs").write_text(recipe_hash(recipe_dir) + "\n")
        if (target / ".worldbuilder-vm-rootfs").exists():  # another process finished first
            rmtree_rootfs(tmp)
            return target
        rmtree_rootfs(target)
        os.replace(tmp, target)
        for stale in target.parent.glob("rootfs-*"):  # older recipes: 500 MB each
            if stale != target:
                rmtree_rootfs(stale)
    except BaseException:
        rmtree_rootfs(tmp)
        raise
    return target


def rmtree_rootfs(path: Path) -> None:
    """Remove a rootfs tree without crossing into anything mounted inside it."""
    subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=False)


def _debootstrap(dest: Path, packages: list[str]) -> None:
    debs = cache_home() / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(packages)}",
           f"--cache-dir={debs.resolve()}", SUITE, str(dest), mirror()]
    _run(cmd, "debootstrap of the vm rootfs", timeout=3600)


def kernel_files(rootfs: Path) -> tuple[Path, Path]:
    """(vmlinuz, initrd.img) of the newest kernel in ``rootfs/boot``."""
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise VMImageError(f"no kernel in {rootfs}/boot")
    version = kernels[-1].name.removeprefix("vmlinuz-")
    initrd = rootfs / "boot" / f"initrd.img-{version}"
    if not initrd.exists():
        raise VMImageError(f"no initrd for kernel {version} in {rootfs}/boot")
    return kernels[-1], initrd
