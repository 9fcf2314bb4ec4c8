"""CLI: ``gdpval load``, ``gdpval run`` (thin wrappers over agent_harness.gdpval)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def gdpval() -> None:
    """Out-of-domain evaluation on GDPval-format tasks."""


@gdpval.command("load")
@click.argument("path")
def load(path):
    """Read and check a GDPval-format dataset (JSONL/parquet with files beside it, or hf://owner/name)."""
    from agent_harness.gdpval.dataset import load_dataset

    ds = load_dataset(path)
    for t in ds.tasks:
        req = sum(i.required for i in t.rubric_json)
        click.echo(f"{t.task_id}\t{t.occupation}\t{len(t.reference_files)} reference file(s)\t"
                   f"{len(t.rubric_json)} rubric items ({req} required), {t.total:g} points")
    click.echo(f"{ds.source}: {len(ds.tasks)} task(s)")


@gdpval.command("run")
@click.argument("dataset")
@click.option("--agent", default="offline", show_default=True, help="offline, offline-weak or openai:MODEL")
@click.option("--skills", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--skills-path", default=".skills", show_default=True)
@click.option("--tasks", type=int, help="Only the first N tasks.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("gdpval-results"), show_default=True)
@click.option("--turns", type=click.IntRange(1), default=60, show_default=True, help="Turn budget per task.")
@click.option("--max-wall", type=click.FloatRange(min=0, min_open=True), default=600.0, show_default=True, help="Seconds per task.")
@click.option("--runtime", type=click.Choice(["docker", "local"]), default="docker", show_default=True)
@click.option("--judge", default="offline", show_default=True, help="offline or openai:MODEL")
@click.option("--pairwise", is_flag=True, help="Also compare blind against the gold deliverables (2 trials).")
@click.option("--size", default="small", show_default=True, help="Size of the generated computers.")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def run(dataset, agent, skills, skills_path, tasks, out, turns, max_wall, runtime, judge, pairwise, size, llm_base_url):
    """Run an agent on each task of DATASET in a computer generated for its occupation; grade by rubric."""
    from agent_harness.gdpval.run import GDPvalOptions, prepare, table

    opts = GDPvalOptions(agent=agent, skills=skills, skills_path=skills_path, tasks=tasks, turns=turns,
                         max_wall=max_wall, runtime=runtime, judge=judge, pairwise=pairwise, size=size,
                         llm_base_url=llm_base_url)
    r = prepare(dataset, out, opts)
    r.echo = lambda s: click.echo(s, err=True)
    grades = r.run()
    click.echo(table(grades))
    click.echo(f"{out / 'results.json'}")


def register(main: click.Group) -> None:
    main.add_command(gdpval)
