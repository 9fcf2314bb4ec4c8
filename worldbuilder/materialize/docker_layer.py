"""Fast per-computer images: the one layer is built on the host and loaded with ``docker load``.

For each computer: the home tar (owners and mtimes from the spec, as staging writes it) plus the files
the provisioner would write (:mod:`layer_files`) go into ONE layer tar whose sha256 is its diff_id,
streamed from the source files straight into the archive (:mod:`tar_stream`, no temporary file). An
image config lists the shared base's diff_ids followed by that one, and a docker-archive holding only
the new layers, the configs and ``manifest.json`` is streamed into a single ``docker load``: the daemon
skips layers it already has (the base's), so no container starts and nothing is committed. The archive
goes to the daemon through the Docker SDK (:mod:`docker_sdk`), streamed as it is written. Many
computers go through one ``docker load`` call. A locale the base lacks is generated once per (base,
locale) in a throw-away container (:func:`base_facts.locale_archive`). Computers this path cannot
reproduce raise :class:`NeedsProvisioner` and are built by the provisioner path instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from worldbuilder.materialize import docker_sdk, layer_files, staging, tar_stream
from worldbuilder.materialize.base_facts import base_facts, locale_archive
from worldbuilder.materialize.base_image import base_tag, ensure_base
from worldbuilder.materialize.build_view import load_build_view
from worldbuilder.materialize.docker_provision import provision_image
from worldbuilder.materialize.image_ref import (
    CMD,
    LABEL,
    ImageBuildError,
    ImageRef,
    computer_labels,
    image_build_hash,
    image_tag,
)
from worldbuilder.materialize.keys import ensure_keypair
from worldbuilder.materialize.tar_stream import Source, TarStream
from worldbuilder.spec import ComputerSpec

CONFIG_KEYS = ("User", "Env", "Entrypoint", "ExposedPorts", "Volumes", "StopSignal")


@dataclass
class _Staged:
    tag: str
    layer: TarStream  # produced while the archive streams to the daemon; its sha256 is the diff_id
    labels: dict[str, str]


class _Counting:
    """A write-only file that counts what passes through it."""

    def __init__(self, fh) -> None:
        self.fh, self.n = fh, 0

    def write(self, b: bytes) -> None:
        self.n += len(b)
        self.fh.write(b)


def build_hash(spec: ComputerSpec, computer_dir: Path, base: str, pubkey: str, sudo: bool, variant: str,
               spec_hash: str) -> str:
    h = hashlib.sha256(image_build_hash(spec, computer_dir, base, pubkey, sudo, variant, spec_hash).encode())
    for mod in (layer_files, __import__(__name__, fromlist=["x"])):
        h.update(Path(mod.__file__).read_bytes())
    return h.hexdigest()


Members = list[tuple[tarfile.TarInfo, Source]]


def layer_members(spec: ComputerSpec, tree: Path, cfg: dict, facts: dict) -> tuple[Members, str]:
    """The computer's single layer (the home, then the provisioned files) and the host public key."""
    home: dict[str, tuple[tarfile.TarInfo, Source]] = {}
    for info, path in staging.iter_home(spec, tree):
        info.uname = info.gname = ""
        home[info.name] = (info, path)  # a later entry for the same dir wins, as when extracting
    extra, host_pub = layer_files.provisioned_members(cfg, facts, existing=set(home))
    home_dir = home.get(cfg["user"]["home"].strip("/"))
    if home_dir is not None:  # the provisioner adds entries to the home: its mtime is the build's
        home_dir[0].mtime = extra[-1].info.mtime
    return [*home.values(), *((m.info, m.data) for m in extra)], host_pub


def write_layer(spec: ComputerSpec, tree: Path, cfg: dict, facts: dict, out: Path) -> tuple[str, str]:
    """Write the computer's single layer to ``out``; returns (diff_id, host public key)."""
    members, host_pub = layer_members(spec, tree, cfg, facts)
    with open(out, "wb") as fh:
        return TarStream(members).write_to(fh), host_pub


