"""Renderer speed: render the sample spec N times, print the median ms per file by type.

Also estimates the render time of a standard computer (~200 files) from the type mix the
offline generator aims at, and compares the xlsx writer with openpyxl's object model on the sample
workbook (benchmarks/xlsx_bench.py does so on generated computers).   Usage: python benchmarks/render_bench.py [N]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sample_spec import make_sample_spec  # noqa: E402
from worldbuilder.render import _TABLE, RenderContext, charts, render_tree  # noqa: E402
from worldbuilder.spec import ComputerSpec, FileSpec  # noqa: E402

# Approximate share of each type in a standard computer (200 files).
STANDARD_MIX = {"docx": .35, "xlsx": .16, "pdf": .14, "py": .085, "txt": .06, "pptx": .03, "png": .03,
                "md": .03, "csv": .03, "json": .02, "eml": .03, "jsonl": .01, "toml": .01, "ics": .01, "zip": .005}


def standard_like(spec: ComputerSpec, total: int = 200) -> ComputerSpec:
    """A ~200-file spec with the standard type mix, cloned from the sample's files (charts retitled
    per copy so the chart cache cannot help; zip/eml keep pointing at the original members)."""
    files: list[FileSpec] = list(spec.files)
    for ftype, share in STANDARD_MIX.items():
        source = next(f for f in spec.files if f.type == ftype)
        for i in range(max(0, round(total * share) - 1)):
            content = json.loads(source.content.model_dump_json().replace('"title": "', f'"title": "#{i} ', 1))
            content = _retitle_charts(content, i)
            path = f"Bench/{ftype}/{i:03d}_{source.path.rsplit('/', 1)[-1]}"
            files.append(source.model_copy(update={"path": path, "content": type(source.content).model_validate(content)}))
    return spec.model_copy(update={"files": files})


def _retitle_charts(node: object, i: int) -> object:
    if isinstance(node, dict):
        if node.get("type") == "chart" or {"kind", "categories", "series"} <= node.keys():
            node = {**node, "title": f"{node.get('title', '')} ({i})"}
        return {k: _retitle_charts(v, i) for k, v in node.items()}
    if isinstance(node, list):
        return [_retitle_charts(v, i) for v in node]
    return node


def tree_time(spec: ComputerSpec) -> tuple[float, float]:
    """(CPU s, wall s) of render_tree for ``spec`` into a temporary directory."""
    with tempfile.TemporaryDirectory() as tmp:
        charts._CACHE.clear()
        c, w = time.process_time(), time.perf_counter()
        render_tree(spec, Path(tmp) / "tree")
        return time.process_time() - c, time.perf_counter() - w


def xlsx_alternatives(spec: ComputerSpec, n: int) -> None:
    """Median CPU ms of the sample's workbook written directly and through openpyxl's object model."""
    from tests.xlsx_reference import render_xlsx as openpyxl_xlsx
    from worldbuilder.render.xlsx import render_xlsx

    f = next(f for f in spec.files if f.type == "xlsx")
    for name, writer in (("direct", render_xlsx), ("openpyxl", openpyxl_xlsx)):
        runs = []
        for _ in range(n):
            t = time.process_time()
            writer(f, RenderContext(spec, _TABLE))
            runs.append((time.process_time() - t) * 1000)
        print(f"xlsx {name:8} {statistics.median(runs):8.2f} ms CPU (sample workbook)")


def main(n: int = 15) -> None:
    spec = make_sample_spec()
    samples: dict[str, list[float]] = defaultdict(list)
    t0 = time.process_time()
    RenderContext(spec, _TABLE).render(spec.files[0])  # warm-up: imports, templates, fonts
    warm = time.process_time() - t0
    rendered = {f.path: RenderContext(spec, _TABLE).render(f) for f in spec.files}
    for _ in range(n):
        for f in spec.files:
            # each file alone: members/attachments already rendered (as in render_tree), charts not
            ctx = RenderContext(spec, _TABLE, cache={p: b for p, b in rendered.items() if p != f.path})
            charts._CACHE.clear()
            t = time.process_time()
            ctx.render(f)
            samples[f.type].append((time.process_time() - t) * 1000)
    medians = {k: statistics.median(v) for k, v in samples.items()}
    print(f"first-file warm-up (templates, fonts): {warm * 1000:.0f} ms CPU")
    print(f"{'type':6} {'median CPU ms':>12}  ({n} runs of the sample spec)")
    for k, v in sorted(medians.items(), key=lambda kv: -kv[1]):
        print(f"{k:6} {v:10.2f}")
    xlsx_alternatives(spec, n)
    est = sum(200 * share * medians.get(k, 0.0) for k, share in STANDARD_MIX.items()) / 1000
    print(f"estimated standard computer (200 files, sample-sized files): {est:.2f} s CPU + {warm:.2f} s warm-up")
    big = standard_like(spec)
    runs = [tree_time(big) for _ in range(3)]
    cpu, wall = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    print(f"render_tree of a {len(big.files)}-file standard-mix spec: median {cpu:.2f} s CPU, {wall:.2f} s wall")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
