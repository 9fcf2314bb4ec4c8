"""The LLM objective writer (``--backend openai:MODEL``): the model rewrites an offline draft, the harness
grounds the answer.

The model sees the user, the world's people, the computer's existing files and the offline draft, and
answers one entry per draft deliverable (same ids, same order; a wrong answer is fed back by
``LLMClient.chat_json`` and retried). Grounding of the answer:

* stakeholders: only people of the world (not the user, not family/friends); unknown ids are dropped, an
  entry left with none keeps the draft's; the person of a scheduled change/correction stays a stakeholder;
* sources: only files that exist in the computer (spec files present in ``tree/``), as home-relative paths;
  unknown paths are dropped; each new source gets a ``source_used`` criterion with evidence from its text;
* due day: clamped to ``1..days`` and after the deliverable's last scheduled event; the day checks follow;
* sections: new ones get a ``section`` criterion; extra criteria become ``judge`` criteria (free text);
* points: the objective set's total is normalised into 100–200 (scaled to the nearest bound, every
  criterion keeps at least 1 point).

Outputs, facts, the asks for derived work (their expected values computed by code from the computer's files,
never taken from the model), the scenario and the machine-checkable rubric stay those of the offline draft;
a deliverable that uses another's results still starts once that one is due, and the model's criteria are
weighted down so derived work keeps at least ``DERIVED_FLOOR`` of the points. What was
dropped is kept in ``writer.notes`` (the CLI prints it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from agent_harness.models import Criterion, Deliverable, Objectives, Stakeholder
from agent_harness.objectives_offline import SOURCE_TYPES, OfflineObjectiveWriter, evidence
from agent_harness.paths import home_rel
from agent_harness.textract import extract_text
from worldbuilder.spec import ComputerSpec, FileSpec

POINTS_MIN, POINTS_MAX = 100, 200
DERIVED_FLOOR = 0.32
MAX_FILES_SHOWN = 80


class LLMCriterion(BaseModel):
    text: str = Field(min_length=5, max_length=300)
    points: int = Field(ge=1, le=100)


class LLMDeliverable(BaseModel):
    id: str = Field(description="the draft deliverable id this entry rewrites")
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=10, max_length=2000)
    stakeholders: list[str] = Field(min_length=1, description="person ids from the world")
    due_day: int
    sources: list[str] = Field(default_factory=list, description="paths from the computer's file list")
    sections: list[str] = Field(default_factory=list, description="required section headings")
    criteria: list[LLMCriterion] = Field(default_factory=list, description="further criteria with points")


class LLMObjectives(BaseModel):
    deliverables: list[LLMDeliverable]


def answer_schema(ids: list[str]) -> type[LLMObjectives]:
    """``LLMObjectives`` that also requires exactly the draft's ids, in order (a mismatch is fed back)."""

    class ObjectivesAnswer(LLMObjectives):
        @model_validator(mode="after")
        def _same_ids(self) -> ObjectivesAnswer:
            got = [d.id for d in self.deliverables]
            if got != ids:
                raise ValueError(f"deliverables must be exactly {ids} in this order (got {got})")
            return self

    return ObjectivesAnswer


