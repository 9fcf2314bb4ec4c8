"""Spreadsheet invariants the checker verifies, reported like contradicted facts.

* ``formula``: a formula cell's stored value equals its formula evaluated over the sheet (SUM, AVERAGE,
  ROUND, COUNTIF, MIN, MAX, + - * /, cell references).
* ``balance``: a sheet with Debit and Credit columns has equal debit and credit totals.
* ``period``: dates in a sheet whose file title names a month (or quarter) fall inside it.
* ``order``: event dates in a row run in order (opened <= due, opened <= closed, start <= end, ...), and a
  journal's dates are in order.
* ``people``: owner/staff/assignee columns hold names of the world's people (or the user).
* ``codes``: roster codes come from the workbook's code legend.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from worldbuilder.spec import Cell, ComputerSpec, FileSpec

ORDER_PAIRS = (("opened", "due"), ("opened", "closed"), ("start", "end"), ("submitted", "hearing"),
               ("issued", "due"), ("ordered", "delivered"), ("received", "resolved"), ("start date", "end date"))
PEOPLE_COLS = re.compile(r"^(owner|staff|assignee|assigned to|responsible|preceptor)$", re.I)
_REF = re.compile(r"\$?([A-Z]{1,3})\$?(\d+)")


class Violation(BaseModel):
    file: str
    sheet: str
    invariant: str  # formula, balance, period, order, people, codes
    detail: str


Grid = list[tuple[str, list[str], list[list[tuple[Any, str | None]]]]]  # (sheet, columns, rows of (value, formula))


def col_letter(j: int) -> str:
    s, j = "", j + 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def spec_grid(f: FileSpec) -> Grid:
    out: Grid = []
    for s in f.content.sheets:
        rows = [[(c.value, c.formula) if isinstance(c, Cell) else (c, None) for c in r] for r in s.rows]
        out.append((s.name, list(s.columns), rows))
    return out


def file_grid(path: Path) -> Grid:
    """Values and formulas of a rendered workbook (cached values as the file stores them)."""
    from openpyxl import load_workbook

    wf = load_workbook(path, read_only=True)
    wv = load_workbook(path, read_only=True, data_only=True)
    out: Grid = []
    for ws_f, ws_v in zip(wf.worksheets, wv.worksheets, strict=True):
        rf = list(ws_f.iter_rows(values_only=True))
        rv = list(ws_v.iter_rows(values_only=True))
        if not rf:
            continue
        cols = [str(c) if c is not None else "" for c in rf[0]]
        rows = []
        for a, b in zip(rf[1:], rv[1:], strict=True):
            rows.append([(v.isoformat()[:10] if hasattr(v, "isoformat") else v,
                          f if isinstance(f, str) and f.startswith("=") else None) for f, v in zip(a, b, strict=True)])
        out.append((ws_f.title, cols, rows))
    wf.close()
    wv.close()
    return out


# --------------------------------------------------------------------------- formulas


class _Eval:
    """A tiny evaluator for the formulas the generator writes."""

    def __init__(self, rows: list[list[tuple[Any, str | None]]]) -> None:
        self.rows = rows

    def cell(self, col: str, row: int) -> Any:
        i, j = row - 2, _col_index(col)
        if 0 <= i < len(self.rows) and 0 <= j < len(self.rows[i]):
            return self.rows[i][j][0]
        return None

    def range(self, ref: str) -> list[Any]:
        a, b = ref.split(":")
        (c1, r1), (c2, r2) = _REF.fullmatch(a).groups(), _REF.fullmatch(b).groups()  # type: ignore[union-attr]
        out = []
        for r in range(int(r1), int(r2) + 1):
            for j in range(_col_index(c1), _col_index(c2) + 1):
                out.append(self.cell(col_letter(j), r))
        return out

    def evaluate(self, formula: str) -> float | None:
        if "!" in formula:
            return None  # cross-sheet summaries are evaluated by LibreOffice in the slow tests
        expr = formula.lstrip("=")
        try:
            return float(self._expr(expr))
        except (ValueError, TypeError, ZeroDivisionError, AttributeError, SyntaxError):
            return None

    def _nums(self, ref: str) -> list[float]:
        return [v for v in self.range(ref) if isinstance(v, int | float) and not isinstance(v, bool)]

    def _expr(self, expr: str) -> float:
        def fn(m: re.Match[str]) -> str:
            name, arg = m.group(1).upper(), m.group(2)
            if name == "SUM":
                return repr(sum(self._nums(arg)))
            if name == "AVERAGE":
                vals = self._nums(arg)
                return repr(sum(vals) / len(vals))
            if name in ("MIN", "MAX"):
                return repr((min if name == "MIN" else max)(self._nums(arg)))
            if name == "COUNTIF":
                ref, crit = arg.split(",", 1)
                return repr(sum(1 for v in self.range(ref) if str(v) == crit.strip().strip('"')))
            raise ValueError(name)

        prev = None
        while prev != expr:  # innermost range functions first
            prev = expr
            expr = re.sub(r"\b(SUM|AVERAGE|MIN|MAX|COUNTIF)\(([^()]*)\)", fn, expr)
        expr = re.sub(r"\bROUND\(", "_round(", expr)
        expr = _REF.sub(lambda m: repr(_num(self.cell(m.group(1), int(m.group(2))))), expr)
        if re.search(r"[A-Za-z]", expr.replace("_round", "")):
            raise ValueError(expr)
        return eval(expr, {"__builtins__": {}}, {"_round": lambda x, n=0: round(x, int(n))})  # noqa: S307


def _num(v: Any) -> float:
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TypeError(v)
    return float(v)


# --------------------------------------------------------------------------- invariants


def _period(title: str) -> tuple[date, date] | None:
    words = title.lower().replace("-", " ").replace("_", " ").split()
    year = next((int(t) for t in words if t.isdigit() and len(t) == 4), None)
    if year is None:
        return None
    for m in range(1, 13):
        if calendar.month_name[m].lower() in words:
            return date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])
    for q in range(1, 5):
        if f"q{q}" in words:
            return date(year, 3 * q - 2, 1), date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])
    return None


def _date(v: Any) -> date | None:
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return date.fromisoformat(v)
    return None


def sheet_violations(f: FileSpec, spec: ComputerSpec, grid: Grid) -> list[Violation]:
    out: list[Violation] = []
    people = {p.name for p in spec.world.people} | {spec.profile.full_name}
    period = _period(f.content.title)
    legend = next((r for name, _, r in grid if name.lower() == "codes"), None)
    codes = {str(r[0][0]) for r in legend} if legend else None

    def add(sheet: str, inv: str, detail: str) -> None:
        out.append(Violation(file=f.path, sheet=sheet, invariant=inv, detail=detail))

    for name, cols, rows in grid:
        ev = _Eval(rows)
        low = [c.strip().lower() for c in cols]
        for i, r in enumerate(rows):
            for j, (v, formula) in enumerate(r):
                if formula and isinstance(v, int | float):
                    want = ev.evaluate(formula)
                    if want is not None and abs(want - v) > 0.011 + 1e-9 * abs(want):
                        add(name, "formula", f"{col_letter(j)}{i + 2} {formula} = {want:g}, stored {v:g}")
        if "debit" in low and "credit" in low:
            dj, cj = low.index("debit"), low.index("credit")
            body = [r for r in rows if str(r[0][0]).lower() != "total"]
            d = sum(_num(r[dj][0]) for r in body if dj < len(r) and isinstance(r[dj][0], int | float))
            c = sum(_num(r[cj][0]) for r in body if cj < len(r) and isinstance(r[cj][0], int | float))
            if abs(d - c) > 0.01:
                add(name, "balance", f"debits {d:,.2f} != credits {c:,.2f}")
        if period is not None:
            lo, hi = period
            for j, c in enumerate(low):
                if c == "date" or c.endswith(" date") or c in ("opened",):
                    bad = [r[j][0] for r in rows if j < len(r) and (d := _date(r[j][0])) and not lo <= d <= hi]
                    if bad:
                        add(name, "period", f"{cols[j]} {bad[0]} outside {lo}..{hi} ({len(bad)} cells)")
            bad_heads = [c for c in cols if (d := _date(c)) and not lo <= d <= hi]
            if bad_heads:
                add(name, "period", f"column {bad_heads[0]} outside {lo}..{hi}")
        for a, b in ORDER_PAIRS:
            if a in low and b in low:
                ja, jb = low.index(a), low.index(b)
                for r in rows:
                    da, db = _date(r[ja][0]) if ja < len(r) else None, _date(r[jb][0]) if jb < len(r) else None
                    if da and db and db < da:
                        add(name, "order", f"{cols[jb]} {db} before {cols[ja]} {da}")
                        break
        if "date" in low and "debit" in low:
            ds = [d for r in rows if (d := _date(r[low.index("date")][0]))]
            if ds != sorted(ds):
                add(name, "order", "journal dates out of order")
        for j, c in enumerate(cols):
            if PEOPLE_COLS.match(c.strip()):
                unknown = [r[j][0] for r in rows if j < len(r) and r[j][0] and r[j][0] not in people]
                if unknown:
                    add(name, "people", f"{c} {unknown[0]!r} is nobody in this world")
        if codes is not None and name.lower() != "codes" and low and low[0] == "staff":
            bad = [v for r in rows for (v, _) in r[1:-1] if isinstance(v, str) and v not in codes]
            if bad:
                add(name, "codes", f"shift code {bad[0]!r} not in the legend")
    return out


def find_violations(spec: ComputerSpec, tree: Path | None = None) -> list[Violation]:
    out: list[Violation] = []
    for f in spec.files:
        if f.type != "xlsx" or not f.content.sheets:
            continue
        if tree is not None and (tree / f.path).is_file():
            try:
                grid = file_grid(tree / f.path)
            except Exception:  # noqa: BLE001 - unreadable files are reported by the checker already
                continue
        else:
            grid = spec_grid(f)
        out += sheet_violations(f, spec, grid)
    return out
