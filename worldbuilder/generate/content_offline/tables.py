"""Tables and spreadsheets whose numbers add up: column-aware values, SUM totals, key-figure rows."""

from __future__ import annotations

import re
from datetime import timedelta

from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.generate.fill import CURRENCY
from worldbuilder.spec import Cell, Chart, Fact, Series, Sheet, Table

ROWS = {"tiny": 4, "small": 7, "medium": 12, "large": 24}
MONEY = re.compile(r"value|fee|cost|revenue|aum|budget|amount|balance|contribution|withdrawal|price|salary|"
                   r"spend|invoice|total|income|expense|payment|premium|tuition|grant", re.I)
PCT = re.compile(r"weight|%|rate|return|drift|share|margin|ratio|percent|growth|yield|utili[sz]ation", re.I)
INT = re.compile(r"points|count|requests|instances|accounts|errors|score|estimate|hours|\(ms\)|days|units|"
                 r"quantity|qty|patients|students|visits|headcount|tickets|sessions|attendance|minutes", re.I)
DATE = re.compile(r"date|week|time|due|deadline|period|month", re.I)
PERSON = re.compile(r"owner|assignee|person|reviewer|lead|author|contact|staff|teacher|advisor|name", re.I)
STATUS = re.compile(r"status|state|stage|result|priority|risk|recommendation", re.I)
YEAR = re.compile(r"^year$", re.I)
STATUSES = ("Done", "In progress", "Blocked", "Not started", "In review")
LEVELS = ("Low", "Medium", "High")


def col_kind(name: str) -> str:
    for kind, rx in (("year", YEAR), ("pct", PCT), ("money", MONEY), ("int", INT), ("date", DATE),
                     ("person", PERSON), ("status", STATUS)):
        if rx.search(name):
            return kind
    return "text"


def cell_value(kind: str, i: int, w: Writer) -> object:
    r = w.rng
    if kind == "year":
        return w.when.year - ROWS["large"] + i + 1
    if kind == "pct":
        return round(r.uniform(0.5, 35.0), 1)
    if kind == "money":
        return float(round(r.uniform(500, 250_000), -1))
    if kind == "int":
        return r.randint(1, 400)
    if kind == "date":
        return (w.when - timedelta(days=7 * (ROWS["large"] - i))).date().isoformat()
    if kind == "person":
        return w.person().name
    if kind == "status":
        return r.choice(STATUSES if r.random() < 0.6 else LEVELS)
    return w.term().capitalize()


def first_col(i: int, w: Writer) -> str:
    p = w.proj()
    options = (f"{p.code}-{100 + i}", w.term().capitalize(), f"{w.when:%b} wk{i + 1}")
    return options[(w.rng.random() < 0.5) + (i % 3 == 2)] if w.rng.random() < 0.4 else w.term().capitalize()


def data_rows(columns: list[str], n: int, w: Writer) -> list[list[object]]:
    kinds = [col_kind(c) for c in columns]
    rows: list[list[object]] = []
    seen: set[str] = set()
    for i in range(n):
        row: list[object] = []
        for j, k in enumerate(kinds):
            if j == 0 and k in ("text", "person", "status"):
                v = first_col(i, w)
                if v in seen:
                    v = f"{v} ({i + 1})"
                seen.add(str(v))
                row.append(v)
            else:
                row.append(cell_value(k, i, w))
        rows.append(row)
    return rows


def doc_table(columns: list[str], size: str, w: Writer, caption: str = "") -> Table:
    cols = columns or ["Item", "Owner", "Status", "Due date"]
    rows = data_rows(cols, max(3, ROWS[size] // 2), w)
    return Table(columns=cols, rows=[[fmt(v, col_kind(c)) for v, c in zip(r, cols, strict=True)] for r in rows],
                 caption=caption)


def fmt(v: object, kind: str) -> str:
    if kind == "money" and isinstance(v, float):
        return f"${v:,.2f}" if v % 1 else f"${v:,.0f}"
    if kind == "pct" and isinstance(v, float):
        return f"{v:.1f}%"
    return str(v)


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


NUMBER_FORMATS = {"money": '"$"#,##0.00', "pct": '0.0"%"', "int": "#,##0"}


def data_sheet(name: str, columns: list[str], size: str, w: Writer) -> Sheet:
    """A sheet with typed cells, a bold SUM row under money/int columns (value = exact total) and a chart."""
    cols = columns or ["Item", "Owner", "Amount", "Status"]
    kinds = [col_kind(c) for c in cols]
    rows = data_rows(cols, ROWS[size], w)
    cells: list[list[object]] = [[Cell(value=v, number_format=NUMBER_FORMATS.get(k)) if k in NUMBER_FORMATS else v
                                  for v, k in zip(r, kinds, strict=True)] for r in rows]
    n = len(rows)
    summable = [j for j, k in enumerate(kinds) if k in ("money", "int") and j > 0]
    if summable:
        total: list[object] = [Cell(value="Total", bold=True)] + [None] * (len(cols) - 1)
        for j in summable:
            s = sum(r[j] for r in rows)  # type: ignore[misc]
            s = round(s, 2) if isinstance(s, float) else s
            total[j] = Cell(value=s, formula=f"=SUM({col_letter(j)}2:{col_letter(j)}{n + 1})", bold=True,
                            number_format=NUMBER_FORMATS[kinds[j]])
        cells.append(total)
    chart = None
    numeric = [j for j, k in enumerate(kinds) if k in ("money", "int", "pct") and j > 0]
    if numeric and n >= 4:
        j = numeric[0]
        chart = Chart(kind="line" if kinds[0] in ("year", "date") else "bar", title=f"{cols[j]} by {cols[0].lower()}",
                      categories=[str(r[0]) for r in rows[:12]], series=[Series(name=cols[j],
                      values=[float(r[j]) for r in rows[:12]])], x_label=cols[0], y_label=cols[j])  # type: ignore[arg-type]
    return Sheet(name=name[:31], columns=cols, rows=cells, chart=chart,
                 column_widths=[max(10.0, min(40.0, len(c) * 1.3)) for c in cols])


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
