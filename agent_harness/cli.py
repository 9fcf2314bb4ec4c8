"""CLI commands for objectives, simulation and runs (thin wrappers over agent_harness.runs)."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from agent_harness.runtime import BACKENDS


@contextmanager
def _progress(days: int):
    """Yield a ``progress(day, turns, turns_per_day)`` callback drawing rich bars (days and turns)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as prog:
        day_task = prog.add_task("days", total=days)
        turn_task = prog.add_task("turns", total=1)

        def update(day: int, turns: int, per_day: int) -> None:
            prog.update(day_task, completed=max(0, day - 1), description=f"day {day}/{days}")
            prog.update(turn_task, completed=turns, total=per_day, description=f"turns day {day}")

        yield update


def _limits(max_turns, max_wall, max_tokens):
    from agent_harness.models import Limits

    return Limits(max_turns=max_turns, max_wall=max_wall, max_tokens=max_tokens)



@click.command()
@click.argument("computer", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--backend", default="offline", show_default=True, help="offline or openai:MODEL")
@click.option("--days", type=click.IntRange(1, 366), default=20, show_default=True,
              help="Length of the simulated month (give simulate the same --days).")
@click.option("--out", type=click.Path(path_type=Path), help="Default: COMPUTER/objectives.json")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def objectives(computer, backend, days, out, llm_base_url):
    """Write objectives.json: deliverables, stakeholders, sources and rubrics for COMPUTER."""
    from agent_harness.objectives import write_objectives
    from worldbuilder.errors import OutputDirError

    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        raise OutputDirError(f"--out {out}: " + ("is a folder" if out.is_dir() else f"folder {out.parent} does not exist"))
    notes: list[str] = []
    try:
        obj = write_objectives(computer, backend=backend, days=days, out=out, llm_base_url=llm_base_url,
                               notes=notes)
    except OSError as exc:
        raise OutputDirError(f"cannot write {out or computer / 'objectives.json'}: {exc.strerror or exc}") from exc
    for n in notes:
        click.echo(f"note: {n}", err=True)
    click.echo(f"{out or computer / 'objectives.json'}: {len(obj.deliverables)} deliverables, "
               f"{obj.total_points} rubric points, {len(obj.scenario)} scheduled changes")

@click.command()
@click.argument("computer", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--days", type=click.IntRange(1, 366), default=20, show_default=True)
@click.option("--turns-per-day", type=click.IntRange(1), default=250, show_default=True)
@click.option("--agent", default="offline", show_default=True, help="offline (scripted baseline), reference (scripted reference solver), external or openai:MODEL")
@click.option("--collaborators", default="offline", show_default=True, help="offline or openai:MODEL")
@click.option("--run-dir", type=click.Path(path_type=Path), help="Default: COMPUTER/../runs/<run id>")
@click.option("--resume", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Continue RUN from its last complete day.")
@click.option("--from", "from_ref", metavar="RUN@day-NN", help="Start a new run from a day of another run.")
@click.option("--backend", "--runtime", "runtime", type=click.Choice(BACKENDS),
              default="docker", show_default=True,
              help="The computer provider; local = directory computer for development (NO isolation).")
@click.option("--image", help="Docker image ref (default: build it from COMPUTER).")
@click.option("--max-turns", type=click.IntRange(1), help="Run budget: total agent turns.")
@click.option("--max-wall", type=click.FloatRange(1, min_open=False), help="Run budget: wall-clock seconds.")
@click.option("--max-tokens", type=click.IntRange(1), help="Run budget: LLM tokens.")
@click.option("--command-timeout", type=click.FloatRange(0.1, 86400), default=60.0, show_default=True,
              help="Seconds one agent command may run before it is killed.")
@click.option("--external-day-seconds", type=click.FloatRange(1, 7 * 86400), default=600.0, show_default=True,
              help="External agents: how long a day may take before it is ended.")
@click.option("--disk-quota", default="2g", show_default=True,
              help="Docker: what the computer may write over its image, e.g. 500m, 4g, or none; past it the run stops.")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
@click.option("--skills", "skills_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Skills directory to install in the computer (listed in the agent's system prompt).")
@click.option("--skills-path", default=".skills", show_default=True,
              help="Where the skills go, relative to the home (e.g. .claude/skills).")
def simulate(computer, days, turns_per_day, agent, collaborators, run_dir, resume, from_ref, runtime, image,
             max_turns, max_wall, max_tokens, command_timeout, external_day_seconds, disk_quota, llm_base_url,
             skills_dir, skills_path):
    """Run a long-horizon simulation on COMPUTER (or --resume RUN, or --from RUN@day-NN)."""
    from agent_harness import runs

    if sum(map(bool, (computer, resume, from_ref))) != 1:
        raise click.UsageError("give exactly one of COMPUTER, --resume RUN or --from RUN@day-NN")
    if skills_dir and not computer:
        raise click.UsageError("--skills applies to a new run (a resumed or forked run keeps its own skills)")
    with _progress(days) as prog:
        if resume:
            try:
                sim = runs.resume(resume, progress=prog)
            except runs.RunComplete as done:
                click.echo(str(done))
                return
        elif from_ref:
            sim = runs.fork(from_ref, run_dir, progress=prog)
        else:
            opts = runs.SimOptions(days=days, turns_per_day=turns_per_day, agent=agent,
                                   collaborators=collaborators, runtime=runtime, image=image,
                                   limits=_limits(max_turns, max_wall, max_tokens), command_timeout=command_timeout,
                                   llm_base_url=llm_base_url, external_day_seconds=external_day_seconds,
                                   disk_quota=None if disk_quota.lower() in ("none", "off") else disk_quota,
                                   skills=skills_dir, skills_path=skills_path)
            sim = runs.new_run(computer, run_dir, opts, progress=prog)
        click.echo(f"run: {sim.run_dir.root}", err=True)
        s = sim.run()
    click.echo(f"{sim.run_dir.root}: {s.status} {s.stop_reason}".rstrip() + f"; {s.days_completed} days, "
               f"{s.turns} turns ({s.error_rate:.1%} errors), {len(s.deliverables)} deliverables submitted, "
               f"{s.wall_seconds:.0f}s")
    if s.status == "degraded":
        click.echo(f"error: run degraded: {s.stop_reason}", err=True)
        sys.exit(3)

@click.group()
def runs() -> None:
    """Inspect simulation runs."""

@runs.command("ls")
@click.argument("directory", default="runs", type=click.Path(file_okay=False, path_type=Path))
def runs_ls(directory):
    """List runs (directories with run.json) under DIRECTORY.

    A run whose run.json or summary.json cannot be read is reported on stderr, one line each, and the rest
    are still listed; the exit status is then 1."""
    from agent_harness.runlog import RunDir, RunDirError

    if not Path(directory).is_dir() and directory != Path("runs"):  # the default may not exist yet
        raise click.BadParameter(f"{directory} is not a directory", param_hint="DIRECTORY")
    broken = 0
    for p in sorted(Path(directory).glob("**/run.json")):
        r = RunDir(p.parent)
        try:
            s = r.summary()
            cfg = r.config()
        except (RunDirError, OSError) as exc:
            broken += 1
            click.echo(f"error: {r.root}: unreadable run ({exc})", err=True)
            continue
        click.echo(f"{r.root}\t{cfg.agent}\t{s.status if s else '?'}\tdays {s.days_completed if s else 0}/"
                   f"{cfg.days}\tturns {s.turns if s else 0}")
    if broken:
        sys.exit(1)

@runs.command("show")
@click.argument("run", type=click.Path(exists=True, file_okay=False, path_type=Path))
def runs_show(run):
    """Show a run's config, summary and snapshots as JSON."""
    from agent_harness.runlog import RunDir

    r = RunDir(run)
    s = r.summary()
    click.echo(json.dumps({"config": r.config().model_dump(mode="json"),
                           "summary": s.model_dump(mode="json") if s else None,
                           "snapshots": [x.label for x in r.snapshots().snapshots]}, indent=1))

@runs.command("rm")
@click.argument("run_dirs", metavar="RUN...", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
def runs_rm(run_dirs):
    """Remove runs: stop their computer, remove the snapshot images they own, delete the directory."""
    from agent_harness.housekeeping import remove_run

    for run in run_dirs:
        r = remove_run(run)
        kept = f", kept {len(r.kept)} shared with other runs" if r.kept else ""
        click.echo(f"removed {r.root} ({len(r.images)} snapshot image(s){kept})")
        if r.failed:
            raise click.ClickException(f"could not remove image(s): {', '.join(r.failed)}")


def register(main: click.Group) -> None:
    """Attach harness commands (objectives, simulate, runs, judge, report, scores) to the main group."""
    for cmd in (objectives, simulate, runs):
        main.add_command(cmd)
    from agent_harness.cli_judge import register as register_judge

    register_judge(main)
    from agent_harness.cli_skills import register as register_skills

    register_skills(main)
    from agent_harness.cli_eval import register as register_eval

    register_eval(main)
    from agent_harness.cli_gdpval import register as register_gdpval

    register_gdpval(main)
