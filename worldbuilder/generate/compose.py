"""Occupations built from a persona's own words.

:func:`persona_topics` turns the persona's specialty and domain words into work topics (through the
``domains.yaml`` lexicon, plus the words themselves). :func:`compose_occupation` builds a whole occupation
from a sector skeleton (``skeletons.yaml``) when no template matches well, so a coral-reef biologist's
files talk about reefs, surveys and bleaching. :func:`overlay_persona` narrows a matched template to the
persona's specialty. :func:`localize_occupation` applies the country's locale pack.
"""

from __future__ import annotations

import re
from typing import Any

from worldbuilder.generate.fill import fill
from worldbuilder.generate.locale import LocalePack, localize_value
from worldbuilder.generate.occupation import Occupation
from worldbuilder.generate.persona_parse import lexicon, singular, stem, tokens
from worldbuilder.persona_profile import PersonaProfile

_GENERIC_TOPIC_NOUNS = ("review", "plan", "report", "survey", "budget", "schedule", "data")
# work nouns that make a specialty into a topic, by sector ("chemistry" -> "chemistry revision")
_SECTOR_TOPIC_NOUNS = {
    "education": ("unit", "revision", "homework", "practical", "assessment"),
    "health": ("clinic", "audit", "pathway", "training", "care plan"),
    "science": ("survey", "study", "data", "grant", "fieldwork"),
    "media": ("shoot", "commission", "portfolio", "client brief", "edit"),
    "arts": ("commission", "portfolio", "exhibition", "workshop"),
    "legal": ("case", "advice", "hearing", "contract"),
    "hospitality": ("menu", "event", "costing", "supplier order"),
    "agriculture": ("season", "records", "harvest", "inspection"),
    "trades": ("job", "quote", "install", "inspection"),
}
_TITLES = {"junior": ["Junior {Role}", "Trainee {Role}"], "mid": ["{Role}"], "senior": ["Senior {Role}"],
           "lead": ["Lead {Role}", "Head of {Specialty}"], "executive": ["Director of {Specialty}"]}


def _domain_terms(word: str) -> list[str]:
    domains = lexicon("domains.yaml")
    w = singular(word.lower())
    if w in domains:
        return list(domains[w])
    st = stem(w)
    for key in sorted(domains):
        if len(st) >= 5 and stem(key) == st:
            return list(domains[key])
    return []


def persona_topics(pp: PersonaProfile, limit: int = 14) -> list[str]:
    """Work topics from the persona's own words: specialty phrases, their lexicon terms, domain nouns."""
    out: list[str] = []
    heads = [*pp.specialty, *pp.domain_nouns[:6]]
    for phrase in pp.specialty:
        out.append(phrase)
        for w in reversed(tokens(phrase)):
            out += _domain_terms(w)
    for noun in pp.domain_nouns[:6]:
        terms = _domain_terms(noun)
        out += terms[:3] if terms else []
    nouns = _SECTOR_TOPIC_NOUNS.get(pp.sector, _GENERIC_TOPIC_NOUNS)
    lexicon_terms = len(out) - len(pp.specialty)
    if pp.specialty:  # the specialty itself named with work nouns, so it reaches titles
        out += [f"{pp.specialty[0]} {n}" for n in nouns[: 3 if lexicon_terms >= 4 else len(nouns)]]
    elif heads:
        out += [f"{heads[0]} {n}" for n in nouns[:4]]
    seen: dict[str, None] = {}
    for t in out:
        t = " ".join(t.split())
        if t and t.lower() not in {s.lower() for s in seen}:
            seen[t] = None
    return list(seen)[:limit]


def specialty_label(pp: PersonaProfile) -> str:
    """The short name of the persona's field: "Coral Reef", "Chemistry", else the role noun."""
    if pp.specialty:
        return " ".join(w.capitalize() for w in pp.specialty[0].split()[:3])
    for noun in pp.domain_nouns:
        if _domain_terms(noun):
            return noun.capitalize()
    return (pp.role_noun or "General").capitalize()


def _skeleton(sector: str) -> dict[str, Any]:
    skel = lexicon("skeletons.yaml")
    base = dict(skel["base"])
    chain: list[dict] = []
    entry = skel.get(sector) or {}
    while entry:
        chain.insert(0, entry)
        entry = skel.get(entry.get("inherit", "")) or {}
    for part in chain:
        for key, value in part.items():
            if key == "extra_documents":
                base["documents"] = [*value, *base["documents"]]
            elif key != "inherit":
                base[key] = value
    return base


