"""CLI commands for judging and reporting (thin wrappers over agent_harness.judge / agent_harness.report)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from worldbuilder.errors import OutputDirError

RUN = click.Path(file_okay=False, path_type=Path)


def pct(points: float, total: float) -> str:
    return f"{points:g}/{total:g} ({points / total:.1%})" if total else f"{points:g}/0"


@click.command()
@click.argument("run", type=RUN)
@click.option("--judge", "judge_", default="offline", show_default=True, help="offline or openai:MODEL")
@click.option("--samples", type=click.IntRange(1, 20), default=1, show_default=True,
              help="LLM samples per free-text criterion (median taken, spread reported).")
@click.option("--day", type=click.IntRange(0), help="Judge the day-N snapshot (also of an unfinished run).")
@click.option("--all-days", is_flag=True, help="Judge every completed day: the score over days.")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def judge(run, judge_, samples, day, all_days, llm_base_url):
    """Score RUN's deliverables against their rubrics; write RUN/judgement.json."""
    from agent_harness.judge import judge_all_days, judge_run, read_judgement
    from agent_harness.runlog import RunDirError

    if (run / "judgement.json").is_file():
        try:
            read_judgement(run)
        except RunDirError as exc:
            click.echo(f"note: replacing it: {exc}", err=True)
    if all_days:
        if day is not None:
            raise click.UsageError("give --day or --all-days, not both")
        sod = judge_all_days(run, judge_, samples, base_url=llm_base_url)
        for d in sod.days:
            click.echo(f"day {d.day:>3}: {pct(d.points, d.judged_max)} judged, max {d.max:g}")
        click.echo(f"{run / 'score_over_days.json'}")
        return
    j = judge_run(run, judge_, samples, day=day, base_url=llm_base_url)
    for d in j.deliverables:
        click.echo(f"{d.id}  {pct(d.points, d.max)}  {d.title}")
    for f in j.fabrications:
        click.echo(f"fabrication: {f.deliverable} {f.file}: {f.label} {f.found} (expected {f.expected})"
                   + (f", -{f.points_lost:g} on {f.criterion}" if f.criterion else ""))
    unj = j.meta.get("unjudged", 0)
    click.echo(f"total (day {j.day}): {j.total.points:g} of {j.total.judged_max:g} judged points "
               f"(max {j.total.max:g}{f'; {unj} item(s) unjudged' if unj else ''})")


@click.command("judge-eval")
@click.option("--judge", "judge_", default="offline", show_default=True, help="offline or openai:MODEL")
@click.option("--samples", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--set", "eval_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Judge-evaluation set (default: tests/judge_eval of the source checkout).")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def judge_eval(judge_, samples, eval_dir, llm_base_url):
    """Agreement of a judge with the hand-made expected grades: accuracy, macro-F1, Krippendorff's alpha."""
    from agent_harness.judge.evalset import default_set, evaluate

    r = evaluate(eval_dir or default_set(), judge_, samples, base_url=llm_base_url)
    for line in r.lines():
        click.echo(line)




@click.command()
@click.argument("run", type=RUN)
@click.option("--writer", default="offline", show_default=True, help="offline or openai:MODEL")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def report(run, writer, llm_base_url):
    """Write RUN/report.md and a self-contained RUN/report.html (judging the run first if needed)."""
    from agent_harness.report import write_report

    md = write_report(run, writer, llm_base_url)
    click.echo(f"{md}\n{md.with_suffix('.html')}")


@click.command()
@click.argument("runs", nargs=-1, required=True, type=RUN)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one row per run and per deliverable).")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), default=Path("scores.png"),
              show_default=True, help="Histogram PNG (per computer, per deliverable).")
def scores(runs, as_json, as_csv, plot):
    """Score distributions across judged RUNS (the paper's Fig. 6)."""
    from agent_harness.report import scores as sc

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    rows = sc.collect(list(runs))
    png = sc.histogram_png(rows)
    tmp = plot.with_name(plot.name + ".tmp")
    try:
        tmp.write_bytes(png)
        tmp.replace(plot)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OutputDirError(f"cannot write --plot {plot}: {exc.strerror or exc}") from exc
    click.echo(sc.as_json(rows) if as_json else sc.as_csv(rows).rstrip("\n") if as_csv else sc.as_text(rows))
    if not (as_json or as_csv):
        click.echo(f"histogram: {plot}")


def register(main: click.Group) -> None:
    for cmd in (judge, judge_eval, report, scores):
        main.add_command(cmd)
