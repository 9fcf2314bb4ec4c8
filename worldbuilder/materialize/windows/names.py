"""Names Windows can hold: files and folders on NTFS, and local account names.

Rules (Win32 namespace, what Explorer and PowerShell can open):
reserved device names (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``-``COM9``, ``LPT1``-``LPT9``, also
with an extension such as ``nul.txt``), the characters ``<>:"/\\|?*`` and control characters,
a trailing dot or space, more than 255 UTF-16 units in one component, and two names in one
folder that differ only by case (Windows folders are case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from worldbuilder.errors import WorldbuilderError

FORBIDDEN_CHARS = set('<>:"/\\|?*') | {chr(c) for c in range(32)}
RESERVED_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{p}{n}" for p in ("COM", "LPT") for n in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]])
ACCOUNT_FORBIDDEN = set('"/\\[]:;|=,+*?<>@') | {chr(c) for c in range(32)}
BUILTIN_ACCOUNTS = frozenset(
    "administrator guest defaultaccount wdagutilityaccount system localservice networkservice "
    "administrators users everyone".split())
MAX_COMPONENT = 255


class WindowsNameError(WorldbuilderError):
    """A file, folder or account name that Windows cannot hold."""


def name_problem(name: str) -> str | None:
    """Why Windows cannot hold the single path component ``name``, or None when it can."""
    if not name or name in (".", ".."):
        return "empty or relative name"
    bad = sorted({c for c in name if c in FORBIDDEN_CHARS})
    if bad:
        shown = " ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in bad)
        return f"contains characters Windows forbids ({shown})"
    if name[-1] in ". ":
        return "ends with a dot or a space"
    base = name.split(".", 1)[0].rstrip(" ").upper()
    if base in RESERVED_DEVICES:
        return f"{base!r} is a reserved device name"
    if len(name.encode("utf-16-le")) // 2 > MAX_COMPONENT:
        return f"longer than {MAX_COMPONENT} UTF-16 units"
    return None


def fold(name: str) -> str:
    """The case-insensitive key NTFS compares names with (its upcase table ~ simple upper-casing)."""
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in name)


def check_paths(paths: Iterable[str], label: str = "") -> None:
    """Raise :class:`WindowsNameError` naming the first POSIX path whose name Windows cannot hold.

    ``paths`` are relative POSIX paths (files and folders); parent folders are checked too.
    """
    seen: dict[tuple[str, str], str] = {}  # (folded parent, folded name) -> first spelling (full path)
    for path in sorted(set(paths)):
        parts = path.split("/")
        for i, part in enumerate(parts):
            sub = "/".join(parts[: i + 1])
            problem = name_problem(part)
            if problem:
                raise WindowsNameError(f"{label}{sub}: Windows cannot hold this name: {problem}")
            key = (fold("/".join(parts[:i])), fold(part))
            other = seen.setdefault(key, sub)
            if other != sub:
                raise WindowsNameError(f"{label}{sub}: Windows cannot hold this name: differs only by case from "
                                       f"{other!r} in the same folder")


def check_account(name: str) -> str:
    """Validate a local account name (at most 20 characters, no ``"/\\[]:;|=,+*?<>@``); returns it."""
    if not name or len(name) > 20:
        raise WindowsNameError(f"account name {name!r} must be 1-20 characters")
    bad = sorted({c for c in name if c in ACCOUNT_FORBIDDEN})
    if bad:
        raise WindowsNameError(f"account name {name!r} contains characters Windows forbids ({' '.join(bad)})")
    if not re.search(r"[^. ]", name) or name.endswith("."):
        raise WindowsNameError(f"account name {name!r} must not be only dots/spaces or end with a dot")
    if name.lower() in BUILTIN_ACCOUNTS or fold(name.split(".", 1)[0]) in RESERVED_DEVICES:
        raise WindowsNameError(f"account name {name!r} is a built-in Windows name")
    return name
