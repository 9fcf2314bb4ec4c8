"""Windows D: data disk build time (target: <= 5 s for a standard computer), by stage and by disk size.

Usage: python benchmarks/windows_disk_bench.py [--runs 5] [--size standard] [--disk-gib 16 4]
Generates one standard computer with the Windows layout (offline, built-in persona), then builds its
D: qcow2 ``--runs`` times for each disk size and prints medians of the whole build and of each
stage (wimlib capture, mkntfs, wimlib apply, ntfssecaudit, sfdisk + extent copy, qemu-img convert).
The disk size matters because mkntfs writes a $LogFile of up to 64 MiB on volumes >= 12 GiB.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STAGES = {"wimlib-imagex capture": "capture", "mkntfs": "mkntfs", "wimlib-imagex apply": "apply",
          "setting security descriptors": "security", "qemu-img convert": "convert"}


def median_line(name: str, values: list[float]) -> str:
    return (f"{name:<28} median {statistics.median(values):6.2f}s  min {min(values):6.2f}s  "
            f"max {max(values):6.2f}s  (n={len(values)})")


def timed_runs(lay, tree: Path, root: Path, gib: int, runs: int) -> tuple[list[float], dict[str, list[float]]]:
    from worldbuilder.materialize.windows import data_disk

    stages: dict[str, list[float]] = defaultdict(list)
    real_run, real_gpt = data_disk._run, data_disk._write_gpt

    def run(cmd, what, timeout=600):
        t = time.perf_counter()
        real_run(cmd, what, timeout)
        stages[STAGES.get(what, what)].append(time.perf_counter() - t)

    def gpt(*a):
        t = time.perf_counter()
        real_gpt(*a)
        stages["gpt + extent copy"].append(time.perf_counter() - t)

    data_disk._run, data_disk._write_gpt = run, gpt
    totals = []
    try:
        for i in range(runs):
            out = root / f"d{gib}-{i}.qcow2"
            t = time.perf_counter()
            data_disk.build_data_disk(lay, tree, out, size=gib << 30, computer_id=lay.computer_id)
            totals.append(time.perf_counter() - t)
            out.unlink()
    finally:
        data_disk._run, data_disk._write_gpt = real_run, real_gpt
    return totals, stages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="standard")
    ap.add_argument("--disk-gib", type=int, nargs="+", default=[16, 4])
    a = ap.parse_args()
    from tests.windows_support import generate_windows_computer
    from worldbuilder.materialize.windows.layout import windows_layout
    from worldbuilder.spec import ComputerSpec

    with tempfile.TemporaryDirectory(prefix="wb-winbench-") as tmp:
        root = Path(tmp)
        comp = generate_windows_computer(root / "computer", size=a.size)
        spec = ComputerSpec.load(comp)
        tree = comp / "tree"
        files = [p for p in tree.rglob("*") if p.is_file()]
        mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"computer {spec.id} ({a.size}, user {spec.layout.profile_root.split('/')[-1]}): "
              f"{len(files)} files, {mb:.1f} MB")
        lay = windows_layout(spec)
        for gib in a.disk_gib:
            totals, stages = timed_runs(lay, tree, root, gib, a.runs)
            print(f"\nD: disk of {gib} GiB")
            print(median_line("total build", totals))
            for name, values in stages.items():
                print(median_line(f"  {name}", values))
            other = [t - sum(v[i] for v in stages.values()) for i, t in enumerate(totals)]
            print(median_line("  other (name walk, cleanup)", other))
            verdict = "OK" if statistics.median(totals) <= 5.0 else "OVER"
            print(f"target <= 5 s: {verdict}")
        ver = subprocess.run(["wimlib-imagex", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        print(f"\n{ver}")


if __name__ == "__main__":
    main()
