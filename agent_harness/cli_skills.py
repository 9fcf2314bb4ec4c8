"""CLI: ``skills mine``, ``skills validate`` (thin wrappers over agent_harness.skills)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def skills() -> None:
    """Skills distilled from judged runs (Agent Skills folders)."""


@skills.command("mine")
@click.argument("runs", metavar="RUNS...", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Skills directory (replaced).")
@click.option("--miner", default="offline", show_default=True, help="offline or openai:MODEL")
@click.option("--max-skills", type=int, default=8, show_default=True, help="Cap on the number of skills.")
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def mine(runs, out, miner, max_skills, llm_base_url):
    """Distil judged RUNS into skills in --out."""
    from agent_harness.skills.mine import mine_skills

    got = mine_skills(list(runs), out, miner=miner, cap=max_skills, base_url=llm_base_url)
    for s in got:
        click.echo(f"{out / s.name}\t{len(s.provenance.get('runs', []))} run(s)\t{s.description[:70]}")
    click.echo(f"{out}: {len(got)} skill(s) from {len(runs)} run(s)")


@skills.command("validate")
@click.argument("directory", type=click.Path(path_type=Path))
def validate(directory):
    """Check every skill folder in DIRECTORY against the Agent Skills format."""
    from agent_harness.skills.format import load_skills

    got = load_skills(directory)
    click.echo(f"{directory}: {len(got)} valid skill(s): {', '.join(s.name for s in got)}")


def register(main: click.Group) -> None:
    main.add_command(skills)
