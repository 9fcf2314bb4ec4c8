"""Rule-based collaborators: deterministic colleagues grounded in the world and the hidden scenario.

They answer with what they would know (where the data is, what a column means, what they need it for),
never with the figures the work must derive; they send their own requests (two may conflict), the
scheduled changed requirement and correction, kick off each deliverable on its start day, review drafts
by opening the files with specific critiques tied to the rubric's checks (without revealing it), remind
before due days and approve when nothing is left to fix. On their out-of-office days (from the calendar)
they auto-reply and answer when back; external contacts answer a day late.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from agent_harness.collaborators.base import Collaborators
from agent_harness.collaborators.review import review_notes
from agent_harness.models import Deliverable, MessageRecord, ScenarioEvent
from agent_harness.textract import extract_text
from worldbuilder.runtime.computer import Computer

DLV_RE = re.compile(r"dlv_\d{3}")
PATH_RE = re.compile(r"^\s*-\s*(\S.*?\.(?:docx|xlsx|pptx|md|pdf))\s*$", re.MULTILINE)


class OfflineCollaborators(Collaborators):
    name = "offline"

    def __init__(self, spec, objectives) -> None:
        super().__init__(spec, objectives)
        self.seq = 0
        self.issued: list[int] = []  # indexes of scenario events sent
        self.reminded: list[str] = []
        self.pending: list[dict[str, Any]] = []  # messages to answer later: {"day", "msg"}
        self.kicked: list[str] = []

    def state(self) -> dict[str, Any]:
        return {"seq": self.seq, "issued": list(self.issued), "reminded": list(self.reminded),
                "pending": list(self.pending), "kicked": list(self.kicked)}

    def load_state(self, state: dict[str, Any]) -> None:
        if state:
            self.seq, self.issued, self.reminded = state["seq"], list(state["issued"]), list(state["reminded"])
            self.pending, self.kicked = list(state.get("pending", [])), list(state.get("kicked", []))

    # ------------------------------------------------------------------ helpers
    def _msg(self, day: int, sender: str, subject: str, body: str, kind: str, dlv: str | None,
             reply_to: str | None = None) -> MessageRecord:
        self.seq += 1
        return MessageRecord(id=f"m{self.seq:04d}", day=day, direction="to_user", sender=sender, to=["user"],
                             subject=subject, body=self.compose(sender, kind, body), kind=kind, deliverable=dlv,
                             in_reply_to=reply_to)

    def compose(self, sender: str, kind: str, body: str) -> str:
        """Final wording of a message (the LLM backend rewrites the greeting, keeps the facts)."""
        p = self.people[sender]
        return f"Hi {self.spec.profile.first_name},\n\n{body}\n\n{p.name}\n{p.role}, {p.organisation}"

    def _issued(self, d: Deliverable) -> list[ScenarioEvent]:
        return [ev for i, ev in enumerate(self.objectives.scenario) if i in self.issued and ev.deliverable == d.id]

    def _sections(self, d: Deliverable) -> list[str]:
        return d.sections + [ev.section for ev in self._issued(d) if ev.kind == "change" and ev.section]

    def away(self, pid: str, day: int) -> bool:
        return day in self.objectives.away.get(pid, [])

    def back_day(self, pid: str, day: int) -> int:
        while self.away(pid, day):
            day += 1
        return day

    # ------------------------------------------------------------------ interface
    def kickoff(self) -> list[MessageRecord]:
        return self._kickoffs(0)

    def _kickoffs(self, day: int) -> list[MessageRecord]:
        """Kick-off notes arrive the evening before a deliverable's start day."""
        out = []
        for d in self.objectives.deliverables:
            if d.id in self.kicked or d.start_day > day + 1 or not d.stakeholders:
                continue
            self.kicked.append(d.id)
            body = (f"As discussed, please take on {d.id}: {d.title}.\n{d.description}\n\n"
                    f"Expected outputs:\n" + "\n".join(f"- {o.path} ({o.format})" for o in d.outputs)
                    + "\n\nStart from:\n" + "\n".join(f"- {s}" for s in d.sources)
                    + f"\n\nPlease have it submitted by day {d.due_day}.")
            out.append(self._msg(day, d.stakeholders[0].id, f"{d.id}: {d.title}", body, "kickoff", d.id))
        return out

    def respond(self, day: int, outgoing: list[dict[str, Any]], computer: Computer,
                submissions: dict[str, list[str]]) -> list[MessageRecord]:
        out = self._kickoffs(day)
        due_now = [p["msg"] for p in self.pending if p["day"] <= day]
        self.pending = [p for p in self.pending if p["day"] > day]
        for m in due_now:
            out.append(self.reply(day, m, computer))
        for m in outgoing:
            if m.get("malformed") or m.get("to") not in self.people:
                continue
            pid = m["to"]
            if self.away(pid, day):
                back = self.back_day(pid, day)
                out.append(self._msg(day, pid, "Out of office: " + str(m.get("subject", ""))[:120],
                                     f"I am out of the office today and back on day {back}. I will answer then.",
                                     "auto_reply", None, m.get("id")))
                self.pending.append({"day": back, "msg": m})
            elif self.people[pid].relation == "external":  # clients and vendors answer the next day
                self.pending.append({"day": day + 1, "msg": m})
            else:
                out.append(self.reply(day, m, computer))
        out += self._events(day)
        for d in self.objectives.deliverables:
            if d.due_day == day + 1 and d.id not in submissions and d.id not in self.reminded and d.stakeholders:
                self.reminded.append(d.id)
                out.append(self._msg(day, d.stakeholders[0].id, f"{d.id}: due tomorrow",
                                     f"A reminder that {d.title} is due tomorrow (day {d.due_day}).", "reminder", d.id))
        return out

    def _events(self, day: int) -> list[MessageRecord]:
        out = []
        for i, ev in enumerate(self.objectives.scenario):
            if ev.day == day and i not in self.issued:
                self.issued.append(i)
                d = self.objectives.deliverable(ev.deliverable)
                what = {"change": "changed requirement", "correction": "correction", "request": "a request"}[ev.kind]
                body = ev.detail + {"correction": "\nPlease update the outputs and resubmit.",
                                    "change": "\nThe client asked for this; please include it before you submit.",
                                    "request": ""}[ev.kind]
                out.append(self._msg(day, ev.person, f"{d.id}: {what} — {d.title}", body, ev.kind, d.id))
        return out

    def reply(self, day: int, m: dict[str, Any], computer: Computer) -> MessageRecord:
        text = f"{m.get('subject', '')}\n{m.get('body', '')}"
        ids = [i for i in DLV_RE.findall(text) if any(d.id == i for d in self.objectives.deliverables)]
        subj = "Re: " + str(m.get("subject", ""))[:150]
        if not ids:
            return self._msg(day, m["to"], subj, "Thanks, noted. Which deliverable is this about?", "reply", None,
                             m.get("id"))
        d = self.objectives.deliverable(ids[0])
        paths = PATH_RE.findall(str(m.get("body", "")))
        if paths and re.search(r"review|draft", text, re.IGNORECASE):
            return self.review(day, m, d, paths, computer)
        return self._msg(day, m["to"], subj, self.answer(d, m["to"]), "reply", d.id, m.get("id"))

    def answer(self, d: Deliverable, pid: str) -> str:
        """What this colleague knows: where the data lives and what the asks mean, not the results."""
        lines = []
        for a in d.asks:
            src = PurePosixPath(a["source"]).name + (f", sheet '{a['sheet']}'" if a.get("sheet") else "")
            lines.append(f"For '{a['label']}', work from {src}; every data row counts, the total line does not.")
        lines = list(dict.fromkeys(lines))[:4]
        others = [e for e in self._issued(d) if e.kind == "request" and e.person != pid]
        body = ("I don't have those numbers to hand; nobody has worked them out yet, that's why we need this.\n"
                + "\n".join(lines) + f"\nI'd expect to see: {', '.join(self._sections(d))}.")
        if others:
            body += "\nI know others have asked for other things; use your judgement and tell us what you chose."
        return body

    def review(self, day: int, m: dict[str, Any], d: Deliverable, paths: list[str], computer: Computer) -> MessageRecord:
        texts, datas, problems = {}, {}, []
        for p in paths:
            try:
                datas[p] = computer.read(p, 16 << 20)
                texts[p] = extract_text(p, datas[p])
            except Exception as exc:  # unreadable draft: part of the review
                problems.append(f"I could not open {p} ({type(exc).__name__}).")
        for o in d.outputs:  # the rubric's paths are home-relative; match the drafts by file name
            for p in list(texts):
                if PurePosixPath(p).name == PurePosixPath(o.path).name:
                    texts[o.path], datas[o.path] = texts.pop(p), datas.pop(p)
        issued = {ev.kind: ev.day for ev in self._issued(d)}
        problems += review_notes(d, texts, datas, issued)
        for sec in self._sections(d):
            if sec not in d.sections and sec.lower() not in "\n".join(texts.values()).lower():
                problems.append(f"Please add a section titled \"{sec}\" ({d.id}).")
        subj = "Re: " + str(m.get("subject", ""))[:150]
        if problems:
            return self._msg(day, m["to"], subj, f"I reviewed {d.id}. Changes needed:\n" + "\n".join(
                f"- {p}" for p in problems), "review", d.id, m.get("id"))
        return self._msg(day, m["to"], subj, f"I reviewed {d.id} — approved, thanks.", "approval", d.id, m.get("id"))
