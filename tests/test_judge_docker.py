"""End to end in real Docker: an offline run, judged on its last day (deliverables copy) and on an earlier day
(files read out of that day's snapshot image), then reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import docker_available

pytestmark = pytest.mark.docker
WB = str(Path(sys.executable).parent / "worldbuilder")


def test_docker_run_judged_by_day_and_reported(tmp_path):
    if not docker_available():
        pytest.fail("Docker is not running; run scripts/ensure-engine.sh docker")
    comp, run = tmp_path / "computer", tmp_path / "run"
    subprocess.run([WB, "generate", "--persona", "A junior data analyst at a grocery chain in Leeds producing weekly sales dashboards", "--size", "small", "--out", str(comp)],
                   check=True, capture_output=True)
    subprocess.run([WB, "image", "build", str(comp)], check=True, capture_output=True)
    try:
        r = subprocess.run([WB, "simulate", str(comp), "--days", "3", "--turns-per-day", "60", "--run-dir", str(run)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        r = subprocess.run([WB, "judge", str(run), "--day", "1"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        day1 = json.loads((run / "judgements" / "day-01.json").read_text())
        valid = [i for d in day1["deliverables"] for i in d["items"] if i["kind"] == "file_valid" and i["points"]]
        assert valid and all("snapshot" in i["evidence"] for i in valid)  # read out of the day-01 image
        r = subprocess.run([WB, "judge", str(run)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        final = json.loads((run / "judgement.json").read_text())
        assert final["day"] == 3 and final["total"]["points"] >= day1["total"]["points"] > 0
        assert any("deliverables" in i["evidence"] for d in final["deliverables"] for i in d["items"])
        r = subprocess.run([WB, "report", str(run)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert "## 4. Workflow & Efficiency" in (run / "report.md").read_text()
        ref = next(s["ref"] for s in json.loads((run / "snapshots.json").read_text())["snapshots"] if s["day"] == 1)
        left = subprocess.run(["docker", "ps", "-aq", "--filter", f"ancestor={ref}"], capture_output=True, text=True)
        assert left.stdout.strip() == ""  # the container used to read the image is gone
    finally:
        subprocess.run([WB, "runs", "rm", str(run)], capture_output=True)
