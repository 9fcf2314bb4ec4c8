"""Judging and reporting real offline runs (local runtime): numbers recomputed from the logs, deleted and
altered outputs, an agent that ignores the correction, and bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent_harness.agents.reference import ReferenceSolver
from agent_harness.agents.scripted import ScriptedAgent
from agent_harness.judge import judge_all_days, judge_run, read_judgement
from agent_harness.report import write_report
from agent_harness.runs import SimOptions, new_run
from worldbuilder.api import generate
from worldbuilder.personas import load_personas

SECTIONS = ["Executive Summary", "Deliverable-by-Deliverable Analysis",
            "Simulated-Collaborator Communication Analysis", "Workflow & Efficiency", "Domain-Specific Insights",
            "Actionable Recommendations"]


class IgnoresCorrections(ReferenceSolver):
    """The reference solver, except that it never acts on a correction."""

    def handle(self, m, day):  # noqa: ANN001
        if m.get("kind") == "correction" or "Correction:" in str(m.get("body", "")):
            return
        super().handle(m, day)


@pytest.fixture(scope="module")
def computer(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("judged") / "computer"
    generate(load_personas()[0], root, seed=0, size="small")
    return root


def _simulate(computer: Path, run_dir: Path, agent: ScriptedAgent | None = None) -> Path:
    sim = new_run(computer, run_dir, SimOptions(days=5, turns_per_day=60, runtime="local"))
    if agent is not None:
        agent.start(sim.agent.brief)
        sim.agent = agent
    assert sim.run().status == "completed"
    return run_dir


@pytest.fixture(scope="module")
def run5(computer, tmp_path_factory) -> Path:
    return _simulate(computer, tmp_path_factory.mktemp("run5") / "run")


def clone(src: Path, dst: Path) -> Path:
    """A copy of a local run whose snapshot refs point into the copy."""
    shutil.copytree(src, dst, symlinks=True)
    snaps = dst / "snapshots.json"
    snaps.write_text(snaps.read_text().replace(str(src.resolve()), str(dst.resolve())))
    return dst


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worldbuilder.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --------------------------------------------------------------------------- the whole path


def test_judge_and_report_match_the_logs(run5):
    r = cli("judge", run5)
    assert r.returncode == 0, r.stderr
    j = read_judgement(run5)
    obj = json.loads((run5 / "objectives.json").read_text())
    assert [d.id for d in j.deliverables] == [d["id"] for d in obj["deliverables"]]
    for d, od in zip(j.deliverables, obj["deliverables"], strict=True):
        assert d.max == sum(c["points"] for c in od["rubric"]) and 0 < d.points <= d.max
        assert d.points == pytest.approx(sum(i.points for i in d.items))
    # the scripted baseline does none of the derived work (issue 16): well below full marks, far above zero
    assert 0.3 * j.total.judged_max < j.total.points <= 0.7 * j.total.judged_max and j.fabrications == []
    r = cli("report", run5)
    assert r.returncode == 0, r.stderr
    md = (run5 / "report.md").read_text()
    html = (run5 / "report.html").read_text()
    heads = re.findall(r"^## \d\. (.+)$", md, re.MULTILINE)
    assert heads == SECTIONS and all(s.replace("&", "&amp;") in html for s in SECTIONS)
    assert html.count('src="data:image/png;base64,') == 3 and "report_plots/" not in html
    assert (run5 / "report_plots" / "score_per_deliverable.png").read_bytes()[:4] == b"\x89PNG"
    # numbers recomputed from the raw logs
    turns = [t for t in _jsonl(run5 / "daily_sim_turns.jsonl") if t["actor"] == "agent" and not t.get("rolled_back")]
    errors = sum(1 for t in turns if t.get("error"))
    assert (f"{errors:,} error entries across {len(turns):,} total turns "
            f"({errors / len(turns):.1%} error rate)") in md
    for day in sorted({t["day"] for t in turns}):
        n = sum(1 for t in turns if t["day"] == day)
        e = sum(1 for t in turns if t["day"] == day and t.get("error"))
        assert f"| {day} | {n} | {e} |" in md
    msgs = _jsonl(run5 / "messages.jsonl")
    people = {s["id"]: s["name"] for d in obj["deliverables"] for s in d["stakeholders"]}
    for pid, name in people.items():
        out = sum(1 for m in msgs if m["direction"] == "from_user" and pid in m["to"])
        resp = sum(1 for m in msgs if m["direction"] == "to_user" and m["sender"] == pid and m.get("in_reply_to"))
        blank = sum(1 for m in msgs if (m["sender"] == pid or pid in m["to"]) and not m["body"].strip())
        if out or resp:
            assert f"{name} ({pid}) — {out} outbound messages, {resp} responses, {blank} blank messages" in md
    for d in j.deliverables:
        assert f"| {d.id} | {d.title} | {d.points:g}/{d.max:g} ({d.points / d.max:.1%}) |" in md
    assert "composed offline" in md


def test_all_days_is_a_progress_curve(run5, tmp_path):
    run = clone(run5, tmp_path / "run")
    sod = judge_all_days(run)
    assert [d.day for d in sod.days] == [1, 2, 3, 4, 5]
    assert sod.days[-1].points == read_judgement(run).total.points
    assert sod.days[0].points < sod.days[-1].points
    assert (run / "judgements" / "day-02.json").is_file() and (run / "score_over_days.json").is_file()
    r = cli("judge", run, "--day", "1")
    assert r.returncode == 0 and "total (day 1)" in r.stdout


# --------------------------------------------------------------------------- outputs altered after the run


def _final_snapshot(run: Path) -> Path:
    snaps = json.loads((run / "snapshots.json").read_text())["snapshots"]
    return Path(max(snaps, key=lambda s: s["day"])["ref"])


def test_deleting_a_deliverables_files_drops_it_to_its_floor(run5, tmp_path):
    run = clone(run5, tmp_path / "run")
    before = judge_run(run)
    did = before.deliverables[0].id
    obj = json.loads((run / "objectives.json").read_text())
    outs = next(d for d in obj["deliverables"] if d["id"] == did)["outputs"]
    for o in outs:
        for p in _final_snapshot(run).glob(f"home/*/{o['path']}"):
            p.unlink()
    shutil.rmtree(run / "deliverables" / did)
    after = judge_run(run)
    d = after.deliverable(did)
    floor = sum(i.points for i in before.deliverable(did).items if i.kind == "message_sent")
    assert d.points == floor < before.deliverable(did).points
    assert all(i.points == 0 for i in d.items if i.kind != "message_sent")
    assert all("not in the computer" in i.rationale for i in d.items if i.kind == "file_valid")
    assert [x.points for x in after.deliverables[1:]] == [x.points for x in before.deliverables[1:]]


def test_changing_a_tracked_figure_is_a_fabrication(run5, tmp_path):
    run = clone(run5, tmp_path / "run")
    j = judge_run(run)
    item = next(i for d in j.deliverables for i in d.items if i.kind == "fact_cited" and i.points)
    did = item.id.split(".")[0]
    obj = json.loads((run / "objectives.json").read_text())
    d = next(x for x in obj["deliverables"] if x["id"] == did)
    display = next(c for c in d["rubric"] if c["id"] == item.id)["check"]["display"]
    from agent_harness.objectives_offline import bump_display

    wrong = bump_display(display, 1.5)
    md_out = next((o for o in d["outputs"] if o["format"] == "md"), None)
    target = next(_final_snapshot(run).glob(f"home/*/{(md_out or d['outputs'][0])['path']}"))
    if md_out:
        target.write_text(target.read_text().replace(display, wrong))
    else:
        from docx import Document

        doc = Document(target)
        doc.add_paragraph(f"{next(c for c in d['rubric'] if c['id'] == item.id)['text'].split(' as ')[0][6:]}: {wrong}")
        doc.save(target)
    after = judge_run(run)
    fabs = [f for f in after.fabrications if f.deliverable == did]
    assert fabs and fabs[0].criterion == item.id and fabs[0].expected == display and fabs[0].reason == "fact"
    assert fabs[0].points_lost == item.points and fabs[0].found.replace(",", "") in wrong.replace(",", "")
    assert after.item(item.id).points == 0 and "fabricated" in after.item(item.id).rationale
    assert after.total.points == j.total.points - item.points
    r = cli("judge", run)
    assert "fabrication:" in r.stdout


def test_an_agent_that_ignored_the_correction_loses_its_points(computer, tmp_path):
    run = _simulate(computer, tmp_path / "run", IgnoresCorrections())
    j, good = judge_run(run), judge_run(_simulate(computer, tmp_path / "good", ReferenceSolver()))
    corr = [i for d in j.deliverables for i in d.items if i.kind == "correction"]
    assert corr and all(i.points == 0 for i in corr)
    assert all(good.item(i.id).points == i.max for i in corr)
    assert any("not resubmitted after the day-" in i.rationale for i in corr)
    assert j.total.points < good.total.points
    md = write_report(run).read_text()
    assert "never revised" in md and "Actionable Recommendations" in md


# --------------------------------------------------------------------------- bad input


def _one_error_line(r: subprocess.CompletedProcess, *words: str) -> None:
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0 and len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert all(w in lines[0] for w in words), lines[0]


def test_bad_input_is_one_line_and_writes_nothing(run5, tmp_path):
    _one_error_line(cli("judge", tmp_path / "nope"), "does not exist")
    _one_error_line(cli("judge", tmp_path), "not a run directory")
    run = clone(run5, tmp_path / "unfinished")
    for f in ("judgement.json", "report.md", "report.html"):
        (run / f).unlink(missing_ok=True)
    idx = json.loads((run / "snapshots.json").read_text())
    idx["snapshots"] = [s for s in idx["snapshots"] if s["day"] <= 3]
    (run / "snapshots.json").write_text(json.dumps(idx))
    s = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**s, "status": "running", "days_completed": 3}))
    _one_error_line(cli("judge", run), "unfinished", "3/5", "--day 3")
    assert not (run / "judgement.json").exists()
    _one_error_line(cli("report", run), "unfinished")
    assert not (run / "report.md").exists() and not (run / "report.html").exists()
    r = cli("judge", run, "--day", "3")
    assert r.returncode == 0 and (run / "judgement.json").is_file(), r.stderr  # day 3 is the last complete day
    _one_error_line(cli("judge", run, "--day", "4"), "no snapshot for day 4")
    # a corrupt turn log: nothing is written, the old judgement stays byte-identical
    good = clone(run5, tmp_path / "corrupt")
    judge_run(good)
    kept = (good / "judgement.json").read_bytes()
    lines = (good / "daily_sim_turns.jsonl").read_text().splitlines()
    lines.insert(3, '{"turn": "x", "day": oops')
    (good / "daily_sim_turns.jsonl").write_text("\n".join(lines) + "\n")
    _one_error_line(cli("judge", good), "daily_sim_turns.jsonl:4")
    assert (good / "judgement.json").read_bytes() == kept and not list(good.glob("*.tmp"))
    # a corrupt judgement.json: report and scores refuse in one line
    bad = clone(run5, tmp_path / "badjudgement")
    judge_run(bad)
    (bad / "judgement.json").write_text('{"schema_version": "1.0", "run": ')
    for f in ("report.md", "report.html"):
        (bad / f).unlink(missing_ok=True)
    _one_error_line(cli("report", bad), "corrupt", "judgement.json")
    assert not (bad / "report.md").exists() and not (bad / "report.html").exists()
    _one_error_line(cli("scores", bad, "--plot", tmp_path / "s.png"), "corrupt")
    assert not (tmp_path / "s.png").exists()
    r = cli("judge", bad)  # judge itself replaces a corrupt judgement, saying so
    assert r.returncode == 0 and r.stderr.startswith("note: replacing it: corrupt") and read_judgement(bad).total.max
    _one_error_line(cli("judge", run5, "--judge", "gpt4"), "unknown judge")


def test_scores_across_runs(run5, tmp_path):
    other = clone(run5, tmp_path / "other")
    shutil.rmtree(other / "deliverables" / "dlv_001")
    for p in _final_snapshot(other).glob("home/*/Deliverables/*"):
        shutil.rmtree(p)
    judge_run(other)
    judge_run(run5) if not (run5 / "judgement.json").exists() else None
    r = cli("scores", run5, other, "--json", "--plot", tmp_path / "fig6.png")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    shares = sorted(x["share"] for x in data["runs"])
    assert len(shares) == 2 and shares[0] < shares[1] and data["summary"]["per_deliverable"]["n"] >= 6
    assert (tmp_path / "fig6.png").read_bytes()[:4] == b"\x89PNG"
    r = cli("scores", run5, "--csv", "--plot", tmp_path / "f.png")
    assert r.stdout.splitlines()[0].startswith("run,path,judge,day,deliverable")


def test_llm_writer_may_not_add_numbers(run5, tmp_path, scripted_llm_server, monkeypatch):
    from scripted_llm import Reply, sequence

    monkeypatch.setenv("WORLDBUILDER_LLM_CACHE", str(tmp_path / "cache"))
    run = clone(run5, tmp_path / "run")
    judge_run(run)
    ok = {"executive_summary": "The agent finished every deliverable; see the score table below.",
          "domain_insights": "No missing professional knowledge stood out.",
          "recommendations": ["Keep reading the sources before drafting."]}
    scripted_llm_server.handler = sequence([Reply.json(ok)])
    md = write_report(run, "openai:scripted", scripted_llm_server.url).read_text()
    assert "The agent finished every deliverable" in md and "drafted by scripted" in md
    liar = dict(ok, executive_summary="The agent scored 987654 points in 31337 turns, a record.")
    scripted_llm_server.handler = sequence([Reply.json(liar), Reply.json(liar)])
    monkeypatch.setenv("WORLDBUILDER_LLM_CACHE", str(tmp_path / "cache2"))  # the same request again: not cached
    before = scripted_llm_server.count
    md = write_report(run, "openai:scripted", scripted_llm_server.url).read_text()
    assert "scored 987654 points" not in md and "rejected" in md
    assert "31337" in md.split("rejected")[1][:200] and "Narrative composed offline" in md
    assert scripted_llm_server.count - before == 2  # the invented numbers were fed back once
