"""The model side of GDPval grading: free-text rubric items and the blind pairwise comparison."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agent_harness.gdpval.dataset import RubricItem, Task

MAX_CHARS = 12000


class ItemAnswer(BaseModel):
    met: float = Field(ge=0, le=1, description="fraction of the criterion met")
    evidence: str = Field(description="a short verbatim quote from the deliverable supporting the grade")


class PairAnswer(BaseModel):
    better: Literal["A", "B", "tie"]
    reason: str = ""


def _docs(outputs: dict[str, tuple[str, bool]]) -> str:
    return "\n\n".join(f"--- file {i} ---\n{t[:MAX_CHARS]}" for i, (t, _) in enumerate(outputs.values(), 1)) or "(none)"


class LLMGrader:
    def __init__(self, model: str, base_url: str | None = None) -> None:
        from worldbuilder.llm import LLMClient, LLMConfig

        self.name = f"openai:{model}"
        self.client = LLMClient(LLMConfig.from_env(model=model, base_url=base_url, cache=False))

    def grade(self, task: Task, item: RubricItem, outputs: dict[str, tuple[str, bool]]) -> tuple[float | None, str]:
        msgs = [{"role": "user", "content": f"Task given to a worker:\n{task.prompt}\n\nRubric criterion:\n"
                 f"{item.criterion}\n\nThe worker's deliverable(s):\n{_docs(outputs)}\n\nGrade the criterion."}]
        ans, _ = self.client.chat_json(msgs, ItemAnswer, role="judge")
        text = " ".join(" ".join(t.split()) for t, _ in outputs.values()).lower()
        quote = " ".join(ans.evidence.split()).lower()
        if not quote or quote not in text:
            return None, "model evidence not found in the outputs"
        return ans.met, f"model: {ans.evidence[:200]}"

    def compare(self, task: Task, a: dict[str, tuple[str, bool]], b: dict[str, tuple[str, bool]]) -> str:
        msgs = [{"role": "user", "content": f"Task:\n{task.prompt}\n\nDeliverable A:\n{_docs(a)}\n\n"
                 f"Deliverable B:\n{_docs(b)}\n\nWhich deliverable completes the task better?"}]
        ans, _ = self.client.chat_json(msgs, PairAnswer, role="judge")
        return ans.better