class LLMObjectiveWriter:
    """Rewrites the offline draft with the model; the result is grounded in the computer (see module doc)."""

    def __init__(self, client) -> None:  # worldbuilder.llm.LLMClient
        self.client = client
        self.name = f"openai:{client.config.model}"
        self.notes: list[str] = []

    def write(self, spec: ComputerSpec, tree: Path | None, days: int) -> Objectives:
        draft = OfflineObjectiveWriter().write(spec, tree, days)
        files = _existing_sources(spec, tree)
        msgs = [{"role": "system", "content": "You write realistic month-long work objectives for a simulated "
                 "employee. Rewrite every draft deliverable (same id, same order): a concrete title and "
                 "description, stakeholders (person ids from `people`), a due day within the month, source files "
                 "(paths from `files` only), required sections and further assessment criteria with points. Each "
                 "draft lists `asks`: results the employee must work out from the files; describe them in your "
                 "words but never state a value for them (the harness computes the expected values)."},
                {"role": "user", "content": json.dumps(self._prompt(spec, draft, files, days))}]
        reply, _ = self.client.chat_json(msgs, answer_schema([d.id for d in draft.deliverables]), role="objectives")
        for d, r in zip(draft.deliverables, reply.deliverables, strict=True):
            self._merge(spec, tree, draft, d, r, files, days)
        self._keep_order(draft)
        self._keep_derived_share(draft)
        self.notes += normalise_points(draft)
        draft.backend = self.name
        return draft

    @staticmethod
    def _prompt(spec: ComputerSpec, draft: Objectives, files: dict[str, FileSpec], days: int) -> dict:
        me = spec.profile
        return {"user": {"name": me.full_name, "job_title": me.job_title, "employer": me.employer},
                "days": days,
                "people": [{"id": p.id, "name": p.name, "role": p.role, "relation": p.relation}
                           for p in spec.world.people if _eligible(spec, p)],
                "files": sorted(files)[:MAX_FILES_SHOWN],
                "draft": [d.model_dump(include={"id", "title", "description", "due_day", "sections", "sources",
                                                "kind", "start_day", "depends_on"})
                          | {"asks": [a["text"] for a in d.asks]} for d in draft.deliverables]}

    def _merge(self, spec: ComputerSpec, tree: Path | None, obj: Objectives, d: Deliverable, r: LLMDeliverable,
               files: dict[str, FileSpec], days: int) -> None:
        d.title, d.description = r.title.strip(), r.description.strip()
        self._stakeholders(spec, obj, d, r)
        events = [e.day for e in obj.scenario if e.deliverable == d.id]
        d.due_day = max(1, min(days, r.due_day), min(days, max(events, default=0) + 1))
        for c in d.rubric:
            if c.check.get("type") == "submitted_by":
                c.check["day"], c.text = d.due_day, f"submitted by day {d.due_day}"
            elif c.check.get("type") == "message_sent":
                who = spec.world.person(c.check["person"]).name
                c.check["before_day"], c.text = d.due_day, f"shared a draft with {who} before day {d.due_day}"
        for src in dict.fromkeys(r.sources):
            if src in d.sources:
                continue
            if src not in files:
                self.notes.append(f"{d.id}: dropped source {src!r} (no such file in the computer)")
            elif len(d.sources) < 5:
                d.sources.append(src)
                ev = _evidence(spec, tree, files[src])
                self._add(d, f"draws on {src} ('{ev}')", 2, {"type": "source_used", "path": src, "evidence": ev})
        for s in dict.fromkeys(x.strip() for x in r.sections[:5] if x.strip()):
            if s not in d.sections:
                d.sections.append(s)
                self._add(d, f"includes section '{s}'", 2, {"type": "section", "heading": s})
        for c in r.criteria[:5]:
            self._add(d, c.text.strip(), min(c.points, 5), {"type": "judge", "text": c.text.strip(), "from_model": True})

    def _stakeholders(self, spec: ComputerSpec, obj: Objectives, d: Deliverable, r: LLMDeliverable) -> None:
        people = {p.id: p for p in spec.world.people if _eligible(spec, p)}
        world = {p.id for p in spec.world.people}
        for why, bad in (("not people of the world", [p for p in r.stakeholders if p not in world]),
                         ("the user, family or friends", [p for p in r.stakeholders if p in world and p not in people])):
            if bad:
                self.notes.append(f"{d.id}: dropped stakeholder(s) {', '.join(bad)} ({why})")
        ids = list(dict.fromkeys(pid for pid in r.stakeholders if pid in people))[:4]
        if not ids:
            return
        needed = [e.person for e in obj.scenario if e.deliverable == d.id]
        needed += [c.check["person"] for c in d.rubric if c.check.get("type") == "message_sent"]
        ids += [pid for pid in dict.fromkeys(needed) if pid not in ids]
        d.stakeholders = [Stakeholder(id=p.id, name=p.name, role=p.role)
                          for p in (spec.world.person(pid) for pid in ids)]

    def _keep_order(self, obj: Objectives) -> None:
        """A deliverable using another's results starts once that one is due; due days never precede starts."""
        for d in obj.deliverables:
            for dep in d.depends_on:
                d.start_day = max(d.start_day, obj.deliverable(dep).due_day)
            if d.due_day < d.start_day:
                self.notes.append(f"{d.id}: due day {d.due_day} moved to day {d.start_day} (after its start)")
                d.due_day = d.start_day
                for c in d.rubric:
                    if c.check.get("type") == "submitted_by":
                        c.check["day"], c.text = d.due_day, f"submitted by day {d.due_day}"

    def _keep_derived_share(self, obj: Objectives, floor: float = DERIVED_FLOOR) -> None:
        """The model's extra criteria never push code-checked derived work under ``floor`` of the points."""
        extra = [c for d in obj.deliverables for c in d.rubric if c.check.get("from_model")]
        derived = sum(c.points for d in obj.deliverables for c in d.rubric if c.check.get("derived"))
        if not extra or not derived or derived / obj.total_points >= floor:
            return
        while derived / obj.total_points < floor and any(c.points > 1 for c in extra):
            max(extra, key=lambda c: c.points).points -= 1
        self.notes.append(f"model criteria weighted so derived work keeps {derived / obj.total_points:.0%} of points")

    @staticmethod
    def _add(d: Deliverable, text: str, points: int, check: dict) -> None:
        n = max(int(c.id.rsplit(".c", 1)[1]) for c in d.rubric) + 1 if d.rubric else 1
        d.rubric.append(Criterion(id=f"{d.id}.c{n:02d}", text=text, points=points, check=check))


