"""Rule-based collaborators: deterministic, grounded in the world and the hidden scenario.

They answer questions with the world's real figures, review drafts by opening the files in the
computer and checking them against their hidden expectations, send the scheduled changed requirement
and correction, remind before due days and approve when everything is in.
"""

from __future__ import annotations

import re
from typing import Any

from agent_harness.collaborators.base import Collaborators
from agent_harness.models import Deliverable, MessageRecord, ScenarioEvent
from agent_harness.textract import extract_text
from worldbuilder.runtime.computer import Computer

DLV_RE = re.compile(r"dlv_\d{3}")
PATH_RE = re.compile(r"^\s*-\s*(\S+\.(?:docx|xlsx|pptx|md|pdf))\s*$", re.MULTILINE)


class OfflineCollaborators(Collaborators):
    name = "offline"

    def __init__(self, spec, objectives) -> None:
        super().__init__(spec, objectives)
        self.seq = 0
        self.issued: list[int] = []  # indexes of scenario events sent
        self.reminded: list[str] = []

    def state(self) -> dict[str, Any]:
        return {"seq": self.seq, "issued": list(self.issued), "reminded": list(self.reminded)}

    def load_state(self, state: dict[str, Any]) -> None:
        if state:
            self.seq, self.issued, self.reminded = state["seq"], list(state["issued"]), list(state["reminded"])

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

    def _active_events(self, d: Deliverable) -> list[ScenarioEvent]:
        return [ev for i, ev in enumerate(self.objectives.scenario) if i in self.issued and ev.deliverable == d.id]

    def _figures(self, d: Deliverable) -> dict[str, str]:
        out = {}
        for fid in d.facts:
            f = self.spec.world.fact(fid)
            out[f.label] = f.display
        for ev in self._active_events(d):
            if ev.kind == "correction" and ev.fact:
                out[self.spec.world.fact(ev.fact).label] = ev.new or ""
        return out

    def _sections(self, d: Deliverable) -> list[str]:
        return d.sections + [ev.section for ev in self._active_events(d) if ev.kind == "change" and ev.section]

    # ------------------------------------------------------------------ interface
    def kickoff(self) -> list[MessageRecord]:
        out = []
        for d in self.objectives.deliverables:
            sender = d.stakeholders[0].id if d.stakeholders else None
            if sender is None:
                continue
            body = (f"As discussed, please take on {d.id}: {d.title}.\n{d.description}\n\n"
                    f"Expected outputs:\n" + "\n".join(f"- {o.path} ({o.format})" for o in d.outputs)
                    + "\n\nStart from:\n" + "\n".join(f"- {s}" for s in d.sources)
                    + f"\n\nPlease have it submitted by day {d.due_day}.")
            out.append(self._msg(0, sender, f"{d.id}: {d.title}", body, "kickoff", d.id))
        return out

    def respond(self, day: int, outgoing: list[dict[str, Any]], computer: Computer,
                submissions: dict[str, list[str]]) -> list[MessageRecord]:
        out = []
        for m in outgoing:
            if m.get("malformed") or m.get("to") not in self.people:
                continue
            out.append(self.reply(day, m, computer))
        for i, ev in enumerate(self.objectives.scenario):
            if ev.day == day and i not in self.issued:
                self.issued.append(i)
                d = self.objectives.deliverable(ev.deliverable)
                subj = f"{d.id}: {'changed requirement' if ev.kind == 'change' else 'correction'} — {d.title}"
                body = ev.detail + ("\nPlease update the outputs and resubmit." if ev.kind == "correction" else
                                    "\nThe client asked for this; please include it before you submit.")
                out.append(self._msg(day, ev.person, subj, body, ev.kind, d.id))
        for d in self.objectives.deliverables:
            if d.due_day == day + 1 and d.id not in submissions and d.id not in self.reminded and d.stakeholders:
                self.reminded.append(d.id)
                out.append(self._msg(day, d.stakeholders[0].id, f"{d.id}: due tomorrow",
                                     f"A reminder that {d.title} is due tomorrow (day {d.due_day}).", "reminder", d.id))
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
        figs = "\n".join(f"- {k}: {v}" for k, v in self._figures(d).items())
        body = (f"Here are the current figures for {d.id}:\n{figs}\n" if figs else "") + \
            f"I expect to see: {', '.join(self._sections(d))}."
        return self._msg(day, m["to"], subj, body, "reply", d.id, m.get("id"))

    def review(self, day: int, m: dict[str, Any], d: Deliverable, paths: list[str], computer: Computer) -> MessageRecord:
        texts, problems = [], []
        for p in paths:
            try:
                texts.append(extract_text(p, computer.read(p, 16 << 20)))
            except Exception as exc:  # unreadable draft: part of the review
                problems.append(f"I could not open {p} ({type(exc).__name__}).")
        blob = "\n".join(texts)
        for sec in self._sections(d):
            if sec.lower() not in blob.lower():
                problems.append(f"Please add a section titled \"{sec}\" ({d.id}).")
        for label, display in self._figures(d).items():
            if display not in blob:
                problems.append(f"The {label} figure is missing or wrong:\n- {label}: {display}")
        subj = "Re: " + str(m.get("subject", ""))[:150]
        if problems:
            return self._msg(day, m["to"], subj, f"I reviewed {d.id}. Changes needed:\n" + "\n".join(problems),
                             "review", d.id, m.get("id"))
        return self._msg(day, m["to"], subj, f"I reviewed {d.id} — approved, thanks.", "approval", d.id, m.get("id"))
