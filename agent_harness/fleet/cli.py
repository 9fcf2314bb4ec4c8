"""``worldbuilder fleet run|status|report`` and ``worldbuilder gc`` (thin over the fleet package)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from worldbuilder.fleet_stages import STAGES


@click.group("fleet")
def fleet() -> None:
    """Run many computers through every stage, resumably (local process pool or Ray)."""


@fleet.command("run")
@click.option("--out", "fleet_dir", required=True, type=click.Path(path_type=Path), help="Fleet directory.")
@click.option("--personas", "personas_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File with one persona per line.")
@click.option("--sample", type=click.IntRange(1, 100000), help="Sample N built-in personas.")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed; job i uses seed+i.")
@click.option("--stages", default=",".join(STAGES[:4]), show_default=True, help=f"Comma list of {','.join(STAGES)}.")
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True)
@click.option("--turns-per-day", type=click.IntRange(1), default=250, show_default=True)
@click.option("--agent", default="offline", show_default=True)
@click.option("--collaborators", default="offline", show_default=True)
@click.option("--size", type=click.Choice(["small", "standard", "large"]), default="standard", show_default=True)
@click.option("--engine", type=click.Choice(["local", "ray"]), default=None, help="Default: local (or the fleet's).")
@click.option("--address", help="Ray cluster address (ray engine).")
@click.option("--workers", type=click.IntRange(1), help="Job-stages in flight (default: CPU count).")
@click.option("--max-attempts", type=click.IntRange(1, 20), default=3, show_default=True)
def fleet_run(fleet_dir, personas_file, sample, seed, stages, days, turns_per_day, agent, collaborators, size,
              engine, address, workers, max_attempts):
    """Create FLEET_DIR (or continue it where it stopped) and run every job through its stages."""
    from agent_harness.fleet import driver, manifest

    if not (fleet_dir / manifest.CONFIG_FILE).exists():
        if bool(personas_file) == bool(sample):
            raise click.UsageError("give exactly one of --personas FILE or --sample N for a new fleet")
        personas = driver.read_personas(personas_file) if personas_file else driver.sampled(sample, seed)
        source = f"file:{personas_file}" if personas_file else f"sample:{sample}:{seed}"
        driver.create_fleet(fleet_dir, personas, source, [s.strip() for s in stages.split(",") if s.strip()],
                            seed=seed, engine=engine or "local", size=size, days=days, turns_per_day=turns_per_day,
                            agent=agent, collaborators=collaborators, max_attempts=max_attempts)
    elif personas_file or sample:
        click.echo(f"note: {fleet_dir} exists; continuing it (its own personas and stages)", err=True)
    cfg = manifest.load_config(fleet_dir)
    total = len(cfg.jobs) * len(cfg.stages)
    with _bar(total, fleet_dir) as on_record:
        res = driver.run_fleet(fleet_dir, engine=engine, workers=workers, address=address, on_record=on_record)
    click.echo(f"{fleet_dir}: {res.done} stages done this run, {res.failed} retried, "
               f"{len(res.quarantined)} job(s) quarantined, {res.seconds:.1f}s")


class _bar:
    """A rich progress bar over job-stages fed by manifest records (plain when stderr is no TTY)."""

    def __init__(self, total: int, fleet_dir: Path) -> None:
        self.total, self.dir = total, fleet_dir

    def __enter__(self):
        from agent_harness.fleet import manifest
        from agent_harness.fleet.report import counts

        cfg = manifest.load_config(self.dir)
        c = counts(cfg, manifest.latest(self.dir))
        self.start = sum(v["done"] + v["quarantined"] for v in c.values())
        if not sys.stderr.isatty():
            self.prog = None
            return lambda rec: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # no refresh thread: the local engine forks its workers, and forking a threaded process is unsafe
        self.prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True, auto_refresh=False)
        self.prog.__enter__()
        task = self.prog.add_task("job-stages", total=self.total, completed=self.start)

        def on_record(rec) -> None:
            if rec.state in ("done", "quarantined"):
                self.prog.update(task, advance=1, description=f"{rec.job} {rec.stage} {rec.state}")
                self.prog.refresh()

        return on_record

    def __exit__(self, *exc) -> None:
        if self.prog is not None:
            self.prog.__exit__(*exc)


@fleet.command("status")
@click.argument("fleet_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--watch", is_flag=True, help="Refresh every second until the fleet is finished (Ctrl-C stops).")
def fleet_status(fleet_dir, watch):
    """Counts per stage and a progress bar of the fleet in FLEET_DIR."""
    from rich.console import Console
    from rich.live import Live

    console = Console()
    if not watch:
        console.print(_status_view(fleet_dir)[0])
        return
    with Live(_status_view(fleet_dir)[0], console=console, refresh_per_second=2) as live:
        while True:
            view, finished = _status_view(fleet_dir)
            live.update(view)
            if finished:
                break
            time.sleep(1.0)


def _status_view(fleet_dir: Path):
    from rich.console import Group
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from agent_harness.fleet import manifest
    from agent_harness.fleet.report import STATES, counts

    cfg = manifest.load_config(fleet_dir)
    c = counts(cfg, manifest.latest(fleet_dir))
    table = Table(title=f"fleet {cfg.fleet_id} ({len(cfg.jobs)} jobs, engine {cfg.engine})")
    table.add_column("stage")
    for s in STATES:
        table.add_column(s, justify="right")
    for stage, row in c.items():
        table.add_row(stage, *(str(row[s]) for s in STATES))
    total = len(cfg.jobs) * len(cfg.stages)
    finished = sum(v["done"] + v["quarantined"] for v in c.values())
    bar = Progress(TextColumn("job-stages"), BarColumn(), MofNCompleteColumn())
    bar.add_task("all", total=total, completed=finished)
    return Group(table, bar.get_renderable()), finished >= total


@fleet.command("report")
@click.argument("fleet_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def fleet_report(fleet_dir):
    """Throughput per stage, failures by cause, scores and disk per computer; writes fleet_report.json."""
    from rich.console import Console
    from rich.table import Table

    from agent_harness.fleet.report import write_report

    rep, path = write_report(fleet_dir)
    console = Console(width=None if sys.stdout.isatty() else 150)
    t = Table(title="throughput per stage")
    for col in ("stage", "done", "median s", "mean s", "busy s", "wall s", "jobs/min", "nodes"):
        t.add_column(col, justify="left" if col in ("stage", "nodes") else "right")
    for stage, v in rep["throughput"].items():
        t.add_row(stage, str(v["done"]), f"{v['median_s']:.2f}", f"{v['mean_s']:.2f}", f"{v['busy_s']:.1f}",
                  f"{v['wall_s']:.1f}",
                  str(v["per_min"] or "-"), str(len(v["nodes"])))
    console.print(t)
    f = rep["failures"]
    causes = ", ".join(f"{k} {n}" for k, n in sorted(f["by_cause"].items())) or "none"
    console.print(f"failures by cause: {causes}; retried attempts {f['attempts_failed']}, "
                  f"quarantined jobs {f['quarantined']}, duplicated finished stages {rep['duplicated_done']}")
    s = Table(title="jobs")
    for col in ("job", "state", "score", "computer MB", "run MB", "layer MB", "persona / error"):
        s.add_column(col, no_wrap=True, overflow="ellipsis", max_width=44 if col.startswith("persona") else None)
    for j in rep["jobs"]:
        sc = j["score"]
        d = j["disk"]
        s.add_row(j["job"], j["state"], f"{sc['points']}/{sc['max']}" if sc else "-", f"{d['computer'] / 1e6:.1f}",
                  f"{d['run'] / 1e6:.1f}", f"{d['image_layer'] / 1e6:.1f}" if d["image_layer"] is not None else "-",
                  (j["error"] or j["persona"])[:70])
    console.print(s)
    click.echo(f"wrote {path}")


@click.command("gc")
@click.option("--fleet", "fleet_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Only this fleet's finished (or quarantined) jobs (default: any fleet's images).")
@click.option("--keep-days", type=click.FloatRange(0), default=7.0, show_default=True,
              help="Keep images created less than this many days ago.")
@click.option("--dry-run", is_flag=True, help="List what would be removed.")
def gc(fleet_dir, keep_days, dry_run):
    """Remove per-computer images and snapshots that fleets created (labels prove it), by policy."""
    from agent_harness.fleet.gc import collect

    res = collect(fleet_dir, keep_days=keep_days, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for tag in res.removed:
        click.echo(f"{verb} {tag}")
    click.echo(f"{verb} {len(res.removed)} image tag(s), {res.bytes / 1e6:.0f} MB unique; kept {res.kept} "
               f"(too recent, in use or not finished)")
    if res.failed:
        raise click.ClickException(f"could not remove: {', '.join(res.failed)}")


def register(main: click.Group) -> None:
    main.add_command(fleet)
    main.add_command(gc)
