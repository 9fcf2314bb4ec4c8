"""Persona → place: the location a persona names drives city, timezone and name locale."""

from __future__ import annotations

import pytest

from worldbuilder.generate import plan_computer
from worldbuilder.generate.places import US_ABBR, place_of


@pytest.mark.parametrize("persona, city, tz", [
    ("a high-school chemistry teacher in Columbus, Ohio", "Columbus", "America/New_York"),
    ("a nurse in Seattle, Washington", "Seattle", "America/Los_Angeles"),
    ("a lobbyist in Washington, DC", "Washington", "America/New_York"),
    ("an accountant in Portland, Maine", "Portland", "America/New_York"),
    ("a chef in Cleveland, OH", "Cleveland", "America/New_York"),
    ("an engineer in Porto, Portugal", "Porto", "Europe/Lisbon"),
    ("a teacher in Kenya", "Nairobi", "Africa/Nairobi"),
    ("a banker in Tokyo", "Tokyo", "Asia/Tokyo"),
    ("an architect based in Lyon", "Lyon", "Europe/Paris"),
    ("a planner in Denver", "Denver", "America/Denver"),
])
def test_place_of(persona: str, city: str, tz: str) -> None:
    place = place_of(persona)
    assert place is not None and (place.city, place.timezone) == (city, tz)


def test_no_place() -> None:
    assert place_of("someone who likes kites") is None


def test_state_abbreviations_align() -> None:
    assert US_ABBR["OH"] == "ohio" and US_ABBR["WA"] == "washington" and US_ABBR["WY"] == "wyoming"
    assert US_ABBR["DC"] == "district of columbia" and len(US_ABBR) == 51


def test_profile_uses_the_named_place() -> None:
    spec = plan_computer("a high-school chemistry teacher in Columbus, Ohio", seed=0, size="small")
    assert spec.profile.location == "Columbus, Ohio"
    assert spec.profile.timezone == "America/New_York"
    german = plan_computer("a mechanical engineer in Stuttgart, Germany", seed=0, size="small")
    assert german.profile.location == "Stuttgart, Germany" and german.profile.locale == "de_DE.UTF-8"
