"""``eval paired`` in-process against ``--fleet`` (local engine, K workers): wall seconds, same results?

    python benchmarks/paired_fleet_bench.py [--train 1,2] [--test 2] [--days 1] [--workers 1,2]

Each variant runs the CLI from scratch in its own temporary folder (weakened scripted agent, local runtime,
small computers) and prints its wall time, its speed-up over in-process and whether its table, per-pair
scores and plot equal the in-process ones. On a machine with fewer free cores than workers, the fleet's
gain is bounded by the cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(out: Path, args: list[str]) -> tuple[float, list[str]]:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "worldbuilder.cli", "eval", "paired", *args, "--out", str(out)],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"error: {r.stderr.strip().splitlines()[-1]}")
    return time.monotonic() - t0, r.stdout.splitlines()


def result(out: Path, table: list[str]) -> tuple:
    doc = json.loads((out / "paired.json").read_text())
    return (table[: 1 + len(doc["rows"])], [t["scores"] for t in doc["tests"]], (out / "paired.png").read_bytes())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="1,2")
    ap.add_argument("--test", type=int, default=2)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--workers", default="1,2")
    a = ap.parse_args()
    base = ["--train-computers", a.train, "--test-computers", str(a.test), "--days", str(a.days),
            "--agent", "offline-weak", "--runtime", "local"]
    variants = [("in-process", [])] + [(f"fleet, {k} worker(s)", ["--fleet", "--workers", k])
                                       for k in a.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="paired-bench-") as tmp:
        print(f"eval paired --train-computers {a.train} --test-computers {a.test} --days {a.days}")
        ref, ref_s = None, None
        for i, (name, extra) in enumerate(variants):
            out = Path(tmp) / f"v{i}"
            secs, table = run(out, base + extra)
            res = result(out, table)
            ref, ref_s = (res, secs) if ref is None else (ref, ref_s)
            print(f"  {name:<20} {secs:7.1f} s   x{ref_s / secs:4.2f}   same results: {res == ref}")


if __name__ == "__main__":
    main()
