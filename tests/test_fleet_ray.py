"""The ``ray`` engine on a local two-node Ray cluster (``ray start --head`` + a second ``ray start``).

Each node declares its own custom resources; a small fleet (generate + image) must finish with its
job-stages recorded on BOTH nodes, under the node ids Ray reports. Needs the ``fleet`` extra and Docker.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from agent_harness.fleet import manifest
from tests.ray_cluster import LocalRayCluster

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster():
    try:
        import ray  # noqa: F401
    except ImportError:
        pytest.fail("ray is not installed; install the extra: pip install -e '.[fleet]' (make test does)")
    c = LocalRayCluster(Path(f"/tmp/wbray-{secrets.token_hex(3)}"))
    try:
        yield c.start('{"docker": 1, "head": 1}', '{"docker": 1, "second": 1}')
    finally:
        c.stop()


def _node_ids(address: str) -> set[str]:
    code = (f"import ray,json; ray.init(address={address!r}, logging_level='ERROR', log_to_driver=False); "
            "print(json.dumps([n['NodeID'] for n in ray.nodes() if n['Alive']]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-500:]
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_fleet_on_two_ray_nodes_records_both_node_ids(cluster, tmp_path):
    d = tmp_path / "fleet"
    env = {**os.environ, "WORLDBUILDER_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "worldbuilder.cli", "fleet", "run", "--out", str(d), "--sample", "4",
                           "--seed", "11", "--stages", "generate,image", "--size", "small", "--engine", "ray",
                           "--address", cluster.address], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    latest = manifest.latest(d)
    assert len(latest) == 8 and all(r.state == "done" for r in latest.values())
    nodes = {r.node for r in latest.values()}
    assert len(nodes) == 2 and nodes <= _node_ids(cluster.address)
    done = [(r.job, r.stage) for r in manifest.records(d) if r.state == "done"]
    assert len(done) == len(set(done))
    tags = [json.loads(p.read_text())["tag"] for p in sorted(d.glob("jobs/*/image.json"))]
    subprocess.run(["docker", "rmi", *tags], capture_output=True)
