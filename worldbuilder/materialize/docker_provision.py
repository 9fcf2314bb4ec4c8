"""The provisioner path of a per-computer image: ``docker create`` a container running the provisioner →
``docker cp -a -`` the staged layer tar into it (owners and mtimes preserved) → ``docker start -a`` →
``docker commit`` with labels and the sshd CMD. The container is always removed; the tag only appears when
every step succeeded. It handles every computer; :mod:`docker_layer` is the faster path that falls back to it.
"""

from __future__ import annotations

import io
import json
import secrets
import shutil
import tarfile
import tempfile
from pathlib import Path

from worldbuilder.materialize import docker_cli, staging
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
    if docker_cli.image_exists(tag) and docker_cli.image_labels(tag).get(f"{LABEL}.build-hash") == bhash:
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
        docker_cli.docker("rm", "-f", name, check=False, timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return inspect_image(tag)


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
