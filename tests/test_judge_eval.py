"""The judge against the hand-made judge-evaluation set (tests/judge_eval) and a scripted LLM judge."""

from __future__ import annotations

from pathlib import Path

import pytest
from scripted_llm import Reply

from agent_harness.judge.api import judge_input
from agent_harness.judge.evalset import evaluate, krippendorff_alpha, load_set, macro_f1
from agent_harness.judge.llm_judge import LLMJudge

SET = Path(__file__).parent / "judge_eval"
JUDGE_ITEM = "dlv_001.c14"


def test_code_judges_score_the_set_exactly():
    r = evaluate(SET)
    acc, f1, exact = r.code_metrics()
    assert (acc, f1, exact) == (1.0, 1.0, len(r.code)), "\n".join(r.lines())
    assert len(r.code) == 7 * 13
    assert all(share <= 0.30 for share in r.gaming.values()) and set(r.gaming) == {"copy_rubric", "dump_sources"}
    assert all(j.item(JUDGE_ITEM).status == "unjudged" for n, j in r.cases.items() if n not in r.gaming)
    good = r.cases["good"]
    assert good.total.judged_max == good.total.max - 6 and good.total.points == 43


def test_fabrications_are_listed_and_cost_their_criterion():
    case = next(c for c in load_set(SET) if c.name == "fabricated")
    j = judge_input(case.inp)
    assert len(j.fabrications) == case.fabrications == 4
    f02 = [f for f in j.fabrications if f.fact == "f02"]
    assert f02 and f02[0].found == "97.1%" and f02[0].criterion == "dlv_001.c05"
    assert j.item("dlv_001.c05").points == 0 and "fabricated" in j.item("dlv_001.c05").rationale
    assert any(f.fact == "f03" and f.criterion is None for f in j.fabrications)  # listed, no rubric item


def test_metrics():
    assert macro_f1([("full", "full"), ("zero", "zero")]) == 1.0
    assert macro_f1([("full", "zero"), ("zero", "zero")]) == pytest.approx((0 + 2 / 3) / 2)
    assert krippendorff_alpha([[1, 1], [3, 3], [5, 5]]) == 1.0
    assert krippendorff_alpha([[1, 5], [5, 1]]) < 0
    assert krippendorff_alpha([[1]]) is None


def _answer(points, quote, file="Deliverables/EVAL/brief.docx"):
    return Reply.json({"points": points, "evidence_quote": quote, "evidence_file": file, "rationale": "scripted"})


GOOD_QUOTE = "Move the two largest households to the refreshed allocation model this quarter"


def _llm_case(server, handler, samples=1, name="good"):
    server.handler = handler
    case = next(c for c in load_set(SET) if c.name == name)
    llm = LLMJudge("scripted", samples=samples, base_url=server.url)
    llm.client.config.cache = False
    llm.client.cache = None
    return judge_input(case.inp, "openai:scripted", samples, llm)


def test_llm_judge_median_evidence_and_tokens(scripted_llm_server):
    answers = iter([6, 4, 5])

    def handler(req):
        assert "Criterion (6 points)" in req["messages"][-1]["content"]
        assert "=== OUTPUT FILE Deliverables/EVAL/brief.docx ===" in req["messages"][-1]["content"]
        return _answer(next(answers), GOOD_QUOTE.upper())  # case and spacing do not matter
    j = _llm_case(scripted_llm_server, handler, samples=3)
    it = j.item(JUDGE_ITEM)
    assert it.status == "scored" and it.points == 5 and "spread 2" in it.rationale
    assert GOOD_QUOTE.upper() in it.evidence
    assert sorted(j.meta["llm"]["items"][JUDGE_ITEM]["samples"]) == [4, 5, 6]
    assert j.meta["tokens"]["prompt"] > 0 and j.total.judged_max == j.total.max
    seeds = sorted(r.body.get("seed") for r in scripted_llm_server.chat_requests)
    assert seeds == [0, 1, 2]


@pytest.mark.parametrize("reply,points,status,why", [
    (_answer(6, ""), 0, "scored", "no evidence quote"),
    (_answer(6, "The committee unanimously approved a 40% raise"), 0, "scored", "does not occur"),
    (Reply.text("I think it deserves six points."), 0, "unjudged", "invalid answer"),
    (Reply.raw(b"{oops"), 0, "unjudged", "LLM request"),
    (_answer(60, GOOD_QUOTE), 0, "unjudged", "invalid answer"),  # above the item's maximum, every time
    (Reply.json({"points": 6, "evidence_quote": GOOD_QUOTE}), 0, "unjudged", "evidence_file"),  # no location
])
def test_llm_judge_bad_answers(scripted_llm_server, monkeypatch, reply, points, status, why):
    monkeypatch.setenv("WORLDBUILDER_LLM_MAX_RETRIES", "0")
    j = _llm_case(scripted_llm_server, lambda req: reply)
    it = j.item(JUDGE_ITEM)
    assert (it.points, it.status) == (points, status) and why in it.rationale, it.rationale
    assert j.total.judged_max == (j.total.max if status == "scored" else j.total.max - 6)


def test_llm_judge_is_not_called_for_gamed_outputs(scripted_llm_server):
    j = _llm_case(scripted_llm_server, lambda req: _answer(6, "cites"), name="copy_rubric")
    assert scripted_llm_server.count == 0 and j.item(JUDGE_ITEM).points == 0
    assert "gaming" in j.item(JUDGE_ITEM).rationale


def test_judge_eval_cli_prints_agreement(scripted_llm_server, monkeypatch):
    from click.testing import CliRunner

    from worldbuilder.cli import main

    monkeypatch.setenv("WORLDBUILDER_LLM_CACHE", "/nonexistent-cache-dir-for-tests")
    scripted_llm_server.handler = lambda req: _answer(
        6 if GOOD_QUOTE in req["messages"][-1]["content"] else 0, GOOD_QUOTE if GOOD_QUOTE in
        req["messages"][-1]["content"] else "")
    res = CliRunner().invoke(main, ["judge-eval", "--judge", "openai:scripted", "--samples", "2",
                                    "--llm-base-url", scripted_llm_server.url, "--set", str(SET)])
    assert res.exit_code == 0, res.output
    assert "macro-F1 1.000, exact points 91/91" in res.output
    assert "Krippendorff's alpha 1.000" in res.output and "llm judge (openai:scripted): 7 items judged" in res.output
