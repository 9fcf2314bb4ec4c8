"""Pattern filling and fact display formatting shared by the offline stages."""

from __future__ import annotations

import re
import string

CURRENCY = {"USD": "$", "EUR": "€", "GBP": "£", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "INR": "₹",
            "JPY": "¥", "BRL": "R$", "MXN": "MX$", "ZAR": "R", "SGD": "S$", "CHF": "CHF "}


class _Defaults(dict):
    def __missing__(self, key: str) -> str:
        return key.capitalize()


def fill(pattern: str, **values: object) -> str:
    """``str.format`` that tolerates unknown placeholders and collapses whitespace."""
    fields = {k: str(v) for k, v in values.items() if v is not None}
    try:
        out = string.Formatter().vformat(pattern, (), _Defaults(fields))
    except (ValueError, IndexError):
        out = pattern
    return " ".join(out.split())


def number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def money(value: float, currency: str = "USD", decimals: int = 0) -> str:
    """One money amount in the computer's currency: ``money(1200.5, "GBP", 2)`` -> ``£1,200.50``; a currency
    without a symbol here keeps its ISO code, as facts do (``money(1200, "PLN")`` -> ``1,200 PLN``)."""
    return display(value, currency if currency in CURRENCY or _iso_code(currency) else "USD", decimals)


def _iso_code(currency: str | None) -> bool:
    """An ISO 4217-shaped code (written after the number when it has no symbol here)."""
    return bool(re.fullmatch(r"[A-Z]{3}", currency or ""))


def money_number_format(currency: str, decimals: int = 2) -> str:
    """The xlsx number format of an amount in ``currency``: its symbol first when there is one, else its ISO code
    after the number (``#,##0.00" LKR"``), as :func:`money` writes it."""
    zeros = "." + "0" * decimals if decimals else ""
    if currency in CURRENCY or not _iso_code(currency):
        sym = CURRENCY.get(currency, "$").strip().replace('"', "")
        return f'"{sym}"#,##0{zeros}'
    return f'#,##0{zeros}" {currency}"'


def display(value: float, unit: str, decimals: int) -> str:
    """Canonical display of a fact: ``$1,245,300``, ``12.5%``, ``342 patients``."""
    if unit in CURRENCY:
        sign = "-" if value < 0 else ""
        return f"{sign}{CURRENCY[unit]}{number(abs(value), decimals)}"
    if unit == "%":
        return f"{number(value, decimals)}%"
    if unit in ("", "count"):
        return number(value, decimals)
    return f"{number(value, decimals)} {unit}"


def safe_name(text: str, max_len: int = 60) -> str:
    """A file/folder name component: no slashes, no control characters, trimmed."""
    text = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "-", text).strip(" .-")
    text = " ".join(text.split())
    if len(text) > max_len:  # cut at a word boundary
        cut = text[: max_len + 1].rsplit(" ", 1)[0]
        text = cut if len(cut) >= max_len // 2 else text[:max_len]
    return text.rstrip(" .-,(") or "untitled"


def slug(text: str, sep: str = "_") -> str:
    from worldbuilder.generate.people import ascii_slug

    return ascii_slug(text, sep) or "file"
