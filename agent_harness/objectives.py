"""Objectives: 3–6 deliverables (about a month of work) with checkable rubrics, written to objectives.json."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path

from pydantic import BaseModel, Field

from agent_harness.models import Criterion, Deliverable, Objectives
from agent_harness.objectives_offline import OfflineObjectiveWriter
from agent_harness.runlog import atomic_write
from worldbuilder.api import load_computer
from worldbuilder.errors import WorldbuilderError
from worldbuilder.spec import ComputerSpec


class ObjectivesError(WorldbuilderError):
    """Objectives cannot be written or do not match the computer."""


class ObjectiveWriter(ABC):
    name: str

    @abstractmethod
    def write(self, spec: ComputerSpec, tree: Path | None, days: int) -> Objectives: ...


ObjectiveWriter.register(OfflineObjectiveWriter)


class _LLMDeliverable(BaseModel):
    title: str
    description: str
    stakeholders: list[str] = Field(description="person ids from the world")
    due_day: int
    sections: list[str]
    extra_criteria: list[str] = Field(default_factory=list, description="further checkable criteria")


class _LLMObjectives(BaseModel):
    deliverables: list[_LLMDeliverable]


class LLMObjectiveWriter:
    """Asks the model to rewrite titles, descriptions, sections and stakeholders of an offline draft.

    Sources, facts, outputs, scenario and the checkable rubric stay grounded: they come from the offline
    draft (real files, real facts); the model's people must exist in the world.
    """

    def __init__(self, client) -> None:  # worldbuilder.llm.LLMClient
        self.client = client
        self.name = f"openai:{client.config.model}"

    def write(self, spec: ComputerSpec, tree: Path | None, days: int) -> Objectives:
        draft = OfflineObjectiveWriter().write(spec, tree, days)
        world = {"user": spec.profile.model_dump(mode="json", include={"full_name", "job_title", "employer"}),
                 "people": [{"id": p.id, "name": p.name, "role": p.role} for p in spec.world.people],
                 "draft": [d.model_dump(include={"title", "description", "due_day", "sections", "sources"})
                           for d in draft.deliverables]}
        msgs = [{"role": "system", "content": "You write realistic month-long work objectives for a simulated "
                 "employee. Keep one deliverable per draft entry, in order."},
                {"role": "user", "content": json.dumps(world)}]
        reply, _ = self.client.chat_json(msgs, _LLMObjectives, role="objectives")
        people = {p.id: p for p in spec.world.people}
        for d, r in zip(draft.deliverables, reply.deliverables, strict=False):
            self._merge(d, r, people, days)
        draft.backend = self.name
        return draft

    @staticmethod
    def _merge(d: Deliverable, r: _LLMDeliverable, people: dict, days: int) -> None:
        d.title, d.description = r.title[:200], r.description[:2000]
        d.due_day = max(1, min(days, r.due_day))
        known = [people[p] for p in r.stakeholders if p in people]
        if known:
            from agent_harness.models import Stakeholder

            d.stakeholders = [Stakeholder(id=p.id, name=p.name, role=p.role) for p in known[:4]]
        n = len(d.rubric)
        for i, s in enumerate(r.sections[:5]):
            if s not in d.sections:
                d.sections.append(s)
                d.rubric.append(Criterion(id=f"{d.id}.c{n + i + 1:02d}", text=f"includes section '{s}'", points=3,
                                          check={"type": "section", "heading": s}))


def make_writer(backend: str, llm_base_url: str | None = None) -> ObjectiveWriter:
    if backend == "offline":
        return OfflineObjectiveWriter()
    if backend.startswith("openai:"):
        from worldbuilder.llm import LLMClient, LLMConfig

        return LLMObjectiveWriter(LLMClient(LLMConfig.from_env(model=backend.split(":", 1)[1], base_url=llm_base_url)))
    raise ObjectivesError(f"unknown objectives backend {backend!r} (use offline or openai:MODEL)")


def write_objectives(computer_dir: Path, backend: str = "offline", days: int = 20, out: Path | None = None,
                     llm_base_url: str | None = None) -> Objectives:
    """Write ``objectives.json`` (default: into the computer directory) and return it."""
    spec, tree = load_computer(computer_dir)
    if days < 1:
        raise ObjectivesError(f"days must be at least 1 (got {days})")
    obj = make_writer(backend, llm_base_url).write(spec, tree, days)
    validate_objectives(obj, spec, tree)
    out = out or (Path(computer_dir) / "objectives.json" if Path(computer_dir).is_dir() else Path("objectives.json"))
    atomic_write(out, obj.model_dump_json(indent=1) + "\n")
    return obj


def validate_objectives(obj: Objectives, spec: ComputerSpec, tree: Path | None) -> None:
    """Every stakeholder exists, every source exists, every id is unique."""
    from agent_harness.paths import home_rel

    people = {p.id for p in spec.world.people}
    real = {home_rel(spec, f.path) for f in spec.files if tree is None or (tree / f.path).is_file()}
    for d in obj.deliverables:
        for s in d.stakeholders:
            if s.id not in people:
                raise ObjectivesError(f"{d.id}: unknown stakeholder {s.id}")
        for src in d.sources:
            if src not in real:
                raise ObjectivesError(f"{d.id}: source file does not exist: {src}")
    ids = [c.id for d in obj.deliverables for c in d.rubric]
    if len(ids) != len(set(ids)):
        raise ObjectivesError("duplicate rubric criterion ids")


def load_objectives(path: Path) -> Objectives:
    try:
        return Objectives.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ObjectivesError(f"objectives not found: {path}") from exc
    except ValueError as exc:
        raise ObjectivesError(f"invalid objectives {path}: {str(exc).splitlines()[0]}") from exc


def briefing(obj: Objectives, spec: ComputerSpec) -> dict:
    """What the working agent is told: deliverables and the labels of the key figures (not their values),
    without the rubric or the hidden scenario."""
    facts = {f.id: f.label for f in spec.world.facts}
    return {"user": obj.user, "days": obj.days, "deliverables": [
        d.model_dump(mode="json", include={"id", "title", "description", "stakeholders", "due_day", "outputs",
                                           "sources", "sections"}) | {"key_figures": [facts[f] for f in d.facts]}
        for d in obj.deliverables]}
