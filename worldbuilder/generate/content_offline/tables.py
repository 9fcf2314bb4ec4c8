"""Tables and spreadsheets whose numbers add up: typed columns, SUM totals, a formula summary, key figures."""

from __future__ import annotations

from worldbuilder.generate.content_offline.columns import MONEYISH, Col, infer
from worldbuilder.generate.content_offline.guard import safe_rows
from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.generate.content_offline.rows import RowMaker
from worldbuilder.generate.fill import CURRENCY, money, money_number_format
from worldbuilder.generate.occupation import topics_for
from worldbuilder.spec import Cell, Chart, Fact, Series, Sheet, Table

ROWS = {"tiny": 4, "small": 7, "medium": 12, "large": 24}
NUMBER_FORMATS = {"money": '"$"#,##0', "money2": '"$"#,##0.00', "pct": '0.0"%"', "pct2": '0.00"%"', "int": "#,##0",
                  "measure": "0.00"}


def number_format(unit: str, currency: str = "USD") -> str:
    """The xlsx number format of a column's unit, money in the computer's currency."""
    if unit.startswith("money"):
        return money_number_format(currency, 2 if unit == "money2" else 0)
    return NUMBER_FORMATS[unit]


def maker(w: Writer) -> RowMaker:
    return RowMaker(w, w.occ.column_values, topics_for(w.occ, w.profile.department), w.occ.external_org_patterns)


def unit_of(c: Col, cols: list[Col]) -> str:
    """How a column's numbers read: money, money2, pct, pct2, int, measure, or "" (not a number)."""
    kind = c.kind
    if kind == "diff" and c.sources:
        kind = cols[c.sources[0]].kind
    if kind in MONEYISH:
        return "money2" if c.decimals == 2 or kind == "product" else "money"
    if kind in ("pct", "share", "band_min", "band_mid", "band_max"):
        return "pct2" if c.decimals == 2 else "pct"
    if kind in ("int", "score", "ordinal"):
        return "int"
    return "measure" if kind == "measure" else ""


def typed_rows(columns: list[str], n: int, w: Writer) -> tuple[list[Col], list[list[object]]]:
    cols = infer(columns, w.occ.column_values)
    return cols, safe_rows(maker(w).rows(cols, n), w)


def fmt(v: object, unit: str, currency: str = "USD") -> str:
    if not isinstance(v, int | float) or not unit:
        return str(v)
    if unit.startswith("money"):
        return money(v, currency, 2 if unit == "money2" else 0)
    if unit.startswith("pct"):
        return f"{v:.2f}%" if unit == "pct2" else f"{v:.1f}%"
    return f"{v:,}" if isinstance(v, int) else f"{v:,.2f}"


