"""Generation speed: median time per standard computer (plan + render), and 20 computers on 2 processes.

Usage: python benchmarks/generate_bench.py [--n 7] [--batch 20] [--procs 2] [--size standard]
Prints medians (and min/max) so figures can be quoted in the README. Target: <= 5 s per standard
computer per core.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from worldbuilder import api
from worldbuilder.personas import sample_personas


def one(args: tuple[str, int, str, str]) -> tuple[float, float, int]:
    persona, seed, size, root = args
    t0 = time.perf_counter()
    spec = api.plan(persona, seed=seed, size=size)
    t1 = time.perf_counter()
    api.render(spec, Path(root) / f"c{seed}")
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, len(spec.files)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=7, help="computers timed one at a time")
    ap.add_argument("--batch", type=int, default=20, help="computers in the parallel batch")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--size", default="standard")
    a = ap.parse_args()
    personas = sample_personas(max(a.n, a.batch), seed=11)
    with tempfile.TemporaryDirectory() as root:
        one((personas[0], 999, a.size, root))  # warm imports
        runs = [one((personas[i], i, a.size, root)) for i in range(a.n)]
    plan = [r[0] for r in runs]
    rend = [r[1] for r in runs]
    tot = [r[0] + r[1] for r in runs]
    files = [r[2] for r in runs]
    print(f"size={a.size}  n={a.n}  files/computer median={statistics.median(files):.0f}")
    print(f"plan    median {statistics.median(plan):.2f} s")
    print(f"render  median {statistics.median(rend):.2f} s")
    print(f"total   median {statistics.median(tot):.2f} s  (min {min(tot):.2f}, max {max(tot):.2f}) per computer, 1 core")
    with tempfile.TemporaryDirectory() as root:
        jobs = [(personas[i], 100 + i, a.size, root) for i in range(a.batch)]
        t0 = time.perf_counter()
        with ProcessPoolExecutor(a.procs) as pool:
            list(pool.map(one, jobs))
        wall = time.perf_counter() - t0
    print(f"batch   {a.batch} computers on {a.procs} processes: {wall:.1f} s wall, "
          f"{wall / a.batch:.2f} s/computer, {wall * a.procs / a.batch:.2f} s/computer/core")


if __name__ == "__main__":
    main()
