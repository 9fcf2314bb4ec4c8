"""``bench run``: boot each task's computer, simulate with the chosen agent, judge, write results.

Per task a run directory ``OUT/<task>/run`` is made by the ordinary harness (``runs.new_run``) from a
computer folder holding the task's spec and its grader objectives, booted from the imported image.
The judge is :func:`agent_harness.judge.judge_run` (imported when a task is judged).

A single-deliverable task (exported with ``--deliverable``, or any task run with ``deliverable=ID``) gets
that deliverable's briefing only (:mod:`agent_harness.bench.single`), runs until it is submitted (at most
``days``, default its window), and is judged on that deliverable alone.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent_harness.bench.errors import BenchError
from agent_harness.bench.importer import install_tasks, opened
from agent_harness.bench.model import GraderConfig, Manifest, TaskEntry, task_dir
from agent_harness.bench.results import Results, TaskResult, write_results
from agent_harness.bench.single import single_objectives
from agent_harness.objectives import load_objectives
from agent_harness.runlog import read_model, write_model
from agent_harness.runs import SimOptions, check_backend, new_run
from worldbuilder.computer_dir import TREE_DIR


def _judge(run_dir: Path, grader: GraderConfig):
    try:
        from agent_harness.judge import judge_run
    except ImportError as exc:
        raise BenchError("judging needs agent_harness.judge, which this installation lacks") from exc
    return judge_run(run_dir, judge=grader.judge, samples=grader.samples)


def _select(manifest: Manifest, tasks: list[str] | None, deliverable: str | None) -> list[TaskEntry]:
    known = {t.id for t in manifest.tasks}
    if unknown := [t for t in tasks or [] if t not in known]:
        raise BenchError(f"unknown task {unknown[0]!r} (bundle tasks: {', '.join(sorted(known))})")
    chosen = [t for t in manifest.tasks if not tasks or t.id in tasks]
    if deliverable:
        chosen = [t for t in chosen if deliverable in t.deliverables]
        if not chosen:
            raise BenchError(f"no selected task has deliverable {deliverable!r}")
    return chosen


@dataclass
class RunChoice:
    """What ``bench run`` was asked for, beyond the bundle's own settings."""

    agent: str = "offline"
    days: int | None = None  # simulated days (single deliverable: at most this many)
    turns_per_day: int | None = None
    llm_base_url: str | None = None
    deliverable: str | None = None  # run only this deliverable of each task holding it


def run_bundle(bundle: Path, out: Path, agent: str = "offline", tasks: list[str] | None = None,
               days: int | None = None, llm_base_url: str | None = None, deliverable: str | None = None,
               turns_per_day: int | None = None, log=None) -> Results:
    """Run (a selection of) the bundle's tasks with ``agent`` (``deliverable``: only that deliverable of each
    task holding it, as a single-deliverable task); write ``OUT/results.json`` and ``results.md``."""
    choice = RunChoice(agent, days, turns_per_day, llm_base_url, deliverable)
    check_backend("agent", agent, ("offline", "external"))
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BenchError(f"results directory {out} is not an empty directory")
    with opened(bundle) as (root, manifest):
        selected = _select(manifest, tasks, deliverable)
        tags = install_tasks(root, manifest, selected, log=log)
        out.mkdir(parents=True, exist_ok=True)
        rows = [_run_task(root, t, tags[t.id], out, choice, log) for t in selected]
    res = Results(bundle=manifest.name, version=manifest.version, agent=agent,
                  created=datetime.now(UTC).replace(microsecond=0).isoformat(), tasks=rows)
    write_results(out, res)
    return res


def _run_task(root: Path, task: TaskEntry, image: str, out: Path, choice: RunChoice, log) -> TaskResult:
    days, agent = choice.days, choice.agent
    src = root / task_dir(task.id)
    grader = read_model(src / "grader" / "grader.json", GraderConfig)
    computer = out / task.id / "computer"
    computer.mkdir(parents=True)
    shutil.copy2(src / "spec.json", computer / "spec.json")
    if (src / "grader" / TREE_DIR).is_dir():  # the source files the judge quotes
        shutil.copytree(src / "grader" / TREE_DIR, computer / TREE_DIR)
    single = choice.deliverable or grader.deliverable
    sim = grader.sim
    if single:  # one deliverable: its briefing only, until submitted, bounded by the days asked (or its window)
        one, _ = single_objectives(load_objectives(src / "grader" / "objectives.json"), single,
                                   days or (sim.days if grader.deliverable else None))
        write_model(computer / "objectives.json", one)
        run_days = one.days
    else:
        shutil.copy2(src / "grader" / "objectives.json", computer / "objectives.json")
        run_days = days or sim.days
    opts = SimOptions(days=run_days, turns_per_day=choice.turns_per_day or sim.turns_per_day, agent=agent,
                      collaborators=sim.collaborators, image=image, command_timeout=sim.command_timeout,
                      llm_base_url=choice.llm_base_url)
    if log:
        log(f"task {task.id}: " + (f"deliverable {single} until submitted, at most " if single else "")
            + f"{opts.days} day(s) with agent {agent}")
    sim_run = new_run(computer, out / task.id / "run", opts)
    sim_run.stop_when_submitted = bool(single)
    summary = sim_run.run()
    judgement = _judge(out / task.id / "run", grader)
    same = (days or sim.days) == sim.days and (choice.turns_per_day or sim.turns_per_day) == sim.turns_per_day
    ref = grader.reference if not single and same else None
    return TaskResult(id=task.id, points=judgement.total.points, max=judgement.total.max, status=summary.status,
                      run=f"{task.id}/run", deliverables={d.id: [d.points, d.max] for d in judgement.deliverables},
                      reference=ref, deliverable=single, stop_reason=summary.stop_reason)
