"""Objectives: 3–6 deliverables (about a month of work) with checkable rubrics, written to objectives.json."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from agent_harness.models import Objectives
from agent_harness.objectives_llm import LLMObjectiveWriter, normalise_points
from agent_harness.objectives_offline import OfflineObjectiveWriter
from agent_harness.runlog import atomic_write
from worldbuilder.api import load_computer
from worldbuilder.errors import WorldbuilderError
from worldbuilder.plugins import Registry, make
from worldbuilder.spec import ComputerSpec


class ObjectivesError(WorldbuilderError):
    """Objectives cannot be written or do not match the computer."""


class ObjectiveWriter(ABC):
    name: str

    @abstractmethod
    def write(self, spec: ComputerSpec, tree: Path | None, days: int) -> Objectives: ...


ObjectiveWriter.register(OfflineObjectiveWriter)
ObjectiveWriter.register(LLMObjectiveWriter)


def _openai_writer(model: str, base_url: str | None = None) -> ObjectiveWriter:
    from worldbuilder.llm import LLMClient, LLMConfig

    return LLMObjectiveWriter(LLMClient(LLMConfig.from_env(model=model, base_url=base_url)))


# The objective-writer plug-in map (see worldbuilder.plugins).
OBJECTIVE_WRITERS: Registry = {"offline": OfflineObjectiveWriter, "openai:MODEL": _openai_writer}


def make_writer(backend: str, llm_base_url: str | None = None) -> ObjectiveWriter:
    return make("objectives backend", OBJECTIVE_WRITERS, backend, ObjectivesError, base_url=llm_base_url)


def write_objectives(computer_dir: Path, backend: str = "offline", days: int = 20, out: Path | None = None,
                     llm_base_url: str | None = None, notes: list[str] | None = None) -> Objectives:
    """Write ``objectives.json`` (default: into the computer directory) and return it.

    Every backend's rubric total is normalised into 100–200 points; what the grounding dropped or changed is
    appended to ``notes``."""
    if days < 1 or days > 366:
        raise ObjectivesError(f"days must be between 1 and 366 (got {days})")
    spec, tree = load_computer(computer_dir)
    writer = make_writer(backend, llm_base_url)
    obj = writer.write(spec, tree, days)
    found = list(getattr(writer, "notes", [])) + normalise_points(obj)
    validate_objectives(obj, spec, tree)
    if notes is not None:
        notes.extend(found)
    out = out or (Path(computer_dir) / "objectives.json" if Path(computer_dir).is_dir() else Path("objectives.json"))
    atomic_write(out, obj.model_dump_json(indent=1) + "\n")
    return obj


def validate_objectives(obj: Objectives, spec: ComputerSpec, tree: Path | None) -> None:
    """The objectives belong to this computer: stakeholders are its people, sources its existing files, days
    within the month, event targets real deliverables, ids unique."""
    from agent_harness.paths import home_rel

    if obj.computer_id != spec.id:
        raise ObjectivesError(f"objectives were written for computer {obj.computer_id}, not {spec.id}")
    if not obj.deliverables:
        raise ObjectivesError("objectives have no deliverables")
    people = {p.id for p in spec.world.people}
    real = {home_rel(spec, f.path) for f in spec.files if tree is None or (tree / f.path).is_file()}
    for d in obj.deliverables:
        for s in d.stakeholders:
            if s.id not in people:
                raise ObjectivesError(f"{d.id}: unknown stakeholder {s.id}")
        for src in d.sources:
            if src not in real:
                raise ObjectivesError(f"{d.id}: source file does not exist: {src}")
        if not 1 <= d.due_day <= obj.days:
            raise ObjectivesError(f"{d.id}: due day {d.due_day} outside 1..{obj.days}")
        if not 1 <= d.start_day <= d.due_day:
            raise ObjectivesError(f"{d.id}: start day {d.start_day} outside 1..{d.due_day}")
    dids = {d.id for d in obj.deliverables}
    for d in obj.deliverables:
        if set(d.depends_on) - dids or d.id in d.depends_on:
            raise ObjectivesError(f"{d.id}: depends on unknown deliverable(s) {', '.join(d.depends_on)}")
    for ev in obj.scenario:
        if ev.deliverable not in dids or not 1 <= ev.day <= obj.days or ev.person not in people:
            raise ObjectivesError(f"scenario event on day {ev.day} does not fit the objectives")
    ids = [c.id for d in obj.deliverables for c in d.rubric]
    if len(ids) != len(set(ids)) or len(dids) != len(obj.deliverables):
        raise ObjectivesError("duplicate deliverable or rubric criterion ids")


def load_objectives(path: Path) -> Objectives:
    try:
        return Objectives.model_validate_json(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ObjectivesError(f"objectives not found: {path}") from exc
    except ValueError as exc:
        raise ObjectivesError(f"invalid objectives {path}: {str(exc).splitlines()[0]}") from exc


def briefing(obj: Objectives, spec: ComputerSpec) -> dict:
    """What the working agent is told: deliverables, the labels of the key figures (not their values) and the
    results asked for (what to compute from which file, never the expected values), without the rubric or
    the hidden scenario."""
    facts = {f.id: f.label for f in spec.world.facts}
    return {"user": obj.user, "days": obj.days, "deliverables": [
        d.model_dump(mode="json", include={"id", "title", "description", "stakeholders", "due_day", "outputs",
                                           "sources", "sections", "start_day", "depends_on", "kind", "asks"})
        | {"key_figures": [facts[f] for f in d.facts]}
        for d in obj.deliverables]}
