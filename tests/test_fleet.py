"""Fleet runs on the local engine: manifest, resume, retries, quarantine, kill -9, report, CLI.

The driver tests swap in small stage functions (worker processes are forked, so they see the swap);
the generate/objectives tests and the kill -9 test run the real stages through the real CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_harness.fleet import driver, manifest, stages
from agent_harness.fleet.faults import backoff, is_transient
from agent_harness.fleet.models import Job, Record
from agent_harness.fleet.report import build_report, counts
from worldbuilder.errors import ComputerUnreachable, EngineUnavailable, GenerationError

PERSONA = "a senior financial advisor at a wealth management firm in Denver"


def _touch(name: str):
    """A stage that writes jobs/<job>/<name> once per call and logs the call in calls.log."""

    def fn(ctx) -> str:
        ctx.job_dir.mkdir(parents=True, exist_ok=True)
        with open(ctx.fleet_dir / "calls.log", "a") as fh:
            fh.write(f"{ctx.job.job} {name}\n")
        out = ctx.job_dir / name
        out.write_text(ctx.job.persona)
        return ctx.rel(out)

    return fn


def _flaky(times: int, exc: type[Exception]):
    """Fails with ``exc`` the first ``times`` calls per job (counted in files), then succeeds."""

    def fn(ctx) -> str:
        ctx.job_dir.mkdir(parents=True, exist_ok=True)
        counter = ctx.job_dir / "flaky.count"
        n = int(counter.read_text()) if counter.exists() else 0
        counter.write_text(str(n + 1))
        if n < times:
            raise exc("docker daemon busy, try again")
        return _touch("generate")(ctx)

    return fn


@pytest.fixture
def fake_stages(monkeypatch):
    for name in stages.STAGE_FUNCS:
        monkeypatch.setitem(stages.STAGE_FUNCS, name, _touch(name))
    return stages.STAGE_FUNCS


def _fleet(tmp_path, personas, stage_list=("generate", "image", "objectives"), **kw) -> Path:
    d = tmp_path / "fleet"
    driver.create_fleet(d, personas, "test", list(stage_list), backoff=0.05, **kw)
    return d


def _calls(d: Path) -> list[str]:
    return (d / "calls.log").read_text().splitlines() if (d / "calls.log").exists() else []


def test_manifest_append_is_whole_lines_and_skips_a_torn_tail(tmp_path):
    rec = Record(job="j0001", persona="p", stage="generate", state="running")
    manifest.append(tmp_path, rec)
    with open(tmp_path / manifest.MANIFEST_FILE, "ab") as fh:
        fh.write(b'{"job":"j0001","persona":"p","sta')  # a writer killed mid-line
    manifest.append(tmp_path, rec.model_copy(update={"state": "done"}))
    assert [r.state for r in manifest.records(tmp_path)] == ["running", "done"]
    assert manifest.latest(tmp_path)[("j0001", "generate")].state == "done"


def test_fleet_runs_every_stage_once_and_resume_does_nothing(tmp_path, fake_stages):
    d = _fleet(tmp_path, [f"{PERSONA} {i}" for i in range(5)])
    res = driver.run_fleet(d, workers=2)
    assert res.done == 15 and not res.quarantined
    assert sorted(_calls(d)) == sorted(f"j{i:04d} {s}" for i in range(1, 6) for s in ("generate", "image",
                                                                                         "objectives"))
    again = driver.run_fleet(d, workers=2)
    assert again.done == 0 and len(_calls(d)) == 15
    latest = manifest.latest(d)
    assert all(r.state == "done" and r.output and r.node for r in latest.values())
    assert latest[("j0003", "image")].output == "jobs/j0003/image"
    rep = build_report(d)
    assert rep["duplicated_done"] == 0 and rep["throughput"]["generate"]["done"] == 5


def test_resume_after_a_crash_reruns_only_what_was_in_flight(tmp_path, fake_stages):
    d = _fleet(tmp_path, [PERSONA, PERSONA + " 2"])
    base = {"persona": PERSONA}
    for rec in (Record(job="j0001", stage="generate", state="done", output="x", **base),
                Record(job="j0001", stage="image", state="running", **base),  # a driver died here
                Record(job="j0002", stage="generate", state="failed", error="DockerError: busy", **base)):
        manifest.append(d, rec)
    driver.run_fleet(d, workers=2)
    assert sorted(_calls(d)) == ["j0001 image", "j0001 objectives", "j0002 generate", "j0002 image",
                                 "j0002 objectives"]
    assert manifest.latest(d)[("j0002", "generate")].attempt == 2  # the failed attempt counts


def test_transient_faults_are_retried_with_backoff(tmp_path, fake_stages, monkeypatch):
    monkeypatch.setitem(stages.STAGE_FUNCS, "generate", _flaky(2, EngineUnavailable))
    d = _fleet(tmp_path, [PERSONA], max_attempts=3)
    res = driver.run_fleet(d, workers=1)
    assert res.failed == 2 and not res.quarantined
    gen = [r for r in manifest.records(d) if r.stage == "generate" and r.state not in ("running", "pending")]
    assert [(r.state, r.attempt) for r in gen] == [("failed", 1), ("failed", 2), ("done", 3)]


def test_a_job_failing_every_retry_is_quarantined_and_the_fleet_goes_on(tmp_path, fake_stages, monkeypatch):
    flaky = _flaky(99, ComputerUnreachable)

    def gen(ctx):
        return flaky(ctx) if ctx.job.job == "j0002" else _touch("generate")(ctx)

    monkeypatch.setitem(stages.STAGE_FUNCS, "generate", gen)
    d = _fleet(tmp_path, [PERSONA, "x", PERSONA + " 3"], max_attempts=2)
    res = driver.run_fleet(d, workers=2)
    assert res.quarantined == ["j0002"]
    latest = manifest.latest(d)
    q = latest[("j0002", "generate")]
    assert q.state == "quarantined" and q.attempt == 2 and "ComputerUnreachable" in q.error
    assert latest[("j0002", "image")].state == "pending"  # never run after the quarantine
    assert all(latest[(j, "objectives")].state == "done" for j in ("j0001", "j0003"))
    c = counts(manifest.load_config(d), latest)
    assert c["objectives"]["quarantined"] == 1 and c["objectives"]["done"] == 2
    assert driver.run_fleet(d, workers=2).done == 0  # quarantined stays quarantined


def test_fault_classification():
    assert is_transient(EngineUnavailable("no daemon")) and is_transient(TimeoutError())
    assert is_transient(RuntimeError("docker load timed out after 600s"))
    assert not is_transient(GenerationError("persona has no words"))
    assert backoff(2.0, 1) == 2.0 and backoff(2.0, 3) == 8.0 and backoff(2.0, 50) == 300.0


def test_a_second_driver_is_refused(tmp_path):
    d = _fleet(tmp_path, [PERSONA])
    with manifest.driver_lock(d), pytest.raises(manifest.FleetError, match="another driver"):
        with manifest.driver_lock(d):
            pass


def test_bad_fleet_options_fail_cleanly(tmp_path):
    with pytest.raises(manifest.FleetError, match="unknown stage"):
        driver.create_fleet(tmp_path / "a", [PERSONA], "t", ["generate", "bake"])
    with pytest.raises(manifest.FleetError, match="pipeline order"):
        driver.create_fleet(tmp_path / "b", [PERSONA], "t", ["image", "generate"])
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with pytest.raises(manifest.FleetError, match="not a fleet directory"):
        manifest.load_config(tmp_path)


# ---------------------------------------------------------------- real stages, real CLI


def _wb(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worldbuilder.cli", *args], capture_output=True, text=True, **kw)


def test_cli_bad_persona_is_quarantined_while_the_fleet_goes_on(tmp_path):
    personas = tmp_path / "p.txt"
    personas.write_text(f"{PERSONA}\n!!!\n")
    d = tmp_path / "fleet"
    proc = _wb("fleet", "run", "--out", str(d), "--personas", str(personas), "--stages", "generate,objectives",
               "--size", "small", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    latest = manifest.latest(d)
    assert latest[("j0002", "generate")].state == "quarantined"
    assert "persona has no words" in latest[("j0002", "generate")].error
    assert latest[("j0001", "objectives")].state == "done"
    obj = json.loads((d / "jobs/j0001/computer/objectives.json").read_text())
    assert obj["deliverables"]
    rep = _wb("fleet", "report", str(d))
    assert rep.returncode == 0 and "GenerationError 1" in rep.stdout
    data = json.loads((d / "fleet_report.json").read_text())
    assert data["jobs"][0]["disk"]["computer"] > 100_000 and data["failures"]["quarantined"] == 1
    st = _wb("fleet", "status", str(d))
    assert st.returncode == 0 and "objectives" in st.stdout
    bad = _wb("fleet", "run", "--out", str(tmp_path / "new"))
    assert bad.returncode != 0 and bad.stderr.startswith("error: ")


@pytest.mark.slow
def test_kill_9_mid_fleet_then_rerun_has_no_duplicated_stage(tmp_path):
    d = tmp_path / "fleet"
    args = ["fleet", "run", "--out", str(d), "--sample", "4", "--seed", "3", "--stages", "generate,objectives",
            "--size", "small", "--workers", "2"]
    proc = subprocess.Popen([sys.executable, "-m", "worldbuilder.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        done = [r for r in manifest.records(d) if r.state == "done"] if d.exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = manifest.latest(d)
    assert any(r.state == "running" for r in before.values()), "nothing was in flight at the kill"
    assert sum(r.state == "done" for r in before.values()) < 8
    rerun = _wb(*args)
    assert rerun.returncode == 0, rerun.stderr
    recs = list(manifest.records(d))
    done = [(r.job, r.stage) for r in recs if r.state == "done"]
    assert len(done) == len(set(done)) == 8  # every stage once, none twice
    assert build_report(d)["duplicated_done"] == 0


def test_new_fleet_lists_every_job_stage_pending_and_refuses_a_foreign_dir(tmp_path):
    d = _fleet(tmp_path, [PERSONA, PERSONA + " 2"], ("generate", "objectives"))
    assert [(r.job, r.stage, r.state) for r in manifest.records(d)] == [
        ("j0001", "generate", "pending"), ("j0001", "objectives", "pending"),
        ("j0002", "generate", "pending"), ("j0002", "objectives", "pending")]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("mine")
    with pytest.raises(manifest.FleetError, match="not an empty directory"):
        driver.create_fleet(tmp_path / "other", [PERSONA], "t", ["generate"])


def test_a_fleet_grows_by_new_jobs_and_requeues_its_quarantined_ones(tmp_path, fake_stages, monkeypatch):
    def gen(ctx):  # j0002 fails for good (not transient) the first time, works when tried again
        seen = ctx.fleet_dir / "j0002.failed"
        if ctx.job.job == "j0002" and not seen.exists():
            seen.write_text("1")
            raise GenerationError("bad persona")
        return _touch("generate")(ctx)

    monkeypatch.setitem(stages.STAGE_FUNCS, "generate", gen)
    d = _fleet(tmp_path, [PERSONA, "x"], stage_list=("generate", "image"))
    assert driver.run_fleet(d, workers=2).quarantined == ["j0002"]
    assert driver.requeue_quarantined(d) == ["j0002"] and driver.requeue_quarantined(d) == []
    cfg = manifest.load_config(d)
    new = [cfg.jobs[0], cfg.jobs[0].model_copy(update={"job": "j0003", "params": {"k": 1}})]
    assert [j.job for j in driver.add_jobs(d, new)] == ["j0003"] and driver.add_jobs(d, new) == []
    res = driver.run_fleet(d, workers=2)
    assert res.done == 4 and not res.quarantined  # j0002 (generate, image) and j0003 (both); j0001 not again
    assert sorted(_calls(d)).count("j0001 generate") == 1
    assert manifest.load_config(d).jobs[-1].params == {"k": 1}
    assert manifest.latest(d)[("j0002", "generate")].attempt == 1  # a quarantine is not a counted failure


def test_pipelines_are_registered_by_name(tmp_path):
    assert list(stages.stage_funcs("paired")) == ["generate", "simulate", "judge", "mine"]
    with pytest.raises(manifest.FleetError, match="unknown pipeline 'nope'"):
        stages.stage_funcs("nope")
    with pytest.raises(manifest.FleetError, match="pipeline order: generate,simulate,judge,mine"):
        driver.create_jobs_fleet(tmp_path / "f", [Job(job="a", persona="a", seed=0)], "t", ["judge", "generate"],
                                 pipeline="paired")
    assert not (tmp_path / "f").exists()


def test_the_manifest_model_and_the_viewer_share_one_stage_and_state_vocabulary():
    from typing import get_args

    from agent_harness.fleet import models
    from worldbuilder import fleet_stages
    from worldbuilder.viewer import fleets

    assert get_args(models.State) == fleet_stages.STATES
    assert models.STAGES is fleet_stages.STAGES is fleets.STAGES
