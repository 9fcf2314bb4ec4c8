"""Generation speed: median time per standard computer (plan + render), per stage, and a parallel batch.

Usage: python benchmarks/generate_bench.py [--n 7] [--batch 20] [--procs 2] [--size standard]
                                           [--personas sample|bench] [--stages] [--before GITREF]

``--personas bench`` times the occupations written for this benchmark (``BENCH_PERSONAS``: none is a
built-in persona nor a fidelity test persona), ``sample`` the sampled built-in ones. ``--stages``
prints the median CPU seconds of each stage (profile, world, tree, content, spec.json, each file
type's renderer, manifest). CPU time (``time.process_time``) is printed next to wall time because on
a shared machine wall time measures the neighbours. ``--before GITREF`` first runs the same benchmark on
the ``worldbuilder`` package as of GITREF (``git archive`` into a temporary directory, put first on
PYTHONPATH), so before and after figures come from one run. Target: <= 5 s per standard computer per core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from worldbuilder import api
from worldbuilder.personas import sample_personas

BENCH_PERSONAS = (
    "Veterinary technician at a rural mixed-animal clinic who manages the surgery schedule and pharmacy stock",
    "Commercial real estate appraiser in Columbus who writes valuation reports for lenders",
    "High school history teacher in Leeds who runs the debate society",
    "Civil engineer designing stormwater drainage for a county public works department",
    "Freelance translator of legal contracts from Spanish to English based in Valencia",
    "Operations manager at a regional logistics warehouse tracking inbound freight and staffing",
)


def one(args: tuple[str, int, str, str]) -> tuple[float, float, int, float, float]:
    """(plan wall, render wall, files, plan cpu, render cpu) of one computer."""
    persona, seed, size, root = args
    t0, c0 = time.perf_counter(), time.process_time()
    spec = api.plan(persona, seed=seed, size=size)
    t1, c1 = time.perf_counter(), time.process_time()
    api.render(spec, Path(root) / f"c{seed}")
    t2, c2 = time.perf_counter(), time.process_time()
    return t1 - t0, t2 - t1, len(spec.files), c1 - c0, c2 - c1


class StageClock:
    """Wraps the pipeline's stage functions and the renderers to sum CPU seconds per stage."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()
        self._depth = 0

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **k: Any) -> Any:
            if self._depth:  # nested (zip members, attachments): counted by the outer call
                return fn(*a, **k)
            self._depth += 1
            c0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                self.cpu[name] += time.process_time() - c0
                self._depth -= 1
        return timed

    def install(self) -> None:
        from worldbuilder import api as api_mod
        from worldbuilder import computer_dir, spec
        from worldbuilder.generate import template
        from worldbuilder.render import RENDERERS

        gen = template.TemplateGenerator
        for stage in ("profile", "world", "tree", "contents"):
            setattr(gen, stage, self.wrap(stage, getattr(gen, stage)))
        spec.ComputerSpec.save = self.wrap("spec.json", spec.ComputerSpec.save)
        api_mod.manifest = self.wrap("manifest", computer_dir.manifest)
        for t, fn in list(RENDERERS.items()):
            RENDERERS[t] = self.wrap(f"render:{t}", fn)


def print_stages(per: list[Counter[str]]) -> None:
    names = sorted({k for c in per for k in c}, key=lambda k: -statistics.median(c[k] for c in per))
    print("stage            median cpu s   (max)")
    for k in names:
        vals = [c[k] for c in per]
        if max(vals) >= 0.005:
            print(f"  {k:14s} {statistics.median(vals):8.3f}   ({max(vals):.3f})")


def without_before(argv: list[str]) -> list[str]:
    """``argv`` without its ``--before REF`` / ``--before=REF`` (the child run must not recurse)."""
    out, skip = [], False
    for x in argv:
        if skip:
            skip = False
        elif x == "--before":
            skip = True
        elif not x.startswith("--before="):
            out.append(x)
    return out


def run_before(ref: str, args: list[str]) -> None:
    """Run this script with ``worldbuilder`` as of ``ref`` first on the import path."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(root), "archive", ref, "worldbuilder"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        env = {**os.environ, "PYTHONPATH": tmp + os.pathsep + os.environ.get("PYTHONPATH", "")}
        print(f"== before ({ref})", flush=True)
        subprocess.run([sys.executable, __file__, *args], env=env, check=True, cwd=tmp)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=7, help="computers timed one at a time")
    ap.add_argument("--batch", type=int, default=20, help="computers in the parallel batch (0: none)")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--size", default="standard")
    ap.add_argument("--personas", choices=("sample", "bench"), default="sample")
    ap.add_argument("--stages", action="store_true", help="median CPU seconds per stage and file type")
    ap.add_argument("--before", metavar="GITREF", help="first run the benchmark on worldbuilder/ as of GITREF")
    a = ap.parse_args()
    if a.before:
        run_before(a.before, without_before(sys.argv[1:]))
        print("== after (working tree)", flush=True)
    if a.personas == "bench":
        personas = [BENCH_PERSONAS[i % len(BENCH_PERSONAS)] for i in range(max(a.n, a.batch))]
    else:
        personas = sample_personas(max(a.n, a.batch), seed=11)
    clock = StageClock()
    if a.stages:
        clock.install()
    runs, per = [], []
    with tempfile.TemporaryDirectory() as root:
        one((personas[0], 999, a.size, root))  # warm imports
        for i in range(a.n):
            clock.cpu.clear()
            runs.append(one((personas[i], i, a.size, root)))
            per.append(Counter(clock.cpu))
    med = statistics.median
    tot = [r[0] + r[1] for r in runs]
    cpu = [r[3] + r[4] for r in runs]
    print(f"size={a.size}  personas={a.personas}  n={a.n}  files/computer median={med(r[2] for r in runs):.0f}")
    print(f"plan    median {med(r[0] for r in runs):.2f} s wall, {med(r[3] for r in runs):.2f} s cpu")
    print(f"render  median {med(r[1] for r in runs):.2f} s wall, {med(r[4] for r in runs):.2f} s cpu")
    print(f"total   median {med(tot):.2f} s wall (min {min(tot):.2f}, max {max(tot):.2f}), "
          f"{med(cpu):.2f} s cpu (min {min(cpu):.2f}, max {max(cpu):.2f}) per computer, 1 core")
    if a.stages:
        print_stages(per)
    if a.batch <= 0:
        return
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
