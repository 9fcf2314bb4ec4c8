"""Hand-made benchmark bundles (no Docker): a valid one, and the bad archives import must reject."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import zstandard

from agent_harness.bench.model import (
    MANIFEST,
    GraderConfig,
    ImageSet,
    Manifest,
    SimSettings,
    TaskEntry,
    blob_path,
)


def _put(root: Path, rel: str, data: bytes) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def _blob(root: Path, data: bytes) -> str:
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    _put(root, blob_path(d), data)
    return d


def make_bundle(root: Path, tasks: int = 2) -> Manifest:
    """A structurally valid bundle whose "images" are small stand-in blobs (verify never parses them)."""
    base = _blob(root, b"base-layer" * 1000)
    entries = []
    for i in range(tasks):
        tid = f"t{i}-day00"
        top = _blob(root, f"top-layer-{i}".encode() * 100)
        cfg = _blob(root, json.dumps({"task": i}).encode())
        for rel, data in (("task.json", b"{}"), ("spec.json", b"{}"), ("briefing.json", b"{}"),
                          ("grader/objectives.json", b"{}"),
                          ("grader/grader.json", GraderConfig(sim=SimSettings(days=2, turns_per_day=5))
                           .model_dump_json().encode())):
            _put(root, f"tasks/{tid}/{rel}", data)
        entries.append(TaskEntry(id=tid, computer_id=f"c{i}", day=0, deliverables=["dlv_001"],
                                 image=ImageSet(tag=f"worldbuilder/bench-c{i}:day-00", config=cfg, layers=[base, top])))
    files = {p.relative_to(root).as_posix(): "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(root.rglob("*")) if p.is_file()}
    m = Manifest(name="fake", version="1", created_by="test", created="2026-01-01T00:00:00+00:00",
                 tasks=entries, files=files)
    (root / MANIFEST).write_text(m.model_dump_json(indent=1))
    return m


def write_tar_zst(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    """A .tar.zst holding exactly ``members`` (names and link targets as given, unchecked)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    path.write_bytes(zstandard.ZstdCompressor().compress(buf.getvalue()))
    return path


def file_member(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def link_member(name: str, target: str, hard: bool = False) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info, None
