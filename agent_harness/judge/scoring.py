"""Scoring one deliverable's criteria (kinds, deliverable-level gates, gaming and fabrication rules).

Standard library only at run time, like the modules it uses (:mod:`criteria`, :mod:`criteria_work`,
:mod:`inputs`, :mod:`gaming`, :mod:`fabrication`, :mod:`agent_harness.derived`, :mod:`worldbuilder.extract`,
:mod:`worldbuilder.factmatch`): the Harbor grader ships these very files into a task's ``tests/`` and runs
them inside the computer, so the in-computer reward and ``worldbuilder judge`` agree.
:func:`agent_harness.judge.api.score_deliverable` wraps the result in the judgement's pydantic records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from agent_harness.judge import criteria, criteria_work  # noqa: F401  (importing them registers their kinds)
from agent_harness.judge.fabrication import FabricationHit, find_fabrications
from agent_harness.judge.gaming import gaming_reason
from agent_harness.judge.inputs import DeliverableInput, JudgeInput
from agent_harness.judge.kinds import KINDS, PROCESS_KINDS, Ctx, Verdict

if TYPE_CHECKING:
    from agent_harness.models import Criterion

MIN_WORDS = 20  # a submission with fewer words in all its outputs is empty


@dataclass
class ItemResult:
    id: str
    kind: str
    points: float
    max: float
    status: str  # "scored" or "unjudged"
    evidence: str = ""
    rationale: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def gate(c: Criterion, v: Verdict, dlv: DeliverableInput, gamed: str) -> Verdict:
    """Deliverable-level rules over a criterion's own verdict."""
    kind = c.check.get("type", "")
    if kind in PROCESS_KINDS or kind == "file_valid":
        return v
    if not dlv.readable:
        return Verdict(0.0, "", "no readable output in the computer", v.status if v.status == "unjudged" else "scored")
    if gamed:
        return Verdict(0.0, v.evidence, f"gaming: {gamed}")
    if kind == "submitted_by" and dlv.words < MIN_WORDS and v.fraction:
        return Verdict(0.0, v.evidence, f"submitted outputs are empty ({dlv.words} words)")
    return v


def score_items(inp: JudgeInput, dlv: DeliverableInput, llm: Any = None) -> tuple[list[ItemResult], list[FabricationHit]]:
    """Every criterion of ``dlv`` scored (points rounded to 0.01), and the fabricated figures found."""
    d = dlv.deliverable
    gamed = gaming_reason(inp, dlv) if dlv.readable else ""
    fabs = find_fabrications(inp, dlv) if dlv.readable and not gamed else []
    ctx = Ctx(inp, dlv, llm if not gamed else None)
    items = []
    for c in d.rubric:
        kind = str(c.check.get("type", ""))
        fn = KINDS.get(kind)
        v = Verdict(0.0, "", f"unknown criterion kind {kind!r}", "unjudged") if fn is None else gate(c, fn(c, ctx), dlv, gamed)
        items.append(ItemResult(c.id, kind, round(c.points * max(0.0, min(1.0, v.fraction)), 2), c.points, v.status,
                                v.evidence[:300], v.rationale[:300]))
    by_id = {i.id: i for i in items}
    for fab in fabs:  # a fabricated figure costs its criterion's points
        crit = next((c for c in d.rubric if c.check.get("type") == ("correction" if fab.reason == "correction"
                     else "fact_cited") and c.check.get("fact") == fab.fact), None)
        if crit is not None:
            item = by_id[crit.id]
            fab.criterion, fab.points_lost = crit.id, item.points
            if item.points:
                item.points = 0.0
                item.rationale = f"fabricated figure: {fab.label} {fab.found} (expected {fab.expected}) in {fab.file}"
    return items, fabs


def deliverable_points(items: list[ItemResult]) -> float:
    return round(sum(i.points for i in items), 2)
