"""The xlsx renderer as it was before worldbuilder wrote worksheets itself: openpyxl Cell objects
serialised by openpyxl (rows by a faster, byte-identical writer). Tests and benchmarks compare the
direct writer (worldbuilder.render.xlsx) with it byte for byte."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

from lxml import etree
from openpyxl import Workbook
from openpyxl.cell._writer import _set_attributes
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from worldbuilder.render import ooxml
from worldbuilder.render.base import RenderContext, clean_chart, raw_value, text_value, typed_value
from worldbuilder.render.xlsx import sheets_of
from worldbuilder.spec import Cell, Chart, FileSpec, Sheet

HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
BOLD = Font(bold=True)
MARK = "wb-sheet-rows"
_MARK_BYTES = f"<!--{MARK}-->".encode()
_PLAIN = (str, int, float, bool)
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _text(s: str) -> str:
    """Element text escaped as libxml2 writes it (non-ASCII becomes character references later)."""
    return s.translate(_ESCAPE) if ("&" in s or "<" in s or ">" in s or "\r" in s) else s


class _Unsupported(Exception):
    pass


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def _title(name: str, used: set[str]) -> str:
    base = _BAD_TITLE.sub("-", name).strip("'")[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:28]} {n}"
        n += 1
    used.add(title.lower())
    return title


def _write_cell(ws: Any, row: int, col: int, item: Any) -> tuple[int, Any]:
    """Write one CellLike; returns (display width, cached value for formulas or None)."""
    cell = ws.cell(row=row, column=col)
    if not isinstance(item, Cell):  # a bare scalar: no formula, format or bold
        value = typed_value(item)
        cell.value = value
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        return (len(value) if type(value) is str else len(text_value(value))), None
    value = typed_value(item.value)
    if item.formula:
        cell.value = item.formula if item.formula.startswith("=") else "=" + item.formula
    else:
        cell.value = value
    if item.number_format:
        cell.number_format = item.number_format
    elif isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    if item.bold:
        cell.font = BOLD
    cached = value if item.formula and isinstance(value, int | float) and not isinstance(value, bool) else None
    return len(text_value(value)), cached


def _chart_refs(ws: Any, sheet: Sheet, chart: Chart) -> tuple[Reference, list[Reference], int]:
    """References for the chart: the sheet's own columns when they hold the data, otherwise a
    small data block written to the right of the table. Returns (categories, series, anchor col)."""
    ncols, n = len(sheet.columns), len(chart.categories)
    values = [[raw_value(v) for v in r] + [None] * (ncols - len(r)) for r in sheet.rows][:n]
    columns = list(zip(*values, strict=True)) if len(values) == n and n else []

    def same(col: tuple[Any, ...], want: list[float]) -> bool:
        return all(isinstance(a, int | float) and abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(col, want, strict=True))

    cat_col = next((i for i, col in enumerate(columns) if [text_value(v) for v in col] == list(chart.categories)), None)
    series_cols = [next((i for i, col in enumerate(columns) if sheet.columns[i] == s.name and same(col, s.values)), None)
                   for s in chart.series]
    if cat_col is not None and None not in series_cols and all(len(s.values) == n for s in chart.series):
        cats = Reference(ws, min_col=cat_col + 1, min_row=2, max_row=n + 1)
        series = [Reference(ws, min_col=i + 1, min_row=1, max_row=n + 1) for i in series_cols]  # type: ignore[operator]
        return cats, series, ncols + 2
    start = ncols + 2
    ws.cell(row=1, column=start, value=chart.x_label or "Category").font = BOLD
    for j, s in enumerate(chart.series):
        ws.cell(row=1, column=start + 1 + j, value=s.name).font = BOLD
    for i, cat in enumerate(chart.categories):
        ws.cell(row=i + 2, column=start, value=cat)
        for j, s in enumerate(chart.series):
            ws.cell(row=i + 2, column=start + 1 + j, value=s.values[i] if i < len(s.values) else None)
    cats = Reference(ws, min_col=start, min_row=2, max_row=n + 1)
    series = [Reference(ws, min_col=start + 1 + j, min_row=1, max_row=n + 1) for j in range(len(chart.series))]
    return cats, series, start + len(chart.series) + 2


def _add_chart(ws: Any, sheet: Sheet, chart: Chart) -> None:
    chart = clean_chart(chart)
    cats, series, anchor_col = _chart_refs(ws, sheet, chart)
    if chart.kind == "pie":
        native: Any = PieChart()
        series = series[:1]
    elif chart.kind == "line":
        native = LineChart()
    else:
        native = BarChart()
        native.type = "bar" if chart.kind == "bar" else "col"
    for ref in series:
        native.add_data(ref, titles_from_data=True)
    native.set_categories(cats)
    native.title = chart.title
    if chart.kind != "pie":
        native.x_axis.title = chart.x_label or None
        native.y_axis.title = chart.y_label or None
        native.x_axis.delete = False
        native.y_axis.delete = False
    native.width, native.height = 16, 8.5
    ws.add_chart(native, f"{get_column_letter(anchor_col)}2")


def _write_sheet(ws: Any, sheet: Sheet) -> dict[str, Any]:
    widths = [len(str(c)) for c in sheet.columns]
    cached: dict[str, Any] = {}
    for j, name in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=1, column=j, value=name)
        cell.font, cell.fill = BOLD, HEADER_FILL
    for i, row in enumerate(sheet.rows, start=2):
        for j, item in enumerate(row, start=1):
            width, value = _write_cell(ws, i, j, item)
            if value is not None:
                cached[f"{get_column_letter(j)}{i}"] = value
            if j > len(widths):
                widths.append(0)
            widths[j - 1] = max(widths[j - 1], width)
    for j, w in enumerate(widths, start=1):
        given = sheet.column_widths[j - 1] if j - 1 < len(sheet.column_widths) else None
        ws.column_dimensions[get_column_letter(j)].width = given or min(max(w + 2, 8), 50)
    if sheet.freeze_header and sheet.columns:
        ws.freeze_panes = "A2"
    if sheet.chart is not None:
        _add_chart(ws, sheet, sheet.chart)
    return cached


def _num(v: float) -> bytes:
    return str(int(v)).encode() if float(v).is_integer() and abs(v) < 1e15 else repr(float(v)).encode()


def _inject_cached(xml: bytes, values: dict[str, Any]) -> bytes:
    """Give formula cells their stated value as cached result (as Excel/LibreOffice would)."""
    def sub(m: re.Match[bytes]) -> bytes:
        v = values.get(m.group(1).decode())
        return m.group(0) if v is None else m.group(0)[: -len(m.group(3))] + b"<v>" + _num(v) + b"</v>"

    return re.sub(rb'<c r="([A-Z]+\d+)"[^>]*>(<f>[^<]*</f>)(<v\s*/>|<v></v>)', sub, xml)


class _Collector:
    """Stands in for the zip archive openpyxl writes to."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, bytes]] = []

    def writestr(self, name: str, data: str | bytes) -> None:
        self.entries.append((name, data.encode("utf-8") if isinstance(data, str) else data))

    def namelist(self) -> list[str]:
        return [name for name, _ in self.entries]

    def close(self) -> None:
        pass


