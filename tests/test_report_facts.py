"""Report facts from hand-made logs: error clustering, the error-rate line, per-person message counts,
ordering mistakes; and the judge kinds added for issue 16 (value_reported, table_contains)."""

from __future__ import annotations

from pathlib import Path

from agent_harness.judge.evalset import load_set
from agent_harness.judge.kinds import KINDS, Ctx
from agent_harness.models import Criterion, MessageRecord, TurnRecord
from agent_harness.report.compose import error_line
from agent_harness.report.facts import cluster_errors, ordering_mistakes, person_comms

SET = Path(__file__).parent / "judge_eval"


def _t(n, day, tool, result="", error=False, **args):
    return TurnRecord(turn=n, day=day, actor="agent", tool=tool, args=args, result=result, error=error)


def test_errors_cluster_by_tool_and_normalised_message():
    turns = [_t(1, 1, "shell", "exit 1\ncd: .claude/skills/minimax-docx: No such file or directory", True),
             _t(2, 2, "shell", "exit 1\ncd: .claude/skills/other-skill: No such file or directory", True),
             _t(3, 2, "read_file", "error: not found: Work/a 2024.docx", True),
             _t(4, 3, "shell", "exit 0\nok")]
    cl = cluster_errors(turns)
    assert [c.count for c in cl] == [2, 1] and cl[0].days == [1, 2]
    assert cl[0].pattern.startswith("shell: cd: PATH: No such file")


def test_error_line_matches_the_papers_wording():
    class F:
        errors, turns = 213, 5114
        error_rate = 213 / 5114
    assert error_line(F()) == ("The daily_sim_turns.jsonl contains 213 error entries across 5,114 total turns "
                               "(4.2% error rate).")


def test_person_counts_and_ordering_mistakes():
    obj = load_set(SET)[0].inp.objectives
    m = [MessageRecord(id="o1", day=1, direction="from_user", sender="user", to=["p01"], subject="dlv_001", body="hi"),
         MessageRecord(id="o2", day=2, direction="from_user", sender="user", to=["Dana Whitfield"], subject="x",
                       body="  "),
         MessageRecord(id="m1", day=1, direction="to_user", sender="p01", to=["user"], subject="Re", body="ok",
                       in_reply_to="o1", kind="reply"),
         MessageRecord(id="m2", day=4, direction="to_user", sender="p02", to=["user"], subject="change", body="add",
                       kind="change")]
    people = {p.id: p for p in person_comms(obj, m, {"p01": "Dana Whitfield", "p02": "Luis Ortega"})}
    assert (people["p01"].outbound, people["p01"].responses, people["p01"].blank) == (2, 1, [2])
    assert "partly effective" in people["p01"].verdict and people["p02"].verdict.startswith("not engaged")
    turns = [_t(1, 2, "read_file", "x", path="Projects/ORION/plan.md"),
             _t(2, 3, "submit", "ok", deliverable_id="dlv_001", paths=["a"]),
             _t(3, 9, "submit", "ok", deliverable_id="dlv_001", paths=["a"])]
    mistakes = ordering_mistakes(obj, turns, 10)
    assert any("without reading 1 of its 2 source(s) (review.md)" in x for x in mistakes)
    assert not any("due day" in x for x in mistakes)
    assert not any("never revised" in x for x in mistakes)
    mistakes = ordering_mistakes(obj, turns[:2], 10)
    assert sum("never revised" in x for x in mistakes) == 2  # the day-4 change and the day-6 correction


def test_value_reported_and_table_contains():
    case = next(c for c in load_set(SET) if c.name == "good")
    ctx = Ctx(case.inp, case.inp.deliverables["dlv_001"])

    def crit(check):
        return Criterion(id="x", text="t", points=2, check=check)
    assert KINDS["value_reported"](crit({"type": "value_reported", "label": "Q4 revenue", "value": "$1,288,886"}),
                                   ctx).fraction == 1
    assert KINDS["value_reported"](crit({"type": "value_reported", "label": "Q4 revenue", "value": "$9"}),
                                   ctx).fraction == 0
    assert KINDS["table_contains"](crit({"type": "table_contains", "cells": ["Retention rate", "93.5%"],
                                         "path": "Deliverables/EVAL/figures.xlsx"}), ctx).fraction == 1
    assert KINDS["table_contains"](crit({"type": "table_contains", "cells": ["Retention rate", "99%"]}),
                                   ctx).fraction == 0
