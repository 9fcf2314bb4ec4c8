"""Repair LLM drafts into spec models: valid ids and references, safe paths, times inside the history."""

from __future__ import annotations

import random
import re
import unicodedata
import zoneinfo
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.prompts.drafts import (
    FileDraft,
    FolderPlanDraft,
    ProfileDraft,
    WorldDraft,
)
from worldbuilder.spec import (
    FILE_TYPES,
    Fact,
    Layout,
    Milestone,
    Organisation,
    Person,
    Profile,
    Project,
    World,
)

SIZE_CLASSES = ("tiny", "small", "medium", "large")
_BAD_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
EXT_ALIASES = {"jpeg": None, "jpg": None, "doc": "docx", "xls": "xlsx", "ppt": "pptx", "markdown": "md",
               "yaml": None, "yml": None, "htm": None, "html": None, "ical": "ics", "text": "txt"}


# --------------------------------------------------------------------------- small helpers


def ascii_slug(text: str, sep: str = "") -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return sep.join(re.findall(r"[a-z0-9]+", norm))


def naive(value: datetime) -> datetime:
    """Spec times are naive local times (the owner's timezone): keep the wall clock, drop any offset."""
    return value.replace(tzinfo=None, microsecond=0)


def clamp_time(value: datetime, lo: datetime, hi: datetime) -> datetime:
    value = naive(value)
    return min(max(value, lo), hi)


def valid_domain(domain: str, fallback_name: str) -> str:
    domain = domain.strip().lower().removeprefix("@")
    if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
        return domain
    return f"{ascii_slug(fallback_name, '-')[:40] or 'example'}.com"


def unique_ids(items: list, prefix: str) -> dict[str, str]:
    """Give every item a unique, non-empty id in place; returns old id -> new id (first wins)."""
    seen: set[str] = set()
    mapping: dict[str, str] = {}
    for i, item in enumerate(items, 1):
        old = (item.id or "").strip()
        new = re.sub(r"[^A-Za-z0-9_-]", "", old) or f"{prefix}{i:02d}"
        while new in seen:
            new = f"{new}_{i}"
        seen.add(new)
        mapping.setdefault(old, new)
        item.id = new
    return mapping


# --------------------------------------------------------------------------- profile


def to_profile(d: ProfileDraft) -> Profile:
    names = d.full_name.split()
    first, last = (names[0], names[-1]) if len(names) > 1 else (names[0], names[0])
    username = (ascii_slug(first)[:1] + ascii_slug(last))[:16] or "user"
    if not username[0].isalpha():
        username = "u" + username[:15]
    try:
        zoneinfo.ZoneInfo(d.timezone)
        tz = d.timezone
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = "UTC"
    career = min(max(d.career_start, date(1960, 1, 1)), date(2030, 12, 31))
    occupation = ascii_slug(d.occupation, "_") or ascii_slug(d.occupation_label, "_") or "professional"
    return Profile(
        full_name=" ".join(names), first_name=first, last_name=last, username=username,
        email=f"{username}@{valid_domain(d.employer_domain, d.employer)}", occupation=occupation,
        occupation_label=d.occupation_label, sector=d.sector, employer=d.employer, job_title=d.job_title,
        seniority=d.seniority, department=d.department, location=d.location, timezone=tz,
        work_style=d.work_style, tools=[t for t in d.tools if t.strip()][:20], career_start=career)


# --------------------------------------------------------------------------- world


def to_world(d: WorldDraft, profile: Profile) -> World:
    start, end = sorted((naive(d.history_start), naive(d.history_end)))
    if end - start < timedelta(days=30) or end - start > timedelta(days=365 * 15):
        start = end - timedelta(days=730)
    orgs = _organisations(d, profile)
    org_ids = {o.id for o in orgs}
    employer = next(o.id for o in orgs if o.kind == "employer")
    people = _people(d, org_ids, employer, {o.id: o.domain for o in orgs}, profile.country)
    person_ids = [p.id for p in people]
    projects = _projects(d, person_ids, org_ids)
    project_ids = {p.id for p in projects}
    unique_ids(d.facts, "f")
    facts = [Fact(id=f.id, label=f.label, value=f.value, unit=f.unit, display=f.display.strip() or _display(f.value, f.unit),
                  project=f.project if f.project in project_ids else None, as_of=f.as_of) for f in d.facts]
    vocab = list(dict.fromkeys(v.strip() for v in d.vocabulary if v.strip()))[:80]
    return World(organisations=orgs, people=people, projects=projects, facts=facts,
                 history_start=start, history_end=end, vocabulary=vocab)


def _organisations(d: WorldDraft, profile: Profile) -> list[Organisation]:
    unique_ids(d.organisations, "o")
    orgs = [Organisation(id=o.id, name=o.name, kind=o.kind, domain=valid_domain(o.domain, o.name),
                         address=o.address) for o in d.organisations]
    if not any(o.kind == "employer" for o in orgs):
        orgs.insert(0, Organisation(id="o_employer", name=profile.employer, kind="employer",
                                    domain=profile.email.split("@", 1)[1]))
    return orgs


def _phone(raw: str, country: str, key: str) -> str:
    """The model's phone number when it is in the country's format, else one made in that format."""
    from worldbuilder.generate.locale import locale_pack
    from worldbuilder.generate.people import phone_number

    if raw.strip().startswith(locale_pack(country).dial_code):
        return raw.strip()
    return phone_number(country, random.Random(f"phone\x1f{key}"))


