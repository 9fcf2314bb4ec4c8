"""Renderer speed: render the sample spec N times, print the median ms per file by type.

Also estimates the render time of a standard computer (~200 files) from the type mix the
offline generator aims at.   Usage: python benchmarks/render_bench.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sample_spec import make_sample_spec  # noqa: E402
from worldbuilder.render import RenderContext, _TABLE  # noqa: E402

# Approximate share of each type in a standard computer (200 files).
STANDARD_MIX = {"docx": .35, "xlsx": .16, "pdf": .14, "py": .085, "txt": .06, "pptx": .03, "png": .03,
                "md": .03, "csv": .03, "json": .02, "eml": .03, "jsonl": .01, "toml": .01, "ics": .01, "zip": .005}


def main(n: int = 15) -> None:
    spec = make_sample_spec()
    samples: dict[str, list[float]] = defaultdict(list)
    t0 = time.process_time()
    RenderContext(spec, _TABLE).render(spec.files[0])  # warm-up: imports, templates, fonts
    warm = time.process_time() - t0
    for _ in range(n):
        ctx = RenderContext(spec, _TABLE)
        for f in spec.files:
            ctx.cache.clear()  # time each file alone (zip/eml would otherwise reuse members)
            t = time.process_time()
            ctx.render(f)
            samples[f.type].append((time.process_time() - t) * 1000)
    medians = {k: statistics.median(v) for k, v in samples.items()}
    print(f"first-file warm-up (imports, templates, fonts): {warm * 1000:.0f} ms")
    print(f"{'type':6} {'median CPU ms':>12}  ({n} runs of the sample spec)")
    for k, v in sorted(medians.items(), key=lambda kv: -kv[1]):
        print(f"{k:6} {v:10.2f}")
    est = sum(200 * share * medians.get(k, 0.0) for k, share in STANDARD_MIX.items()) / 1000
    print(f"estimated standard computer (200 files): {est:.2f} s render + {warm:.2f} s warm-up")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
