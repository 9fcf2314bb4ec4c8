"""Starting, resuming and forking runs (the Python API under ``worldbuilder simulate``)."""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from agent_harness.agents.base import AGENTS as AGENT_MAP
from agent_harness.agents.base import WorkAgent
from agent_harness.clock import Clock
from agent_harness.collaborators import COLLABORATORS, make_collaborators
from agent_harness.models import Limits, MessageRecord, Objectives, RunConfig, TurnRecord
from agent_harness.objectives import briefing, load_objectives, validate_objectives, write_objectives
from agent_harness.objectives_scale import rescale_objectives
from agent_harness.runlog import JsonlLog, RunDir, RunDirError, write_model
from agent_harness.runtime import BACKENDS, run_provider
from agent_harness.simulation import Progress, Redactor, Simulation
from worldbuilder.computer_dir import load_computer
from worldbuilder.errors import WorldbuilderError
from worldbuilder.plugins import make, names
from worldbuilder.spec import ComputerSpec, stable_id


class RunComplete(WorldbuilderError):
    """``--resume`` of a run whose last day is already complete (not a failure: the CLI exits 0)."""


FORK_RE = re.compile(r"^(?P<run>.+)@day-(?P<day>\d+)$")
SECRET_ENVS = ("WORLDBUILDER_LLM_API_KEY", "OPENAI_API_KEY")


@dataclass
class SimOptions:
    days: int = 20
    turns_per_day: int = 250
    agent: str = "offline"  # offline | openai:MODEL | external
    collaborators: str = "offline"
    runtime: str = "docker"  # docker | qemu | libvirt | local | windows-qemu (the ComputerProvider name)
    image: str | None = None  # docker image ref (default: build/resolve from the computer dir)
    limits: Limits | None = None
    command_timeout: float = 60.0
    llm_base_url: str | None = None
    external_day_seconds: float = 600.0
    disk_quota: str | None = "2g"
    skills: Path | None = None  # a skills directory to install in the computer
    skills_path: str = ".skills"


AGENTS = tuple(names(AGENT_MAP))


def check_backend(kind: str, spec: str, allowed: tuple[str, ...]) -> None:
    """Reject an unknown ``--agent``/``--collaborators`` value before anything is created."""
    model = spec.split(":", 1)[1] if spec.startswith("openai:") else None
    if spec not in allowed and not model:
        raise RunDirError(f"unknown {kind} {spec!r} (use {', '.join(allowed)} or openai:MODEL)")


def make_agent(spec: str, base_url: str | None, day_seconds: float = 600.0) -> WorkAgent:
    check_backend("agent", spec, AGENTS)
    return make("agent", AGENT_MAP, spec, RunDirError, base_url=base_url, day_seconds=day_seconds)


def redactor() -> Redactor:
    return Redactor([os.environ.get(k, "") for k in SECRET_ENVS])


def _provider(cfg: RunConfig, run: RunDir):
    """The run's ComputerProvider; with skills, wrapped so every booted computer gets them."""
    provider = run_provider(cfg.runtime, cfg.run_id, run.root, cfg.disk_quota)
    if cfg.skills:
        from agent_harness.skills.install import SkillsRuntime

        return SkillsRuntime(provider, Path(cfg.skills), cfg.skills_path)
    return provider


def _build(run: RunDir, cfg: RunConfig, progress: Progress | None) -> tuple[Simulation, ComputerSpec]:
    spec, _ = load_computer(Path(cfg.computer))
    objectives = run.objectives()
    agent = make_agent(cfg.agent, cfg.llm_base_url, cfg.external_day_seconds)
    brief = briefing(objectives, spec)
    if cfg.skills:
        from agent_harness.skills.install import listing

        brief["skills"] = listing(Path(cfg.skills), cfg.skills_path)
    agent.start(brief)
    collabs = make_collaborators(cfg.collaborators, spec, objectives, cfg.llm_base_url)
    clock = Clock(days=cfg.days, turns_per_day=cfg.turns_per_day, start=cfg.start_date)
    sim = Simulation(run, _provider(cfg, run), spec, objectives, agent, collabs, clock, cfg,
                     redact=redactor(), progress=progress)
    return sim, spec


