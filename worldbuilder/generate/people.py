"""Names, usernames and e-mail addresses from a per-computer seeded Faker (no global Faker state)."""

from __future__ import annotations

import random
import re
import unicodedata
from functools import lru_cache

from faker import Faker

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
    """Unique full names for one computer."""

    def __init__(self, locale: str, rng: random.Random) -> None:
        self.fk = faker_for(locale, rng)
        self.used: set[str] = set()

    def take(self) -> tuple[str, str]:
        for _ in range(200):
            first, last = self.fk.first_name(), self.fk.last_name()
            if (f"{first} {last}" not in self.used and ascii_slug(first) and ascii_slug(last)
                    and " " not in last and " " not in first):
                self.used.add(f"{first} {last}")
                return first, last
        raise RuntimeError("name pool exhausted")

    def last_name(self) -> str:
        return self.fk.last_name()
