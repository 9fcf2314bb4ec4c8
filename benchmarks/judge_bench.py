"""Judging benchmark: seconds to judge a 20-day offline run (target: <= 10 s), compared with judging every
day (--all-days), the report and loading alone.

    python benchmarks/judge_bench.py [--days 20] [--repeat 3] [--run RUN_DIR]

Builds a small computer from the first built-in persona and runs the offline agent on the local runtime
(no Docker) unless --run names an existing run. Prints medians; the first judging of a process (imports,
source extraction) is reported separately as "cold".
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_run(root: Path, days: int) -> Path:
    from agent_harness.runs import SimOptions, new_run
    from worldbuilder.api import generate
    from worldbuilder.personas import load_personas

    generate(load_personas()[0], root / "computer", seed=0, size="small")
    t0 = time.monotonic()
    s = new_run(root / "computer", root / "run", SimOptions(days=days, turns_per_day=60, runtime="local")).run()
    print(f"simulated {days} days offline (local runtime): {s.turns} turns in {time.monotonic() - t0:.1f}s",
          file=sys.stderr)
    return root / "run"


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--run", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or make_run(Path(tmp), args.days)
        wb = [sys.executable, "-m", "worldbuilder.cli"]
        start = [timed([*wb, "--help"]) for _ in range(args.repeat)]
        cli = [timed([*wb, "judge", str(run)]) for _ in range(args.repeat)]
        from agent_harness.judge import judge_all_days, judge_run
        from agent_harness.judge.api import judge_input
        from agent_harness.judge.rundata import load_run_input

        t0 = time.perf_counter()
        j = judge_run(run)
        cold = time.perf_counter() - t0
        warm, load = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            inp, _ = load_run_input(run)
            load.append(time.perf_counter() - t0)
            judge_input(inp)
            warm.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sod = judge_all_days(run)
        all_days = time.perf_counter() - t0
        rep = [timed([*wb, "report", str(run)]) for _ in range(args.repeat)]
        items = sum(len(d.items) for d in j.deliverables)
        print(f"run: {j.day} days, {len(j.deliverables)} deliverables, {items} rubric items, "
              f"{j.total.points:g}/{j.total.judged_max:g} points")
        print(f"judge CLI (process start included), median of {args.repeat}: {statistics.median(cli):.2f}s "
              f"(target <= 10 s); CLI start-up alone (--help): {statistics.median(start):.2f}s")
        print(f"judge_run in-process: cold {cold:.2f}s, warm median {statistics.median(warm):.3f}s "
              f"(of which loading the run {statistics.median(load):.3f}s)")
        print(f"judge --all-days ({len(sod.days)} days): {all_days:.2f}s ({all_days / len(sod.days):.3f}s/day)")
        print(f"report CLI (plots included), median: {statistics.median(rep):.2f}s")


if __name__ == "__main__":
    main()
