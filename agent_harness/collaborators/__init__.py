"""Simulated collaborators (offline rule-based, or LLM-worded) reached through the in-computer mailbox."""

from __future__ import annotations

from agent_harness.collaborators.base import COLLABORATORS, Collaborators, Persona
from agent_harness.collaborators.offline import OfflineCollaborators
from worldbuilder.plugins import make

__all__ = ["COLLABORATORS", "Collaborators", "Persona", "OfflineCollaborators", "make_collaborators"]


def make_collaborators(backend: str, spec, objectives, llm_base_url: str | None = None) -> Collaborators:
    return make("collaborators backend", COLLABORATORS, backend, spec=spec, objectives=objectives,
                base_url=llm_base_url)
