"""Fast unit tests of the harness logic on LocalComputer (no Docker, no isolation)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from agent_harness import mailbox
from agent_harness.clock import Clock
from agent_harness.models import MessageRecord, SnapshotIndex, TurnRecord
from agent_harness.objectives import briefing, write_objectives
from agent_harness.objectives_offline import bump_display
from agent_harness.runlog import JsonlLog, RunDir
from agent_harness.runs import SimOptions, fork, new_run, resume
from agent_harness.textract import extract_text
from agent_harness.tools import Budget, DayOver, Toolbox
from worldbuilder.errors import CommandTimeout, PathOutsideComputer
from worldbuilder.runtime.local_backend import LocalComputer, LocalSnapshots
from worldbuilder.spec import ComputerSpec

T0, T1 = datetime(2025, 6, 2, 9), datetime(2026, 1, 9, 17)  # history_end is a Friday


def _spec() -> dict:
    people = [("p01", "Dana Whitfield", "Managing Director", "org1", "manager"),
              ("p02", "Luis Ortega", "Senior Analyst", "org1", "colleague"),
              ("p03", "Priya Castellano", "Client", "org2", "external"),
              ("p04", "Sam Reed", "Brother", "org1", "family")]
    facts = [("f01", "Q4 revenue", 1245300, "USD", "$1,245,300", "pr1"),
             ("f02", "Retention rate", 93.5, "%", "93.5%", "pr1"),
             ("f03", "Client AUM", 48200000, "USD", "$48,200,000", "pr2"),
             ("f04", "Fee rate", 0.85, "%", "0.85%", "pr2")]
    files = [("Projects/ORION/ORION_plan.docx", "docx", "project_plan", ["pr1", "f01", "f02"]),
             ("Projects/ORION/ORION_metrics.xlsx", "xlsx", "metrics", ["pr1", "f01"]),
             ("Clients/Castellano/CAST_review.docx", "docx", "client_review", ["pr2", "f03", "f04"]),
             ("Clients/Castellano/notes.md", "md", "meeting_notes", ["pr2", "f03"]),
             ("Admin/handbook.md", "md", "handbook", [])]
    return {
        "id": "unit0000test", "persona": "a senior analyst", "generation": {
            "backend": "offline", "tool_version": "0", "seed": 0, "size": "small"},
        "profile": {"full_name": "Alex Moreno", "first_name": "Alex", "last_name": "Moreno", "username": "amoreno",
                    "email": "alex@meridian.com", "occupation": "financial_advisor",
                    "occupation_label": "Financial Advisor", "sector": "finance", "employer": "Meridian Partners",
                    "job_title": "Senior Analyst", "seniority": "senior", "location": "Denver",
                    "timezone": "America/Denver", "work_style": "careful", "career_start": "2015-01-01"},
        "world": {
            "organisations": [{"id": "org1", "name": "Meridian Partners", "kind": "employer", "domain": "meridian.com"},
                              {"id": "org2", "name": "Castellano Family Office", "kind": "client",
                               "domain": "castellano.com"}],
            "people": [{"id": i, "name": n, "email": f"{n.split()[0].lower()}@x.com", "role": r, "organisation": o,
                        "relation": rel} for i, n, r, o, rel in people],
            "projects": [
                {"id": "pr1", "name": "Orion model refresh", "code": "ORION", "description": "Refresh the models",
                 "owner": "p01", "members": ["p02"], "start": "2025-09-01", "end": "2026-03-01", "status": "active"},
                {"id": "pr2", "name": "Castellano annual review", "code": "CAST", "description": "Annual review",
                 "owner": "p02", "members": [], "client": "org2", "start": "2025-10-01", "end": "2026-02-01",
                 "status": "active"}],
            "facts": [{"id": i, "label": lab, "value": v, "unit": u, "display": d, "project": p}
                      for i, lab, v, u, d, p in facts],
            "history_start": T0.isoformat(), "history_end": T1.isoformat()},
        "layout": {"kind": "linux", "home": "/home/amoreno"},
        "files": [{"path": p, "type": t, "created": T0.isoformat(), "modified": T1.isoformat(),
                   "content": {"kind": k, "title": Path(p).stem, "refs": refs}} for p, t, k, refs in files]}


def _render(tree: Path) -> None:
    d = Document()
    d.add_heading("Orion model refresh plan", 0)
    d.add_paragraph("The Orion refresh rebuilds the allocation models for the investment committee this quarter.")
    d.add_paragraph("Q4 revenue came in at $1,245,300 and the retention rate held at 93.5% across households.")
    (tree / "Projects/ORION").mkdir(parents=True)
    d.save(tree / "Projects/ORION/ORION_plan.docx")
    wb = Workbook()
    ws = wb.active
    ws.title = "Metrics"
    ws.append(["Metric", "Value"])
    ws.append(["Q4 revenue", "$1,245,300"])
    wb.save(tree / "Projects/ORION/ORION_metrics.xlsx")
    d = Document()
    d.add_heading("Castellano annual client review", 0)
    d.add_paragraph("Client AUM stands at $48,200,000 with the fee rate at 0.85% under the current agreement.")
    (tree / "Clients/Castellano").mkdir(parents=True)
    d.save(tree / "Clients/Castellano/CAST_review.docx")
    (tree / "Clients/Castellano/notes.md").write_text("# Castellano meeting notes\n\nThe family wants a clearer "
                                                       "view of the Client AUM of $48,200,000 and of all fees.\n")
    (tree / "Admin").mkdir()
    (tree / "Admin/handbook.md").write_text("# Staff handbook\n\nGeneral policies for all staff members here.\n")


@pytest.fixture(scope="module")
def computer_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("computer")
    ComputerSpec.model_validate(_spec()).save(root / "spec.json")
    (root / "tree").mkdir()
    _render(root / "tree")
    return root


def _local(tmp_path: Path) -> LocalComputer:
    return LocalComputer(tmp_path / "root", "amoreno", "/home/amoreno")


# --------------------------------------------------------------------------- local backend


def test_local_computer_confines_paths_and_times_out(tmp_path):
    c = _local(tmp_path)
    c.write("a/b.txt", b"hi")
    assert c.read("/home/amoreno/a/b.txt") == b"hi" and c.listdir("a") == ["b.txt"]
    assert c.exec("cat a/b.txt && echo $HOME").stdout.startswith("hi")
    for bad in ("../../../etc/passwd", "/../../etc/passwd", "~/../../../x"):
        with pytest.raises(PathOutsideComputer):
            c.read(bad)
    with pytest.raises(CommandTimeout):
        c.exec("sleep 5", timeout=0.3)


def test_local_snapshots_restore_and_diff(tmp_path):
    c = _local(tmp_path)
    snaps = LocalSnapshots(c, tmp_path / "snaps")
    c.write("x.txt", b"1")
    snaps.snapshot("day-01")
    c.write("x.txt", b"22")
    c.write("y.txt", b"new")
    snaps.snapshot("day-02")
    d = snaps.diff("day-01", "day-02")
    assert d.added == ["home/amoreno/y.txt"] and d.changed == ["home/amoreno/x.txt"] and d.deleted == []
    c2 = snaps.restore("day-01")
    assert c2.read("x.txt") == b"1" and "y.txt" not in c2.listdir(".")


# --------------------------------------------------------------------------- run log


def test_jsonl_torn_line_is_truncated(tmp_path):
    p = tmp_path / "t.jsonl"
    log = JsonlLog(p, TurnRecord)
    log.append(TurnRecord(turn=1, day=1, actor="agent", tool="shell"))
    log.close()
    with open(p, "a") as fh:
        fh.write('{"turn": 2, "day": 1, "act')
    log = JsonlLog(p, TurnRecord)
    assert [r.turn for r in log] == [1]
    log.append(TurnRecord(turn=2, day=2, actor="agent", tool="shell"))
    assert log.keep_only(lambda r: r.day <= 1) == 1
    log.close()
    assert p.read_text().count("\n") == 1


# --------------------------------------------------------------------------- objectives, clock


def test_offline_objectives_are_grounded(computer_dir):
    obj = write_objectives(computer_dir, days=20)
    spec = ComputerSpec.load(computer_dir)
    assert 3 <= len(obj.deliverables) <= 6 and 100 <= obj.total_points <= 250
    people = {p.id for p in spec.world.people}
    for d in obj.deliverables:
        assert d.id.startswith("dlv_") and d.sources and all((computer_dir / "tree" / s).is_file() for s in d.sources)
        assert {s.id for s in d.stakeholders} <= people and "p04" not in {s.id for s in d.stakeholders}
        assert any(o.format in ("docx", "pptx", "md") for o in d.outputs) and 1 <= d.start_day <= d.due_day <= 20
        assert any(c.check["type"] == "source_used" for c in d.rubric) and 15 <= len(d.rubric) <= 40
    kinds = {e.kind: e for e in obj.scenario}
    assert kinds["change"].day == 12 and kinds["correction"].day == 17 and kinds["request"].day == 3
    assert kinds["correction"].old in {f.display for f in spec.world.facts}  # no tables here: a key figure
    assert json.loads((computer_dir / "objectives.json").read_text())["deliverables"]
    assert "rubric" not in json.dumps(briefing(obj, spec))


def test_bump_display_keeps_format():
    assert bump_display("$1,245,300") == "$1,288,886"
    assert bump_display("93.5%") == "96.8%"


def test_clock_skips_weekends():
    c = Clock(days=5, start=date(2026, 1, 9))  # Friday
    assert [c.date(d).isoformat() for d in (1, 5)] == ["2026-01-12", "2026-01-16"]
    assert Clock(days=5).scaled(12) == 3 and Clock(days=5).scaled(17) == 4


# --------------------------------------------------------------------------- tools and mailbox


def test_tools_mailbox_and_documents(tmp_path, computer_dir):
    spec = ComputerSpec.load(computer_dir)
    c = _local(tmp_path)
    mailbox.install(c, spec)
    turns: list[TurnRecord] = []
    tb = Toolbox(c, turns.append, 1, 0, Budget(day_turns=11), {"dlv_001"}, command_timeout=2)
    r = tb.call("make_document", {"path": "out/r.docx", "kind": "docx", "spec": {
        "title": "T", "blocks": [{"heading": "Key figures"}, {"paragraph": "Q4 revenue $1,245,300"}]}})
    assert not r.error, r.text
    assert "$1,245,300" in tb.call("read_file", {"path": "out/r.docx"}).text
    r = tb.call("make_document", {"path": "out/r.xlsx", "kind": "xlsx",
                                  "spec": {"sheets": [{"name": "Key figures", "columns": ["a"], "rows": [[1]]}]}})
    assert not r.error and "Key figures" in extract_text("r.xlsx", c.read("out/r.xlsx"))
    assert not tb.call("send_message", {"to": "Dana", "subject": "hi", "body": "line1\n'quoted' $x"}).error
    assert tb.call("send_message", {"to": "Nobody", "subject": "x", "body": "y"}).error
    out = mailbox.collect_outbox(c)
    assert len(out) == 1 and out[0]["to"] == "p01" and out[0]["body"] == "line1\n'quoted' $x"
    mailbox.deliver(c, MessageRecord(id="m0001", day=1, direction="to_user", sender="p01", to=["user"],
                                     subject="S", body="B"), "Dana Whitfield", "dana@x.com")
    assert "m0001" in tb.call("read_inbox").text and "no unread" in tb.call("read_inbox").text
    assert tb.call("shell", {"cmd": "sleep 5"}).error  # killed at its timeout, error result
    assert tb.call("bogus", {}).error and tb.call("submit", {"deliverable_id": "dlv_009", "paths": ["x"]}).error
    assert not tb.call("submit", {"deliverable_id": "dlv_001", "paths": ["out/r.docx"]}).error
    with pytest.raises(DayOver):
        tb.call("shell", {"cmd": "true"})  # 11 turns used
    assert [t.turn for t in turns] == list(range(1, 12)) and sum(t.error for t in turns) == 4


# --------------------------------------------------------------------------- simulation


def test_local_simulation_resume_and_fork(tmp_path, computer_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SENTINEL-unit-123456")
    opts = SimOptions(days=5, turns_per_day=40, runtime="local")
    sim = new_run(computer_dir, tmp_path / "run", opts)
    summary = sim.run()
    run = RunDir(tmp_path / "run")
    assert summary.status == "completed" and summary.days_completed == 5
    assert [s.label for s in run.snapshots().snapshots] == [f"day-{d:02d}" for d in range(6)]
    msgs = run.messages()
    assert any(m.kind == "correction" for m in msgs) and any(m.kind == "change" for m in msgs)
    assert any(m.kind == "approval" for m in msgs), [m.kind for m in msgs]
    obj = run.objectives()
    corr = next(e for e in obj.scenario if e.kind == "correction")
    out = next(d for d in obj.deliverables if d.id == corr.deliverable).outputs[0]
    text = extract_text(out.path, (run.deliverables_dir / corr.deliverable / Path(out.path).name).read_bytes())
    assert corr.new in text and corr.old not in text
    assert set(summary.deliverables) == {d.id for d in obj.deliverables}
    for p in run.root.rglob("*"):
        if p.is_file():
            assert b"SENTINEL" not in p.read_bytes(), p
    # resume after "crashing" in day 3: keep days 1-2, rerun 3-5
    turns = run.turns()
    idx = SnapshotIndex(snapshots=[s for s in run.snapshots().snapshots if s.day <= 2])
    run.snapshots_json.write_text(idx.model_dump_json())
    with open(run.turns_jsonl, "a") as fh:
        fh.write('{"turn": 99999, "day": 3, "actor"')
    sim = resume(run.root)
    assert sim.run().days_completed == 5
    days = sorted({t.day for t in run.turns() if t.actor == "agent"})
    assert days == [1, 2, 3, 4, 5] and len({t.turn for t in run.turns()}) == len(run.turns())
    assert sorted(t.day for t in run.turns() if t.tool == "snapshot") == [0, 1, 2, 3, 4, 5]
    assert len(run.turns()) >= len(turns) - 40
    # fork from day 3
    f = fork(f"{run.root}@day-03", tmp_path / "fork")
    assert f.run().days_completed == 5
    assert RunDir(tmp_path / "fork").config().forked_from.endswith("@day-03")
    assert os.path.isdir(tmp_path / "fork" / "deliverables")


def test_dead_computer_restarts_the_day_from_last_snapshot(tmp_path, computer_dir):
    from agent_harness.agents.scripted import ScriptedAgent

    class Crashing(ScriptedAgent):
        crashed = False

        def run_day(self, day, today, tools):
            if day == 2 and not Crashing.crashed:
                Crashing.crashed = True
                tools.call("read_inbox")
                tools.call("write_file", {"path": "lost.txt", "content": "written before the crash"})
                tools.computer.close()  # the computer dies mid-day
            super().run_day(day, today, tools)

    sim = new_run(computer_dir, tmp_path / "run", SimOptions(days=3, turns_per_day=40, runtime="local"))
    agent = Crashing()
    agent.start(sim.agent.brief)
    sim.agent = agent
    s = sim.run()
    run = RunDir(tmp_path / "run")
    turns = run.turns()
    restore = [t for t in turns if t.tool == "restore"]
    assert s.status == "completed" and s.days_completed == 3 and s.restores == 1
    assert len(restore) == 1 and restore[0].day == 2 and restore[0].error and "day-01" in restore[0].result
    rolled = [t for t in turns if t.rolled_back]
    # the crashed attempt: read_inbox, write_file, then the call that found the computer dead
    assert [t.tool for t in rolled][:2] == ["read_inbox", "write_file"]
    assert all(t.day == 2 and t.turn < restore[0].turn for t in rolled)
    assert restore[0].args["rolled_back_turns"] == len(rolled) and s.rolled_back_turns == len(rolled)
    day2 = [t for t in turns if t.day == 2 and t.actor == "agent" and not t.rolled_back]
    assert day2[0].tool == "read_inbox" and all(t.turn > restore[0].turn for t in day2)  # restarted from its start
    assert s.turns == len([t for t in turns if t.actor == "agent" and not t.rolled_back])
    assert next(d for d in s.per_day if d.day == 2).restarts == 1
    assert sorted(t.day for t in turns if t.tool == "snapshot") == [0, 1, 2, 3]
    lines = run.turns_jsonl.read_text().splitlines()  # backward compatible: the key only where true
    assert sum('"rolled_back":true' in ln for ln in lines) == len(rolled)
    assert not any('"rolled_back":false' in ln for ln in lines)
    from worldbuilder.runtime.local_backend import LocalComputer

    final = LocalComputer(run.snapshots().get(3).ref, "amoreno", "/home/amoreno")
    assert "lost.txt" not in final.listdir(".")  # the abandoned attempt's files are gone
    assert json.loads(final.read(".mail/today.json"))["day"] == 3


def test_run_budget_stops_cleanly_at_a_boundary(tmp_path, computer_dir):
    from agent_harness.models import Limits

    sim = new_run(computer_dir, tmp_path / "run", SimOptions(days=5, turns_per_day=40, runtime="local",
                                                             limits=Limits(max_turns=20)))
    s = sim.run()
    run = RunDir(tmp_path / "run")
    assert s.status == "stopped" and "turn budget" in s.stop_reason
    assert run.snapshots().last().day == s.days_completed < 5
    assert s.turns <= 20


# --------------------------------------------------------------------------- LLM objectives, rescaling


def _llm_objectives_answer(request: dict) -> dict:
    """A model answer built from the request's own draft: one bad person, one family member, one missing file,
    one new real source, a new section and criteria worth far too many points."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    world, _ = json.JSONDecoder().raw_decode(user)
    assert "Projects/ORION/ORION_plan.docx" in world["files"] and world["days"] == 20
    out = []
    for i, d in enumerate(world["draft"]):
        out.append({"id": d["id"], "title": f"LLM title {i + 1}: quarterly pack",
                    "description": f"LLM description {i + 1}, agreed with the committee; due on day {d['due_day']}.",
                    "stakeholders": ["p02", "p99", "p04"], "due_day": 2 if i == 1 else d["due_day"],
                    "sources": ["Projects/ORION/ghost_file.docx", "Clients/Castellano/notes.md"],
                    "sections": ["Methodology"],
                    "criteria": [{"text": "explains every change against last quarter", "points": 90}]})
    return {"deliverables": out}


