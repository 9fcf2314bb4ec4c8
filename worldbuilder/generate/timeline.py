"""Fixed "now" and time helpers for one computer (never the wall clock)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from worldbuilder.generate.base import PlanContext

EPOCH = datetime(2024, 3, 1, 17, 30)


def fixed_now(ctx: PlanContext) -> datetime:
    """The computer's "now": derived from persona + seed only."""
    rng = ctx.child_rng("now")
    return (EPOCH + timedelta(days=rng.randrange(0, 540), minutes=rng.randrange(0, 150))).replace(microsecond=0)


def rand_time(rng: random.Random, start: datetime, end: datetime, workday: bool = True) -> datetime:
    """A random time in [start, end]; with ``workday`` it lands on a weekday between 08:00 and 18:59."""
    if end <= start:
        return start
    span = int((end - start).total_seconds())
    t = start + timedelta(seconds=rng.randrange(0, span + 1))
    if workday:
        while t.weekday() >= 5:
            t -= timedelta(days=1)
        t = t.replace(hour=rng.randrange(8, 19), minute=rng.randrange(60), second=rng.randrange(60))
        if t < start:
            t = start
        if t > end:
            t = end
    return t.replace(microsecond=0)


def quarter(d: date | datetime) -> str:
    return f"Q{(d.month - 1) // 3 + 1}"


def month_name(d: date | datetime) -> str:
    return d.strftime("%B")
