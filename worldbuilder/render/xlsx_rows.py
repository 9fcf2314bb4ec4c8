"""Worksheet XML written straight from a grid of typed cells (no openpyxl Cell objects).

:class:`Grid` holds a sheet's cells as openpyxl would after ``ws.cell(...)`` assignments: a value
bound to a data type (``n``/``s``/``f``/``b``/``e``/``d``) and a style key (number format, font,
fill) registered in the workbook's :class:`Styles`. :func:`sheet_xml` serialises it the way
openpyxl 3.1 writes a worksheet, byte for byte (tests/test_render.py and tests/test_generated_files.py
compare with the openpyxl-built workbook of tests/xlsx_reference.py).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from openpyxl.styles.numbers import (
    BUILTIN_FORMATS,
    BUILTIN_FORMATS_MAX_SIZE,
    BUILTIN_FORMATS_REVERSE,
    is_date_format,
)
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from worldbuilder.render.base import text_value

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                       "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})
ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
_TIME_FORMATS = {datetime: "yyyy-mm-dd h:mm:ss", date: "yyyy-mm-dd", time: "h:mm:ss", timedelta: "[hh]:mm:ss"}
_STR_MAX = 32767
_LETTERS = ["", *(get_column_letter(i) for i in range(1, 703))]  # A..ZZ
BOLD_FONT, HEADER_FILL = 1, 2  # font/fill ids once registered (the only non-default ones)


def text(s: str) -> str:
    """Element text escaped as libxml2 writes it (non-ASCII becomes character references later)."""
    return s.translate(_ESCAPE) if ("&" in s or "<" in s or ">" in s or "\r" in s) else s


def attr(s: str) -> str:
    """Attribute value escaped as libxml2 writes it."""
    return s.translate(_ATTR)


def number(v: Any) -> str:
    """A number as openpyxl writes it (``%.16g``; NaN/inf as nothing)."""
    if type(v) is int:
        return str(v) if -(2**53) < v < 2**53 else "%.16g" % v  # noqa: UP031
    f = float(v)
    return "" if f != f or f in (float("inf"), float("-inf")) else "%.16g" % v  # noqa: UP031 - what openpyxl writes (Decimal as float)


class Styles:
    """The workbook's style tables, filled in the order openpyxl would register them."""

    def __init__(self) -> None:
        self.formats: dict[str, int] = {}  # custom number format code -> id (164...)
        self.ids: dict[str, int] = dict(BUILTIN_FORMATS_REVERSE)  # any code -> id
        self.bold = False
        self.header_fill = False
        self.xfs: dict[tuple[int, int, int], int] = {(0, 0, 0): 0}  # (numFmtId, fontId, fillId) -> xf id

    def number_format(self, code: str) -> int:
        fid = self.ids.get(code)
        if fid is None:
            fid = self.ids[code] = self.formats[code] = len(self.formats) + BUILTIN_FORMATS_MAX_SIZE
        return fid

    def xf(self, key: tuple[int, int, int]) -> int:
        return self.xfs.setdefault(key, len(self.xfs))


class Grid:
    """A sheet's cells: ``(row, col) -> [value, data type, numFmtId, fontId, fillId]``."""

    def __init__(self, styles: Styles) -> None:
        self.styles = styles
        self.cells: dict[tuple[int, int], list[Any]] = {}
        self.cached: dict[tuple[int, int], Any] = {}  # formula cells' stated results
        self.ordered = True  # cells were added in (row, column) order

    @staticmethod
    def bind_str(value: str) -> tuple[str, str]:
        """(value, data type) of a string as openpyxl binds it: truncated, formula, error or text."""
        if len(value) > _STR_MAX:
            value = value[:_STR_MAX]
        if len(value) > 1 and value[0] == "=":
            return value, "f"
        return value, ("e" if value in ERROR_CODES else "s")

    def cell(self, row: int, col: int) -> list[Any]:
        c = self.cells.get((row, col))
        if c is None:
            c = self.cells[(row, col)] = [None, "n", 0, 0, 0]
        return c

    def set(self, c: list[Any], value: Any) -> None:
        """Bind ``value`` to cell ``c`` as openpyxl's ``Cell.value`` setter does (a value Excel cannot
        hold becomes its text). Strings must be XML-safe (``render_file`` applies ``xml_safe``)."""
        t = type(value)
        if t is str:
            dt = "s"
        elif t is int or t is float:
            dt = "n"
        elif t is bool:
            dt = "b"
        elif value is None:
            dt = "n"
        elif isinstance(value, int | float | Decimal):
            dt = "n"
        elif isinstance(value, date | time | timedelta):
            dt = "d"
        else:
            value, dt = text_value(value), "s"
        if dt == "s":
            value, dt = self.bind_str(value)
        elif dt == "d" and not (c[2] and is_date_format(_format_code(self.styles, c[2]))):
            base = next(k for k in type(value).__mro__ if k in _TIME_FORMATS)
            c[2] = self.styles.number_format(_TIME_FORMATS[base])
        c[0], c[1] = value, dt

    def number_format(self, c: list[Any], code: str) -> None:
        c[2] = self.styles.number_format(code)

    def bold(self, c: list[Any]) -> None:
        self.styles.bold = True
        c[3] = BOLD_FONT

    def header_fill(self, c: list[Any]) -> None:
        self.styles.header_fill = True
        c[4] = HEADER_FILL