def test_llm_objective_writer_retries_and_grounds(computer_dir, tmp_path, monkeypatch, scripted_llm_server):
    from scripted_llm import Reply, sequence

    from agent_harness.objectives import load_objectives

    monkeypatch.setenv("WORLDBUILDER_LLM_CACHE", str(tmp_path / "cache"))
    scripted_llm_server.handler = sequence([
        Reply.json({"deliverables": [{"id": "dlv_001", "title": "only a title"}]}),  # invalid: fed back
        _llm_objectives_answer])
    notes: list[str] = []
    out = tmp_path / "objectives.json"
    obj = write_objectives(computer_dir, backend="openai:scripted", days=20, out=out,
                           llm_base_url=scripted_llm_server.url, notes=notes)
    assert scripted_llm_server.count == 2
    retry = scripted_llm_server.chat_requests[1].body["messages"]
    assert "That answer was invalid" in retry[-1]["content"] and "description" in retry[-1]["content"]
    assert load_objectives(out) == obj and obj.backend == "openai:scripted"
    spec = ComputerSpec.load(computer_dir)
    assert [d.title for d in obj.deliverables] == [f"LLM title {i + 1}: quarterly pack"
                                                  for i in range(len(obj.deliverables))]
    assert 100 <= obj.total_points <= 200  # the model's 90-point criteria are capped (5) then normalised
    assert all(c.points <= 5 for d in obj.deliverables for c in d.rubric if c.check.get("from_model"))
    for d in obj.deliverables:
        ids = [s.id for s in d.stakeholders]
        assert set(ids) <= {p.id for p in spec.world.people}
        assert ids[0] == "p02" and "p99" not in ids and "p04" not in ids  # family is not a stakeholder
        assert "Projects/ORION/ghost_file.docx" not in d.sources
        assert all((computer_dir / "tree" / src).is_file() for src in d.sources)
        assert "Methodology" in d.sections and any(c.check["type"] == "judge" for c in d.rubric)
        submitted = next(c for c in d.rubric if c.check["type"] == "submitted_by")
        assert submitted.check["day"] == d.due_day and all(c.points >= 1 for c in d.rubric)
        for ev in obj.scenario:  # events keep their person as a stakeholder and land before the due day
            if ev.deliverable == d.id:
                assert ev.person in ids and d.due_day > ev.day
    assert obj.deliverables[1].due_day == 2
    assert any("ghost_file.docx" in n for n in notes) and any("p99" in n for n in notes)