def doc_table(columns: list[str], size: str, w: Writer, caption: str = "") -> Table:
    """A table for a document: typed values formatted for reading, plus a total row where it adds up."""
    cols, rows = typed_rows(columns or ["Item", "Owner", "Status", "Due date"], max(4, ROWS[size] // 2), w)
    units = [unit_of(c, cols) for c in cols]
    cur = w.profile.currency
    out = [[fmt(v, u, cur) for v, u in zip(r, units, strict=True)] for r in rows]
    sums = [j for j, c in enumerate(cols) if j > 0 and c.summable]
    if sums and len(rows) >= 3:
        out.append(["Total"] + [fmt(_sum(rows, j), units[j], cur) if j in sums else "" for j in range(1, len(cols))])
    return Table(columns=[c.name for c in cols], rows=out, caption=caption)  # type: ignore[arg-type]


def _sum(rows: list[list[object]], j: int) -> float | int:
    s = sum(r[j] for r in rows)  # type: ignore[misc]
    return round(s, 2) if isinstance(s, float) else s


def facts_table(facts: list[Fact]) -> Table:
    """Key figures as ``[label, display]`` rows: the form the checker reads."""
    return Table(columns=["Metric", "Value"], rows=[[f.label, f.display] for f in facts], caption="Key figures")


def col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def data_sheet(name: str, columns: list[str], size: str, w: Writer, n: int | None = None) -> Sheet:
    """Typed cells, a bold SUM row under the columns whose total means something, and a chart."""
    cols, rows = typed_rows(columns or ["Item", "Owner", "Amount", "Status"], n or ROWS[size], w)
    units = [unit_of(c, cols) for c in cols]
    cells: list[list[object]] = [[Cell(value=v, number_format=number_format(u, w.profile.currency)) if u else v
                                  for v, u in zip(r, units, strict=True)] for r in rows]
    n = len(rows)
    summable = [j for j, c in enumerate(cols) if c.summable and j > 0]
    if summable and n >= 3:
        total: list[object] = [Cell(value="Total", bold=True)] + [None] * (len(cols) - 1)
        for j in summable:
            total[j] = Cell(value=_sum(rows, j), formula=f"=SUM({col_letter(j)}2:{col_letter(j)}{n + 1})", bold=True,
                            number_format=number_format(units[j], w.profile.currency))
        cells.append(total)
    return Sheet(name=name[:31], columns=[c.name for c in cols], rows=cells, chart=_chart(cols, rows, units),
                 column_widths=[max(10.0, min(40.0, len(c.name) * 1.3)) for c in cols])


def _chart(cols: list[Col], rows: list[list[object]], units: list[str]) -> Chart | None:
    numeric = [j for j, u in enumerate(units) if u and j > 0 and cols[j].kind != "year"]
    if not numeric or len(rows) < 4 or cols[0].kind in ("money", "pct", "int", "measure"):
        return None
    j = next((k for k in numeric if cols[k].kind in ("share", "band_mid")), numeric[0])
    timeline = cols[0].kind in ("year", "date", "month", "quarter")
    kind = "line" if timeline else ("pie" if cols[j].kind in ("share", "band_mid") else "bar")
    return Chart(kind=kind, title=f"{cols[j].name} by {cols[0].name.lower()}",  # type: ignore[arg-type]
                 categories=[str(r[0]) for r in rows[:12]],
                 series=[Series(name=cols[j].name, values=[float(r[j]) for r in rows[:12]])],  # type: ignore[arg-type]
                 x_label=cols[0].name, y_label=cols[j].name)


def summary_sheet(data: Sheet, data_rows: int) -> Sheet | None:
    """A "Summary" sheet of formulas over the data sheet (count, totals, averages), with cached values."""
    ref = "'" + data.name.replace("'", "''") + "'"
    last = data_rows + 1
    rows: list[list[object]] = [["Rows", Cell(value=data_rows, formula=f"=COUNTA({ref}!A2:A{last})")]]
    for j, head in enumerate(data.columns):
        vals = [r[j].value for r in data.rows[:data_rows] if isinstance(r[j], Cell)]  # type: ignore[union-attr]
        if j == 0 or len(vals) != data_rows or not all(isinstance(v, int | float) for v in vals):
            continue
        nf = data.rows[0][j].number_format  # type: ignore[union-attr]
        rng = f"{ref}!{col_letter(j)}2:{col_letter(j)}{last}"
        total = data.rows[-1][j] if len(data.rows) > data_rows else None
        if isinstance(total, Cell) and total.formula:
            rows.append([f"Total {head.lower()}", Cell(value=total.value, formula=f"=SUM({rng})", number_format=nf)])
        rows.append([f"Average {head.lower()}", Cell(value=sum(vals) / len(vals), formula=f"=AVERAGE({rng})",
                                                     number_format=nf)])
        rows.append([f"Highest {head.lower()}", Cell(value=max(vals), formula=f"=MAX({rng})", number_format=nf)])
        if len(rows) >= 10:
            break
    return Sheet(name="Summary", columns=["Measure", "Value"], rows=rows, column_widths=[34.0, 16.0]) \
        if len(rows) > 1 else None


def facts_sheet(facts: list[Fact]) -> Sheet:
    """Key figures as typed numbers (``[label, value, unit, as of]``) formatted like their display."""
    rows: list[list[object]] = []
    for f in facts:
        dec = len(f.display.rsplit(".", 1)[1].rstrip("%").split()[0]) if "." in f.display else 0
        zeros = "." + "0" * dec if dec else ""
        if f.unit == "%":
            nf = f'0{zeros}"%"'
        elif f.unit in CURRENCY:
            nf = f'"{CURRENCY[f.unit]}"#,##0{zeros}'
        else:
            nf = f"#,##0{zeros}"
        rows.append([f.label, Cell(value=f.value, number_format=nf), f.unit, f.as_of.isoformat() if f.as_of else ""])
    return Sheet(name="Key figures", columns=["Metric", "Value", "Unit", "As of"], rows=rows,
                 column_widths=[36.0, 16.0, 10.0, 12.0])