def new_run(computer: Path, run_dir: Path | None, opts: SimOptions, progress: Progress | None = None) -> Simulation:
    """Prepare a fresh run directory and a simulation ready to ``run()``.

    Everything that can be checked is checked before the run directory exists (computer, objectives,
    backends); a failure while preparing or booting removes the directory again (and its snapshots)."""
    computer = Path(computer).resolve()
    check_backend("agent", opts.agent, AGENTS)
    check_backend("collaborators", opts.collaborators, tuple(names(COLLABORATORS)))
    if opts.skills is not None:
        from agent_harness.skills.format import load_skills
        from agent_harness.skills.install import check_skills_path

        load_skills(opts.skills)
        opts.skills_path = check_skills_path(opts.skills_path)
    Clock(days=opts.days, turns_per_day=opts.turns_per_day)  # validates both
    if opts.runtime not in BACKENDS:
        raise RunDirError(f"unknown backend {opts.runtime!r} (use one of: {', '.join(BACKENDS)})")
    if opts.runtime == "docker":
        from worldbuilder.runtime.limits import Limits as ComputerLimits

        ComputerLimits(disk=opts.disk_quota)  # validates the quota
    spec, tree = load_computer(computer)
    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{stable_id(spec.id, time.time_ns())[:6]}"
    run = RunDir(run_dir or computer.parent / "runs" / run_id)
    if run.root.exists() and (not run.root.is_dir() or any(run.root.iterdir())):
        raise RunDirError(f"run directory {run.root} is not empty (use --resume to continue it)")
    objectives = run_objectives(computer, spec, tree, opts.days)
    created = not run.root.exists()
    run.create()
    try:
        write_model(run.objectives_json, objectives)
        image = opts.image or run_provider(opts.runtime, run_id, run.root).prepare(computer).ref
        skills = None
        if opts.skills is not None:
            from agent_harness.skills.install import copy_into_run

            skills = str(copy_into_run(opts.skills, run.root).resolve())
        cfg = RunConfig(run_id=run_id, computer=str(computer), runtime=opts.runtime, image=image,  # type: ignore[arg-type]
                        days=opts.days, turns_per_day=opts.turns_per_day, start_date=spec.world.history_end.date(),
                        agent=opts.agent, collaborators=opts.collaborators, limits=opts.limits or Limits(),
                        command_timeout=opts.command_timeout, llm_base_url=opts.llm_base_url,
                        external_day_seconds=opts.external_day_seconds, disk_quota=opts.disk_quota,
                        skills=skills, skills_path=opts.skills_path)
        write_model(run.run_json, cfg)
        sim, _ = _build(run, cfg, progress)
        try:
            sim.start_fresh(image)
        except BaseException:
            if sim.computer is not None:
                sim.runtime.release(sim.computer)
            raise
    except BaseException:
        from agent_harness.housekeeping import remove_run

        remove_run(run.root, keep_dir=not created, quiet=True)
        raise
    return sim


def run_objectives(computer: Path, spec: ComputerSpec, tree: Path | None, days: int) -> Objectives:
    """The computer's objectives.json (validated against it) rescaled to ``days``, or new offline ones."""
    obj_file = computer / "objectives.json"
    if not obj_file.exists():
        return write_objectives(computer, days=days)
    objectives = load_objectives(obj_file)
    validate_objectives(objectives, spec, tree)
    if objectives.days != days:  # written for another month length: rescale, keep the texts
        print(f"note: {obj_file} was written for {objectives.days} days; rescaled to {days}", file=sys.stderr)
        objectives = rescale_objectives(objectives, days)
    return objectives


def resume(run_dir: Path, progress: Progress | None = None) -> Simulation:
    """Continue a run from its last complete day; later turns and messages are discarded."""
    run = RunDir(run_dir)
    cfg = run.config()
    last = run.snapshots().last()
    if last is None:
        raise RunDirError(f"{run.root} has no complete day to resume from")
    if last.day >= cfg.days:
        _mark_complete(run, cfg.days)
        raise RunComplete(f"run already complete (days 1..{cfg.days})")
    sim, spec = _build(run, cfg, progress)
    sim.runtime.reap()
    _truncate_logs(run, last.day)
    sim.turns = JsonlLog(run.turns_jsonl, TurnRecord)
    sim.messages = JsonlLog(run.messages_jsonl, MessageRecord)
    sim.start_from(last.day)
    sim.harness_turn(last.day, "resume", f"resumed from {last.label}", args={"snapshot": last.label})
    return sim


def _mark_complete(run: RunDir, days: int) -> None:
    """A run killed after its last snapshot: its summary still says running/failed; say completed."""
    s = run.summary()
    if s is not None and s.status in ("running", "failed"):
        write_model(run.summary_json, s.model_copy(update={"status": "completed", "stop_reason": "",
                                                           "days_completed": days}))


