"""LLM collaborators: the rule-based schedule and checks, with each message worded by the model in the
collaborator's voice. The grounded lines (figures, sections, corrections) are kept verbatim below it."""

from __future__ import annotations

import logging
from typing import Any

from agent_harness.collaborators.offline import OfflineCollaborators
from worldbuilder.errors import WorldbuilderError

log = logging.getLogger(__name__)


class LLMCollaborators(OfflineCollaborators):
    def __init__(self, spec, objectives, client) -> None:  # client: worldbuilder.llm.LLMClient
        super().__init__(spec, objectives)
        self.client = client
        self.name = f"openai:{client.config.model}"
        self.failures = 0

    def compose(self, sender: str, kind: str, body: str) -> str:
        p = self.people[sender]
        system = (f"You are {p.name}, {p.role} at {p.organisation} ({p.relation} of {self.spec.profile.full_name}). "
                  f"Your expectations: {'; '.join(p.expectations) or 'none'}. Write a short, natural {kind} "
                  "message (2-4 sentences, no greeting line, no signature) to accompany the facts below. Do not "
                  "repeat or change any figure, never state a result the user has to work out from the files "
                  "(you do not know it either), and do not list assessment criteria.")
        try:
            res = self.client.chat([{"role": "system", "content": system}, {"role": "user", "content": body}],
                                   role="collaborators")
            intro = (res.content or "").strip()
        except WorldbuilderError as exc:  # retries exhausted: keep the grounded text, note the failure
            self.failures += 1
            log.warning("collaborator %s: LLM failed (%s); using the rule-based wording", sender, exc)
            intro = ""
        return super().compose(sender, kind, f"{intro}\n\n{body}" if intro else body)

    def tokens(self) -> dict[str, int]:
        u = self.client.usage.get("collaborators")
        return {"prompt": u.prompt_tokens, "completion": u.completion_tokens} if u else {}

    def state(self) -> dict[str, Any]:
        return {**super().state(), "failures": self.failures}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.failures = state.get("failures", 0) if state else 0


def from_model(spec, objectives, model: str, base_url: str | None = None) -> LLMCollaborators:
    """Collaborators worded by ``model`` at the OpenAI-compatible endpoint ``base_url`` (no response cache)."""
    from worldbuilder.llm import LLMClient, LLMConfig

    return LLMCollaborators(spec, objectives, LLMClient(LLMConfig.from_env(model=model, base_url=base_url, cache=False)))
