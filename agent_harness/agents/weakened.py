"""WeakenedScriptedAgent (``--agent offline-weak``): the scripted baseline with deterministic, seeded weaknesses.

A labelled stand-in for testing the skills loop end to end; it is NOT a model and is never presented as one.
Per deliverable, each weakness is on or off by a seeded draw:

* ``skip_inbox_recheck``: changed requirements and corrections in the inbox are skimmed, never applied;
* ``one_source``: only the first source file is read;
* ``wrong_paths``: outputs are written in the home folder under their file name, not at the briefing's path.

When skills are installed (the briefing lists them), the agent reads each SKILL.md through its tools on its
first day and follows the steps of its machine-readable ``procedure:`` block; a step cures its weakness.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from datetime import date
from typing import Any

from agent_harness.agents.scripted import ScriptedAgent
from agent_harness.tools import Toolbox

CURES = {"skip_inbox_recheck": "recheck_inbox_before_submit", "one_source": "read_all_sources",
         "wrong_paths": "write_exact_output_paths"}
CHANCE = 0.8  # probability that a weakness affects a given deliverable
LIST_INBOX = ("python3 -c 'import json,pathlib; b=pathlib.Path.home()/\".mail/inbox\"; "
              "print(json.dumps([json.loads(p.read_text()) for p in sorted(b.glob(\"*.json\"))]))'")


class WeakenedScriptedAgent(ScriptedAgent):
    name = "offline-weak"

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.seed = seed
        self.procedure: list[str] = []
        self.skills_read = False
        self.applied: list[str] = []  # ids of messages acted on

    def state(self) -> dict[str, Any]:
        return super().state() | {"procedure": list(self.procedure), "skills_read": self.skills_read,
                                  "applied": list(self.applied)}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        if state:
            self.procedure = list(state.get("procedure", []))
            self.skills_read = bool(state.get("skills_read", False))
            self.applied = list(state.get("applied", []))

    def weak(self, dlv_id: str, weakness: str) -> bool:
        if CURES[weakness] in self.procedure:
            return False
        h = hashlib.sha256(f"{self.seed}:{self.brief.get('user')}:{dlv_id}:{weakness}".encode()).digest()
        return int.from_bytes(h[:4], "big") / 2**32 < CHANCE

    # ------------------------------------------------------------------ day
    def run_day(self, day: int, today: date, tools: Toolbox) -> None:
        if self.brief.get("skills") and not self.skills_read:
            self.read_skills(tools)
        super().run_day(day, today, tools)

    def read_skills(self, tools: Toolbox) -> None:
        from agent_harness.skills.format import SkillError, parse_procedure

        for s in self.brief["skills"]:
            r = tools.call("read_file", {"path": s["path"]})
            try:
                steps = parse_procedure(r.text) if not r.error else []
            except SkillError:
                steps = []
            self.procedure += [st for st in steps if st not in self.procedure]
        self.skills_read = True

    def recheck_inbox(self, day: int, tools: Toolbox) -> None:
        r = tools.call("shell", {"cmd": LIST_INBOX})
        try:
            msgs = json.loads(r.text.split("\n", 1)[1]) if not r.error else []
        except (ValueError, IndexError):
            msgs = []
        for m in msgs:
            self.handle(m, day, recheck=True)

    # ------------------------------------------------------------------ weaknesses
    def handle(self, m: dict[str, Any], day: int, recheck: bool = False) -> None:
        mid = str(m.get("id", ""))
        if recheck and mid in self.applied:
            return
        text = f"{m.get('subject', '')}\n{m.get('body', '')}"
        is_update = m.get("kind") in ("change", "correction") or "should read" in text or "add a section" in text.lower()
        if is_update and not recheck:
            ids = [i for i in self.dls if i in text or m.get("deliverable") == i]
            if ids and all(self.weak(i, "skip_inbox_recheck") for i in ids):
                return  # skimmed
        super().handle(m, day)
        self.applied.append(mid)

    def read_sources(self, d: dict[str, Any], tools: Toolbox) -> None:
        if d["extracts"] and self.weak(d["id"], "one_source"):
            d["stage"] = "read"
            return
        super().read_sources(d, tools)

    def draft_and_submit(self, d: dict[str, Any], day: int, tools: Toolbox) -> None:
        if "recheck_inbox_before_submit" in self.procedure:
            self.recheck_inbox(day, tools)
        orig = d["outputs"]
        if self.weak(d["id"], "wrong_paths"):
            d["outputs"] = [dict(o, path=o["path"].rsplit("/", 1)[-1]) for o in orig]
        try:
            super().draft_and_submit(d, day, tools)
        finally:
            d["outputs"] = orig
        if "write_exact_output_paths" in self.procedure:
            tools.call("shell", {"cmd": "ls -l " + " ".join(shlex.quote(o["path"]) for o in orig)})
