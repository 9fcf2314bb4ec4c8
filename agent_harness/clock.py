"""The simulated calendar: N working days after the computer's "now", a turn budget per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from worldbuilder.errors import WorldbuilderError


class ClockError(WorldbuilderError):
    """Invalid day count or turn budget."""


def next_workday(d: date) -> date:
    d += timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


@dataclass(frozen=True)
class Clock:
    """Working days 1..``days``; day 1 is the first weekday after ``start`` (the spec's history_end)."""

    days: int = 20
    turns_per_day: int = 250
    start: date = date(2026, 1, 5)

    def __post_init__(self) -> None:
        if self.days < 1 or self.days > 366:
            raise ClockError(f"days must be between 1 and 366 (got {self.days})")
        if self.turns_per_day < 1:
            raise ClockError(f"turns per day must be positive (got {self.turns_per_day})")

    def date(self, day: int) -> date:
        """Calendar date of simulated day ``day`` (day 0 = the computer's last day of history)."""
        d = self.start
        for _ in range(day):
            d = next_workday(d)
        return d

    @staticmethod
    def label(day: int) -> str:
        return f"day-{day:02d}"

    def scaled(self, day_of_twenty: int) -> int:
        """A day of a 20-day month scaled to this run's length (e.g. day 12 of 20 → day 3 of 5)."""
        return max(1, min(self.days, round(self.days * day_of_twenty / 20)))
