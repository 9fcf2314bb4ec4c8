"""Tables for the pdf renderer: a blue header row repeated on every page, banded rows, a light grid."""

from __future__ import annotations

from worldbuilder.render.base import text_value
from worldbuilder.render.pdf_layout import CAPTION, CELL, HEAD, PAD, PLAIN_CELL, Page, Style, wrap
from worldbuilder.spec import Table

PAD_X, PAD_Y = 6.0, 3.0
HEAD_FILL, BAND_FILL, GRID = "0.267 0.447 0.769", "0.933 0.949 0.980", "0.706 0.776 0.906"
LONG = 40  # tables with more rows get plain one-line cells (as printed reports do)


Cells = list[tuple[str, ...]]


def _row(values: list[str], style: Style, width: float, wrap_cells: bool) -> tuple[Cells, float]:
    if wrap_cells:
        cells = [wrap(v, style.font, style.size, width - 2 * PAD_X) for v in values]
    else:
        cells = [(v,) if v else () for v in values]
    return cells, max([1, *(len(c) for c in cells)]) * style.leading + 2 * PAD_Y


def _draw_rows(page: Page, rows: list[tuple[Cells, float, Style, int]], cw: float) -> None:
    """Backgrounds, text and grid of rows drawn from the cursor down (``int``: -1 header, else body index)."""
    x0, top, ncols = page.left - PAD, page.y, len(rows[0][0])
    fills, y = [], top
    for _, h, _, i in rows:
        colour = HEAD_FILL if i < 0 else (BAND_FILL if i % 2 else "")
        if colour:
            fills.append(f"{colour} rg {x0:.2f} {y - h:.2f} {cw * ncols:.2f} {h:.2f} re f")
        y -= h
    page.emit("q " + " ".join(fills) + " Q")
    y, ops = top, ["BT"]
    for cells, h, style, i in rows:
        ops.append("1 g" if i < 0 else "0 g")
        for j, lines in enumerate(cells):
            if lines:
                ops += page.text_ops(lines, style, x0 + j * cw + PAD_X, y - PAD_Y - style.size)
        y -= h
    page.emit("q " + " ".join(ops) + " ET Q")
    bottom, grid = y, [f"q 0.4 w {GRID} RG"]
    y = top
    for _, h, _, _ in rows:
        grid.append(f"{x0:.2f} {y:.2f} m {x0 + cw * ncols:.2f} {y:.2f} l")
        y -= h
    grid.append(f"{x0:.2f} {bottom:.2f} m {x0 + cw * ncols:.2f} {bottom:.2f} l")
    grid += [f"{x0 + j * cw:.2f} {top:.2f} m {x0 + j * cw:.2f} {bottom:.2f} l" for j in range(ncols + 1)]
    page.emit(" ".join(grid) + " S Q")
    page.y, page.after = bottom, 0.0


def table(page: Page, block: Table) -> None:
    """The table (caption first), split across pages with the header row repeated."""
    if block.caption:
        page.paragraph(block.caption, CAPTION)
    ncols = max([len(block.columns), *(len(r) for r in block.rows)]) or 1
    width = page.width + 2 * PAD  # as wide as the frame including its padding, as platypus draws it
    cw = width / ncols
    columns = [str(c) for c in block.columns] + [""] * (ncols - len(block.columns))
    head_cells, head_h = _row(columns, HEAD, cw, True)
    header = (head_cells, head_h, HEAD, -1)
    long = len(block.rows) > LONG
    limit = max(8, int(width / ncols / 4.6))
    body_style = PLAIN_CELL if long else CELL
    full = page.top - page.bottom - head_h
    pending = [header]
    for i, r in enumerate(block.rows):
        values = [text_value(v)[:limit] if long else text_value(v) for v in r] + [""] * (ncols - len(r))
        cells, h = _row(values, body_style, cw, not long)
        if h > full:  # a row taller than a page: keep what fits
            keep = max(1, int((full - 2 * PAD_Y) // body_style.leading))
            cells, h = [c[:keep] for c in cells], keep * body_style.leading + 2 * PAD_Y
        used = sum(row[1] for row in pending)
        if used + h > page.room():
            if len(pending) > 1:
                _draw_rows(page, pending, cw)
            page.new_page()
            pending = [header]
        pending.append((cells, h, body_style, i))
    if len(pending) > 1 or not block.rows:
        page.ensure(sum(row[1] for row in pending))
        _draw_rows(page, pending, cw)
    page.space_after(8)
