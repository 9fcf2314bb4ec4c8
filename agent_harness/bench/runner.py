"""``bench run``: boot each task's computer, simulate with the chosen agent, judge, write results.

Per task a run directory ``OUT/<task>/run`` is made by the ordinary harness (``runs.new_run``) from a
computer folder holding the task's spec and its grader objectives, booted from the imported image.
The judge is :func:`agent_harness.judge.judge_run` (imported when a task is judged).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from agent_harness.bench.errors import BenchError
from agent_harness.bench.importer import install_tasks, opened
from agent_harness.bench.model import GraderConfig, Manifest, TaskEntry, task_dir
from agent_harness.bench.results import Results, TaskResult, write_results
from agent_harness.runlog import read_model
from agent_harness.runs import SimOptions, check_backend, new_run


def _judge(run_dir: Path, grader: GraderConfig):
    try:
        from agent_harness.judge import judge_run
    except ImportError as exc:
        raise BenchError("judging needs agent_harness.judge, which this installation lacks") from exc
    return judge_run(run_dir, judge=grader.judge, samples=grader.samples)


def _select(manifest: Manifest, tasks: list[str] | None) -> list[TaskEntry]:
    if not tasks:
        return manifest.tasks
    known = {t.id for t in manifest.tasks}
    if unknown := [t for t in tasks if t not in known]:
        raise BenchError(f"unknown task {unknown[0]!r} (bundle tasks: {', '.join(sorted(known))})")
    return [t for t in manifest.tasks if t.id in tasks]


def run_bundle(bundle: Path, out: Path, agent: str = "offline", tasks: list[str] | None = None,
               days: int | None = None, llm_base_url: str | None = None, log=None) -> Results:
    """Run (a selection of) the bundle's tasks with ``agent``; write ``OUT/results.json`` and ``results.md``."""
    check_backend("agent", agent, ("offline", "external"))
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BenchError(f"results directory {out} is not an empty directory")
    with opened(bundle) as (root, manifest):
        selected = _select(manifest, tasks)
        tags = install_tasks(root, manifest, selected, log=log)
        out.mkdir(parents=True, exist_ok=True)
        rows = [_run_task(root, t, tags[t.id], out, agent, days, llm_base_url, log) for t in selected]
    res = Results(bundle=manifest.name, version=manifest.version, agent=agent,
                  created=datetime.now(UTC).replace(microsecond=0).isoformat(), tasks=rows)
    write_results(out, res)
    return res


def _run_task(root: Path, task: TaskEntry, image: str, out: Path, agent: str, days: int | None,
              llm_base_url: str | None, log) -> TaskResult:
    src = root / task_dir(task.id)
    grader = read_model(src / "grader" / "grader.json", GraderConfig)
    computer = out / task.id / "computer"
    computer.mkdir(parents=True)
    shutil.copy2(src / "spec.json", computer / "spec.json")
    shutil.copy2(src / "grader" / "objectives.json", computer / "objectives.json")
    sim = grader.sim
    opts = SimOptions(days=days or sim.days, turns_per_day=sim.turns_per_day, agent=agent,
                      collaborators=sim.collaborators, image=image, command_timeout=sim.command_timeout,
                      llm_base_url=llm_base_url)
    if log:
        log(f"task {task.id}: {opts.days} day(s) with agent {agent}")
    summary = new_run(computer, out / task.id / "run", opts).run()
    judgement = _judge(out / task.id / "run", grader)
    ref = grader.reference if (days or sim.days) == sim.days else None
    return TaskResult(id=task.id, points=judgement.total.points, max=judgement.total.max, status=summary.status,
                      run=f"{task.id}/run", deliverables={d.id: [d.points, d.max] for d in judgement.deliverables},
                      reference=ref)
