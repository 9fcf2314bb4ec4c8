"""Persona text → nearest occupation, seniority and location (pure functions, no randomness)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from worldbuilder.generate.occupation import Occupation, load_occupations

FALLBACK_OCCUPATIONS = ("office_administrator", "administrative_assistant", "project_manager",
                        "accountant", "financial_advisor")

SENIORITY_WORDS: dict[str, str] = {
    "intern": "junior", "junior": "junior", "jr": "junior", "trainee": "junior", "entry": "junior",
    "graduate": "junior", "apprentice": "junior", "assistant": "junior", "associate": "junior",
    "senior": "senior", "sr": "senior", "experienced": "senior", "veteran": "senior", "seasoned": "senior",
    "lead": "lead", "staff": "lead", "principal": "lead", "head": "lead", "manager": "lead", "supervisor": "lead",
    "chief": "executive", "director": "executive", "vp": "executive", "vice": "executive", "partner": "executive",
    "executive": "executive", "founder": "executive", "cfo": "executive", "cto": "executive", "ceo": "executive",
}

# city → (country, IANA timezone, Faker locale); the persona may name any of these.
CITIES: dict[str, tuple[str, str, str]] = {
    "New York": ("US", "America/New_York", "en_US"), "Boston": ("US", "America/New_York", "en_US"),
    "Atlanta": ("US", "America/New_York", "en_US"), "Miami": ("US", "America/New_York", "en_US"),
    "Philadelphia": ("US", "America/New_York", "en_US"), "Washington": ("US", "America/New_York", "en_US"),
    "Chicago": ("US", "America/Chicago", "en_US"), "Dallas": ("US", "America/Chicago", "en_US"),
    "Houston": ("US", "America/Chicago", "en_US"), "Austin": ("US", "America/Chicago", "en_US"),
    "Minneapolis": ("US", "America/Chicago", "en_US"), "Denver": ("US", "America/Denver", "en_US"),
    "Salt Lake City": ("US", "America/Denver", "en_US"), "Phoenix": ("US", "America/Phoenix", "en_US"),
    "Seattle": ("US", "America/Los_Angeles", "en_US"), "Portland": ("US", "America/Los_Angeles", "en_US"),
    "San Francisco": ("US", "America/Los_Angeles", "en_US"), "Los Angeles": ("US", "America/Los_Angeles", "en_US"),
    "San Diego": ("US", "America/Los_Angeles", "en_US"), "Toronto": ("CA", "America/Toronto", "en_CA"),
    "Vancouver": ("CA", "America/Vancouver", "en_CA"), "London": ("GB", "Europe/London", "en_GB"),
    "Manchester": ("GB", "Europe/London", "en_GB"), "Edinburgh": ("GB", "Europe/London", "en_GB"),
    "Dublin": ("IE", "Europe/Dublin", "en_IE"), "Sydney": ("AU", "Australia/Sydney", "en_AU"),
    "Melbourne": ("AU", "Australia/Melbourne", "en_AU"), "Berlin": ("DE", "Europe/Berlin", "de_DE"),
    "Munich": ("DE", "Europe/Berlin", "de_DE"), "Paris": ("FR", "Europe/Paris", "fr_FR"),
    "Bangalore": ("IN", "Asia/Kolkata", "en_IN"), "Mumbai": ("IN", "Asia/Kolkata", "en_IN"),
    "Singapore": ("SG", "Asia/Singapore", "en_US"), "Auckland": ("NZ", "Pacific/Auckland", "en_NZ"),
}

_WORD = re.compile(r"[a-z][a-z0-9+#]*")
_STOP = frozenset("a an the and or of in at for to with who is on by as from works working their his her".split())


@dataclass(frozen=True)
class PersonaMatch:
    occupation: Occupation
    score: float
    seniority: str
    city: str | None  # a known city named in the persona, else None


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _stem(w: str) -> str:
    for suf in ("ing", "ers", "er", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def occupation_score(persona_words: list[str], occ: Occupation) -> float:
    """Keyword hits weigh 3, label words 4, title words 1.5; stems match loosely (weight halves)."""
    stems = {_stem(w) for w in persona_words}
    exact = set(persona_words)
    score = 0.0

    def hit(term: str, weight: float) -> float:
        tw = words(term)
        if not tw:
            return 0.0
        if all(w in exact for w in tw):
            return weight * len(tw)
        if all(_stem(w) in stems for w in tw):
            return weight * len(tw) / 2
        return 0.0

    score += sum(hit(k, 3.0) for k in occ.keywords)
    score += hit(occ.label, 4.0)
    score += hit(occ.id.replace("_", " "), 2.0)
    title_words = sorted({w for ts in occ.titles.values() for t in ts for w in words(t)} - set(SENIORITY_WORDS))
    score += sum(1.5 for w in title_words if w in exact)
    score += hit(occ.sector, 1.0)
    return score


_ROLE_END = re.compile(r"\b(at|in|for|to|with|who|of|from|on|supporting|helping|working|that|where|and)\b", re.I)
_NOT_SENIORITY = ("executive assistant", "business partner", "account executive", "staff nurse", "head chef")


def seniority_of(persona: str, occ: Occupation | None = None) -> str:
    """Seniority from the role phrase (the words before 'at/in/for/who...'); words of the occupation's own
    label (the 'manager' of 'product manager') do not count."""
    role = _ROLE_END.split(persona, maxsplit=1)[0].lower()
    for phrase in _NOT_SENIORITY:
        role = role.replace(phrase, " ")
    label_words = set(words(occ.label)) if occ is not None else set()
    found = [SENIORITY_WORDS[w] for w in words(role) if w in SENIORITY_WORDS and w not in label_words]
    order = ("executive", "lead", "senior", "junior")
    for level in order:  # the strongest word wins ("senior director" → executive)
        if level in found:
            return level
    return "mid"


def city_of(persona: str) -> str | None:
    low = persona.lower()
    for city in sorted(CITIES, key=len, reverse=True):
        if re.search(r"\b" + re.escape(city.lower()) + r"\b", low):
            return city
    return None


def match_persona(persona: str) -> PersonaMatch:
    """Nearest built-in occupation (ties broken by id); a generic office occupation when nothing matches."""
    occs = load_occupations()
    if not occs:
        from worldbuilder.errors import GenerationError

        raise GenerationError("no occupation profiles are installed")
    pw = words(persona)
    scored = sorted(((occupation_score(pw, o), o.id) for o in occs.values()), key=lambda t: (-t[0], t[1]))
    best_score, best_id = scored[0]
    if best_score <= 0:
        best_id = next((f for f in FALLBACK_OCCUPATIONS if f in occs), sorted(occs)[0])
    return PersonaMatch(occs[best_id], best_score, seniority_of(persona, occs[best_id]), city_of(persona))


# --------------------------------------------------------------------------- persona profile -> occupation

TEMPLATE_THRESHOLD = 0.44  # the role noun is the template's; below it the occupation is composed
COVERED = 0.44 + 0.35 * 0.25  # ... and at least a quarter of the specialty words are the template's
KEYWORD_THRESHOLD = 3.0  # one whole keyword of a template names the job when the role noun is generic
GENERIC_ROLES = frozenset({"officer", "manager", "specialist", "director", "coordinator", "lead", "associate",
                           "partner", "consultant", "analyst", "assistant", "administrator", "executive", "agent",
                           "representative", "advisor", "adviser", "owner", "founder", "supervisor", "student",
                           "generalist", "head", "chief"})
_LEVEL_LABEL_WORDS = frozenset({"high", "school", "secondary", "university", "registered", "general", "senior",
                                "staff", "practice", "professional", "office"})


def _generic_label(occ: Occupation, pp) -> bool:
    """True when the template's label names only the role (and a level): "Nurse", "High School Teacher" —
    a specialty it does not cover narrows it; "Civil Engineer" has its own specialty, so it does not."""
    from worldbuilder.generate.persona_parse import singular, tokens

    rest = [w for w in tokens(occ.label) if singular(w) not in tokens(pp.role_noun) and w not in _LEVEL_LABEL_WORDS]
    return not rest


def _phrase_hit(persona: str, occ: Occupation) -> bool:
    """A multi-word keyword of the template occurs in the persona as a phrase."""
    low = " ".join(words(persona))
    return any(len(k.split()) > 1 and re.search(rf"\b{re.escape(' '.join(words(k)))}\b", low) for k in occ.keywords)


@dataclass(frozen=True)
class OccupationChoice:
    """The occupation a persona gets: a template (narrowed to the persona) or one composed from its words."""

    occupation: Occupation
    mode: str  # "template", "composed" or "fallback"
    score: float  # of the best template, 0..1
    template_id: str | None
    candidates: tuple[tuple[str, float], ...]  # the best templates and their scores
    topics: tuple[str, ...]  # the persona's own topics


def _occ_text(occ: Occupation) -> set[str]:
    from worldbuilder.generate.persona_parse import stem, tokens

    parts = [occ.label, occ.id.replace("_", " "), *occ.keywords, *occ.departments, *occ.topics,
             *[t for ts in occ.topic_groups.values() for t in ts], *[t for ts in occ.titles.values() for t in ts]]
    return {stem(w) for w in tokens(" ".join(parts)) if len(w) > 2}


def role_score(pp, occ: Occupation) -> float:
    """0..1: the role noun is the template's (0.55), its specialty words are covered (0.35), other words (0.1)."""
    from worldbuilder.generate.persona_parse import singular, stem, tokens

    if not pp.role_noun:
        return 0.0
    heads = {singular(w) for w in tokens(" ".join([occ.label, *occ.keywords]))}
    role_words = tokens(pp.role)
    if pp.role in [k.lower() for k in occ.keywords] or pp.role == occ.label.lower():
        role = 1.0
    elif all(singular(w) in heads for w in tokens(pp.role_noun)):
        role = 0.8
    else:
        return 0.0
    text = _occ_text(occ)
    spec = [w for phrase in pp.specialty for w in tokens(phrase) if len(w) > 2] or \
        [w for w in role_words if w != pp.role_noun]
    cover = sum(stem(w) in text for w in spec) / len(spec) if spec else 1.0
    if role == 1.0:
        cover = max(cover, 0.75)
    other = [w for w in pp.domain_nouns[:8] if len(w) > 3]
    extra = min(1.0, sum(stem(w) in text for w in other) / 3)
    return round(0.55 * role + 0.35 * cover + 0.1 * extra + (0.1 if role == 1.0 else 0.0), 3)


