"""``worldbuilder_bench``: an inspect_ai Task over a benchmark bundle, one Sample per deliverable.

Each sample runs in the ``worldbuilder`` sandbox (its task's computer); the scorer snapshots the
computer, lays out a run directory around that snapshot (the task's objectives narrowed to the
sample's deliverable with its single-deliverable rubric, as Harbor tasks and ``bench run --deliverable``
judge it: :mod:`agent_harness.bench.single`) and scores it with :func:`agent_harness.judge.judge_run`; the value is
points/max. Run it with ``inspect eval agent_harness/bench/inspect_task.py -T bundle=BUNDLE``.
"""

from __future__ import annotations

import json
import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.scorer import Score, Target, mean, scorer
from inspect_ai.solver import TaskState, generate, system_message, use_tools
from inspect_ai.tool import bash
from inspect_ai.util import sandbox

from agent_harness.bench import inspect_sandbox  # noqa: F401  (registers the sandbox when run by path)
from agent_harness.bench.harbor import instruction
from agent_harness.bench.importer import opened
from agent_harness.bench.model import task_dir
from agent_harness.bench.single import single_objectives
from agent_harness.models import Objectives, RunConfig, SnapshotIndex, SnapshotRecord, Summary
from agent_harness.paths import home_of
from agent_harness.runlog import RunDir, write_model
from worldbuilder.computer_dir import TREE_DIR
from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize import docker_sdk
from worldbuilder.materialize.paths import cache_home
from worldbuilder.spec import ComputerSpec

SYSTEM = ("You are an office worker's assistant with a bash shell on their computer (no internet). "
          "Read the files you need and write the requested deliverables.")


def samples(bundle: Path, tasks: list[str] | None = None) -> list[Sample]:
    out = []
    with opened(bundle) as (root, manifest):
        for t in manifest.tasks:
            if tasks and t.id not in tasks:
                continue
            spec = ComputerSpec.load(root / task_dir(t.id) / "spec.json")
            obj = Objectives.model_validate_json((root / task_dir(t.id) / "grader" / "objectives.json").read_text())
            for d in obj.deliverables:
                out.append(Sample(id=f"{t.id}/{d.id}", input=instruction(spec, d, home_of(spec)),
                                  metadata={"wb_task": t.id, "deliverable": d.id}))
    return out


@task
def worldbuilder_bench(bundle: str, tasks: str | None = None, judge: str = "offline") -> Task:
    path = Path(bundle).resolve()
    return Task(dataset=samples(path, [x for x in (tasks or "").split(",") if x] or None),
                solver=[system_message(SYSTEM), use_tools(bash(timeout=120)), generate()],
                scorer=worldbuilder_judge(str(path), judge), sandbox=("worldbuilder", str(path)))


@scorer(metrics=[mean()])
def worldbuilder_judge(bundle: str, judge: str = "offline"):
    async def score(state: TaskState, target: Target) -> Score:
        env = sandbox().as_type(inspect_sandbox.WorldbuilderSandbox)
        meta = state.metadata
        j = await anyio.to_thread.run_sync(lambda: judge_computer(Path(bundle), meta["wb_task"], meta["deliverable"],
                                                                  env.computer, judge))
        d = j["deliverables"][0]
        value = d["points"] / d["max"] if d["max"] else 0.0
        return Score(value=value, answer=f"{d['points']:g}/{d['max']:g}",
                     explanation="; ".join(f"{i['id']} {i['points']:g}/{i['max']:g} {i['status']}" for i in d["items"]),
                     metadata={"points": d["points"], "max": d["max"], "judge": judge})

    return score


def judge_computer(bundle: Path, task_id: str, deliverable: str, computer, judge: str = "offline") -> dict:
    """Judge one deliverable on a running computer: snapshot it, wrap the snapshot in a run dir, judge_run."""
    from agent_harness.judge import judge_run

    work = cache_home() / "bench-inspect" / secrets.token_hex(6)
    snap = None
    try:
        with opened(bundle) as (root, _):
            src = root / task_dir(task_id)
            spec = ComputerSpec.load(src / "spec.json")
            obj = Objectives.model_validate_json((src / "grader" / "objectives.json").read_text())
            obj, _ = single_objectives(obj, deliverable)
            comp_dir = work / "computer"
            comp_dir.mkdir(parents=True)
            if (src / "grader" / TREE_DIR).is_dir():  # the source files the judge quotes
                shutil.copytree(src / "grader" / TREE_DIR, comp_dir / TREE_DIR)
        (comp_dir / "spec.json").write_text(spec.model_dump_json(), encoding="utf-8")
        from worldbuilder.runtime.provider import make_provider

        snap = make_provider("docker").snapshots(computer).snapshot(f"inspect-{secrets.token_hex(4)}")
        _run_dir(work / "run", comp_dir, spec, obj, snap.ref)
        return json.loads(judge_run(work / "run", judge=judge).model_dump_json())
    finally:
        if snap is not None:
            try:
                with docker_sdk.translated("rmi", subject=snap.ref):
                    docker_sdk.api().remove_image(snap.ref)
            except WorldbuilderError:  # already gone or in use: left for `fleet gc`
                pass
        shutil.rmtree(work, ignore_errors=True)


def _run_dir(path: Path, comp_dir: Path, spec: ComputerSpec, obj: Objectives, ref: str) -> None:
    run = RunDir(path)
    run.create()
    start = spec.world.history_end.date()
    now = datetime.now(UTC).replace(microsecond=0)
    write_model(run.objectives_json, obj)
    write_model(run.run_json, RunConfig(run_id=f"inspect-{path.parent.name}", computer=str(comp_dir),
                                        runtime="docker", image=ref, days=obj.days, turns_per_day=1,
                                        start_date=start, agent="inspect", collaborators="none"))
    write_model(run.snapshots_json, SnapshotIndex(snapshots=[SnapshotRecord(
        label=f"day-{obj.days:02d}", day=obj.days, ref=ref, date=start + timedelta(days=obj.days), turn=0,
        created=now)]))
    write_model(run.summary_json, Summary(run_id=f"inspect-{path.parent.name}", status="completed",
                                          days_completed=obj.days, turns=0, errors=0, error_rate=0.0,
                                          wall_seconds=0.0))
    run.turns_jsonl.touch()
    run.messages_jsonl.touch()
