"""Fleet stages that need Docker: image + simulate on the local engine, a computer killed mid-simulation,
and ``worldbuilder gc`` removing only the fleet's own images by policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent_harness.fleet import manifest
from tests.test_docker_helpers import handmade_computer
from worldbuilder.spec import ComputerSpec

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _wb(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worldbuilder.cli", *args], capture_output=True, text=True,
                          env=env, **kw)


def _tags(d: Path) -> list[str]:
    return [json.loads(p.read_text())["tag"] for p in sorted(d.glob("jobs/*/image.json"))]


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True).stdout


def _killer(d: Path, job: str, stop: threading.Event, killed: list[str]) -> None:
    """Kill the job's computer once, as soon as its simulation has a container."""
    while not stop.is_set():
        image = d / "jobs" / job / "image.json"
        sim = manifest.latest(d).get((job, "simulate")) if (d / manifest.MANIFEST_FILE).exists() else None
        if image.exists() and sim is not None and sim.state == "running":
            cid = json.loads(image.read_text())["computer_id"]
            ids = _docker("ps", "-q", "--filter", f"label=org.worldbuilder.computer-id={cid}").split()
            if ids:
                time.sleep(1.0)
                _docker("kill", *ids)
                killed += ids
                return
        time.sleep(0.2)


def test_simulate_survives_a_killed_computer_and_gc_removes_only_the_fleets_images(tmp_path):
    d = tmp_path / "fleet"
    env = {**os.environ, "WORLDBUILDER_HOME": str(tmp_path / "home")}
    stop, killed = threading.Event(), []
    t = threading.Thread(target=_killer, args=(d, "j0001", stop, killed), daemon=True)
    t.start()
    proc = _wb("fleet", "run", "--out", str(d), "--sample", "2", "--seed", "21", "--stages",
               "generate,image,objectives,simulate", "--size", "small", "--days", "1", "--turns-per-day", "60",
               "--workers", "2", env=env, timeout=900)
    stop.set()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert killed, "the computer was never seen running"
    latest = manifest.latest(d)
    # the killed computer is restored by the harness or the stage is retried: either way the job ends done
    assert latest[("j0001", "simulate")].state == "done", latest[("j0001", "simulate")]
    assert latest[("j0002", "simulate")].state == "done"
    summary = json.loads((d / "jobs/j0001/run/summary.json").read_text())
    assert summary["status"] == "completed" and summary["days_completed"] == 1
    rep = _wb("fleet", "report", str(d))
    assert rep.returncode == 0, rep.stderr
    jobs = json.loads((d / "fleet_report.json").read_text())["jobs"]
    assert all(j["disk"]["image_layer"] and j["disk"]["image_layer"] > 100_000 for j in jobs)

    other = handmade_computer(tmp_path / "other")  # a computer image that is not the fleet's
    spec = ComputerSpec.load(other)
    spec.id = f"wbgc-{os.getpid()}"
    spec.save(other / "spec.json")
    assert _wb("image", "build", str(other), env=env).returncode == 0
    other_tag = f"worldbuilder/computer-{spec.id}:latest"
    tags = _tags(d)
    assert len(tags) == 2 and all(_docker("images", "-q", t).strip() for t in tags)
    kept = _wb("gc", "--fleet", str(d), "--keep-days", "1", env=env)
    assert kept.returncode == 0 and "removed 0 image tag(s)" in kept.stdout
    dry = _wb("gc", "--fleet", str(d), "--keep-days", "0", "--dry-run", env=env)
    assert dry.returncode == 0 and all(f"would remove {t}" in dry.stdout for t in tags), dry.stdout
    gone = _wb("gc", "--fleet", str(d), "--keep-days", "0", env=env)
    assert gone.returncode == 0, gone.stderr
    assert all(f"removed {t}" in gone.stdout for t in tags)
    assert not any(_docker("images", "-q", t).strip() for t in tags)
    assert _docker("images", "-q", other_tag).strip() and other_tag not in gone.stdout
    _docker("rmi", other_tag)


def test_all_six_stages_when_the_judge_is_available(tmp_path):
    pytest.importorskip("agent_harness.judge")
    pytest.importorskip("agent_harness.report")
    d = tmp_path / "fleet"
    env = {**os.environ, "WORLDBUILDER_HOME": str(tmp_path / "home")}
    proc = _wb("fleet", "run", "--out", str(d), "--sample", "1", "--seed", "31", "--stages",
               "generate,image,objectives,simulate,judge,report", "--size", "small", "--days", "1",
               "--turns-per-day", "60", env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    latest = manifest.latest(d)
    assert all(r.state == "done" for r in latest.values()) and len(latest) == 6
    judgement = json.loads((d / "jobs/j0001/run/judgement.json").read_text())
    assert judgement["total"]["max"] > 0
    assert (d / latest[("j0001", "report")].output).is_file()
    rep = _wb("fleet", "report", str(d))
    assert rep.returncode == 0
    score = json.loads((d / "fleet_report.json").read_text())["jobs"][0]["score"]
    assert score == {"points": judgement["total"]["points"], "max": judgement["total"]["max"]}
    subprocess.run(["docker", "rmi", *_tags(d)], capture_output=True)
