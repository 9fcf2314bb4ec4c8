"""External-agent mode: any program drives the computer over SSH; the harness only runs the clock.

The program reads ``msg today``, works with a shell, talks to collaborators with ``msg``, records
outputs with ``msg submit ID PATH...`` and ends each day with ``msg done``. The harness polls for
that marker (without spending turns) and then runs the day boundary. See docs/harness.md.
"""

from __future__ import annotations

import json
import time
from datetime import date

from agent_harness.agents.base import WorkAgent
from agent_harness.tools import Toolbox
from worldbuilder.errors import CallFailed, ComputerUnreachable, WorldbuilderError

DONE = ".mail/day-done.json"
SUBMISSIONS = ".mail/submissions.json"
CONTROL_CAP = 256 * 1024  # bytes: the control files are a few hundred bytes; anything larger is ignored


def _control(c, path: str) -> dict:
    """A control file's JSON object, or {} when it is missing, oversized, irregular or malformed."""
    try:
        data = json.loads(c.read(path, CONTROL_CAP))
    except ComputerUnreachable:
        raise
    except (FileNotFoundError, ValueError, WorldbuilderError):
        return {}
    return data if isinstance(data, dict) else {}


class ExternalAgent(WorkAgent):
    name = "external"

    def __init__(self, day_seconds: float = 600.0, poll: float = 0.3) -> None:
        self.day_seconds, self.poll = day_seconds, poll

    def run_day(self, day: int, today: date, tools: Toolbox) -> None:
        c = tools.computer
        deadline = time.monotonic() + self.day_seconds
        done = None
        while time.monotonic() < deadline:
            done = _control(c, DONE)
            if done.get("day") == day or c.halted():
                break
            time.sleep(self.poll)
        try:
            c.exec(f"rm -rf {DONE}")
        except CallFailed:
            pass
        subs = _control(c, SUBMISSIONS)
        for did, paths in subs.items():
            if did in tools.deliverables and isinstance(paths, list):
                tools.submissions[did] = [str(p) for p in paths if isinstance(p, str)][:50]
        ok = bool(done and done.get("day") == day)
        tools.record("external_day", f"external agent finished day {day}; submissions: {sorted(subs)}" if ok else
                     f"external agent did not finish day {day} within {self.day_seconds:g}s", error=not ok)
        tools.finished = True
