"""Per-provider lifecycle figures through the ComputerProvider interface (the same calls the harness makes).

    .venv/bin/python benchmarks/provider_bench.py [local docker qemu libvirt] [--repeat N]

Prints, per provider: prepare (cached after the first build), boot, median exec round trip, median 64 KiB
write+read, snapshot, restore and stop, in seconds. A tiny handmade computer keeps inputs small.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_docker_helpers import handmade_spec, write_computer  # noqa: E402
from worldbuilder.runtime.limits import Limits  # noqa: E402
from worldbuilder.runtime.provider import make_provider  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def bench(name: str, work: Path, repeat: int) -> dict[str, float]:
    spec = handmade_spec()
    spec.id = f"wbbench{name[:3]}"
    comp = write_computer(spec, work / name / "computer")
    p = make_provider(name, limits=Limits(cpus=1, memory="1g", disk=None), owner={"run": f"bench-{name}",
                      "run-dir": str(work)}, workdir=work / name / "work")
    fig: dict[str, float] = {}
    p.prepare(comp)  # first build is not what a run pays each time
    ref, fig["prepare_cached"] = timed(lambda: p.prepare(comp))
    c, fig["boot"] = timed(lambda: p.boot(ref))
    try:
        fig["exec_median"] = statistics.median(timed(lambda: c.exec("true"))[1] for _ in range(repeat))
        data = b"x" * 65536
        fig["write_read_64k_median"] = statistics.median(
            timed(lambda: (c.write("bench.bin", data), c.read("bench.bin")))[1] for _ in range(repeat))
        snaps = p.snapshots(c)
        _, fig["snapshot"] = timed(lambda: snaps.snapshot("bench-one"))
        back, fig["restore"] = timed(lambda: snaps.restore("bench-one"))
        if back.name != c.name:
            p.release(back)
        else:
            c = back
    finally:
        _, fig["stop"] = timed(lambda: p.release(c))
        if name == "docker":  # the bench's own image and snapshot tags
            import subprocess

            tags = subprocess.run(["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                                  text=True).stdout.split()
            mine = [t for t in tags if f"computer-{spec.id}:" in t]
            if mine:
                subprocess.run(["docker", "rmi", "-f", *mine], capture_output=True)
    return fig


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("providers", nargs="*", default=["local", "docker"])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wb-provider-bench-") as tmp:
        rows = {n: bench(n, Path(tmp), args.repeat) for n in args.providers}
    keys = list(next(iter(rows.values())))
    print("provider  " + "  ".join(f"{k:>22}" for k in keys))
    for n, fig in rows.items():
        print(f"{n:<9} " + "  ".join(f"{fig[k]:>21.3f}s" for k in keys))


if __name__ == "__main__":
    main()
