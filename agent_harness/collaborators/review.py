"""A colleague's review of a draft: specific critiques tied to the rubric's checkable items, worded the way
a reviewer would say them, never revealing an expected figure."""

from __future__ import annotations

import io
import re
from pathlib import PurePosixPath
from typing import Any

from agent_harness.derived import ranking_found, schedule_problems, schedule_rows, value_near
from agent_harness.models import Deliverable


def _has_formula(data: bytes) -> bool:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001 - an unreadable workbook has none
        return False
    return any(isinstance(c.value, str) and c.value.startswith("=") for ws in wb.worksheets
               for row in ws.iter_rows() for c in row)


def _source_of(d: Deliverable, label: str) -> str:
    ask = next((a for a in d.asks if a.get("label") == label), None)
    return PurePosixPath(ask["source"]).name if ask else "the source file"


def critique(c: dict[str, Any], d: Deliverable, blob: str, datas: dict[str, bytes],
             texts: dict[str, str], event_days: dict[str, int]) -> str | None:
    """One reviewer's remark for a failing check ``c`` of ``d`` (None when the draft meets it)."""
    t = c.get("type")
    if t == "value_reported" and "number" in c:
        label = c["label"]
        if value_near(blob, label, c["number"], c["tol"]):
            return None
        if label.casefold() in " ".join(blob.casefold().split()):
            return (f"Your '{label}' does not match what I get from {_source_of(d, label)}; check which rows "
                    "and which column you used.")
        return f"I cannot find '{label}' in the draft; please report it under that name."
    if t == "ranking" and not ranking_found(blob, c["labels"]):
        return "The ranking is missing or in the wrong order; sort by the measure asked for, largest first."
    if t == "constraint_satisfied":
        probs = schedule_problems(schedule_rows(blob, c["items"], c.get("window")), c)
        return f"The schedule does not work yet: {'; '.join(probs[:2])}." if probs else None
    if t == "section" and not re.search(rf"^[#\s\d.]*{re.escape(c['heading'])}\s*:?\s*$", blob, re.I | re.M):
        return f"I would expect a section on '{c['heading']}'."
    if t == "text_matches" and c.get("where") == "opening":
        main = texts.get(c.get("path", ""), blob)
        if not re.search(c["pattern"], " ".join(main.split()[:120]), re.I):
            return "Lead with the point: the first paragraph does not say what you recommend or why you write."
    if t == "text_absent" and (m := re.search(c["pattern"], blob, re.I)):
        return f"There is still placeholder text in it ({m.group(0)})."
    if t == "length_between" and c.get("path") in texts:
        n = len(texts[c["path"]].split())
        if not c["min"] <= n <= c["max"]:
            return f"It runs to {n} words; {'cut it down' if n > c['max'] else 'it needs more substance'}."
    if t == "has_formula" and c.get("path") in datas and not _has_formula(datas[c["path"]]):
        return "Put the totals in the workbook as formulas so I can audit them; typed numbers will not do."
    if t == "correction" and "number" in c and "correction" in event_days:
        if value_near(blob, c["label"], c["old_number"], c["tol"]):
            return f"'{c['label']}' still uses the figure from before the correction."
    return None


def review_notes(d: Deliverable, texts: dict[str, str], datas: dict[str, bytes],
                 event_days: dict[str, int]) -> list[str]:
    blob = "\n".join(texts.values())
    out = []
    for cr in d.rubric:
        note = critique(cr.check, d, blob, datas, texts, event_days)
        if note and note not in out:
            out.append(note)
    return out
