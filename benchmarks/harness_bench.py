"""Harness benchmark: overhead per turn (model and computer time excluded), snapshot time per day, and
simulated days per hour with the offline agent in Docker.

    python benchmarks/harness_bench.py [--days 5] [--turns-per-day 40] [--runtime docker|local] [--repeat 3]

Prints medians. Needs Docker for the docker runtime (scripts/ensure-engine.sh docker build).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agent_harness import runs
from agent_harness.housekeeping import remove_run
from agent_harness.runlog import RunDir

PERSONA = "a senior financial advisor at a wealth management firm in Denver"


def one_run(computer: Path, root: Path, args) -> dict[str, float]:
    t0 = time.monotonic()
    sim = runs.new_run(computer, root, runs.SimOptions(days=args.days, turns_per_day=args.turns_per_day,
                                                       runtime=args.runtime))
    s = sim.run()
    wall = time.monotonic() - t0
    idx = RunDir(root).snapshots().snapshots
    snaps = [x.seconds for x in idx if x.day > 0]
    turn_ms = sum(t.duration_ms for t in RunDir(root).turns(rolled_back=False) if t.actor == "agent")
    remove_run(root)  # the run directory and its snapshot images
    return {"overhead_ms_per_turn": 1000 * sim.overhead_s / max(1, sim.tool_turns),
            "turn_ms": turn_ms / max(1, s.turns),
            "snapshot_s_per_day": statistics.median(snaps) if snaps else 0.0,
            "days_per_hour": args.days / wall * 3600, "turns": s.turns, "wall_s": wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--turns-per-day", type=int, default=40)
    ap.add_argument("--runtime", choices=["docker", "local"], default="docker")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    wb = str(Path(sys.executable).parent / "worldbuilder")
    with tempfile.TemporaryDirectory() as tmp:
        computer = Path(tmp) / "computer"
        subprocess.run([wb, "generate", "--persona", PERSONA, "--out", str(computer)], check=True, capture_output=True)
        if args.runtime == "docker":
            subprocess.run([wb, "image", "build", str(computer)], check=True, capture_output=True)
        results = [one_run(computer, Path(tmp) / f"run{i}", args) for i in range(args.repeat)]
    print(f"harness bench: runtime={args.runtime} days={args.days} turns/day<={args.turns_per_day} "
          f"repeat={args.repeat} (medians)")
    for key in ("overhead_ms_per_turn", "turn_ms", "snapshot_s_per_day", "days_per_hour", "turns", "wall_s"):
        print(f"  {key:22} {statistics.median(r[key] for r in results):10.2f}")


if __name__ == "__main__":
    main()
