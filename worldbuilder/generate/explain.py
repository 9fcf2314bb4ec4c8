"""``worldbuilder personas explain``: how a persona is read and what its computer is built from."""

from __future__ import annotations

import random

from worldbuilder.generate.base import PlanContext
from worldbuilder.generate.persona_parse import clean_persona


def explain_persona(persona: str) -> str:
    """The parse, the occupation match with its score, what was assumed and what comes from the persona."""
    from worldbuilder.generate.profile_offline import resolve_persona

    persona = clean_persona(persona)
    ctx = PlanContext(persona=persona, seed=0, size="standard", rng=random.Random(0))
    pp, choice, place, occ = resolve_persona(ctx)
    from worldbuilder.generate.locale import locale_pack

    pack = locale_pack(place.country)
    lines = [f"persona: {persona}", "", f"PersonaProfile v{pp.version} ({pp.source})"]
    for key, value in pp.model_dump(exclude={"version", "source", "assumed"}).items():
        if value not in ("", [], None):
            lines.append(f"  {key:14} {', '.join(value) if isinstance(value, list) else value}")
    lines += ["", "occupation match"]
    lines += [f"  template {oid:28} score {score:.2f}" for oid, score in choice.candidates]
    how = {"template": f"template {choice.template_id}, narrowed to the persona's words",
           "composed": f"composed from the persona's own words (best template scored {choice.score:.2f})",
           "fallback": f"fallback template {choice.template_id} (no occupation named)"}[choice.mode]
    lines.append(f"  -> {occ.label} [{occ.id}]: {how}")
    lines += ["", f"place: {place.label} ({place.country}, {place.timezone}); currency {pack.currency}, "
              f"paper {pack.paper_size}, phones {pack.dial_code}, names {pack.faker_locale}"]
    from worldbuilder.generate.profile_offline import make_profile

    prof = make_profile(ctx)
    lines += ["", f"computer (seed 0; the seed varies names, employer and dates, never occupation, title or department): "
              f"{prof.job_title}, {prof.department} — {prof.employer}"]
    lines += ["", "built from the persona's own words"]
    lines.append(f"  topics       {', '.join(choice.topics) or '(none: the template topics are used)'}")
    lines.append(f"  vocabulary   {', '.join(pp.own_words()) or '(none)'}")
    lines += ["", "assumed"] + ([f"  - {a}" for a in pp.assumed] or ["  (nothing: the persona says it all)"])
    return "\n".join(lines)
