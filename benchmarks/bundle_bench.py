#!/usr/bin/env python3
"""Benchmark-bundle size and speed: N computers in one bundle, the shared base stored once.

Prints, for N tasks (default 10): the bundle on disk (folder and .tar.zst), what N separate
per-task layer sets would take (the base counted N times, like N ``docker save`` archives), the
base's share, and the time of export / verify / import (load + keying) / archive.

Usage: python benchmarks/bundle_bench.py [--tasks 10] [--size small]
Needs Docker (scripts/ensure-engine.sh docker). Its computers and images are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PERSONAS = ["a junior accountant in Leeds", "a school science teacher in Ohio", "a hotel events coordinator in Lisbon",
            "a civil engineer at a water utility in Perth", "a paralegal at a family law firm in Toronto",
            "a nurse manager at a clinic in Austin", "a marketing analyst at a retailer in Manchester",
            "a procurement officer at a university in Dublin", "a landscape architect in Portland",
            "a payroll specialist at a logistics firm in Rotterdam", "a museum curator in Edinburgh",
            "a grant writer at a charity in Cape Town"]


def mb(n: float) -> str:
    return f"{n / 1e6:8.1f} MB"


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def make_computers(work: Path, n: int, size: str) -> list[Path]:
    from agent_harness.objectives import write_objectives
    from worldbuilder import api
    from worldbuilder.materialize.docker_image import build_image

    out = []
    for i in range(n):
        comp = work / f"c{i:02d}"
        api.generate(PERSONAS[i % len(PERSONAS)], comp, seed=7000 + i, size=size)
        write_objectives(comp, days=5)
        build_image(comp)
        out.append(comp)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10)
    ap.add_argument("--size", default="small", choices=["small", "standard", "large"])
    args = ap.parse_args()
    from agent_harness.bench import archive
    from agent_harness.bench.export import export_bundle
    from agent_harness.bench.importer import import_bundle, runtime_tag
    from agent_harness.bench.model import blob_path
    from agent_harness.bench.verify import verify

    work = Path(tempfile.mkdtemp(prefix="wb-bundle-bench-"))
    tags: list[str] = []
    try:
        t = time.perf_counter()
        comps = make_computers(work, args.tasks, args.size)
        print(f"{args.tasks} computers generated and built in {time.perf_counter() - t:.1f} s")
        tags += [f"worldbuilder/computer-{json.loads((c / 'spec.json').read_text())['id']}:latest" for c in comps]
        t = time.perf_counter()
        m = export_bundle(comps, work / "bundle", name="bench")
        t_export = time.perf_counter() - t
        tags += [x.image.tag for x in m.tasks] + [runtime_tag(x) for x in m.tasks]
        root = work / "bundle"
        size = {d: (root / blob_path(d)).stat().st_size for x in m.tasks for d in [x.image.config, *x.image.layers]}
        separate = sum(size[d] for x in m.tasks for d in [x.image.config, *x.image.layers])
        base = m.tasks[0].image.layers[0]
        shared = all(x.image.layers[0] == base for x in m.tasks)
        t = time.perf_counter()
        verify(root)
        t_verify = time.perf_counter() - t
        t = time.perf_counter()
        arc = archive.pack(root, work / "bench.tar.zst")
        t_pack = time.perf_counter() - t
        t = time.perf_counter()
        import_bundle(root)
        t_import = time.perf_counter() - t
        t = time.perf_counter()
        import_bundle(root)
        t_reimport = time.perf_counter() - t
        print(f"tasks                          {len(m.tasks)}  (base layer shared by all: {shared})")
        print(f"distinct layers                {len({d for x in m.tasks for d in x.image.layers})}")
        print(f"bundle folder on disk        {mb(du(root))}")
        print(f"bundle .tar.zst              {mb(arc.stat().st_size)}")
        print(f"N separate layer sets        {mb(separate)}  (base counted {len(m.tasks)} times)")
        print(f"  base layer                 {mb(size[base])}")
        print(f"  per-task layers, mean      {mb((du(root) - size[base]) / len(m.tasks))}")
        print(f"saving vs separate           {1 - du(root) / separate:8.1%}")
        print(f"export  {t_export:6.1f} s   verify {t_verify:5.1f} s   archive {t_pack:5.1f} s")
        print(f"import  {t_import:6.1f} s   re-import (idempotent) {t_reimport:5.1f} s")
    finally:
        if tags:
            subprocess.run(["docker", "rmi", "-f", *sorted(set(tags))], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
