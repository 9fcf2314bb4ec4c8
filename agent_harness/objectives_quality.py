"""Professional-quality criteria per deliverable kind: code checks where one is robust, ``judge`` items
(with the evidence a judge must quote) otherwise."""

from __future__ import annotations

import re
from typing import Any

OPENING = {"analysis": r"\brecommend", "plan": r"\b(recommend|propose)", "brief": r"\b(recommend|decision|ask)"}
LETTER_OPENING = r"\bwriting to\b"
PLACEHOLDERS = r"\b(TBD|TODO|lorem ipsum|XXX)\b|\[(insert|name|date)[^\]]*\]"


def quality_items(kind: dict[str, Any], main: str, first_name: str, full_name: str,
                  xlsx: str | None) -> list[tuple[str, int, dict]]:
    """Quality criteria for one deliverable whose main output is ``main``."""
    letter = "letter" in kind["extra"]
    lo, hi = kind["words"]
    items: list[tuple[str, int, dict]] = [
        ("opens with a letter's purpose ('I am writing to ...') in its first paragraph" if letter else
         "states the recommendation in the opening paragraph", 3,
         {"type": "text_matches", "path": main, "where": "opening",
          "pattern": LETTER_OPENING if letter else OPENING[kind["role"]]}),
        (f"main document is {lo}-{hi} words long", 2, {"type": "length_between", "path": main, "min": lo, "max": hi}),
        ("no placeholder text (TBD, TODO, [insert ...])", 2, {"type": "text_absent", "pattern": PLACEHOLDERS}),
        (f"signed off with {full_name}'s name", 1, {"type": "text_matches", "path": main, "where": "any",
                                                    "pattern": rf"(prepared by|regards|sincerely|thanks),?\s+"
                                                               rf"{re.escape(first_name)}\b"}),
        ("every figure carries its period and unit (currency, %, count)", 3,
         {"type": "judge", "text": "Every reported figure states its period (month, quarter, year or date range) "
          "and its unit; quote two figures as evidence."}),
        (f"written for {kind['audience']}: plain language, no unexplained jargon", 2,
         {"type": "judge", "text": f"The writing suits {kind['audience']}; quote the sentence that best shows the "
          "register, and one that falls short if any."}),
    ]
    if letter:
        items.append(("greets the reader ('Dear ...')", 1, {"type": "text_matches", "path": main, "where": "any",
                                                            "pattern": r"^\s*dear\b"}))
    if xlsx:
        items.append((f"{xlsx} computes its totals with formulas, not typed numbers", 2,
                      {"type": "has_formula", "path": xlsx}))
    return items


def request_items(d_id: str, asker: tuple[str, str, str], other: tuple[str, str, str], day: int,
                  labels: list[str]) -> list[tuple[str, int, dict]]:
    """Criteria for two stakeholders' conflicting requests (``(id, name, request)`` each) received on ``day``."""
    return [
        (f"replied to {asker[1]} after the day-{day} request", 2,
         {"type": "replied_after", "person": asker[0], "day": day}),
        (f"replied to {other[1]} after the day-{day} request", 2,
         {"type": "replied_after", "person": other[0], "day": day}),
        ("keeps the short version and moves the row-by-row breakdown to an appendix", 3,
         {"type": "section", "heading": "Appendix"}),
        ("the appendix covers every row of the source table", 2, {"type": "mentions_all", "terms": labels}),
        (f"addresses each stakeholder request received: says how {asker[1]}'s and {other[1]}'s conflicting "
         "asks were resolved", 3,
         {"type": "judge", "text": f"The deliverable or the replies explain how the conflicting requests of "
          f"{asker[1]} ('{asker[2]}') and {other[1]}' ('{other[2]}') were resolved; quote the explanation."}),
    ]
