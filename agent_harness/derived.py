"""Tables of a computer's real files and the derived results computed from them.

One reader turns a workbook/CSV (through openpyxl/csv) or the text the read-file tool shows for it
("# Sheet" lines, tab-separated rows) into :class:`DataTable` rows; one function per ask kind computes the
expected result. The objective writer, the reference solver, the collaborators' reviews and the judge's
numeric checks all use this module, so what is asked, what is expected and what is checked agree.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

NUM_RE = re.compile(r"(?<![\w.])[-−(]?[$€£¥₹]?\s?\d[\d,]*(?:\.\d+)?\)?\s?%?")
TOTAL_WORDS = ("total", "subtotal", "sum", "grand total")
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}/\d{1,2}/\d{2,4}$")
RATE_NAME = re.compile(r"avg|average|mean|%|rate|ratio|score|pct|percent|margin|retention|conversion|share", re.I)
ID_NAME = re.compile(r"\b(id|no|nr|number|code|zip|postcode|phone|year|ref|#)\b|^#", re.I)  # numbers, not measures


def parse_num(v: Any) -> float | None:
    """A cell or token as a number: 1234, "1,234.5", "$1,234", "(12)", "12%" (-> 12.0); else None."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return float(v)
    s = str(v).strip().replace("\u2212", "-").replace("\u00a0", "")
    neg = s.startswith("(") and s.endswith(")")
    s = re.sub(r"^[-(]?\s*[A-Z]{0,3}\s?[$€£¥₹]?\s?", lambda m: "-" if m.group(0).strip().startswith("-") else "", s)
    s = s.rstrip(")").rstrip("%").strip().replace(",", "")
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", s):
        return None
    x = float(s)
    return -x if neg else x


def numbers_in(text: str) -> list[float]:
    out = []
    for m in NUM_RE.finditer(text):
        x = parse_num(m.group(0).replace(" ", ""))
        if x is not None:
            out.append(x)
    return out


@dataclass
class DataTable:
    """One rectangular table: a label column, numeric columns and the raw rows."""

    source: str  # home-relative path of the file
    sheet: str
    columns: list[str]
    rows: list[list[Any]]
    label_col: int = 0
    num_cols: list[int] = field(default_factory=list)

    def labels(self) -> list[str]:
        return [str(r[self.label_col]).strip() for r in self.rows]

    def col(self, name: str) -> int:
        return self.columns.index(name)

    def values(self, name: str) -> list[float]:
        i = self.col(name)
        return [parse_num(r[i]) or 0.0 for r in self.rows]

    def value(self, label: str, name: str) -> float:
        return parse_num(self.rows[self.labels().index(label)][self.col(name)]) or 0.0


def _shape(source: str, sheet: str, grid: list[list[Any]]) -> DataTable | None:
    """The first header row (>= 2 text cells) and the data rows under it, or None without numeric columns."""
    grid = [list(r) for r in grid if any(c not in (None, "") for c in r)]
    for h, head in enumerate(grid[:6]):
        names = [str(c).strip() if c is not None else "" for c in head]
        if sum(1 for c in names if c and parse_num(c) is None) < 2:
            continue
        width = len(names)
        rows = [(list(r) + [None] * width)[:width] for r in grid[h + 1:]]
        rows = [r for r in rows if str(r[0] or "").strip()
                and not any(str(r[0]).strip().lower().startswith(w) for w in TOTAL_WORDS)]
        if len(rows) < 3:
            return None
        nums = [j for j in range(width) if names[j] and not ID_NAME.search(names[j])
                and sum(parse_num(r[j]) is not None for r in rows) >= max(3, round(0.9 * len(rows)))]
        texts = [j for j in range(width) if j not in nums and names[j]
                 and len({str(r[j]).strip() for r in rows}) == len(rows)
                 and not any(DATE_LIKE.match(str(r[j]).strip()) for r in rows)]
        if not nums or not texts:
            return None
        return DataTable(source, sheet, names, rows, texts[0], nums)
    return None