def image_config(facts: dict, diff_id: str, labels: dict[str, str]) -> bytes:
    """The image config: the base's settings and diff_ids plus our layer, sshd as CMD, our labels."""
    insp = facts["inspect"]
    base_cfg = insp.get("Config") or {}
    conf = {k: base_cfg[k] for k in CONFIG_KEYS if base_cfg.get(k)}
    conf.update(Cmd=json.loads(CMD), WorkingDir="/", Labels=labels)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    base_ids = insp["RootFS"]["Layers"]
    history = [{"created": insp.get("Created", now), "created_by": f"worldbuilder base {labels[f'{LABEL}.base']}"}
               for _ in base_ids]
    history.append({"created": now, "created_by": "worldbuilder layer (home + provisioning, built on the host)"})
    doc = {"architecture": insp.get("Architecture", "amd64"), "os": insp.get("Os", "linux"), "created": now,
           "config": conf, "rootfs": {"type": "layers", "diff_ids": [*base_ids, diff_id]}, "history": history}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class _Batch:
    """What every computer of one ``docker load`` shares."""

    base: str
    facts: dict
    labels: dict[str, dict[str, str]]  # existing images' labels by tag
    variant: str
    sudo: bool
    extra: dict[str, str]  # extra labels (e.g. the fleet that built the image); part of the build hash


def _stage(computer_dir: Path, b: _Batch) -> tuple[_Staged | None, str]:
    """Stage one computer (None when an identical image already exists); returns (staged, tag)."""
    spec, tree = load_build_view(computer_dir, ImageBuildError)
    keys = ensure_keypair(spec.id)
    tag = image_tag(spec.id)
    spec_hash = _spec_hash(spec, computer_dir)
    bhash = build_hash(spec, computer_dir, b.base, keys.public, b.sudo, b.variant, spec_hash + json.dumps(b.extra))
    if b.labels.get(tag, {}).get(f"{LABEL}.build-hash") == bhash:
        return None, tag
    cfg = staging.provision_config(spec, keys.public, sudo=b.sudo)
    members, host_pub = layer_members(spec, tree, cfg, _with_locale(b, cfg.get("locale") or "C.UTF-8"))
    labels = computer_labels(spec, b.base, bhash, b.variant, cfg, spec_hash)
    labels[f"{LABEL}.host-key"] = " ".join(host_pub.split()[:2])
    labels[f"{LABEL}.method"] = "layer"
    labels.update(b.extra)
    return _Staged(tag, TarStream(members), labels), tag


def _with_locale(b: _Batch, locale: str) -> dict:
    """The base facts plus, for a locale the base lacks, its regenerated locale-archive (cached per base)."""
    lang, _, charset = locale.partition(".")
    charset = charset or "UTF-8"
    if f"{lang}.{charset}".lower().replace("-", "") in {x.lower().replace("-", "") for x in b.facts["locales"]}:
        return b.facts
    if lang not in b.facts.get("locale_sources", [lang]):  # localedef would fail: C.UTF-8, no container
        archive = None
    else:
        archive = locale_archive(b.base, b.facts["image_id"], lang, charset)
    return {**b.facts, "locale_archives": {f"{lang}.{charset}": archive if archive is not None else False}}


def _spec_hash(spec: ComputerSpec, computer_dir: Path) -> str:
    """``spec.content_hash()``: the hash of spec.json as saved (same bytes), without re-serialising."""
    path = computer_dir / "spec.json"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else spec.content_hash()


def _existing_labels(tags: list[str]) -> dict[str, dict[str, str]]:
    """Labels of those ``tags`` that exist."""
    return {t: (info["Config"].get("Labels") or {}) for t, info in zip(tags, _inspect(tags), strict=True) if info}


def _write_archive(fileobj, staged: list[_Staged], facts: dict) -> None:
    """A docker-archive with the staged images' own layers and configs (the base's layers are left out).

    Each layer streams from its source files straight into the archive; its config (which names the
    layer's diff_id) follows it."""
    out, now, manifest = _Counting(fileobj), int(time.time()), []
    base_layers = [f"{d.split(':')[1]}/layer.tar" for d in facts["inspect"]["RootFS"]["Layers"]]
    for i, s in enumerate(staged):
        layer_name = f"wb-layer-{i}/layer.tar"  # docker load opens the paths the manifest names
        tar_stream.member(out, layer_name, s.layer.size, now, s.layer.chunks())
        config = image_config(facts, "sha256:" + s.layer.sha.hexdigest(), s.labels)
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        tar_stream.member(out, config_name, len(config), now, config)
        manifest.append({"Config": config_name, "RepoTags": [s.tag], "Layers": [*base_layers, layer_name]})
    data = json.dumps(manifest).encode()
    tar_stream.member(out, "manifest.json", len(data), now, data)
    tar_stream.end(out, out.n)


