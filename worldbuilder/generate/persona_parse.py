"""The offline persona parser: persona text -> PersonaProfile, deterministic, from its own lexicons.

Lexicons (``worldbuilder/generate/lexicons/``): ``roles.yaml`` (role nouns -> sector), ``employers.yaml``
(employer kinds), ``context.yaml`` (side-role cues, life context), ``stopwords.txt``. Nothing here
depends on the seed, so the same persona always is the same person.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from worldbuilder import yaml_load
from worldbuilder.errors import GenerationError
from worldbuilder.generate.places import Place, place_of
from worldbuilder.persona_profile import MAX_PERSONA_CHARS, PersonaProfile

LEXICONS = "worldbuilder.generate.lexicons"
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'&+]*")
_SENIORITY = {"intern": "junior", "junior": "junior", "trainee": "junior", "graduate": "junior",
              "apprentice": "junior", "newly": "junior", "novice": "junior", "student": "junior",
              "senior": "senior", "experienced": "senior", "veteran": "senior", "seasoned": "senior",
              "lead": "lead", "principal": "lead", "head": "lead", "chief": "executive", "director": "executive",
              "founder": "executive", "partner": "executive", "vp": "executive", "executive": "executive"}
_LEVEL_WORDS = {"high", "school", "secondary", "primary", "middle", "elementary", "sixth", "form", "year",
                "freelance", "self", "employed", "independent", "part", "time", "full", "qualified",
                "registered", "certified", "licensed", "chartered", "practising", "practicing", "busy",
                "aspiring", "retired", "former", "local", "small", "rural", "staff",
                "tenured", "tenure", "track", "adjunct", "visiting", "solo", "sole", "practitioner", "mid",
                "sized", "large", "new", "young", "first", "second", "third", "stack"}
_SPECIALTY_CUES = re.compile(r"\b(?:specialising in|specializing in|specialises in|specializes in|focusing on|"
                             r"focused on|focuses on|who works on|working on|in charge of|responsible for|"
                             r"expert in|who studies|studying|researching|who researches|teacher of|"
                             r"professor of|lecturer in|lecturer of|works in|working in)\s+([a-z][a-z' -]+)")
_EMPLOYER = re.compile(r"\b(?:at|for|with|joined)\s+((?:the\s+)?[A-Z][\w&'.-]*(?:\s+(?:of|for|and|&|[A-Z][\w&'.-]*))*)")
_NOT_ACTIVITY = {"working", "living", "including", "during", "morning", "evening", "something", "anything",
                 "everything", "nothing", "thing", "bring", "king", "ring", "spring", "string", "wing", "building",
                 "ceiling", "being", "going", "getting", "having", "doing", "making", "willing", "outstanding",
                 "upcoming", "ongoing", "leading", "looking", "trying", "starting", "wedding", "nursing",
                 "engineering", "accounting", "marketing", "banking", "housing", "planning", "training",
                 "clothing", "catering", "funding", "pudding", "swing", "sibling", "boring", "exciting"}


@cache
def lexicon(name: str) -> dict:
    return yaml_load.safe_load(resources.files(LEXICONS).joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    text = resources.files(LEXICONS).joinpath("stopwords.txt").read_text(encoding="utf-8")
    return frozenset(text.split())


def clean_persona(text: str | None) -> str:
    """Whitespace-normalised persona text; GenerationError (one line) when empty or too long."""
    text = " ".join((text or "").split())
    if not text:
        raise GenerationError("persona is empty")
    if len(text) > MAX_PERSONA_CHARS:
        raise GenerationError(f"persona is too long ({len(text)} characters, at most {MAX_PERSONA_CHARS})")
    if sum(c.isalpha() for c in text) < 3:
        raise GenerationError(f"persona has no words: {text[:40]!r}")
    return text


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word


def stem(word: str) -> str:
    """A loose stem for matching: 'surveys', 'surveying' and 'survey' agree; so do 'chemistry' and 'chemical'."""
    w = singular(word.lower())
    for suf in ("ing", "ical", "istry", "ist", "ists", "ology", "ologist", "er", "ed", "al", "y"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)][:7]
    return w[:7]


def tokens(text: str) -> list[str]:
    return [re.sub(r"'s?$", "", t.lower()).strip("'") for t in _TOKEN.findall(text.replace("-", " "))]


def place_words(place: Place | None) -> set[str]:
    if place is None:
        return set()
    from worldbuilder.generate.countries import country_name

    words = " ".join([place.city, place.region, country_name(place.country), place.country])
    return {w for w in tokens(words)} | {"uk", "usa", "us"}


def content_words(text: str, place: Place | None = None) -> list[str]:
    """The persona's content words: no stop words, no place words, no seniority words (order kept)."""
    skip = stop_words() | place_words(place if place is not None else place_of(text)) | set(_SENIORITY)
    out = [w for w in tokens(text) if len(w) > 2 and w not in skip]
    return list(dict.fromkeys(out))


