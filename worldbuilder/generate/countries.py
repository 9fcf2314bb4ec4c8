"""The country table: country name → (ISO-2 code, time zone, Faker locale, main city), display names, defaults.

Shared by :mod:`places` (resolving a persona's place) and :mod:`locale` (the fallback pack of a country
without its own), so neither imports the other for it."""

from __future__ import annotations

_ET = "America/New_York"

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
    "south africa": ("ZA", "Africa/Johannesburg", "zu_ZA", "Johannesburg"), "nigeria": ("NG", "Africa/Lagos", "en_US", "Lagos"),
    "kenya": ("KE", "Africa/Nairobi", "en_US", "Nairobi"), "ghana": ("GH", "Africa/Accra", "en_US", "Accra"),
    "egypt": ("EG", "Africa/Cairo", "en_US", "Cairo"), "india": ("IN", "Asia/Kolkata", "en_IN", "Mumbai"),
    "pakistan": ("PK", "Asia/Karachi", "en_US", "Karachi"), "philippines": ("PH", "Asia/Manila", "en_PH", "Manila"),
    "singapore": ("SG", "Asia/Singapore", "en_MS", "Singapore"), "malaysia": ("MY", "Asia/Kuala_Lumpur", "en_US", "Kuala Lumpur"),
    "indonesia": ("ID", "Asia/Jakarta", "id_ID", "Jakarta"), "vietnam": ("VN", "Asia/Ho_Chi_Minh", "en_US", "Ho Chi Minh City"),
    "japan": ("JP", "Asia/Tokyo", "ja_JP", "Tokyo"), "south korea": ("KR", "Asia/Seoul", "en_US", "Seoul"),
    "china": ("CN", "Asia/Shanghai", "en_US", "Shanghai"), "hong kong": ("HK", "Asia/Hong_Kong", "en_US", "Hong Kong"),
    "taiwan": ("TW", "Asia/Taipei", "en_US", "Taipei"), "united arab emirates": ("AE", "Asia/Dubai", "en_US", "Dubai"),
    "uae": ("AE", "Asia/Dubai", "en_US", "Dubai"), "israel": ("IL", "Asia/Jerusalem", "en_US", "Tel Aviv"),
    "saudi arabia": ("SA", "Asia/Riyadh", "en_US", "Riyadh"), "australia": ("AU", "Australia/Sydney", "en_AU", "Sydney"),
    "new zealand": ("NZ", "Pacific/Auckland", "en_NZ", "Auckland"), "great britain": ("GB", "Europe/London", "en_GB", "London"),
    "britain": ("GB", "Europe/London", "en_GB", "London"), "northern ireland": ("GB", "Europe/London", "en_GB", "Belfast"),
    "holland": ("NL", "Europe/Amsterdam", "nl_NL", "Amsterdam"), "the netherlands": ("NL", "Europe/Amsterdam", "nl_NL", "Amsterdam"),
    "united states of america": ("US", _ET, "en_US", "New York"), "america": ("US", _ET, "en_US", "New York"),
    "u.s.": ("US", _ET, "en_US", "New York"), "u.k.": ("GB", "Europe/London", "en_GB", "London"),
}
COUNTRY_NAMES: dict[str, str] = {}
for _name, (_code, *_rest) in COUNTRIES.items():
    COUNTRY_NAMES.setdefault(_code, _name.title() if len(_name) > 3 else _name.upper())
COUNTRY_NAMES["US"] = "United States"


def country_tz(code: str) -> str:
    """The time zone of a country code (from the world gazetteer beyond this table; UTC when unknown)."""
    return country_defaults(code)[0]


def country_defaults(code: str) -> tuple[str, str, str]:
    """(timezone, Faker locale, name) of a country code, from the country table, else the world gazetteer's
    country file (its main city's time zone)."""
    for c, tz, locale, _ in COUNTRIES.values():
        if c == code:
            return tz, locale, COUNTRY_NAMES.get(code, code)
    from worldbuilder.generate.gazetteer import world_country

    if world := world_country(code):
        return world.timezone, world.faker_locale, world.name
    return "UTC", "en_US", code


def country_name(code: str) -> str:
    """The display name of a country code ("Sri Lanka" for LK; the code itself when unknown)."""
    return COUNTRY_NAMES.get(code) or country_defaults(code)[2]
