"""Shared base images (``base``: Debian bookworm workstation, ``office``: + LibreOffice headless).

Built once per recipe and tagged by its hash (``worldbuilder/base:<hash12>``), so every computer
reuses it. Two paths produce the same filesystem:

* ``debootstrap`` (default when no registry answers): ``debootstrap --variant=minbase`` into a
  temporary rootfs with the apt cache kept in ``$WORLDBUILDER_CACHE/debs``; wheels fetched on the
  host are installed inside a chroot; the rootfs is tarred (kept, for the VM backend) and loaded
  with ``docker import`` as ONE layer.
* ``registry``: ``docker build`` of ``images/base/Dockerfile`` FROM ``debian:bookworm``.

``WORLDBUILDER_BASE_SOURCE=auto|debootstrap|registry`` chooses (auto tries a bounded pull first).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

from worldbuilder.errors import EngineUnavailable, WorldbuilderError
from worldbuilder.materialize import docker_sdk
from worldbuilder.materialize.paths import IMAGES_DIR, cache_home

Variant = Literal["base", "office"]
VARIANTS: tuple[str, ...] = ("base", "office")
RECIPE_VERSION = "1"
SUITE = "bookworm"
REGISTRY_IMAGE = "debian:bookworm"
PULL_TIMEOUT = 25.0
CMD = '["/usr/sbin/sshd", "-D", "-e"]'


class BaseImageError(WorldbuilderError):
    """The shared base image could not be built."""


def _recipe_files(variant: str) -> list[Path]:
    if variant not in VARIANTS:
        raise BaseImageError(f"unknown image variant {variant!r} (choose from {', '.join(VARIANTS)})")
    files = [IMAGES_DIR / "base" / n for n in ("packages.txt", "requirements.txt", "finish-rootfs.sh", "Dockerfile")]
    if variant == "office":
        files.append(IMAGES_DIR / "office" / "packages.txt")
    return files


def packages(variant: str) -> list[str]:
    """The Debian packages of a variant (base list, plus office extras)."""
    out: list[str] = []
    for f in _recipe_files(variant):
        if f.name == "packages.txt":
            out += [ln.strip() for ln in f.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    return out


def recipe_hash(variant: str) -> str:
    """Hash of everything that defines the base: package list, recipe files, wheel pins, suite."""
    h = hashlib.sha256(f"{RECIPE_VERSION}\0{variant}\0{SUITE}\0".encode())
    for f in _recipe_files(variant):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def base_tag(variant: str = "base") -> str:
    return f"worldbuilder/{variant}:{recipe_hash(variant)}"


def ensure_base(variant: str = "base", source: str | None = None, log=None) -> str:
    """Return the tag of the variant's base image, building it first if it does not exist."""
    tag = base_tag(variant)
    docker_sdk.ensure_daemon()
    if docker_sdk.image_exists(tag):
        return tag
    source = source or os.environ.get("WORLDBUILDER_BASE_SOURCE", "auto")
    if source not in ("auto", "debootstrap", "registry"):
        raise BaseImageError(f"WORLDBUILDER_BASE_SOURCE must be auto, debootstrap or registry, not {source!r}")
    if source == "registry" or (source == "auto" and _registry_available()):
        _build_from_registry(variant, tag)
    else:
        tarball = rootfs_tarball(variant, log=log)
        _import(tarball, tag, variant)
    return tag


def _registry_available() -> bool:
    if docker_sdk.image_exists(REGISTRY_IMAGE):
        return True
    try:
        docker_sdk.pull(REGISTRY_IMAGE, timeout=PULL_TIMEOUT)
    except WorldbuilderError:
        return False
    return True