def tables_from_bytes(source: str, data: bytes) -> list[DataTable]:
    """Tables of an xlsx (every sheet, cached values) or CSV file, read by their own libraries."""
    out: list[DataTable] = []
    if source.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
        except Exception:  # noqa: BLE001 - an unreadable workbook has no tables
            return []
        for ws in wb.worksheets:
            t = _shape(source, ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
            if t:
                out.append(t)
    elif source.lower().endswith(".csv"):
        grid = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"))))
        t = _shape(source, "", grid)
        if t:
            out.append(t)
    return out


def tables_from_text(source: str, text: str) -> list[DataTable]:
    """The same tables from the text the read-file tool shows ("# Sheet" lines, tab-separated rows)."""
    out: list[DataTable] = []
    sheet, grid = "", []
    for line in text.splitlines() + ["# "]:
        if line.startswith("# ") and "\t" not in line:
            t = _shape(source, sheet, grid) if grid else None
            if t:
                out.append(t)
            sheet, grid = line[2:].strip(), []
        else:
            grid.append([c if c != "" else None for c in line.split("\t")])
    return out


def with_override(tables: dict[tuple[str, str], DataTable], ov: dict[str, Any] | None
                  ) -> dict[tuple[str, str], DataTable]:
    """The tables with one corrected cell ({"source", "sheet", "row", "column", "value"}); others shared."""
    if not ov:
        return tables
    key = (ov["source"], ov.get("sheet", ""))
    t = tables[key]
    rows = [list(r) for r in t.rows]
    rows[t.labels().index(ov["row"])][t.col(ov["column"])] = ov["value"]
    return {**tables, key: DataTable(t.source, t.sheet, t.columns, rows, t.label_col, t.num_cols)}


def differences(a: DataTable, b: DataTable) -> list[tuple[str, float]]:
    """(label, b - a) of the shared rows whose first numeric column disagrees, in ``a``'s order."""
    col = a.columns[a.num_cols[0]]
    out = []
    for lab in a.labels():
        if lab in b.labels():
            d = round(b.value(lab, col) - a.value(lab, col), 4)
            if abs(d) > 1e-9:
                out.append((lab, d))
    return out


# --------------------------------------------------------------------------- asks


def fmt(x: float, decimals: int = 2) -> str:
    return f"{x:,.{decimals}f}"


def compute(ask: dict[str, Any], tables: dict[tuple[str, str], DataTable]) -> Any:
    """The expected result of one ask (a number, an ordered label list or a schedule constraint set)."""
    t = tables[(ask["source"], ask.get("sheet", ""))]
    k = ask["kind"]
    if k == "total":
        return round(sum(t.values(ask["column"])), 2)
    if k == "mean":
        return round(statistics.fmean(t.values(ask["column"])), 2)
    if k == "average_where":
        xs = [v for v, w in zip(t.values(ask["column"]), t.values(ask["filter_column"]), strict=True)
              if w >= ask["threshold"]]
        return round(statistics.fmean(xs), 2) if xs else 0.0
    if k == "difference":
        return round(t.value(ask["row"], ask["column_b"]) - t.value(ask["row"], ask["column_a"]), 2)
    if k == "growth":
        a, b = t.value(ask["row"], ask["column_a"]), t.value(ask["row"], ask["column_b"])
        return round((b - a) / a * 100, 1) if a else 0.0
    if k == "share":
        col = t.values(ask["column"])
        return round(t.value(ask["row"], ask["column"]) / sum(col) * 100, 1) if sum(col) else 0.0
    if k == "ranking":
        key = _rank_key(t, ask)
        order = sorted(range(len(t.rows)), key=lambda i: (-key[i], t.labels()[i]))
        return [t.labels()[i] for i in order[: ask.get("top", 3)]]
    if k == "schedule":
        return ask["items"]
    raise KeyError(f"unknown ask kind {k!r}")


def _rank_key(t: DataTable, ask: dict[str, Any]) -> list[float]:
    if ask.get("column_a"):
        return [b - a for a, b in zip(t.values(ask["column_a"]), t.values(ask["column_b"]), strict=True)]
    return t.values(ask["column"])


def tolerance(expected: float, ask: dict[str, Any]) -> float:
    """Absolute tolerance of a numeric ask: 0.5% of the value, at least half the last shown decimal."""
    return max(abs(expected) * 0.005, 0.051 if ask["kind"] in ("growth", "share") else 0.51)


def value_near(text: str, label: str, expected: float, tol: float, window: int = 160) -> str | None:
    """The snippet where a number within ``tol`` of ``expected`` follows ``label`` (case-insensitive)."""
    low = text.casefold()
    lab = " ".join(label.casefold().split())
    flat = " ".join(low.split())
    for m in re.finditer(re.escape(lab), flat):
        tail = flat[m.end(): m.end() + window]
        for x in numbers_in(tail):
            if abs(x - expected) <= tol or abs(-x - expected) <= tol:
                return flat[m.start(): m.end() + 80]
    return None


def ranking_found(text: str, labels: list[str]) -> str | None:
    """The lines holding ``labels`` in this order (greedy: each after the previous one's line)."""
    lines = [" ".join(line.casefold().split()) for line in text.splitlines()]
    pos, hits = 0, []
    for lab in labels:
        j = next((i for i in range(pos, len(lines)) if lab.casefold() in lines[i]), None)
        if j is None:
            return None
        hits.append(j)
        pos = j + 1
    return " / ".join(lines[i][:60] for i in hits)


DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def schedule_rows(text: str, items: list[str], window: list[str] | None = None) -> dict[str, str]:
    """{item: ISO date} from lines naming an item and a YYYY-MM-DD date (a date inside ``window`` first)."""
    out: dict[str, str] = {}
    for inside in ((True, False) if window else (False,)):
        for line in text.splitlines():
            low = line.casefold()
            for it in items:
                if it in out or it.casefold() not in low:
                    continue
                for m in DATE_RE.finditer(line):
                    if not inside or window[0] <= m.group(0) <= window[1]:
                        out[it] = m.group(0)
                        break
    return out


def schedule_problems(rows: dict[str, str], ask: dict[str, Any]) -> list[str]:
    """What breaks the ask's constraints: every item once, working days in the window, no two on one day,
    none on a blocked date."""
    from datetime import date

    probs = [f"{it} has no date" for it in ask["items"] if it not in rows]
    seen: dict[str, str] = {}
    for it, d in rows.items():
        try:
            day = date.fromisoformat(d)
        except ValueError:
            probs.append(f"{it}: {d} is not a date")
            continue
        if not ask["window"][0] <= d <= ask["window"][1]:
            probs.append(f"{it}: {d} is outside {ask['window'][0]}..{ask['window'][1]}")
        if day.weekday() >= 5:
            probs.append(f"{it}: {d} is a weekend")
        if d in ask.get("blocked", []):
            probs.append(f"{it}: {d} is blocked")
        if d in seen:
            probs.append(f"{it} and {seen[d]} share {d}")
        seen[d] = it
    return probs
