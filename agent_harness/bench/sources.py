"""What ``bench export`` reads: a computer directory or a run directory, resolved at one day."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agent_harness.bench.errors import BenchError
from agent_harness.bench.model import GraderConfig, ReferenceScore, SimSettings
from agent_harness.models import Objectives
from agent_harness.objectives import load_objectives, write_objectives
from agent_harness.runlog import RunDir
from worldbuilder.spec import ComputerSpec


@dataclass
class Source:
    """One task to export: the computer's spec and objectives, the image at ``day``, the grader."""

    path: Path
    spec: ComputerSpec
    objectives: Objectives
    image: str  # docker ref of the computer at ``day``
    day: int
    grader: GraderConfig
    computer: Path | None = None  # the computer directory (its files are the judge's source texts)


def resolve(path: Path, day: int | None) -> Source:
    path = Path(path)
    if (path / "run.json").is_file():
        return _from_run(path, day or 0)
    if (path / "spec.json").is_file():
        if day:
            raise BenchError(f"{path} is a computer directory: only --day 0 (export a run for later days)")
        return _from_computer(path)
    raise BenchError(f"{path} is neither a computer directory (spec.json) nor a run directory (run.json)")


def _from_run(path: Path, day: int) -> Source:
    run = RunDir(path)
    cfg = run.config()
    if cfg.runtime != "docker":
        raise BenchError(f"{path} ran on the {cfg.runtime} runtime; only docker runs can be exported")
    spec = ComputerSpec.load(Path(cfg.computer))
    if day == 0:
        image = cfg.image  # the computer as the run found it (day-00 already holds the kickoff mail)
    else:
        snap = run.snapshots().get(day)
        if snap is None:
            raise BenchError(f"{path} has no snapshot for day {day}")
        image = snap.ref
    sim = SimSettings(days=cfg.days, turns_per_day=cfg.turns_per_day, collaborators=cfg.collaborators,
                      start_date=cfg.start_date, command_timeout=cfg.command_timeout)
    reference = _reference(path / "judgement.json") if day == 0 else None
    return Source(path, spec, run.objectives(), image, day, GraderConfig(sim=sim, reference=reference),
                  Path(cfg.computer))


def _reference(path: Path) -> ReferenceScore | None:
    """Totals of the source run's judgement, if it was judged."""
    if not path.is_file():
        return None
    j = json.loads(path.read_text(encoding="utf-8"))
    return ReferenceScore(points=j["total"]["points"], max=j["total"]["max"],
                          deliverables={d["id"]: [d["points"], d["max"]] for d in j.get("deliverables", [])})


def _from_computer(path: Path) -> Source:
    from worldbuilder.materialize.docker_image import build_image

    spec = ComputerSpec.load(path)
    obj_file = path / "objectives.json"
    if obj_file.is_file():
        objectives = load_objectives(obj_file)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            objectives = write_objectives(path, days=20, out=Path(tmp) / "objectives.json")
    image = build_image(path).tag
    sim = SimSettings(days=objectives.days, turns_per_day=250)
    return Source(path, spec, objectives, image, 0, GraderConfig(sim=sim), path)
