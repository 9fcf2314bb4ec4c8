"""Objectives as a real month of work: derived checks that fail on wrong values, grounded plans, colleagues who
do not hand out the figures, the LLM writer keeping code-computed values, and the reference solver against
the baseline (both scripted agents) on a real generated computer."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from agent_harness.judge.inputs import DeliverableInput, JudgeInput, OutputFile
from agent_harness.judge.kinds import KINDS, Ctx
from agent_harness.models import Criterion, Deliverable, ExpectedOutput, Objectives
from agent_harness.objectives import briefing, write_objectives
from agent_harness.objectives_metrics import set_metrics
from worldbuilder.api import generate, load_computer
from worldbuilder.personas import load_personas

DERIVED = ("value_reported", "table_row", "ranking", "constraint_satisfied", "correction")


@pytest.fixture(scope="module")
def computer(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("work") / "computer"
    generate(load_personas()[0], root, seed=0, size="small")
    return root


@pytest.fixture(scope="module")
def objectives(computer, tmp_path_factory) -> Objectives:
    return write_objectives(computer, days=20, out=tmp_path_factory.mktemp("obj") / "objectives.json")


def verdict(check: dict, text: str, day: int = 20, submit_days: tuple[int, ...] = (1, 19)) -> float:
    d = Deliverable(id="dlv_001", title="t", description="d", stakeholders=[], due_day=20,
                    outputs=[ExpectedOutput(path="out.md", format="md")], sources=[], rubric=[])
    dlv = DeliverableInput(d, {"out.md": OutputFile("out.md", text.encode())}, list(submit_days))
    obj = Objectives(computer_id="x", user="u", occupation="o", backend="offline", days=20, deliverables=[d])
    inp = JudgeInput(run="r", day=day, objectives=obj, facts={}, people={}, messages=[], turns=[],
                     deliverables={"dlv_001": dlv})
    c = Criterion(id="dlv_001.c01", text="t", points=5, check=check)
    return KINDS[check["type"]](c, Ctx(inp, dlv)).fraction


def right_and_wrong(check: dict) -> tuple[str, str]:
    """An output meeting ``check`` and one reporting a deliberately wrong value."""
    t = check["type"]
    if t == "value_reported":
        n, tol = check["number"], check["tol"]
        return f"{check['label']}: {n:,.2f}\n", f"{check['label']}: {n + max(5 * tol, abs(n) * 0.1, 1):,.2f}\n"
    if t == "table_row":
        n = check["number"]
        return f"{check['label']}\t{n:g}\n", f"{check['label']}\t{n + max(1, abs(n)):g}\n"
    if t == "ranking":
        return "\n".join(check["labels"]), "\n".join(reversed(check["labels"]))
    if t == "correction":
        return (f"{check['label']}: {check['number']:,.2f}\n", f"{check['label']}: {check['old_number']:,.2f}\n")
    start = date.fromisoformat(check["window"][0])
    days = [start + timedelta(days=i) for i in range(40)]
    free = [d for d in days if d.weekday() < 5 and d.isoformat() not in check["blocked"]
            and d.isoformat() <= check["window"][1]]
    good = "\n".join(f"{it}\t{free[i].isoformat()}" for i, it in enumerate(check["items"]))
    bad = "\n".join(f"{it}\t{free[0].isoformat()}" for it in check["items"])  # all on one day
    return good, bad


def test_every_derived_check_fails_a_wrong_value(objectives):
    checks = [c.check for d in objectives.deliverables for c in d.rubric if c.check.get("derived")]
    assert {c["type"] for c in checks} >= {"value_reported", "ranking", "constraint_satisfied", "correction"}
    for check in checks:
        good, bad = right_and_wrong(check)
        assert verdict(check, good) == 1.0, (check, good)
        assert verdict(check, bad) == 0.0, (check, bad)


def test_schedule_constraints_each_fail():
    check = {"type": "constraint_satisfied", "items": ["A", "B"], "window": ["2024-07-08", "2024-07-12"],
             "blocked": ["2024-07-09"]}
    assert verdict(check, "A 2024-07-08\nB 2024-07-10") == 1.0
    for bad in ("A 2024-07-08\nB 2024-07-09", "A 2024-07-08\nB 2024-07-13", "A 2024-07-08", "A 2024-07-15\nB x"):
        assert verdict(check, bad) == 0.0, bad


def test_quality_checks():
    assert verdict({"type": "text_matches", "pattern": r"\brecommend", "where": "opening"},
                   "Title\nI recommend we cut the fee.\n" + "more words " * 200) == 1.0
    assert verdict({"type": "text_matches", "pattern": r"\brecommend", "where": "opening"},
                   "Title\n" + "words " * 200 + "\nI recommend we cut the fee.") == 0.0
    assert verdict({"type": "text_absent", "pattern": r"\bTBD\b"}, "Total: TBD") == 0.0
    assert verdict({"type": "length_between", "path": "out.md", "min": 5, "max": 10}, "one two three") == 0.0


def test_plan_is_a_real_month(computer, objectives):
    spec, _ = load_computer(computer)
    m = set_metrics(objectives, spec)
    assert not m["stale"] and m["overlaps"] >= 1 and m["dependencies"] >= 1 and m["derived_share"] >= 0.30
    assert len(set(m["titles"])) == len(m["titles"]) and 100 <= objectives.total_points <= 200
    assert all(15 <= n <= 40 for n in m["items"]) and m["sizes"][0] == 1 and m["sizes"][-1] >= 15
    start = spec.world.history_end.date()
    for d in objectives.deliverables:
        assert not d.project or spec.world.project(d.project).end >= start
        assert not d.title.endswith(" update") and d.kind and d.asks
    brief = json.dumps(briefing(objectives, spec))
    for c in (c for d in objectives.deliverables for c in d.rubric if c.check["type"] == "value_reported"):
        assert f'"{c.check["value"]}"' not in brief  # the asks reach the agent, their answers do not
    assert len({d.description[:40] for d in objectives.deliverables}) == len(objectives.deliverables)


def _values(obj: Objectives) -> list[str]:
    return [c.check["value"] for d in obj.deliverables for c in d.rubric
            if c.check["type"] == "value_reported" and "number" in c.check and float(c.check["number"]) >= 10]


class FakeComputer:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, path: str, max_bytes: int = 1 << 20) -> bytes:
        assert len(self.files[path]) <= max_bytes
        return self.files[path]


def test_colleagues_do_not_hand_out_figures_and_review_against_the_rubric(computer, objectives):
    from agent_harness.collaborators.offline import OfflineCollaborators

    spec, _ = load_computer(computer)
    col = OfflineCollaborators(spec, objectives)
    d = objectives.deliverables[0]
    asker = next(s.id for s in d.stakeholders if s.id not in objectives.away)
    q = {"id": "o1", "to": asker, "subject": f"{d.id}: question", "body": "What are the current figures?"}
    out = col.respond(1, [q], None, {})
    reply = next(m for m in out if m.in_reply_to == "o1")
    assert not any(v in reply.body for v in _values(objectives)), reply.body
    total = next(c.check for c in d.rubric if c.check["type"] == "value_reported" and "number" in c.check)
    draft = f"# Draft\n\n{total['label']}: {total['number'] * 2 + 7:,.2f}\n"
    m = {"id": "o2", "to": asker, "subject": f"Draft for review: {d.id}", "body": "Please review:\n- d.md"}
    rev = col.reply(2, m, FakeComputer({"d.md": draft.encode()}))
    assert rev.kind == "review" and f"'{total['label']}' does not match" in rev.body
    assert total["value"] not in rev.body
    pid, days = next(iter(objectives.away.items()))
    away = col.respond(days[0], [{"id": "o3", "to": pid, "subject": f"{d.id}: hello", "body": "?"}], None, {})
    assert any(x.kind == "auto_reply" for x in away)
    later = col.respond(days[0] + 1, [], None, {})
    assert any(x.in_reply_to == "o3" and x.kind == "reply" for x in later)


def _llm_answer(request: dict) -> dict:
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    world, _ = json.JSONDecoder().raw_decode(user)
    return {"deliverables": [{"id": d["id"], "title": f"Model title {i}", "description": "Model words " * 3,
                              "stakeholders": [world["people"][0]["id"]], "due_day": 1 if i == 3 else d["due_day"],
                              "criteria": [{"text": "Total is 999,999 exactly", "points": 100}]}
                             for i, d in enumerate(world["draft"])]}


def test_llm_writer_keeps_code_computed_values(computer, objectives, tmp_path, monkeypatch, scripted_llm_server):
    monkeypatch.setenv("WORLDBUILDER_LLM_CACHE", str(tmp_path / "cache"))
    scripted_llm_server.handler = _llm_answer
    obj = write_objectives(computer, backend="openai:scripted", days=20, out=tmp_path / "o.json",
                           llm_base_url=scripted_llm_server.url)
    spec, _ = load_computer(computer)
    derived = [(c.check["type"], c.check.get("number"), c.check.get("labels")) for d in obj.deliverables
               for c in d.rubric if c.check.get("derived")]
    offline = [(c.check["type"], c.check.get("number"), c.check.get("labels")) for d in objectives.deliverables
               for c in d.rubric if c.check.get("derived")]
    assert derived == offline and obj.deliverables[0].title == "Model title 0"
    m = set_metrics(obj, spec)
    assert m["derived_share"] >= 0.30 and m["dependencies"] >= 1 and m["overlaps"] >= 1
    dep = next(d for d in obj.deliverables if d.depends_on)
    assert dep.start_day >= obj.deliverable(dep.depends_on[0]).due_day and dep.due_day >= dep.start_day
    assert all(c.check["type"] == "judge" for d in obj.deliverables for c in d.rubric if "999,999" in c.text)


@pytest.mark.slow
def test_reference_solver_beats_baseline_on_a_5_day_run(computer, tmp_path):
    from agent_harness.judge import judge_run
    from agent_harness.runs import SimOptions, new_run

    write_objectives(computer, days=5)
    scores = {}
    for agent in ("reference", "offline"):
        run = tmp_path / agent
        assert new_run(computer, run, SimOptions(days=5, turns_per_day=80, runtime="local", agent=agent)).run() \
            .status == "completed"
        j = judge_run(run)
        scores[agent] = j.total.points / j.total.judged_max
    assert scores["reference"] >= 0.95 and scores["offline"] <= 0.70, scores


def test_validation_rejects_bad_windows_and_dependencies(computer, objectives):
    from agent_harness.objectives import ObjectivesError, validate_objectives

    spec, tree = load_computer(computer)
    validate_objectives(objectives, spec, tree)
    for field, value, words in (("depends_on", ["dlv_999"], "depends on"), ("start_day", 99, "start day")):
        bad = objectives.model_copy(deep=True)
        setattr(bad.deliverables[1], field, value)
        with pytest.raises(ObjectivesError, match=words):
            validate_objectives(bad, spec, tree)