def _role_table() -> tuple[dict[str, str], dict[str, str]]:
    lex = lexicon("roles.yaml")
    return lex["multiword"], lex["roles"]


def _side_spans(low: str) -> list[tuple[int, int]]:
    """Character spans of side-role phrases: from a cue to the next comma, full stop or ' and '."""
    spans = []
    for cue in lexicon("context.yaml")["side_role_cues"]:
        for m in re.finditer(rf"\b{re.escape(cue)}\b", low):
            end = re.search(r"[,.;]| and | but | who ", low[m.end():])
            spans.append((m.start(), m.end() + (end.start() if end else len(low) - m.end())))
    return sorted(spans)


def _find_role(low: str, side: list[tuple[int, int]]) -> tuple[str, str, int] | None:
    """(role noun, sector, character index) of the main role: the first one outside side-role phrases."""
    multi, single = _role_table()
    found: list[tuple[int, int, str, str]] = []
    for phrase, sector in multi.items():
        for m in re.finditer(rf"\b{re.escape(phrase)}s?\b", low):
            found.append((m.start(), -len(phrase), phrase, sector))
    multi_spans = [(s, s - ln) for s, ln, _, _ in found]
    prev = ""
    for m in re.finditer(r"[a-z][a-z']+", low):
        w = singular(m.group(0))
        verb = prev in ("who", "also", "and") and m.group(0).endswith("s")  # "who judges", "and coaches"
        if w in single and not verb and not any(a <= m.start() < b for a, b in multi_spans):
            found.append((m.start(), -len(w), w, single[w]))
        prev = m.group(0)
    main = [f for f in found if not any(a <= f[0] < b for a, b in side)]
    pool = sorted(main or found)
    non_student = [f for f in pool if f[2] != "student"]
    if not (non_student or pool):
        return None
    start, _, noun, sector = (non_student or pool)[0]
    return noun, sector, start


def _modifiers(low: str, start: int, place: set[str]) -> list[str]:
    """Up to four content words right before the role noun: the specialty of 'coral reef biologist'."""
    before = tokens(low[:start])[-4:]
    out: list[str] = []
    for w in reversed(before):
        if w in stop_words() or w in _SENIORITY or w in place or w in _LEVEL_WORDS or len(w) < 3:
            break
        out.insert(0, w)
    return out


def _cue_specialties(low: str, role_noun: str, place: set[str]) -> list[str]:
    out = []
    for m in _SPECIALTY_CUES.finditer(low):
        words = []
        for w in tokens(m.group(1)):
            if w in stop_words() or w in place or w in ("and", "the"):
                break
            words.append(w)
        if words and words[0] != role_noun:
            out.append(" ".join(words[:4]))
    return out


def _employer(text: str, place: Place | None) -> str:
    for m in _EMPLOYER.finditer(text):
        name = m.group(1).strip()
        name = re.sub(r"^the\s+", "", name)
        if place is not None and name.lower() in {place.city.lower(), place.region.lower()}:
            continue
        if place_of("in " + name, gazetteer=False) is None and len(name) > 2:  # "at Nokia" stays an employer
            return name
    return ""


def _employer_kind(low: str, sector: str, assumed: list[str]) -> str:
    lex = lexicon("employers.yaml")
    hits = []
    for kind, cues in lex["kinds"].items():
        for cue in cues:
            if m := re.search(rf"\b{re.escape(cue)}\b", low):
                hits.append((m.start(), kind))
    if hits:
        return min(hits)[1]
    kind = lex["by_sector"].get(sector, "company")
    assumed.append(f"employer kind: {kind} (usual for the {sector or 'unnamed'} sector; the persona names none)")
    return kind


def _side_roles(low: str, side: list[tuple[int, int]]) -> list[str]:
    out = []
    for a, b in side:
        phrase = " ".join(low[a:b].split()).strip(" ,.;")
        if phrase and phrase not in out and len(phrase) > 6:
            out.append(phrase[:80])
    return out[:4]


def _life(low: str) -> list[str]:
    out = []
    for label, cues in lexicon("context.yaml")["life"].items():
        if any(re.search(rf"\b{re.escape(c)}\b", low) for c in cues):
            out.append(label)
    return out


