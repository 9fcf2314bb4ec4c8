"""Offline profile stage: persona → Profile."""

from __future__ import annotations

from datetime import date

from worldbuilder.generate.base import PlanContext
from worldbuilder.generate.fill import fill
from worldbuilder.generate.match import CITIES, DEFAULT_CITIES, match_persona
from worldbuilder.generate.people import NamePool, ascii_slug, email_local, username_for
from worldbuilder.generate.timeline import fixed_now
from worldbuilder.spec import Profile

COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "IE": "Ireland",
                 "AU": "Australia", "DE": "Germany", "FR": "France", "IN": "India", "SG": "Singapore",
                 "NZ": "New Zealand"}
CAREER_YEARS = {"junior": (1, 3), "mid": (3, 9), "senior": (8, 16), "lead": (10, 20), "executive": (15, 28)}


def employer_domain(employer: str, suffix: str) -> str:
    return f"{ascii_slug(employer)[:24] or 'example'}.{suffix}"


def make_profile(ctx: PlanContext) -> Profile:
    m = match_persona(ctx.persona)
    occ = m.occupation
    ctx.occupation_id = occ.id
    rng = ctx.child_rng("profile")
    city = m.city or rng.choice(DEFAULT_CITIES)
    country, tz, locale = CITIES[city]
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
        job_title=rng.choice(titles), seniority=m.seniority, department=rng.choice(occ.departments),
        location=f"{city}, {COUNTRY_NAMES.get(country, country)}", timezone=tz,
        locale=f"{locale}.UTF-8", work_style=rng.choice(occ.work_styles), tools=tools,
        career_start=date(start_year, rng.randint(1, 12), 1),
    )
