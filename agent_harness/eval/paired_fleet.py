"""``eval paired --fleet``: the same steps as :class:`~agent_harness.eval.paired.Paired`, run as fleet jobs.

Three fleets under ``OUT/fleet/``, one per phase, each a normal fleet directory (``fleet.json``,
``manifest.jsonl``; ``worldbuilder fleet status OUT/fleet/test`` works) of the ``paired`` pipeline:

* ``train``: jobs ``train-00``.. (training runs) and ``test-00``.. (anchors: boot, kickoff, day-00
  snapshot); stages generate, simulate, judge (an anchor has nothing to judge).
* ``skills``: jobs ``n1``, ``n3``.. (mine from the first N training runs); stage mine.
* ``test``: jobs ``test-00.baseline``, ``test-00.skills-n1``.. (forks of the anchor); stages simulate, judge.

Every stage calls the in-process step it stands for, on the same paths, so the results (table, tests,
plot) are those of the in-process path. A rerun continues each fleet from its manifest (finished
job-stages are not run again; a fleet grows by the jobs a larger ``--train-computers``/``--test-computers``
needs), and gives quarantined job-stages one more attempt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent_harness.eval.paired import Paired
from agent_harness.fleet import driver, manifest
from agent_harness.fleet.models import Job, Record
from agent_harness.fleet.stages import StageContext
from worldbuilder.errors import WorldbuilderError

LLM_ENV = "WORLDBUILDER_LLM_BASE_URL"  # reaches local workers by fork, Ray workers by runtime_env


def _paired(ctx: StageContext) -> Paired:
    return Paired.attach(Path(ctx.job.params["out"]), os.environ.get(LLM_ENV) or None)


def _rel(ctx: StageContext, path: Path) -> str:
    return os.path.relpath(path, ctx.fleet_dir)


def generate(ctx: StageContext) -> str:
    p = _paired(ctx)
    return _rel(ctx, p.computer(ctx.job.params["name"], ctx.job.params["index"]))


def simulate(ctx: StageContext) -> str:
    p, par = _paired(ctx), ctx.job.params
    if par["kind"] == "train":
        return _rel(ctx, p.train_run(par["name"], p.out / "computers" / par["name"], judge=False))
    if par["kind"] == "anchor":
        return _rel(ctx, p.anchor(par["name"], p.out / "computers" / par["name"]))
    n = par.get("n")
    skills = p.skills_dir(n) if n is not None else None
    return _rel(ctx, p.arm(par["name"], par["arm"], p.anchor_dir(par["name"]), skills, judge=False))


def judge(ctx: StageContext) -> str:
    p, par = _paired(ctx), ctx.job.params
    if par["kind"] == "anchor":  # a day-00 snapshot: nothing to judge
        return _rel(ctx, p.anchor_dir(par["name"]))
    if par["kind"] == "train":
        return _rel(ctx, p.judge_step(p.train_dir(par["name"]), f"train {par['name']}"))
    return _rel(ctx, p.judge_step(p.arm_dir(par["name"], par["arm"]), f"test {par['name']} {par['arm']}"))


def mine(ctx: StageContext) -> str:
    p, n = _paired(ctx), ctx.job.params["n"]
    return _rel(ctx, p.skills(n, [p.train_dir(name) for name in p.train_names()[:n]]))


STAGE_FUNCS: dict[str, Callable[[StageContext], str]] = {
    "generate": generate, "simulate": simulate, "judge": judge, "mine": mine,
}


def _job(p: Paired, job: str, **params: Any) -> Job:
    return Job(job=job, persona=params.get("persona", job), seed=p.cfg.seed,
               params={"out": str(p.out)} | {k: v for k, v in params.items() if k != "persona"})


def plan(p: Paired) -> dict[str, tuple[list[str], list[Job]]]:
    """The three phase fleets: name -> (stages, jobs)."""
    from worldbuilder.personas import load_personas

    personas = load_personas()
    n_train = len(p.train_names())
    train = [_job(p, name, kind="train", name=name, index=i, persona=personas[i % len(personas)])
             for i, name in enumerate(p.train_names())]
    anchors = [_job(p, name, kind="anchor", name=name, index=n_train + j,
                    persona=personas[(n_train + j) % len(personas)]) for j, name in enumerate(p.test_names())]
    mined = [_job(p, f"n{n}", kind="mine", n=n) for n in p.rows()]
    arms = [_job(p, f"{name}.{arm}", kind="arm", name=name, arm=arm, n=None if key == "baseline" else int(key[1:]))
            for name in p.test_names() for key, arm in p.arms().items()]
    return {"train": (["generate", "simulate", "judge"], train + anchors), "skills": (["mine"], mined),
            "test": (["simulate", "judge"], arms)}


def run_on_fleet(p: Paired, engine: str = "local", workers: int | None = None, address: str | None = None,
                 echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every step of ``p`` as fleet jobs, phase by phase, then summarise exactly as in-process."""
    p.out = p.out.resolve()  # workers (and Ray nodes) see absolute paths only
    for phase, (stages, jobs) in plan(p).items():
        fleet_dir = p.out / "fleet" / phase
        _prepare(fleet_dir, phase, stages, jobs, p, engine, echo)
        with _llm_env(p.cfg.llm_base_url):
            driver.run_fleet(fleet_dir, engine=engine, workers=workers, address=address,
                             on_record=lambda rec, ph=phase: _show(rec, ph, echo))
        _check_done(fleet_dir, [j.job for j in jobs])
    return p.summarise(*p.collect())


def _prepare(fleet_dir: Path, phase: str, stages: list[str], jobs: list[Job], p: Paired, engine: str,
             echo: Callable[[str], None]) -> None:
    if not (fleet_dir / manifest.CONFIG_FILE).exists():
        driver.create_jobs_fleet(fleet_dir, jobs, f"paired:{p.out}:{phase}", stages, pipeline="paired",
                                 engine=engine, size=p.cfg.size, days=p.cfg.days,
                                 turns_per_day=p.cfg.turns_per_day, agent=p.cfg.agent, runtime=p.cfg.runtime)
        return
    for job in driver.requeue_quarantined(fleet_dir):
        echo(f"retrying: {phase} {job}")
    driver.add_jobs(fleet_dir, jobs)


def _show(rec: Record, phase: str, echo: Callable[[str], None]) -> None:
    if rec.state in ("running", "done"):
        echo(f"{rec.state}: {phase} {rec.job} {rec.stage}")
    elif rec.state in ("failed", "quarantined"):
        echo(f"{rec.state}: {phase} {rec.job} {rec.stage}: {rec.error}")


@contextmanager
def _llm_env(url: str | None):
    old = os.environ.get(LLM_ENV)
    os.environ[LLM_ENV] = url or ""  # the in-process path's setting, not the shell's
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(LLM_ENV, None)
        else:
            os.environ[LLM_ENV] = old


def _check_done(fleet_dir: Path, jobs: list[str]) -> None:
    """Every job-stage the evaluation needs is done, or one line says which failed and why."""
    cfg, latest = manifest.load_config(fleet_dir), manifest.latest(fleet_dir)
    for job in jobs:
        for stage in cfg.stages:
            rec = latest.get((job, stage))
            if rec is None or rec.state != "done":
                why = f": {rec.error}" if rec is not None and rec.error else ""
                raise WorldbuilderError(f"fleet {fleet_dir}: {job} {stage} "
                                        f"{rec.state if rec else 'missing'}{why} (rerun to retry)")
