"""Coherence checker: cross-file references to world entities and contradictions in tracked facts.

Works on a rendered computer directory (``spec.json`` + ``tree/``: text extracted from the real files)
or on a bare spec file (text taken from the ContentSpecs).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from worldbuilder.extract import extract_text_ok
from worldbuilder.factmatch import NUMBER, SCALE, fact_pattern, matches_fact, parse_number  # noqa: F401 (re-exported)
from worldbuilder.invariants import Violation, find_violations
from worldbuilder.spec import Block, Cell, ComputerSpec, FileSpec


class Contradiction(BaseModel):
    file: str
    fact: str  # fact id
    label: str
    expected: str  # the fact's display
    found: str
    context: str = ""


class EntityCount(BaseModel):
    kind: str
    id: str
    name: str
    files: int


class CheckReport(BaseModel):
    computer: str
    source: Literal["rendered", "spec"]
    files_checked: int
    unreadable: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    cross_file_references: int = 0  # Σ over entities cited by ≥2 files of the number of files citing them
    entities_shared: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)
    by_file_type: dict[str, int] = Field(default_factory=dict)
    top_entities: list[EntityCount] = Field(default_factory=list)
    fact_mentions: int = 0  # "label: value" mentions whose value matches the fact
    contradictions: list[Contradiction] = Field(default_factory=list)
    violations: list[Violation] = Field(default_factory=list)  # broken spreadsheet invariants

    def format(self) -> str:
        lines = [f"{self.computer} ({self.source}): {self.files_checked} files checked",
                 f"cross-file references: {self.cross_file_references} over {self.entities_shared} shared entities",
                 "  by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_kind.items())),
                 "  by file type: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_file_type.items(),
                                                                             key=lambda kv: -kv[1]))]
        if self.top_entities:
            lines.append("  top entities: " + ", ".join(f"{e.name} ({e.files})" for e in self.top_entities[:8]))
        lines.append(f"fact mentions consistent: {self.fact_mentions}")
        if self.unreadable:
            lines.append(f"unreadable files: {len(self.unreadable)} (e.g. {self.unreadable[0]})")
        if self.missing:
            lines.append(f"files in the spec but not in the tree: {len(self.missing)} (e.g. {self.missing[0]})")
        lines.append(f"contradictions: {len(self.contradictions)}")
        for c in self.contradictions[:20]:
            lines.append(f"  {c.file}: {c.label}: found {c.found}, expected {c.expected}")
        lines.append(f"invariant violations: {len(self.violations)}")
        for v in self.violations[:20]:
            lines.append(f"  {v.file} [{v.sheet}] {v.invariant}: {v.detail}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- text sources


def _cell(v: object) -> str:
    if isinstance(v, Cell):
        v = v.value if v.value is not None else v.formula
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _blocks_text(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if b.type in ("heading", "paragraph"):
            out.append(b.text)  # type: ignore[union-attr]
        elif b.type == "bullets":
            out += b.items  # type: ignore[union-attr]
        elif b.type == "table":
            out.append("\t".join(b.columns))  # type: ignore[union-attr]
            out += ["\t".join(_cell(c) for c in r) for r in b.rows]  # type: ignore[union-attr]
    return out


def spec_text(f: FileSpec) -> str:
    """The text a rendered file would show, taken straight from its ContentSpec."""
    c = f.content
    out = [c.header, *_blocks_text(c.blocks), c.footer]
    for s in c.sheets:
        out.append("\t".join(s.columns))
        out += ["\t".join(_cell(v) for v in r) for r in s.rows]
    for s in c.slides:
        out += [s.title, s.subtitle, *s.bullets, s.notes]
        if s.table:
            out += ["\t".join(_cell(v) for v in r) for r in s.table.rows]
    if c.email:
        e = c.email
        out += [f"From: {e.sender}", "To: " + ", ".join(e.to), "Cc: " + ", ".join(e.cc), f"Subject: {e.subject}", e.body]
    for ev in c.events:
        out += [ev.summary, ev.description, *ev.attendees]
    if c.data is not None:
        out.append(json.dumps(c.data, ensure_ascii=False, default=str))
    if c.text:
        out.append(c.text)
    out += c.members
    return "\n".join(t for t in out if t)


def gather_texts(spec: ComputerSpec, tree: Path | None) -> tuple[dict[str, str], list[str], list[str]]:
    """(path → text, unreadable paths, missing paths)."""
    texts: dict[str, str] = {}
    unreadable: list[str] = []
    missing: list[str] = []
    for f in spec.files:
        if tree is None:
            texts[f.path] = spec_text(f)
            continue
        p = tree / f.path
        if not p.is_file():
            missing.append(f.path)
            continue
        text, ok = extract_text_ok(f.path, p.read_bytes())
        if not ok:
            unreadable.append(f.path)
        texts[f.path] = text
    return texts, unreadable, missing


# --------------------------------------------------------------------------- references


def _form_rx(form: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w@.])" + re.escape(form).replace(r"\ ", r"\s+") + r"(?![\w]|[.,]\d)")


def entity_forms(spec: ComputerSpec) -> list[tuple[str, str, str, list[re.Pattern[str]]]]:
    """(kind, id, name, patterns) for every world entity worth counting."""
    w = spec.world
    out = [("person", p.id, p.name, [_form_rx(p.name), _form_rx(p.email)]) for p in w.people]
    out += [("project", p.id, p.name, [_form_rx(p.name), _form_rx(p.code)]) for p in w.projects]
    out += [("organisation", o.id, o.name, [_form_rx(o.name)]) for o in w.organisations if o.kind != "employer"]
    displays = Counter(f.display for f in w.facts)
    out += [("fact", f.id, f.display, [_form_rx(f.display)]) for f in w.facts
            if displays[f.display] == 1 and len(re.sub(r"\D", "", f.display)) >= 2
            and not (f.display.replace(",", "").isdigit() and len(f.display) < 5)]
    return out


def count_references(spec: ComputerSpec, texts: dict[str, str], report: CheckReport) -> None:
    forms = entity_forms(spec)
    types = {f.path: f.type for f in spec.files}
    cited: dict[str, list[str]] = {}
    for path, text in texts.items():
        if not text:
            continue
        for _kind, eid, _, rxs in forms:
            if any(rx.search(text) for rx in rxs):
                cited.setdefault(eid, []).append(path)
    meta = {eid: (kind, name) for kind, eid, name, _ in forms}
    by_kind: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    shared = {eid: paths for eid, paths in cited.items() if len(paths) >= 2}
    for eid, paths in shared.items():
        by_kind[meta[eid][0]] += len(paths)
        for p in paths:
            by_type[types[p]] += 1
    report.cross_file_references = sum(len(p) for p in shared.values())
    report.entities_shared = len(shared)
    report.by_kind, report.by_file_type = dict(by_kind), dict(by_type)
    top = sorted(shared.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:15]
    report.top_entities = [EntityCount(kind=meta[e][0], id=e, name=meta[e][1], files=len(p)) for e, p in top]


# --------------------------------------------------------------------------- contradictions


def find_contradictions(spec: ComputerSpec, texts: dict[str, str], tree: Path | None,
                        report: CheckReport) -> None:
    facts = sorted(spec.world.facts, key=lambda f: -len(f.label))
    types = {f.path: f.type for f in spec.files}
    for path, text in texts.items():
        if not text:
            continue
        loose = tree is not None and types.get(path) == "pdf"
        claimed: list[tuple[int, int]] = []
        for f in facts:
            for m in fact_pattern(f, loose).finditer(text):
                if any(a <= m.start() < b or m.start() <= a < m.end() for a, b in claimed):
                    continue
                claimed.append((m.start(), m.end()))
                if matches_fact(f, m.group("num"), m.group("suf")):
                    report.fact_mentions += 1
                    continue
                found = m.group("num").strip() + (m.group("suf") or "")
                ctx = " ".join(text[max(0, m.start() - 20): m.end() + 20].split())
                report.contradictions.append(Contradiction(file=path, fact=f.id, label=f.label,
                                                           expected=f.display, found=found, context=ctx))


def check_computer(path: str | Path) -> CheckReport:
    """Check a computer directory (rendered files) or a bare spec file (ContentSpec text)."""
    from worldbuilder.computer_dir import load_computer

    spec, tree = load_computer(Path(path))
    texts, unreadable, missing = gather_texts(spec, tree)
    report = CheckReport(computer=str(path), source="rendered" if tree is not None else "spec",
                         files_checked=len(texts), unreadable=unreadable, missing=missing)
    count_references(spec, texts, report)
    find_contradictions(spec, texts, tree, report)
    report.violations = find_violations(spec, tree)
    return report


def check_spec(spec: ComputerSpec, tree: Path | None = None) -> CheckReport:
    """Same as :func:`check_computer` for an in-memory spec (``tree`` = rendered files, if any)."""
    texts, unreadable, missing = gather_texts(spec, tree)
    report = CheckReport(computer=spec.id, source="rendered" if tree is not None else "spec",
                         files_checked=len(texts), unreadable=unreadable, missing=missing)
    count_references(spec, texts, report)
    find_contradictions(spec, texts, tree, report)
    report.violations = find_violations(spec, tree)
    return report
