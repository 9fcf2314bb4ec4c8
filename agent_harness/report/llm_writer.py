"""The LLM writer: drafts the narrative paragraphs from the computed facts; it may not add numbers.

Every number in the draft must occur in the offline report (the facts); a draft that introduces others is
fed back once, then dropped for the offline narrative (and the report says so).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from agent_harness.report.compose import OFFLINE_NOTE, TITLES
from agent_harness.report.document import Report, to_markdown

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


class Draft(BaseModel):
    executive_summary: str = Field(min_length=20, max_length=4000)
    domain_insights: str = Field(min_length=10, max_length=4000)
    recommendations: list[str] = Field(min_length=1, max_length=20)


def numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".0") or "0" for n in NUMBER.findall(text)}


def new_numbers(draft: Draft, allowed: set[str]) -> list[str]:
    text = " ".join([draft.executive_summary, draft.domain_insights, *draft.recommendations])
    return sorted(numbers(text) - allowed)


def llm_narrative(report: Report, model: str, base_url: str | None = None) -> tuple[Report, str]:
    """``report`` with its narrative rewritten by the model, and a note on what happened."""
    from worldbuilder.llm import LLMClient, LLMConfig

    facts = to_markdown(report, "plots")
    allowed = numbers(facts)
    client = LLMClient(LLMConfig.from_env(model=model, base_url=base_url))
    msgs = [{"role": "system", "content": "You write the narrative of a trajectory-analysis report of an AI agent's "
             "simulated month of office work. Use only the facts given; never introduce a number that is not "
             "in them."},
            {"role": "user", "content": f"Facts (the computed report):\n\n{facts[:24000]}\n\nWrite: an executive "
             "summary paragraph, a domain-specific insights paragraph (missing professional knowledge) and "
             "actionable recommendations (each: what happened, what should have happened)."}]
    bad: list[str] = []
    for _ in range(2):
        draft, _usage = client.chat_json(msgs, Draft, role="report")
        bad = new_numbers(draft, allowed)
        if not bad:
            return _apply(report, draft), f"(Narrative drafted by {model} from the computed facts; numbers checked.)"
        msgs = [*msgs, {"role": "assistant", "content": draft.model_dump_json()},
                {"role": "user", "content": f"These numbers are not in the facts: {', '.join(bad)}. Rewrite "
                                            "without them."}]
    return report, f"(LLM draft by {model} rejected: it introduced numbers not in the facts: {', '.join(bad)}. " \
                    + OFFLINE_NOTE.strip("()") + ")"


def _apply(report: Report, d: Draft) -> Report:
    for s in report.sections:
        if s.title == TITLES[0]:
            s.blocks = [("p", d.executive_summary)] + [b for b in s.blocks[2:]]
        elif s.title == TITLES[4]:
            s.blocks.insert(0, ("p", d.domain_insights))
        elif s.title == TITLES[5]:
            s.blocks = [("ul", list(d.recommendations)), ("p", "Computed from the logs:")] + s.blocks
    return report
