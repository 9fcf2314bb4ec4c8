"""Docker daemon control calls: the ``docker`` CLI (one process per call, the old path) against the Docker SDK
(one pooled connection, what the docker provider uses now), side by side in the same run.

    .venv/bin/python benchmarks/docker_transport_bench.py [--repeat N]

For each of image inspect, container create, start, inspect, snapshot (commit, paused) and stop (rm -f) it
prints the median seconds of each path and the ratio; the two paths alternate within every round, on the
image of a tiny handmade computer, so both see the same daemon and the same load.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_docker_helpers import handmade_spec, write_computer  # noqa: E402
from worldbuilder.materialize import docker_sdk  # noqa: E402

STEPS = ("image_inspect", "create", "start", "inspect", "snapshot", "stop")


def cli_round(exe: str, image: str, name: str, tag: str) -> dict[str, float]:
    def run(*args: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([exe, *args], check=True, capture_output=True)
        return time.perf_counter() - t0

    return {"image_inspect": run("image", "inspect", image),
            "create": run("create", "--name", name, "--network", "none", "--memory", "256m", "--pids-limit", "64",
                          image),
            "start": run("start", name), "inspect": run("inspect", "--type", "container", name),
            "snapshot": run("commit", "--pause=true", name, tag), "stop": run("rm", "-f", name)}


def sdk_round(image: str, name: str, tag: str) -> dict[str, float]:
    api = docker_sdk.api()
    out: dict[str, float] = {}

    def run(step: str, fn) -> None:
        t0 = time.perf_counter()
        fn()
        out[step] = time.perf_counter() - t0

    host = api.create_host_config(network_mode="none", mem_limit=256 << 20, pids_limit=64)
    run("image_inspect", lambda: api.inspect_image(image))
    run("create", lambda: api.create_container(image, name=name, host_config=host))
    run("start", lambda: api.start(name))
    run("inspect", lambda: api.inspect_container(name))
    run("snapshot", lambda: docker_sdk.commit(name, tag, [], pause=True))
    run("stop", lambda: api.remove_container(name, force=True))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    exe = shutil.which("docker")
    if exe is None:
        sys.exit("error: the docker CLI is needed for the comparison")
    docker_sdk.ensure_daemon()
    from worldbuilder.materialize.docker_image import build_image

    run_id = secrets.token_hex(3)
    with tempfile.TemporaryDirectory(prefix="wb-transport-bench-") as tmp:
        os.environ.setdefault("WORLDBUILDER_HOME", str(Path(tmp) / "home"))
        spec = handmade_spec()
        spec.id = f"wbtransport{run_id}"
        image = build_image(write_computer(spec, Path(tmp) / "computer")).tag
        times: dict[str, dict[str, list[float]]] = {"cli": {s: [] for s in STEPS}, "sdk": {s: [] for s in STEPS}}
        try:
            sdk_round(image, f"wb-tb-{run_id}-warm", f"{image.rsplit(':', 1)[0]}:warm")  # pool and caches warm
            for i in range(args.repeat):
                for path in ("cli", "sdk") if i % 2 == 0 else ("sdk", "cli"):
                    name, tag = f"wb-tb-{run_id}-{path}{i}", f"{image.rsplit(':', 1)[0]}:{path}{i}"
                    fig = cli_round(exe, image, name, tag) if path == "cli" else sdk_round(image, name, tag)
                    for step, sec in fig.items():
                        times[path][step].append(sec)
        finally:
            api = docker_sdk.api()
            for c in api.containers(all=True, filters={"name": f"wb-tb-{run_id}"}):
                api.remove_container(c["Id"], force=True)
            for img in api.images(name=image.rsplit(":", 1)[0]):
                for t in img.get("RepoTags") or []:
                    api.remove_image(t, force=True)
    print(f"docker control calls, median of {args.repeat} rounds (seconds)")
    print(f"{'step':<14}{'cli':>10}{'sdk':>10}{'cli/sdk':>10}")
    for step in STEPS:
        cli, sdk = statistics.median(times["cli"][step]), statistics.median(times["sdk"][step])
        print(f"{step:<14}{cli:>10.4f}{sdk:>10.4f}{cli / sdk:>9.1f}x")
    total_cli = sum(statistics.median(times["cli"][s]) for s in STEPS)
    total_sdk = sum(statistics.median(times["sdk"][s]) for s in STEPS)
    print(f"{'all six':<14}{total_cli:>10.4f}{total_sdk:>10.4f}{total_cli / total_sdk:>9.1f}x")


if __name__ == "__main__":
    main()
