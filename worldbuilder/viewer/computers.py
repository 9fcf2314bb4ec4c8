"""Read a computer directory (spec.json, manifest.json, tree/) into what the pages show.

spec.json is read as plain JSON, not through the pydantic model, so a spec written by a newer or
older worldbuilder still displays; missing fields show as blanks.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from worldbuilder.extract import file_type

# The paper's file-type mix (share of files) and the Impressions file-size model (lognormal over bytes).
PAPER_MIX = {"docx": .348, "xlsx": .158, "pdf": .139, "py": .085, "txt": .059, "pptx": .033, "png": .029,
             "json": .024, "md": .023, "toml": .019, "jsonl": .017, "other": .066}
IMPRESSIONS_MU, IMPRESSIONS_SIGMA = 9.48, 2.457


@dataclass
class FileRow:
    path: str  # relative to tree/
    type: str
    size: int
    sha256: str
    modified: str  # ISO time from the spec, '' when unknown
    title: str = ""
    kind: str = ""
    refs: list[str] = field(default_factory=list)


@dataclass
class Computer:
    path: Path
    spec: dict
    files: list[FileRow]  # exactly the manifest's files, sorted by path
    stamp: tuple

    @property
    def profile(self) -> dict:
        return _dict(self.spec.get("profile"))

    @cached_property
    def world(self) -> dict:
        """The world with its entity lists reduced to their mapping entries (a foreign spec cannot break a page)."""
        w = dict(_dict(self.spec.get("world")))
        for key in ("organisations", "people", "projects", "facts"):
            v = w.get(key)
            w[key] = [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []
        return w

    @property
    def tree(self) -> Path:
        return self.path / "tree"

    def type_mix(self) -> list[tuple[str, int]]:
        return Counter(f.type for f in self.files).most_common()

    def file(self, rel: str) -> FileRow | None:
        return self._index().get(rel)

    def _index(self) -> dict[str, FileRow]:
        idx = getattr(self, "_idx", None)
        if idx is None:
            idx = self._idx = {f.path: f for f in self.files}
        return idx

    def names(self) -> dict[str, str]:
        """World id -> display name for people, organisations, projects and facts."""
        w = self.world
        out = {o.get("id", ""): o.get("name", "") for o in w.get("organisations") or []}
        out |= {p.get("id", ""): p.get("name", "") for p in w.get("people") or []}
        out |= {p.get("id", ""): p.get("name", "") for p in w.get("projects") or []}
        out |= {f.get("id", ""): f"{f.get('label', '')}: {f.get('display', '')}" for f in w.get("facts") or []}
        return out

    def citing(self, ref: str) -> list[FileRow]:
        """Files whose content cites world id ``ref`` (the spec's per-file ``refs``)."""
        return [f for f in self.files if ref in f.refs]

    def ref_counts(self) -> Counter:
        return Counter(r for f in self.files for r in f.refs)


def _dict(v: object) -> dict:
    return v if isinstance(v, dict) else {}


def _stamp(d: Path) -> tuple:
    return tuple((d / n).stat().st_mtime_ns if (d / n).exists() else 0 for n in ("spec.json", "manifest.json"))


def _load(d: Path) -> Computer:
    spec = json.loads((d / "spec.json").read_text(encoding="utf-8"))
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or not isinstance(manifest, dict):
        raise ValueError("spec.json and manifest.json must hold JSON objects")
    by_path = {f.get("path"): f for f in spec.get("files") or [] if isinstance(f, dict)}
    rows = []
    for rel, meta in sorted(manifest.items()):
        meta = meta if isinstance(meta, dict) else {}
        fs = by_path.get(rel) or {}
        content = _dict(fs.get("content"))
        rows.append(FileRow(path=rel, type=fs.get("type") or file_type(rel), size=int(meta.get("size") or 0),
                            sha256=str(meta.get("sha256") or ""), modified=str(fs.get("modified") or ""),
                            title=str(content.get("title") or ""), kind=str(content.get("kind") or ""),
                            refs=[str(r) for r in content.get("refs") or [] if isinstance(r, str | int)]))
    return Computer(d, spec, rows, _stamp(d))


_cache: dict[Path, Computer] = {}
_lock = threading.Lock()


def load(d: Path) -> Computer:
    """The computer at ``d``, re-read only when spec.json or manifest.json changed."""
    stamp = _stamp(d)
    with _lock:
        c = _cache.get(d)
    if c is None or c.stamp != stamp:
        c = _load(d)
        with _lock:
            _cache[d] = c
    return c


def build_tree(files: list[FileRow]) -> dict:
    """Nested folders: {"dirs": {name: node}, "files": [FileRow], "size": int, "count": int}."""
    root: dict = {"dirs": {}, "files": [], "size": 0, "count": 0}
    for f in files:
        node = root
        node["size"] += f.size
        node["count"] += 1
        for part in f.path.split("/")[:-1]:
            node = node["dirs"].setdefault(part, {"dirs": {}, "files": [], "size": 0, "count": 0})
            node["size"] += f.size
            node["count"] += 1
        node["files"].append(f)
    return root


def project_timeline(world: dict) -> dict:
    """Projects placed on one time axis (percent offsets) between the earliest start and the latest end."""
    from datetime import date

    def d(s: str) -> date:
        return date.fromisoformat(str(s)[:10])

    def valid(p: dict) -> bool:
        try:
            return d(p["start"]) <= d(p["end"])
        except (KeyError, TypeError, ValueError):
            return False

    projects = [p for p in world.get("projects") or [] if valid(p)]
    if not projects:
        return {"rows": [], "start": "", "end": ""}
    lo = min(d(p["start"]) for p in projects)
    hi = max(d(p["end"]) for p in projects)
    span = max(1, (hi - lo).days)
    rows = []
    for p in projects:
        left = (d(p["start"]) - lo).days / span * 100
        width = max(1.0, (d(p["end"]) - d(p["start"])).days / span * 100)
        ms = []
        for m in p.get("milestones") or []:
            try:
                ms.append({"name": m.get("name", ""), "due": m["due"], "done": m.get("done", False),
                           "left": min(100.0, max(0.0, (d(m["due"]) - lo).days / span * 100))})
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
        rows.append({"p": p, "left": round(left, 2), "width": round(width, 2), "milestones": ms})
    return {"rows": rows, "start": lo.isoformat(), "end": hi.isoformat()}
