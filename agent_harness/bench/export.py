"""``bench export``: computers or runs -> a verified bundle folder (or ``.tar.zst``)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from agent_harness.bench import archive
from agent_harness.bench.errors import BenchError, KeyMaterialFound
from agent_harness.bench.keyscan import scan_tree
from agent_harness.bench.layers import export_images, sha256_file
from agent_harness.bench.model import MANIFEST, Manifest, TaskEntry, task_dir
from agent_harness.bench.single import single_objectives
from agent_harness.bench.sources import Source, resolve
from agent_harness.objectives import briefing
from agent_harness.paths import home_rel
from worldbuilder import __version__
from worldbuilder.computer_dir import TREE_DIR
from worldbuilder.errors import ImageNotFound
from worldbuilder.materialize import docker_sdk


def task_id(src: Source, taken: set[str], deliverable: str | None = None) -> str:
    base = f"{src.spec.id}-day{src.day:02d}".lower() + (f"-{deliverable.replace('_', '-')}" if deliverable else "")
    tid, n = base, 1
    while tid in taken:
        n += 1
        tid = f"{base}-{n}"
    taken.add(tid)
    return tid


def bundle_tag(src: Source) -> str:
    info = docker_sdk.image_info(src.image)
    if info is None:
        raise ImageNotFound(f"image not found: {src.image}")
    image_id = info["Id"].split(":")[-1]
    return f"worldbuilder/bench-{src.spec.id.lower()}:day-{src.day:02d}-{image_id[:12]}"


def copy_sources(src: Source, dest: Path) -> None:
    """The computer's files its deliverables name as sources (the judge quotes them), at their tree paths."""
    if src.computer is None or not (src.computer / TREE_DIR).is_dir():
        return
    tree = src.computer / TREE_DIR
    wanted = {s for d in src.objectives.deliverables for s in d.sources}
    for f in src.spec.files:
        if home_rel(src.spec, f.path) in wanted and (tree / f.path).is_file():
            (dest / f.path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(tree / f.path, dest / f.path)


def _dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data.model_dump_json(indent=1) if hasattr(data, "model_dump_json") else json.dumps(data, indent=1)
    path.write_text(text + "\n", encoding="utf-8")


def split(resolved: list[Source], deliverables: list[str] | None) -> list[Source]:
    """One source per task: as given, or (``deliverables``: ids, or ``all``) one single-deliverable task per
    deliverable of each source that has it (an id no source has is an error)."""
    if not deliverables:
        return resolved
    out = []
    for want in deliverables:
        hits = [(s, d.id) for s in resolved for d in s.objectives.deliverables if want in (d.id, "all")]
        if not hits:
            raise BenchError(f"no exported computer has deliverable {want!r}")
        for src, did in hits:
            one, dropped = single_objectives(src.objectives, did)
            grader = src.grader.model_copy(update={
                "deliverable": did, "dropped": dropped, "reference": None,
                "sim": src.grader.sim.model_copy(update={"days": one.days})})
            out.append(replace(src, objectives=one, grader=grader))
    return out


def export_bundle(sources: list[Path], out: Path, day: int | None = None, name: str | None = None,
                  version: str = "1", as_archive: bool = False, deliverables: list[str] | None = None,
                  log=None) -> Manifest:
    """Write a bundle of one task per source (or per ``deliverables``, see :func:`split`) at ``out``; nothing
    appears at ``out`` unless it is complete."""
    out = Path(out)
    if out.exists():
        raise BenchError(f"{out} already exists")
    if not sources:
        raise BenchError("nothing to export (give computer or run directories)")
    resolved = split([resolve(p, day) for p in sources], deliverables)
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
    ids = [task_id(s, taken, s.grader.deliverable) for s in resolved]
    tags = {s.image: bundle_tag(s) for s in resolved}
    images = export_images(tags, root, log=log)
    tasks = []
    for tid, src in zip(ids, resolved, strict=True):
        d = root / task_dir(tid)
        _dump(d / "spec.json", src.spec)
        _dump(d / "briefing.json", briefing(src.objectives, src.spec))
        _dump(d / "grader" / "objectives.json", src.objectives)
        _dump(d / "grader" / "grader.json", src.grader)
        copy_sources(src, d / "grader" / TREE_DIR)
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
