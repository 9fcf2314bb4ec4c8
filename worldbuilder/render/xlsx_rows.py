"""openpyxl's ``<sheetData>`` serialised without lxml's per-cell element calls, byte for byte the same.

openpyxl writes each cell through lxml's incremental writer (three nested ``xf.element`` calls per
cell), which is most of an xlsx file's render time. :class:`FastRowsWriter` writes the rows itself,
as the same bytes (tests/test_render.py compares both writers on every workbook of generated
computers), and defers to openpyxl for anything it does not handle (row dimensions, comments,
hyperlinks, rich text, array formulas).
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from openpyxl.cell._writer import _set_attributes
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter

MARK = "wb-sheet-rows"
_MARK_BYTES = f"<!--{MARK}-->".encode()
_PLAIN = (str, int, float, bool)
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _text(s: str) -> str:
    """Element text escaped as libxml2 writes it (non-ASCII becomes character references later)."""
    return s.translate(_ESCAPE) if ("&" in s or "<" in s or ">" in s or "\r" in s) else s


class _Unsupported(Exception):
    pass


class FastRowsWriter(WorksheetWriter):
    """A WorksheetWriter whose rows are serialised by :func:`_rows`; call :meth:`xml` for the bytes."""

    rows_xml: bytes | None = None

    def write_rows(self) -> None:
        try:
            self.rows_xml = _rows(self.ws, self.rows())
        except _Unsupported:
            self.rows_xml = None
            return super().write_rows()
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            xf.write(etree.Comment(MARK))
        self.xf.send(None)

    def xml(self) -> bytes:
        data = self.read()
        return data if self.rows_xml is None else data.replace(_MARK_BYTES, self.rows_xml, 1)


def _rows(ws: Any, rows: list[tuple[int, list[Any]]]) -> bytes:
    out: list[str] = []
    dims = ws.row_dimensions
    letters: dict[int, str] = {}
    for row_idx, row in rows:
        if row_idx in dims:
            raise _Unsupported
        out.append(f'<row r="{row_idx}">')
        for cell in row:
            if cell._comment is not None or cell.hyperlink:
                raise _Unsupported
            styled = cell.has_style
            if cell._value is None and not styled:
                continue
            col = letters.get(cell.column) or letters.setdefault(cell.column, get_column_letter(cell.column))
            out.append(_cell(cell, f"{col}{row_idx}", styled))
        out.append("</row>")
    return "".join(out).encode("ascii", "xmlcharrefreplace")  # openpyxl writes sheets in ASCII


def _cell(cell: Any, coord: str, styled: bool) -> str:
    dt, value = cell.data_type, cell._value
    if dt == "d":
        value, attrs = _set_attributes(cell, styled)
        head = "<c" + "".join(f' {k}="{v}"' for k, v in attrs.items()) + ">"
    else:
        if value is not None and type(value) not in _PLAIN:
            raise _Unsupported  # rich text, array/data-table formulas, ...
        head = f'<c r="{coord}"' + (f' s="{cell.style_id}"' if styled else "")
        head += ">" if dt == "f" else f' t="{"inlineStr" if dt == "s" else dt}">'
    if value is None or value == "":
        return head + "</c>"
    if dt == "f":
        return f"{head}<f>{_text(value[1:])}</f><v></v></c>"
    if dt == "s":
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f"{head}<is><t{space}>{_text(value)}</t></is></c>"
    return f"{head}<v>{_text(safe_string(value))}</v></c>"
