"""IANA time zone -> Windows time zone name (the ones the generator uses; UTC otherwise)."""

from __future__ import annotations

_GROUPS: dict[str, tuple[str, ...]] = {
    "Eastern Standard Time": ("America/New_York", "America/Toronto", "America/Detroit", "America/Indiana"),
    "Central Standard Time": ("America/Chicago",),
    "Mountain Standard Time": ("America/Denver", "America/Boise"),
    "US Mountain Standard Time": ("America/Phoenix",),
    "Pacific Standard Time": ("America/Los_Angeles", "America/Vancouver"),
    "Alaskan Standard Time": ("America/Anchorage",),
    "Hawaiian Standard Time": ("Pacific/Honolulu",),
    "Central Standard Time (Mexico)": ("America/Mexico_City",),
    "SA Pacific Standard Time": ("America/Bogota",),
    "E. South America Standard Time": ("America/Sao_Paulo",),
    "Argentina Standard Time": ("America/Argentina", "America/Buenos_Aires"),
    "Pacific SA Standard Time": ("America/Santiago",),
    "GMT Standard Time": ("Europe/London", "Europe/Dublin", "Europe/Lisbon"),
    "W. Europe Standard Time": ("Europe/Berlin", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
                                "Europe/Rome", "Europe/Oslo", "Europe/Amsterdam"),
    "Romance Standard Time": ("Europe/Paris", "Europe/Madrid", "Europe/Brussels", "Europe/Copenhagen"),
    "Central Europe Standard Time": ("Europe/Prague",),
    "Central European Standard Time": ("Europe/Warsaw",),
    "GTB Standard Time": ("Europe/Bucharest",),
    "FLE Standard Time": ("Europe/Helsinki",),
    "Turkey Standard Time": ("Europe/Istanbul",),
    "Israel Standard Time": ("Asia/Jerusalem",),
    "Arab Standard Time": ("Asia/Riyadh",),
    "Arabian Standard Time": ("Asia/Dubai",),
    "Pakistan Standard Time": ("Asia/Karachi",),
    "India Standard Time": ("Asia/Kolkata",),
    "SE Asia Standard Time": ("Asia/Jakarta", "Asia/Ho_Chi_Minh"),
    "Singapore Standard Time": ("Asia/Singapore", "Asia/Kuala_Lumpur", "Asia/Manila"),
    "China Standard Time": ("Asia/Shanghai", "Asia/Hong_Kong"),
    "Taipei Standard Time": ("Asia/Taipei",),
    "Korea Standard Time": ("Asia/Seoul",),
    "Tokyo Standard Time": ("Asia/Tokyo",),
    "AUS Eastern Standard Time": ("Australia/Sydney", "Australia/Melbourne"),
    "New Zealand Standard Time": ("Pacific/Auckland",),
    "South Africa Standard Time": ("Africa/Johannesburg",),
    "Egypt Standard Time": ("Africa/Cairo",),
    "W. Central Africa Standard Time": ("Africa/Lagos",),
    "E. Africa Standard Time": ("Africa/Nairobi",),
    "Greenwich Standard Time": ("Africa/Accra",),
}
IANA_TO_WINDOWS = {iana: win for win, zones in _GROUPS.items() for iana in zones}


def windows_timezone(iana: str) -> str:
    """The Windows name of ``iana`` (``UTC`` when unknown)."""
    return IANA_TO_WINDOWS.get(iana, "UTC")
