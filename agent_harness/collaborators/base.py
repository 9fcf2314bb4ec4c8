"""The Collaborators interface: the user's simulated colleagues, managers and clients."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from agent_harness.models import MessageRecord, Objectives
from worldbuilder.runtime.computer import Computer
from worldbuilder.spec import ComputerSpec

# The collaborators plug-in map (see worldbuilder.plugins): factories take spec, objectives (and base_url).
COLLABORATORS: dict[str, str] = {
    "offline": "agent_harness.collaborators.offline:OfflineCollaborators",
    "openai:MODEL": "agent_harness.collaborators.llm:from_model",
}


@dataclass
class Persona:
    """One collaborator: who they are and what they expect (hidden from the agent)."""

    id: str
    name: str
    email: str
    role: str
    relation: str
    organisation: str
    expectations: list[str] = field(default_factory=list)


class Collaborators(ABC):
    name: str = "abstract"

    def __init__(self, spec: ComputerSpec, objectives: Objectives) -> None:
        self.spec, self.objectives = spec, objectives
        orgs = {o.id: o.name for o in spec.world.organisations}
        self.people = {p.id: Persona(p.id, p.name, p.email, p.role, p.relation, orgs.get(p.organisation, ""))
                       for p in spec.world.people}
        for d in objectives.deliverables:
            for s in d.stakeholders:
                self.people[s.id].expectations.append(
                    f"{d.id}: sections {', '.join(d.sections)}; due day {d.due_day}; outputs "
                    f"{', '.join(o.path for o in d.outputs)}"
                    + (f"; needs worked out: {', '.join(a['label'] for a in d.asks)}" if d.asks else ""))

    @abstractmethod
    def kickoff(self) -> list[MessageRecord]:
        """Messages waiting in the inbox on the morning of day 1."""

    @abstractmethod
    def respond(self, day: int, outgoing: list[dict[str, Any]], computer: Computer,
                submissions: dict[str, list[str]]) -> list[MessageRecord]:
        """End of ``day``: read the user's outgoing messages, reply, and send scheduled messages."""

    def tokens(self) -> dict[str, int]:
        return {}

    @abstractmethod
    def state(self) -> dict[str, Any]: ...

    @abstractmethod
    def load_state(self, state: dict[str, Any]) -> None: ...
