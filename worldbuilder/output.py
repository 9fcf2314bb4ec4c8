"""Atomic output directories: build in a temporary sibling, rename at the end."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from worldbuilder.errors import OutputDirError

COMPUTER_MARKERS = ("spec.json", "manifest.json")  # what makes a folder a computer directory --force may replace


def is_computer_dir(path: Path) -> bool:
    """A folder written by worldbuilder: ``spec.json`` (a JSON object with ``id`` and ``schema_version``)
    and ``manifest.json`` as regular files."""
    import json

    try:
        if not all((path / m).is_file() and not (path / m).is_symlink() for m in COMPUTER_MARKERS):
            return False
        with open(path / "spec.json", encoding="utf-8") as fh:
            head = json.loads(fh.read(64 << 20))
        return isinstance(head, dict) and "id" in head and "schema_version" in head
    except (OSError, ValueError):
        return False


def check_output_dir(out: Path, force: bool) -> None:
    """Refuse an output directory that is not a new folder name, non-empty (``force`` replaces only a
    computer directory), or unwritable."""
    out = Path(out)
    resolved = out.resolve()
    cwd = Path.cwd().resolve()
    if out.name in ("", ".", "..") or resolved == Path(resolved.anchor) or resolved == cwd or resolved in cwd.parents:
        raise OutputDirError(f"refusing to write the computer over {out} (the current folder or one above it); "
                             "give a new folder name")
    if out.is_symlink():
        raise OutputDirError(f"output path is a symbolic link: {out}")
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"output path exists and is not a directory: {out}")
    try:
        non_empty = out.is_dir() and any(out.iterdir())
    except OSError as exc:
        raise OutputDirError(f"cannot read {out}: {exc.strerror}") from exc
    if non_empty and not force:
        raise OutputDirError(f"output directory is not empty: {out} (use --force to replace it)")
    if non_empty and not is_computer_dir(out):
        raise OutputDirError(f"{out} is not a computer directory (no spec.json and manifest.json); --force only "
                             "replaces computer directories")
    parent = resolved.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputDirError(f"cannot create {parent}: {exc.strerror}") from exc
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise OutputDirError(f"output directory is not writable: {parent}")
    try:  # a real probe: root passes os.access even on /proc or a read-only mount
        os.rmdir(tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=parent))
    except OSError as exc:
        raise OutputDirError(f"cannot create a folder in {parent}: {exc.strerror}") from exc


@contextlib.contextmanager
def atomic_dir(out: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory next to ``out``; on success it replaces ``out``.

    On any error the temporary directory is removed and ``out`` is left untouched.
    """
    out = Path(out)
    check_output_dir(out, force)
    parent = out.resolve().parent
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputDirError(f"cannot create a folder in {parent}: {exc.strerror}") from exc
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        replace_dir(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputDirError(f"cannot write {out}: {exc.strerror}") from exc


def replace_dir(tmp: Path, out: Path) -> None:
    """Move the finished directory ``tmp`` to ``out``, replacing an existing ``out`` by two renames (the old
    one is moved aside first, then deleted), so ``out`` is never half old, half new."""
    if out.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.resolve().parent))
        os.replace(out, trash / "old")
        os.replace(tmp, out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, out)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
