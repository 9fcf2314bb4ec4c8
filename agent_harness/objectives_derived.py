"""Derived-work asks for a deliverable and their code-judged criteria, expected values computed from the
computer's real files (never from a model).

An *ask* is what a colleague requests ("the total AUM across the book of business, as 'Total AUM'"): its
kind, the table it reads and the label the result must carry. It holds no expected value; the criteria
built by :func:`ask_criteria` do, computed by :func:`agent_harness.derived.compute`.
"""

from __future__ import annotations

import random
import statistics
from datetime import date
from pathlib import Path
from typing import Any

from agent_harness.derived import (
    RATE_NAME,
    DataTable,
    compute,
    differences,
    fmt,
    tables_from_bytes,
    tolerance,
)
from agent_harness.paths import home_rel
from worldbuilder.spec import ComputerSpec

TABLE_TYPES = ("xlsx", "csv")
BORING_SHEETS = ("summary", "key figures")


def computer_tables(spec: ComputerSpec, tree: Path | None) -> list[DataTable]:
    """Every table of the computer's visible workbooks and CSV files, read from the rendered tree."""
    out: list[DataTable] = []
    if tree is None:
        return out
    for f in sorted(spec.files, key=lambda f: f.path):
        if f.type not in TABLE_TYPES or f.hidden or f.duplicate_of or not (tree / f.path).is_file():
            continue
        for t in tables_from_bytes(f.path, (tree / f.path).read_bytes()):
            t.source = home_rel(spec, f.path)
            out.append(t)
    return out


def table_score(t: DataTable) -> tuple:
    """Richer data first: several numeric columns and rows, not a two-column summary sheet."""
    return (t.sheet.casefold() not in BORING_SHEETS, min(len(t.num_cols), 3), min(len(t.rows), 12), t.source)


def version_pairs(tables: list[DataTable]) -> list[tuple[DataTable, DataTable]]:
    """Pairs of tables with the same columns and shared row labels whose numbers disagree (two versions)."""
    out = []
    for i, a in enumerate(tables):
        for b in tables[i + 1:]:
            if a.source == b.source or a.columns != b.columns or a.sheet.casefold() in BORING_SHEETS:
                continue
            shared = [lab for lab in a.labels() if lab in b.labels()]
            if len(shared) >= 3 and differences(a, b):
                out.append((a, b))
    return out


# --------------------------------------------------------------------------- asks


def _base(t: DataTable, kind: str, **kw: Any) -> dict[str, Any]:
    return {"kind": kind, "source": t.source, "sheet": t.sheet, **kw}


PERIOD_WORDS = ("plan", "budget", "actual", "forecast", "target", "prior", "last", "this", "previous", "current",
                "q1", "q2", "q3", "q4", "20", "before", "after", "baseline", "projected")


def comparable_pair(t: DataTable) -> tuple[str, str] | None:
    """Two numeric columns measuring the same thing (periods, plan/actual, similar magnitudes), or None."""
    cols = [t.columns[i] for i in t.num_cols]
    best = None
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            ma = statistics.median(abs(v) for v in t.values(a)) or 1e-9
            mb = statistics.median(abs(v) for v in t.values(b)) or 1e-9
            ratio = max(ma, mb) / min(ma, mb)
            named = sum(w in (a + " " + b).casefold() for w in PERIOD_WORDS)
            if ratio <= 3 or named >= 2:
                score = (named, -ratio)
                if best is None or score > best[0]:
                    best = (score, (a, b))
    return best[1] if best else None


