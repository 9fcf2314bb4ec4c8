"""Resolve a requested relative path inside one root directory, or refuse it.

Refused: empty, absolute, drive-letter or backslash paths, ``..`` and NUL anywhere, and anything whose
real path (symlinks resolved) leaves the root. The caller turns :class:`Refused` into 403 and a missing
file into 404; neither response ever carries file content.
"""

from __future__ import annotations

from pathlib import Path


class Refused(Exception):
    """The requested path is outside the root (traversal, absolute path or escaping symlink)."""


def resolve_inside(root: Path, rel: str) -> Path:
    """The real path of ``root/rel`` if it lies inside ``root``; raises :class:`Refused` otherwise.

    The path need not exist (callers check that and answer 404)."""
    if not rel or "\x00" in rel or "\\" in rel or rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        raise Refused(rel)
    parts = rel.split("/")
    if any(p in ("..", ".") for p in parts):
        raise Refused(rel)
    base = root.resolve()
    target = (base / rel).resolve()
    if target != base and not target.is_relative_to(base):
        raise Refused(rel)
    return target
