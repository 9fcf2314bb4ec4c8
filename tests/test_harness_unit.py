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
        assert any(o.format == "docx" for o in d.outputs) and 1 <= d.due_day <= 20
        assert any(c.check["type"] == "source_used" and c.check["evidence"] for c in d.rubric)
    kinds = {e.kind: e for e in obj.scenario}
    assert kinds["change"].day == 12 and kinds["correction"].day == 17
    assert kinds["correction"].old in {f.display for f in spec.world.facts}
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


def test_dead_computer_is_restored_from_last_snapshot(tmp_path, computer_dir):
    from agent_harness.agents.scripted import ScriptedAgent

    class Crashing(ScriptedAgent):
        crashed = False

        def run_day(self, day, today, tools):
            if day == 2 and not Crashing.crashed:
                Crashing.crashed = True
                tools.call("read_inbox")
                tools.computer.close()  # the computer dies mid-day
            super().run_day(day, today, tools)

    sim = new_run(computer_dir, tmp_path / "run", SimOptions(days=3, turns_per_day=40, runtime="local"))
    agent = Crashing()
    agent.start(sim.agent.brief)
    sim.agent = agent
    s = sim.run()
    turns = RunDir(tmp_path / "run").turns()
    restore = [t for t in turns if t.tool == "restore"]
    assert s.status == "completed" and s.days_completed == 3 and s.restores == 1
    assert len(restore) == 1 and restore[0].day == 2 and "day-01" in restore[0].result


def test_run_budget_stops_cleanly_at_a_boundary(tmp_path, computer_dir):
    from agent_harness.models import Limits

    sim = new_run(computer_dir, tmp_path / "run", SimOptions(days=5, turns_per_day=40, runtime="local",
                                                             limits=Limits(max_turns=20)))
    s = sim.run()
    run = RunDir(tmp_path / "run")
    assert s.status == "stopped" and "turn budget" in s.stop_reason
    assert run.snapshots().last().day == s.days_completed < 5
    assert s.turns <= 20
