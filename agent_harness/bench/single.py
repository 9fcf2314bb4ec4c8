"""Single-deliverable tasks: one deliverable of a computer's objectives, judged on its outputs alone.

A single-deliverable task (``bench export --deliverable ID``, a Harbor task, ``bench run --deliverable ID``)
gives the agent that deliverable's briefing only and judges what it wrote. Criteria that need the month's
simulation cannot apply and are dropped (listed in the grader config): the process kinds (messages sent,
the submission day) and the late requirements (changes and corrections mailed on later days; the hidden
scenario is not played). The Harbor grader and ``bench run`` judge exactly the criteria kept here.
"""

from __future__ import annotations

from agent_harness.bench.errors import BenchError
from agent_harness.models import Deliverable, Objectives

SIMULATION_KINDS = frozenset({"message_sent", "replied_after", "submitted_by", "change", "correction"})


def window(d: Deliverable) -> int:
    """Days the deliverable had in the month (its default bound as a single task)."""
    return max(1, d.due_day - d.start_day + 1)


def pick(obj: Objectives, did: str) -> Deliverable:
    for d in obj.deliverables:
        if d.id == did:
            return d
    raise BenchError(f"unknown deliverable {did!r} (deliverables: {', '.join(d.id for d in obj.deliverables)})")


def single_objectives(obj: Objectives, did: str, days: int | None = None) -> tuple[Objectives, list[str]]:
    """Objectives holding only deliverable ``did`` (work from day 1, due on the last of ``days``, default its
    window), its rubric without the simulation-only criteria, no scenario; and the dropped criterion ids."""
    d = pick(obj, did)
    days = days or window(d)
    kept = [c for c in d.rubric if c.check.get("type") not in SIMULATION_KINDS]
    if not kept:
        raise BenchError(f"deliverable {did} has no criterion that can be judged from its outputs alone")
    dropped = [c.id for c in d.rubric if c.check.get("type") in SIMULATION_KINDS]
    one = d.model_copy(update={"rubric": kept, "start_day": 1, "due_day": days, "depends_on": []})
    return obj.model_copy(update={"days": days, "deliverables": [one], "scenario": [], "away": {}}), dropped
