"""Move computer and snapshot images through a standard (Docker Distribution) registry.

``push`` tags a local image as ``HOST:PORT/<repo>:<tag>``, pushes it and drops that extra tag;
``pull`` does the reverse and refuses images that are not worldbuilder computers. A bare computer id
means every tag of that computer (its image and all its snapshots). Plain HTTP is used only for
loopback registries (Docker's default insecure range 127.0.0.0/8); others need TLS.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from worldbuilder.errors import ImageNotFound, WorldbuilderError
from worldbuilder.materialize import docker_sdk
from worldbuilder.materialize.docker_image import LABEL, REPO_PREFIX, resolve_image

REGISTRY_RE = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


class RegistryError(WorldbuilderError):
    """A registry is unreachable or refused an image."""


@dataclass(frozen=True)
class Moved:
    local: str
    remote: str
    digest: str


def check_registry(registry: str) -> str:
    if not REGISTRY_RE.match(registry or ""):
        raise RegistryError(f"invalid registry {registry!r} (expected HOST:PORT)")
    return registry


def _scheme(registry: str) -> str:
    host = registry.split(":")[0]
    return "http" if host in ("localhost", "127.0.0.1") or host.startswith("127.") else "https"


def remote_tags(registry: str, repo: str) -> list[str]:
    """Tags of ``repo`` in the registry (empty when the repository does not exist)."""
    url = f"{_scheme(registry)}://{registry}/v2/{repo}/tags/list"
    try:
        with urllib.request.urlopen(url, timeout=20) as resp:
            return sorted(json.loads(resp.read()).get("tags") or [])
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise RegistryError(f"registry {registry} answered {exc.code} for {repo}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise RegistryError(f"registry {registry} is unreachable ({getattr(exc, 'reason', exc)})") from exc


def _local_refs(ref: str) -> list[str]:
    if ":" in ref or "/" in ref:
        return [resolve_image(ref)]
    with docker_sdk.translated("images"):
        found = docker_sdk.api().images(name=f"{REPO_PREFIX}{ref}")
    tags = sorted({t for img in found for t in img.get("RepoTags") or [] if not t.endswith(":<none>")})
    if not tags:
        raise ImageNotFound(f"no images of computer {ref} (see `worldbuilder image ls`)")
    return tags


def push(ref: str, registry: str) -> list[Moved]:
    """Push an image tag, or every tag of a computer id, to ``registry``."""
    check_registry(registry)
    moved = []
    for local in _local_refs(ref):
        if LABEL + ".computer-id" not in docker_sdk.image_labels(local):
            raise RegistryError(f"{local} is not a worldbuilder computer image")
        remote = f"{registry}/{local}"
        docker_sdk.tag(local, remote)
        try:
            digest = docker_sdk.push(remote)
        except WorldbuilderError as exc:
            raise RegistryError(f"push of {local} to {registry} failed: {exc}") from exc
        finally:
            _untag(remote)
        moved.append(Moved(local, remote, digest))
    return moved


def _untag(remote: str) -> None:
    """Drop the registry-qualified tag (``docker rmi`` of a tag: the image stays under its local tag)."""
    try:
        with docker_sdk.translated("rmi"):
            docker_sdk.api().remove_image(remote)
    except WorldbuilderError:
        pass


def pull(ref: str, registry: str) -> list[Moved]:
    """Pull an image (``worldbuilder/computer-<id>:<tag>``), or every tag of a computer id, from ``registry``."""
    check_registry(registry)
    if ":" in ref or "/" in ref:
        locals_ = [ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"]
    else:
        repo = f"{REPO_PREFIX}{ref}"
        locals_ = [f"{repo}:{t}" for t in remote_tags(registry, repo)]
        if not locals_:
            raise ImageNotFound(f"registry {registry} has no images of computer {ref}")
    moved = []
    for local in locals_:
        remote = f"{registry}/{local}"
        try:
            digest = docker_sdk.pull(remote)
        except WorldbuilderError as exc:
            raise RegistryError(f"pull of {remote} failed: {exc}") from exc
        try:
            if LABEL + ".computer-id" not in docker_sdk.image_labels(remote):
                raise RegistryError(f"{remote} is not a worldbuilder computer image; not tagged locally")
            docker_sdk.tag(remote, local)
        finally:
            _untag(remote)
        moved.append(Moved(local, remote, digest))
    return moved
