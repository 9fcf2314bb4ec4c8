"""Names, usernames and e-mail addresses from a per-computer seeded Faker (no global Faker state)."""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from functools import lru_cache

from faker import Faker
from faker.providers.person import Provider as PersonProvider

USERNAME_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


@lru_cache(maxsize=16)
def _faker(locale: str) -> Faker:
    return Faker(locale)


def faker_for(locale: str, rng: random.Random) -> Faker:
    """A Faker for ``locale`` re-seeded from ``rng`` (instance seeding only; never Faker.seed())."""
    try:
        fk = _faker(locale)
    except AttributeError:
        fk = _faker("en_US")
    fk.seed_instance(rng.getrandbits(48))
    return fk


@lru_cache(maxsize=64)
def _name_table(locale: str, attr: str) -> tuple[tuple[str, ...], tuple[float, ...] | None] | None:
    """``locale``'s Faker list of first or last names (and cumulative weights, if weighted), or None when the
    locale draws them its own way. Faker re-sums a weighted list on every draw (~0.1 ms a name)."""
    try:
        fk = _faker(locale)
    except AttributeError:
        return None
    method = attr.removesuffix("s")  # first_names -> first_name
    for provider in fk.providers:
        if hasattr(provider, attr):
            if getattr(type(provider), method, None) is not getattr(PersonProvider, method):
                return None
            values = getattr(provider, attr)
            if isinstance(values, dict):
                return tuple(values), tuple(itertools.accumulate(values.values()))
            return tuple(values), None
    return None


def draw_name(locale: str, attr: str, rng: random.Random) -> str | None:
    """One of ``locale``'s first or last names (``attr``: first_names | last_names) drawn with ``rng`` as
    Faker would weight it, or None if the locale's names need Faker itself."""
    table = _name_table(locale, attr)
    if table is None:
        return None
    names, cum = table
    return rng.choices(names, cum_weights=cum)[0] if cum else names[rng.randrange(len(names))]


def phone_number(country: str, rng: random.Random) -> str:
    """A fictional phone number in ``country``'s format (the only place phone numbers are made)."""
    from worldbuilder.generate.locale import locale_pack

    return locale_pack(country).phone(rng)


def ascii_slug(text: str, sep: str = "") -> str:
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return sep.join(re.findall(r"[a-z0-9]+", norm))


def username_for(first: str, last: str) -> str:
    """``mforsythe`` style: first initial + last name, ASCII, valid Linux user name."""
    name = (ascii_slug(first)[:1] + ascii_slug(last))[:24] or "user"
    if not re.match(r"[a-z_]", name):
        name = "u" + name
    assert USERNAME_RE.match(name), name
    return name


def email_local(name: str) -> str:
    parts = [ascii_slug(p) for p in name.split()]
    parts = [p for p in parts if p]
    return ".".join([parts[0], parts[-1]]) if len(parts) >= 2 else (parts[0] if parts else "user")


class NamePool:
    """Unique full names for one computer; no surname used more than ``max_per_surname`` times."""

    def __init__(self, locale: str, rng: random.Random, max_per_surname: int = 1) -> None:
        self.fk = faker_for(locale, rng)
        self.locale, self.rng = locale, random.Random(rng.getrandbits(48))
        self.used: set[str] = set()
        self.surnames: dict[str, int] = {}
        self.avoid: set[str] = set()
        self.max_per_surname = max_per_surname

    def avoid_surname(self, last: str) -> None:
        """Never hand out ``last`` again (e.g. the user's own surname for strangers and organisations)."""
        self.avoid.add(last.lower())

    def _ok_last(self, last: str) -> bool:
        return last.lower() not in self.avoid and self.surnames.get(last.lower(), 0) < self.max_per_surname

    def _draw(self) -> tuple[str, str]:
        if hasattr(self.fk, "first_romanized_name"):  # ja_JP: Latin-script names
            return self.fk.first_romanized_name(), self.fk.last_romanized_name()
        first = draw_name(self.locale, "first_names", self.rng) or self.fk.first_name()
        return first, draw_name(self.locale, "last_names", self.rng) or self.fk.last_name()

    def take(self) -> tuple[str, str]:
        for attempt in range(400):
            first, last = self._draw()
            if (f"{first} {last}" not in self.used and ascii_slug(first) and ascii_slug(last)
                    and " " not in last and " " not in first and (self._ok_last(last) or attempt >= 300)):
                self.used.add(f"{first} {last}")
                self.surnames[last.lower()] = self.surnames.get(last.lower(), 0) + 1
                return first, last
        raise RuntimeError("name pool exhausted")

    def last_name(self) -> str:
        """A surname for an organisation name: never an avoided one, and not yet used by a person if possible."""
        for attempt in range(200):
            last = draw_name(self.locale, "last_names", self.rng) or self._draw()[1]
            if last.lower() not in self.avoid and (attempt >= 100 or last.lower() not in self.surnames):
                return last
        return self.fk.last_name()
