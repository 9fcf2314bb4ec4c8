"""Locale packs: one data file per country (currency, formats, phones, names, institutions, time zone, paper).

Packs live in ``worldbuilder/generate/locales/<ISO-2>.yaml``; a pack may ``inherits:`` another (its
``terms`` and ``replace`` maps are merged under the child's). Countries without a pack fall back to the
neutral ``_intl`` pack with the country's own code, time zone and Faker locale from the place table.
:func:`localize` rewrites an occupation's US-only institutions and terms ("Unified School District",
"State Board of Nursing", "401(k)") into the country's own ones.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from worldbuilder import yaml_load
from worldbuilder.errors import GenerationError
from worldbuilder.generate.countries import country_defaults
from worldbuilder.generate.gazetteer import world_country

LOCALE_PACKAGE = "worldbuilder.generate.locales"


class LocalePack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: str  # ISO 3166-1 alpha-2
    name: str
    currency: str  # ISO 4217
    usd_rate: float = 1.0  # rough units of currency per US dollar, to scale template amounts
    faker_locale: str
    timezone: str
    paper_size: str = "a4"  # "a4" or "letter"
    date_format: str = "%d/%m/%Y"
    number_format: str = "1,234.56"  # the local convention (documents stay in English: 1,234.56)
    phone_formats: list[str]  # '#' is a random digit
    phone_area_codes: list[int] = Field(default_factory=list)  # fills '###' after +1 (NANP countries)
    region_word: str = "region"
    regions: list[str] = Field(default_factory=list)
    email_domains: list[str] = Field(default_factory=lambda: ["gmail.com", "outlook.com"])
    terms: dict[str, str] = Field(default_factory=dict)  # public institutions: school_authority, ...
    replace: dict[str, str] = Field(default_factory=dict)  # US term -> local term
    inherits: str | None = None

    @property
    def dial_code(self) -> str:
        """``+44`` for GB: the prefix every phone number of this country starts with."""
        return self.phone_formats[0].split()[0].split("-")[0]

    def phone(self, rng: random.Random) -> str:
        """One fictional phone number in this country's format."""
        fmt = rng.choice(self.phone_formats)
        if self.phone_area_codes and fmt.startswith("+1-###"):
            fmt = fmt.replace("###", str(rng.choice(self.phone_area_codes)), 1)
        return re.sub("#", lambda _: str(rng.randrange(10)), fmt)

    def from_usd(self, amount: float) -> float:
        """A US-dollar template amount in this currency, rounded to a plausible magnitude."""
        value = amount * self.usd_rate
        return float(round(value, -2)) if abs(value) >= 10_000 else round(value, 2)


def _raw(code: str) -> dict:
    entry = resources.files(LOCALE_PACKAGE).joinpath(f"{code}.yaml")
    if not entry.is_file():
        raise GenerationError(f"no locale pack for country {code!r}")
    data = yaml_load.safe_load(entry.read_text(encoding="utf-8"))
    parent = data.get("inherits")
    if parent:
        base = _raw(parent)
        data["terms"] = {**base.get("terms", {}), **data.get("terms", {})}
        data["replace"] = {**base.get("replace", {}), **data.get("replace", {})}
    return data


@lru_cache(maxsize=64)
def locale_pack(code: str) -> LocalePack:
    """The pack of ``code`` (ISO-2); countries without one get the neutral international pack."""
    code = (code or "US").upper()
    try:
        return LocalePack.model_validate(_raw(code))
    except GenerationError:
        tz, faker_locale, name = country_defaults(code)
        world = world_country(code)  # the gazetteer's country file: currency and dial code of any country
        currency = world.currency if world else "USD"
        dial = world.dial_code if world and world.dial_code else "00"
        data = _raw("_intl") | {"country": code, "name": name, "timezone": tz, "faker_locale": faker_locale,
                                "currency": currency, "usd_rate": currency_per_usd(currency),
                                "phone_formats": [f"+{dial} ### ### ####"]}
        data.pop("inherits", None)
        return LocalePack.model_validate(data)


@lru_cache(maxsize=1)
def _rates() -> dict[str, float]:
    text = resources.files(LOCALE_PACKAGE).joinpath("currency_rates.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {code: float(rate) for code, rate in rows}


def currency_per_usd(currency: str) -> float:
    """Rough units of ``currency`` per US dollar (``currency_rates.tsv``); 1.0 for a code it lacks."""
    return _rates().get(currency.upper(), 1.0)


def pack_codes() -> list[str]:
    """ISO codes of every country with its own pack."""
    return sorted(p.name[:2] for p in resources.files(LOCALE_PACKAGE).iterdir()
                  if p.name.endswith(".yaml") and not p.name.startswith("_"))


def _pattern(keys: list[str]) -> re.Pattern[str] | None:
    if not keys:
        return None
    alts = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![\w(]){'(?:' + alts + ')'}(?![\w)])")


@lru_cache(maxsize=64)
def _replacer(code: str) -> re.Pattern[str] | None:
    return _pattern(list(locale_pack(code).replace))


def localize_text(text: str, pack: LocalePack) -> str:
    """``text`` with the pack's US-only terms replaced by local ones (word-bounded, case-sensitive)."""
    rx = _replacer(pack.country)
    if rx is None or not text:
        return text
    return rx.sub(lambda m: pack.replace[m.group(0)], text)


def localize_value(value: object, pack: LocalePack) -> object:
    """Apply :func:`localize_text` through strings, lists and dicts (keys of dicts too)."""
    if isinstance(value, str):
        return localize_text(value, pack)
    if isinstance(value, list):
        return [localize_value(v, pack) for v in value]
    if isinstance(value, dict):
        return {localize_value(k, pack) if isinstance(k, str) else k: localize_value(v, pack)
                for k, v in value.items()}
    return value
