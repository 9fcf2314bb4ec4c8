"""Per-computer Docker images: ONE thin layer (home + provisioning) over the shared base.

Steps: validate the spec → ensure the base → stage the layer tar → ``docker create`` a container
running the provisioner → ``docker cp -a -`` the tar into it (owners and mtimes preserved) →
``docker start -a`` (provision) → ``docker commit`` with labels and the sshd CMD. The container is
always removed; the tag only appears when every step succeeded. An image whose build-hash label
matches the inputs is reused (cache hit).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from worldbuilder import __version__
from worldbuilder.computer_dir import MANIFEST_FILE
from worldbuilder.errors import ImageNotFound, WorldbuilderError
from worldbuilder.materialize import docker_cli, staging
from worldbuilder.materialize.base_image import ensure_base
from worldbuilder.materialize.keys import ensure_keypair
from worldbuilder.materialize.paths import PROVISIONERS_DIR, cache_home
from worldbuilder.spec import ComputerSpec

LABEL = "org.worldbuilder"
REPO_PREFIX = "worldbuilder/computer-"
CMD = '["/usr/sbin/sshd", "-D", "-e"]'


class ImageBuildError(WorldbuilderError):
    """Provisioning or committing a per-computer image failed."""


@dataclass(frozen=True)
class ImageRef:
    tag: str
    id: str
    computer_id: str
    spec_hash: str
    user: str
    home: str
    variant: str
    size: int  # bytes (whole image)
    cached: bool = False  # True when an existing image was reused

    @classmethod
    def from_labels(cls, tag: str, image_id: str, labels: dict[str, str], size: int, cached: bool = False):
        return cls(tag=tag, id=image_id, computer_id=labels.get(f"{LABEL}.computer-id", ""),
                   spec_hash=labels.get(f"{LABEL}.spec-hash", ""), user=labels.get(f"{LABEL}.user", ""),
                   home=labels.get(f"{LABEL}.home", ""), variant=labels.get(f"{LABEL}.variant", ""),
                   size=size, cached=cached)


def image_tag(computer_id: str, label: str = "latest") -> str:
    return f"{REPO_PREFIX}{computer_id}:{label}"


def _build_hash(spec: ComputerSpec, computer_dir: Path, base: str, pubkey: str, sudo: bool, variant: str,
                spec_hash: str | None = None) -> str:
    h = hashlib.sha256()
    for part in (spec_hash or spec.content_hash(), base, pubkey, str(sudo), variant, __version__):
        h.update(part.encode() + b"\0")
    manifest = computer_dir / MANIFEST_FILE
    h.update(manifest.read_bytes() if manifest.exists() else b"")
    h.update((PROVISIONERS_DIR / "provision.py").read_bytes())
    h.update(Path(staging.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


METHODS = ("layer", "provision")


def default_method() -> str:
    """``WORLDBUILDER_IMAGE_METHOD`` (layer|provision), default ``layer`` (see docker_layer.py)."""
    method = os.environ.get("WORLDBUILDER_IMAGE_METHOD", "layer")
    if method not in METHODS:
        raise ImageBuildError(f"WORLDBUILDER_IMAGE_METHOD must be layer or provision, not {method!r}")
    return method


def build_image(computer_dir: str | Path, variant: str = "base", sudo: bool = False, log=None,
                method: str | None = None, extra_labels: dict[str, str] | None = None) -> ImageRef:
    """Build (or reuse) the image of the computer in ``computer_dir``; returns its reference.

    ``method``: ``layer`` (host-built layer + ``docker load``, falls back to the provisioner when it
    cannot reproduce a computer) or ``provision`` (container runs the provisioner, then commit).
    ``extra_labels`` (``org.worldbuilder.*``, e.g. the fleet that built it) are added to the image.
    """
    computer_dir = Path(computer_dir)
    method = method or default_method()
    if method not in METHODS:
        raise ImageBuildError(f"unknown image build method {method!r} (choose from {', '.join(METHODS)})")
    if method == "layer":
        from worldbuilder.materialize.docker_layer import build_layer_image

        return build_layer_image(computer_dir, variant=variant, sudo=sudo, labels=extra_labels)
    spec, tree = staging.load_computer_for_build(computer_dir, ImageBuildError)
    base = ensure_base(variant, log=log)
    keys = ensure_keypair(spec.id)
    tag = image_tag(spec.id)
    extra = dict(extra_labels or {})
    bhash = _build_hash(spec, computer_dir, base, keys.public, sudo, variant,
                        spec.content_hash() + json.dumps(extra) if extra else None)
    if docker_cli.image_exists(tag) and docker_cli.image_labels(tag).get(f"{LABEL}.build-hash") == bhash:
        return inspect_image(tag, cached=True)
    config = staging.provision_config(spec, keys.public, sudo=sudo)
    labels = {**_labels(spec, base, bhash, variant, config), **extra}
    work = Path(tempfile.mkdtemp(prefix="wb-build-", dir=cache_home()))
    name = f"wb-build-{spec.id}-{secrets.token_hex(3)}"
    try:
        layer = work / "layer.tar"
        staging.write_layer(spec, tree, layer, config)
        _provision_and_commit(name, base, layer, labels, tag)
    finally:
        docker_cli.docker("rm", "-f", name, check=False, timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return inspect_image(tag)


def _labels(spec: ComputerSpec, base: str, bhash: str, variant: str, config: dict,
            spec_hash: str | None = None) -> dict[str, str]:
    return {
        f"{LABEL}.computer-id": spec.id, f"{LABEL}.spec-hash": spec_hash or spec.content_hash(),
        f"{LABEL}.build-hash": bhash, f"{LABEL}.persona": spec.persona[:200],
        f"{LABEL}.tool-version": __version__, f"{LABEL}.user": spec.profile.username,
        f"{LABEL}.home": config["user"]["home"], f"{LABEL}.hostname": config["hostname"],
        f"{LABEL}.layout": spec.layout.kind, f"{LABEL}.mounts": json.dumps(config["mounts"]),
        f"{LABEL}.variant": variant, f"{LABEL}.base": base,
        f"{LABEL}.sudo": "true" if config["user"].get("sudo") else "false",  # boot skips no-new-privileges
        "org.opencontainers.image.title": f"worldbuilder computer {spec.id}",
        "org.opencontainers.image.description": f"{spec.profile.full_name}, {spec.profile.job_title}"[:200],
        "org.opencontainers.image.version": __version__,
        "org.opencontainers.image.base.name": base,
        "org.opencontainers.image.created": spec.world.history_end.isoformat(),
    }


def _provision_and_commit(name: str, base: str, layer: Path, labels: dict[str, str], tag: str) -> None:
    prov = f"/{staging.PROVISION_DIR}"
    script = f"python3 {prov}/provision.py {prov}/computer.json && rm -rf {prov}"
    docker_cli.docker("create", "--name", name, "--network", "none", base, "/bin/sh", "-c", script, timeout=60)
    with open(layer, "rb") as fh:
        docker_cli.docker("cp", "-a", "-", f"{name}:/", stdin=fh, timeout=600)
    proc = docker_cli.docker("start", "-a", name, check=False, timeout=600)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise ImageBuildError(f"provisioning failed: {detail[0]}")
    labels = {**labels, f"{LABEL}.host-key": _host_key(name)}
    changes: list[str] = ["--change", f"CMD {CMD}", "--change", "WORKDIR /"]
    for key, value in labels.items():
        changes += ["--change", f"LABEL {key}={json.dumps(value)}"]
    docker_cli.docker("commit", *changes, name, tag, timeout=600)


def _host_key(container: str) -> str:
    """The computer's sshd ed25519 host public key ("ssh-ed25519 AAAA..."), pinned by clients."""
    raw = docker_cli.docker("cp", f"{container}:/etc/ssh/ssh_host_ed25519_key.pub", "-", timeout=60).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        member = tar.getmembers()[0]
        data = tar.extractfile(member).read().decode()  # type: ignore[union-attr]
    return " ".join(data.split()[:2])


