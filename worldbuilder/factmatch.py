"""Matching a tracked fact's figure in text (standard library only: the in-computer grader ships this file).

``fact_pattern``/``matches_fact`` take any object with ``label``, ``value`` and ``unit`` (a
:class:`worldbuilder.spec.Fact` or a :class:`FactValue`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A scale letter is a suffix only when it ends the word on the same line: "18 B-roll" and "$548,800 K-1" are
# a figure followed by another item, not 18 billion or 548.8 million.
NUMBER = (r"(?P<num>[-−]?\s?(?:A\$|C\$|[$€£])?\s?\d[\d,]*(?:\.\d+)?)"
          r"(?:[ \u00a0]?(?P<suf>%|(?:bn|[kKMB])(?![\w-])))?")
SCALE = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}


@dataclass(frozen=True)
class FactValue:
    """The parts of a fact the matchers read (a fact with another value, or a fact outside pydantic)."""

    id: str
    label: str
    value: float
    unit: str = ""
    display: str = ""


def with_value(f: Any, value: float) -> FactValue:
    return FactValue(f.id, f.label, value, f.unit, f.display)


def parse_number(num: str, suffix: str | None) -> tuple[float, float] | None:
    """(value, tolerance) of a number as written: ``$1,245,300`` → (1245300, 0.5); ``1.2M`` → (1.2e6, 5e4)."""
    clean = re.sub(r"[\s$€£,AC]", "", num.replace("−", "-"))
    try:
        value = float(clean)
    except ValueError:
        return None
    decimals = len(clean.split(".")[1]) if "." in clean else 0
    scale = SCALE.get(suffix or "", 1.0)
    return value * scale, 0.5 * 10 ** -decimals * scale + 1e-9 * abs(value * scale)


def fact_pattern(f: Any, loose: bool) -> re.Pattern[str]:
    label = re.escape(f.label).replace(r"\ ", r"\s+")
    sep = r"(?:[\"']?\s*[:\t|=]\s*[\"']?|\s+)" if loose else r"[\"']?\s*[:\t|=]\s*[\"']?"
    return re.compile(r"(?<![\w])" + label + sep + NUMBER, re.IGNORECASE)


def matches_fact(f: Any, num: str, suffix: str | None) -> bool:
    parsed = parse_number(num, suffix)
    if parsed is None:
        return True  # not a number we can judge
    value, tol = parsed
    if abs(value - f.value) <= tol:
        return True
    return f.unit == "%" and suffix != "%" and abs(value * 100 - f.value) <= tol * 100
