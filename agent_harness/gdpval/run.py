"""``gdpval run``: each task in a synthetic computer generated for its occupation, graded by its rubric.

Per task: a computer for the task's occupation (generated once per occupation, cached in ``OUT/computers``),
booted fresh; the reference files go to ``~/reference_files``, the prompt to the briefing (``~/objectives.md``
and the agent's brief), outputs are expected in ``~/outputs``. The agent works one session under a turn and a
wall-time budget; ``~/outputs`` is copied to ``OUT/<task_id>/outputs`` and graded. ``OUT/results.json``
(atomic) holds one row per task.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent_harness.gdpval.brief import slug
from agent_harness.gdpval.dataset import Dataset, Task, load_dataset
from agent_harness.gdpval.grade import TaskGrade, grade_outputs, pairwise
from worldbuilder.errors import WorldbuilderError


@dataclass
class GDPvalOptions:
    agent: str = "offline"
    skills: Path | None = None
    skills_path: str = ".skills"
    tasks: int | None = None
    turns: int = 60
    max_wall: float = 600.0
    runtime: str = "local"
    judge: str = "offline"
    pairwise: bool = False
    size: str = "small"
    seed: int = 0
    llm_base_url: str | None = None


class GDPvalRun:
    def __init__(self, dataset: Dataset, out: Path, opts: GDPvalOptions, echo: Callable[[str], None] = print) -> None:
        self.ds, self.out, self.opts, self.echo = dataset, Path(out), opts, echo
        self.llm = None
        if opts.judge != "offline":
            if not opts.judge.startswith("openai:") or not opts.judge.split(":", 1)[1]:
                raise WorldbuilderError(f"unknown judge {opts.judge!r} (use offline or openai:MODEL)")
            from agent_harness.gdpval.llm_grader import LLMGrader

            self.llm = LLMGrader(opts.judge.split(":", 1)[1], opts.llm_base_url)

    def computer(self, task: Task) -> Path:
        from worldbuilder.api import generate

        dest = self.out / "computers" / slug(task.occupation)
        if (dest / "spec.json").exists():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        shutil.rmtree(tmp)
        persona = f"a {task.occupation.lower()} working in {task.sector.lower()}"
        generate(persona, tmp, seed=self.opts.seed, size=self.opts.size)  # type: ignore[arg-type]
        os.replace(tmp, dest)
        return dest

    def run_task(self, task: Task) -> TaskGrade:
        from agent_harness.gdpval.session import run_session

        comp = self.computer(task)
        tdir = self.out / slug(task.task_id)
        shutil.rmtree(tdir, ignore_errors=True)
        tdir.mkdir(parents=True)
        files = {f"reference_files/{Path(p).name}": self.ds.file(p).read_bytes() for p in task.reference_files}
        info = run_session(comp, tdir, task, files, self.opts)
        outs = sorted(p for p in (tdir / "outputs").rglob("*") if p.is_file())
        grade = grade_outputs(task, outs, self.llm)
        grade.run = info
        if self.opts.pairwise and task.deliverable_files:
            grade.pairwise = pairwise(task, outs, [self.ds.file(p) for p in task.deliverable_files], self.llm)
        (tdir / "grade.json").write_text(grade.model_dump_json(indent=1) + "\n")
        return grade

    def run(self) -> list[TaskGrade]:
        tasks = self.ds.tasks[: self.opts.tasks] if self.opts.tasks else self.ds.tasks
        grades = []
        for t in tasks:
            self.echo(f"task {t.task_id} ({t.occupation})")
            grades.append(self.run_task(t))
        doc = {"dataset": self.ds.source, "agent": self.opts.agent, "judge": self.opts.judge,
               "skills": str(self.opts.skills) if self.opts.skills else None,
               "tasks": [g.model_dump(mode="json") for g in grades]}
        tmp = self.out / ".results.json.tmp"
        tmp.write_text(json.dumps(doc, indent=1) + "\n")
        os.replace(tmp, self.out / "results.json")
        return grades


def prepare(dataset: Path | str, out: Path, opts: GDPvalOptions) -> GDPvalRun:
    """Check everything (dataset, agent, skills, output folder) before anything is written."""
    from agent_harness.runs import AGENTS, check_backend

    ds = load_dataset(dataset)
    check_backend("agent", opts.agent, tuple(a for a in AGENTS if a != "external"))
    if opts.tasks is not None and opts.tasks < 1:
        raise WorldbuilderError("--tasks must be at least 1")
    if opts.skills is not None:
        from agent_harness.skills.format import load_skills
        from agent_harness.skills.install import check_skills_path

        load_skills(opts.skills)
        opts.skills_path = check_skills_path(opts.skills_path)
    if (Path(out) / "results.json").exists():
        raise WorldbuilderError(f"{out} already holds results.json (use another --out)")
    return GDPvalRun(ds, out, opts)


def table(grades: list[TaskGrade]) -> str:
    lines = [f"{'task':<14} {'occupation':<28} {'points':>12} {'judged':>7} {'unjudged':>8}  required  pairwise"]
    for g in grades:
        req = "FAILED " + ",".join(g.required_failed) if g.required_failed else "ok"
        pw = g.pairwise["result"] if g.pairwise else "-"
        lines.append(f"{g.task_id[:14]:<14} {g.occupation[:28]:<28} {g.points:>5g}/{g.max:<6g} {g.judged_max:>7g} "
                     f"{g.unjudged:>8}  {req:<8}  {pw}")
    return "\n".join(lines)