def inspect_image(ref: str, cached: bool = False) -> ImageRef:
    proc = docker_cli.docker("image", "inspect", ref, check=False, timeout=30)
    if proc.returncode != 0:
        raise ImageNotFound(f"image not found: {ref}")
    info = json.loads(proc.stdout)[0]
    labels = info["Config"].get("Labels") or {}
    if f"{LABEL}.computer-id" not in labels:
        raise ImageNotFound(f"{ref} is not a worldbuilder computer image")
    tag = ref if ":" in ref or ref.startswith("sha256") else f"{ref}:latest"
    return ImageRef.from_labels(tag, info["Id"], labels, int(info.get("Size", 0)), cached=cached)


def list_images() -> list[ImageRef]:
    """All per-computer images (every tag: latest and snapshots)."""
    fmt = "{{.Repository}}:{{.Tag}}"
    lines = docker_cli.out("images", "--filter", f"label={LABEL}.computer-id", "--format", fmt).splitlines()
    return [inspect_image(t) for t in sorted(set(lines)) if t.startswith(REPO_PREFIX)]


def resolve_image(ref: str) -> str:
    """Accept a tag, an image id or a bare computer id; return a docker reference."""
    for cand in (ref, image_tag(ref)) if ":" not in ref else (ref,):
        if docker_cli.image_exists(cand):
            return cand
    raise ImageNotFound(f"image not found: {ref} (see `worldbuilder image ls`)")


def remove_image(ref: str) -> None:
    """Remove one image tag (refuses non-worldbuilder images)."""
    tag = resolve_image(ref)
    inspect_image(tag)
    docker_cli.docker("rmi", tag, timeout=120)
