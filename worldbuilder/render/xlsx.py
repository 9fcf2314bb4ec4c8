"""xlsx renderer: typed cells, formulas with cached results, number formats, frozen bold header, charts.

The package is written directly (worksheets by :mod:`xlsx_rows`, the other parts by
:mod:`xlsx_parts`), byte for byte as openpyxl 3.1 writes the same workbook but without building
openpyxl's Cell, style and chart objects (3-5x faster). tests/xlsx_reference.py keeps the openpyxl
renderer; tests compare both on awkward sheets and on every workbook of generated computers."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from worldbuilder.render import ooxml, xlsx_parts
from worldbuilder.render.base import RenderContext, clean_chart, raw_value, text_value, typed_value
from worldbuilder.render.data import payload
from worldbuilder.render.xlsx_parts import Ref
from worldbuilder.render.xlsx_rows import Grid, Styles, sheet_xml
from worldbuilder.spec import Cell, Chart, FileSpec, Sheet, Table

_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def sheets_of(file: FileSpec) -> list[Sheet]:
    """The sheets to write: ``sheets``, else table blocks, else ``data`` records, else the title."""
    c = file.content
    if c.sheets:
        return list(c.sheets)
    tables = [b for b in c.blocks if isinstance(b, Table)]
    if tables:
        return [Sheet(name=t.caption or f"Table {i + 1}", columns=t.columns, rows=t.rows)
                for i, t in enumerate(tables)]
    data = payload(file)
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        cols = list(dict.fromkeys(str(k) for r in data for k in r))
        rows = [[_scalar(r.get(k)) for k in cols] for r in data]
        return [Sheet(name="Data", columns=cols, rows=rows)]
    return [Sheet(name="Sheet1", columns=[c.title], rows=[[c.summary]] if c.summary else [])]


def _scalar(v: Any) -> Any:
    return v if isinstance(v, str | int | float | bool) or v is None else text_value(v)


def _title(name: str, used: set[str]) -> str:
    base = _BAD_TITLE.sub("-", name).strip("'")[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:28]} {n}"
        n += 1
    used.add(title.lower())
    return title


def _looks_dated(s: str) -> bool:
    """Cheap necessary condition for :func:`typed_value` to turn a string into a date."""
    return len(s) >= 10 and s[4] == "-" and s[:4].isdigit()


def _write_cell(grid: Grid, row: int, col: int, item: Any, cached: bool) -> int:
    """Write one CellLike (as openpyxl's setters would); returns its display width."""
    if type(item) is str and not _looks_dated(item):  # most cells: plain text
        grid.cells[(row, col)] = [*grid.bind_str(item), 0, 0, 0]
        return len(item)
    cell = grid.cell(row, col)
    if not isinstance(item, Cell):  # a bare scalar: no formula, format or bold
        value = typed_value(item)
        grid.set(cell, value)
        if isinstance(value, datetime):
            grid.number_format(cell, "yyyy-mm-dd hh:mm")
        elif isinstance(value, date):
            grid.number_format(cell, "yyyy-mm-dd")
        return len(value) if type(value) is str else len(text_value(value))
    value = typed_value(item.value)
    if item.formula:
        grid.set(cell, item.formula if item.formula.startswith("=") else "=" + item.formula)
        if cached and isinstance(value, int | float) and not isinstance(value, bool):
            grid.cached[(row, col)] = value
    else:
        grid.set(cell, value)
    if item.number_format:
        grid.number_format(cell, item.number_format)
    elif isinstance(value, datetime):
        grid.number_format(cell, "yyyy-mm-dd hh:mm")
    elif isinstance(value, date):
        grid.number_format(cell, "yyyy-mm-dd")
    if item.bold:
        grid.bold(cell)
    return len(text_value(value))


def _chart_refs(grid: Grid, title: str, sheet: Sheet, chart: Chart) -> tuple[Ref, list[Ref], int]:
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
        return (Ref(title, cat_col + 1, 2, n + 1),
                [Ref(title, i + 1, 1, n + 1) for i in series_cols], ncols + 2)  # type: ignore[operator]
    start = ncols + 2
    grid.ordered = False

    def put(row: int, col: int, value: Any, bold: bool = False) -> None:
        cell = grid.cell(row, col)
        if value is not None:
            grid.set(cell, value)
        if bold:
            grid.bold(cell)

    put(1, start, chart.x_label or "Category", bold=True)
    for j, s in enumerate(chart.series):
        put(1, start + 1 + j, s.name, bold=True)
    for i, cat in enumerate(chart.categories):
        put(i + 2, start, cat)
        for j, s in enumerate(chart.series):
            put(i + 2, start + 1 + j, s.values[i] if i < len(s.values) else None)
    return (Ref(title, start, 2, n + 1), [Ref(title, start + 1 + j, 1, n + 1) for j in range(len(chart.series))],
            start + len(chart.series) + 2)


def _chart(grid: Grid, title: str, sheet: Sheet, chart: Chart) -> tuple[bytes, int]:
    """The chart part of ``sheet`` (writing its data block if needed) and its anchor column."""
    chart = clean_chart(chart)
    cats, series, anchor_col = _chart_refs(grid, title, sheet, chart)
    if chart.kind == "pie":
        return xlsx_parts.chart_xml("pie", chart.title, cats, series[:1], "", ""), anchor_col
    return xlsx_parts.chart_xml(chart.kind, chart.title, cats, series, chart.x_label, chart.y_label), anchor_col


def _write_sheet(grid: Grid, title: str, sheet: Sheet, cached: bool) -> tuple[bytes, tuple[bytes, int] | None]:
    """(worksheet part, (chart part, anchor column) or None)."""
    widths = [len(str(c)) for c in sheet.columns]
    for j, name in enumerate(sheet.columns, start=1):
        cell = grid.cell(1, j)
        grid.set(cell, name)
        grid.bold(cell)
        grid.header_fill(cell)
    for i, row in enumerate(sheet.rows, start=2):
        for j, item in enumerate(row, start=1):
            width = _write_cell(grid, i, j, item, cached)
            if j > len(widths):
                widths.append(0)
            widths[j - 1] = max(widths[j - 1], width)
    cols = [(sheet.column_widths[j] if j < len(sheet.column_widths) else None) or min(max(w + 2, 8), 50)
            for j, w in enumerate(widths)]
    chart = _chart(grid, title, sheet, sheet.chart) if sheet.chart is not None else None
    xml = sheet_xml(grid, cols, bool(sheet.freeze_header and sheet.columns), chart is not None)
    return xml, chart


def render_xlsx(file: FileSpec, ctx: RenderContext, cached_values: bool = True) -> bytes:
    """The workbook; ``cached_values=False`` leaves formula results for the reader to compute."""
    styles = Styles()
    used: set[str] = set()
    titles: list[str] = []
    sheets: list[tuple[str, bytes]] = []
    charts: list[tuple[str, bytes]] = []
    types: list[str] = []
    for n, sheet in enumerate(sheets_of(file), start=1):
        titles.append(_title(sheet.name, used))
        xml, chart = _write_sheet(Grid(styles), titles[-1], sheet, cached_values)
        sheets.append((f"xl/worksheets/sheet{n}.xml", xml))
        types.append(sheets[-1][0])
        if chart is not None:
            k = len(charts) + 1
            charts.append((f"xl/charts/chart{k}.xml", chart[0]))
            sheets += [(f"xl/drawings/drawing{k}.xml", xlsx_parts.drawing_xml(chart[1])),
                       (f"xl/drawings/_rels/drawing{k}.xml.rels", xlsx_parts.drawing_rels(k)),
                       (f"xl/worksheets/_rels/sheet{n}.xml.rels", xlsx_parts.sheet_rels(k))]
            types.append(f"xl/drawings/drawing{k}.xml")
    entries = [("docProps/app.xml", xlsx_parts.APP), (ooxml.CORE, b""), ("xl/theme/theme1.xml", xlsx_parts.THEME),
               *sheets, *charts, ("xl/styles.xml", xlsx_parts.styles_xml(styles)), ("_rels/.rels", xlsx_parts.ROOT_RELS),
               ("xl/workbook.xml", xlsx_parts.workbook_xml(titles)),
               ("xl/_rels/workbook.xml.rels", xlsx_parts.workbook_rels(len(titles))),
               ("[Content_Types].xml", xlsx_parts.content_types(types + [c for c, _ in charts]))]
    return ooxml.package_zip(entries, file, ctx.spec)
