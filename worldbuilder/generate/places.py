"""Where a persona lives: a place named in the persona text → city, region, country, IANA timezone, Faker locale.

Known cities come from the place table ``locales/cities.tsv`` (over 300 cities in the countries with a
locale pack); a city the table does not know is resolved through the state, region or country the persona
names with it ("in Tralee, County Kerry", "in Porto, Portugal"), and a bare "in Ohio" / "in Bavaria" /
"in Kenya" through the region or country alone (its main city stands in). A place phrase none of these
resolve ("a luthier in Cremona", "a tea farmer near Kandy, Sri Lanka") falls back on the GeoNames gazetteer
(:mod:`gazetteer`: ~34,000 cities of 15,000+ people, opened only then), most populous match first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from worldbuilder.generate import gazetteer as gaz
from worldbuilder.generate.countries import COUNTRIES, country_name, country_tz

# Fallback cities when the persona names none (weighted by repetition).
DEFAULT_CITIES = ("New York", "Chicago", "Denver", "Seattle", "Austin", "Boston", "Atlanta", "San Francisco",
                  "Phoenix", "Minneapolis", "Philadelphia", "Dallas", "London", "Toronto", "Portland", "Houston")


@dataclass(frozen=True)
class Place:
    city: str
    country: str  # ISO 3166 alpha-2
    timezone: str
    locale: str  # Faker locale (Latin-script, so user names stay ASCII-able)
    region: str = ""  # state, province, county or Land

    @property
    def label(self) -> str:
        """Human-readable location, e.g. "Columbus, Ohio" or "Porto, Portugal"."""
        if self.region and self.country in ("US", "CA", "AU"):
            return f"{self.city}, {self.region}"
        return f"{self.city}, {country_name(self.country)}"


_ET, _CT, _MT, _PT = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
# US state → (timezone, main city); abbreviations map to the same entries.
US_STATES: dict[str, tuple[str, str]] = {
    "alabama": (_CT, "Birmingham"), "alaska": ("America/Anchorage", "Anchorage"), "arizona": ("America/Phoenix", "Phoenix"),
    "arkansas": (_CT, "Little Rock"), "california": (_PT, "Los Angeles"), "colorado": (_MT, "Denver"),
    "connecticut": (_ET, "Hartford"), "delaware": (_ET, "Wilmington"), "florida": (_ET, "Miami"),
    "georgia": (_ET, "Atlanta"), "hawaii": ("Pacific/Honolulu", "Honolulu"), "idaho": ("America/Boise", "Boise"),
    "illinois": (_CT, "Chicago"), "indiana": ("America/Indiana/Indianapolis", "Indianapolis"), "iowa": (_CT, "Des Moines"),
    "kansas": (_CT, "Wichita"), "kentucky": (_ET, "Louisville"), "louisiana": (_CT, "New Orleans"),
    "maine": (_ET, "Portland"), "maryland": (_ET, "Baltimore"), "massachusetts": (_ET, "Boston"),
    "michigan": ("America/Detroit", "Detroit"), "minnesota": (_CT, "Minneapolis"), "mississippi": (_CT, "Jackson"),
    "missouri": (_CT, "St. Louis"), "montana": (_MT, "Billings"), "nebraska": (_CT, "Omaha"),
    "nevada": (_PT, "Las Vegas"), "new hampshire": (_ET, "Manchester"), "new jersey": (_ET, "Newark"),
    "new mexico": (_MT, "Albuquerque"), "new york": (_ET, "New York"), "north carolina": (_ET, "Charlotte"),
    "north dakota": (_CT, "Fargo"), "ohio": (_ET, "Columbus"), "oklahoma": (_CT, "Oklahoma City"),
    "oregon": (_PT, "Portland"), "pennsylvania": (_ET, "Philadelphia"), "rhode island": (_ET, "Providence"),
    "south carolina": (_ET, "Charleston"), "south dakota": (_CT, "Sioux Falls"), "tennessee": (_CT, "Nashville"),
    "texas": (_CT, "Houston"), "utah": (_MT, "Salt Lake City"), "vermont": (_ET, "Burlington"),
    "virginia": (_ET, "Richmond"), "washington": (_PT, "Seattle"), "west virginia": (_ET, "Charleston"),
    "wisconsin": (_CT, "Milwaukee"), "wyoming": (_MT, "Cheyenne"), "district of columbia": (_ET, "Washington"),
}
_ABBR = ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
         "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC").split()
US_ABBR: dict[str, str] = dict(zip(_ABBR, [*sorted(set(US_STATES) - {"district of columbia"}), "district of columbia"],
                                   strict=True))



_NAME = r"[A-Z][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|de|del|da|do|of|upon))*"
_IN_PLACE = re.compile(rf"\b(?:in|near|from|outside|based in)\s+(?:the\s+)?({_NAME})(?:,\s*({_NAME}))?")

@dataclass(frozen=True)
class CityRow:
    city: str
    country: str
    region: str
    timezone: str


@lru_cache(maxsize=1)
def city_table() -> tuple[CityRow, ...]:
    """Every known city (``locales/cities.tsv``), in file order: the first row of a name is preferred."""
    text = resources.files("worldbuilder.generate.locales").joinpath("cities.tsv").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            city, country, region, tz = (line.split("\t") + ["", "", ""])[:4]
            rows.append(CityRow(city, country, region, tz or country_tz(country)))
    return tuple(rows)


@lru_cache(maxsize=1)
def _cities_by_name() -> dict[str, list[CityRow]]:
    out: dict[str, list[CityRow]] = {}
    for row in city_table():
        out.setdefault(_fold(row.city), []).append(row)
    return out


@lru_cache(maxsize=1)
def _regions() -> dict[str, tuple[str, str]]:
    """lower-case region name (state, province, county, Land) -> (country, canonical name)."""
    out: dict[str, tuple[str, str]] = {s: ("US", s.title().replace(" Of ", " of ")) for s in US_STATES}
    for row in city_table():
        if row.region and row.country != "US":
            out.setdefault(_fold(row.region), (row.country, row.region))
            if row.country == "IE":
                out.setdefault("county " + _fold(row.region), (row.country, row.region))
    from worldbuilder.generate.locale import locale_pack

    for code in sorted(_pack_codes() - {"US"}):
        for region in locale_pack(code).regions:
            out.setdefault(_fold(region), (code, region))
    return out


def _fold(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().strip()


def _locale_of(code: str) -> str:
    from worldbuilder.generate.locale import locale_pack

    return locale_pack(code).faker_locale


def _place(row: CityRow) -> Place:
    return Place(row.city, row.country, row.timezone, _locale_of(row.country), region=row.region)


def _city_in(name: str, country: str | None = None, region: str | None = None) -> Place | None:
    rows = _cities_by_name().get(_fold(name), [])
    if region:
        rows = [r for r in rows if _fold(r.region) == _fold(region)] or rows
    if country:
        rows = [r for r in rows if r.country == country]
    return _place(rows[0]) if rows else None


def _from_region(key: str, city: str | None = None) -> Place:
    """A region (state, province, Land...): its named city, else the first table city in it."""
    if key in US_STATES:
        tz, main = US_STATES[key]
        region = key.title().replace(" Of ", " of ")
        known = _city_in(city or main, "US", region)
        if known is not None and known.region == region:
            return known
        return Place(city or main, "US", tz, "en_US", region=region)
    country, region = _regions()[key]
    if city and (known := _city_in(city, country, region)) and known.region == region:
        return known
    rows = [r for r in city_table() if r.country == country and _fold(r.region) == key.removeprefix("county ")]
    tz = rows[0].timezone if rows else country_tz(country)
    return Place(city or (rows[0].city if rows else region), country, tz, _locale_of(country), region=region)


def _from_country(country: str, city: str | None = None) -> Place:
    code, tz, locale, main = COUNTRIES[country]
    if known := _city_in(city or main, code):
        if city is None or _fold(known.city) == _fold(city):
            return known
    return Place(city or main, code, tz, _locale_of(code) if code in _pack_codes() else locale)


@lru_cache(maxsize=1)
def _pack_codes() -> frozenset[str]:
    from worldbuilder.generate.locale import pack_codes

    return frozenset(pack_codes())


def _resolve(first: str, second: str | None) -> Place | None:
    a, b = first.strip(), (second or "").strip()
    al, bl = _fold(a), _fold(b)
    state = US_ABBR.get(b) or (bl if bl in _regions() else None)
    if state:
        is_city = al in _cities_by_name() or al not in _regions()
        return _from_region(state, a if is_city else None)
    if bl in COUNTRIES:
        return _from_country(bl, a if al not in COUNTRIES else None)
    if b and gaz.country_code(b):
        return None  # "in Valencia, Venezuela": a country the table does not know (the gazetteer's turn)
    if known := _city_in(a):
        return known
    if al in _regions():
        return _from_region(al)
    if al in COUNTRIES:
        return _from_country(al)
    return None


def default_place(rng) -> Place:
    """A plausible place for a persona that names none."""
    return _city_in(rng.choice(DEFAULT_CITIES)) or Place("New York", "US", "America/New_York", "en_US", "New York")


def _country_named(persona: str) -> str | None:
    low = _fold(persona)
    for name in sorted(COUNTRIES, key=len, reverse=True):
        if len(name) > 3 and re.search(r"\b" + re.escape(name) + r"\b", low):
            return COUNTRIES[name][0]
    return None


@lru_cache(maxsize=1)
def _city_regex() -> re.Pattern[str]:
    names = sorted(_cities_by_name(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


def _known_city(persona: str) -> Place | None:
    """The table city named earliest in the text (capitalised in the text), in the country it names if any."""
    country = _country_named(persona)
    folded = _fold(persona)
    for m in _city_regex().finditer(folded):
        original = persona[m.start(): m.end()] if len(folded) == len(persona) else m.group(1)
        if original[:1].islower():
            continue  # "reading", "bath", "nice" as words, not places
        place = _city_in(m.group(1), country) if country else None
        if place is None:
            place = _city_in(m.group(1))
        if place is not None:
            return place
    return None


@lru_cache(maxsize=512)
def place_of(persona: str, gazetteer: bool = True) -> Place | None:
    """The place a persona names, or None: "in City, Region/Country" first, then known cities, then
    a place phrase through the table, then (``gazetteer``) through the world gazetteer, then a bare region
    or country."""
    matches = list(_IN_PLACE.finditer(persona))
    for m in matches:
        if m.group(2) and (place := _resolve(m.group(1), m.group(2))):
            return place
        if gazetteer and m.group(2) and gaz.country_code(m.group(2)):  # "near Kandy, Sri Lanka"
            if place := _gazetteer_match(m.group(1).split(), m.group(2), None):
                return place
    if place := _known_city(persona):
        return place
    for m in matches:
        words = m.group(1).split()
        for cut in range(len(words), 0, -1):  # "in Lagos Nigeria based ...": longest prefix that resolves
            if place := _resolve(" ".join(words[:cut]), None):
                return place
    if gazetteer and (place := _gazetteer_place(persona)):
        return place
    low = _fold(persona)
    for name in sorted(_regions(), key=len, reverse=True):
        if len(name) > 4 and re.search(r"\b" + re.escape(name) + r"\b", low) and name not in _COMMON_WORDS:
            return _from_region(name)
    if code := _country_named(persona):
        name = next(n for n, v in COUNTRIES.items() if v[0] == code)
        return _from_country(name)
    return None


_COMMON_WORDS = frozenset({"victoria", "georgia", "washington", "central region", "valencia", "madrid", "berlin",
                           "hamburg", "bremen", "tokyo", "osaka", "kyoto"})


# Gazetteer fallback: a capitalised name after a place cue, matched whole (or followed by a country/region).
_CUE = re.compile(r"\b(?:in|near|from|outside|around|based in|based out of)\s+(?:the\s+)?", re.IGNORECASE)
_WORD = re.compile(r"\s*([^\W\d_][\w'’.-]*)")
_CONNECTORS = frozenset({"de", "del", "della", "di", "da", "do", "dos", "das", "of", "upon", "am", "an", "der",
                         "im", "sur", "la", "le", "el", "y"})
# Gazetteer city names that are also words or names after "in"/"from" ("in Ada", "in March", "in Paradise"):
# accepted only with a country or region alongside ("in Mobile, Alabama").
_NOT_ALONE = frozenset({"ada", "march", "spring", "mobile", "of", "deal", "paradise", "surprise", "enterprise",
                        "union", "normal", "central", "asia", "bay", "crystal", "pearl", "salt", "cocoa", "san",
                        "bra", "mission", "liberty", "independence", "university", "college", "hospital", "delta",
                        "time", "meta", "bank", "orange", "vista"})


# Region names that are directions or common words ("in the East", "in Delta", "in the Midlands").
_GENERIC_REGIONS = frozenset({"central", "centre", "center", "east", "eastern", "west", "western", "north", "northern",
                              "south", "southern", "capital", "federal", "delta", "lakes", "bay", "est", "ouest",
                              "nord", "sud", "coast", "littoral", "plateau", "upper", "lower", "islands", "midlands",
                              "highlands", "colon", "cascades", "diana", "douglas", "mission", "interior"})


def _capitalised_run(text: str, pos: int) -> tuple[list[str], int]:
    """The capitalised words (with lower-case connectors inside) from ``pos``, and where they end."""
    words: list[str] = []
    end = pos
    while m := _WORD.match(text, pos):
        word = m.group(1)
        if not word[0].isupper() and not (words and word in _CONNECTORS):
            break
        pos = m.end()
        stop = word.endswith(("'s", "’s")) or (word.endswith(".") and len(word) > 4)
        words.append(word.removesuffix("'s").removesuffix("’s").rstrip(".") if stop else word)
        if word[0].isupper():
            end = pos
        if stop:
            break
    while words and not words[-1][0].isupper():
        words.pop()
    return words, end


def _hint(text: str) -> tuple[str, str | None] | None:
    """(country, region or None) of a country or region name, or None."""
    low = _fold(text)
    if text in US_ABBR:
        return "US", US_ABBR[text].title()
    if low in _regions():
        return _regions()[low]
    if low in COUNTRIES:
        return COUNTRIES[low][0], None
    code = gaz.country_code(text)
    return (code, None) if code else None


def _world_cities(name: str) -> list[gaz.WorldCity]:
    """Gazetteer cities called ``name`` (also spelt "St"/"St."/"Saint", "Aa" for "Å": Aarhus, or by its English
    exonym: Bruges), most populous first; else those called ``name`` + " City" ("Cebu")."""
    variants = {gaz.key(re.sub(r"^(?:St\.?|Saint)\s+", prefix, name)) for prefix in ("St ", "St. ", "Saint ")}
    variants.add(gaz.key(name.replace("Aa", "Å").replace("aa", "å")))
    variants.add(gaz.EXONYMS.get(gaz.key(name), ""))  # "Bruges": GeoNames calls it Brugge
    found = sorted({c for v in variants for c in gaz.cities_named(v)},
                   key=lambda c: (-c.population, c.country, c.admin1, c.name))
    return found or gaz.cities_named(name + " City")


def _pick(cities: list[gaz.WorldCity], hint: tuple[str, str | None] | None, qualifier: str,
          named: str | None) -> gaz.WorldCity | None:
    """The most populous city agreeing with the country/region named alongside, or with the persona's country."""
    if hint:
        pool = [c for c in cities if c.country == hint[0]]
        if hint[1]:
            pool = [c for c in pool if _fold(c.admin1) == _fold(hint[1])] or pool
        return pool[0] if pool else None
    if qualifier:
        q = gaz.key(qualifier)
        if pool := [c for c in cities if c.admin1 and (gaz.key(c.admin1).startswith(q)
                                                      or q.startswith(gaz.key(c.admin1)))]:
            return pool[0]
    return next((c for c in cities if c.country == named), cities[0])


