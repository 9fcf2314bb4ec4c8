"""Datetime helpers: naive spec times are wall-clock times in the user's timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from worldbuilder.render.zipfix import ZIP_EPOCH


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def aware(dt: datetime, tz: str) -> datetime:
    """``dt`` with a timezone: naive times are taken as local time in ``tz``."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=zone(tz))


def utc(dt: datetime, tz: str) -> datetime:
    return aware(dt, tz).astimezone(UTC)


def local(dt: datetime, tz: str) -> datetime:
    """Naive wall-clock time in the user's timezone."""
    return aware(dt, tz).astimezone(zone(tz)).replace(tzinfo=None)


def epoch(dt: datetime, tz: str) -> float:
    return aware(dt, tz).timestamp()


def zip_time(dt: datetime, tz: str) -> tuple[int, int, int, int, int, int]:
    """A zip entry date_time (local wall time, 2-second resolution, not before 1980)."""
    t = local(dt, tz)
    if t.year < 1980:
        return ZIP_EPOCH
    return (min(t.year, 2107), t.month, t.day, t.hour, t.minute, t.second - t.second % 2)
