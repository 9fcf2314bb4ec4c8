"""The computer-directory format: ``spec.json`` (the ComputerSpec), ``tree/`` (the rendered files, with
modification times from the spec) and ``manifest.json`` (sha256 and size of every file).

Every stage that reads a computer directory imports this module (not the :mod:`worldbuilder.api`
facade, which re-exports it), so nothing imports upward.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from worldbuilder.spec import ComputerSpec

SPEC_FILE = "spec.json"
TREE_DIR = "tree"
MANIFEST_FILE = "manifest.json"


def manifest(tree: Path) -> dict[str, dict[str, object]]:
    """sha256 and size of every file under ``tree`` (POSIX relative paths, sorted)."""
    out: dict[str, dict[str, object]] = {}
    for p in sorted(tree.rglob("*")):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            out[p.relative_to(tree).as_posix()] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return out


def load_computer(path: Path) -> tuple[ComputerSpec, Path | None]:
    """Load a computer directory or a bare spec file: (spec, tree or None)."""
    path = Path(path)
    spec = ComputerSpec.load(path)
    tree = path / TREE_DIR if path.is_dir() and (path / TREE_DIR).is_dir() else None
    return spec, tree