def test_rescale_keeps_text_and_moves_days(computer_dir, tmp_path):
    from agent_harness.objectives_scale import rescale_objectives

    obj = write_objectives(computer_dir, days=20, out=tmp_path / "o.json")
    obj.deliverables[0].title = "Hand-written title, review on day 10"
    small = rescale_objectives(obj, 5)
    assert small.days == 5 and small.rescaled_from == 20 and obj.days == 20
    assert small.deliverables[0].title == "Hand-written title, review on day 3"
    assert [(e.kind, e.day) for e in small.scenario] == [("request", 1), ("request", 1), ("change", 3),
                                                          ("correction", 4)]
    for d in small.deliverables:
        assert 1 <= d.due_day <= 5 and f"by day {d.due_day}" in d.description
        checks = {c.check["type"]: c for c in d.rubric}
        assert checks["submitted_by"].check["day"] == d.due_day == checks["submitted_by"].check["day"]
        for kind in ("change", "correction"):
            if kind in checks:
                assert checks[kind].check["day"] == next(e.day for e in small.scenario if e.kind == kind)
                assert f"day-{checks[kind].check['day']}" in checks[kind].text
    assert '"rescaled_from"' not in obj.model_dump_json() and '"rescaled_from":20' in small.model_dump_json()


# --------------------------------------------------------------------------- CLI: bad input, resume, runs rm


