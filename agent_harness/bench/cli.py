"""``worldbuilder bench``: export, import, run and rank benchmark bundles (thin over this package)."""

from __future__ import annotations

from pathlib import Path

import click


def _log(msg: str) -> None:
    click.echo(msg, err=True)


@click.group("bench")
def bench() -> None:
    """Share computers as benchmarks: bundles with images, objectives and graders."""


@bench.command("export")
@click.argument("sources", metavar="COMPUTER_OR_RUN...", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Bundle folder (or .tar.zst with --archive; with --format harbor: a folder of task dirs).")
@click.option("--day", type=click.IntRange(0), default=0, show_default=True, help="Export the computer at this day.")
@click.option("--name", help="Benchmark name (default: the bundle's file name).")
@click.option("--version", "version", default="1", show_default=True)
@click.option("--archive", "as_archive", is_flag=True, help="Write one .tar.zst file instead of a folder.")
@click.option("--format", "fmt", type=click.Choice(["bundle", "harbor"]), default="bundle", show_default=True)
@click.option("--skills-dir", help="Harbor: skills_dir inside the environment.")
@click.option("--solution", is_flag=True, help="Harbor: add solution/ with the source run's deliverables.")
@click.option("--deliverable", "deliverables", multiple=True, metavar="ID",
              help="One single-deliverable task per ID (repeatable; 'all': every deliverable) instead of one "
                   "simulation task per source. Harbor: only these deliverables.")
def export(sources, out, day, name, version, as_archive, fmt, skills_dir, solution, deliverables):
    """Export computers or runs (at --day) as a benchmark bundle or Harbor task directories."""
    if fmt == "harbor":
        from agent_harness.bench.harbor import export_harbor

        dirs = export_harbor(list(sources), out, day=day, skills_dir=skills_dir, solution=solution,
                             deliverables=list(deliverables) or None, log=_log)
        click.echo(f"{out}: {len(dirs)} Harbor task(s)")
        return
    from agent_harness.bench.export import export_bundle

    if as_archive and not out.name.endswith(".tar.zst"):
        raise click.UsageError("--archive needs an --out ending in .tar.zst")
    m = export_bundle(list(sources), out, day=day, name=name, version=version, as_archive=as_archive,
                      deliverables=list(deliverables) or None, log=_log)
    layers = {d for t in m.tasks for d in t.image.layers}
    click.echo(f"{out}: {m.name} {m.version}, {len(m.tasks)} task(s), {len(layers)} distinct layer(s)")


@bench.command("import")
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
def import_(bundle):
    """Verify BUNDLE (every digest) and load its images; importing twice does nothing more."""
    from agent_harness.bench.importer import import_bundle

    for task, tag in import_bundle(bundle, log=_log).items():
        click.echo(f"{task}\t{tag}")


@bench.command("run")
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
@click.option("--agent", default="offline", show_default=True, help="offline, openai:MODEL or external")
@click.option("--tasks", help="Comma-separated task ids (default: all).")
@click.option("--days", type=click.IntRange(1, 366),
              help="Simulated days (default: the bundle's; single deliverable: at most this many).")
@click.option("--turns-per-day", type=click.IntRange(1), help="Agent turns per day (default: the bundle's).")
@click.option("--deliverable", metavar="ID",
              help="Run only this deliverable of each task holding it: its briefing alone, until submitted.")
@click.option("--out", type=click.Path(path_type=Path), help="Results folder (default bench-results/<bundle>-<agent>).")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def run(bundle, agent, tasks, days, turns_per_day, deliverable, out, llm_base_url):
    """Boot each task's computer, simulate (a single-deliverable task: until it is submitted), judge; write
    results.json and a leaderboard row."""
    from agent_harness.bench.results import HEADER, row
    from agent_harness.bench.runner import run_bundle

    stem = bundle.name.split(".")[0]
    out = out or Path("bench-results") / f"{stem}-{agent.replace(':', '-').replace('/', '-')}"
    res = run_bundle(bundle, out, agent=agent, tasks=[t for t in (tasks or "").split(",") if t] or None,
                     days=days, llm_base_url=llm_base_url, deliverable=deliverable,
                     turns_per_day=turns_per_day, log=_log)
    click.echo(HEADER + row(res), nl=False)
    click.echo(f"results: {out / 'results.json'}", err=True)


@bench.command("leaderboard")
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def leaderboard_cmd(results):
    """Merge results.json files (or their folders) into one Markdown table."""
    from agent_harness.bench.results import leaderboard

    click.echo(leaderboard(list(results)), nl=False)


def register(main: click.Group) -> None:
    main.add_command(bench)
