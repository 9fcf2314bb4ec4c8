"""Find the computers, runs and fleets under the directories given to ``worldbuilder serve``.

A *computer* dir holds spec.json + tree/ + manifest.json; a *run* dir objectives.json and
daily_sim_turns.jsonl (or run.json); a *fleet* dir fleet.json + manifest.jsonl. A root may be any of
these or a folder containing them (searched a few levels deep, never inside a computer's tree/).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("computer", "run", "fleet")
MAX_DEPTH = 5
SKIP_DIRS = {"tree", "deliverables", "state", "local", "node_modules", "__pycache__"}


@dataclass(frozen=True)
class Item:
    kind: str  # computer | run | fleet
    id: str  # url-safe, stable for a path
    path: Path  # resolved directory

    @property
    def name(self) -> str:
        return self.path.name


def classify(d: Path) -> str | None:
    """``computer``, ``run``, ``fleet`` or None for a plain folder."""
    if (d / "spec.json").is_file() and (d / "manifest.json").is_file() and (d / "tree").is_dir():
        return "computer"
    if (d / "fleet.json").is_file() and (d / "manifest.jsonl").is_file():
        return "fleet"
    if (d / "objectives.json").is_file() and ((d / "daily_sim_turns.jsonl").is_file() or (d / "run.json").is_file()):
        return "run"
    return None


def item_id(path: Path) -> str:
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", path.name).strip("-")[:40] or "root"
    return f"{slug}-{hashlib.sha1(str(path).encode()).hexdigest()[:6]}"


def discover(roots: list[Path]) -> list[Item]:
    """Every computer, run and fleet at or below ``roots`` (breadth first, sorted by kind then path)."""
    found: dict[Path, Item] = {}
    queue = [(Path(r).resolve(), 0) for r in roots]
    while queue:
        d, depth = queue.pop(0)
        if d in found or not d.is_dir():
            continue
        kind = classify(d)
        if kind:
            found[d] = Item(kind, item_id(d), d)
        if depth >= MAX_DEPTH or kind == "run":
            continue
        try:
            subs = sorted(p for p in d.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            continue
        for sub in subs:
            if sub.name.startswith(".") or sub.name in SKIP_DIRS:
                continue
            queue.append((sub, 1 if kind == "fleet" else depth + 1))  # a fleet's jobs/ is searched in full
    return sorted(found.values(), key=lambda i: (KINDS.index(i.kind), str(i.path)))


@dataclass
class Catalog:
    """The discovered items, rescanned at most every ``ttl`` seconds (new runs appear while serving)."""

    roots: list[Path]
    ttl: float = 5.0
    _items: list[Item] = field(default_factory=list)
    _at: float = -1e9
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def items(self, kind: str | None = None) -> list[Item]:
        with self._lock:
            if time.monotonic() - self._at > self.ttl:
                self._items = discover(self.roots)
                self._at = time.monotonic()
            items = self._items
        return [i for i in items if kind is None or i.kind == kind]

    def get(self, kind: str, iid: str) -> Item | None:
        return next((i for i in self.items(kind) if i.id == iid), None)

    def by_path(self, path: Path) -> Item | None:
        p = path.resolve()
        return next((i for i in self.items() if i.path == p), None)
