"""Offline profile stage: persona → Profile."""

from __future__ import annotations

import random
import re
from datetime import date

from worldbuilder.generate.base import PlanContext
from worldbuilder.generate.fill import fill
from worldbuilder.generate.match import match_persona
from worldbuilder.generate.occupation import Occupation
from worldbuilder.generate.people import NamePool, ascii_slug, email_local, username_for
from worldbuilder.generate.places import default_place, place_of
from worldbuilder.generate.timeline import fixed_now
from worldbuilder.spec import Profile

CAREER_YEARS = {"junior": (1, 3), "mid": (3, 9), "senior": (8, 16), "lead": (10, 20), "executive": (15, 28)}


def employer_domain(employer: str, suffix: str) -> str:
    return f"{ascii_slug(employer)[:24] or 'example'}.{suffix}"


def pick_department(occ: Occupation, persona: str, rng: random.Random) -> str:
    """A department the persona names (by a word of its name or of its topic group), else a random one."""
    words = set(re.findall(r"[a-z]{4,}", persona.lower()))
    stems = {w[:6] for w in words}
    for dept in occ.departments:
        keys = re.findall(r"[a-z]{4,}", (dept + " " + " ".join(occ.topic_groups.get(dept, []))).lower())
        if any(k[:6] in stems for k in keys if k not in ("department", "school", "team", "office")):
            return dept
    return rng.choice(occ.departments)


def make_profile(ctx: PlanContext) -> Profile:
    m = match_persona(ctx.persona)
    occ = m.occupation
    ctx.occupation_id = occ.id
    rng = ctx.child_rng("profile")
    place = place_of(ctx.persona) or default_place(rng)
    city, tz, locale = place.city, place.timezone, place.locale
    pool = NamePool(locale, ctx.child_rng("names"))
    first, last = pool.take()
    employer = fill(rng.choice(occ.employer_patterns), last=pool.last_name(), last2=pool.last_name(), city=city)
    domain = employer_domain(employer, occ.employer_domain_suffix)
    titles = occ.titles.get(m.seniority) or occ.titles.get("mid") or next(iter(occ.titles.values()))
    lo, hi = CAREER_YEARS[m.seniority]
    now = fixed_now(ctx).date()
    start_year = now.year - rng.randint(lo, hi)
    tools = rng.sample(occ.tools, k=min(len(occ.tools), rng.randint(4, 6)))
    return Profile(
        full_name=f"{first} {last}", first_name=first, last_name=last,
        username=username_for(first, last), email=f"{email_local(first + ' ' + last)}@{domain}",
        occupation=occ.id, occupation_label=occ.label, sector=occ.sector, employer=employer,
        job_title=rng.choice(titles), seniority=m.seniority, department=pick_department(occ, ctx.persona, rng),
        location=place.label, timezone=tz,
        locale=f"{locale}.UTF-8", work_style=rng.choice(occ.work_styles), tools=tools,
        career_start=date(start_year, rng.randint(1, 12), 1),
    )