def _sub(value: Any, names: dict[str, str]) -> Any:
    """Fill {Role}/{Specialty} in nested data, leaving the other placeholders for later stages."""
    if isinstance(value, str):
        return re.sub(r"\{(Role|Specialty)\}", lambda m: names[m.group(1)], value)
    if isinstance(value, list):
        return [_sub(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _sub(v, names) for k, v in value.items()}
    return value


def slug_id(text: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))[:48] or "composed"


def compose_occupation(pp: PersonaProfile, topics: list[str]) -> Occupation:
    """A whole occupation from the persona's own words on its sector's skeleton."""
    role = pp.occupation or "Office Administrator"
    names = {"Role": role, "Specialty": specialty_label(pp)}
    skel = _sub(_skeleton(pp.sector or "business"), names)
    titles = {level: _sub(pats, names) for level, pats in _TITLES.items()}
    kind_patterns = lexicon("employers.yaml")["patterns"]
    employer_patterns = _sub(kind_patterns.get(pp.employer_kind) or kind_patterns["company"], names)
    words = [*tokens(role), *tokens(" ".join(pp.specialty)), *pp.domain_nouns]
    vocabulary = list(dict.fromkeys([*topics, *pp.specialty, *pp.domain_nouns, *pp.activities]))
    return Occupation(
        id=slug_id(role), label=role, sector=pp.sector or "business",
        keywords=list(dict.fromkeys(words)) or ["office"], titles=titles,  # type: ignore[arg-type]
        departments=[names["Specialty"]], employer_patterns=employer_patterns,
        employer_domain_suffix="org" if pp.employer_kind in ("nonprofit", "government", "school") else "com",
        colleague_roles=skel["colleague_roles"], manager_roles=skel["manager_roles"],
        external_kind=skel["external_kind"], external_roles=skel["external_roles"],
        external_org_patterns=skel["external_org_patterns"], project_patterns=skel["project_patterns"],
        topics=topics or [names["Specialty"].lower()], work_folders=skel["work_folders"],
        documents=skel["documents"], metrics=skel["metrics"], tools=skel["tools"],
        vocabulary=vocabulary, work_styles=skel["work_styles"], code_share=0.5)


def overlay_persona(occ: Occupation, pp: PersonaProfile, topics: list[str]) -> Occupation:
    """A matched template narrowed to the persona: its topics lead with the persona's own words."""
    if not topics:
        return occ
    keys = {stem(w) for t in topics for w in tokens(t) if len(w) > 3}
    related = [t for t in occ.topics if any(stem(w) in keys for w in tokens(t))]
    merged = list(dict.fromkeys([*topics, *related]))
    vocab = list(dict.fromkeys([*topics[:8], *pp.domain_nouns, *occ.vocabulary]))
    return occ.model_copy(update={"topics": merged, "topic_groups": {}, "vocabulary": vocab})


def localize_occupation(occ: Occupation, pack: LocalePack) -> Occupation:
    """The occupation in the country's terms: US-only institutions replaced, dollar metrics converted."""
    data = occ.model_dump()
    metrics = data.pop("metrics")
    data = localize_value(data, pack)  # type: ignore[assignment]
    for m in metrics:
        if m["unit"] == "USD":
            m["unit"] = pack.currency
            m["low"], m["high"] = pack.from_usd(m["low"]), pack.from_usd(m["high"])
        m["label"] = localize_value(m["label"], pack)
    data["metrics"] = metrics  # type: ignore[index]
    return Occupation.model_validate(data)


def employer_name(occ: Occupation, pp: PersonaProfile, pack: LocalePack, rng, **names: str) -> str:
    """The persona's employer as written, else a pattern filled with local institutions."""
    if pp.employer_name:
        return pp.employer_name
    level = "Primary" if "primary" in pp.domain_nouns else ("High" if pack.country == "US" else "Secondary")
    values = {**{k: fill(v, **names) for k, v in pack.terms.items()}, **names, "Level": level}
    return fill(rng.choice(occ.employer_patterns), **values)