def _people(d: WorldDraft, org_ids: set[str], employer: str, domains: dict[str, str],
            country: str = "US") -> list[Person]:
    unique_ids(d.people, "p")
    out = []
    for p in d.people:
        org = p.organisation if p.organisation in org_ids else employer
        email = p.email.strip() if _EMAIL.match(p.email.strip()) else ""
        if not email:
            parts = p.name.split()
            email = f"{ascii_slug(parts[0]) if parts else 'x'}.{ascii_slug(parts[-1]) if parts else 'x'}@{domains[org]}"
        out.append(Person(id=p.id, name=p.name, email=email, role=p.role, organisation=org,
                          relation=p.relation, kind=p.kind or "colleague",
                          phone=_phone(p.phone, country, f"{p.id}\x1f{p.name}")))
    return out


def _projects(d: WorldDraft, person_ids: list[str], org_ids: set[str]) -> list[Project]:
    unique_ids(d.projects, "j")
    known = set(person_ids)
    out = []
    for i, p in enumerate(d.projects, 1):
        start, end = sorted((p.start, p.end))
        owner = p.owner if p.owner in known else person_ids[0]
        code = re.sub(r"[^A-Z0-9]", "", p.code.upper())[:12] or ascii_slug(p.name)[:6].upper() or f"P{i:02d}"
        out.append(Project(
            id=p.id, name=p.name, code=code, description=p.description or p.name, owner=owner,
            members=list(dict.fromkeys(m for m in p.members if m in known)),
            client=p.client if p.client in org_ids else None, start=start, end=end, status=p.status,
            budget=p.budget, milestones=[Milestone(name=m.name, due=m.due, done=m.done) for m in p.milestones]))
    return out


def _display(value: float, unit: str) -> str:
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if unit.upper() == "USD":
        return f"${number}"
    if unit == "%":
        return f"{number}%"
    return f"{number} {unit}".strip()


# --------------------------------------------------------------------------- tree


def layout_for(os_kind: str, profile: Profile, uses_d: bool) -> Layout:
    if os_kind == "windows":
        drives = {"C:": "C", "D:": "D"} if uses_d else {"C:": "C"}
        return Layout(kind="windows", home=f"C:\\Users\\{profile.username}", drives=drives,
                      profile_root=f"C/Users/{profile.username}")
    return Layout(kind="linux", home=f"/home/{profile.username}", profile_root="")


def clean_component(part: str) -> str:
    part = _BAD_NAME.sub("_", unicodedata.normalize("NFC", part)).strip().rstrip(".")
    return " ".join(part.split())[:80]


def clean_folder(path: str, layout: Layout) -> str | None:
    """A folder path from the LLM as a safe spec path (under the profile root, or on drive D)."""
    raw = path.replace("\\", "/").strip()
    drive_d = layout.kind == "windows" and re.match(r"^[dD]:?/", raw) is not None
    raw = re.sub(r"^[A-Za-z]:", "", raw) if layout.kind == "windows" else raw
    raw = re.sub(r"^(~|/home/[^/]+|/Users/[^/]+)(/|$)", "", raw)
    parts = [clean_component(p) for p in raw.split("/") if p not in ("", ".", "..")]
    parts = [p for p in parts if p][:8]
    if drive_d:
        return "/".join(["D", *parts]) if parts else "D"
    root = layout.profile_root
    return "/".join([root, *parts]) if root else "/".join(parts)


def file_type_and_name(draft: FileDraft) -> tuple[str, str] | None:
    """(type, file name) with an extension matching the type, or None if neither is usable."""
    name = clean_component(PurePosixPath(draft.name.replace("\\", "/")).name)
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower() if dot else ""
    ext = EXT_ALIASES.get(ext, ext) if ext in EXT_ALIASES else ext
    ftype = draft.type.lower().strip().lstrip(".")
    ftype = EXT_ALIASES.get(ftype, ftype) if ftype in EXT_ALIASES else ftype
    if ftype not in FILE_TYPES:
        ftype = ext if ext in FILE_TYPES else ""
    if not ftype:
        return None
    base = (stem if dot else name) or ascii_slug(draft.title, "_") or "file"
    return ftype, f"{base}.{ftype}"


def to_file_plan(draft: FileDraft, folder: str, world: World, taken: set[str]) -> FilePlan | None:
    """One file plan inside ``folder`` (spec path), repaired; None when the type is unusable."""
    tn = file_type_and_name(draft)
    if tn is None:
        return None
    ftype, name = tn
    path = f"{folder}/{name}" if folder else name
    stem, _, ext = path.rpartition(".")
    n = 2
    while path.lower() in taken:
        path, n = f"{stem} ({n}).{ext}", n + 1
    taken.add(path.lower())
    lo, hi = world.history_start, world.history_end
    created, modified = sorted((clamp_time(draft.created, lo, hi), clamp_time(draft.modified, lo, hi)))
    known = known_ids(world)
    return FilePlan(
        path=path, type=ftype, kind=ascii_slug(draft.kind, "_") or "document",
        title=draft.title.strip() or PurePosixPath(name).stem, created=created, modified=modified,
        size_class=draft.size_class if draft.size_class in SIZE_CLASSES else "small",
        refs=list(dict.fromkeys(r for r in draft.refs if r in known)),
        project=draft.project if draft.project in {p.id for p in world.projects} else None,
        hidden=any(part.startswith(".") for part in path.split("/")))


def known_ids(world: World) -> set[str]:
    return {x.id for x in (*world.people, *world.projects, *world.facts, *world.organisations)}


def folders_of(plan: FolderPlanDraft, layout: Layout) -> list[tuple[str, str, int]]:
    """(spec folder path, purpose, file count) for every usable folder, first occurrence wins."""
    out: dict[str, tuple[str, str, int]] = {}
    for f in plan.folders:
        path = clean_folder(f.path, layout)
        if path is not None and path not in out and f.files > 0:
            out[path] = (path, f.purpose, f.files)
    return list(out.values())


