"""Offline profile stage: persona → PersonaProfile → occupation (template or composed) → Profile."""

from __future__ import annotations

import random
import re
from datetime import date

from worldbuilder.generate.base import PlanContext
from worldbuilder.generate.compose import employer_name, localize_occupation, specialty_label
from worldbuilder.generate.locale import locale_pack
from worldbuilder.generate.match import OccupationChoice, choose_occupation
from worldbuilder.generate.occupation import Occupation
from worldbuilder.generate.people import NamePool, ascii_slug, email_local, username_for
from worldbuilder.generate.persona_parse import parse_persona
from worldbuilder.generate.places import Place, default_place, place_of
from worldbuilder.generate.timeline import fixed_now
from worldbuilder.persona_profile import PersonaProfile
from worldbuilder.spec import Profile

CAREER_YEARS = {"junior": (1, 3), "mid": (3, 9), "senior": (8, 16), "lead": (10, 20), "executive": (15, 28)}


def employer_domain(employer: str, suffix: str) -> str:
    return f"{ascii_slug(employer)[:24] or 'example'}.{suffix}"


def named_department(occ: Occupation, persona: str) -> str | None:
    """A department the persona names (by a word of its name or of its topic group)."""
    words = set(re.findall(r"[a-z]{4,}", persona.lower()))
    stems = {w[:6] for w in words}
    for dept in occ.departments:
        keys = re.findall(r"[a-z]{4,}", (dept + " " + " ".join(occ.topic_groups.get(dept, []))).lower())
        if any(k[:6] in stems for k in keys if k not in ("department", "school", "team", "office")):
            return dept
    return None


def pick_department(occ: Occupation, persona: str, rng: random.Random, pp: PersonaProfile | None = None) -> str:
    """The department the persona names, else its specialty, else ``rng``'s pick (callers pass a
    persona-keyed rng: the department is part of who the person is, not a seeded detail)."""
    if dept := named_department(occ, persona):
        return dept
    if pp is not None and pp.specialty:
        return specialty_label(pp)
    return rng.choice(occ.departments)


def resolve_persona(ctx: PlanContext, pp: PersonaProfile | None = None) -> tuple[PersonaProfile, OccupationChoice,
                                                                                   Place, Occupation]:
    """Who the persona is (seed-free): its profile, occupation choice, place and localized occupation.
    Sets ``ctx.persona_profile``, ``ctx.occupation`` and ``ctx.occupation_id``."""
    pp = pp or parse_persona(ctx.persona)
    choice = choose_occupation(pp, ctx.persona)
    place = place_of(ctx.persona) or default_place(ctx.identity_rng("place"))
    if not pp.country:
        assumed = [a for a in pp.assumed if not a.startswith("place:")] + [f"place: none named; {place.label} assumed"]
        pp = pp.model_copy(update={"city": place.city, "region": place.region, "country": place.country,
                                   "assumed": assumed})
    if choice.mode == "fallback":
        assumed = [a for a in pp.assumed if not a.startswith("occupation:")]
        pp = pp.model_copy(update={"assumed": [f"occupation: none named; {choice.occupation.label} assumed, the "
                                               f"persona's words ({', '.join(pp.own_words()) or 'none'}) feed "
                                               "its vocabulary", *assumed]})
    occ = localize_occupation(choice.occupation, locale_pack(place.country))
    ctx.persona_profile, ctx.occupation, ctx.occupation_id = pp, occ, occ.id
    return pp, choice, place, occ


def job_title(pp: PersonaProfile, occ: Occupation, seniority: str, rng: random.Random) -> str:
    """The persona's own role when it names one ("Senior Chemistry Teacher"), else a template title."""
    prefix = {"junior": "Junior ", "senior": "Senior ", "lead": "Lead "}.get(seniority, "")
    if pp.occupation and len(pp.occupation.split()) <= 5 and pp.role_noun not in ("manager", "student"):
        return f"{prefix}{pp.occupation}"
    if pp.role_noun == "manager" and pp.specialty:
        return f"Head of {specialty_label(pp)}" if seniority in ("lead", "executive") else pp.occupation
    titles = occ.titles.get(seniority) or occ.titles.get("mid") or next(iter(occ.titles.values()))
    return rng.choice(titles)


def make_profile(ctx: PlanContext) -> Profile:
    pp, _, place, occ = resolve_persona(ctx)
    pack = locale_pack(place.country)
    rng = ctx.child_rng("profile")
    ident = ctx.identity_rng("profile")
    pool = NamePool(pack.faker_locale, ctx.child_rng("names"))
    first, last = pool.take()
    employer = employer_name(occ, pp, pack, rng, last=pool.last_name(), last2=pool.last_name(), city=place.city,
                             region=place.region or place.city, first=first)
    domain = employer_domain(employer, occ.employer_domain_suffix)
    seniority = pp.seniority
    lo, hi = CAREER_YEARS[seniority]
    now = fixed_now(ctx).date()
    start_year = now.year - rng.randint(lo, hi)
    tools = rng.sample(occ.tools, k=min(len(occ.tools), rng.randint(4, 6)))
    department = pick_department(occ, ctx.persona, ident, pp)
    return Profile(
        full_name=f"{first} {last}", first_name=first, last_name=last,
        username=username_for(first, last), email=f"{email_local(first + ' ' + last)}@{domain}",
        occupation=occ.id, occupation_label=occ.label, sector=occ.sector, employer=employer,
        job_title=job_title(pp, occ, seniority, ident), seniority=seniority, department=department,
        location=place.label, timezone=place.timezone, locale=f"{place.locale}.UTF-8",
        country=place.country, currency=pack.currency, paper_size=pack.paper_size,  # type: ignore[arg-type]
        work_style=rng.choice(occ.work_styles), tools=tools,
        career_start=date(start_year, rng.randint(1, 12), 1),
    )
