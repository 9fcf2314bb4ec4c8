#!/usr/bin/env python3
"""Fleet throughput on the ``local`` (or ``ray``) engine: prints per-stage throughput and wall per computer.

* ``--n 100 --stages generate,image``: generate + image for N computers (target ≤ 2.5 s per computer
  wall on 2 cores; the 1,000-computer stretch run is ``--n 1000``, target ≤ 40 min).
* ``--n 20 --stages generate,image,objectives,simulate,judge --days 1``: the full pipeline (judge only
  when agent_harness.judge is importable).

Usage: python benchmarks/fleet_bench.py [--n 20] [--stages ...] [--size standard] [--workers 2]
       [--engine local|ray] [--address RAY_ADDRESS] [--keep DIR] [--drop]

A standard computer takes ~100 MB (tree, spec, image layer): ``--n 1000`` needs ``--drop`` (each job's
tree and image are measured, then removed as soon as its last stage is done) unless ~100 GB are free.
Needs Docker for image/simulate. Images it built are removed at the end (unless --keep: then
``worldbuilder gc --fleet DIR --keep-days 0`` removes them).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class Dropper:
    """``on_record`` hook: once a job's last stage is done, measure its disk, then remove its tree and image.

    Runs in the driver's thread: a helper thread alive while the pool forks its workers could hand them a
    held lock (an import in progress) and hang them."""

    def __init__(self, fleet_dir: Path, last_stage: str) -> None:
        from agent_harness.fleet.gc import remove_images
        from agent_harness.fleet.report import _du

        self.fleet_dir, self.last, self.disk = fleet_dir, last_stage, []
        self.remove_images, self.du = remove_images, _du

    def __call__(self, rec) -> None:
        if rec.stage != self.last or rec.state != "done":
            return
        jd = self.fleet_dir / "jobs" / rec.job
        image = json.loads((jd / "image.json").read_text()) if (jd / "image.json").is_file() else {}
        self.disk.append({"computer": self.du(jd / "computer"), "image_layer": image.get("layer_size")})
        shutil.rmtree(jd / "computer" / "tree", ignore_errors=True)
        if image.get("tag"):
            self.remove_images([image["tag"]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--stages", default="generate,image")
    ap.add_argument("--size", default="standard")
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--engine", default="local")
    ap.add_argument("--address")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="Fleet directory to keep (default: a temp dir, removed).")
    ap.add_argument("--drop", action="store_true",
                    help="free each job's disk as soon as its last stage is done (its computer's tree and image, "
                         "measured first): a 1,000-computer run needs ~100 GB otherwise")
    args = ap.parse_args()
    from agent_harness.fleet import driver
    from agent_harness.fleet.report import build_report

    stages = args.stages.split(",")
    if "judge" in stages and importlib.util.find_spec("agent_harness.judge") is None:
        print("note: agent_harness.judge is not available here; the judge stage is skipped")
        stages = [s for s in stages if s not in ("judge", "report")]
    work = Path(tempfile.mkdtemp(prefix="wbfleet-"))
    fleet_dir = args.keep or work / "fleet"
    os.environ.setdefault("WORLDBUILDER_HOME", str(work / "home"))
    try:
        driver.create_fleet(fleet_dir, driver.sampled(args.n, args.seed), f"sample:{args.n}:{args.seed}", stages,
                            seed=args.seed, size=args.size, days=args.days, engine=args.engine)
        need = args.n * 110e6  # ~45 MB tree + ~7 MB spec + ~45 MB image layer per standard computer
        free = shutil.disk_usage(fleet_dir).free
        if not args.drop and not args.keep and need > free:
            print(f"note: ~{need / 1e9:.0f} GB needed, {free / 1e9:.0f} GB free: use --drop")
        dropper = Dropper(fleet_dir, stages[-1]) if args.drop else None
        t = time.monotonic()
        res = driver.run_fleet(fleet_dir, engine=args.engine, workers=args.workers, address=args.address,
                               on_record=dropper)
        wall = time.monotonic() - t
        rep = build_report(fleet_dir)
        print(f"fleet of {args.n} ({args.size}), stages {','.join(stages)}, engine {args.engine}, "
              f"{args.workers} workers, {os.cpu_count()} cores")
        print(f"{'stage':<11} {'done':>5} {'median s':>9} {'mean s':>8} {'busy s':>8} {'share':>6} "
              f"{'jobs/min':>9}")
        busy = sum(v["busy_s"] for v in rep["throughput"].values()) or 1.0
        for stage, v in rep["throughput"].items():
            # jobs/min of the stage alone, on all workers: done / (busy seconds / workers)
            alone = v["done"] / (v["busy_s"] / args.workers) * 60 if v["busy_s"] else 0.0
            print(f"{stage:<11} {v['done']:>5} {v['median_s']:>9.2f} {v['mean_s']:>8.2f} {v['busy_s']:>8.1f} "
                  f"{v['busy_s'] / busy:>6.0%} {alone:>9.1f}")
        print(f"total wall {wall:.1f} s = {wall / args.n:.2f} s per computer; {res.done} stages done, "
              f"{len(res.quarantined)} quarantined, {res.failed} retried; causes {rep['failures']['by_cause']}")
        disk = dropper.disk if dropper is not None else [j["disk"] for j in rep["jobs"]]
        if disk:
            comp = sorted(d["computer"] for d in disk)[len(disk) // 2]
            layers = sorted(d["image_layer"] or 0 for d in disk)[len(disk) // 2]
            print(f"disk per computer (median): computer dir {comp / 1e6:.1f} MB, image layer {layers / 1e6:.1f} MB")
    finally:
        if not args.keep:
            tags = [json.loads(p.read_text())["tag"] for p in fleet_dir.glob("jobs/*/image.json")]
            if tags:
                from agent_harness.fleet.gc import remove_images

                remove_images(tags)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
