"""Rescaling an objective set written for one month length to another (keeps every text, LLM-written or not).

Every simulated day the objectives mention is mapped by ``new = round(old * days / old_days)`` (halves up) clamped to
``1..days``: due days, scenario event days (a change stays before its correction when the run has room),
rubric checks (``submitted_by.day``, ``message_sent.before_day``, ``change.day``, ``correction.day``) and
``day N`` / ``day-N`` in titles, descriptions and criterion texts.
"""

from __future__ import annotations

import math
import re
from typing import Any

from agent_harness.models import Objectives

DAY_REF = re.compile(r"\b(day[ -])(\d{1,3})\b", re.I)
DAY_KEYS = ("day", "before_day")


def scale_day(day: int, old_days: int, days: int) -> int:
    """``day`` of an ``old_days`` month on a ``days`` month (halves round up), within ``1..days``."""
    return max(1, min(days, math.floor(day * days / old_days + 0.5)))


def rescale_objectives(obj: Objectives, days: int) -> Objectives:
    """A copy of ``obj`` for a ``days``-day run (``obj`` itself when it already has that length)."""
    if obj.days == days:
        return obj
    old = obj.days
    new = obj.model_copy(deep=True)

    events = _event_days(new, old, days)
    moved = {ev.day: d for ev, d in zip(new.scenario, events, strict=True)}  # event days win ties

    def sd(d: int) -> int:
        return moved.get(d, scale_day(d, old, days))

    def text(t: str) -> str:
        return DAY_REF.sub(lambda m: m.group(1) + str(sd(int(m.group(2)))) if int(m.group(2)) <= old
                           else m.group(0), t)

    for ev, d in zip(new.scenario, events, strict=True):
        ev.day, ev.detail = d, text(ev.detail)
    for dl in new.deliverables:
        dl.title, dl.description = text(dl.title), text(dl.description)
        last_event = max((e.day for e in new.scenario if e.deliverable == dl.id), default=0)
        dl.due_day = max(sd(dl.due_day), min(days, last_event + 1))
        dl.start_day = min(sd(dl.start_day), dl.due_day)
        for c in dl.rubric:
            c.text = text(c.text)
            _rescale_check(c.check, c.check.get("type"), dl.due_day, sd)
    for dl in new.deliverables:  # a deliverable that uses another's results starts when that one is due
        for dep in dl.depends_on:
            dl.start_day = min(dl.due_day, max(dl.start_day, new.deliverable(dep).due_day))
    new.away = {pid: sorted({scale_day(d, old, days) for d in ds}) for pid, ds in new.away.items()}
    new.days, new.rescaled_from = days, new.rescaled_from or old
    return new


def _event_days(obj: Objectives, old: int, days: int) -> list[int]:
    """Scaled event days, strictly increasing where the run is long enough, and before the last day."""
    out: list[int] = []
    for i, ev in enumerate(obj.scenario):
        if i and ev.day == obj.scenario[i - 1].day:  # events of one day (two requests) stay together
            out.append(out[-1])
            continue
        d = max(1, min(max(1, days - 1), scale_day(ev.day, old, days)))
        if out and d <= out[-1] and out[-1] + 1 <= max(1, days - 1):
            d = out[-1] + 1
        out.append(d)
    return out


def _rescale_check(check: dict[str, Any], kind: Any, due: int, sd) -> None:
    if kind in ("submitted_by", "message_sent"):  # tied to the deliverable's (possibly raised) due day
        key = "day" if kind == "submitted_by" else "before_day"
        if key in check:
            check[key] = due
        return
    for key in DAY_KEYS:
        if isinstance(check.get(key), int):
            check[key] = sd(check[key])
