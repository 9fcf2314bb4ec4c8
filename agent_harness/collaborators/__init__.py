"""Simulated collaborators (offline rule-based, or LLM-worded) reached through the in-computer mailbox."""

from __future__ import annotations

from agent_harness.collaborators.base import Collaborators, Persona
from agent_harness.collaborators.offline import OfflineCollaborators

__all__ = ["Collaborators", "Persona", "OfflineCollaborators", "make_collaborators"]


def make_collaborators(backend: str, spec, objectives, llm_base_url: str | None = None) -> Collaborators:
    from worldbuilder.errors import WorldbuilderError

    if backend == "offline":
        return OfflineCollaborators(spec, objectives)
    if backend.startswith("openai:"):
        from agent_harness.collaborators.llm import LLMCollaborators
        from worldbuilder.llm import LLMClient, LLMConfig

        cfg = LLMConfig.from_env(model=backend.split(":", 1)[1], base_url=llm_base_url, cache=False)
        return LLMCollaborators(spec, objectives, LLMClient(cfg))
    raise WorldbuilderError(f"unknown collaborators backend {backend!r} (use offline or openai:MODEL)")
