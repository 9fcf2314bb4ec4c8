"""What every Docker image path shares: the labels, the tag scheme, :class:`ImageRef` and its build hash.

The provisioner (:mod:`docker_provision`), the layer fast path (:mod:`docker_layer`) and the public
build/list/remove API (:mod:`docker_image`, which re-exports these names) all build on this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from worldbuilder import __version__
from worldbuilder.computer_dir import MANIFEST_FILE
from worldbuilder.errors import ImageNotFound, WorldbuilderError
from worldbuilder.materialize import docker_sdk, staging
from worldbuilder.materialize.paths import PROVISIONERS_DIR
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


def image_build_hash(spec: ComputerSpec, computer_dir: Path, base: str, pubkey: str, sudo: bool, variant: str,
                spec_hash: str | None = None) -> str:
    h = hashlib.sha256()
    for part in (spec_hash or spec.content_hash(), base, pubkey, str(sudo), variant, __version__):
        h.update(part.encode() + b"\0")
    manifest = computer_dir / MANIFEST_FILE
    h.update(manifest.read_bytes() if manifest.exists() else b"")
    h.update((PROVISIONERS_DIR / "provision.py").read_bytes())
    h.update(Path(staging.__file__).read_bytes())
    for module in (__file__, Path(__file__).with_name("docker_provision.py")):  # the code that builds
        h.update(Path(module).read_bytes())
    return h.hexdigest()


def computer_labels(spec: ComputerSpec, base: str, bhash: str, variant: str, config: dict,
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


def inspect_image(ref: str, cached: bool = False) -> ImageRef:
    info = docker_sdk.image_info(ref)
    if info is None:
        raise ImageNotFound(f"image not found: {ref}")
    labels = info["Config"].get("Labels") or {}
    if f"{LABEL}.computer-id" not in labels:
        raise ImageNotFound(f"{ref} is not a worldbuilder computer image")
    tag = ref if ":" in ref or ref.startswith("sha256") else f"{ref}:latest"
    return ImageRef.from_labels(tag, info["Id"], labels, int(info.get("Size", 0)), cached=cached)
