"""The WorkAgent interface: one simulated working day at a time, all actions through a Toolbox."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from typing import Any

from agent_harness.tools import Toolbox

# The agent plug-in map (see worldbuilder.plugins): options given to make_agent are base_url, day_seconds.
AGENTS: dict[str, str] = {
    "offline": "agent_harness.agents.scripted:ScriptedAgent",
    "offline-weak": "agent_harness.agents.weakened:WeakenedScriptedAgent",
    "reference": "agent_harness.agents.reference:ReferenceSolver",  # the scripted reference solver, not a model
    "external": "agent_harness.agents.external:ExternalAgent",
    "openai:MODEL": "agent_harness.agents.openai_agent:from_model",
}


class WorkAgent(ABC):
    name: str = "abstract"

    def start(self, brief: dict[str, Any]) -> None:
        """Receive the briefing (deliverables without rubric) before the first day."""
        self.brief = brief

    @abstractmethod
    def run_day(self, day: int, today: date, tools: Toolbox) -> None:
        """Work until ``finish_day`` (or until the toolbox raises DayOver)."""

    def tokens(self) -> dict[str, int]:
        return {}

    def state(self) -> dict[str, Any]:
        """JSON-able state checkpointed at each day boundary (restored on resume)."""
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state` (resume, fork, restore after a dead computer)."""
        return None