def choose_occupation(pp, persona: str) -> OccupationChoice:
    """The best template when the role and its specialty match; else an occupation composed from the words."""
    from worldbuilder.generate.compose import compose_occupation, overlay_persona, persona_topics

    occs = load_occupations()
    pw = words(persona)
    scored = sorted(((role_score(pp, o), occupation_score(pw, o), o.id) for o in occs.values()),
                    key=lambda t: (-t[0], -t[1], t[2]))
    candidates = tuple((oid, s) for s, _, oid in scored[:3])
    best, _, best_id = scored[0]
    topics = persona_topics(pp)
    if pp.role_noun and best >= 0.9:  # the template is this very role: its own topics lead, plus the domain's
        topics = persona_topics(pp.model_copy(update={"specialty": []}))
        topics = [t for t in topics if not any(t.startswith(s) for s in pp.domain_nouns[:1])] or topics
    spec_uncovered = pp.specialty and best < COVERED
    if pp.role_noun and best >= TEMPLATE_THRESHOLD and (not spec_uncovered or _generic_label(occs[best_id], pp)):
        occ = overlay_persona(occs[best_id], pp, topics)
        return OccupationChoice(occ, "template", best, best_id, candidates, tuple(topics))
    kw_score, kw_id = min(((occupation_score(pw, o), o.id) for o in occs.values()), key=lambda t: (-t[0], t[1]))
    if kw_score >= KEYWORD_THRESHOLD and (not pp.role_noun or pp.role_noun in GENERIC_ROLES
                                          or _phrase_hit(persona, occs[kw_id])):
        occ = overlay_persona(occs[kw_id], pp, topics)  # a job title the role lexicon does not know
        return OccupationChoice(occ, "template", round(kw_score / 12, 3), kw_id, candidates, tuple(topics))
    if pp.role_noun:
        return OccupationChoice(compose_occupation(pp, topics), "composed", best, None, candidates, tuple(topics))
    fallback = next(f for f in (*FALLBACK_OCCUPATIONS, sorted(occs)[0]) if f in occs)
    occ = occs[fallback]  # no role named: an office job; the persona's interests stay in its vocabulary
    occ = occ.model_copy(update={"vocabulary": list(dict.fromkeys([*topics, *occ.vocabulary]))})
    return OccupationChoice(occ, "fallback", best, fallback, candidates, tuple(topics))
