"""Offline world stage: organisations, people, projects, tracked facts, history span."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from worldbuilder.generate.base import PlanContext
from worldbuilder.generate.fill import display, fill
from worldbuilder.generate.locale import locale_pack
from worldbuilder.generate.occupation import Occupation, load_occupations, topics_for
from worldbuilder.generate.people import NamePool, email_local, phone_number
from worldbuilder.generate.profile_offline import employer_domain
from worldbuilder.generate.timeline import fixed_now
from worldbuilder.spec import Fact, Milestone, Organisation, Person, Profile, Project, World

CODE_NAMES = ("ORION", "ATLAS", "CEDAR", "HARBOR", "PHOENIX", "SUMMIT", "BEACON", "MERIDIAN", "NOVA", "KESTREL",
              "LANTERN", "GRANITE", "TIDEWATER", "AURORA", "COBALT", "FALCON", "JUNIPER", "MAPLE", "QUARTZ", "SIERRA")
EXTERNAL_ORG_KIND = {"client": "client", "customer": "client", "patient": "client", "vendor": "vendor",
                     "supplier": "vendor", "student": "school", "parent": "school", "regulator": "regulator",
                     "partner": "partner"}
MILESTONE_NAMES = ("Kickoff", "Requirements signed off", "Draft delivered", "Review complete", "Go-live",
                   "Final report", "Budget approved", "Pilot complete", "Handover")
SIZE_PEOPLE = {"small": (8, 11), "standard": (11, 16), "large": (15, 20)}
SIZE_FACTS = {"small": (15, 18), "standard": (20, 28), "large": (30, 40)}
SIZE_PROJECTS = {"small": (3, 4), "standard": (4, 6), "large": (5, 7)}


def occupation_of(profile: Profile, ctx: PlanContext | None = None) -> Occupation:
    """The occupation profile() chose for this computer (composed and localized), else the template."""
    if ctx is not None and ctx.occupation is not None:
        return ctx.occupation  # type: ignore[return-value]
    return load_occupations()[profile.occupation]


def _city(profile: Profile) -> str:
    return profile.location.split(",")[0]


def make_organisations(profile: Profile, occ: Occupation, pool: NamePool, rng: random.Random) -> list[Organisation]:
    city = _city(profile)
    orgs = [Organisation(id="o01", name=profile.employer, kind="employer",
                         domain=profile.email.split("@")[1], address=f"{rng.randint(10, 999)} Main Street, {city}")]
    kind = EXTERNAL_ORG_KIND.get(occ.external_kind.lower(), "other")
    names: set[str] = {profile.employer}
    for _ in range(rng.randint(3, 6)):
        name = fill(rng.choice(occ.external_org_patterns), last=pool.last_name(), last2=pool.last_name(), city=city)
        if name in names:
            continue
        names.add(name)
        orgs.append(Organisation(id=f"o{len(orgs) + 1:02d}", name=name, kind=kind,  # type: ignore[arg-type]
                                 domain=employer_domain(name, "com"), address=f"{rng.randint(10, 999)} {city}"))
    return orgs


def make_people(profile: Profile, occ: Occupation, orgs: list[Organisation], ctx: PlanContext,
                pool: NamePool, rng: random.Random) -> list[Person]:
    lo, hi = SIZE_PEOPLE[ctx.size]
    total = rng.randint(lo, hi)
    reports = rng.randint(2, 4) if profile.seniority in ("senior", "lead", "executive") else 0
    externals = max(3, min(len(orgs) - 1 + 2, total // 3))
    personal = rng.randint(2, 3)
    colleagues = max(3, total - 1 - reports - externals - personal)
    plan = (["manager"] + ["colleague"] * colleagues + ["report"] * reports + ["external"] * externals
            + ["family", "friend"] + ["family"] * (personal - 2))
    people: list[Person] = []
    emp = orgs[0]
    ext_orgs = orgs[1:] or orgs
    for i, rel in enumerate(plan):
        first, last = pool.take()
        if rel == "family" and i - plan.index("family") in (1, 2):  # a sibling or parent shares the surname
            last = profile.last_name
        name = f"{first} {last}"
        pid = f"p{i + 1:02d}"
        if rel == "manager":
            role, org, kind = rng.choice(occ.manager_roles), emp, "colleague"
        elif rel in ("colleague", "report"):
            role, org, kind = rng.choice(occ.colleague_roles), emp, "colleague"
        elif rel == "external":
            org = ext_orgs[(i + rng.randrange(2)) % len(ext_orgs)]
            role, kind = rng.choice(occ.external_roles), occ.external_kind
        else:
            role = "Friend" if rel == "friend" else ("Partner", "Sibling", "Parent")[min(i - plan.index("family"), 2)]
            org, kind = emp, rel
        domain = org.domain if rel not in ("family", "friend") else rng.choice(locale_pack(profile.country).email_domains)
        people.append(Person(id=pid, name=name, email=f"{email_local(name)}@{domain}", role=role,
                             organisation=org.id, relation=rel, kind=kind,  # type: ignore[arg-type]
                             phone=phone_number(profile.country, rng)))
    return people


def _status(start: date, end: date, now: date, rng: random.Random) -> str:
    if end < now:
        return "cancelled" if rng.random() < 0.08 else "completed"
    if start > now:
        return "planned"
    return "on_hold" if rng.random() < 0.12 else "active"


def make_projects(profile: Profile, occ: Occupation, orgs: list[Organisation], people: list[Person],
                  ctx: PlanContext, start: datetime, now: datetime, rng: random.Random) -> list[Project]:
    lo, hi = SIZE_PROJECTS[ctx.size]
    n = rng.randint(lo, hi)
    codes = rng.sample(CODE_NAMES, n)
    staff = [p.id for p in people if p.relation in ("manager", "colleague", "report")]
    clients = [o for o in orgs if o.kind != "employer"] or orgs
    projects: list[Project] = []
    names: set[str] = set()
    topics = topics_for(occ, profile.department)
    span = (now - start).days
    for i in range(n):
        client = clients[i % len(clients)]
        # the last projects are the current ones: most files are about recent work
        recent = i >= n // 2 or i == n - 1
        s = now - timedelta(days=rng.randint(20, 300) if recent else rng.randint(300, max(301, span - 60)))
        e = s + timedelta(days=rng.randint(90, 420))
        if recent and e.date() <= now.date():
            e = now + timedelta(days=rng.randint(30, 200))
        for _ in range(6):  # prefer a different pattern/topic to a numbered duplicate name
            name = fill(rng.choice(occ.project_patterns), client=client.name, topic=rng.choice(topics),
                        year=s.year, city=_city(profile))
            if name not in names:
                break
        if name in names:
            name = f"{name} {codes[i].title()}"
        names.add(name)
        members = rng.sample(staff, k=min(len(staff), rng.randint(2, 4)))
        ms_dates = sorted(rng.sample(range(1, max(3, (e - s).days)), k=min(rng.randint(2, 5), max(1, (e - s).days - 2))))
        milestones = [Milestone(name=MILESTONE_NAMES[j % len(MILESTONE_NAMES)], due=(s + timedelta(days=d)).date(),
                                done=(s + timedelta(days=d)) < now) for j, d in enumerate(ms_dates)]
        status = _status(s.date(), e.date(), now.date(), rng)
        if recent and status == "on_hold" and i == n - 1:
            status = "active"
        projects.append(Project(
            id=f"j{i + 1:02d}", name=name, code=codes[i],
            description=f"{name} for {client.name}, led from the {profile.department} team.",
            owner=members[0] if members else people[0].id,
            members=members, client=client.id if client.kind != "employer" else None,
            start=s.date(), end=e.date(), status=status,  # type: ignore[arg-type]
            budget=float(round(rng.uniform(20_000, 1_500_000) * locale_pack(profile.country).usd_rate, -3)),
            milestones=milestones))
    return projects


def make_facts(occ: Occupation, projects: list[Project], ctx: PlanContext, now: datetime,
               rng: random.Random) -> list[Fact]:
    lo, hi = SIZE_FACTS[ctx.size]
    target = rng.randint(lo, hi)
    metrics = list(occ.metrics)
    candidates: list[tuple[str, object, str | None]] = []
    for m in metrics:
        candidates.append((f"{m.label} {now.year - 1}", m, None))
        candidates.append((f"{m.label} {now.year}", m, None))
        for p in projects:
            candidates.append((f"{m.label} ({p.code})", m, p.id))
    rng.shuffle(candidates)
    facts: list[Fact] = []
    seen: set[str] = set()
    for label, m, pid in candidates:
        if len(facts) >= target:
            break
        if label.lower() in seen:
            continue
        seen.add(label.lower())
        value = round(rng.uniform(m.low, m.high), m.decimals)  # type: ignore[attr-defined]
        if m.decimals == 0 and abs(value) >= 10_000:  # type: ignore[attr-defined]
            value = float(round(value, -2))
        value = float(value) if m.decimals else float(int(value))  # type: ignore[attr-defined]
        shown = display(value, m.unit, m.decimals)  # type: ignore[attr-defined]
        if shown in {f.display for f in facts}:
            continue
        facts.append(Fact(id=f"f{len(facts) + 1:02d}", label=label, value=value, unit=m.unit,  # type: ignore[attr-defined]
                          display=display(value, m.unit, m.decimals),  # type: ignore[attr-defined]
                          project=pid, as_of=(now - timedelta(days=rng.randint(1, 120))).date()))
    return facts


def make_world(profile: Profile, ctx: PlanContext) -> World:
    occ = occupation_of(profile, ctx)
    rng = ctx.child_rng("world")
    locale = locale_pack(profile.country).faker_locale  # the same Faker locale as the profile
    pool = NamePool(locale, ctx.child_rng("names"))
    pool.used.add(profile.full_name)
    pool.take()  # the profile's own draw, so world names never repeat it
    pool.avoid_surname(profile.last_name)  # no stranger or client organisation shares the user's surname
    now = fixed_now(ctx)
    years = min(max(2, now.year - profile.career_start.year), rng.randint(2, 6))
    start = (now - timedelta(days=int(365.25 * years) + rng.randint(0, 60))).replace(hour=9, minute=0, second=0)
    orgs = make_organisations(profile, occ, pool, rng)
    people = make_people(profile, occ, orgs, ctx, pool, rng)
    projects = make_projects(profile, occ, orgs, people, ctx, start, now, rng)
    facts = make_facts(occ, projects, ctx, now, rng)
    return World(organisations=orgs, people=people, projects=projects, facts=facts,
                 history_start=start, history_end=now, vocabulary=world_vocabulary(occ, ctx))


def world_vocabulary(occ: Occupation, ctx: PlanContext) -> list[str]:
    """Domain terms for prose: the persona's own words and topics first, then the occupation's."""
    pp = ctx.persona_profile
    own = [*occ.topics[:8], *pp.own_words()] if pp is not None else []  # type: ignore[attr-defined]
    return list(dict.fromkeys([*own, *occ.vocabulary]))
