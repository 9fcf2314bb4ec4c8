"""Renderers: ContentSpec → file bytes, one module per file type, all deterministic.

``render_file`` renders one FileSpec; ``render_tree`` writes a whole ComputerSpec to a directory
with the spec's modification times on files and folders.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from worldbuilder.render import archive, data, eml, ics, media, media_video, pdf, png, text, times
from worldbuilder.render import docx as docx_renderer
from worldbuilder.render import pptx as pptx_renderer
from worldbuilder.render import xlsx as xlsx_renderer
from worldbuilder.render.base import RenderContext, RenderError, xml_safe
from worldbuilder.spec import FILE_TYPES, ComputerSpec, FileSpec

Renderer = Callable[[FileSpec, RenderContext], bytes]
Progress = Callable[[str, int, int], None]

RENDERERS: dict[str, Renderer] = {
    "docx": docx_renderer.render_docx,
    "xlsx": xlsx_renderer.render_xlsx,
    "pptx": pptx_renderer.render_pptx,
    "pdf": pdf.render_pdf,
    "png": png.render_png,
    "py": text.render_py,
    "txt": text.render_txt,
    "md": text.render_md,
    "json": data.render_json,
    "jsonl": data.render_jsonl,
    "toml": data.render_toml,
    "csv": data.render_csv,
    "eml": eml.render_eml,
    "ics": ics.render_ics,
    "zip": archive.render_zip,
    "jpg": media.render_jpg,
    "mp3": media.render_mp3,
    "vcf": media.render_vcf,
    "mp4": media_video.render_mp4,
    "heic": media_video.render_heic,
}
assert set(RENDERERS) == set(FILE_TYPES)
_XML_TYPES = {"docx", "xlsx", "pptx", "pdf"}

__all__ = ["RENDERERS", "RenderContext", "RenderError", "render_file", "render_tree"]


def _dispatch(file: FileSpec, ctx: RenderContext) -> bytes:
    """Render with the type's renderer; library failures become one-line RenderErrors."""
    if file.exact_copy and file.duplicate_of:  # a "name (1).ext" download: the original's bytes
        return ctx.render(file.duplicate_of)
    try:
        return RENDERERS[file.type](xml_safe(file) if file.type in _XML_TYPES else file, ctx)
    except RenderError:
        raise
    except Exception as exc:  # a library rejected the content
        first = (str(exc).splitlines() or [""])[0][:200]
        raise RenderError(f"cannot render {file.path} ({file.type}): {type(exc).__name__}: {first}") from exc


_TABLE: dict[str, Renderer] = {t: _dispatch for t in FILE_TYPES}


def render_file(file: FileSpec, spec: ComputerSpec, ctx: RenderContext | None = None) -> bytes:
    """Bytes of one file of ``spec`` (zip members and attachments are rendered from ``spec``)."""
    ctx = ctx or RenderContext(spec, _TABLE)
    return ctx.render(file)


def _target(root: Path, rel: str) -> Path:
    parts = rel.split("/")
    if not rel or rel.startswith("/") or ".." in parts or "\\" in rel:
        raise RenderError(f"unsafe path in spec: {rel!r}")
    return root.joinpath(*parts)


def _set_times(path: Path, when: datetime, tz: str) -> None:
    t = times.epoch(when, tz)
    os.utime(path, (t, t), follow_symlinks=False)


def _dir_times(spec: ComputerSpec, root: Path) -> None:
    """Directory mtimes, deepest first: the latest of its own creation and its children's times."""
    tz = spec.profile.timezone
    stamp: dict[str, float] = {d.path.strip("/"): times.epoch(d.created, tz) for d in spec.dirs}
    for f in spec.files:
        t = times.epoch(f.modified, tz)
        parent = posixpath.dirname(f.path)
        while True:
            stamp[parent] = max(stamp.get(parent, t), t)
            if not parent:
                break
            parent = posixpath.dirname(parent)
    for d in list(stamp):
        parent = d
        while parent:
            parent = posixpath.dirname(parent)
            stamp[parent] = max(stamp.get(parent, stamp[d]), stamp[d])
    for rel in sorted(stamp, key=lambda p: (-p.count("/") if p else 1, p)):
        path = root.joinpath(*rel.split("/")) if rel else root
        if path.is_dir():
            os.utime(path, (stamp[rel], stamp[rel]), follow_symlinks=False)


def render_tree(spec: ComputerSpec, root: Path, progress: Progress | None = None) -> None:
    """Create ``spec.dirs`` and every file under ``root``, then set file and folder times."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for d in sorted(spec.dirs, key=lambda d: d.path):
        _target(root, d.path.strip("/")).mkdir(parents=True, exist_ok=True)
    referenced = {p for f in spec.files for p in f.content.members}
    referenced |= {p for f in spec.files if f.content.email for p in f.content.email.attachments}
    referenced |= {f.duplicate_of for f in spec.files if f.exact_copy and f.duplicate_of}
    ctx = RenderContext(spec, _TABLE)
    total = len(spec.files)
    for i, file in enumerate(spec.files, start=1):
        path = _target(root, file.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(ctx.render(file))
        if file.path not in referenced:
            ctx.cache.pop(file.path, None)
        _set_times(path, file.modified, spec.profile.timezone)
        if progress is not None and (i % 10 == 0 or i == total):
            progress("render", i, total)
    _dir_times(spec, root)
