"""Offline, deterministic objective writer: a month of this person's real work, grounded in the computer.

Deliverables come from the occupation's kinds (:mod:`agent_harness.objective_kinds`), about active or
upcoming projects, in staggered overlapping windows (a three-week report, a one-day task, a plan and a
brief that uses the report's results). Each asks for results that are not on the computer yet, computed
here from its real files (:mod:`agent_harness.objectives_derived`); rubrics mix those derived checks with
professional-quality criteria (:mod:`agent_harness.objectives_quality`).
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

from agent_harness.clock import Clock
from agent_harness.derived import DataTable, with_override
from agent_harness.models import (
    Criterion,
    Deliverable,
    ExpectedOutput,
    Objectives,
    ScenarioEvent,
    Stakeholder,
)
from agent_harness.objective_kinds import kinds_for
from agent_harness.objectives_derived import (
    BORING_SHEETS,
    analysis_asks,
    ask_criteria,
    computer_tables,
    reconcile_ask,
    schedule_ask,
    table_score,
    version_pairs,
)
from agent_harness.objectives_quality import quality_items, request_items
from agent_harness.objectives_text import context, describe, title
from agent_harness.paths import home_rel
from agent_harness.textract import extract_text
from worldbuilder.spec import ComputerSpec, Fact, FileSpec, Person, Project

SOURCE_TYPES = ("docx", "xlsx", "pptx", "pdf", "md", "csv", "txt")
DEFAULT_SECTIONS = ["Executive summary", "Key figures", "Analysis", "Recommendations", "Next steps"]
CHANGE_SECTIONS = ["Risks and mitigations", "Budget impact", "Timeline and dependencies", "Open questions"]
SHEET = "Results"
PERSONAL = re.compile(r"personal|household|family|private|taxes|\bhome\b", re.I)
AWAY_WORDS = re.compile(r"\b(leave|out of office|vacation|holiday|off-?site|conference|training|pto)\b", re.I)
# slots of a 20-day month: (name, kind index, size, start, due); the brief starts when the report is due
SLOTS = [("report", 0, "weeks", 1, 15), ("task", 3, "day", 2, 2), ("plan", 1, "mid", 5, 20),
         ("brief", 2, "mid", 0, 18)]


def bump_display(display: str, factor: float = 1.035) -> str:
    """The display string with its (first) number scaled, keeping separators and decimals."""
    m = re.search(r"\d[\d,]*(?:\.\d+)?", display)
    if not m:
        return display + " (revised)"
    num = m.group(0)
    decimals = len(num.split(".")[1]) if "." in num else 0
    val = float(num.replace(",", "")) * factor
    if val == float(num.replace(",", "")):
        val += 1
    new = f"{val:,.{decimals}f}" if "," in num else f"{val:.{decimals}f}"
    return display[:m.start()] + new + display[m.end():]


def evidence(text: str, title: str, skip: set[str]) -> str:
    """A distinctive phrase of a source that a deliverable drawing on it would carry: its title when the
    text shows it, else its first informative line that is not a letterhead (employer, header)."""
    flat = " ".join(text.split())
    if title and title in flat and title not in skip:
        return title[:80]
    for line in text.splitlines():
        line = " ".join(line.replace("|", " ").replace("#", " ").split())
        if len(line) >= 12 and sum(c.isalpha() for c in line) >= 8 and line not in skip:
            return line[:60]
    return title[:80]



def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


class OfflineObjectiveWriter:
    """Plans the month, computes the derived results and writes the rubrics (see the module doc)."""

    name = "offline"

    def write(self, spec: ComputerSpec, tree: Path | None, days: int) -> Objectives:
        rng = random.Random(f"objectives\x1f{spec.id}\x1f{days}")
        clock = Clock(days=days, start=spec.world.history_end.date())
        self.spec, self.tree, self.days, self.clock, self.rng = spec, tree, days, clock, rng
        tables = sorted(computer_tables(spec, tree), key=table_score, reverse=True)
        self.tables = {(t.source, t.sheet): t for t in tables}
        self.pairs = version_pairs(tables)
        kinds = kinds_for(spec.profile.occupation, spec.profile.sector)
        projects = self._projects(spec, clock.date(0), days)
        used: list[DataTable] = []
        dels: list[Deliverable] = []
        for i, (slot, k, size, start, due) in enumerate(SLOTS):
            proj = projects[i % len(projects)] if projects else None
            jitter = self.rng.choice((-1, 0, 1)) if slot in ("report", "plan") else 0  # not one calendar for all
            s_day = self._sd(start + (jitter if slot == "plan" else 0)) if start else dels[0].due_day
            d_day = max(s_day, self._sd(due + (jitter if slot == "report" else 0)))
            feeder = dels[0] if slot == "brief" else None
            kind = kinds[k % len(kinds)]
            table = self._table(proj, kind, tables, used)
            used.append(table)
            dels.append(self._deliverable(i, slot, kind, size, proj, table, s_day, d_day, feeder))
        away = self._away(dels)
        self._plan_schedule(dels, away)
        scenario = self._scenario(dels)
        for ev in scenario:
            self._add_event_criteria(next(d for d in dels if d.id == ev.deliverable), ev, scenario)
        for d in dels:
            self._number(d)
        return Objectives(computer_id=spec.id, user=spec.profile.full_name, occupation=spec.profile.occupation,
                          backend=self.name, days=days, deliverables=dels, scenario=scenario, away=away)

    def _sd(self, day_of_twenty: int) -> int:
        return self.clock.scaled(day_of_twenty)

    # ------------------------------------------------------------------ picks
    @staticmethod
    def _projects(spec: ComputerSpec, today: date, days: int) -> list[Project]:
        """Active or upcoming projects near the simulated start: not ended, starting within ~3 months."""
        horizon = today + timedelta(days=90 + days * 7 // 5)
        cur = [p for p in spec.world.projects if p.status in ("active", "planned", "on_hold")
               and p.end >= today and p.start <= horizon]
        order = {"active": 0, "planned": 1, "on_hold": 2}
        return sorted(cur, key=lambda p: (order[p.status], p.end, p.id))

    def _table(self, proj: Project | None, kind: dict, tables: list[DataTable],
               used: list[DataTable]) -> DataTable | None:
        """The work table this deliverable is computed from: not personal, not a summary sheet, fitting the
        kind's usual data, about the project, not used yet (in that order of preference)."""
        kinds = {home_rel(self.spec, f.path): f.content.kind for f in self.spec.files}

        def score(t: DataTable) -> tuple:
            where = f"{t.source} {kinds.get(t.source, '')} {t.sheet}".casefold()
            return (t not in used, t.sheet.casefold() not in BORING_SHEETS,
                    any(w in where for w in kind.get("data", [])),
                    bool(proj) and (proj.name.casefold() in where or proj.code.casefold() in where))

        work = [t for t in tables if not PERSONAL.search(f"{t.source} {kinds.get(t.source, '')}")] or tables
        return max(work, key=score) if work else None

    @staticmethod
    def _people(spec: ComputerSpec, proj: Project | None) -> list[Person]:
        w, me = spec.world, spec.profile.email
        ids: list[str] = []
        if proj:
            ids += [proj.owner] + proj.members
            if proj.client:
                ids += [p.id for p in w.people if p.organisation == proj.client]
        ids += [p.id for p in w.people if p.relation == "manager"]
        known = {p.id: p for p in w.people if p.email != me and p.relation not in ("family", "friend")}
        out = []
        for pid in ids + list(known):
            if pid in known and known[pid] not in out:
                out.append(known[pid])
        return out[:3]

    def _docs(self, proj: Project | None) -> list[FileSpec]:
        """Up to two readable documents about the project (or the most recent ones)."""
        spec, tree = self.spec, self.tree
        cands = [f for f in spec.files if f.type in ("docx", "pdf", "md", "txt", "pptx") and not f.hidden
                 and not f.duplicate_of and (tree is None or (tree / f.path).is_file())]
        facts = {f.id for f in spec.world.facts if proj and f.project == proj.id}
        mine = [f for f in cands if proj and (proj.id in f.content.refs or proj.code in f.path
                                              or proj.name in f.path or facts & set(f.content.refs))]
        pool = sorted(mine or cands, key=lambda f: (-len(facts & set(f.content.refs)), f.modified, f.path),
                      reverse=False)
        head = pool[:5]
        self.rng.shuffle(head)
        return sorted(head[:2], key=lambda f: f.path)

    def _facts(self, proj: Project | None, docs: list[FileSpec]) -> list[Fact]:
        cited = {r for f in docs for r in f.content.refs}
        return [f for f in self.spec.world.facts if f.id in cited][:2]

    # ------------------------------------------------------------------ one deliverable
    def _deliverable(self, i: int, slot: str, kind: dict, size: str, proj: Project | None, table: DataTable | None,
                     start: int, due: int, feeder: Deliverable | None) -> Deliverable:
        spec, rng = self.spec, self.rng
        did = f"dlv_{i + 1:03d}"
        team = spec.profile.department or spec.profile.employer
        people = self._people(spec, proj)
        code = proj.code if proj else slug(team)[:12].upper() or "TEAM"
        stem = f"Deliverables/{code}/{code}_{slug(kind['name'])}"
        outputs = [ExpectedOutput(path=f"{stem}.{fmt}" if fmt != "xlsx" else f"{stem}_workings.xlsx", format=fmt,
                                  sheet=SHEET if fmt == "xlsx" else None)
                   for fmt in sorted(kind["outputs"], key=lambda f: f == "xlsx")]  # the document first
        main = next(o.path for o in outputs if o.format != "xlsx")
        asks = self._asks(slot, kind, table, feeder)
        docs = self._docs(proj)
        sources = list(dict.fromkeys([a["source"] for a in asks] + [a["source_b"] for a in asks if "source_b" in a]
                                     + [home_rel(spec, f.path) for f in docs]))
        facts = self._facts(proj, docs)
        ctx = context(proj, self.clock.date(start), team)
        d = Deliverable(
            id=did, title=title(kind, proj, ctx, rng), description="", project=proj.id if proj else None,
            stakeholders=[Stakeholder(id=p.id, name=p.name, role=p.role) for p in people], due_day=due,
            start_day=start, depends_on=[feeder.id] if feeder else [], kind=kind["name"], outputs=outputs,
            sources=sources, facts=[f.id for f in facts], sections=list(kind["sections"]), asks=asks, rubric=[])
        who = people[0].name if people else "Your manager"
        d.description = describe(kind, proj, who, size, asks, sources, (self.clock.date(due), due),
                                 f"{feeder.title} ({feeder.id}, {feeder.outputs[0].path})" if feeder else None,
                                 rng, team)
        xlsx = next((o.path for o in outputs if o.format == "xlsx"), None)
        items = self._base_items(d, facts)
        for a in asks:
            items += ask_criteria(a, self.tables)
        if feeder:
            items.append((f"cites the {feeder.kind} it builds on ({feeder.outputs[0].path})", 2,
                          {"type": "source_used", "path": feeder.outputs[0].path, "evidence": ""}))
        items += quality_items(kind, main, spec.profile.first_name, spec.profile.full_name, xlsx)
        d.rubric = [Criterion(id="", text=t, points=p, check=c) for t, p, c in items]
        return d

    def _asks(self, slot: str, kind: dict, table: DataTable | None, feeder: Deliverable | None) -> list[dict]:
        if table is None:
            return []
        where = f"{Path(table.source).name}" + (f" (sheet {table.sheet})" if table.sheet else "")
        asks = analysis_asks(table, self.rng, where)
        if slot == "task":
            return asks[:2]
        if slot == "brief" and feeder and feeder.asks:
            carried = dict(feeder.asks[0], text=f"{feeder.asks[0]['text']} (the figure settled in {feeder.id})",
                           label=f"{feeder.asks[0]['label']} as settled in {feeder.id}", feeds_from=feeder.id)
            return [carried, asks[0], asks[-1]]
        if slot == "report" and self.pairs:
            return asks + [reconcile_ask(*self.pairs[0])]
        return asks

    def _base_items(self, d: Deliverable, facts: list[Fact]) -> list[tuple[str, int, dict]]:
        spec, tree = self.spec, self.tree
        items: list[tuple[str, int, dict]] = []
        for o in d.outputs:
            extra = f" with a sheet '{o.sheet}'" if o.sheet else ""
            items.append((f"{o.path} exists as a valid {o.format}{extra}", 1,
                          {"type": "file_valid", "path": o.path, "format": o.format, "sheet": o.sheet}))
        for s in d.sections:
            items.append((f"includes section '{s}'", 2, {"type": "section", "heading": s}))
        for f in facts:
            items.append((f"cites {f.label} as {f.display}", 2, {"type": "fact_cited", "fact": f.id, "display": f.display}))
        by_rel = {home_rel(spec, f.path): f for f in spec.files}
        for src in d.sources:
            f = by_rel[src]
            skip = {spec.profile.employer, f.content.header, f.content.footer}
            text = extract_text(f.path, (tree / f.path).read_bytes()) if tree else f.content.title
            ev = evidence(text, f.content.title, skip) if f.type not in ("xlsx", "csv") else ""
            items.append((f"draws on {src}" + (f" ('{ev}')" if ev else ""), 2,
                          {"type": "source_used", "path": src, "evidence": ev}))
        if d.stakeholders:
            before = max(d.due_day, d.start_day + 1)
            items.append((f"shared a draft with {d.stakeholders[0].name} before day {before}", 2,
                          {"type": "message_sent", "person": d.stakeholders[0].id, "before_day": before}))
        items.append((f"submitted by day {d.due_day}", 2, {"type": "submitted_by", "day": d.due_day}))
        return items

    @staticmethod
    def _number(d: Deliverable) -> None:
        for k, c in enumerate(d.rubric):
            c.id = f"{d.id}.c{k + 1:02d}"

    # ------------------------------------------------------------------ calendar, schedule, scenario
    def _away(self, dels: list[Deliverable]) -> dict[str, list[int]]:
        """Days stakeholders are out: calendar events in the run saying so (leave, conference, ...), else one
        seeded day for one stakeholder of the plan."""
        dates = {self.clock.date(d): d for d in range(1, self.days + 1)}
        emails = {p.email: p.id for p in self.spec.world.people}
        out: dict[str, list[int]] = {}
        for f in self.spec.files:
            for ev in f.content.events:
                if AWAY_WORDS.search(ev.summary) and ev.start.date() in dates:
                    for a in ev.attendees:
                        if a in emails:
                            out.setdefault(emails[a], []).append(dates[ev.start.date()])
        if not out:
            plan = dels[2]
            who = plan.stakeholders[-1].id if plan.stakeholders else None
            if who:
                out[who] = [self.rng.randint(min(2, self.days), self.days)]
        return {k: sorted(set(v)) for k, v in sorted(out.items())}

    def _plan_schedule(self, dels: list[Deliverable], away: dict[str, list[int]]) -> None:
        """The plan schedules its table's first rows on free working days of the month."""
        plan = dels[2]
        table = self.tables.get((plan.asks[0]["source"], plan.asks[0]["sheet"])) if plan.asks else None
        if table is None:
            return
        who = next((s for s in plan.stakeholders if s.id in away), None)
        blocked = [self.clock.date(d) for d in away.get(who.id, [])] if who else []
        free = self.days - len(blocked)
        t = DataTable(table.source, table.sheet, table.columns, table.rows[: max(2, min(4, free))],
                      table.label_col, table.num_cols)
        ask = schedule_ask(t, (self.clock.date(1), self.clock.date(self.days)), blocked, who.name if who else "")
        plan.asks.append(ask)
        plan.description += f" The plan must also include {ask['text']}."
        plan.rubric += [Criterion(id="", text=t_, points=p, check=c) for t_, p, c in ask_criteria(ask, self.tables)]

    def _scenario(self, dels: list[Deliverable]) -> list[ScenarioEvent]:
        out: list[ScenarioEvent] = []
        rep = dels[0]
        if len(rep.stakeholders) >= 2 and rep.due_day > 1:
            day = max(1, min(rep.due_day - 1, self._sd(3)))
            a, b = rep.stakeholders[0], rep.stakeholders[1]
            src = Path(rep.asks[0]["source"]).name if rep.asks else "the source data"
            out += [ScenarioEvent(day=day, kind="request", deliverable=rep.id, person=a.id,
                                  detail=f"For {rep.title}: please keep the main text short and lead with your "
                                         "recommendation; I will not read past the first page."),
                    ScenarioEvent(day=day, kind="request", deliverable=rep.id, person=b.id,
                                  detail=f"For {rep.title}: I need to see every row of {src} in the document, "
                                         "not just the headline numbers.")]
        change_day = max(1, min(self.days - 1, self._sd(12)))
        corr_day = max(change_day + 1, min(self.days - 1, self._sd(17))) if self.days > 2 else change_day
        plan = dels[2]
        person = plan.stakeholders[-1] if plan.stakeholders else None
        if person:
            section = next(s for s in CHANGE_SECTIONS if s not in plan.sections)
            out.append(ScenarioEvent(day=change_day, kind="change", deliverable=plan.id, person=person.id,
                                     section=section, detail=f"Please add a section titled \"{section}\" to "
                                                             f"{plan.outputs[0].path}."))
        target = next((d for d in sorted(dels, key=lambda d: -d.due_day) if d.due_day > corr_day and d.stakeholders
                       and d.asks and d.asks[0]["kind"] in ("total", "mean")), None)
        if target and self.days > 1:
            ask = target.asks[0]
            t = self.tables[(ask["source"], ask["sheet"])]
            row = t.labels()[len(t.rows) // 2]
            old = t.value(row, ask["column"])
            column = [t.value(r, ask["column"]) for r in t.labels()]
            spread = sum(abs(v) for v in column if isinstance(v, int | float))
            new = round(old + max(abs(old) * 0.1, spread * 0.03, 1.0), 2)  # moves the result past its tolerance
            ov = {"source": ask["source"], "sheet": ask["sheet"], "row": row, "column": ask["column"], "value": new}
            sheet = f" (sheet {ask['sheet']})" if ask["sheet"] else ""
            out.append(ScenarioEvent(
                day=corr_day, kind="correction", deliverable=target.id, person=target.stakeholders[0].id,
                old=f"{old:g}", new=f"{new:g}", override=ov,
                detail=f"Correction: in {ask['source']}{sheet}, the {ask['column']} for {row} should read {new:g}, "
                       f"not {old:g}. Everything computed from it needs redoing."))
        elif self.days > 1:  # no derived total to correct: a tracked key figure is corrected instead
            d = next((d for d in sorted(dels, key=lambda d: -d.due_day) if d.facts and d.stakeholders), None)
            if d:
                fact = self.spec.world.fact(d.facts[0])
                new_display = bump_display(fact.display)
                out.append(ScenarioEvent(
                    day=corr_day, kind="correction", deliverable=d.id, person=d.stakeholders[0].id, fact=fact.id,
                    old=fact.display, new=new_display,
                    detail=f"Correction: the {fact.label} figure should read {new_display}, not {fact.display}."))
        return out

    def _add_event_criteria(self, d: Deliverable, ev: ScenarioEvent, scenario: list[ScenarioEvent]) -> None:
        who = self.spec.world.person(ev.person).name
        if ev.kind == "request":
            reqs = [e for e in scenario if e.kind == "request" and e.deliverable == d.id]
            if ev is reqs[0] and len(reqs) == 2:
                a, b = (self.spec.world.person(e.person) for e in reqs)
                t = self.tables.get((d.asks[0]["source"], d.asks[0]["sheet"])) if d.asks else None
                labels = t.labels() if t else []
                items = request_items(d.id, (a.id, a.name, reqs[0].detail), (b.id, b.name, reqs[1].detail),
                                      ev.day, labels)
                d.rubric += [Criterion(id="", text=t_, points=p, check=c) for t_, p, c in items]
        elif ev.kind == "change":
            d.rubric.append(Criterion(id="", points=6, text=f"incorporates day-{ev.day} change from {who}: section "
                                      f"'{ev.section}'", check={"type": "change", "day": ev.day, "heading": ev.section}))
        elif ev.override is None:
            for c in d.rubric:  # the tracked figure must now show the corrected value
                if c.check.get("type") == "fact_cited" and c.check.get("fact") == ev.fact:
                    c.check["display"] = ev.new
                    c.text = f"cites {self.spec.world.fact(ev.fact).label} as {ev.new} (as corrected on day {ev.day})"
            d.rubric.append(Criterion(id="", points=8, text=f"uses day-{ev.day} correction from {who}: {ev.new} "
                                      f"(not {ev.old})", check={"type": "correction", "day": ev.day, "fact": ev.fact,
                                                                "new": ev.new, "old": ev.old}))
        else:
            new_tables = with_override(self.tables, ev.override)
            first = None
            for ask in d.asks:
                if ask["kind"] == "reconcile":
                    continue
                olds, news = ask_criteria(ask, self.tables), ask_criteria(ask, new_tables)
                for (_, _, oc), (nt, _, nc) in zip(olds, news, strict=True):
                    for c in d.rubric:
                        if c.check == oc and oc != nc:
                            c.check, c.text = nc, f"{nt} (after the day-{ev.day} correction)"
                cand = (ask, olds[0][2], news[0][2])
                moved = abs(float(cand[2].get("number", 0)) - float(cand[1].get("number", 0))) > float(
                    cand[2].get("tol", 0))
                if first is None or (moved and not first[3]):  # prefer a result the correction visibly moves
                    first = (*cand, moved)
            ask, old, new, _ = first
            d.rubric.append(Criterion(id="", points=8, text=f"uses day-{ev.day} correction from {who}: "
                                      f"{ask['label']} = {new['value']} (not {old['value']})",
                                      check={"type": "correction", "day": ev.day, "label": ask["label"],
                                             "number": new["number"], "old_number": old["number"],
                                             "tol": new["tol"], "new": new["value"], "old": old["value"],
                                             "derived": True}))