def fetch_wheels(variant: str = "base") -> Path:
    """Download the pinned wheels (and pip) for CPython 3.11 manylinux into the cache."""
    req = IMAGES_DIR / "base" / "requirements.txt"
    dest = cache_home() / "wheels" / hashlib.sha256(req.read_bytes()).hexdigest()[:12]
    if (dest / ".complete").exists():
        return dest
    tmp = Path(tempfile.mkdtemp(prefix=".wheels-", dir=dest.parent if dest.parent.exists() else None))
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:",
           "--python-version", "3.11", "--implementation", "cp", "--platform", "manylinux2014_x86_64",
           "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux_2_28_x86_64",
           "-d", str(tmp), "-r", str(req), "pip"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BaseImageError(f"pip download failed: {proc.stderr.strip().splitlines()[-1:]}")
    shutil.copy(req, tmp / "requirements.txt")
    (tmp / ".complete").touch()
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    return dest


def rootfs_tarball(variant: str = "base", log=None) -> Path:
    """The finished rootfs of a variant as a tar (cached by recipe hash; reused by the VM backend)."""
    dest = cache_home() / "rootfs" / f"{variant}-{recipe_hash(variant)}.tar"
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise EngineUnavailable(f"{tool} is not installed; run scripts/ensure-engine.sh build")
    wheels = fetch_wheels(variant)
    work = Path(tempfile.mkdtemp(prefix=f".rootfs-{variant}-", dir=dest.parent))
    try:
        root = work / "root"
        _debootstrap(variant, root, log)
        shutil.copytree(wheels, root / "tmp" / "wheels")
        shutil.copy(IMAGES_DIR / "base" / "finish-rootfs.sh", root / "tmp" / "finish-rootfs.sh")
        _run(["chroot", str(root), "/bin/sh", "/tmp/finish-rootfs.sh"], "finishing the rootfs")
        part = work / "rootfs.tar"
        _run(["tar", "-C", str(root), "--numeric-owner", "--xattrs", "-cf", str(part), "."], "tarring the rootfs")
        os.replace(part, dest)
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)
    return dest


def _debootstrap(variant: str, root: Path, log) -> None:
    debs = cache_home() / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    mirror = os.environ.get("WORLDBUILDER_APT_MIRROR", "http://deb.debian.org/debian")
    if log:
        log(f"debootstrap {SUITE} ({variant}, {len(packages(variant))} packages) from {mirror}")
    _run(["debootstrap", "--variant=minbase", f"--include={','.join(packages(variant))}",
          f"--cache-dir={debs.resolve()}", SUITE, str(root), mirror], "debootstrap", timeout=3600)


def _run(cmd: list[str], what: str, timeout: float = 1800) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BaseImageError(f"{what} failed: {tail[0]}")


def _labels(variant: str) -> list[str]:
    return [f"org.worldbuilder.base-variant={variant}", f"org.worldbuilder.recipe-hash={recipe_hash(variant)}",
            "org.opencontainers.image.title=worldbuilder " + variant,
            "org.opencontainers.image.base.name=debian:bookworm"]


def _import(tarball: Path, tag: str, variant: str) -> None:
    changes = [f"CMD {CMD}", *(f'LABEL {k}="{v}"' for k, v in (lb.split("=", 1) for lb in _labels(variant)))]
    with open(tarball, "rb") as fh:  # streamed from the file into the daemon
        docker_sdk.import_image(fh, tag, changes)


def _build_from_registry(variant: str, tag: str) -> None:
    ctx = Path(tempfile.mkdtemp(prefix=".base-ctx-", dir=cache_home()))
    try:
        shutil.copytree(fetch_wheels(variant), ctx / "wheels")
        (ctx / "packages.txt").write_text("\n".join(packages(variant)) + "\n")
        shutil.copy(IMAGES_DIR / "base" / "finish-rootfs.sh", ctx / "finish-rootfs.sh")
        shutil.copy(IMAGES_DIR / "base" / "Dockerfile", ctx / "Dockerfile")
        labels = dict(lb.split("=", 1) for lb in _labels(variant))
        docker_sdk.build(ctx, tag, labels, {"BASE": REGISTRY_IMAGE})
    finally:
        shutil.rmtree(ctx, ignore_errors=True)