def _format_code(styles: Styles, fid: int) -> str:
    if fid < BUILTIN_FORMATS_MAX_SIZE:
        return BUILTIN_FORMATS.get(fid, "General")
    return next(code for code, i in styles.formats.items() if i == fid)


def dimension(grid: Grid) -> str:
    if not grid.cells:
        return "A1:A1"
    rows = {r for r, _ in grid.cells}
    cols = {c for _, c in grid.cells}
    return f"{get_column_letter(min(cols))}{min(rows)}:{get_column_letter(max(cols))}{max(rows)}"


def sheet_data(grid: Grid) -> str:
    """``<sheetData>`` of the grid: rows in order, each with its written cells in column order."""
    out: list[str] = ["<sheetData>"]
    xf, letters = grid.styles.xf, _LETTERS
    last_row, rs = None, ""
    cells = grid.cells.items() if grid.ordered else sorted(grid.cells.items())
    for (r, col), (value, dt, fmt, font, fill) in cells:
        if r != last_row:
            out.append(f'</row><row r="{r}">' if last_row is not None else f'<row r="{r}">')
            last_row, rs = r, str(r)
        if fmt or font or fill:
            s = f' s="{xf((fmt, font, fill))}"'
        elif value is None:
            continue
        else:
            s = ""
        ref = (letters[col] if col < len(letters) else get_column_letter(col)) + rs
        if dt == "s":
            if not value:
                out.append(f'<c r="{ref}"{s} t="inlineStr"></c>')
            else:
                space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                out.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text(value)}</t></is></c>')
        elif dt == "n" or dt == "b":
            out.append(f'<c r="{ref}"{s} t="{dt}"></c>' if value is None else f'<c r="{ref}"{s} t="{dt}"><v>{number(value)}</v></c>')
        elif dt == "f":
            cached = grid.cached.get((r, col))
            v = "<v></v>" if cached is None else f"<v>{_cached(cached)}</v>"
            out.append(f'<c r="{ref}"{s}><f>{text(value[1:])}</f>{v}</c>')
        elif dt == "d":
            out.append(f'<c r="{ref}"{s} t="n"><v>{number(to_excel(value))}</v></c>')
        else:  # "e"
            out.append(f'<c r="{ref}"{s} t="e"><v>{text(value)}</v></c>')
    if last_row is not None:
        out.append("</row>")
    out.append("</sheetData>")
    return "".join(out)


def _cached(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


_TOP = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetPr>'
        '<outlinePr summaryBelow="1" summaryRight="1"/><pageSetUpPr/></sheetPr>')
_FROZEN = ('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
           ' state="frozen"/><selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>')
_UNFROZEN = '<sheetViews><sheetView workbookViewId="0"><selection activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
_FORMAT = '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
_MARGINS = '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
_DRAWING = ('<drawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
            ' r:id="rId1"/>')


def sheet_xml(grid: Grid, widths: list[float], frozen: bool, drawing: bool) -> bytes:
    """The worksheet part (ASCII, non-ASCII as character references, as openpyxl writes it)."""
    cols = "".join(f'<col width="{number(w)}" customWidth="1" min="{j}" max="{j}"/>'
                   for j, w in enumerate(widths, start=1))
    xml = (_TOP + f'<dimension ref="{dimension(grid)}"/>' + (_FROZEN if frozen else _UNFROZEN) + _FORMAT
           + (f"<cols>{cols}</cols>" if cols else "") + sheet_data(grid) + _MARGINS
           + (_DRAWING if drawing else "") + "</worksheet>")
    return xml.encode("ascii", "xmlcharrefreplace")
