"""Judging runs against their rubrics (code judges, an optional LLM judge, fabrication and gaming checks)."""

from agent_harness.judge.api import judge_all_days, judge_input, judge_run
from agent_harness.judge.kinds import KINDS, kind
from agent_harness.judge.model import Judgement, ScoreOverDays, read_judgement

__all__ = ["KINDS", "Judgement", "ScoreOverDays", "judge_all_days", "judge_input", "judge_run", "kind",
           "read_judgement"]
