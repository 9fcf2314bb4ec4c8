"""Turn a content draft into a ContentSpec (repairs included), and the deterministic fallback content."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.prompts.convert import clamp_time, known_ids
from worldbuilder.generate.prompts.drafts import ContentDraft, strip_fences
from worldbuilder.spec import (
    Bullets,
    Cell,
    Chart,
    ContentSpec,
    Email,
    Event,
    Heading,
    Paragraph,
    Profile,
    Series,
    Sheet,
    Slide,
    World,
    stable_id,
)

_RANGE = re.compile(r"^=(SUM|AVERAGE|MIN|MAX|COUNT)\(([A-Z]+)(\d+):([A-Z]+)(\d+)\)$", re.I)


def to_content(draft: ContentDraft, plan: FilePlan, profile: Profile, world: World) -> ContentSpec:
    """A ContentSpec for ``plan`` from the LLM's draft: title/kind from the plan, refs checked."""
    fields: dict[str, Any] = {k: v for k, v in draft if k not in ("title", "author", "summary", "refs")}
    spec = ContentSpec(kind=plan.kind, title=plan.title or draft.title, author=draft.author or profile.full_name,
                       summary=draft.summary, members=list(plan.members))
    if "text" in fields:
        fields["text"] = strip_fences(fields["text"])
    if "sheets" in fields:
        fields["sheets"] = [fix_sheet(s, formulas=plan.type == "xlsx") for s in fields["sheets"]]
    if "email" in fields:
        fields["email"] = _email(fields["email"], plan, profile, world)
    if "events" in fields:
        fields["events"] = [_event(e, i, plan, world) for i, e in enumerate(fields["events"])]
    if "data" in fields:
        fields["data"] = _data(fields["data"], plan.type)
    spec = spec.model_copy(update=fields)
    return ContentSpec.model_validate(spec.model_dump()).model_copy(
        update={"refs": checked_refs([*plan.refs, *draft.refs], spec, world)})


def checked_refs(refs: list[str], spec: ContentSpec, world: World) -> list[str]:
    """Known ids only; a fact stays only if its exact ``display`` occurs in the content."""
    known = known_ids(world)
    facts = {f.id: f.display for f in world.facts}
    text = json.dumps(spec.model_dump(mode="json", exclude={"refs"}), ensure_ascii=False)
    out = []
    for r in dict.fromkeys(refs):
        if r in known and (r not in facts or json.dumps(facts[r], ensure_ascii=False)[1:-1] in text):
            out.append(r)
    return out


# --------------------------------------------------------------------------- per-type repairs


def fix_sheet(sheet: Sheet, formulas: bool) -> Sheet:
    """Rows padded/truncated to the columns; formulas kept only when they evaluate (then value fixed)."""
    width = len(sheet.columns)
    rows = [list(r[:width]) + [None] * (width - len(r)) for r in sheet.rows]
    for r in rows:
        for i, cell in enumerate(r):
            if isinstance(cell, Cell) and cell.formula is not None:
                value = _evaluate(cell.formula, rows) if formulas else None
                r[i] = cell.model_copy(update={"formula": cell.formula if value is not None else None,
                                               "value": value if value is not None else cell.value})
    return sheet.model_copy(update={"rows": rows})


def _col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _evaluate(formula: str, rows: list[list[Any]]) -> float | None:
    """SUM/AVERAGE/MIN/MAX/COUNT over a range of plain numbers (row 1 is the header)."""
    m = _RANGE.match(formula.strip().replace(" ", ""))
    if not m:
        return None
    fn, c1, r1, c2, r2 = m.group(1).upper(), _col(m.group(2)), int(m.group(3)), _col(m.group(4)), int(m.group(5))
    values = []
    for r in range(min(r1, r2), max(r1, r2) + 1):
        for c in range(min(c1, c2), max(c1, c2) + 1):
            if r < 2 or r - 2 >= len(rows) or c >= len(rows[r - 2]):
                return None
            v = rows[r - 2][c]
            v = v.value if isinstance(v, Cell) and v.formula is None else v
            if isinstance(v, bool) or not isinstance(v, int | float):
                return None
            values.append(float(v))
    if not values:
        return None
    result = {"SUM": sum, "MIN": min, "MAX": max, "COUNT": len,
              "AVERAGE": lambda xs: sum(xs) / len(xs)}[fn](values)
    return round(float(result), 6)


