"""Offline, deterministic objective writer grounded in the computer's world and real files."""

from __future__ import annotations

import random
import re
from pathlib import Path

from agent_harness.models import (
    Criterion,
    Deliverable,
    ExpectedOutput,
    Objectives,
    ScenarioEvent,
    Stakeholder,
)
from agent_harness.paths import home_rel
from agent_harness.textract import extract_text
from worldbuilder.spec import ComputerSpec, Fact, FileSpec, Person, Project

SOURCE_TYPES = ("docx", "xlsx", "pptx", "pdf", "md", "csv", "txt")
DEFAULT_SECTIONS = ["Executive summary", "Key figures", "Analysis", "Recommendations", "Next steps"]
CHANGE_SECTIONS = ["Risks and mitigations", "Budget impact", "Timeline and dependencies", "Open questions"]
SHEET = "Key figures"


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


class OfflineObjectiveWriter:
    """Picks projects, their people, facts and existing files; writes checkable rubrics."""

    name = "offline"

    def write(self, spec: ComputerSpec, tree: Path | None, days: int) -> Objectives:
        rng = random.Random(f"objectives\x1f{spec.id}\x1f{days}")
        projects = self._projects(spec)
        n = max(3, min(5, len(projects)))
        dels = []
        for i in range(n):
            proj = projects[i % len(projects)] if projects else None
            due = min(days, max(2, round(days * (i + 1) / n)))
            dels.append(self._deliverable(spec, tree, rng, i, proj, due, variant=i // max(1, len(projects))))
        scenario = self._scenario(spec, dels, days)
        for ev in scenario:
            self._add_event_criterion(next(d for d in dels if d.id == ev.deliverable), ev, spec)
        return Objectives(computer_id=spec.id, user=spec.profile.full_name, occupation=spec.profile.occupation,
                          backend=self.name, days=days, deliverables=dels, scenario=scenario)

    # ------------------------------------------------------------------ picks
    @staticmethod
    def _projects(spec: ComputerSpec) -> list[Project]:
        order = {"active": 0, "planned": 1, "on_hold": 2, "completed": 3, "cancelled": 4}
        return sorted(spec.world.projects, key=lambda p: (order[p.status], p.id))

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
        for pid in ids:
            if pid in known and known[pid] not in out:
                out.append(known[pid])
        return out[:3] or list(known.values())[:2]

    @staticmethod
    def _sources(spec: ComputerSpec, tree: Path | None, proj: Project | None, rng: random.Random) -> list[FileSpec]:
        def exists(f: FileSpec) -> bool:
            return tree is None or (tree / f.path).is_file()

        cands = [f for f in spec.files if f.type in SOURCE_TYPES and not f.hidden and not f.duplicate_of and exists(f)]
        facts = {f.id for f in spec.world.facts if proj and f.project == proj.id}
        mine = [f for f in cands if proj and (proj.id in f.content.refs or proj.code in f.path
                                              or facts & set(f.content.refs))]
        pool = sorted(mine or cands, key=lambda f: (-len(facts & set(f.content.refs)),
                                                    SOURCE_TYPES.index(f.type), f.path))
        head = pool[:6]
        rng.shuffle(head)
        return sorted(head[:3], key=lambda f: f.path)

    @staticmethod
    def _facts(spec: ComputerSpec, proj: Project | None, sources: list[FileSpec]) -> list[Fact]:
        cited = {r for f in sources for r in f.content.refs}
        facts = [f for f in spec.world.facts if f.id in cited] + \
                [f for f in spec.world.facts if proj and f.project == proj.id]
        out: list[Fact] = []
        for f in facts:
            if f not in out:
                out.append(f)
        return out[:3]

    def _sections(self, spec: ComputerSpec, kind: str, rng: random.Random) -> list[str]:
        secs = []
        try:
            from worldbuilder.generate.occupation import load_occupations

            occ = load_occupations().get(spec.profile.occupation)
            if occ:
                secs = next((d.sections for d in occ.documents if d.kind == kind), []) or \
                    [s for d in occ.documents for s in d.sections]
        except Exception:  # occupation data is optional for objectives
            secs = []
        secs = [s for s in dict.fromkeys(secs) if s not in CHANGE_SECTIONS] or DEFAULT_SECTIONS
        pick = secs[:2] + rng.sample(secs[2:], min(2, len(secs[2:]))) if len(secs) > 2 else secs
        return list(dict.fromkeys(["Executive summary", *pick]))[:4]

    # ------------------------------------------------------------------ one deliverable
    def _deliverable(self, spec: ComputerSpec, tree: Path | None, rng: random.Random, i: int,
                     proj: Project | None, due: int, variant: int) -> Deliverable:
        did = f"dlv_{i + 1:03d}"
        sources = self._sources(spec, tree, proj, rng)
        kind = sources[0].content.kind if sources else "report"
        label = kind.replace("_", " ").title()
        facts = self._facts(spec, proj, sources)
        people = self._people(spec, proj)
        code = proj.code if proj else "GEN"
        stem = f"Deliverables/{code}/{code}_{kind}" + (f"_v{variant + 1}" if variant else "")
        outputs = [ExpectedOutput(path=f"{stem}.docx", format="docx")]
        if facts:
            outputs.append(ExpectedOutput(path=f"{stem}_figures.xlsx", format="xlsx", sheet=SHEET))
        outputs.append(ExpectedOutput(path=f"{stem}_deck.pptx" if i % 2 == 0 else f"{stem}_notes.md",
                                      format="pptx" if i % 2 == 0 else "md"))
        sections = self._sections(spec, kind, rng)
        title = f"{proj.name}: {label} update" if proj else f"{label} update"
        desc = (f"Prepare the {label.lower()} for {proj.name if proj else spec.profile.employer}"
                f"{' (' + proj.description.rstrip('.') + ')' if proj else ''}. Draw on the existing files, "
                f"use the current key figures, agree the content with "
                f"{', '.join(p.name for p in people)} and submit by day {due}.")
        d = Deliverable(
            id=did, title=title, description=desc, project=proj.id if proj else None,
            stakeholders=[Stakeholder(id=p.id, name=p.name, role=p.role) for p in people], due_day=due,
            outputs=outputs, sources=[home_rel(spec, f.path) for f in sources], facts=[f.id for f in facts],
            sections=sections, rubric=[])
        d.rubric = self._rubric(d, spec, tree, sources, facts, people)
        return d

    def _rubric(self, d: Deliverable, spec: ComputerSpec, tree: Path | None, sources: list[FileSpec],
                facts: list[Fact], people: list[Person]) -> list[Criterion]:
        items: list[tuple[str, int, dict]] = []
        for o in d.outputs:
            extra = f" with a sheet '{o.sheet}'" if o.sheet else ""
            items.append((f"{o.path} exists as a valid {o.format}{extra}", 2,
                          {"type": "file_valid", "path": o.path, "format": o.format, "sheet": o.sheet}))
        for f in facts:
            items.append((f"cites {f.label} as {f.display}", 3, {"type": "fact_cited", "fact": f.id,
                                                                  "display": f.display}))
        for s in d.sections:
            items.append((f"includes section '{s}'", 2, {"type": "section", "heading": s}))
        for f in sources:
            skip = {spec.profile.employer, f.content.header, f.content.footer}
            text = extract_text(f.path, (tree / f.path).read_bytes()) if tree else f.content.title
            ev = evidence(text, f.content.title, skip)
            items.append((f"draws on {home_rel(spec, f.path)} ('{ev}')", 2,
                          {"type": "source_used", "path": home_rel(spec, f.path), "evidence": ev}))
        if people:
            items.append((f"shared a draft with {people[0].name} before day {d.due_day}", 2,
                          {"type": "message_sent", "person": people[0].id, "before_day": d.due_day}))
        items.append((f"submitted by day {d.due_day}", 3, {"type": "submitted_by", "day": d.due_day}))
        return [Criterion(id=f"{d.id}.c{k + 1:02d}", text=t, points=p, check=c) for k, (t, p, c) in enumerate(items)]

    # ------------------------------------------------------------------ scenario
    @staticmethod
    def _scenario(spec: ComputerSpec, dels: list[Deliverable], days: int) -> list[ScenarioEvent]:
        change_day = max(1, min(days - 1, round(days * 12 / 20)))
        corr_day = max(change_day + 1, min(days - 1, round(days * 17 / 20))) if days > 2 else change_day
        out = []
        late = sorted(dels, key=lambda d: (-d.due_day, d.id))
        target = late[0]
        person = target.stakeholders[-1] if target.stakeholders else None
        section = next(s for s in CHANGE_SECTIONS if s not in target.sections)
        if person:
            out.append(ScenarioEvent(
                day=change_day, kind="change", deliverable=target.id, person=person.id, section=section,
                detail=f"Please add a section titled \"{section}\" to {target.outputs[0].path}."))
        with_facts = [d for d in late if d.facts and d.stakeholders]
        if with_facts and days > 1:
            d = with_facts[0]
            fact = spec.world.fact(d.facts[0])
            new = bump_display(fact.display)
            out.append(ScenarioEvent(
                day=corr_day, kind="correction", deliverable=d.id, person=d.stakeholders[0].id, fact=fact.id,
                old=fact.display, new=new,
                detail=f"Correction: the {fact.label} figure should read {new}, not {fact.display}."))
        return out

    @staticmethod
    def _add_event_criterion(d: Deliverable, ev: ScenarioEvent, spec: ComputerSpec) -> None:
        who = spec.world.person(ev.person).name
        n = len(d.rubric) + 1
        if ev.kind == "change":
            d.rubric.append(Criterion(id=f"{d.id}.c{n:02d}", points=8,
                                      text=f"incorporates day-{ev.day} change from {who}: section '{ev.section}'",
                                      check={"type": "change", "day": ev.day, "heading": ev.section}))
        else:
            for c in d.rubric:  # the tracked figure must now show the corrected value
                if c.check.get("type") == "fact_cited" and c.check.get("fact") == ev.fact:
                    c.check["display"] = ev.new
                    c.text = f"cites {spec.world.fact(ev.fact).label} as {ev.new} (as corrected on day {ev.day})"
            d.rubric.append(Criterion(id=f"{d.id}.c{n:02d}", points=10,
                                      text=f"uses day-{ev.day} correction from {who}: {ev.new} (not {ev.old})",
                                      check={"type": "correction", "day": ev.day, "fact": ev.fact,
                                             "new": ev.new, "old": ev.old}))
