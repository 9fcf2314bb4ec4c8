"""Judging a run: score every deliverable's outputs against its rubric (the Python API under ``judge``)."""

from __future__ import annotations

import time
from pathlib import Path

from agent_harness.judge.inputs import DeliverableInput, JudgeInput
from agent_harness.judge.model import (
    JUDGEMENT_FILE,
    SCORES_FILE,
    DayScore,
    DeliverableScore,
    Fabrication,
    ItemScore,
    Judgement,
    ScoreOverDays,
    Total,
    write_json_model,
)
from agent_harness.judge.scoring import MIN_WORDS, deliverable_points, score_items  # noqa: F401 (MIN_WORDS re-exported)
from agent_harness.runlog import RunDirError
from worldbuilder.plugins import Registry, make


def _code_only() -> None:
    """The offline judge: the code judges of :data:`KINDS` alone, no model."""


# The judge plug-in map (see worldbuilder.plugins): a factory returns the model judge, or None (code judges only).
JUDGES: Registry = {"offline": _code_only, "openai:MODEL": "agent_harness.judge.llm_judge:LLMJudge"}


def make_llm_judge(judge: str, samples: int, base_url: str | None = None):  # noqa: ANN201
    """``None`` for ``offline``; an :class:`LLMJudge` for ``openai:MODEL``."""
    return make("judge", JUDGES, judge, samples=samples, base_url=base_url)


def score_deliverable(inp: JudgeInput, dlv: DeliverableInput, llm=None) -> tuple[DeliverableScore, list[Fabrication]]:  # noqa: ANN001
    items, fabs = score_items(inp, dlv, llm)
    d = dlv.deliverable
    score = DeliverableScore(id=d.id, title=d.title, points=deliverable_points(items),
                             max=sum(c.points for c in d.rubric), items=[ItemScore(**i.as_dict()) for i in items])
    return score, [Fabrication(**f.as_dict()) for f in fabs]


def judge_input(inp: JudgeInput, judge: str = "offline", samples: int = 1, llm=None) -> Judgement:  # noqa: ANN001
    """Score a :class:`JudgeInput` (no files written)."""
    t0 = time.perf_counter()
    llm = llm if llm is not None else make_llm_judge(judge, samples)
    dels, fabs = [], []
    for dlv in inp.deliverables.values():
        s, f = score_deliverable(inp, dlv, llm)
        dels.append(s)
        fabs += f
    total = Total(points=round(sum(d.points for d in dels), 2), max=sum(d.max for d in dels),
                  judged_max=sum(d.judged_max for d in dels))
    meta = {"seconds": round(time.perf_counter() - t0, 3), "samples": samples if llm else 0,
            "unjudged": sum(1 for d in dels for i in d.items if i.status == "unjudged"),
            "tokens": llm.tokens() if llm else {"prompt": 0, "completion": 0}, "notes": list(inp.notes)}
    if llm:
        meta["llm"] = llm.meta()
    return Judgement(run=inp.run, judge=judge, day=inp.day, total=total, deliverables=dels, fabrications=fabs,
                     meta=meta)


def judgement_path(run_dir: Path, day: int, last: int) -> Path:
    return Path(run_dir) / (JUDGEMENT_FILE if day == last else f"judgements/day-{day:02d}.json")


def _judge_view(view, day: int | None, judge: str, samples: int, llm) -> Judgement:  # noqa: ANN001
    inp = view.input(day)
    j = judge_input(inp, judge, samples, llm)
    out = judgement_path(view.run.root, inp.day, view.last)
    out.parent.mkdir(exist_ok=True)
    write_json_model(out, j)
    return j


def judge_run(run_dir: Path, judge: str = "offline", samples: int = 1, day: int | None = None,
              base_url: str | None = None) -> Judgement:
    """Judge ``run_dir`` (its last completed day, or ``day``) and write the judgement atomically: the last
    day to ``judgement.json``, an earlier day to ``judgements/day-NN.json``."""
    from agent_harness.judge.rundata import RunView

    if samples < 1:
        raise RunDirError("--samples must be at least 1")
    llm = make_llm_judge(judge, samples, base_url)
    return _judge_view(RunView(run_dir), day, judge, samples, llm)


def judge_all_days(run_dir: Path, judge: str = "offline", samples: int = 1,
                   base_url: str | None = None) -> ScoreOverDays:
    """Judge every completed day 1..N; write each judgement and ``score_over_days.json``."""
    from agent_harness.judge.rundata import RunView

    view = RunView(run_dir)
    if view.last < 1:
        raise RunDirError(f"{view.run.root} has no completed working day")
    llm = make_llm_judge(judge, samples, base_url)
    days = []
    for d in range(1, view.last + 1):
        j = _judge_view(view, d, judge, samples, llm)
        days.append(DayScore(day=d, points=j.total.points, max=j.total.max, judged_max=j.total.judged_max,
                             deliverables={x.id: x.points for x in j.deliverables}))
    sod = ScoreOverDays(run=view.cfg.run_id, judge=judge, days=days)
    write_json_model(Path(run_dir) / SCORES_FILE, sod)
    return sod