def _eligible(spec: ComputerSpec, p) -> bool:
    return p.email != spec.profile.email and p.relation not in ("family", "friend")


def _existing_sources(spec: ComputerSpec, tree: Path | None) -> dict[str, FileSpec]:
    """{home-relative path: file} of the spec's readable files that exist in the rendered tree."""
    return {home_rel(spec, f.path): f for f in spec.files
            if f.type in SOURCE_TYPES and not f.hidden and (tree is None or (tree / f.path).is_file())}


def _evidence(spec: ComputerSpec, tree: Path | None, f: FileSpec) -> str:
    text = extract_text(f.path, (tree / f.path).read_bytes()) if tree else f.content.title
    return evidence(text, f.content.title, {spec.profile.employer, f.content.header, f.content.footer})


def normalise_points(obj: Objectives, lo: int = POINTS_MIN, hi: int = POINTS_MAX) -> list[str]:
    """Scale every criterion's points so the total lies in ``lo..hi`` (largest remainder, each ≥ 1)."""
    crits = [c for d in obj.deliverables for c in d.rubric]
    total = sum(c.points for c in crits)
    if not crits or lo <= total <= hi:
        return []
    target = lo if total < lo else hi
    raw = [c.points * target / total for c in crits]
    pts = [max(1, math.floor(x)) for x in raw]
    order = sorted(range(len(crits)), key=lambda i: (-(raw[i] - math.floor(raw[i])), i))
    k = 0
    while sum(pts) < target:
        pts[order[k % len(order)]] += 1
        k += 1
    while sum(pts) > target:  # only when the 1-point floor pushed the sum over
        i = max(range(len(pts)), key=lambda j: (pts[j], -j))
        pts[i] -= 1
    for c, p in zip(crits, pts, strict=True):
        c.points = p
    return [f"rubric points normalised from {total} to {target}"]
