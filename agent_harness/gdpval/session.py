"""One GDPval task session: boot a fresh computer, place the task, let the agent work, copy ~/outputs out."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from agent_harness import mailbox
from agent_harness.gdpval.brief import DLV, task_brief
from agent_harness.gdpval.dataset import Task
from agent_harness.models import TurnRecord
from agent_harness.runlog import JsonlLog
from agent_harness.tools import Budget, BudgetExceeded, DayOver, Toolbox


def _runtime(comp: Path, tdir: Path, opts: Any, spec: Any, tree: Path | None) -> tuple[Any, str]:
    """The session's ComputerProvider (``opts.runtime`` names it) and the prepared image ref."""
    from agent_harness.runtime import run_provider

    provider = run_provider(opts.runtime, f"gdpval-{tdir.name}"[:40], tdir)
    return provider, provider.prepare(comp).ref


def run_session(comp: Path, tdir: Path, task: Task, files: dict[str, bytes], opts: Any) -> dict[str, Any]:
    from agent_harness.runs import make_agent
    from worldbuilder.computer_dir import load_computer

    spec, tree = load_computer(comp)
    runtime, image = _runtime(comp, tdir, opts, spec, tree)
    skills = None
    if opts.skills is not None:
        from agent_harness.skills.install import SkillsRuntime, listing

        runtime = SkillsRuntime(runtime, opts.skills, opts.skills_path)
        skills = listing(opts.skills, opts.skills_path)
    computer = runtime.boot(image)
    log = JsonlLog(tdir / "turns.jsonl", TurnRecord)
    t0 = time.monotonic()
    stop = ""
    try:
        mailbox.install(computer, spec)
        for rel, data in files.items():
            computer.write(rel, data)
        computer.exec("mkdir -p outputs", timeout=30)
        brief = task_brief(task, spec.profile.full_name, skills)
        computer.write("objectives.md", (f"# Task {task.task_id}\n\n{task.prompt}\n\nReference files: "
                                         + ", ".join(files) + "\nPut your deliverables in ~/outputs.\n").encode())
        agent = make_agent(opts.agent, opts.llm_base_url)
        agent.start(brief)
        tools = Toolbox(computer, log.append, 1, 0, Budget(day_turns=opts.turns, max_wall=opts.max_wall), {DLV})
        try:
            agent.run_day(1, date.today(), tools)
        except DayOver as exc:
            stop = str(exc)
        except BudgetExceeded as exc:
            stop = str(exc)
        (tdir / "outputs").mkdir(exist_ok=True)
        for name in computer.listdir("outputs"):
            try:
                (tdir / "outputs" / Path(name).name).write_bytes(computer.read(f"outputs/{Path(name).name}"))
            except (IsADirectoryError, OSError):
                continue
        return {"turns": tools.turn, "stop": stop, "seconds": round(time.monotonic() - t0, 2),
                "submitted": tools.submissions.get(DLV, []), "tokens": agent.tokens()}
    finally:
        log.close()
        runtime.release(computer)