def _cli(*args: str, cwd: Path | None = None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "worldbuilder.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def cli_run(computer_dir, tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the computer (objectives written for 20 days) and a finished 2-day local run made by the CLI."""
    import shutil

    base = tmp_path_factory.mktemp("cli")
    comp = base / "computer"
    shutil.copytree(computer_dir, comp, ignore=shutil.ignore_patterns("objectives.json"))
    assert _cli("objectives", str(comp), "--days", "20").returncode == 0
    r = _cli("simulate", str(comp), "--runtime", "local", "--days", "2", "--turns-per-day", "15",
             "--run-dir", str(base / "run"))
    assert r.returncode == 0, r.stderr
    assert "rescaled to 2" in r.stderr  # objectives for 20 days were rescaled, not regenerated
    return comp, base / "run"


def _one_line_error(r) -> str:
    assert r.returncode != 0, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_cli_bad_input_is_one_line_and_leaves_nothing(cli_run, tmp_path):
    comp, run = cli_run
    out = tmp_path / "out"
    assert "does not exist" in _one_line_error(_cli("simulate", str(tmp_path / "nope"), "--runtime", "local"))
    assert "spec" in _one_line_error(_cli("simulate", str(tmp_path), "--runtime", "local", "--run-dir", str(out)))
    assert "--days" in _one_line_error(_cli("simulate", str(comp), "--days", "0", "--run-dir", str(out)))
    assert "--days" in _one_line_error(_cli("objectives", str(comp), "--days", "0"))
    err = _one_line_error(_cli("simulate", str(comp), "--runtime", "local", "--agent", "gpt4", "--run-dir", str(out)))
    assert "unknown agent 'gpt4'" in err
    err = _one_line_error(_cli("simulate", "--from", f"{run}@day-99", "--run-dir", str(out)))
    assert "no snapshot for day 99" in err
    assert not out.exists()
    bad = tmp_path / "badcomp"
    import shutil

    shutil.copytree(comp, bad)
    (bad / "objectives.json").write_text('{"format": "1.0", "deliverables": [')
    out.mkdir()  # an existing empty run directory stays untouched
    err = _one_line_error(_cli("simulate", str(bad), "--runtime", "local", "--run-dir", str(out)))
    assert "invalid objectives" in err and list(out.iterdir()) == []
    assert not (bad / "runs").exists()


def test_cli_resume_of_finished_run_boots_nothing(cli_run):
    _, run = cli_run
    before = {p: p.stat().st_mtime_ns for p in run.rglob("*")}
    r = _cli("simulate", "--resume", str(run))
    assert r.returncode == 0 and r.stdout.strip() == "run already complete (days 1..2)", (r.stdout, r.stderr)
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*")} == before  # nothing booted, nothing written


def test_cli_runs_rm(cli_run, tmp_path):
    comp, run = cli_run
    fork_dir = tmp_path / "fork"
    assert _cli("simulate", "--from", f"{run}@day-01", "--run-dir", str(fork_dir)).returncode == 0
    assert RunDir(fork_dir).summary().days_completed == 2
    assert "not a run directory" in _one_line_error(_cli("runs", "rm", str(comp)))
    assert (comp / "spec.json").exists()  # refused: untouched
    r = _cli("runs", "rm", str(fork_dir))
    assert r.returncode == 0 and r.stdout.startswith("removed ") and not fork_dir.exists()
    assert run.exists() and not list(tmp_path.glob(".fork.rm-*"))


def test_cli_runs_ls_lists_the_readable_runs_and_names_a_broken_one(cli_run, tmp_path):
    import shutil

    _, run = cli_run
    root = tmp_path / "runs"
    shutil.copytree(run, root / "good")
    shutil.copytree(run, root / "torn")
    (root / "torn" / "run.json").write_text('{"format": "1.0", "run_id": ')
    r = _cli("runs", "ls", str(root))
    assert r.returncode == 1
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == [str(root / "good")]
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {root / 'torn'}: unreadable run (malformed "), err
    ok = _cli("runs", "ls", str(root / "good"))
    assert ok.returncode == 0 and ok.stdout.startswith(str(root / "good")) and not ok.stderr