def _truncate_logs(run: RunDir, day: int) -> None:
    for path, model in ((run.turns_jsonl, TurnRecord), (run.messages_jsonl, MessageRecord)):
        log = JsonlLog(path, model)  # repairs a torn last line
        dropped = log.keep_only(lambda r: r.day <= day)
        log.close()
        if dropped:
            print(f"note: discarded {dropped} record(s) of {path.name} after day {day}")
    for p in run.state_dir.glob("day-*.json"):
        if int(p.stem.split("-")[1]) > day:
            p.unlink()


def parse_fork(ref: str) -> tuple[Path, int]:
    m = FORK_RE.match(ref)
    if not m:
        raise RunDirError(f"--from expects RUN@day-NN (got {ref!r})")
    return Path(m.group("run")), int(m.group("day"))


def fork(ref: str, run_dir: Path | None, days: int | None = None, progress: Progress | None = None,
         overrides: dict | None = None) -> Simulation:
    """A new, independent run starting from ``RUN@day-NN`` (logs copied up to that day). ``overrides`` replaces
    run.json fields of the fork (e.g. ``agent``, ``skills``: a paired comparison from one snapshot)."""
    src_dir, day = parse_fork(ref)
    src = RunDir(src_dir)
    cfg = src.config()
    snap = src.snapshots().get(day)
    if snap is None:
        raise RunDirError(f"{src.root} has no snapshot for day {day}")
    run_id = f"{cfg.run_id}-f{day:02d}-{stable_id(time.time_ns())[:4]}"
    run = RunDir(run_dir or src.root.parent / run_id)
    if run.root.exists() and (not run.root.is_dir() or any(run.root.iterdir())):
        raise RunDirError(f"run directory {run.root} is not empty")
    created = not run.root.exists()
    run.create()
    try:
        if overrides:
            cfg = _apply_overrides(cfg, overrides, run)
        return _fork_into(src, run, cfg, run_id, day, days, progress)
    except BaseException:
        from agent_harness.housekeeping import remove_run

        remove_run(run.root, keep_dir=not created, quiet=True)
        raise


def _apply_overrides(cfg: RunConfig, overrides: dict, run: RunDir) -> RunConfig:
    over = dict(overrides)
    if "agent" in over:
        check_backend("agent", over["agent"], AGENTS)
    if over.get("skills"):
        from agent_harness.skills.install import check_skills_path, copy_into_run

        over["skills"] = str(copy_into_run(Path(over["skills"]), run.root).resolve())
        over["skills_path"] = check_skills_path(over.get("skills_path", cfg.skills_path))
    return cfg.model_copy(update=over)


def _fork_into(src: RunDir, run: RunDir, cfg: RunConfig, run_id: str, day: int, days: int | None,
               progress: Progress | None) -> Simulation:
    snap = src.snapshots().get(day)
    assert snap is not None
    shutil.copy2(src.objectives_json, run.objectives_json)
    for name in ("daily_sim_turns.jsonl", "messages.jsonl"):
        shutil.copy2(src.root / name, run.root / name)
    _truncate_logs_copy(run, day)
    for d in range(day + 1):
        if src.state_path(d).exists():
            shutil.copy2(src.state_path(d), run.state_path(d))
    idx = src.snapshots()
    idx.snapshots = [s for s in idx.snapshots if s.day <= day]
    write_model(run.snapshots_json, idx)
    new_cfg = cfg.model_copy(update={"run_id": run_id, "forked_from": f"{src.root}@day-{day:02d}",
                                     "days": days or cfg.days})
    write_model(run.run_json, new_cfg)
    if cfg.runtime != "docker":  # local trees and VM disks (with their snapshots) live in the source run directory
        top = src.root / cfg.runtime  # the running copy ("computer") is not part of a snapshot
        shutil.copytree(top, run.root / cfg.runtime, ignore=lambda d, names: ["computer"] if Path(d) == top else [])
        idx.snapshots = [s.model_copy(update={"ref": s.ref.replace(str(src.root.resolve()), str(run.root.resolve()))})
                         for s in idx.snapshots]
        write_model(run.snapshots_json, idx)
    sim, _ = _build(run, new_cfg, progress)
    sim.start_from(day)
    sim.harness_turn(day, "fork", f"forked from {src.root}@{snap.label}", args={"snapshot": snap.label})
    return sim


def _truncate_logs_copy(run: RunDir, day: int) -> None:
    for path, model in ((run.turns_jsonl, TurnRecord), (run.messages_jsonl, MessageRecord)):
        log = JsonlLog(path, model)
        log.keep_only(lambda r: r.day <= day)
        log.close()