_HEAD_OF = re.compile(r"\b(head|director|manager|vp|vice president|chief) (?:of|for) ([a-z][a-z &]+)")
# A trade noun the role lexicon does not know ("a glassblower", "a luthier"): the persona's head noun when it
# has an agent suffix. Family and generic nouns with the same endings are not roles.
_AGENT_SUFFIX = re.compile(r"(?:er|or|ist|ian|smith|maker|wright|monger|eur|mason|[a-z]{3}man)$")
_NOT_AGENT = {"mother", "father", "brother", "sister", "daughter", "grandmother", "grandfather", "member", "lover",
              "other", "another", "former", "newcomer", "beginner", "fan", "enthusiast", "hobbyist", "person",
              "after", "over", "under", "water", "winter", "summer", "number", "center", "centre", "corner",
              "border", "letter", "paper", "power", "computer", "dinner", "weather", "color", "colour", "floor",
              "door", "major", "minor", "senior", "junior", "interior", "exterior", "favor", "favour", "doctor",
              "christian", "vegetarian", "vegan", "guardian", "civilian", "librarian", "tutor", "mentor",
              "woman", "german", "human", "gentleman", "sportsman", "chairman"}


def _agent_noun(low: str, side: list[tuple[int, int]], place: set[str]) -> tuple[str, int] | None:
    """(noun, index) of an unknown trade noun heading the persona: within its first five words, outside
    side-role phrases, with an agent suffix and not a family or generic noun."""
    for i, m in enumerate(re.finditer(r"[a-z][a-z']+", low)):
        if i >= 5 or m.group(0) in ("who", "with", "at", "in", "for", "and"):
            return None
        w = singular(m.group(0))
        if (len(w) >= 6 and _AGENT_SUFFIX.search(w) and w not in _NOT_AGENT and w not in stop_words()
                and w not in place and not any(a <= m.start() < b for a, b in side)):
            return w, m.start()
    return None


def _label(role_phrase: str, text: str) -> str:
    """Title-cased role, keeping acronyms the persona wrote in capitals ("ICU Nurse")."""
    return " ".join(w.upper() if re.search(rf"\b{re.escape(w.upper())}\b", text) and len(w) <= 4 else w.capitalize()
                    for w in role_phrase.split())


def _seniority(low: str, role_start: int, assumed: list[str]) -> str:
    head = tokens(low[:role_start])[-5:]
    if _HEAD_OF.search(low):
        head.append(_HEAD_OF.search(low).group(1).split()[0])
    found = [_SENIORITY[w] for w in head if w in _SENIORITY]
    for level in ("executive", "lead", "senior", "junior"):
        if level in found:
            return level
    if m := re.search(r"\b(\d{1,2})\+?\s+years?\b", low):
        years = int(m.group(1))
        return "junior" if years < 3 else "mid" if years < 8 else "senior" if years < 18 else "lead"
    assumed.append("seniority: mid-career (the persona gives no level or years)")
    return "mid"


def parse_persona(text: str) -> PersonaProfile:
    """Read a persona into a PersonaProfile (deterministic; no seed)."""
    text = clean_persona(text)
    low = text.lower().replace("-", " ")
    assumed: list[str] = []
    place = place_of(text)
    pwords = place_words(place)
    side = _side_spans(low)
    role = _find_role(low, side)
    head_of = _HEAD_OF.search(low)
    if role is None and head_of:
        noun, sector, start = "manager", "business", head_of.start()
        mods = []
        for w in tokens(head_of.group(2)):
            if w in stop_words() or w in pwords:
                break
            mods.append(w)
        mods = mods[:3]
    elif role is None and (agent := _agent_noun(low, side, pwords)) is not None:
        noun, start = agent
        sector = "trades"
        mods = _modifiers(low, start, pwords)
        assumed.append(f"occupation: '{noun}' is not in the role lexicon; read as the persona's trade "
                       "(sector assumed: trades)")
    elif role is None:
        noun, sector, start, mods = "", "", len(low), []
        assumed.append("occupation: none named; an office job is assumed and the persona's interests "
                       "become its personal files")
    else:
        noun, sector, start = role
        mods = _modifiers(low, start, pwords)
    specialty = [" ".join(mods)] if mods else []
    specialty += [s for s in _cue_specialties(low, noun, pwords) if s not in specialty]
    role_phrase = " ".join([*mods, noun]).strip()
    spec_words = set(tokens(" ".join(specialty))) | set(noun.split())
    employer = _employer(text, place)
    words = [w for w in content_words(text, place) if w not in set(tokens(employer))]
    domain = [w for w in words if w not in spec_words and singular(w) not in spec_words
              and w not in _LEVEL_WORDS and not w.endswith("ing")]
    activities = [w for w in words if w.endswith("ing") and w not in _NOT_ACTIVITY and len(w) > 5]
    if place is None:
        assumed.append("place: none named; a default city is used")
    return PersonaProfile(
        role=role_phrase, role_noun=noun, occupation=_label(role_phrase, text),
        sector=sector, specialty=specialty[:4], domain_nouns=[singular(w) for w in domain][:12],
        activities=activities[:6], seniority=_seniority(low, start, assumed),  # type: ignore[arg-type]
        employer_kind=_employer_kind(low, sector, assumed), employer_name=employer,
        city=place.city if place else "", region=place.region if place else "",
        country=place.country if place else "", side_roles=_side_roles(low, side), life_context=_life(low),
        assumed=assumed)
