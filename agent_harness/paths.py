"""Mapping between spec paths (relative to the layout root) and paths inside the computer."""

from __future__ import annotations

import shutil
from pathlib import Path

from worldbuilder.materialize.staging import roots
from worldbuilder.spec import ComputerSpec


def computer_path(spec: ComputerSpec, path: str) -> str:
    """Absolute path inside the computer of a spec file (windows layouts live on /mnt/<drive>)."""
    return roots(spec).to_container(path)


def home_rel(spec: ComputerSpec, path: str) -> str:
    """A spec file's path as the agent sees it: relative to the home when inside it, else absolute."""
    home = roots(spec).home.rstrip("/")
    absolute = computer_path(spec, path)
    return absolute[len(home) + 1:] if absolute.startswith(home + "/") else absolute


def home_of(spec: ComputerSpec) -> str:
    return roots(spec).home


def stage_local(spec: ComputerSpec, tree: Path, root: Path) -> Path:
    """Lay a computer's tree out under ``root`` as the computer's ``/`` (for LocalComputer)."""
    r = roots(spec)
    (root / r.home.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for f in sorted(tree.rglob("*")):
        if f.is_file():
            dest = root / computer_path(spec, f.relative_to(tree).as_posix()).lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
    return root
