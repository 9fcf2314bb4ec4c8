"""docx, xlsx and pptx as small, escaped HTML, read with their own libraries (python-docx, openpyxl,
python-pptx). Output is bounded (rows, columns, slides) so a huge file cannot stall a page."""

from __future__ import annotations

import io
from datetime import datetime, time
from html import escape

from worldbuilder.extract import cell_text

MAX_ROWS, MAX_COLS, MAX_SLIDES, MAX_BLOCKS = 200, 30, 60, 2000


def _cell(v: object) -> str:
    if isinstance(v, datetime) and v.time() == time():
        return v.date().isoformat()
    return cell_text(v)


def _table(rows: list[list[str]], header: bool = True) -> str:
    out = ["<table class='doc'>"]
    for i, row in enumerate(rows[:MAX_ROWS]):
        tag = "th" if header and i == 0 else "td"
        out.append("<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in row[:MAX_COLS]) + "</tr>")
    if len(rows) > MAX_ROWS:
        out.append(f"<tr><td colspan='{min(MAX_COLS, len(rows[0]))}' class='muted'>… {len(rows) - MAX_ROWS} more rows"
                   "</td></tr>")
    out.append("</table>")
    return "".join(out)


def docx_html(data: bytes) -> str:
    import docx
    from docx.table import Table

    d = docx.Document(io.BytesIO(data))
    out: list[str] = []
    for s in d.sections[:1]:
        head = " ".join(p.text for p in s.header.paragraphs if p.text.strip())
        if head:
            out.append(f"<div class='docheader'>{escape(head)}</div>")
    for n, block in enumerate(d.iter_inner_content()):
        if n >= MAX_BLOCKS:
            out.append("<p class='muted'>…</p>")
            break
        if isinstance(block, Table):
            out.append(_table([[c.text for c in row.cells] for row in block.rows]))
            continue
        text, style = block.text, (block.style.name if block.style is not None else "") or ""
        if not text.strip():
            continue
        if style.startswith("Heading") or style == "Title":
            level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
            out.append(f"<h{min(level + 2, 6)}>{escape(text)}</h{min(level + 2, 6)}>")
        elif "List" in style:
            out.append(f"<li>{escape(text)}</li>")
        else:
            out.append(f"<p>{escape(text)}</p>")
    for s in d.sections[:1]:
        foot = " ".join(p.text for p in s.footer.paragraphs if p.text.strip())
        if foot:
            out.append(f"<div class='docheader'>{escape(foot)}</div>")
    return "<div class='docx'>" + "".join(out) + "</div>"


def xlsx_html(data: bytes) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    formulas = load_workbook(io.BytesIO(data), data_only=False, read_only=True)  # shown where no cached value
    out: list[str] = []
    for ws in wb.worksheets:
        rows = []
        fws = formulas[ws.title].iter_rows(values_only=True, max_row=MAX_ROWS + 1)
        for row, frow in zip(ws.iter_rows(values_only=True, max_row=MAX_ROWS + 1), fws, strict=False):
            cells = [_cell(v if v is not None else f) for v, f in zip(row[:MAX_COLS], frow[:MAX_COLS], strict=False)]
            if any(cells):
                rows.append(cells)
        out.append(f"<h4>Sheet: {escape(ws.title)}</h4>" + (_table(rows) if rows else "<p class='muted'>empty</p>"))
    wb.close()
    formulas.close()
    return "<div class='xlsx'>" + "".join(out) + "</div>"


def pptx_html(data: bytes) -> str:
    from pptx import Presentation

    prs = Presentation(io.BytesIO(data))
    out: list[str] = []
    for n, slide in enumerate(prs.slides, 1):
        if n > MAX_SLIDES:
            out.append("<p class='muted'>…</p>")
            break
        parts = [f"<div class='slide'><div class='slideno'>Slide {n}</div>"]
        for shape in slide.shapes:
            if shape.has_text_frame:
                for i, p in enumerate(shape.text_frame.paragraphs):
                    text = "".join(r.text for r in p.runs)
                    if text.strip():
                        tag = "h4" if shape == getattr(slide.shapes, "title", None) and i == 0 else "p"
                        parts.append(f"<{tag}>{escape(text)}</{tag}>")
            if getattr(shape, "has_table", False) and shape.has_table:
                parts.append(_table([[c.text for c in row.cells] for row in shape.table.rows]))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip():
            parts.append(f"<p class='notes'>Notes: {escape(slide.notes_slide.notes_text_frame.text)}</p>")
        out.append("".join(parts) + "</div>")
    return "<div class='pptx'>" + "".join(out) + "</div>"