def docker_load(staged: list[_Staged], facts: dict) -> None:
    """Stream one docker-archive with every staged image into ONE ``docker load`` (Docker SDK): the archive
    is sent as it is written, never held in memory or on disk whole."""
    try:
        docker_sdk.load_written(lambda w: _write_archive(w, staged, facts))
    except (OSError, tarfile.TarError) as exc:  # the writer failed (daemon refusals are DockerError)
        raise ImageBuildError(f"writing the image archive failed: {exc}") from exc


def inspect_tags(tags: list[str]) -> list[dict | None]:
    """``docker image inspect`` of each tag (None where missing), without a CLI process when possible."""
    return _inspect(tags)


def _inspect(tags: list[str]) -> list[dict | None]:
    """``docker image inspect`` of each tag (None where missing), over the SDK's connection pool."""
    return [docker_sdk.image_info(t) for t in tags]


def _base(variant: str) -> tuple[str, str | None]:
    """(tag, image id) of the variant's base, built first if missing."""
    tag = base_tag(variant)
    info = _inspect([tag])[0]
    if info is not None:
        return tag, info["Id"]
    return ensure_base(variant), None


def build_layer_images(computer_dirs: list[Path], variant: str = "base", sudo: bool = False,
                       labels: dict[str, str] | None = None) -> list[ImageRef]:
    """Build (or reuse) the images of many computers with one ``docker load``; refs in input order.

    ``labels`` are added to every image (keys must start with ``org.worldbuilder.``)."""
    extra = dict(labels or {})
    if any(not k.startswith(f"{LABEL}.") for k in extra):
        raise ImageBuildError(f"extra image labels must start with {LABEL}.")
    base, base_image_id = _base(variant)
    wanted = [image_tag(_computer_id(Path(d))) for d in computer_dirs]
    batch = _Batch(base, base_facts(base, base_image_id), _existing_labels(wanted), variant, sudo, extra)
    staged: list[_Staged] = []
    tags: list[str | None] = []
    cached: set[str] = set()
    fallback: list[Path] = []
    for d in computer_dirs:
        try:
            s, tag = _stage(Path(d), batch)
        except layer_files.NeedsProvisioner:
            fallback.append(Path(d))
            tags.append(None)
            continue
        tags.append(tag)
        if s is None:
            cached.add(tag)
        else:
            staged.append(s)
    if staged:
        docker_load(staged, batch.facts)
    slow = iter([provision_image(d, variant=variant, sudo=sudo, extra_labels=extra)
                 for d in fallback])
    fast = iter(inspect_many([t for t in tags if t is not None], cached))
    return [next(fast) if t is not None else next(slow) for t in tags]


def _computer_id(computer_dir: Path) -> str:
    """The computer id from the head of spec.json (a cache lookup only: a miss just rebuilds)."""
    try:
        with open(computer_dir / "spec.json", encoding="utf-8") as fh:
            m = re.search(r'"id":\s*"([A-Za-z0-9_-]{1,64})"', fh.read(4096))
    except OSError:
        return "unknown"
    return m.group(1) if m else "unknown"


def inspect_many(tags: list[str], cached: set[str]) -> list[ImageRef]:
    """ImageRefs of many tags."""
    infos = _inspect(tags)
    missing = [t for t, i in zip(tags, infos, strict=True) if i is None]
    if missing:
        raise ImageBuildError(f"docker load did not create {', '.join(missing)}")
    return [ImageRef.from_labels(tag, info["Id"], info["Config"].get("Labels") or {}, int(info.get("Size", 0)),
                                 cached=tag in cached) for tag, info in zip(tags, infos, strict=True)]


def build_layer_image(computer_dir: Path, variant: str = "base", sudo: bool = False,
                      labels: dict[str, str] | None = None) -> ImageRef:
    """One computer through the fast path."""
    return build_layer_images([computer_dir], variant=variant, sudo=sudo, labels=labels)[0]
