"""eval paired: statistics, and the offline loop end to end (train on 3 built-in computers, mine, compare
the weakened scripted agent with and without skills on 4 test computers from the same snapshots), killed
mid-way and resumed without redoing any finished run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_harness.eval.stats import bootstrap_ci, outcome, sign_test


def test_outcome_sign_test_and_bootstrap():
    assert outcome(10, 9.5, 1.0) == "tie" and outcome(10, 8.9, 1.0) == "win" and outcome(8, 10, 1.0) == "lose"
    assert outcome(10, 9.0, 1.0) == "tie"  # the margin is inclusive
    assert sign_test(4, 0) == pytest.approx(0.125) and sign_test(2, 2) == 1.0 and sign_test(0, 0) == 1.0
    assert sign_test(10, 0) == pytest.approx(2 / 1024)
    lo, hi = bootstrap_ci([1.0, 2.0, 3.0, 4.0])
    assert lo <= 2.5 <= hi and (lo, hi) == bootstrap_ci([1.0, 2.0, 3.0, 4.0])
    assert bootstrap_ci([5.0, 5.0]) == (5.0, 5.0)


def _cli(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "worldbuilder.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)


def _progress(out: Path) -> list[dict]:
    p = out / "progress.jsonl"
    return [json.loads(x) for x in p.read_text().splitlines()] if p.exists() else []


def test_bad_arguments_are_one_line(tmp_path):
    p = _cli("eval", "paired", "--train-computers", "0", "--test-computers", "1", "--out", tmp_path / "p")
    _, err = p.communicate(timeout=120)
    assert p.returncode != 0 and err.strip().splitlines() == ["error: --train-computers needs N values from 1 to "
                                                              "1000 (e.g. 1,3)"]


@pytest.mark.slow
@pytest.mark.alongside
def test_offline_loop_end_to_end_killed_and_resumed(tmp_path):
    out = tmp_path / "paired"
    args = ("eval", "paired", "--train-computers", "1,3", "--test-computers", "4", "--agent", "offline-weak",
            "--days", "2", "--out", out)
    first = _cli(*args)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:  # kill once two training runs are done and a third step has started
        ev = _progress(out)
        if sum(e["event"] == "finished" and e["step"].startswith("train") for e in ev) >= 2:
            break
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        time.sleep(0.5)
    time.sleep(3)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = _progress(out)
    finished = {e["step"] for e in before if e["event"] == "finished"}
    assert {"train train-00", "train train-01"} <= finished
    judged = {p: p.stat().st_mtime_ns for p in (out / "train").glob("*/judgement.json")}

    second = _cli(*args)
    stdout, stderr = second.communicate(timeout=1500)
    assert second.returncode == 0, stderr
    after = _progress(out)[len(before):]
    redone = {e["step"] for e in after if e["event"] == "started"} & finished
    assert not redone, f"finished steps redone: {redone}"
    assert {e["step"] for e in after if e["event"] == "skipped"} >= {"train train-00", "train train-01"}
    assert all(p.stat().st_mtime_ns == m for p, m in judged.items())  # finished judgements untouched

    # the table, paired.json, the PNG
    assert "win" in stdout and "sign-test p" in stdout and str(out / "paired.json") in stdout
    doc = json.loads((out / "paired.json").read_text())
    assert (out / "paired.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [r["n"] for r in doc["rows"]] == [1, 3] and len(doc["train_runs"]) == 3 and len(doc["tests"]) == 4
    for r in doc["rows"]:
        assert r["win"] + r["tie"] + r["lose"] == 4 and r["win_share"] == r["win"] / 4
        assert 0 <= r["sign_test_p"] <= 1 and r["mean_diff_ci95"][0] <= r["mean_diff"] <= r["mean_diff_ci95"][1]
    row3 = doc["rows"][1]
    assert row3["win"] >= 3, doc["rows"]  # with skills beats itself without on a majority of the 4 computers

    # skills mined from the 3 training runs validate; every run path exists and is judged
    v = subprocess.run([sys.executable, "-m", "worldbuilder.cli", "skills", "validate", row3["skills"]],
                       capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stderr
    prov = [json.loads(p.read_text()) for p in Path(row3["skills"]).glob("*/provenance.json")]
    assert {r for p in prov for r in p["runs"]} <= set(doc["train_runs"])
    assert len({r for p in prov for r in p["runs"]}) == 3
    for t in doc["tests"]:
        runs = t["runs"]
        assert set(runs) == {"baseline", "n1", "n3"}
        for path in runs.values():
            assert (Path(path) / "judgement.json").exists()
        # a true pair: both arms forked from the same anchor day-00 snapshot, same objectives
        for arm in ("baseline", "n3"):
            cfg = json.loads((Path(runs[arm]) / "run.json").read_text())
            assert cfg["forked_from"] == f"{t['anchor']}@day-00"
        assert (Path(runs["baseline"]) / "objectives.json").read_bytes() == \
            (Path(runs["n3"]) / "objectives.json").read_bytes()
        assert json.loads((Path(runs["baseline"]) / "run.json").read_text())["skills"] is None
        assert t["scores"]["n3"] - t["scores"]["baseline"] == pytest.approx(
            json.loads((Path(runs["n3"]) / "judgement.json").read_text())["total"]["points"]
            - json.loads((Path(runs["baseline"]) / "judgement.json").read_text())["total"]["points"])


def test_rerun_with_other_settings_is_refused(tmp_path):
    from agent_harness.eval.paired import Paired, PairedConfig
    from worldbuilder.errors import WorldbuilderError

    Paired(tmp_path / "p", PairedConfig(train=[1], test=1, days=2))
    Paired(tmp_path / "p", PairedConfig(train=[1, 3], test=2, days=2))  # more rows/tests: same experiment
    with pytest.raises(WorldbuilderError, match="other settings"):
        Paired(tmp_path / "p", PairedConfig(train=[1], test=1, days=3))
