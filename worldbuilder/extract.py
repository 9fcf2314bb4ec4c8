"""Text extraction from rendered files (docx, xlsx, pptx, pdf, eml, csv, text); never raises on bad input.

Table-like content (docx/pptx tables, sheet rows, csv rows) comes out one row per line with cells
separated by tabs, so ``label<TAB>value`` rows stay recognisable to the coherence checker.
"""

from __future__ import annotations

import csv
import email
import io
import json
import zipfile
from email import policy

TEXT_TYPES = frozenset({"txt", "md", "py", "json", "jsonl", "toml", "ics", "yaml", "yml", "cfg", "ini", "log", "sh"})


def file_type(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[1].lower() if "." in base.lstrip(".") else "txt"


def extract_text(name: str, data: bytes) -> str:
    """Readable text of a file (``""`` for images or when the file cannot be parsed)."""
    return extract_text_ok(name, data)[0]


def extract_text_ok(name: str, data: bytes) -> tuple[str, bool]:
    """``(text, ok)``: ``ok`` is False when the file is corrupt or unreadable for its type."""
    kind = file_type(name)
    fn = EXTRACTORS.get(kind)
    try:
        if fn is not None:
            return fn(data), True
        if kind in ("png", "jpg", "jpeg", "gif", "mp3", "mp4", "heic"):
            return "", True
        return _plain(data), True
    except Exception:  # noqa: BLE001 - any parser failure means "unreadable", never a crash
        return "", False


def _plain(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _docx(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    out: list[str] = []
    for s in d.sections:
        out += [p.text for p in s.header.paragraphs if p.text.strip()]
    out += [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            out.append("\t".join(_uniq_cells(c.text for c in row.cells)))
    for s in d.sections:
        out += [p.text for p in s.footer.paragraphs if p.text.strip()]
    return "\n".join(out)


def _uniq_cells(cells) -> list[str]:  # noqa: ANN001 - merged cells repeat in python-docx
    out: list[str] = []
    for c in cells:
        if not out or c != out[-1]:
            out.append(c)
    return out


def cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _xlsx(data: bytes) -> str:
    from openpyxl import load_workbook

    values = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    formulas = load_workbook(io.BytesIO(data), data_only=False, read_only=True)
    out: list[str] = []
    for ws in values.worksheets:
        out.append(f"# {ws.title}")
        fws = formulas[ws.title]
        for vrow, frow in zip(ws.iter_rows(values_only=True), fws.iter_rows(values_only=True), strict=False):
            cells = [cell_text(v if v is not None else f) for v, f in zip(vrow, frow, strict=False)]
            if any(cells):
                out.append("\t".join(cells).rstrip("\t"))
    return "\n".join(out)


def _pptx(data: bytes) -> str:
    from pptx import Presentation

    prs = Presentation(io.BytesIO(data))
    out: list[str] = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out += [p.text if hasattr(p, "text") else "" for p in shape.text_frame.paragraphs]
            if getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    out.append("\t".join(c.text for c in row.cells))
        if slide.has_notes_slide:
            out.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(t for t in out if t is not None)


def _pdf(data: bytes) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


def _eml(data: bytes) -> str:
    msg = email.message_from_bytes(data, policy=policy.default)
    out = [f"{h}: {msg[h]}" for h in ("From", "To", "Cc", "Subject", "Date") if msg[h]]
    for part in msg.walk():
        if part.get_content_maintype() == "text" and not part.get_filename():
            out.append(part.get_content())
        elif part.get_filename():
            out.append(f"Attachment: {part.get_filename()}")
    return "\n".join(out)


def _csv(data: bytes) -> str:
    text = data.decode("utf-8-sig", errors="replace")
    return "\n".join("\t".join(row) for row in csv.reader(io.StringIO(text)))


def _zip(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "\n".join(zf.namelist())


def _json(data: bytes) -> str:
    text = data.decode("utf-8")
    json.loads(text)  # validates; corrupt JSON is reported as not ok
    return text


EXTRACTORS = {"docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "pdf": _pdf, "eml": _eml, "csv": _csv, "zip": _zip,
              "json": _json}
