"""Objective quality over the built-in personas, and reference solver vs baseline on 5-day runs.

    python benchmarks/objectives_quality.py [--personas 20] [--runs 10] [--days 5] [--work DIR]

Generates small computers of personas spread evenly over the built-in list (cached in --work), writes offline objectives for a 20-day month and prints:
distinct titles, stale-project deliverables, derived-work share, overlaps and dependencies per set, items
per deliverable and points per set. Then runs the scripted reference solver and the scripted baseline
(both offline scripted agents, not models) for --days days on the local runtime (no Docker) on the first
--runs computers, judges them offline and prints the share of judged points each scores.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def computers(work: Path, n: int) -> list[Path]:
    from worldbuilder.api import generate
    from worldbuilder.personas import load_personas

    everyone = load_personas()
    step = max(1, len(everyone) // n)  # spread over the built-in personas (many occupations)
    out = []
    for i, persona in enumerate(everyone[::step][:n]):
        root = work / f"c{i:02d}"
        if not (root / "spec.json").is_file():
            shutil.rmtree(root, ignore_errors=True)
            generate(persona, root, seed=0, size="small")
        out.append(root)
    return out


def objective_figures(comps: list[Path]) -> None:
    from agent_harness.objectives import write_objectives
    from agent_harness.objectives_metrics import set_metrics
    from worldbuilder.api import load_computer

    rows, titles = [], []
    for c in comps:
        obj = write_objectives(c, days=20, out=c / "objectives-20.json")
        spec, _ = load_computer(c)
        m = set_metrics(obj, spec)
        rows.append(m)
        titles += m["titles"]
        print(f"  {c.name} {spec.profile.occupation:26} pts {m['points']:3d} derived {m['derived_share']:.0%} "
              f"overlaps {m['overlaps']} deps {m['dependencies']} items {min(m['items'])}-{max(m['items'])} "
              f"windows {m['sizes']} stale {len(m['stale'])}")
    distinct = len(set(titles)) / len(titles)
    print(f"objective sets: {len(rows)}; titles distinct: {distinct:.1%} ({len(set(titles))}/{len(titles)})")
    print(f"deliverables about projects ended before the start: {sum(len(r['stale']) for r in rows)}")
    shares = [r["derived_share"] for r in rows]
    print(f"derived-work share of points: min {min(shares):.1%}, median {statistics.median(shares):.1%}")
    print(f"sets with >= 1 overlap: {sum(r['overlaps'] >= 1 for r in rows)}/{len(rows)}; "
          f"with >= 1 dependency: {sum(r['dependencies'] >= 1 for r in rows)}/{len(rows)}")
    items = [i for r in rows for i in r["items"]]
    print(f"items per deliverable: {min(items)}-{max(items)}; points per set: "
          f"{min(r['points'] for r in rows)}-{max(r['points'] for r in rows)}")


def score(comp: Path, agent: str, days: int, out: Path) -> float:
    from agent_harness.judge import judge_run
    from agent_harness.objectives import write_objectives
    from agent_harness.runs import SimOptions, new_run

    write_objectives(comp, days=days)
    new_run(comp, out, SimOptions(days=days, turns_per_day=80, runtime="local", agent=agent)).run()
    j = judge_run(out)
    return j.total.points / j.total.judged_max


def run_figures(comps: list[Path], days: int, tmp: Path) -> None:
    res: dict[str, list[float]] = {"reference": [], "offline": []}
    t0 = time.monotonic()
    for c in comps:
        for agent in res:
            res[agent].append(score(c, agent, days, tmp / f"{c.name}-{agent}"))
        print(f"  {c.name}: reference {res['reference'][-1]:.1%}  baseline {res['offline'][-1]:.1%}")
    for agent, label in (("reference", "reference solver (scripted)"), ("offline", "baseline (scripted)")):
        xs = res[agent]
        print(f"{label}: mean {statistics.fmean(xs):.1%}, min {min(xs):.1%}, max {max(xs):.1%} "
              f"over {len(xs)} computers x {days}-day local runs")
    print(f"runs took {time.monotonic() - t0:.0f}s", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--personas", type=int, default=20)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "wb-objectives-bench")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    comps = computers(args.work, max(args.personas, args.runs))
    objective_figures(comps[: args.personas])
    if args.runs:
        with tempfile.TemporaryDirectory() as tmp:
            run_figures(comps[: args.runs], args.days, Path(tmp))


if __name__ == "__main__":
    main()