def analysis_asks(t: DataTable, rng: random.Random, where: str) -> list[dict[str, Any]]:
    """Total, filtered average, change of one row between two columns (or its share) and a ranking."""
    cols = [t.columns[i] for i in t.num_cols]
    c, other = cols[0], (cols[1] if len(cols) > 1 else cols[0])
    if RATE_NAME.search(c):  # a rate or an average is averaged, not summed
        asks = [_base(t, "mean", column=c, label=f"Mean {c} across all rows",
                      text=f"the mean {c} across every row of {where}")]
    else:
        asks = [_base(t, "total", column=c, label=f"Total {c}", text=f"the total {c} across every row of {where}")]
    thr = round(statistics.median(t.values(other)), 2)
    asks.append(_base(t, "average_where", column=c, filter_column=other, threshold=thr,
                      label=f"Average {c} where {other} is at least {fmt(thr)}",
                      text=f"the average {c} over the rows whose {other} is at least {fmt(thr)}"))
    pair = comparable_pair(t)
    if pair:
        a, b = pair
        diffs = [abs(y - x) for x, y in zip(t.values(a), t.values(b), strict=True)]
        row = t.labels()[max(range(len(diffs)), key=lambda i: (diffs[i], -i))]
        asks.append(_base(t, "difference", row=row, column_a=a, column_b=b, label=f"{row}: {b} minus {a}",
                          text=f"for {row}, the difference {b} minus {a}"))
        asks.append(_base(t, "ranking", column_a=a, column_b=b, top=3, label=f"Top 3 by {b} minus {a}",
                          text=f"a ranking of the top three rows by {b} minus {a}, largest first"))
    else:
        row = rng.choice(t.labels())
        asks.append(_base(t, "share", row=row, column=c, label=f"{row} share of total {c} (%)",
                          text=f"{row}'s share of the total {c}, in percent"))
        asks.append(_base(t, "ranking", column=c, top=3, label=f"Top 3 by {c}",
                          text=f"a ranking of the top three rows by {c}, largest first"))
    return asks


def reconcile_ask(a: DataTable, b: DataTable) -> dict[str, Any]:
    col = a.columns[a.num_cols[0]]
    return {"kind": "reconcile", "source": a.source, "sheet": a.sheet, "source_b": b.source, "sheet_b": b.sheet,
            "column": col, "label": f"Rows where {col} disagrees",
            "text": f"a reconciliation of {Path(a.source).name} against {Path(b.source).name}: every row whose "
                    f"{col} differs, with the difference (second minus first), and how many rows disagree"}


def schedule_ask(t: DataTable, window: tuple[date, date], blocked: list[date], who: str) -> dict[str, Any]:
    items = t.labels()[:4]
    w = [window[0].isoformat(), window[1].isoformat()]
    return _base(t, "schedule", items=items, window=w, blocked=[d.isoformat() for d in blocked],
                 label="Schedule",
                 text=(f"a schedule giving each of {', '.join(items)} its own working day (YYYY-MM-DD) between "
                       f"{w[0]} and {w[1]}" + (f", avoiding {', '.join(d.isoformat() for d in blocked)} when "
                                                f"{who} is out" if blocked else "")))


# --------------------------------------------------------------------------- criteria


def ask_criteria(ask: dict[str, Any], tables: dict[tuple[str, str], DataTable]) -> list[tuple[str, int, dict]]:
    """(text, points, check) items with the expected result computed from the tables; all marked derived."""
    k = ask["kind"]
    if k == "reconcile":
        a, b = tables[(ask["source"], ask["sheet"])], tables[(ask["source_b"], ask["sheet_b"])]
        diffs = differences(a, b)
        items = [(f"reports {len(diffs)} row(s) where {ask['column']} disagrees", 4,
                  {"type": "value_reported", "label": ask["label"], "value": str(len(diffs)),
                   "number": float(len(diffs)), "tol": 0.01})]
        for lab, d in diffs[:3]:
            items.append((f"reconciliation lists {lab} with a difference of {d:g}", 3,
                          {"type": "table_row", "label": lab, "number": d, "tol": max(abs(d) * 0.005, 0.00051)}))
        return [(t, p, c | {"derived": True}) for t, p, c in items]
    value = compute(ask, tables)
    if k == "ranking":
        return [(f"ranks {', '.join(value)} in this order ({ask['label']})", 6,
                 {"type": "ranking", "labels": value, "derived": True})]
    if k == "schedule":
        return [(f"schedules {', '.join(value)} on distinct working days in {ask['window'][0]}..{ask['window'][1]}"
                 + (f" avoiding {', '.join(ask['blocked'])}" if ask["blocked"] else ""), 8,
                 {"type": "constraint_satisfied", "items": value, "window": ask["window"],
                  "blocked": ask["blocked"], "derived": True})]
    dec = 1 if k in ("growth", "share") else 2
    return [(f"reports {ask['label']} = {fmt(value, dec)} (±{fmt(tolerance(value, ask), 3)})", 5,
             {"type": "value_reported", "label": ask["label"], "value": fmt(value, dec), "number": value,
              "tol": tolerance(value, ask), "derived": True})]
