"""OpenAIAgent: tool calling over an OpenAI-compatible API, with context management for long runs.

The context keeps the system prompt, the briefing and the agent's own notes file (``~/notes.md`` in the
computer, re-read every morning) and as many recent turns as fit in ``max_context_chars``; older turn
groups are dropped whole (an assistant message with its tool results), replaced by one elision note.
Malformed tool calls become error tool results; LLM failures after retries end the day, never the run.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from agent_harness.agents.base import WorkAgent
from agent_harness.tools import DayOver, Toolbox, openai_tools
from worldbuilder.errors import WorldbuilderError

NOTES = "notes.md"
SYSTEM = """You are {user}, working on your own computer through tools. Today is simulated day {{day}} of {days}.
Your deliverables are below. Work like a careful professional: explore your files, read the sources, ask your
collaborators (send_message; replies arrive the next morning in read_inbox), write the outputs at the paths
given (make_document for docx/xlsx/pptx, write_file for md), submit each deliverable by its due day and revise
when someone sends a change or a correction. Keep ~/notes.md up to date with open items: it is shown to you
every morning and is your memory across days. Call finish_day when the day's work is done."""


def skills_prompt(skills: list[dict[str, Any]]) -> str:
    """The skills section of the system prompt: names and descriptions only; bodies are read on demand."""
    lines = ["", "", "Skills are installed on this computer. Each is a folder with a SKILL.md; when one applies, read "
             "its SKILL.md (read_file) and follow it:"]
    return "\n".join(lines + [f"- {s['name']} ({s['path']}): {s['description']}" for s in skills])


class OpenAIAgent(WorkAgent):
    def __init__(self, client, max_context_chars: int = 60000, keep_recent: int = 40) -> None:
        self.client = client  # worldbuilder.llm.LLMClient
        self.name = f"openai:{client.config.model}"
        self.max_context_chars, self.keep_recent = max_context_chars, keep_recent
        self.history: list[dict[str, Any]] = []
        self.elided = 0
        self.llm_errors = 0

    def tokens(self) -> dict[str, int]:
        u = self.client.usage.get("agent")
        return {"prompt": u.prompt_tokens, "completion": u.completion_tokens} if u else {}

    def state(self) -> dict[str, Any]:
        return {"elided": self.elided, "llm_errors": self.llm_errors}

    def load_state(self, state: dict[str, Any]) -> None:
        self.history = []  # a resumed agent starts from its briefing and notes
        self.elided = state.get("elided", 0) if state else 0
        self.llm_errors = state.get("llm_errors", 0) if state else 0

    # ------------------------------------------------------------------ context
    def header(self, day: int) -> list[dict[str, Any]]:
        sys_prompt = SYSTEM.format(user=self.brief["user"], days=self.brief["days"]).format(day=day)
        if self.brief.get("skills"):
            sys_prompt += skills_prompt(self.brief["skills"])
        return [{"role": "system", "content": sys_prompt},
                {"role": "user", "content": "Your deliverables:\n" + json.dumps(self.brief["deliverables"], indent=1)}]

    def context(self, day: int) -> list[dict[str, Any]]:
        self.trim()
        note = [{"role": "user", "content": f"[{self.elided} earlier messages were elided; see ~/notes.md]"}] \
            if self.elided else []
        return self.header(day) + note + self.history

    def trim(self) -> None:
        """Drop the oldest whole turn groups until the history fits."""
        def size() -> int:
            return sum(len(json.dumps(m)) for m in self.history)

        while self.history and (size() > self.max_context_chars or len(self.history) > self.keep_recent * 3):
            cut = 1
            while cut < len(self.history) and self.history[cut]["role"] == "tool":
                cut += 1
            self.elided += cut
            self.history = self.history[cut:]

    # ------------------------------------------------------------------ day
    def close_pending(self) -> None:
        """Answer tool calls left without results (the day ended mid-reply), keeping the API contract."""
        for i in range(len(self.history) - 1, -1, -1):
            m = self.history[i]
            if m["role"] == "assistant":
                done = {x.get("tool_call_id") for x in self.history[i + 1:] if x["role"] == "tool"}
                for tc in m.get("tool_calls") or []:
                    if tc["id"] not in done:
                        self.history.append({"role": "tool", "tool_call_id": tc["id"],
                                             "content": "not executed: the day ended"})
                return

    def run_day(self, day: int, today: date, tools: Toolbox) -> None:
        self.close_pending()
        try:
            notes = tools.computer.read(NOTES, 1 << 20).decode("utf-8", errors="replace")[-4000:]
        except (FileNotFoundError, WorldbuilderError, OSError):
            notes = "(no notes yet)"
        self.history.append({"role": "user", "content": f"Day {day} ({today.isoformat()}) begins. You have "
                             f"{tools.budget.day_turns} tool calls today. Your notes:\n{notes}\nStart by reading your inbox."})
        nudges = 0
        while True:
            tools.check_budget()
            try:
                res = self.client.chat(self.context(day), tools=openai_tools(), role="agent")
            except WorldbuilderError as exc:  # retries exhausted: log it and end the day
                self.llm_errors += 1
                tools.call("llm", {}, malformed=f"LLM request failed after retries: {exc}")
                raise DayOver("LLM unavailable") from exc
            self.history.append(res.message())
            usage = {"prompt": res.usage.prompt_tokens, "completion": res.usage.completion_tokens}
            if not res.tool_calls:
                nudges += 1
                if nudges > 2:
                    tools.call("finish_day", {}, tokens=usage)
                    return
                self.history.append({"role": "user", "content": "Use a tool, or call finish_day."})
                continue
            for i, tc in enumerate(res.tool_calls):
                result = self.call_one(tools, tc, usage if i == 0 else None)
                self.history.append({"role": "tool", "tool_call_id": tc.id, "content": result})
                if tools.finished:
                    return

    @staticmethod
    def call_one(tools: Toolbox, tc, usage: dict[str, int] | None) -> str:
        try:
            args = json.loads(tc.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            r = tools.call(tc.name or "?", {"raw": (tc.arguments or "")[:300]}, tokens=usage,
                           malformed=f"malformed tool call arguments ({exc}); send a JSON object")
            return r.text
        return tools.call(tc.name, args, tokens=usage).text


def from_model(model: str, base_url: str | None = None) -> OpenAIAgent:
    """The agent on ``model`` at the OpenAI-compatible endpoint ``base_url`` (no response cache)."""
    from worldbuilder.llm import LLMClient, LLMConfig

    return OpenAIAgent(LLMClient(LLMConfig.from_env(model=model, base_url=base_url, cache=False)))