class _MemoryWriter(ExcelWriter):
    """openpyxl's writer without its per-sheet temporary files (slow on busy disks), optionally
    storing the stated value of formula cells as their cached result."""

    def __init__(self, workbook: Any, archive: _Collector, cached: dict[str, dict[str, Any]]) -> None:
        super().__init__(workbook, archive)
        self.cached = cached

    def write_worksheet(self, ws: Any) -> None:
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = FastRowsWriter(ws, out=io.BytesIO())
        writer.write()
        ws._rels = writer._rels
        xml = writer.xml()
        if self.cached.get(ws.title):
            xml = _inject_cached(xml, self.cached[ws.title])
        self._archive.writestr(ws.path[1:], xml)
        self.manifest.append(ws)


def render_xlsx(file: FileSpec, ctx: RenderContext, cached_values: bool = True) -> bytes:
    """The workbook; ``cached_values=False`` leaves formula results for the reader to compute."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    cached: dict[str, dict[str, Any]] = {}
    for sheet in sheets_of(file):
        ws = wb.create_sheet(_title(sheet.name, used))
        values = _write_sheet(ws, sheet)
        if cached_values:
            cached[ws.title] = values
    archive = _Collector()
    _MemoryWriter(wb, archive, cached).save()
    return ooxml.package_zip(archive.entries, file, ctx.spec)


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
