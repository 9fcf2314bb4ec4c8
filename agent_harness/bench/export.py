"""``bench export``: computers or runs -> a verified bundle folder (or ``.tar.zst``)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

from agent_harness.bench import archive
from agent_harness.bench.errors import BenchError, KeyMaterialFound
from agent_harness.bench.keyscan import scan_tree
from agent_harness.bench.layers import export_images, sha256_file
from agent_harness.bench.model import MANIFEST, Manifest, TaskEntry, task_dir
from agent_harness.bench.sources import Source, resolve
from agent_harness.objectives import briefing
from worldbuilder import __version__
from worldbuilder.materialize import docker_cli


def task_id(src: Source, taken: set[str]) -> str:
    base = f"{src.spec.id}-day{src.day:02d}".lower()
    tid, n = base, 1
    while tid in taken:
        n += 1
        tid = f"{base}-{n}"
    taken.add(tid)
    return tid


def bundle_tag(src: Source) -> str:
    image_id = docker_cli.out("image", "inspect", "-f", "{{.Id}}", src.image).split(":")[-1]
    return f"worldbuilder/bench-{src.spec.id.lower()}:day-{src.day:02d}-{image_id[:12]}"


def _dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data.model_dump_json(indent=1) if hasattr(data, "model_dump_json") else json.dumps(data, indent=1)
    path.write_text(text + "\n", encoding="utf-8")


def export_bundle(sources: list[Path], out: Path, day: int | None = None, name: str | None = None,
                  version: str = "1", as_archive: bool = False, log=None) -> Manifest:
    """Write a bundle of one task per source at ``out``; nothing appears at ``out`` unless it is complete."""
    out = Path(out)
    if out.exists():
        raise BenchError(f"{out} already exists")
    if not sources:
        raise BenchError("nothing to export (give computer or run directories)")
    resolved = [resolve(p, day) for p in sources]
    tmp = out.with_name(f".{out.name}.tmp-{secrets.token_hex(3)}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise BenchError(f"cannot write {out}: {exc.strerror or exc}") from exc
    try:
        manifest = _write(resolved, tmp, name or out.name.split(".")[0], version, log)
        if as_archive:
            archive.pack(tmp, out)
        else:
            os.replace(tmp, out)
        return manifest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write(resolved: list[Source], root: Path, name: str, version: str, log) -> Manifest:
    taken: set[str] = set()
    ids = [task_id(s, taken) for s in resolved]
    tags = {s.image: bundle_tag(s) for s in resolved}
    images = export_images(tags, root, log=log)
    tasks = []
    for tid, src in zip(ids, resolved, strict=True):
        d = root / task_dir(tid)
        _dump(d / "spec.json", src.spec)
        _dump(d / "briefing.json", briefing(src.objectives, src.spec))
        _dump(d / "grader" / "objectives.json", src.objectives)
        _dump(d / "grader" / "grader.json", src.grader)
        entry = TaskEntry(id=tid, computer_id=src.spec.id, day=src.day,
                          deliverables=[x.id for x in src.objectives.deliverables], image=images.images[src.image])
        _dump(d / "task.json", entry)
        tasks.append(entry)
    hits = scan_tree(root, skip_blobs=False, skip_layers={d for t in tasks for d in t.image.layers})
    if hits:
        raise KeyMaterialFound(f"refusing to export: {hits[0][0]} holds {hits[0][1]}")
    files = {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}
    manifest = Manifest(name=name, version=version, created_by=f"worldbuilder {__version__}",
                        created=datetime.now(UTC).replace(microsecond=0).isoformat(), tasks=tasks, files=files)
    _dump(root / MANIFEST, manifest)
    return manifest