def _email(body: Any, plan: FilePlan, profile: Profile, world: World) -> Email:
    return Email(sender=body.sender, to=body.to, cc=body.cc, subject=body.subject,
                 date=clamp_time(body.date, world.history_start, world.history_end), body=body.body,
                 message_id=f"<{stable_id(plan.path, 'msg')}@{profile.email.split('@', 1)[1]}>",
                 attachments=[])


def _event(body: Any, i: int, plan: FilePlan, world: World) -> Event:
    lo, hi = world.history_start, world.history_end + timedelta(days=120)  # calendars look ahead
    start = clamp_time(body.start, lo, hi)
    end = max(clamp_time(body.end, lo, hi + timedelta(days=1)), start)
    return Event(uid=f"{stable_id(plan.path, i)}@worldbuilder", summary=body.summary, start=start, end=end,
                 location=body.location, description=body.description, attendees=body.attendees)


def _data(data: Any, ftype: str) -> Any:
    if ftype == "jsonl":
        items = data if isinstance(data, list) else [data]
        return [x if isinstance(x, dict) else {"value": x} for x in items]
    if ftype == "toml":
        clean = _drop_none(data)
        return clean if isinstance(clean, dict) else {"items": clean}
    return data


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


# --------------------------------------------------------------------------- fallback


def fallback_content(plan: FilePlan, profile: Profile, world: World) -> ContentSpec:
    """Minimal, deterministic, valid content for a file whose LLM answer stayed invalid."""
    spec = _fallback(plan, profile, world)
    return spec.model_copy(update={"refs": checked_refs(plan.refs, spec, world)})


def _fallback(plan: FilePlan, profile: Profile, world: World) -> ContentSpec:
    facts = [world.fact(r) for r in plan.refs if r in {f.id for f in world.facts}]
    lines = [f"{f.label}: {f.display}" for f in facts] or [plan.title]
    base = ContentSpec(kind=plan.kind, title=plan.title, author=profile.full_name, members=list(plan.members),
                       summary="placeholder content (the LLM answer was invalid)")
    t = plan.type
    if t in ("docx", "pdf"):
        return base.model_copy(update={"blocks": [Heading(text=plan.title), Paragraph(text=plan.title),
                                                   Bullets(items=lines)]})
    if t in ("md", "txt"):
        return base.model_copy(update={"text": f"{plan.title}\n\n" + "\n".join(lines) + "\n"})
    if t in ("xlsx", "csv"):
        rows: list[list[Any]] = [[f.label, f.display] for f in facts] or [[plan.title, ""]]
        return base.model_copy(update={"sheets": [Sheet(name="Sheet1", columns=["Item", "Value"], rows=rows)]})
    if t == "pptx":
        return base.model_copy(update={"slides": [Slide(title=plan.title, subtitle=profile.full_name, layout="title"),
                                                   Slide(title="Key points", bullets=lines)]})
    if t == "png":
        series = [Series(name="value", values=[f.value for f in facts] or [1.0])]
        return base.model_copy(update={"chart": Chart(title=plan.title, categories=[f.label for f in facts] or
                                                      [plan.title], series=series)})
    if t == "eml":
        return base.model_copy(update={"email": Email(
            sender=f"{profile.full_name} <{profile.email}>", to=[profile.email], subject=plan.title,
            date=plan.modified, body="\n".join(lines) + "\n",
            message_id=f"<{stable_id(plan.path, 'msg')}@{profile.email.split('@', 1)[1]}>")})
    if t == "ics":
        return base.model_copy(update={"events": [Event(uid=f"{stable_id(plan.path, 0)}@worldbuilder",
                                                        summary=plan.title, start=plan.modified,
                                                        end=plan.modified + timedelta(hours=1))]})
    if t in ("json", "jsonl", "toml"):
        record = {"title": plan.title, **{f.label: f.display for f in facts}}
        return base.model_copy(update={"data": [record] if t == "jsonl" else record})
    if t == "py":
        doc = re.sub(r"[^\w .,-]", "", plan.title) or "Script"
        return base.model_copy(update={"text": f'"""{doc}."""\n\n\ndef main() -> None:\n'
                                               f"    print({plan.title!r})\n\n\nif __name__ == \"__main__\":\n"
                                               "    main()\n"})
    return base  # zip: members only
