"""Simulation: the clock drives days; the agent works through tools; boundaries deliver and snapshot.

A day boundary (end of day N) runs in this order: collect the outbox, let collaborators reply and send
scheduled messages, deliver them to the inbox, copy submitted files out, write ``state/day-NN.json``,
snapshot the computer and only then record ``day-NN`` in ``snapshots.json``. A day is complete exactly
when it is in snapshots.json, which is what resume and fork start from. A computer that dies before that
makes the day restart from its beginning on the previous snapshot (the abandoned attempt's records are
marked ``rolled_back``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from agent_harness import mailbox
from agent_harness.agents.base import WorkAgent
from agent_harness.clock import Clock
from agent_harness.collaborators.base import Collaborators
from agent_harness.models import (
    DayStats,
    MessageRecord,
    Objectives,
    RefusedFile,
    RunConfig,
    RunState,
    SnapshotRecord,
    Summary,
    TurnRecord,
)
from agent_harness.runlog import JsonlLog, RunDir, atomic_write, write_model
from agent_harness.runtime import live_info
from agent_harness.tools import Budget, BudgetExceeded, ComputerLost, DayOver, Toolbox
from worldbuilder.errors import CallFailed, ComputerUnreachable, PathOutsideComputer, TransferRefused
from worldbuilder.runtime.computer import Computer, SnapshotInfo
from worldbuilder.runtime.provider import ComputerProvider
from worldbuilder.spec import ComputerSpec

log = logging.getLogger(__name__)
Progress = Callable[[int, int, int], None]  # (day, turns used today, turns per day)
MAX_RESTORES_PER_DAY = 2
ALL_SUBMITTED = "every deliverable submitted"  # stop reason of a run with stop_when_submitted
DEGRADED_RATE, DEGRADED_MIN_TURNS = 0.9, 10  # a finished run with >= 90% error turns is ``degraded``


class Redactor:
    """Replaces secret values (API keys) wherever the harness writes text."""

    def __init__(self, secrets: list[str]) -> None:
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def __call__(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "[REDACTED]")
        return text


class Simulation:
    def __init__(self, run: RunDir, runtime: ComputerProvider, spec: ComputerSpec, objectives: Objectives,
                 agent: WorkAgent, collaborators: Collaborators, clock: Clock, config: RunConfig,
                 redact: Redactor | None = None, progress: Progress | None = None) -> None:
        self.run_dir, self.runtime, self.spec, self.objectives = run, runtime, spec, objectives
        self.agent, self.collabs, self.clock, self.config = agent, collaborators, clock, config
        self.redact = redact or Redactor([])
        self.progress = progress
        self.stop_when_submitted = False  # end the run after the first day by which every deliverable is submitted
        self.turns = JsonlLog(run.turns_jsonl, TurnRecord)
        self.messages = JsonlLog(run.messages_jsonl, MessageRecord)
        self.computer: Computer | None = None
        self.state = RunState(day=0, turn=0, wall_seconds=0.0)
        self.t_start = time.monotonic()
        self.token_base: dict[str, dict[str, int]] = {}
        self.overhead_s, self.tool_turns = 0.0, 0  # harness time per tool call, excluding the computer's work

    # ------------------------------------------------------------------ bookkeeping
    def wall(self) -> float:
        return self.state.wall_seconds + time.monotonic() - self.t_start

    def tokens(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for role, cur in (("agent", self.agent.tokens()), ("collaborators", self.collabs.tokens())):
            base = self.token_base.get(role, {})
            out[role] = {k: base.get(k, 0) + cur.get(k, 0) for k in ("prompt", "completion")}
        return out

    def total_tokens(self) -> int:
        return sum(v for r in self.tokens().values() for v in r.values())

    def log_turn(self, rec: TurnRecord) -> None:
        self.turns.append(rec)
        self.state.turn = max(self.state.turn, rec.turn)
        if self.progress:
            self.progress(rec.day, self._day_turns + 1 if rec.actor == "agent" else self._day_turns,
                          self.clock.turns_per_day)
        if rec.actor == "agent":
            self._day_turns += 1
            self._day.turns += 1
            self._day.errors += int(rec.error)

    def harness_turn(self, day: int, tool: str, result: str, error: bool = False, actor: str = "harness",
                     args: dict[str, Any] | None = None, ms: float = 0.0) -> None:
        self.log_turn(TurnRecord(turn=self.state.turn + 1, day=day, actor=actor, tool=tool, args=args or {},
                                 result=self.redact(result)[:2000], error=error, duration_ms=round(ms, 2)))

    # ------------------------------------------------------------------ start
    def start_fresh(self, image: str) -> None:
        """Boot the image, install the mailbox, deliver the kickoff, checkpoint day 0."""
        self.computer = self.runtime.boot(image)
        self._write_live()
        mailbox.install(self.computer, self.spec)
        self.computer.write("objectives.md", self._objectives_md().encode())
        self._day_turns, self._day = 0, DayStats(day=0, date=self.clock.date(0))
        self._deliver(0, self.collabs.kickoff())
        self._boundary(0)
        self._overnight(0)

    def start_from(self, day: int) -> None:
        """Boot the snapshot of ``day`` and restore the checkpoint written with it."""
        snap = self.run_dir.snapshots().get(day)
        if snap is None:
            raise ValueError(f"no snapshot for day {day}")
        self.state = self.run_dir.state(day)
        self.state.turn = max([t.turn for t in self.run_dir.turns()] + [self.state.turn])
        self.token_base = {k: dict(v) for k, v in self.state.tokens.items()}
        self.agent.load_state(self.state.agent)
        self.collabs.load_state(self.state.collaborators)
        self.computer = self.runtime.boot(snap.ref)
        self._write_live()

    def _write_live(self) -> None:
        assert self.computer is not None
        atomic_write(self.run_dir.live_json, json.dumps(live_info(self.runtime, self.computer), indent=1) + "\n")

    def _objectives_md(self) -> str:
        lines = [f"# Objectives for {self.objectives.user}", "",
                 f"{self.clock.days} working days from {self.clock.date(1).isoformat()}. Messages: `msg inbox`, "
                 "`msg read ID`, `msg send --to NAME --subject S --body B`. Finish your day with `msg done`.", ""]
        for d in self.agent.brief["deliverables"]:
            lines += [f"## {d['id']}: {d['title']} (due day {d['due_day']})", "", d["description"], "",
                      "Stakeholders: " + ", ".join(f"{s['name']} ({s['role']})" for s in d["stakeholders"]),
                      "Outputs: " + ", ".join(o["path"] for o in d["outputs"]),
                      "Sources: " + ", ".join(d["sources"]), "Sections: " + ", ".join(d["sections"]),
                      "Key figures: " + ", ".join(d["key_figures"]), ""]
            lines += _asks_md(d)
        return "\n".join(lines)

    # ------------------------------------------------------------------ main loop
    def run(self) -> Summary:
        status, reason = "completed", ""
        try:
            for day in range(self.state.day + 1, self.clock.days + 1):
                stop = self.run_day(day)
                if stop:
                    status, reason = "stopped", stop
                    break
        except BaseException as exc:
            status, reason = "failed", f"{type(exc).__name__}: {exc}"
            self.write_summary(status, reason)
            raise
        finally:
            if self.computer is not None:
                self.runtime.release(self.computer)
                self.computer = None
            self.turns.close()
            self.messages.close()
        s = self.write_summary(status, reason)
        if status == "completed" and s.turns >= DEGRADED_MIN_TURNS and s.error_rate >= DEGRADED_RATE:
            s = self.write_summary("degraded", f"{s.errors} of {s.turns} agent turns were errors "
                                   f"(see daily_sim_turns.jsonl)")
        return s

    def run_day(self, day: int) -> str:
        """One working day and its boundary; return a stop reason when the run budget is used up.

        If the computer dies before the day's snapshot is recorded, the day is restarted from its beginning
        on the previous day's snapshot (at most ``MAX_RESTORES_PER_DAY`` times): see :meth:`_restart_day`.
        """
        restarts = 0
        while True:
            try:
                stop = self._attempt_day(day, restarts)
                break
            except (ComputerLost, ComputerUnreachable) as exc:
                if restarts >= MAX_RESTORES_PER_DAY:
                    raise
                restarts += 1
                self._restart_day(day, str(exc))
        if not stop and self.stop_when_submitted and day < self.clock.days and \
                all(d.id in self.state.submissions for d in self.objectives.deliverables):
            stop = ALL_SUBMITTED
        if not stop and day < self.clock.days:
            self._overnight(day)
        return stop

    def _overnight(self, day: int) -> None:
        """Carry the computer into the next day from the day's snapshot (Docker restarts it, so the next
        snapshot holds only the next day's changes)."""
        snap = self.run_dir.snapshots().get(day)
        assert self.computer is not None and snap is not None
        self.computer = self.runtime.carry_over(self.computer, SnapshotInfo(snap.label, snap.ref, snap.created))
        self._write_live()

    def _attempt_day(self, day: int, restarts: int) -> str:
        t0 = time.monotonic()
        self._day_turns, self._day = 0, DayStats(day=day, date=self.clock.date(day), restarts=restarts)
        assert self.computer is not None
        try:
            self.computer.write(".mail/today.json", json.dumps({"day": day, "date": self._day.date.isoformat(),
                                                                "days": self.clock.days}).encode())
        except CallFailed as exc:  # the agent broke its mailbox: its `msg today` fails, the day goes on
            self.harness_turn(day, "mailbox", f"cannot write .mail/today.json: {exc}", error=True)
        stop = ""
        tools = self._toolbox(day, dict(self.state.submissions))
        try:
            self.agent.run_day(day, self._day.date, tools)
        except BudgetExceeded as exc:
            stop = str(exc)
        except DayOver:
            pass
        halted = self.computer.halted()
        if halted:  # e.g. the disk quota: the day ends here and the run stops after its boundary
            self._day.ended = stop = halted
            self.harness_turn(day, "halt", halted, error=True)
        self.overhead_s += tools.overhead_s
        self.tool_turns += tools.day_turns
        self._day.wall_seconds = round(time.monotonic() - t0, 3)
        self._boundary(day, tools.submissions)
        return stop

    def _toolbox(self, day: int, submissions: dict[str, list[str]]) -> Toolbox:
        lim = self.config.limits
        budget = Budget(day_turns=max(0, self.clock.turns_per_day - self._day_turns), max_turns=lim.max_turns,
                        max_wall=lim.max_wall, max_tokens=lim.max_tokens, used_tokens=self.total_tokens,
                        wall_offset=self.wall() - 0.0)
        budget.started = time.monotonic()
        tb = Toolbox(self.computer, self.log_turn, day, self.state.turn, budget,  # type: ignore[arg-type]
                     {d.id for d in self.objectives.deliverables}, redact=self.redact,
                     command_timeout=self.config.command_timeout)
        tb.submissions = dict(submissions)
        self._toolbox_ref = tb
        return tb

    def _restart_day(self, day: int, why: str) -> None:
        """The computer died during ``day``: mark the attempt's turns and messages ``rolled_back``, boot the
        last complete day's snapshot, reload the checkpoint written with it (agent, collaborators,
        submissions) and log an error-flagged ``restore`` turn. The caller then reruns the day from its start."""
        last = self.run_dir.snapshots().last()
        assert last is not None
        try:
            if self.computer is not None:
                self.runtime.release(self.computer)
        except Exception:  # the dead computer may not even answer a stop
            pass
        self.computer = None
        t0 = time.perf_counter()
        n_turns = self.turns.mark_rolled_back(lambda r: r.day == day and r.tool != "restore")
        self.messages.mark_rolled_back(lambda r: r.day == day)
        turn, restores, wall = self.state.turn, self.state.restores + 1, self.wall()
        self.state = self.run_dir.state(last.day)
        self.state.turn, self.state.restores, self.state.wall_seconds = turn, restores, wall
        self.t_start = time.monotonic()
        self.agent.load_state(self.state.agent)
        self.collabs.load_state(self.state.collaborators)
        self.computer = self.runtime.boot(last.ref)
        self._write_live()
        self.harness_turn(day, "restore", f"computer unreachable ({why}); restarted day {day} from {last.label}; "
                          f"{n_turns} earlier turn(s) of the day marked rolled_back", error=True,
                          args={"snapshot": last.label, "rolled_back_turns": n_turns},
                          ms=(time.perf_counter() - t0) * 1000)

    # ------------------------------------------------------------------ boundary
    def _boundary(self, day: int, submissions: dict[str, list[str]] | None = None) -> None:
        assert self.computer is not None
        outgoing = mailbox.collect_outbox(self.computer, spec=self.spec) if day > 0 else []
        for m in outgoing:
            if m.get("malformed"):
                self.harness_turn(day, "mailbox", f"message {m.get('id')} not sent: {m.get('reason', 'malformed')}",
                                  error=True, args={"id": str(m.get("id"))})
                continue
            rec = MessageRecord(id=str(m["id"]), day=day, direction="from_user", sender="user", to=[str(m["to"])],
                                subject=self.redact(str(m.get("subject", ""))), body=self.redact(str(m.get("body", ""))),
                                in_reply_to=m.get("in_reply_to"))
            self.messages.append(rec)
        self._day.messages_out = sum(not m.get("malformed") for m in outgoing)
        if submissions is not None:
            self.state.submissions = submissions
        if day > 0:
            replies = self.collabs.respond(day, outgoing, self.computer, self.state.submissions)
            self._deliver(day, replies)
        self._copy_deliverables(day)
        t0 = time.monotonic()
        self.state.day = day
        self.state.wall_seconds = round(self.wall(), 3)
        self.t_start = time.monotonic()
        self.state.tokens = self.tokens()
        self.state.agent = self.agent.state()
        self.state.collaborators = self.collabs.state()
        write_model(self.run_dir.state_path(day), self.state)
        label = self.clock.label(day)
        info = self.runtime.snapshots(self.computer).snapshot(f"{self.config.run_id}-{label}")
        secs = time.monotonic() - t0
        self._day.snapshot_seconds = round(secs, 3)
        if day > 0:
            self.state.per_day = [s for s in self.state.per_day if s.day != day] + [self._day]
            write_model(self.run_dir.state_path(day), self.state)
        idx = self.run_dir.snapshots()
        idx.snapshots = [s for s in idx.snapshots if s.day != day] + [SnapshotRecord(
            label=label, day=day, ref=info.ref, date=self.clock.date(day), turn=self.state.turn,
            created=datetime.now(UTC), seconds=round(secs, 3))]
        idx.snapshots.sort(key=lambda s: s.day)
        write_model(self.run_dir.snapshots_json, idx)
        self.harness_turn(day, "snapshot", f"{label} -> {info.ref}", args={"label": label}, ms=secs * 1000)
        self.write_summary("running", "")

    def _deliver(self, day: int, msgs: list[MessageRecord]) -> None:
        assert self.computer is not None
        for m in msgs:
            m = m.model_copy(update={"body": self.redact(m.body), "subject": self.redact(m.subject)})
            p = self.collabs.people[m.sender]
            try:
                mailbox.deliver(self.computer, m, p.name, p.email)
            except CallFailed as exc:
                self.harness_turn(day, "mailbox", f"cannot deliver {m.id}: {exc}", error=True, args={"id": m.id})
            self.messages.append(m)
            self.harness_turn(day, "send" if m.in_reply_to is None else "reply", m.body, actor=f"collaborator:{m.sender}",
                              args={"to": "user", "subject": m.subject, "kind": m.kind})
        self._day.messages_in = len(msgs)

    def _copy_deliverables(self, day: int) -> None:
        """Stream every submitted file into ``deliverables/<id>/`` within the per-file and per-run caps.

        A file that is too large, not a regular file or a link leaving the home is refused: its stale copy
        is removed, the reason is recorded (``summary.json`` ``refused`` and an error ``copy_deliverable``
        turn) and the run goes on."""
        assert self.computer is not None
        root = self.run_dir.deliverables_dir
        targets = {(did, p): root / did / PurePosixPath(p).name for did, ps in self.state.submissions.items()
                   for p in ps}
        mine = {t.resolve() for t in targets.values()}
        used = sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and f.resolve() not in mine) \
            if root.exists() else 0
        refused: dict[tuple[str, str], RefusedFile] = {(r.deliverable, r.path): r for r in self.state.refused}
        for (did, p), dest in targets.items():
            refused.pop((did, p), None)
            cap = min(self.config.deliverable_cap, self.config.deliverables_run_cap - used)
            ok_name = PurePosixPath(p).name not in ("", ".", "..")
            try:
                if not ok_name:
                    raise TransferRefused(f"{p}: not a file name")
                dest.parent.mkdir(parents=True, exist_ok=True)
                used += self.computer.fetch(p, dest, max(cap, 0))
            except (CallFailed, PathOutsideComputer, OSError) as exc:
                why = str(exc)
                if cap < self.config.deliverable_cap and isinstance(exc, TransferRefused) and "cap" in why:
                    why += f" (the run's {self.config.deliverables_run_cap}-byte deliverables budget is used up)"
                if ok_name and not dest.is_dir():
                    dest.unlink(missing_ok=True)
                refused[(did, p)] = RefusedFile(deliverable=did, path=p, day=day, reason=self.redact(why)[:500])
                self.harness_turn(day, "copy_deliverable", f"refused {p}: {why}", error=True,
                                  args={"deliverable": did, "path": p})
                log.warning("deliverable %s refused: %s", p, why)
        self.state.refused = sorted(refused.values(), key=lambda r: (r.deliverable, r.path))

    # ------------------------------------------------------------------ summary
    def write_summary(self, status: str, reason: str) -> Summary:
        every = [t for t in self.run_dir.turns() if t.actor == "agent"]
        turns = [t for t in every if not t.rolled_back]
        errors = sum(t.error for t in turns)
        s = Summary(run_id=self.config.run_id, status=status, stop_reason=reason,  # type: ignore[arg-type]
                    days_completed=self.state.day, turns=len(turns), errors=errors,
                    error_rate=round(errors / len(turns), 4) if turns else 0.0, wall_seconds=round(self.wall(), 3),
                    tokens=self.tokens(), deliverables=self.state.submissions, restores=self.state.restores,
                    per_day=sorted(self.state.per_day, key=lambda d: d.day),
                    rolled_back_turns=len(every) - len(turns), refused=self.state.refused)
        write_model(self.run_dir.summary_json, s)
        return s


def _asks_md(d: dict) -> list[str]:
    """The deliverable's window, what it builds on and the results to work out (labels, never values)."""
    out = [f"Window: day {d.get('start_day', 1)} to day {d['due_day']}"
           + (f"; builds on {', '.join(d['depends_on'])}" if d.get("depends_on") else "")]
    out += [f"- Work out {a['text']} (report it as '{a['label']}')" for a in d.get("asks", [])]
    return out + [""]
