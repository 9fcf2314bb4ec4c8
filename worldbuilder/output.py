"""Atomic output directories: build in a temporary sibling, rename at the end."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from worldbuilder.errors import OutputDirError


def check_output_dir(out: Path, force: bool) -> None:
    """Refuse a non-empty or unwritable output directory (unless ``force`` for non-empty)."""
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"output path exists and is not a directory: {out}")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputDirError(f"output directory is not empty: {out} (use --force to replace it)")
    parent = out.resolve().parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputDirError(f"cannot create {parent}: {exc.strerror}") from exc
    if not os.access(parent, os.W_OK):
        raise OutputDirError(f"output directory is not writable: {parent}")


@contextlib.contextmanager
def atomic_dir(out: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory next to ``out``; on success it replaces ``out``.

    On any error the temporary directory is removed and ``out`` is left untouched.
    """
    out = Path(out)
    check_output_dir(out, force)
    parent = out.resolve().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
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
