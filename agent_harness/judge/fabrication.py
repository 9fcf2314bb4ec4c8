"""Fabrication check: a figure next to a tracked fact's label that contradicts the fact or a stated correction."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from agent_harness.judge.inputs import DeliverableInput, JudgeInput
from worldbuilder.factmatch import fact_pattern, matches_fact, parse_number, with_value


@dataclass
class FabricationHit:
    """One fabricated figure (the fields of :class:`agent_harness.judge.model.Fabrication`)."""

    deliverable: str
    file: str
    fact: str
    label: str
    expected: str
    found: str
    reason: str  # "fact" or "correction"
    context: str = ""
    criterion: str | None = None  # the item that lost its points
    points_lost: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def _corrections(inp: JudgeInput, did: str) -> dict[str, tuple[str, str, int]]:
    """fact id -> (old, new, day) for corrections of this deliverable issued by the judged day."""
    out = {}
    for ev in inp.objectives.scenario:
        if ev.kind == "correction" and ev.deliverable == did and ev.fact and ev.new and ev.day <= inp.day:
            out[ev.fact] = (ev.old or "", ev.new, ev.day)
    return out


def _num(display: str) -> float | None:
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", display)
    parsed = parse_number(m.group(0), None) if m else None
    return parsed[0] if parsed else None


def find_fabrications(inp: JudgeInput, dlv: DeliverableInput) -> list[FabricationHit]:
    """Every ``label: number`` in the outputs whose number is neither the fact's value nor, for a fact
    corrected for this deliverable, the corrected value (after a correction the old value is a fabrication)."""
    corr = _corrections(inp, dlv.deliverable.id)
    resubmitted = {fid: any(d > day for d in dlv.submit_days) for fid, (_, _, day) in corr.items()}
    out: list[FabricationHit] = []
    facts = sorted(inp.facts.values(), key=lambda f: -len(f.label))
    for f_out in dlv.readable:
        claimed: list[tuple[int, int]] = []
        for fact in facts:
            fixed = corr.get(fact.id)
            new_value = _num(fixed[1]) if fixed else None
            corrected = with_value(fact, new_value) if new_value is not None else None
            for m in fact_pattern(fact, loose=False).finditer(f_out.text):
                if any(a <= m.start() < b or m.start() <= a < m.end() for a, b in claimed):
                    continue
                claimed.append((m.start(), m.end()))
                num, suf = m.group("num"), m.group("suf")
                ok_old, ok_new = matches_fact(fact, num, suf), corrected is not None and matches_fact(corrected, num, suf)
                found = num.strip() + (suf or "")
                ctx = " ".join(f_out.text[max(0, m.start() - 20): m.end() + 20].split())
                if ok_new or (ok_old and not (fixed and resubmitted.get(fact.id))):
                    continue  # before a resubmission the old value is "missed the correction", not invented
                if ok_old and fixed:
                    out.append(FabricationHit(deliverable=dlv.deliverable.id, file=f_out.path, fact=fact.id,
                                           label=fact.label, expected=fixed[1], found=found, reason="correction",
                                           context=ctx))
                else:
                    out.append(FabricationHit(deliverable=dlv.deliverable.id, file=f_out.path, fact=fact.id,
                                           label=fact.label, expected=fixed[1] if fixed else fact.display,
                                           found=found, reason="fact", context=ctx))
    return out
