"""Per-computer Docker images: ONE thin layer (home + provisioning) over the shared base.

The public API: :func:`build_image` picks the method (``layer``: :mod:`docker_layer`, the host-built layer
and ``docker load``; ``provision``: :mod:`docker_provision`, a container running the provisioner, then
commit), and lists, resolves and removes images. An image whose build-hash label matches the inputs is
reused (cache hit). The labels, tags and :class:`ImageRef` live in :mod:`image_ref` (re-exported here).
"""

from __future__ import annotations

import os
from pathlib import Path

from worldbuilder.errors import ImageNotFound
from worldbuilder.materialize import docker_sdk
from worldbuilder.materialize.docker_layer import build_layer_image
from worldbuilder.materialize.docker_provision import provision_image
from worldbuilder.materialize.image_ref import (
    CMD,
    LABEL,
    REPO_PREFIX,
    ImageBuildError,
    ImageRef,
    image_tag,
    inspect_image,
)

__all__ = ["CMD", "LABEL", "METHODS", "REPO_PREFIX", "ImageBuildError", "ImageRef", "build_image", "default_method",
           "image_tag", "inspect_image", "list_images", "remove_image", "resolve_image"]

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
        return build_layer_image(computer_dir, variant=variant, sudo=sudo, labels=extra_labels)
    return provision_image(computer_dir, variant=variant, sudo=sudo, log=log, extra_labels=extra_labels)


def list_images() -> list[ImageRef]:
    """All per-computer images (every tag: latest and snapshots)."""
    with docker_sdk.translated("images"):
        found = docker_sdk.api().images(filters={"label": f"{LABEL}.computer-id"})
    tags = {t for img in found for t in img.get("RepoTags") or []}
    return [inspect_image(t) for t in sorted(tags) if t.startswith(REPO_PREFIX)]


def resolve_image(ref: str) -> str:
    """Accept a tag, an image id or a bare computer id; return a docker reference."""
    for cand in (ref, image_tag(ref)) if ":" not in ref else (ref,):
        if docker_sdk.image_exists(cand):
            return cand
    raise ImageNotFound(f"image not found: {ref} (see `worldbuilder image ls`)")


def remove_image(ref: str) -> None:
    """Remove one image tag (refuses non-worldbuilder images)."""
    tag = resolve_image(ref)
    inspect_image(tag)
    with docker_sdk.translated("rmi", subject=tag):
        docker_sdk.api().remove_image(tag)
