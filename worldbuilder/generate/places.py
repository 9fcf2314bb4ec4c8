"""Where a persona lives: a place named in the persona text → city, country, IANA timezone, Faker locale.

Known cities come from :data:`worldbuilder.generate.match.CITIES`; otherwise a phrase such as
"in Columbus, Ohio" or "in Porto, Portugal" is resolved through its US state or country, and a bare
"in Ohio" / "in Kenya" through the state or country alone (its main city stands in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worldbuilder.generate.match import CITIES, DEFAULT_CITIES


@dataclass(frozen=True)
class Place:
    city: str
    country: str  # ISO 3166 alpha-2
    timezone: str
    locale: str  # Faker locale (Latin-script, so user names stay ASCII-able)
    region: str = ""  # US state, when the persona names one

    @property
    def label(self) -> str:
        """Human-readable location, e.g. "Columbus, Ohio" or "Porto, Portugal"."""
        return f"{self.city}, {self.region or COUNTRY_NAMES.get(self.country, self.country)}"


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

# country → (code, timezone, locale, main city)
COUNTRIES: dict[str, tuple[str, str, str, str]] = {
    "united states": ("US", _ET, "en_US", "New York"), "usa": ("US", _ET, "en_US", "New York"),
    "canada": ("CA", "America/Toronto", "en_CA", "Toronto"), "mexico": ("MX", "America/Mexico_City", "es_MX", "Mexico City"),
    "brazil": ("BR", "America/Sao_Paulo", "pt_BR", "São Paulo"), "argentina": ("AR", "America/Argentina/Buenos_Aires", "es_AR", "Buenos Aires"),
    "chile": ("CL", "America/Santiago", "es_CL", "Santiago"), "colombia": ("CO", "America/Bogota", "es_CO", "Bogotá"),
    "united kingdom": ("GB", "Europe/London", "en_GB", "London"), "uk": ("GB", "Europe/London", "en_GB", "London"),
    "england": ("GB", "Europe/London", "en_GB", "London"), "scotland": ("GB", "Europe/London", "en_GB", "Glasgow"),
    "wales": ("GB", "Europe/London", "en_GB", "Cardiff"), "ireland": ("IE", "Europe/Dublin", "en_IE", "Dublin"),
    "france": ("FR", "Europe/Paris", "fr_FR", "Paris"), "germany": ("DE", "Europe/Berlin", "de_DE", "Berlin"),
    "austria": ("AT", "Europe/Vienna", "de_AT", "Vienna"), "switzerland": ("CH", "Europe/Zurich", "de_CH", "Zurich"),
    "netherlands": ("NL", "Europe/Amsterdam", "nl_NL", "Amsterdam"), "belgium": ("BE", "Europe/Brussels", "nl_BE", "Brussels"),
    "spain": ("ES", "Europe/Madrid", "es_ES", "Madrid"), "portugal": ("PT", "Europe/Lisbon", "pt_PT", "Lisbon"),
    "italy": ("IT", "Europe/Rome", "it_IT", "Milan"), "denmark": ("DK", "Europe/Copenhagen", "da_DK", "Copenhagen"),
    "sweden": ("SE", "Europe/Stockholm", "sv_SE", "Stockholm"), "norway": ("NO", "Europe/Oslo", "no_NO", "Oslo"),
    "finland": ("FI", "Europe/Helsinki", "fi_FI", "Helsinki"), "poland": ("PL", "Europe/Warsaw", "pl_PL", "Warsaw"),
    "czech republic": ("CZ", "Europe/Prague", "cs_CZ", "Prague"), "czechia": ("CZ", "Europe/Prague", "cs_CZ", "Prague"),
    "romania": ("RO", "Europe/Bucharest", "ro_RO", "Bucharest"), "turkey": ("TR", "Europe/Istanbul", "tr_TR", "Istanbul"),
    "south africa": ("ZA", "Africa/Johannesburg", "en_US", "Johannesburg"), "nigeria": ("NG", "Africa/Lagos", "en_US", "Lagos"),
    "kenya": ("KE", "Africa/Nairobi", "en_US", "Nairobi"), "ghana": ("GH", "Africa/Accra", "en_US", "Accra"),
    "egypt": ("EG", "Africa/Cairo", "en_US", "Cairo"), "india": ("IN", "Asia/Kolkata", "en_IN", "Mumbai"),
    "pakistan": ("PK", "Asia/Karachi", "en_US", "Karachi"), "philippines": ("PH", "Asia/Manila", "en_PH", "Manila"),
    "singapore": ("SG", "Asia/Singapore", "en_US", "Singapore"), "malaysia": ("MY", "Asia/Kuala_Lumpur", "en_US", "Kuala Lumpur"),
    "indonesia": ("ID", "Asia/Jakarta", "id_ID", "Jakarta"), "vietnam": ("VN", "Asia/Ho_Chi_Minh", "en_US", "Ho Chi Minh City"),
    "japan": ("JP", "Asia/Tokyo", "en_US", "Tokyo"), "south korea": ("KR", "Asia/Seoul", "en_US", "Seoul"),
    "china": ("CN", "Asia/Shanghai", "en_US", "Shanghai"), "hong kong": ("HK", "Asia/Hong_Kong", "en_US", "Hong Kong"),
    "taiwan": ("TW", "Asia/Taipei", "en_US", "Taipei"), "united arab emirates": ("AE", "Asia/Dubai", "en_US", "Dubai"),
    "uae": ("AE", "Asia/Dubai", "en_US", "Dubai"), "israel": ("IL", "Asia/Jerusalem", "en_US", "Tel Aviv"),
    "saudi arabia": ("SA", "Asia/Riyadh", "en_US", "Riyadh"), "australia": ("AU", "Australia/Sydney", "en_AU", "Sydney"),
    "new zealand": ("NZ", "Pacific/Auckland", "en_NZ", "Auckland"),
}
COUNTRY_NAMES: dict[str, str] = {}
for _name, (_code, *_rest) in COUNTRIES.items():
    COUNTRY_NAMES.setdefault(_code, _name.title() if len(_name) > 3 else _name.upper())
COUNTRY_NAMES["US"] = "United States"

# well-known cities that are not in CITIES, by country
EXTRA_CITIES: dict[str, str] = {
    "tokyo": "japan", "osaka": "japan", "seoul": "south korea", "shanghai": "china", "beijing": "china",
    "lagos": "nigeria", "nairobi": "kenya", "cape town": "south africa", "johannesburg": "south africa",
    "cairo": "egypt", "dubai": "united arab emirates", "tel aviv": "israel", "madrid": "spain",
    "barcelona": "spain", "lisbon": "portugal", "porto": "portugal", "rome": "italy", "milan": "italy",
    "amsterdam": "netherlands", "rotterdam": "netherlands", "brussels": "belgium", "zurich": "switzerland",
    "geneva": "switzerland", "vienna": "austria", "copenhagen": "denmark", "stockholm": "sweden", "oslo": "norway",
    "helsinki": "finland", "warsaw": "poland", "krakow": "poland", "prague": "czech republic",
    "istanbul": "turkey", "hamburg": "germany", "frankfurt": "germany", "cologne": "germany", "lyon": "france",
    "marseille": "france", "glasgow": "scotland", "cardiff": "wales", "leeds": "england",
    "birmingham": "england", "bristol": "england", "liverpool": "england", "montreal": "canada",
    "calgary": "canada", "ottawa": "canada", "mexico city": "mexico", "sao paulo": "brazil", "são paulo": "brazil",
    "rio de janeiro": "brazil", "buenos aires": "argentina", "santiago": "chile", "bogota": "colombia",
    "manila": "philippines", "jakarta": "indonesia", "kuala lumpur": "malaysia", "karachi": "pakistan",
    "delhi": "india", "new delhi": "india", "hyderabad": "india", "chennai": "india", "pune": "india",
    "brisbane": "australia", "perth": "australia", "adelaide": "australia", "wellington": "new zealand",
    "accra": "ghana", "hong kong": "hong kong", "taipei": "taiwan",
}

_NAME = r"[A-Z][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|de|del|da|do|of))*"
_IN_PLACE = re.compile(rf"\b(?:in|near|from|outside|based in)\s+(?:the\s+)?({_NAME})(?:,\s*({_NAME}))?")


def _from_country(country: str, city: str | None = None) -> Place:
    code, tz, locale, main = COUNTRIES[country]
    return Place(city or main, code, tz, locale)


def _from_state(state: str, city: str | None = None) -> Place:
    tz, main = US_STATES[state]
    return Place(city or main, "US", tz, "en_US", region=state.title().replace(" Of ", " of "))


def _resolve(first: str, second: str | None) -> Place | None:
    a, b = first.strip(), (second or "").strip()
    al, bl = a.lower(), b.lower()
    state = US_ABBR.get(b) or (bl if bl in US_STATES else None)
    if state:
        return _from_state(state, a if al not in US_STATES else None)
    if bl in COUNTRIES:
        return _from_country(bl, a if al not in COUNTRIES else None)
    if al in EXTRA_CITIES:
        return _from_country(EXTRA_CITIES[al], a)
    if al in US_STATES:
        return _from_state(al)
    if al in COUNTRIES:
        return _from_country(al)
    return None


def default_place(rng) -> Place:
    """A plausible place for a persona that names none."""
    city = rng.choice(DEFAULT_CITIES)
    code, tz, locale = CITIES[city]
    return Place(city, code, tz, locale)


def _known_city(persona: str) -> Place | None:
    """The built-in city named earliest in the text."""
    low, best = persona.lower(), None
    for city in CITIES:
        m = re.search(r"\b" + re.escape(city.lower()) + r"\b", low)
        if m and (best is None or (m.start(), -len(city)) < best[0]):
            best = ((m.start(), -len(city)), city)
    if best is None:
        return None
    code, tz, locale = CITIES[best[1]]
    return Place(best[1], code, tz, locale)


def place_of(persona: str) -> Place | None:
    """The place a persona names, or None: "in City, State/Country" first, then known cities, then
    a bare state, country or well-known city."""
    matches = list(_IN_PLACE.finditer(persona))
    for m in matches:
        if m.group(2) and (place := _resolve(m.group(1), m.group(2))):
            return place
    if place := _known_city(persona):
        return place
    for m in matches:
        words = m.group(1).split()
        for cut in range(len(words), 0, -1):  # "in Lagos Nigeria based ...": longest prefix that resolves
            if place := _resolve(" ".join(words[:cut]), None):
                return place
    low = persona.lower()
    for name in sorted(EXTRA_CITIES, key=len, reverse=True):
        if re.search(r"\b" + re.escape(name) + r"\b", low):
            return _from_country(EXTRA_CITIES[name], name.title())
    return None
