"""eval paired --fleet: the same steps as fleet jobs (resumable manifests) give the same results as in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from agent_harness.eval.paired import Paired, PairedConfig
from agent_harness.eval.paired_fleet import plan
from agent_harness.fleet import manifest

ARGS = ("eval", "paired", "--train-computers", "1,2", "--test-computers", "1", "--agent", "offline-weak",
        "--days", "2")


def _cli(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "worldbuilder.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)


def test_engine_options_need_fleet(tmp_path):
    p = _cli(*ARGS, "--workers", "2", "--out", tmp_path / "p")
    _, err = p.communicate(timeout=120)
    assert p.returncode != 0 and err.strip().splitlines() == ["error: --workers needs --fleet"]
    assert not (tmp_path / "p").exists()


def test_plan_has_one_job_per_step_of_the_in_process_path(tmp_path):
    p = Paired(tmp_path / "p", PairedConfig(train=[1, 2], test=2))
    phases = plan(p)
    assert {k: v[0] for k, v in phases.items()} == {"train": ["generate", "simulate", "judge"], "skills": ["mine"],
                                                    "test": ["simulate", "judge"]}
    assert [j.job for j in phases["train"][1]] == ["train-00", "train-01", "test-00", "test-01"]
    assert [j.params["index"] for j in phases["train"][1]] == [0, 1, 2, 3]  # the in-process personas
    assert [j.job for j in phases["skills"][1]] == ["n1", "n2"]
    assert [j.job for j in phases["test"][1]] == [f"test-0{i}.{a}" for i in (0, 1)
                                                  for a in ("baseline", "skills-n1", "skills-n2")]


def _done_twice(fleet: Path) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], int] = {}
    for r in manifest.records(fleet):
        if r.state == "done":
            seen[(r.job, r.stage)] = seen.get((r.job, r.stage), 0) + 1
    return [k for k, n in seen.items() if n > 1]


def _events(out: Path) -> list[dict]:
    p = out / "progress.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines()] if p.exists() else []


@pytest.mark.slow
@pytest.mark.alongside
def test_fleet_results_equal_in_process_results_after_a_kill(tmp_path):
    """N=1,2 training, 1 test computer, 2 days, weakened offline agent: in-process, then as fleet jobs
    (killed mid-way, rerun); the table, rows, pairs, plot and skills are identical."""
    a, b = tmp_path / "inproc", tmp_path / "fleet"
    first = _cli(*ARGS, "--out", a)
    out_a, err_a = first.communicate(timeout=1500)
    assert first.returncode == 0, err_a

    killed = _cli(*ARGS, "--out", b, "--fleet", "--workers", "2")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:  # kill once a training run is done (others in flight)
        if any(e["event"] == "finished" and e["step"].startswith("train") for e in _events(b)):
            break
        assert killed.poll() is None, killed.stderr.read() if killed.stderr else ""
        time.sleep(0.5)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    before = _events(b)
    finished = {e["step"] for e in before if e["event"] == "finished"}
    assert any(s.startswith("train") for s in finished)

    second = _cli(*ARGS, "--out", b, "--fleet", "--workers", "2")
    out_b, err_b = second.communicate(timeout=1500)
    assert second.returncode == 0, err_b
    assert not {e["step"] for e in _events(b)[len(before):] if e["event"] == "started"} & finished
    for phase in ("train", "skills", "test"):
        assert _done_twice(b / "fleet" / phase) == [], phase

    # identical results: table, rows (but for the skills path), per-pair scores and outcomes, plot, skills
    assert out_a.splitlines()[:3] == out_b.splitlines()[:3]
    da, db = (json.loads((d / "paired.json").read_text()) for d in (a, b))
    strip = [{k: v for k, v in r.items() if k != "skills"} for r in da["rows"]]
    assert strip == [{k: v for k, v in r.items() if k != "skills"} for r in db["rows"]]
    assert [(t["computer"], t["scores"], t["outcome"]) for t in da["tests"]] == \
        [(t["computer"], t["scores"], t["outcome"]) for t in db["tests"]]
    assert len({t["scores"]["baseline"] for t in da["tests"]} | {t["scores"]["n2"] for t in da["tests"]}) > 1
    assert (a / "paired.png").read_bytes() == (b / "paired.png").read_bytes()
    skills_a = {p.relative_to(a): p.read_bytes() for p in (a / "skills").rglob("SKILL.md")}
    assert skills_a and skills_a == {p.relative_to(b): p.read_bytes() for p in (b / "skills").rglob("SKILL.md")}
    for t in db["tests"]:  # still true pairs: every arm forked from its anchor's day-00 snapshot
        for run in t["runs"].values():
            assert json.loads((Path(run) / "run.json").read_text())["forked_from"] == f"{t['anchor']}@day-00"


@pytest.mark.parametrize("opt,value,words", [("--agent", "nope", "unknown agent 'nope'"),
                                             ("--miner", "gpt", "unknown miner 'gpt'"),
                                             ("--max-skills", "0", "--max-skills must be at least 1")])
def test_bad_agent_miner_or_cap_is_refused_before_anything_is_written(tmp_path, opt, value, words):
    p = _cli("eval", "paired", "--train-computers", "1", "--test-computers", "1", opt, value, "--out", tmp_path / "p")
    _, err = p.communicate(timeout=120)
    assert p.returncode != 0 and len(err.strip().splitlines()) == 1 and words in err
    assert not (tmp_path / "p").exists()


@pytest.mark.ray
@pytest.mark.slow
def test_fleet_on_ray_gives_the_in_process_results(tmp_path):
    """--engine ray (a local Ray instance): one training and one test computer, one day."""
    pytest.importorskip("ray")
    small = ("eval", "paired", "--train-computers", "1", "--test-computers", "1", "--agent", "offline-weak",
             "--days", "1")
    a, b = tmp_path / "inproc", tmp_path / "ray"
    runs = [_cli(*small, "--out", a), _cli(*small, "--out", b, "--fleet", "--engine", "ray", "--workers", "2")]
    outs = [p.communicate(timeout=900) for p in runs]
    assert all(p.returncode == 0 for p in runs), [err for _, err in outs]
    assert outs[0][0].splitlines()[:2] == outs[1][0].splitlines()[:2]
    da, db = (json.loads((d / "paired.json").read_text()) for d in (a, b))
    assert [t["scores"] for t in da["tests"]] == [t["scores"] for t in db["tests"]]
    assert (a / "paired.png").read_bytes() == (b / "paired.png").read_bytes()
    nodes = {r.node for r in manifest.records(b / "fleet" / "test") if r.state == "done"}
    assert len(nodes) == 1 and None not in nodes  # Ray node ids, recorded per job-stage


@pytest.mark.slow
@pytest.mark.alongside
def test_a_failing_job_stops_with_one_line_and_a_rerun_tries_it_again(tmp_path):
    """A job-stage that fails for good (its computer's place is taken by a file) is quarantined; eval paired
    stops with one line naming the fleet, job and stage; a rerun gives it one more attempt."""
    out = tmp_path / "p"
    (out / "computers").mkdir(parents=True)
    (out / "computers" / "train-00").write_text("in the way\n")
    cfg = asdict(PairedConfig(train=[1], test=1, days=1)) | {"llm_base_url": None}  # the CLI's defaults
    (out / "config.json").write_text(json.dumps(cfg))  # an evaluation folder, so --out is accepted
    args = ("eval", "paired", "--train-computers", "1", "--test-computers", "1", "--days", "1", "--out", out,
            "--fleet", "--workers", "2")
    for attempt in (1, 2):
        p = _cli(*args)
        _, err = p.communicate(timeout=600)
        last = err.strip().splitlines()[-1]
        assert p.returncode != 0 and last.startswith(f"error: fleet {out / 'fleet' / 'train'}: train-00 generate "
                                                     "quarantined: "), err
        assert ("retrying: train train-00" in err) == (attempt == 2)
    latest = manifest.latest(out / "fleet" / "train")
    assert latest[("test-00", "simulate")].state == "done"  # the other job went on
    assert not (out / "fleet" / "skills").exists() and not (out / "paired.json").exists()
