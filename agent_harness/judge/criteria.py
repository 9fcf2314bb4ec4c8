"""Criterion kinds, registered by name in one map: one function per ``check.type``.

The map and its contract (:class:`Ctx` in, :class:`Verdict` out) live in :mod:`agent_harness.judge.kinds`;
this module holds the file, fact, section and log kinds. A new kind is one new function decorated with
``@kind("name")``; a new module of kinds is imported once by :mod:`agent_harness.judge.api`, which registers it.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from agent_harness.derived import value_near
from agent_harness.judge.inputs import OutputFile, norm
from agent_harness.judge.kinds import Ctx, Verdict, addressed, kind, no, yes
from worldbuilder.factmatch import fact_pattern, matches_fact, parse_number, with_value

if TYPE_CHECKING:  # standard library only at run time: the in-computer grader ships this module
    from agent_harness.models import Criterion


def snippet(f: OutputFile, needle: str, width: int = 60) -> str:
    i = f.norm.find(norm(needle))
    return f"{f.path}: …{f.norm[max(0, i - 20): i + len(needle) + width // 2]}…" if i >= 0 else f.path


# --------------------------------------------------------------------------- files


@kind("file_valid")
def file_valid(c: Criterion, x: Ctx) -> Verdict:
    path, fmt, sheet = c.check.get("path", ""), c.check.get("format", ""), c.check.get("sheet")
    f = x.dlv.files.get(path)
    if f is None or not f.exists:
        return no(f"{path} is not in the computer on day {x.inp.day}")
    if fmt and f.kind != fmt:
        return no(f"{path} is a .{f.kind}, not a {fmt}")
    if not f.ok:
        return no(f"{path} cannot be opened as {fmt or f.kind}")
    if sheet:
        names = sheet_names(f)
        if sheet not in names:
            return no(f"{path} has no sheet {sheet!r} (sheets: {', '.join(names) or 'none'})")
    return yes(f"{path} ({len(f.data or b'')} bytes, {f.origin})", f"opens as {fmt or f.kind}")


def sheet_names(f: OutputFile) -> list[str]:
    from openpyxl import load_workbook

    try:
        return list(load_workbook(io.BytesIO(f.data or b""), read_only=True).sheetnames)
    except Exception:  # noqa: BLE001 - unreadable workbook: no sheets
        return []


# --------------------------------------------------------------------------- content


@kind("fact_cited")
def fact_cited(c: Criterion, x: Ctx) -> Verdict:
    display = str(c.check.get("display", ""))
    f = x.dlv.find(display)
    if f is not None:
        return yes(snippet(f, display), f"shows {display}")
    fact = x.inp.facts.get(str(c.check.get("fact", "")))
    if fact is not None:  # the same value written another way next to its label ("Q4 revenue: 1245300")
        target = with_value(fact, _value(display, fact.value))
        for out in x.dlv.readable:
            for m in fact_pattern(target, loose=True).finditer(out.text):
                if matches_fact(target, m.group("num"), m.group("suf")):
                    return yes(f"{out.path}: {m.group(0)}", f"shows {fact.label} as {display} (written {m.group('num')})")
    return no(f"{display} does not appear in the outputs")


def _value(display: str, default: float) -> float:
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", display)
    parsed = parse_number(m.group(0), None) if m else None
    return parsed[0] if parsed else default


HEADING_PREFIX = re.compile(r"^[#\s]*(?:\d+(?:\.\d+)*[.)]?\s+)?")


def heading_lines(text: str) -> list[tuple[int, str]]:
    return [(i, norm(HEADING_PREFIX.sub("", line)).rstrip(":").strip()) for i, line in enumerate(text.splitlines())]


def section_body(f: OutputFile, heading: str, known: set[str]) -> tuple[bool, int]:
    """(heading present as its own line, words under it before the next known heading)."""
    h = norm(heading)
    lines = f.text.splitlines()
    best = (False, 0)
    for i, line in heading_lines(f.text):
        if line != h:
            continue
        words = 0
        for j in range(i + 1, len(lines)):
            nxt = norm(HEADING_PREFIX.sub("", lines[j])).rstrip(":").strip()
            if nxt in known:
                break
            words += len(lines[j].split())
        best = max(best, (True, words))
    return best


MIN_SECTION_WORDS = 5


def _has_section(heading: str, x: Ctx) -> Verdict:
    known = {norm(s) for s in x.dlv.deliverable.sections} | {norm(str(cr.check.get("heading", "")))
                                                            for cr in x.dlv.deliverable.rubric}
    known.discard("")
    found_bare = None
    for f in x.dlv.readable:
        present, words = section_body(f, heading, known)
        if present and words >= MIN_SECTION_WORDS:
            return yes(f"{f.path}: section '{heading}' ({words} words)", "section present with content")
        if present:
            found_bare = f
    if found_bare is not None:
        return no(f"section '{heading}' is only a heading (fewer than {MIN_SECTION_WORDS} words under it)",
                  found_bare.path)
    return no(f"no section titled '{heading}'")


@kind("section")
def section(c: Criterion, x: Ctx) -> Verdict:
    return _has_section(str(c.check.get("heading", "")), x)


@kind("source_used")
def source_used(c: Criterion, x: Ctx) -> Verdict:
    path, ev = str(c.check.get("path", "")), str(c.check.get("evidence", ""))
    f = x.dlv.find(ev) if ev else None
    if f is not None:
        return yes(snippet(f, ev), f"carries '{ev}' from {path}")
    lines = x.inp.source_lines([path])
    for line in lines:
        f = x.dlv.find(line)
        if f is not None and len(line.split()) >= 8:
            return yes(snippet(f, line), f"quotes a line of {path}")
    name = path.rsplit("/", 1)[-1]
    f = x.dlv.find(name) if len(name) > 6 else None
    if f is not None:
        return yes(snippet(f, name), f"cites {path} by name")
    return no(f"nothing of {path} (its evidence '{ev}', its lines or its name) is in the outputs")


@kind("value_reported")
def value_reported(c: Criterion, x: Ctx) -> Verdict:
    """``{"label": L, "value": V}``: V within 120 characters after L; with ``number`` (and ``tol``): a number
    within ``tol`` of it within 160 characters after L (a derived result, written any way)."""
    if "number" in c.check:
        label, num, tol = str(c.check.get("label", "")), float(c.check["number"]), float(c.check.get("tol", 0))
        for f in x.dlv.readable:
            hit = value_near(f.text, label, num, tol)
            if hit:
                return yes(f"{f.path}: {hit}", f"reports {label} = {c.check.get('value')} (±{tol:g})")
        return no(f"{label} = {c.check.get('value')} (±{tol:g}) is not reported")
    label, value = norm(str(c.check.get("label", ""))), norm(str(c.check.get("value", "")))
    for f in x.dlv.readable:
        for m in re.finditer(re.escape(label), f.norm):
            if value and value in f.norm[m.end(): m.end() + 120]:
                return yes(f"{f.path}: {f.norm[m.start(): m.end() + 60]}", f"reports {label} = {value}")
    return no(f"{c.check.get('label')} = {c.check.get('value')} is not reported")


@kind("table_contains")
def table_contains(c: Criterion, x: Ctx) -> Verdict:
    """``{"type": "table_contains", "cells": [...], "path": optional}``: one table row holding every cell."""
    cells = [norm(str(v)) for v in c.check.get("cells", [])]
    files = [x.dlv.files[c.check["path"]]] if c.check.get("path") in x.dlv.files else x.dlv.readable
    for f in files:
        if not f.ok:
            continue
        for line in f.text.splitlines():
            row = [norm(v) for v in line.split("\t")]
            if len(row) > 1 and all(any(cell == r or cell in r for r in row) for cell in cells):
                return yes(f"{f.path}: {' | '.join(row)[:120]}", "table row found")
    return no(f"no table row with {', '.join(cells)}")


# --------------------------------------------------------------------------- logs


@kind("message_sent")
def message_sent(c: Criterion, x: Ctx) -> Verdict:
    pid, before = str(c.check.get("person", "")), int(c.check.get("before_day", 10**6))
    d = x.dlv.deliverable
    marks = [norm(d.id)] + [norm(o.path.rsplit("/", 1)[-1]) for o in d.outputs]
    sent = [m for m in x.inp.messages if m.direction == "from_user" and addressed(m.to, pid, x)]
    about = [m for m in sent if any(k in norm(f"{m.subject}\n{m.body}") for k in marks)]
    early = [m for m in about if m.day < before]
    if early:
        m = early[0]
        return yes(f"message {m.id} on day {m.day}: {m.subject[:80]}", f"wrote to {pid} about {d.id} before day {before}")
    if about:
        return no(f"first message to {pid} about {d.id} was on day {about[0].day}, not before day {before}")
    return no(f"no message to {pid} about {d.id}" + (f" ({len(sent)} message(s) on other matters)" if sent else ""))


@kind("submitted_by")
def submitted_by(c: Criterion, x: Ctx) -> Verdict:
    due = int(c.check.get("day", 10**6))
    days = x.dlv.submit_days
    if not days:
        return no(f"never submitted (by day {x.inp.day})")
    if days[0] > due:
        return no(f"first submitted on day {days[0]}, after the due day {due}")
    return yes(f"submitted on day(s) {', '.join(map(str, days))}", f"submitted by day {due}")


# --------------------------------------------------------------------------- late requirements


def _after(event_day: int, x: Ctx) -> Verdict | None:
    """None when a submission follows the event (arrives at the end of ``event_day``), else the failing verdict."""
    if event_day > x.inp.day:
        return no(f"the day-{event_day} message comes after the judged day {x.inp.day}")
    later = [d for d in x.dlv.submit_days if d > event_day]
    if not later:
        return no(f"not resubmitted after the day-{event_day} message (submissions: "
                  f"{', '.join(map(str, x.dlv.submit_days)) or 'none'})")
    return None


@kind("change")
def change(c: Criterion, x: Ctx) -> Verdict:
    fail = _after(int(c.check.get("day", 0)), x)
    if fail:
        return fail
    v = _has_section(str(c.check.get("heading", "")), x)
    v.rationale = ("late requirement reflected: " if v.fraction else "late requirement missed: ") + v.rationale
    return v


@kind("correction")
def correction(c: Criterion, x: Ctx) -> Verdict:
    fail = _after(int(c.check.get("day", 0)), x)
    if fail:
        return fail
    new, old = str(c.check.get("new", "")), str(c.check.get("old", ""))
    if "number" in c.check:  # a derived result recomputed after a corrected source cell
        label, tol = str(c.check.get("label", "")), float(c.check.get("tol", 0))
        for f in x.dlv.readable:
            hit = value_near(f.text, label, float(c.check["old_number"]), tol)
            if hit and abs(float(c.check["old_number"]) - float(c.check["number"])) > tol:
                return no(f"still reports the uncorrected {label} {old}", f"{f.path}: {hit}")
        for f in x.dlv.readable:
            hit = value_near(f.text, label, float(c.check["number"]), tol)
            if hit:
                return yes(f"{f.path}: {hit}", f"reports the corrected {label} {new}")
        return no(f"the corrected {label} {new} is missing")
    stale = x.dlv.find(old) if old else None
    if stale is not None:
        return no(f"still shows the old figure {old}", snippet(stale, old))
    f = x.dlv.find(new)
    if f is None:
        return no(f"the corrected figure {new} is missing")
    return yes(snippet(f, new), f"shows {new}, no trace of {old}")


# --------------------------------------------------------------------------- free text


@kind("judge")
def judge(c: Criterion, x: Ctx) -> Verdict:
    if x.llm is None:
        return Verdict(0.0, "", "free-text criterion: needs an LLM judge (--judge openai:MODEL)", "unjudged")
    return x.llm.grade(c, x)

