"""The provisioner path of a per-computer image: create a container running the provisioner → stream the
staged layer tar into it (``put_archive`` keeping owners and mtimes, as ``docker cp -a -``) → start and wait →
commit with labels and the sshd CMD, all through the Docker SDK. The container is always removed; the tag only appears when
every step succeeded. It handles every computer; :mod:`docker_layer` is the faster path that falls back to it.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path

from worldbuilder.materialize import docker_sdk, staging
from worldbuilder.materialize.base_image import ensure_base
from worldbuilder.materialize.image_ref import (
    CMD,
    LABEL,
    ImageBuildError,
    ImageRef,
    computer_labels,
    image_build_hash,
    image_tag,
    inspect_image,
)
from worldbuilder.materialize.keys import ensure_keypair
from worldbuilder.materialize.paths import cache_home


def provision_image(computer_dir: Path, variant: str = "base", sudo: bool = False, log=None,
                    extra_labels: dict[str, str] | None = None) -> ImageRef:
    """Build (or reuse) the image of ``computer_dir`` by running the provisioner in a container, then commit."""
    spec, tree = staging.load_computer_for_build(computer_dir, ImageBuildError)
    base = ensure_base(variant, log=log)
    keys = ensure_keypair(spec.id)
    tag = image_tag(spec.id)
    extra = dict(extra_labels or {})
    bhash = image_build_hash(spec, computer_dir, base, keys.public, sudo, variant,
                        spec.content_hash() + json.dumps(extra) if extra else None)
    info = docker_sdk.image_info(tag)
    if info is not None and ((info.get("Config") or {}).get("Labels") or {}).get(f"{LABEL}.build-hash") == bhash:
        return inspect_image(tag, cached=True)
    config = staging.provision_config(spec, keys.public, sudo=sudo)
    labels = {**computer_labels(spec, base, bhash, variant, config), **extra}
    work = Path(tempfile.mkdtemp(prefix="wb-build-", dir=cache_home()))
    name = f"wb-build-{spec.id}-{secrets.token_hex(3)}"
    try:
        layer = work / "layer.tar"
        staging.write_layer(spec, tree, layer, config)
        _provision_and_commit(name, base, layer, labels, tag)
    finally:
        docker_sdk.remove_container(name)
        shutil.rmtree(work, ignore_errors=True)
    return inspect_image(tag)


def _provision_and_commit(name: str, base: str, layer: Path, labels: dict[str, str], tag: str) -> None:
    prov = f"/{staging.PROVISION_DIR}"
    script = f"python3 {prov}/provision.py {prov}/computer.json && rm -rf {prov}"
    a = docker_sdk.api()
    with docker_sdk.translated("create", subject=base):
        a.create_container(base, command=["/bin/sh", "-c", script], name=name,
                           host_config=a.create_host_config(network_mode="none"))
    with open(layer, "rb") as fh:  # streamed from the file, never read whole
        docker_sdk.put_archive(name, "/", fh, keep_owners=True)
    with docker_sdk.translated("start", subject=name):
        a.start(name)
        code = a.wait(name, timeout=600)["StatusCode"]
        logs = a.logs(name, stdout=True, stderr=True, tail=5) if code != 0 else b""
    if code != 0:
        detail = logs.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise ImageBuildError(f"provisioning failed: {detail[0]}")
    labels = {**labels, f"{LABEL}.host-key": _host_key(name)}
    changes = [f"CMD {CMD}", "WORKDIR /", *(f"LABEL {k}={json.dumps(v)}" for k, v in labels.items())]
    docker_sdk.commit(name, tag, changes, pause=False)


def _host_key(container: str) -> str:
    """The computer's sshd ed25519 host public key ("ssh-ed25519 AAAA..."), pinned by clients."""
    data = docker_sdk.get_file(container, "/etc/ssh/ssh_host_ed25519_key.pub").decode()
    return " ".join(data.split()[:2])
