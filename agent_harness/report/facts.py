"""Every number of the trajectory-analysis report, computed from the run's logs and its judgement."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from agent_harness.judge.model import Judgement
from agent_harness.models import MessageRecord, Objectives, TurnRecord

READERS = ("cat ", "head ", "tail ", "less ", "pdftotext", "python", "soffice", "libreoffice", "unzip", "strings ",
           "docx2txt", "xlsx2csv", "grep ")


@dataclass
class PersonComms:
    id: str
    name: str
    outbound: int = 0  # messages the agent sent to this person
    responses: int = 0  # this person's replies to the agent's messages
    unprompted: int = 0  # this person's other messages (kickoff, change, correction, reminder)
    blank: list[int] = field(default_factory=list)  # days of blank messages (either direction)
    unanswered: int = 0  # agent messages this person never answered

    @property
    def verdict(self) -> str:
        if self.outbound == 0:
            return "not engaged: the agent never wrote to them" + (
                f" although they sent {self.unprompted} message(s)" if self.unprompted else "")
        rate = self.responses / self.outbound
        blank = f"; {len(self.blank)} blank message(s)" if self.blank else ""
        if rate >= 0.9 and not self.blank:
            return "effective: every message was answered"
        if rate >= 0.5:
            return f"partly effective: {self.responses} of {self.outbound} messages answered{blank}"
        return f"ineffective: {self.responses} of {self.outbound} messages answered{blank}"


@dataclass
class ErrorCluster:
    pattern: str
    count: int
    example: str
    days: list[int]


@dataclass
class RunFacts:
    run: str
    user: str
    occupation: str
    days: int
    days_completed: int
    status: str
    turns: int
    errors: int
    per_day: list[tuple[int, int, int]]  # (day, turns, errors)
    people: list[PersonComms]
    clusters: list[ErrorCluster]
    ordering: list[str]
    judgement: Judgement
    score_days: list[tuple[int, float, float]]  # (day, points, judged max)
    tool_counts: dict[str, int]

    @property
    def error_rate(self) -> float:
        return self.errors / self.turns if self.turns else 0.0


def _blank(text: str) -> bool:
    return not text.strip()


def person_comms(objectives: Objectives, messages: list[MessageRecord], names: dict[str, str]) -> list[PersonComms]:
    ids = list(dict.fromkeys([s.id for d in objectives.deliverables for s in d.stakeholders]
                             + [m.sender for m in messages if m.direction == "to_user"]
                             + [t for m in messages if m.direction == "from_user" for t in m.to]))
    by_name = {v.casefold(): k for k, v in names.items()}
    out = {pid: PersonComms(pid, names.get(pid, pid)) for pid in ids if pid in names or pid.casefold() not in by_name}
    answered = {m.in_reply_to for m in messages if m.direction == "to_user" and m.in_reply_to}
    for m in messages:
        if m.direction == "from_user":
            for t in m.to:
                p = out.get(t) or out.get(by_name.get(t.casefold(), ""))
                if p is None:
                    p = out.setdefault(t, PersonComms(t, t))
                p.outbound += 1
                p.unanswered += m.id not in answered
                if _blank(m.body):
                    p.blank.append(m.day)
        else:
            p = out.setdefault(m.sender, PersonComms(m.sender, names.get(m.sender, m.sender)))
            if m.in_reply_to:
                p.responses += 1
            else:
                p.unprompted += 1
            if _blank(m.body):
                p.blank.append(m.day)
    return [p for p in out.values() if p.outbound or p.responses or p.unprompted]


_VOLATILE = [(re.compile(r"(?:~|/)?[\w.-]+(?:/[\w. &()-]+)+"), "PATH"), (re.compile(r"\d+"), "N"),
             (re.compile(r"'[^']*'|\"[^\"]*\""), "'…'")]


def error_signature(t: TurnRecord) -> str:
    first = next((ln for ln in t.result.splitlines() if ln.strip() and not ln.startswith("exit ")), t.result.strip())
    sig = first.strip()[:160]
    for rx, rep in _VOLATILE:
        sig = rx.sub(rep, sig)
    return f"{t.tool}: {' '.join(sig.split())[:100]}"


def cluster_errors(turns: list[TurnRecord]) -> list[ErrorCluster]:
    groups: dict[str, list[TurnRecord]] = {}
    for t in turns:
        if t.error:
            groups.setdefault(error_signature(t), []).append(t)
    out = [ErrorCluster(k, len(v), " ".join(v[0].result.split())[:140], sorted({t.day for t in v}))
           for k, v in groups.items()]
    return sorted(out, key=lambda c: (-c.count, c.pattern))


def _read(t: TurnRecord, source: str) -> bool:
    name = source.rsplit("/", 1)[-1]
    if t.tool == "read_file":
        p = str(t.args.get("path", ""))
        return p == source or p.endswith("/" + source) or p.lstrip("~/") == source
    if t.tool == "shell":
        cmd = str(t.args.get("cmd", ""))
        return name in cmd and any(r in cmd for r in READERS)
    return False


def ordering_mistakes(objectives: Objectives, turns: list[TurnRecord], day: int) -> list[str]:
    out = []
    agent = [t for t in turns if t.actor == "agent"]
    for d in objectives.deliverables:
        subs = [t for t in agent if t.tool == "submit" and not t.error and t.args.get("deliverable_id") == d.id]
        if not subs:
            if d.due_day <= day:
                out.append(f"{d.id}: never submitted (due day {d.due_day})")
            continue
        first = subs[0]
        unread = [s for s in d.sources if not any(_read(t, s) for t in agent if t.turn < first.turn)]
        if unread:
            out.append(f"{d.id}: submitted on day {first.day} without reading {len(unread)} of its "
                       f"{len(d.sources)} source(s) ({', '.join(u.rsplit('/', 1)[-1] for u in unread)})")
        if first.day > d.due_day:
            out.append(f"{d.id}: due day {d.due_day} missed (first submitted on day {first.day})")
        for ev in objectives.scenario:
            if ev.deliverable == d.id and ev.day <= day and not any(t.day > ev.day for t in subs):
                out.append(f"{d.id}: submitted before the day-{ev.day} {ev.kind} arrived and never revised")
    return out


def compute_facts(run_dir: Path, judgement: Judgement, score_days: list[tuple[int, float, float]]) -> RunFacts:
    from agent_harness.runlog import RunDir

    run = RunDir(run_dir)
    cfg, objectives = run.config(), run.objectives()
    summary = run.summary()
    turns = [t for t in run.turns(rolled_back=False) if t.day <= judgement.day]
    messages = [m for m in run.messages(rolled_back=False) if m.day <= judgement.day]
    agent = [t for t in turns if t.actor == "agent"]
    names = {s.id: s.name for d in objectives.deliverables for s in d.stakeholders}
    names.update(_world_names(cfg.computer))
    days = sorted({t.day for t in agent} | set(range(1, judgement.day + 1)))
    per_day = [(d, sum(1 for t in agent if t.day == d), sum(1 for t in agent if t.day == d and t.error))
               for d in days]
    return RunFacts(run=cfg.run_id, user=objectives.user, occupation=objectives.occupation, days=cfg.days,
                    days_completed=judgement.day, status=summary.status if summary else "unknown",
                    turns=len(agent), errors=sum(t.error for t in agent), per_day=per_day,
                    people=person_comms(objectives, messages, names), clusters=cluster_errors(agent),
                    ordering=ordering_mistakes(objectives, turns, judgement.day), judgement=judgement,
                    score_days=score_days, tool_counts=dict(Counter(t.tool for t in agent).most_common()))


def _world_names(computer: str) -> dict[str, str]:
    try:
        from worldbuilder.spec import ComputerSpec

        return {p.id: p.name for p in ComputerSpec.load(Path(computer)).world.people}
    except Exception:  # the computer may be gone: stakeholder names from the objectives suffice
        return {}
