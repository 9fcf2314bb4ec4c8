"""xlsx renderer speed: the direct writer against openpyxl's object model, on generated computers.

Plans N standard computers of the benchmark personas (offline backend), then renders every workbook
of each with both writers (worldbuilder.render.xlsx and tests/xlsx_reference.py, the renderer as it
was before it wrote OOXML itself), checks the bytes are identical and prints the median CPU seconds
per computer and per workbook of each.   Usage: python benchmarks/xlsx_bench.py [--n 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_bench import BENCH_PERSONAS  # noqa: E402

from tests.xlsx_reference import render_xlsx as openpyxl_xlsx  # noqa: E402
from worldbuilder import api  # noqa: E402
from worldbuilder.render import RENDERERS, RenderContext  # noqa: E402
from worldbuilder.render.base import xml_safe  # noqa: E402
from worldbuilder.render.xlsx import render_xlsx  # noqa: E402
from worldbuilder.spec import ComputerSpec, FileSpec  # noqa: E402

Writer = Callable[[FileSpec, RenderContext], bytes]


def cpu_of(writer: Writer, spec: ComputerSpec, files: list[FileSpec], repeat: int) -> float:
    """Median CPU seconds to write all ``files`` of ``spec`` once."""
    runs = []
    for _ in range(repeat):
        c = time.process_time()
        for f in files:
            writer(f, RenderContext(spec, RENDERERS))
        runs.append(time.process_time() - c)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4, help="standard computers planned")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per computer and writer")
    a = ap.parse_args()
    rows = []
    for i in range(a.n):
        spec = api.plan(BENCH_PERSONAS[i % len(BENCH_PERSONAS)], seed=i, size="standard")
        files = [xml_safe(f) for f in spec.files if f.type == "xlsx" and not f.exact_copy]
        ctx = RenderContext(spec, RENDERERS)
        same = all(render_xlsx(f, ctx) == openpyxl_xlsx(f, ctx) for f in files)
        cells = sum(len(r) for f in files for s in f.content.sheets for r in s.rows)
        direct, reference = (cpu_of(w, spec, files, a.repeat) for w in (render_xlsx, openpyxl_xlsx))
        rows.append((len(files), cells, direct, reference, same))
        print(f"computer {i}: {len(files):3d} workbooks {cells:6d} cells   direct {direct:.3f} s CPU   "
              f"openpyxl {reference:.3f} s CPU   x{reference / max(direct, 1e-9):.1f}   identical bytes: {same}")
    med = statistics.median
    d, r = med(x[2] for x in rows), med(x[3] for x in rows)
    per_book = med(x[2] / max(x[0], 1) for x in rows), med(x[3] / max(x[0], 1) for x in rows)
    print(f"median per standard computer: direct {d:.3f} s CPU, openpyxl object model {r:.3f} s CPU (x{r / max(d, 1e-9):.1f})")
    print(f"median per workbook: direct {per_book[0] * 1000:.1f} ms, openpyxl {per_book[1] * 1000:.1f} ms")
    if not all(x[4] for x in rows):
        sys.exit("error: the direct writer's bytes differ from openpyxl's")


if __name__ == "__main__":
    main()
