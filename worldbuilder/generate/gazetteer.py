"""The world gazetteer: GeoNames cities (population >= 15,000) and countries, loaded lazily on first use.

Data files (written by ``scripts/make_gazetteer.py``; GeoNames, https://www.geonames.org/, CC BY 4.0):
``locales/gazetteer.tsv.gz`` (ASCII lookup key, name, ISO-2 country, admin1, IANA time zone, population;
sorted by key) and ``locales/gazetteer_countries.tsv`` (ISO-2, name, main city, currency, dial code, time
zone, Faker locale) and ``locales/gazetteer_regions.tsv.gz`` (admin1 regions: their main city and time zone).
The place resolver only opens the city and region files when its own table cannot place a persona.
"""

from __future__ import annotations

import gzip
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_PACKAGE = "worldbuilder.generate.locales"
_TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ł": "l", "Ł": "L", "ß": "ss", "đ": "d",
                           "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "ı": "i", "œ": "oe", "Œ": "Oe"})


@dataclass(frozen=True)
class WorldCity:
    name: str
    country: str  # ISO 3166 alpha-2
    admin1: str  # state, province or region ("" when GeoNames has none)
    timezone: str
    population: int


@dataclass(frozen=True)
class WorldRegion:
    name: str  # admin1: state, province or region
    country: str
    main_city: str  # its most populous city
    timezone: str  # of its main city
    main_population: int  # of its main city
    population: int  # of its cities of 15,000+ people


@dataclass(frozen=True)
class WorldCountry:
    code: str
    name: str
    main_city: str  # its most populous city
    currency: str  # ISO 4217
    dial_code: str  # without "+"
    timezone: str
    faker_locale: str  # a Latin-script Faker locale (en_US when Faker has none)


# English exonyms and former names GeoNames does not list as a city's name (its own spelling is the key)
EXONYMS = {"bruges": "brugge", "marrakech": "marrakesh", "mecca": "makkah", "ghent": "gent", "louvain": "leuven",
           "oporto": "porto", "saragossa": "zaragoza", "corunna": "a coruna", "cracow": "krakow", "fez": "fes",
           "peking": "beijing", "bombay": "mumbai", "madras": "chennai", "saigon": "ho chi minh city",
           "rangoon": "yangon", "cochin": "kochi", "trivandrum": "thiruvananthapuram", "benares": "varanasi",
           "poona": "pune", "ulaanbaatar": "ulan bator", "leghorn": "livorno", "salonica": "thessaloniki",
           "kiev": "kyiv", "mangalore": "mangaluru", "allahabad": "prayagraj", "belgaum": "belagavi",
           "basle": "basel", "berne": "bern", "simla": "shimla", "dacca": "dhaka", "tiflis": "tbilisi",
           "nanking": "nanjing", "tientsin": "tianjin", "chungking": "chongqing", "constantinople": "istanbul",
           "danzig": "gdansk", "breslau": "wroclaw", "lemberg": "lviv", "pressburg": "bratislava"}


def key(text: str) -> str:
    """The lookup key of a name: ASCII, lower case, single spaces ("Tromsø" -> "tromso")."""
    text = text.translate(_TRANSLIT)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def _lines(name: str, compressed: bool = False) -> list[str]:
    entry = resources.files(_PACKAGE).joinpath(name)
    data = entry.read_bytes()
    text = (gzip.decompress(data) if compressed else data).decode("utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _city_lines() -> list[str]:
    """The city rows, sorted by lookup key (the file's order), for binary search: no index is built."""
    return _lines("gazetteer.tsv.gz", compressed=True)


def cities_named(name: str) -> list[WorldCity]:
    """Every gazetteer city called ``name`` (any accents or case), most populous first."""
    out = [WorldCity(r[1] or r[0].title(), r[2], r[3], r[4], int(r[5])) for r in _rows(_city_lines(), key(name))]
    return sorted(out, key=lambda c: -c.population)


def _rows(lines: list[str], k: str) -> list[list[str]]:
    """The rows whose first column is ``k``, by binary search over ``lines`` (sorted by that column)."""
    out = []
    if k:
        for i in range(bisect_left(lines, k + "\t"), len(lines)):
            if not lines[i].startswith(k + "\t"):
                break
            out.append(lines[i].split("\t"))
    return out


@lru_cache(maxsize=1)
def _region_lines() -> list[str]:
    return _lines("gazetteer_regions.tsv.gz", compressed=True)


def regions_named(name: str) -> list[WorldRegion]:
    """Every admin1 region called ``name`` ("Bali", "Lesser Poland"), most populous first."""
    out = [WorldRegion(r[1], r[2], r[3], r[4], int(r[5]), int(r[6])) for r in _rows(_region_lines(), key(name))]
    return sorted(out, key=lambda r: -r.population)


@lru_cache(maxsize=1)
def countries() -> dict[str, WorldCountry]:
    """ISO-2 -> country (the small country file only; the city file stays closed)."""
    return {row[0]: WorldCountry(*row[:7]) for row in (line.split("\t") for line in _lines("gazetteer_countries.tsv"))}


@lru_cache(maxsize=1)
def _country_keys() -> dict[str, str]:
    out = {}
    for code, country in countries().items():
        name = key(country.name)
        out[name] = code
        out[name.removeprefix("the ")] = code
    return out


def country_code(name: str) -> str | None:
    """The ISO-2 code of a country name ("Sri Lanka" -> "LK"), or None."""
    return _country_keys().get(key(name).removeprefix("the "))


def world_country(code: str) -> WorldCountry | None:
    return countries().get((code or "").upper())
