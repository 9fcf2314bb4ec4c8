"""Skill miners: turn one evidence cluster into one :class:`Skill`. Registered by name in :data:`MINERS`.

``offline`` is deterministic (templates over the evidence); ``openai:MODEL`` asks a model to word the skill's
name, description and body from the same evidence, while the procedure, provenance and reference files stay
those of the evidence (the model cannot add steps the agent would follow).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

from pydantic import BaseModel, Field

from agent_harness.skills.evidence import Cluster
from agent_harness.skills.format import DESCRIPTION_MAX, NAME_MAX, NAME_RE, STEPS, Skill, SkillError

WHEN = {
    "wrong-paths": "Use before writing or submitting any deliverable file, to put it at exactly the path the "
                   "briefing names (runs lost every file, section and figure item when outputs landed elsewhere).",
    "malformed-documents": "Use when creating docx, xlsx or pptx outputs with make_document, so that the files "
                           "open and are judged valid.",
    "missed-corrections": "Use before submitting or resubmitting a deliverable, to catch changed requirements "
                          "and corrected figures sent by collaborators that are still sitting in the inbox.",
    "unread-sources": "Use when starting a deliverable that lists several source files, so that every source "
                      "is opened and cited rather than only the first one.",
    "full-item-workflow": "Use when planning the work on a deliverable from start to submission: the tool "
                          "sequence that earned every rubric item in past runs.",
    "mkdoc-shapes": "Use when writing a make_document spec for a docx, xlsx or pptx output: spec shapes whose "
                    "outputs earned every file and section item in past runs.",
}
NAMES = {"wrong-paths": "exact-output-paths", "malformed-documents": "valid-office-documents",
         "missed-corrections": "recheck-inbox-before-submit", "unread-sources": "read-every-source",
         "full-item-workflow": "deliverable-workflow", "mkdoc-shapes": "mkdoc-spec-shapes"}


def evidence_lines(c: Cluster) -> list[str]:
    kinds = Counter(i["kind"] for i in c.items)
    pts = sum(i["max"] - i["points"] for i in c.items) if c.kind == "failure" else sum(i["points"] for i in c.items)
    lines = [f"- seen in {len(c.runs)} run(s), {len(c.turns)} turn(s), {len(c.items)} judged item(s)"
             + (f" ({', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))})" if kinds else ""),
             f"- points {'lost' if c.kind == 'failure' else 'earned'}: {pts:g}"]
    for ex, n in Counter(c.examples).most_common(5):
        lines.append(f"- {ex}" + (f" (x{n})" if n > 1 else ""))
    for t in c.turns[:5]:
        lines.append(f"- turn {t['turn']} (day {t['day']}, {t['tool']}): {t['note']}")
    return lines


def offline_miner(c: Cluster) -> Skill:
    steps = [f"{i}. {STEPS[s]}" for i, s in enumerate(c.procedure, 1)]
    body = [f"# {NAMES[c.key].replace('-', ' ').capitalize()}", "", f"Mined from {c.summary}.", "",
            "## Steps", "", *(steps or ["1. Start from the spec shapes in reference/ and fill in your content."]),
            "", "## Evidence", "", *evidence_lines(c)]
    reference = {}
    if c.shapes:
        body += ["", "## Shapes that worked", ""]
        for kind, shape in sorted(c.shapes.items()):
            body.append(f"- {kind}: keys {', '.join(shape['keys']) or '?'}; blocks {', '.join(shape['blocks']) or '-'}")
            reference[f"mkdoc-{kind}.json"] = json.dumps(shape, indent=1) + "\n"
        body.append("- full skeletons: reference/mkdoc-<kind>.json")
    return Skill(name=NAMES[c.key], description=WHEN[c.key], body="\n".join(body) + "\n",
                 procedure=list(c.procedure), reference=reference, metadata={"miner": "offline", "cluster": c.key})


class LLMSkillText(BaseModel):
    name: str = Field(max_length=NAME_MAX, pattern=NAME_RE.pattern)
    description: str = Field(min_length=10, max_length=DESCRIPTION_MAX)
    body: str = Field(min_length=10)


def llm_miner(model: str, base_url: str | None = None) -> Callable[[Cluster], Skill]:
    from worldbuilder.llm import LLMClient, LLMConfig

    client = LLMClient(LLMConfig.from_env(model=model, base_url=base_url, cache=False))

    def mine(c: Cluster) -> Skill:
        draft = offline_miner(c)
        prompt = ("You distil agent experience into an Agent Skill. From the evidence below write a JSON object "
                  "with: name (lowercase-hyphen, <= 64 chars), description (<= 1024 chars, saying WHEN to use "
                  "the skill), body (markdown instructions, under 400 lines). Use only the evidence.\n\n"
                  f"Pattern: {c.summary} ({c.kind}).\nEvidence:\n" + "\n".join(evidence_lines(c))
                  + f"\nProcedure steps the agent will follow: {', '.join(c.procedure) or '(none)'}")
        out, _ = client.chat_json([{"role": "user", "content": prompt}], LLMSkillText, role="skills")
        return Skill(name=out.name, description=out.description.strip(), body=out.body, procedure=draft.procedure,
                     reference=draft.reference, metadata={"miner": f"openai:{model}", "cluster": c.key})

    return mine


MINERS: dict[str, Callable[..., Callable[[Cluster], Skill]]] = {
    "offline": lambda **_: offline_miner,
    "openai": lambda model, base_url=None, **_: llm_miner(model, base_url),
}


def check_miner(spec: str) -> tuple[str, str]:
    """``(kind, model)`` of a ``--miner`` value, or a SkillError naming the choices."""
    kind, _, model = spec.partition(":")
    if kind not in MINERS or (kind == "openai") != bool(model):
        raise SkillError(f"unknown miner {spec!r} (use offline or openai:MODEL)")
    return kind, model


def make_miner(spec: str, base_url: str | None = None) -> Callable[[Cluster], Skill]:
    kind, model = check_miner(spec)
    return MINERS[kind](model=model, base_url=base_url)
