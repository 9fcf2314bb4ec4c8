"""Docker images <-> content-addressed blobs (docker-archive layer sets, keys stripped).

Export: one ``docker save`` of every task image (the shared base appears once), then each layer
tar is copied entry by entry into ``blobs/sha256/<digest>`` without key files (host keys, ssh
client keys, authorized_keys, TLS private keys); a layer that still holds a private key or an
API-key value elsewhere stops the export. Each image config is rewritten with the new layer
digests and a CMD that makes host keys at boot. Identical layers (same source layer) become one
blob. Load: a docker-archive is streamed to ``docker load`` straight from the verified blobs.
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
from dataclasses import dataclass, field
from pathlib import Path

from agent_harness.bench.errors import BenchError, KeyMaterialFound
from agent_harness.bench.keyscan import PRIVATE_KEY_RE, env_secrets, is_key_path
from agent_harness.bench.model import ImageSet, blob_path
from worldbuilder.errors import ImageNotFound
from worldbuilder.materialize import docker_sdk

BOOT_CMD = ["/bin/sh", "-c", "ssh-keygen -A >/dev/null 2>&1; mkdir -p /run/sshd; exec /usr/sbin/sshd -D -e"]
DROP_LABELS = ("org.worldbuilder.host-key", "org.worldbuilder.build-hash")
CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def write_blob(root: Path, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    dest = root / blob_path(digest)
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
    return digest


class _HashingWriter:
    def __init__(self, fh):
        self.fh, self.h = fh, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.h.update(data)
        return self.fh.write(data)


def _has_key(data: bytes, extra: list[bytes]) -> bool:
    """Key material in a file of a layer; compiled programs are left out (libgnutls, libcrypto and
    friends carry published self-test keys), API-key values set in this process are looked for everywhere."""
    if any(s in data for s in extra):
        return True
    return data[:4] != b"\x7fELF" and bool(PRIVATE_KEY_RE.search(data))


def sanitize_layer(src, root: Path, where: str) -> tuple[str, list[str]]:
    """Copy the layer tar read from file object ``src`` into a blob under ``root`` without key files; return (digest, dropped)."""
    dropped: list[str] = []
    extra = env_secrets()
    tmp = root / "blobs" / f".layer-{secrets.token_hex(4)}.tmp"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=src, mode="r|") as tin, open(tmp, "wb") as raw:
            out = _HashingWriter(raw)
            with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tout:  # type: ignore[arg-type]
                for m in tin:
                    if is_key_path(m.name):
                        dropped.append(m.name)
                        continue
                    if m.isreg():
                        data = tin.extractfile(m).read()  # type: ignore[union-attr]
                        if _has_key(data, extra):
                            raise KeyMaterialFound(f"refusing to export {where}: /{m.name} holds key material "
                                                   "(remove it from the computer first)")
                        tout.addfile(m, io.BytesIO(data))
                    else:
                        tout.addfile(m)
        digest = "sha256:" + out.h.hexdigest()
        dest = root / blob_path(digest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
        return digest, dropped
    finally:
        tmp.unlink(missing_ok=True)


def _config_blob(raw: dict, layers: list[str], tag: str, root: Path) -> str:
    cfg = json.loads(json.dumps(raw))
    cfg["rootfs"] = {"type": "layers", "diff_ids": layers}
    inner = cfg.setdefault("config", {})
    inner["Cmd"] = BOOT_CMD
    labels = {k: v for k, v in (inner.get("Labels") or {}).items() if k not in DROP_LABELS}
    labels["org.worldbuilder.bench-image"] = tag
    inner["Labels"] = labels
    cfg.pop("container", None)
    cfg.pop("container_config", None)
    return write_blob(root, json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode())


@dataclass
class Exported:
    images: dict[str, ImageSet] = field(default_factory=dict)  # source ref -> image set
    dropped: list[str] = field(default_factory=list)


def export_images(refs: dict[str, str], root: Path, log=None) -> Exported:
    """``docker save`` the images {source ref: bundle tag} and store them as blobs under ``root``."""
    work = Path(tempfile.mkdtemp(prefix=".wb-save-", dir=root))
    result = Exported()
    try:
        archive = work / "images.tar"
        srcs = list(dict.fromkeys(refs))
        ids = {r: _image_id(r) for r in srcs}
        if log:
            log(f"saving {len(srcs)} image(s)")
        with open(archive, "wb") as fh:  # streamed from the daemon
            docker_sdk.save(srcs, fh)
        with tarfile.open(archive, "r:") as tar:
            _store(tar, srcs, ids, refs, root, result, log)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    fh = tar.extractfile(name)
    if fh is None:
        raise BenchError(f"docker save wrote no {name}")
    return fh.read()


def _store(tar: tarfile.TarFile, srcs: list[str], ids: dict[str, str], refs: dict[str, str], root: Path,
           result: Exported, log) -> None:
    manifest = json.loads(_read(tar, "manifest.json"))
    by_config = {e["Config"].removesuffix(".json").split("/")[-1]: e for e in manifest}
    done: dict[str, str] = {}
    for ref in srcs:
        entry = by_config[ids[ref].split(":")[-1]]
        layers = []
        for lp in entry["Layers"]:
            if lp not in done:
                if log:
                    log(f"layer {lp.split('/')[0][:12]} of {ref}")
                done[lp], dropped = sanitize_layer(tar.extractfile(lp), root, ref)
                result.dropped += dropped
            layers.append(done[lp])
        raw = json.loads(_read(tar, entry["Config"]))
        cfg = _config_blob(raw, layers, refs[ref], root)
        result.images[ref] = ImageSet(tag=refs[ref], config=cfg, layers=layers)


def image_loaded(image: ImageSet) -> bool:
    """True when the image (its id is the config digest) is already in the daemon."""
    return docker_sdk.image_exists(image.config)


def _image_id(ref: str) -> str:
    info = docker_sdk.image_info(ref)
    if info is None:
        raise ImageNotFound(f"image not found: {ref}")
    return info["Id"]


def load_image(image: ImageSet, root: Path) -> None:
    """Stream a docker-archive of ``image`` (from verified blobs under ``root``) into ``docker load``."""
    manifest = [{"Config": blob_path(image.config), "RepoTags": [image.tag],
                 "Layers": [blob_path(d) for d in image.layers]}]

    def write(w) -> None:
        with tarfile.open(fileobj=w, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(manifest).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for d in dict.fromkeys([image.config, *image.layers]):
                tar.add(root / blob_path(d), arcname=blob_path(d), recursive=False)

    docker_sdk.load_written(write)
