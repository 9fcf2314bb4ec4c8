"""The six fleet stages. Each takes a :class:`StageContext` and returns its output path (relative).

Every stage is safe to re-run after a crash: it rebuilds its output from its inputs and replaces it
atomically (generate renders into a temporary directory, simulate starts a fresh run directory, the
image is content-addressed). The judge and report stages import issue 10's modules lazily.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent_harness.fleet.models import FleetConfig, Job
from worldbuilder.errors import WorldbuilderError

LABEL = "org.worldbuilder"


class StageFailed(WorldbuilderError):
    """A stage ran but did not produce what it must (e.g. a simulation that ended ``failed``)."""


@dataclass(frozen=True)
class StageContext:
    fleet_dir: Path
    job: Job
    config: FleetConfig

    @property
    def job_dir(self) -> Path:
        return self.fleet_dir / "jobs" / self.job.job

    @property
    def computer(self) -> Path:
        return self.job_dir / "computer"

    @property
    def run_dir(self) -> Path:
        return self.job_dir / "run"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.fleet_dir).as_posix()


def generate(ctx: StageContext) -> str:
    from worldbuilder import api

    ctx.job_dir.mkdir(parents=True, exist_ok=True)
    api.generate(ctx.job.persona, ctx.computer, seed=ctx.job.seed, size=ctx.config.size,  # type: ignore[arg-type]
                 force=True)
    return ctx.rel(ctx.computer)


def image(ctx: StageContext) -> str:
    from worldbuilder.materialize import docker_sdk
    from worldbuilder.materialize.docker_layer import build_layer_images

    labels = {f"{LABEL}.fleet": ctx.config.fleet_id, f"{LABEL}.fleet-job": ctx.job.job}
    ref = build_layer_images([ctx.computer], labels=labels)[0]
    base = docker_sdk.image_labels(ref.tag).get(f"{LABEL}.base", "")
    base_size = int((docker_sdk.image_info(base) or {}).get("Size", 0)) if base else 0
    out = ctx.job_dir / "image.json"
    _write_json(out, {"tag": ref.tag, "id": ref.id, "size": ref.size, "layer_size": ref.size - base_size,
                      "computer_id": ref.computer_id, "cached": ref.cached})
    return ctx.rel(out)


def objectives(ctx: StageContext) -> str:
    from agent_harness.objectives import write_objectives

    write_objectives(ctx.computer, days=ctx.config.days)
    return ctx.rel(ctx.computer / "objectives.json")


def simulate(ctx: StageContext) -> str:
    from agent_harness import runs
    from agent_harness.housekeeping import remove_run

    if ctx.run_dir.exists():  # a previous attempt died mid-run: start the run afresh
        remove_run(ctx.run_dir, quiet=True)
        shutil.rmtree(ctx.run_dir, ignore_errors=True)
    tag = json.loads((ctx.job_dir / "image.json").read_text())["tag"] if (ctx.job_dir / "image.json").exists() \
        else None
    c = ctx.config
    opts = runs.SimOptions(days=c.days, turns_per_day=c.turns_per_day, agent=c.agent, collaborators=c.collaborators,
                           runtime=c.runtime, image=tag)
    summary = runs.new_run(ctx.computer, ctx.run_dir, opts).run()
    if summary.status == "failed":
        raise StageFailed(f"simulation failed: {summary.stop_reason}")
    return ctx.rel(ctx.run_dir)


def judge(ctx: StageContext) -> str:
    from agent_harness.judge import judge_run  # issue 10

    judge_run(ctx.run_dir)
    return ctx.rel(ctx.run_dir / "judgement.json")


def report(ctx: StageContext) -> str:
    from agent_harness.report import write_report  # issue 10

    return ctx.rel(Path(write_report(ctx.run_dir)))


STAGE_FUNCS: dict[str, Callable[[StageContext], str]] = {
    "generate": generate, "image": image, "objectives": objectives, "simulate": simulate, "judge": judge,
    "report": report,
}

# Pipelines by name: "module:attribute" of an ordered {stage: function} map, imported when a job needs it
# (the paired pipeline lives with the evaluation that drives it). A new pipeline is one entry.
PIPELINES: dict[str, str] = {
    "computer": "agent_harness.fleet.stages:STAGE_FUNCS",
    "paired": "agent_harness.eval.paired_fleet:STAGE_FUNCS",
}


def stage_funcs(pipeline: str = "computer") -> dict[str, Callable[[StageContext], str]]:
    """The ordered stage functions of ``pipeline`` (a FleetError names the known ones)."""
    import importlib

    from agent_harness.fleet.manifest import FleetError

    if pipeline not in PIPELINES:
        raise FleetError(f"unknown pipeline {pipeline!r} (choose from {', '.join(PIPELINES)})")
    module, attr = PIPELINES[pipeline].split(":")
    return getattr(importlib.import_module(module), attr)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)
