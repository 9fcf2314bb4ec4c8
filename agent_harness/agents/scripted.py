"""ScriptedAgent: the offline, deterministic, honest baseline worker.

It explores the file system, reads each deliverable's source files, extracts the key figures and
quotable sentences from their real text, asks its stakeholders, drafts docx/xlsx/pptx/md outputs from
those extracts, shares drafts for review, submits, and revises on changed requirements and corrections.
It is a baseline, not a model: its writing is assembled from extracts, never invented.
"""

from __future__ import annotations

import copy
import re
import shlex
from datetime import date
from typing import Any

from agent_harness.agents import drafting
from agent_harness.agents.base import WorkAgent
from agent_harness.tools import Toolbox

SECTION_RE = re.compile(r"add a section titled \"([^\"]+)\"", re.IGNORECASE)
CORRECTION_RE = re.compile(r"should read (.+?), not (.+?)(?=\.(?:\s|$)|\n|$)", re.IGNORECASE)
FIGURE_RE = re.compile(r"^\s*-\s*(.+?):\s*(.+?)\s*$", re.MULTILINE)
DLV_RE = re.compile(r"dlv_\d{3}")


class ScriptedAgent(WorkAgent):
    name = "offline"

    def __init__(self) -> None:
        self.dls: dict[str, dict[str, Any]] = {}
        self.explored = False

    def start(self, brief: dict[str, Any]) -> None:
        super().start(brief)
        if not self.dls:
            for d in brief["deliverables"]:
                self.dls[d["id"]] = {**copy.deepcopy(d), "stage": "new", "figures": {}, "figure_src": {},
                                     "extracts": {}, "titles": {}, "corrections": {}, "log": [],
                                     "dirty": False, "asked": False, "review_sent": False, "version": 0}

    def state(self) -> dict[str, Any]:
        return {"dls": copy.deepcopy(self.dls), "explored": self.explored}

    def load_state(self, state: dict[str, Any]) -> None:
        if state:
            self.dls = copy.deepcopy(state["dls"])
            self.explored = state.get("explored", False)

    # ------------------------------------------------------------------ day loop
    def run_day(self, day: int, today: date, tools: Toolbox) -> None:
        inbox = tools.call("read_inbox")
        for m in inbox.data or []:
            self.handle(m, day)
        if not self.explored:
            tools.call("shell", {"cmd": "ls -la ~ && find ~ -maxdepth 3 -type d -not -path '*/.*' | head -60"})
            self.explored = True
        while (d := self.next_task(day)) is not None:
            self.step(d, day, tools)
        tools.call("finish_day")

    def next_task(self, day: int) -> dict[str, Any] | None:
        todo = [d for d in self.dls.values() if d["stage"] != "submitted" or d["dirty"]]
        todo = [d for d in todo if not (d["stage"] == "waiting" and d["waited"] == day)]
        return min(todo, key=lambda d: (d["due_day"], d["id"])) if todo else None

    def step(self, d: dict[str, Any], day: int, tools: Toolbox) -> None:
        stage = d["stage"]
        if stage == "new":
            self.locate(d, tools)
        elif stage == "located":
            self.read_sources(d, tools)
        elif stage == "read":
            self.ask(d, day, tools)
        elif stage in ("asked", "waiting") or d["dirty"]:
            self.draft_and_submit(d, day, tools)

    # ------------------------------------------------------------------ stages
    def locate(self, d: dict[str, Any], tools: Toolbox) -> None:
        names = " ".join(shlex.quote(p) for p in d["sources"])
        base = " -o ".join(f"-name {shlex.quote(p.rsplit('/', 1)[-1])}" for p in d["sources"]) or "-name none"
        r = tools.call("shell", {"cmd": f"for f in {names}; do [ -f \"$f\" ] && ls -l \"$f\"; done; "
                                        f"find ~ -type f \\( {base} \\) -not -path '*/.*' | head -20"})
        d["located"] = [p for p in d["sources"] if p in r.text]  # unlisted ones are still tried by read_file
        d["stage"] = "located"

    def read_sources(self, d: dict[str, Any], tools: Toolbox) -> None:
        pending = [p for p in d["sources"] if p not in d["extracts"]]
        if not pending:
            d["stage"] = "read"
            return
        path = pending[0]
        r = tools.call("read_file", {"path": path})
        text = r.text if not r.error else ""
        d["extracts"][path] = drafting.informative_lines(text)
        d["titles"][path] = drafting.title_line(text)
        for label in d["key_figures"]:
            if label not in d["figures"] and (v := drafting.find_figure(text, label)):
                d["figures"][label], d["figure_src"][label] = v, path

    def ask(self, d: dict[str, Any], day: int, tools: Toolbox) -> None:
        if not d["stakeholders"]:
            d["stage"] = "asked"
            return
        who = d["stakeholders"][0]
        missing = [lab for lab in d["key_figures"] if lab not in d["figures"]]
        found = "\n".join(f"- {lab}: {v} (from {d['figure_src'][lab]})" for lab, v in d["figures"].items())
        body = (f"Hi {who['name'].split()[0]},\n\nI'm starting on {d['id']} \"{d['title']}\" (due day {d['due_day']}).\n"
                f"From the files I have:\n{found or '- (no figures found yet)'}\n"
                + (f"Could you send me the current figures for: {', '.join(missing)}?\n" if missing else
                   "Could you confirm these are the current figures?\n")
                + f"I plan sections: {', '.join(d['sections'])}. Anything else you expect?\n")
        tools.call("send_message", {"to": who["id"], "subject": f"{d['id']}: question on {d['title']}", "body": body})
        d["asked"] = True
        if missing:
            d["stage"], d["waited"] = "waiting", day  # wait one day for the figures
        else:
            d["stage"] = "asked"

    def draft_and_submit(self, d: dict[str, Any], day: int, tools: Toolbox) -> None:
        d["version"] += 1
        paths = []
        for o in d["outputs"]:
            path, fmt = o["path"], o["format"]
            if fmt == "docx":
                tools.call("make_document", {"path": path, "kind": "docx", "spec": drafting.docx_spec(d)})
            elif fmt == "xlsx":
                tools.call("make_document", {"path": path, "kind": "xlsx",
                                             "spec": drafting.xlsx_spec(d, o.get("sheet"))})
            elif fmt == "pptx":
                tools.call("make_document", {"path": path, "kind": "pptx", "spec": drafting.pptx_spec(d)})
            else:  # md (and pdf, which the baseline writes as markdown next to it)
                path = path if fmt == "md" else path + ".md"
                tools.call("write_file", {"path": path, "content": drafting.markdown(d)})
            paths.append(path)
        drafting.review_and_submit(d, paths, tools)

    # ------------------------------------------------------------------ messages
    def handle(self, m: dict[str, Any], day: int) -> None:
        text = f"{m.get('subject', '')}\n{m.get('body', '')}"
        ids = DLV_RE.findall(text) or ([m["deliverable"]] if m.get("deliverable") else [])
        targets = [self.dls[i] for i in dict.fromkeys(ids) if i in self.dls]
        for d in targets:
            changed = []
            for sec in SECTION_RE.findall(text):
                if sec not in d["sections"]:
                    d["sections"].append(sec)
                    changed.append(f"day {day}: added section '{sec}' ({m.get('from_name')})")
            for new, old in CORRECTION_RE.findall(text):
                d["corrections"][old.strip()] = new.strip()
                changed.append(f"day {day}: applied correction, now {new.strip()} ({m.get('from_name')})")
            for label, value in FIGURE_RE.findall(text):
                if label in d["key_figures"] and d["figures"].get(label) != value:
                    d["figures"][label] = value
                    d["figure_src"][label] = f"message from {m.get('from_name')}"
                    changed.append(f"day {day}: {label} = {value} ({m.get('from_name')})")
            if changed:
                d["log"] += changed
                d["dirty"] = d["stage"] == "submitted"
                if d["stage"] == "waiting":
                    d["stage"] = "asked"