def _gazetteer_match(words: list[str], qualifier: str, named: str | None) -> Place | None:
    if (code := gaz.country_code(" ".join(words))) and (world := gaz.world_country(code)):  # "in Sri Lanka"
        words, qualifier = world.main_city.split(), world.name
    for cut in range(len(words), 0, -1):
        name, rest = " ".join(words[:cut]), " ".join(words[cut:])
        hint = _hint(rest) if rest else (_hint(qualifier) if qualifier else None)
        if rest and hint is None:
            continue  # "in Mobile Robotics": the words after the name are not a place
        if len(name) < 3 or (gaz.key(name) in _NOT_ALONE and hint is None):
            continue
        city = _pick(cities, hint, "" if rest else qualifier, named) if (cities := _world_cities(name)) else None
        region = _region(name, hint, named)
        if region and (city is None or (region.country != city.country  # "in Bali": not Bāli, India
                                        and region.main_population > city.population)):
            return Place(region.main_city, region.country, region.timezone, _locale_of(region.country),
                         region=region.name)
        if city:  # the gazetteer's spelling ("Kraków" for "Krakow"), the persona's for a variant ("Aarhus")
            spelt = city.name if gaz.key(city.name) in (gaz.key(name), gaz.key(name + " City")) else name
            return Place(spelt, city.country, city.timezone, _locale_of(city.country), region=city.admin1)
    return None


def _region(name: str, hint: tuple[str, str | None] | None, named: str | None) -> gaz.WorldRegion | None:
    """The most populous gazetteer region called ``name`` in the country named alongside (or in the text)."""
    if gaz.key(name) in _GENERIC_REGIONS or len(name) < 4:
        return None
    found = gaz.regions_named(name)
    if hint:
        found = [r for r in found if r.country == hint[0]]
    return next((r for r in found if r.country == named), found[0] if found else None)


def _gazetteer_place(persona: str) -> Place | None:
    """The first place phrase naming a gazetteer city ("in Cremona", "near Kandy, Sri Lanka"), or None."""
    named = _country_named(persona)
    for m in _CUE.finditer(persona):
        words, end = _capitalised_run(persona, m.end())
        if not words:
            continue
        qualifier = ""
        if comma := re.match(r"\s*,", persona[end:]):
            qualifier = " ".join(_capitalised_run(persona, end + comma.end())[0])
        if place := _gazetteer_match(words, qualifier, named):
            return place
    return None
