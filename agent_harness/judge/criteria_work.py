"""Criterion kinds for derived work and professional quality, registered in the same map as the others
(:data:`agent_harness.judge.kinds.KINDS`): one function per ``check.type``."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from agent_harness.derived import numbers_in, ranking_found, schedule_problems, schedule_rows
from agent_harness.judge.inputs import OutputFile, norm
from agent_harness.judge.kinds import Ctx, Verdict, addressed, kind, no, yes

if TYPE_CHECKING:
    from agent_harness.models import Criterion

OPENING_WORDS, ENDING_WORDS = 120, 60


def _files(c: Criterion, x: Ctx) -> list[OutputFile]:
    """The criterion's own output when it names one that is readable, else every readable output."""
    f = x.dlv.files.get(str(c.check.get("path", "")))
    return [f] if f is not None and f.exists and f.ok else x.dlv.readable


# --------------------------------------------------------------------------- derived work


@kind("table_row")
def table_row(c: Criterion, x: Ctx) -> Verdict:
    """``{"label": L, "number": N, "tol": T}``: one line (table row) naming L and a number within T of N."""
    label, num, tol = str(c.check.get("label", "")), float(c.check.get("number", 0)), float(c.check.get("tol", 0))
    for f in x.dlv.readable:
        for line in f.text.splitlines():
            if norm(label) in norm(line):
                rest = norm(line).replace(norm(label), " ", 1)
                if any(abs(v - num) <= tol for v in numbers_in(rest)):
                    return yes(f"{f.path}: {line.strip()[:120]}", f"row {label} shows {num:g}")
    return no(f"no row naming {label} with {num:g} (±{tol:g})")


@kind("ranking")
def ranking(c: Criterion, x: Ctx) -> Verdict:
    """``{"labels": [...]}``: the labels appear on successive lines in this order."""
    labels = [str(v) for v in c.check.get("labels", [])]
    for f in x.dlv.readable:
        hit = ranking_found(f.text, labels)
        if hit:
            return yes(f"{f.path}: {hit[:160]}", f"ranks {' > '.join(labels)}")
    return no(f"the ranking {' > '.join(labels)} is not in the outputs")


@kind("constraint_satisfied")
def constraint_satisfied(c: Criterion, x: Ctx) -> Verdict:
    """``{"items", "window", "blocked"}``: a schedule giving every item a distinct working day (YYYY-MM-DD)
    inside the window and off the blocked dates; the output with the most items dated is judged."""
    items = [str(v) for v in c.check.get("items", [])]
    best: tuple[int, OutputFile | None, dict[str, str]] = (-1, None, {})
    for f in x.dlv.readable:
        rows = schedule_rows(f.text, items, c.check.get("window"))
        if len(rows) > best[0]:
            best = (len(rows), f, rows)
    _, f, rows = best
    if f is None or not rows:
        return no(f"no schedule dating {', '.join(items)}")
    probs = schedule_problems(rows, c.check)
    if probs:
        return no("; ".join(probs[:4]), f.path)
    return yes(f"{f.path}: " + ", ".join(f"{k} {v}" for k, v in rows.items()), "every constraint holds")


# --------------------------------------------------------------------------- quality


def _region(text: str, where: str) -> str:
    words = text.split()
    if where == "opening":
        return " ".join(words[:OPENING_WORDS])
    if where == "end":
        return " ".join(words[-ENDING_WORDS:])
    return text


@kind("text_matches")
def text_matches(c: Criterion, x: Ctx) -> Verdict:
    """``{"pattern", "where": "opening"|"end"|"any", "path"}``: the regex matches there (case-insensitive)."""
    pat, where = str(c.check.get("pattern", "")), str(c.check.get("where", "any"))
    for f in _files(c, x):
        region = _region(f.text, where)
        m = re.search(pat, region, re.IGNORECASE | re.MULTILINE)
        if m:
            return yes(f"{f.path}: …{region[max(0, m.start() - 40): m.end() + 40]}…", f"{where}: matches {pat}")
    return no(f"nothing in the {where} of the outputs matches {pat}")


@kind("text_absent")
def text_absent(c: Criterion, x: Ctx) -> Verdict:
    pat = str(c.check.get("pattern", ""))
    if not x.dlv.readable:
        return no("no readable output")
    for f in x.dlv.readable:
        m = re.search(pat, f.text, re.IGNORECASE)
        if m:
            return no(f"contains {m.group(0)!r}", f"{f.path}: …{f.text[max(0, m.start() - 40): m.end() + 40]}…")
    return yes(", ".join(f.path for f in x.dlv.readable), f"no match for {pat}")


@kind("length_between")
def length_between(c: Criterion, x: Ctx) -> Verdict:
    f = x.dlv.files.get(str(c.check.get("path", "")))
    if f is None or not f.exists or not f.ok:
        return no(f"{c.check.get('path')} is not readable")
    n, lo, hi = len(f.text.split()), int(c.check.get("min", 0)), int(c.check.get("max", 10**9))
    if lo <= n <= hi:
        return yes(f"{f.path}: {n} words", f"{n} words (wanted {lo}-{hi})")
    return no(f"{n} words (wanted {lo}-{hi})", f.path)


@kind("has_formula")
def has_formula(c: Criterion, x: Ctx) -> Verdict:
    from openpyxl import load_workbook

    f = x.dlv.files.get(str(c.check.get("path", "")))
    if f is None or not f.exists or not f.ok:
        return no(f"{c.check.get('path')} is not readable")
    wb = load_workbook(io.BytesIO(f.data or b""), data_only=False, read_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    return yes(f"{f.path}: {ws.title}!{cell.coordinate} {cell.value[:60]}", "uses formulas")
    return no("every cell is a typed value (no formula)", f.path)


@kind("mentions_all")
def mentions_all(c: Criterion, x: Ctx) -> Verdict:
    terms = [str(t) for t in c.check.get("terms", [])]
    text = norm(x.dlv.text)
    missing = [t for t in terms if norm(t) not in text]
    if missing:
        return no(f"missing {', '.join(missing[:5])}" + (" …" if len(missing) > 5 else ""))
    return yes(f"all {len(terms)} named", "covers every row")


@kind("replied_after")
def replied_after(c: Criterion, x: Ctx) -> Verdict:
    """``{"person", "day"}``: the user wrote to the person on or after ``day`` (the request came that day)."""
    pid, day = str(c.check.get("person", "")), int(c.check.get("day", 0))
    sent = [m for m in x.inp.messages if m.direction == "from_user" and m.day >= day and addressed(m.to, pid, x)]
    if sent:
        return yes(f"message {sent[0].id} on day {sent[0].day}: {sent[0].subject[:80]}", f"replied to {pid}")
    return no(f"no message to {pid} on or after day {day}")
