"""The in-computer Harbor grader runs the judge's own scoring modules (copied into tests/wbjudge, imported
without pydantic) and gives the host judge's points/max for the same outputs; a single-deliverable run
stops once the deliverable is submitted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent_harness.bench.harbor_tests import write_tests
from agent_harness.bench.single import SIMULATION_KINDS, single_objectives
from agent_harness.judge import judge_run
from agent_harness.judge.rundata import computer_view
from agent_harness.objectives import write_objectives
from agent_harness.paths import home_of
from agent_harness.runs import SimOptions, new_run
from agent_harness.simulation import ALL_SUBMITTED
from worldbuilder.api import generate
from worldbuilder.personas import load_personas
from worldbuilder.spec import ComputerSpec

DERIVED = {"table_row", "ranking", "constraint_satisfied", "value_reported", "text_matches", "text_absent",
           "length_between", "has_formula", "mentions_all", "table_contains"}
# Runs grade.py as test.sh does, with pydantic made unimportable (the computer has none) and a check that
# every judge module came from tests/wbjudge, not from this checkout.
RUNNER = """
import runpy, sys
sys.modules["pydantic"] = None
grade, *args = sys.argv[1:]
sys.argv = [grade, *args]
try:
    runpy.run_path(grade, run_name="__main__")
except SystemExit as e:
    code = e.code
bad = [n for n, m in ((n, m) for n, m in sys.modules.items() if n.split(".")[0] in ("agent_harness", "worldbuilder"))
       if m and "wbjudge" not in (getattr(m, "__file__", "") or "")]
assert not bad, bad
assert any(n == "agent_harness.judge.criteria_work" for n in sys.modules), "derived kinds not loaded"
sys.exit(code)
"""


@pytest.fixture(scope="module")
def single_run(tmp_path_factory):
    """A computer whose objectives hold one deliverable (single-task rubric), run locally until submitted."""
    base = tmp_path_factory.mktemp("harbor-grader")
    computer = base / "computer"
    generate(load_personas()[0], computer, seed=0, size="small")
    full = write_objectives(computer, days=6, out=base / "objectives.json")
    did = max(full.deliverables, key=lambda d: sum(c.check.get("type") in DERIVED for c in d.rubric)).id
    one, dropped = single_objectives(full, did, days=4)
    (computer / "objectives.json").write_text(one.model_dump_json(indent=1))
    sim = new_run(computer, base / "run", SimOptions(days=one.days, turns_per_day=80, runtime="local"))
    sim.stop_when_submitted = True
    summary = sim.run()
    return computer, base / "run", one, dropped, summary


def _grade_in_subprocess(tests: Path, root: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER, str(tests / "grade.py"), str(tests / "grading.json"),
                           str(out), str(root)], capture_output=True, text=True, cwd=out.parent, timeout=300)


def _snapshot_root(run: Path) -> Path:
    snaps = json.loads((run / "snapshots.json").read_text())["snapshots"]
    return Path(max(snaps, key=lambda s: s["day"])["ref"])


def test_single_deliverable_run_stops_when_submitted(single_run):
    _, run, one, dropped, summary = single_run
    assert len(one.deliverables) == 1 and not one.scenario
    assert all(c.check.get("type") not in SIMULATION_KINDS for c in one.deliverables[0].rubric)
    assert dropped  # the full rubric had message/submission criteria
    assert summary.status == "stopped" and summary.stop_reason == ALL_SUBMITTED
    assert summary.days_completed < one.days and one.deliverables[0].id in summary.deliverables


def test_harbor_grader_gives_the_host_judges_score(single_run, tmp_path):
    computer, run, one, _, _ = single_run
    host = judge_run(run).deliverables[0]
    spec = ComputerSpec.load(computer)
    sources = computer_view(str(computer), tuple(sorted(one.deliverables[0].sources)))[3]
    write_tests(tmp_path / "tests", spec, one, home_of(spec), one.days, sources)
    proc = _grade_in_subprocess(tmp_path / "tests", _snapshot_root(run), tmp_path / "verifier")
    assert proc.returncode == 0, proc.stderr
    reward = json.loads((tmp_path / "verifier" / "reward.json").read_text())
    assert all(isinstance(v, int | float) for v in reward.values())  # Harbor rejects anything else
    detail = json.loads((tmp_path / "verifier" / "grading.json").read_text())
    assert 0 < host.points < host.max
    assert reward["reward"] == pytest.approx(host.points / host.max, abs=1e-9)
    assert (reward["points"], reward["max"]) == (host.points, host.max)
    assert [(i["id"], i["points"], i["status"]) for i in detail["items"]] == \
        [(i.id, i.points, i.status) for i in host.items]
    kinds = {i.kind for i in host.items}
    assert kinds & (DERIVED - {"table_contains"}), kinds  # derived-value kinds are judged, not skipped


def test_harbor_grader_scores_missing_outputs_zero(single_run, tmp_path):
    computer, run, one, _, _ = single_run
    spec = ComputerSpec.load(computer)
    write_tests(tmp_path / "tests", spec, one, home_of(spec), one.days, {})
    empty = tmp_path / "root"
    shutil.copytree(_snapshot_root(run), empty, symlinks=True)
    for o in one.deliverables[0].outputs:
        for p in empty.glob(f"home/*/{o.path}"):
            p.unlink()
    proc = _grade_in_subprocess(tmp_path / "tests", empty, tmp_path / "verifier")
    assert proc.returncode == 0, proc.stderr
    reward = json.loads((tmp_path / "verifier" / "reward.json").read_text())
    assert reward["reward"] == 0.0 and reward["max"] == sum(c.points for c in one.deliverables[0].rubric)


def test_export_splits_sources_into_single_deliverable_tasks(single_run, tmp_path):
    from agent_harness.bench.errors import BenchError
    from agent_harness.bench.export import split, task_id
    from agent_harness.bench.model import GraderConfig, SimSettings
    from agent_harness.bench.results import Results, TaskResult, row
    from agent_harness.bench.sources import Source
    from agent_harness.objectives import load_objectives

    computer, *_ = single_run
    full = load_objectives(computer.parent / "objectives.json")
    src = Source(computer, ComputerSpec.load(computer), full, "img", 0,
                 GraderConfig(sim=SimSettings(days=6, turns_per_day=80)), computer)
    assert split([src], None) == [src]
    parts = split([src], ["all"])
    assert [p.grader.deliverable for p in parts] == [d.id for d in full.deliverables]
    for p, d in zip(parts, full.deliverables, strict=True):
        assert [x.id for x in p.objectives.deliverables] == [d.id] and p.grader.sim.days == p.objectives.days
        assert set(p.grader.dropped) == {c.id for c in d.rubric if c.check.get("type") in SIMULATION_KINDS}
    taken: set[str] = set()
    assert task_id(parts[0], taken, parts[0].grader.deliverable).endswith(full.deliverables[0].id.replace("_", "-"))
    with pytest.raises(BenchError, match="no exported computer has deliverable 'dlv_999'"):
        split([src], ["dlv_999"])
    with pytest.raises(BenchError, match="unknown deliverable"):
        single_objectives(full, "dlv_999")
    res = Results(bundle="b", version="1", agent="offline", created="x", tasks=[
        TaskResult(id="c-day00", points=3, max=6, status="stopped", run="r", deliverable="dlv_002")])
    assert "c-day00 [dlv_002] 3/6" in row(res)
