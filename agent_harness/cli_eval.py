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
@click.option("--fleet", is_flag=True, help="Run simulations, judging and mining as fleet jobs (OUT/fleet/*: "
              "resumable manifests, in parallel) instead of one after another in this process.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Fleet engine (with --fleet): local process pool or a Ray cluster.")
@click.option("--workers", type=click.IntRange(1), help="Fleet job-stages in flight (default: CPU count).")
@click.option("--address", help="Ray cluster address (with --fleet --engine ray).")
def paired(train_computers, test_computers, agent, out, days, turns_per_day, runtime, size, seed, tie_margin, miner,
           max_skills, skills_path, llm_base_url, fleet, engine, workers, address):
    """Train on N computers, mine skills, compare with/without skills on M test computers (resumable)."""
    from agent_harness.eval.paired import Paired, PairedConfig, table

    ctx = click.get_current_context()
    given = [f"--{n}" for n in ("engine", "workers", "address")
             if ctx.get_parameter_source(n) is not click.core.ParameterSource.DEFAULT]
    if given and not fleet:
        raise click.UsageError(f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --fleet")
    cfg = PairedConfig(train=train_computers, test=test_computers, agent=agent, days=days, turns_per_day=turns_per_day,
                       runtime=runtime, size=size, seed=seed, tie_margin=tie_margin, miner=miner, max_skills=max_skills,
                       skills_path=skills_path, llm_base_url=llm_base_url)
    echo = lambda s: click.echo(s, err=True)  # noqa: E731
    p = Paired(out, cfg, echo=echo)
    if fleet:
        from agent_harness.eval.paired_fleet import run_on_fleet

        doc = run_on_fleet(p, engine=engine, workers=workers, address=address, echo=echo)
    else:
        doc = p.run()
    click.echo(table(doc))
    click.echo(f"{p.out / 'paired.json'}\n{doc['plot']}")


def register(main: click.Group) -> None:
    main.add_command(eval_group)
