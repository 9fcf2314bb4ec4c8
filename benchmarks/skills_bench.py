"""Skills benchmark: seconds to mine skills from 1, 4 and 16 judged runs (offline miner), compared with
collecting the evidence alone and with de-duplicating by name only (no word-set similarity).

    python benchmarks/skills_bench.py [--repeat 3] [--run RUN_DIR]

Builds a small computer from the first built-in persona and runs the weakened scripted agent for 2 days on
the local runtime (no Docker), judged, unless --run names a judged run; copies of that run stand in for more
runs. Prints medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def make_run(root: Path) -> Path:
    from agent_harness.judge import judge_run
    from agent_harness.runs import SimOptions, new_run
    from worldbuilder.api import generate
    from worldbuilder.personas import load_personas

    generate(load_personas()[0], root / "computer", seed=0, size="small")
    new_run(root / "computer", root / "run", SimOptions(days=2, turns_per_day=60, runtime="local",
                                                        agent="offline-weak")).run()
    judge_run(root / "run")
    return root / "run"


def median(fn, repeat: int) -> float:  # noqa: ANN001
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--run", type=Path)
    a = ap.parse_args()
    from agent_harness.skills import mine
    from agent_harness.skills.evidence import collect

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run = a.run or make_run(root)
        for n in (1, 4, 16):
            runs = [run]
            for i in range(1, n):
                dst = root / f"copy{i}"
                if not dst.exists():
                    shutil.copytree(run, dst, ignore=shutil.ignore_patterns("local"))
                runs.append(dst)
            full = median(lambda runs=runs: mine.mine_skills(runs, root / "out"), a.repeat)
            ev = median(lambda runs=runs: collect(runs), a.repeat)
            orig = mine.similar
            mine.similar = lambda x, y: x.name == y.name  # the alternative: names only
            try:
                by_name = median(lambda runs=runs: mine.mine_skills(runs, root / "out2"), a.repeat)
            finally:
                mine.similar = orig
            print(f"{n:>3} run(s): mine {full * 1000:7.1f} ms (evidence alone {ev * 1000:7.1f} ms; "
                  f"name-only dedup {by_name * 1000:7.1f} ms)")


if __name__ == "__main__":
    main()
