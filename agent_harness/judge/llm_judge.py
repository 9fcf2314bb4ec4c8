"""The LLM judge for free-text ``judge`` criteria (any OpenAI-compatible endpoint via worldbuilder.llm).

One criterion per call, with the deliverable's extracted outputs and its sources. The answer is JSON
validated against :class:`JudgeAnswer` (invalid answers are fed back by ``LLMClient.chat_json``); points above
zero need an evidence quote that occurs in the outputs, else the sample scores 0. K samples (seeds 0..K-1)
give the median and the spread; an item whose samples are all invalid is ``unjudged`` with the reason.
"""

from __future__ import annotations

import statistics
import threading
from typing import Any

from pydantic import BaseModel, Field, create_model

from agent_harness.judge.kinds import Ctx, Verdict
from agent_harness.models import Criterion
from worldbuilder.errors import GenerationError

MAX_FILE_CHARS = 6000
MAX_SOURCE_CHARS = 1500
SYSTEM = ("You grade one rubric criterion of a professional deliverable. Be strict and literal. Award points "
          "only for what the outputs actually contain; partial credit is allowed. Quote the exact passage of "
          "the outputs that justifies the points (copied character for character) and name its file.")


class JudgeAnswer(BaseModel):
    points: float = Field(ge=0, description="points awarded, 0..max")
    evidence_quote: str = Field("", description="exact text copied from the outputs")
    evidence_file: str = Field(description="the output file the quote comes from (required; may be empty at 0 points)")
    rationale: str = Field("", max_length=2000)


def answer_schema(max_points: float) -> type[JudgeAnswer]:
    return create_model("JudgeAnswer", __base__=JudgeAnswer,
                        points=(float, Field(ge=0, le=max_points, description=f"points awarded, 0..{max_points:g}")))


class LLMJudge:
    def __init__(self, model: str, samples: int = 1, base_url: str | None = None) -> None:
        from worldbuilder.llm import LLMClient, LLMConfig

        self.samples = samples
        self.client = LLMClient(LLMConfig.from_env(model=model, base_url=base_url, json_attempts=2))
        self.items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ prompt
    def messages(self, c: Criterion, x: Ctx) -> list[dict[str, str]]:
        d = x.dlv.deliverable
        files = "\n\n".join(f"=== OUTPUT FILE {f.path} ===\n{f.text[:MAX_FILE_CHARS]}" for f in x.dlv.readable)
        srcs = "\n\n".join(f"=== SOURCE {p} ===\n{x.inp.sources[p][:MAX_SOURCE_CHARS]}" for p in d.sources
                           if p in x.inp.sources)
        user = (f"Deliverable {d.id}: {d.title}\n{d.description}\n\nCriterion ({c.points} points): {c.text}\n"
                + (f"Detail: {c.check.get('text')}\n" if c.check.get("text") and c.check.get("text") != c.text else "")
                + f"\nThe submitted outputs (extracted text):\n{files or '(none)'}\n\n"
                f"The computer's relevant sources:\n{srcs or '(none)'}\n\n"
                f"Award 0..{c.points} points for this criterion only.")
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]

    # ------------------------------------------------------------------ grading
    def sample(self, msgs: list[dict[str, str]], c: Criterion, x: Ctx, k: int) -> dict[str, Any]:
        from worldbuilder.llm import InvalidOutput

        try:
            ans, _ = self.client.chat_json(msgs, answer_schema(c.points), role="judge", seed=k)
        except (InvalidOutput, GenerationError) as exc:
            return {"points": None, "reason": f"invalid answer: {str(exc).splitlines()[0][:200]}"}
        quote = ans.evidence_quote.strip()
        if ans.points > 0 and not quote:
            return {"points": 0.0, "reason": "no evidence quote given", "claimed": ans.points}
        if quote and x.dlv.find(quote) is None:
            return {"points": 0.0, "reason": "evidence quote does not occur in the outputs", "claimed": ans.points,
                    "quote": quote[:200]}
        where = x.dlv.find(quote) if quote else None
        return {"points": ans.points, "reason": ans.rationale[:300], "quote": quote[:200],
                "file": where.path if where else ans.evidence_file}

    def grade(self, c: Criterion, x: Ctx) -> Verdict:
        msgs = self.messages(c, x)
        results = self.client.map(lambda k: self.sample(msgs, c, x, k), range(self.samples))
        valid = [r for r in results if r["points"] is not None]
        pts = [r["points"] for r in valid]
        with self._lock:
            self.items[c.id] = {"samples": [r["points"] for r in results], "invalid": len(results) - len(valid),
                                "spread": round(max(pts) - min(pts), 3) if pts else None}
        if not valid:
            return Verdict(0.0, "", f"unjudged: {results[0]['reason']}", "unjudged")
        med = statistics.median(pts)
        best = min(valid, key=lambda r: abs(r["points"] - med))
        spread = f"; {len(pts)} samples, median {med:g}, spread {max(pts) - min(pts):g}" if len(results) > 1 else ""
        evidence = f"{best.get('file', '')}: {best['quote']}" if best.get("quote") else ""
        return Verdict(med / c.points if c.points else 0.0, evidence, f"{best['reason']}{spread}")

    def tokens(self) -> dict[str, int]:
        u = self.client.total_usage()
        return {"prompt": u.prompt_tokens, "completion": u.completion_tokens}

    def meta(self) -> dict[str, Any]:
        return {"model": self.client.config.model, "base_url": self.client.config.safe_base_url(),
                "requests": self.client.requests, "items": dict(self.items)}

