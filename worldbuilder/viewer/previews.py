"""File previews: office files and PDFs as HTML, images inline, text and code highlighted, eml/ics as
messages and events, and a text fallback (worldbuilder.extract) for anything else or anything that fails.

Preview HTML is cached in memory (bounded LRU keyed by the file's sha256); LibreOffice page images are
cached on disk under the cache dir, keyed by sha256 as well.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from html import escape
from pathlib import Path

from worldbuilder.extract import extract_text, file_type
from worldbuilder.viewer import messages, office_html

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
               "webp": "image/webp"}
OFFICE_TYPES = {"docx", "xlsx", "pptx", "pdf", "odt", "ods", "odp", "doc", "xls", "ppt"}
MAX_TEXT = 400_000
HTML_MAKERS = {"docx": office_html.docx_html, "xlsx": office_html.xlsx_html, "pptx": office_html.pptx_html,
               "eml": messages.eml_html, "ics": messages.ics_html}


@dataclass
class Preview:
    kind: str  # html | image | code | text
    html: str  # escaped / generated markup, safe to embed
    note: str = ""  # e.g. "text fallback: <reason>"


def _code_html(name: str, data: bytes) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_for_filename
    from pygments.util import ClassNotFound

    text = data[:MAX_TEXT].decode("utf-8", errors="replace")
    try:
        lexer = get_lexer_for_filename(name, stripnl=False)
    except ClassNotFound:
        lexer = TextLexer()
    return highlight(text, lexer, HtmlFormatter(cssclass="hl", linenos=False))


def _pdf_html(data: bytes) -> str:
    import io
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    pages = [f"<div class='page'><div class='slideno'>Page {n}</div><pre>{escape(p.extract_text() or '')}</pre></div>"
             for n, p in enumerate(reader.pages[:50], 1)]
    return f"<div class='pdf'>{''.join(pages)}</div>"


def make_preview(name: str, data: bytes, raw_url: str) -> Preview:
    """The preview of file ``name`` with bytes ``data``; ``raw_url`` serves the bytes (for images)."""
    kind = file_type(name)
    if kind in IMAGE_TYPES:
        return Preview("image", f"<img class='inline' src='{escape(raw_url)}' alt='{escape(name)}'>")
    try:
        if kind == "pdf":
            return Preview("html", _pdf_html(data))
        if kind in HTML_MAKERS:
            return Preview("html", HTML_MAKERS[kind](data))
        if kind in ("zip",) or b"\x00" in data[:4096]:
            text = extract_text(name, data)
            return Preview("text", f"<pre>{escape(text[:MAX_TEXT])}</pre>")
        return Preview("code", _code_html(name, data))
    except Exception as exc:  # noqa: BLE001 - a broken file falls back to its extracted text
        text = extract_text(name, data) or data[:MAX_TEXT].decode("utf-8", errors="replace")
        return Preview("text", f"<pre>{escape(text[:MAX_TEXT])}</pre>",
                       note=f"text fallback: {type(exc).__name__}: {str(exc)[:200]}")


class PreviewCache:
    """Bounded in-memory LRU of previews keyed by (sha256, raw url)."""

    def __init__(self, size: int = 256):
        self.size = size
        self._d: OrderedDict[tuple[str, str], Preview] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, path: Path, name: str, raw_url: str, sha256: str = "") -> Preview:
        data = path.read_bytes()
        key = (sha256 or hashlib.sha256(data).hexdigest(), raw_url)
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                self.hits += 1
                return self._d[key]
            self.misses += 1
        p = make_preview(name, data, raw_url)
        with self._lock:
            self._d[key] = p
            while len(self._d) > self.size:
                self._d.popitem(last=False)
        return p


class OfficeRenderer:
    """First-page PNG of an office file or PDF via LibreOffice headless, cached on disk by sha256."""

    def __init__(self, cache_dir: Path, timeout: float = 120.0):
        self.cache_dir = Path(cache_dir)
        self.timeout = timeout
        self.soffice = shutil.which("soffice") or shutil.which("libreoffice")
        self._lock = threading.Lock()  # one soffice at a time (shared profile, 2-core machines)

    @property
    def available(self) -> bool:
        return self.soffice is not None

    def render(self, path: Path) -> Path | None:
        if not self.available or file_type(path.name) not in OFFICE_TYPES:
            return None
        data = path.read_bytes()
        out = self.cache_dir / "pages" / f"{hashlib.sha256(data).hexdigest()}.png"
        if out.exists():
            return out
        with self._lock, tempfile.TemporaryDirectory(prefix="wb-view-") as tmp:
            if out.exists():
                return out
            src = Path(tmp) / f"in.{file_type(path.name)}"
            src.write_bytes(data)
            profile = (self.cache_dir / "lo-profile").resolve()
            cmd = [self.soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                   "--convert-to", "png", "--outdir", tmp, str(src)]
            try:
                subprocess.run(cmd, capture_output=True, timeout=self.timeout, check=False)
            except subprocess.TimeoutExpired:
                return None
            png = Path(tmp) / "in.png"
            if not png.exists():
                return None
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp_out = out.with_suffix(".png.tmp")
            shutil.copyfile(png, tmp_out)
            tmp_out.replace(out)
        return out
