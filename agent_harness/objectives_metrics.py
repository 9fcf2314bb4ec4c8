"""Measures of an objective set's realism: derived-work share, overlaps, dependencies, stale projects."""

from __future__ import annotations

from typing import Any

from agent_harness.models import Objectives
from worldbuilder.spec import ComputerSpec


def set_metrics(obj: Objectives, spec: ComputerSpec) -> dict[str, Any]:
    """Figures of one objective set (see the module doc)."""
    dels = obj.deliverables
    total = obj.total_points
    derived = sum(c.points for d in dels for c in d.rubric if c.check.get("derived"))
    overlaps = sum(1 for i, a in enumerate(dels) for b in dels[i + 1:]
                   if a.start_day <= b.due_day and b.start_day <= a.due_day)
    start = spec.world.history_end.date()
    stale = [d.id for d in dels if d.project and spec.world.project(d.project).end < start]
    return {"titles": [d.title for d in dels], "points": total, "derived_share": derived / total if total else 0.0,
            "overlaps": overlaps, "dependencies": sum(len(d.depends_on) for d in dels), "stale": stale,
            "items": [len(d.rubric) for d in dels],
            "sizes": sorted(d.due_day - d.start_day + 1 for d in dels)}
