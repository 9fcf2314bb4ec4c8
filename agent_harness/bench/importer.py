"""``bench import``: open (extract) a bundle, verify every digest, then load and key its images.

Nothing is loaded before the whole bundle verified. Each task image is loaded as its bundle tag
(keys are made at boot) and then keyed for this machine: a network-less container generates host
keys and installs this machine's per-computer public key, and is committed as
``worldbuilder/computer-<id>:bench-<config12>`` — the tag ``bench run`` boots. Importing again
finds both and does nothing. A failure removes every image this import created.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import shutil
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent_harness.bench import archive
from agent_harness.bench.errors import BenchError
from agent_harness.bench.layers import image_loaded, load_image
from agent_harness.bench.model import Manifest, TaskEntry
from agent_harness.bench.verify import verify
from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize import docker_sdk
from worldbuilder.materialize.docker_image import CMD, LABEL, image_tag
from worldbuilder.materialize.keys import ensure_keypair
from worldbuilder.materialize.paths import cache_home


@contextmanager
def opened(bundle: Path) -> Iterator[tuple[Path, Manifest]]:
    """Yield (folder, verified manifest) of a bundle folder or archive (extracted to a temp folder)."""
    bundle = Path(bundle)
    if not bundle.exists():
        raise BenchError(f"bundle not found: {bundle}")
    if bundle.is_dir():
        yield bundle, verify(bundle)
        return
    if not archive.is_archive(bundle):
        raise BenchError(f"{bundle} is neither a bundle folder nor a .tar.zst bundle")
    root = archive.extract(bundle, cache_home() / "bench-tmp")
    try:
        yield root, verify(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def runtime_tag(task: TaskEntry) -> str:
    return image_tag(task.computer_id, f"bench-{task.image.config.split(':')[1][:12]}")


def import_bundle(bundle: Path, log=None) -> dict[str, str]:
    """Import every task image of ``bundle``; return {task id: bootable image tag}."""
    with opened(bundle) as (root, manifest):
        return install_tasks(root, manifest, manifest.tasks, log=log)


def install_tasks(root: Path, manifest: Manifest, tasks: list[TaskEntry], log=None) -> dict[str, str]:
    docker_sdk.ensure_daemon()
    created: list[str] = []
    try:
        return {t.id: _install(root, t, created, log) for t in tasks}
    except BaseException:
        for ref in reversed(created):
            try:
                with docker_sdk.translated("rmi", subject=ref):
                    docker_sdk.api().remove_image(ref, force=True)
            except WorldbuilderError:
                pass
        raise


def _install(root: Path, task: TaskEntry, created: list[str], log) -> str:
    img = task.image
    if not image_loaded(img):
        if log:
            log(f"loading {img.tag}")
        load_image(img, root)
        created.append(img.tag)
    elif not docker_sdk.image_exists(img.tag) or _id(img.tag) != img.config:
        docker_sdk.tag(img.config, img.tag)
        created.append(img.tag)
    if _id(img.tag) != img.config:
        raise BenchError(f"task {task.id}: the loaded image's id does not match its config digest")
    tag = runtime_tag(task)
    keys = ensure_keypair(task.computer_id)
    fingerprint = hashlib.sha256(keys.public.encode()).hexdigest()[:16]
    if docker_sdk.image_exists(tag):
        labels = docker_sdk.image_labels(tag)
        if labels.get(f"{LABEL}.bench-source") == img.config and labels.get(f"{LABEL}.bench-key") == fingerprint:
            return tag
    _key(img.tag, tag, keys.public, {f"{LABEL}.bench-source": img.config, f"{LABEL}.bench-key": fingerprint})
    created.append(tag)
    return tag


def _id(ref: str) -> str:
    return (docker_sdk.image_info(ref) or {}).get("Id", "")


def _key(src: str, tag: str, pubkey: str, labels: dict[str, str]) -> None:
    """Commit ``src`` + fresh host keys + this machine's public key (authorized_keys) as ``tag``."""
    info = docker_sdk.image_labels(src)
    user, home = info.get(f"{LABEL}.user"), info.get(f"{LABEL}.home")
    if not user or not home:
        raise BenchError(f"{src} is not a worldbuilder computer image (no user/home labels)")
    name = f"wb-bench-key-{secrets.token_hex(4)}"
    script = (f"ssh-keygen -A >/dev/null && install -d -m 700 -o {user} -g $(id -g {user}) {home}/.ssh && "
              f"cat /tmp/wb-authorized-keys > {home}/.ssh/authorized_keys && rm /tmp/wb-authorized-keys && "
              f"chown {user}:$(id -g {user}) {home}/.ssh/authorized_keys && chmod 600 {home}/.ssh/authorized_keys")
    a = docker_sdk.api()
    try:
        with docker_sdk.translated("create", subject=src):
            a.create_container(src, command=["/bin/sh", "-c", script], name=name, user="0",
                               host_config=a.create_host_config(network_mode="none"))
        docker_sdk.put_archive(name, "/tmp", _one_file_tar("wb-authorized-keys", pubkey + "\n"), keep_owners=False)
        with docker_sdk.translated("start", subject=name):
            a.start(name)
            code = a.wait(name, timeout=300)["StatusCode"]
            logs = a.logs(name, stdout=True, stderr=True, tail=5) if code != 0 else b""
        if code != 0:
            detail = logs.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise BenchError(f"keying {src} failed: {detail[0]}")
        labels = {**labels, f"{LABEL}.host-key": _host_key(name)}
        docker_sdk.commit(name, tag, [f"CMD {CMD}", *(f"LABEL {k}={json.dumps(v)}" for k, v in labels.items())],
                          pause=False)
    finally:
        docker_sdk.remove_container(name)


def _one_file_tar(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    data = text.encode()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o600
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _host_key(container: str) -> str:
    data = docker_sdk.get_file(container, "/etc/ssh/ssh_host_ed25519_key.pub").decode()
    return " ".join(data.split()[:2])
