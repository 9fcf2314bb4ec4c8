"""CLI: ``eval paired`` (thin wrapper over agent_harness.eval.paired)."""

from __future__ import annotations

from pathlib import Path

import click


def _ints(ctx, param, value: str) -> list[int]:  # noqa: ANN001
    try:
        return [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers (got {value!r})") from None


@click.group("eval")
def eval_group() -> None:
    """Evaluations over many runs."""


@eval_group.command("paired")
@click.option("--train-computers", required=True, callback=_ints, help="N values, e.g. 1,3: one table row each.")
@click.option("--test-computers", type=int, required=True, help="M test computers (pairs per row).")
@click.option("--agent", default="offline-weak", show_default=True, help="offline, offline-weak or openai:MODEL")
@click.option("--out", type=click.Path(path_type=Path), default=Path("paired"), show_default=True)
@click.option("--days", type=click.IntRange(1, 366), default=2, show_default=True)
@click.option("--turns-per-day", type=click.IntRange(1), default=60, show_default=True)
@click.option("--runtime", type=click.Choice(["docker", "local"]), default="local", show_default=True,
              help="local = directory computers (NO isolation, fast); docker for real isolation.")
@click.option("--size", default="small", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--tie-margin", type=float, default=1.0, show_default=True, help="Points within which a pair ties.")
@click.option("--miner", default="offline", show_default=True)
@click.option("--max-skills", type=int, default=8, show_default=True)
@click.option("--skills-path", default=".skills", show_default=True)
@click.option("--llm-base-url", envvar="WORLDBUILDER_LLM_BASE_URL")
def paired(train_computers, test_computers, agent, out, days, turns_per_day, runtime, size, seed, tie_margin, miner,
           max_skills, skills_path, llm_base_url):
    """Train on N computers, mine skills, compare with/without skills on M test computers (resumable)."""
    from agent_harness.eval.paired import Paired, PairedConfig, table

    cfg = PairedConfig(train=train_computers, test=test_computers, agent=agent, days=days, turns_per_day=turns_per_day,
                       runtime=runtime, size=size, seed=seed, tie_margin=tie_margin, miner=miner, max_skills=max_skills,
                       skills_path=skills_path, llm_base_url=llm_base_url)
    doc = Paired(out, cfg, echo=lambda s: click.echo(s, err=True)).run()
    click.echo(table(doc))
    click.echo(f"{out / 'paired.json'}\n{doc['plot']}")


def register(main: click.Group) -> None:
    main.add_command(eval_group)
