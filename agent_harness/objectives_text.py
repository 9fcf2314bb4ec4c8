"""Titles and descriptions of deliverables, written from the project's facts (not one template)."""

from __future__ import annotations

import random
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from worldbuilder.spec import Project

OPENERS = ["{who} has asked for {a} {kind} on {project}.", "{who} needs {a} {kind} for {project}.",
           "The {project} work needs {a} {kind}, and {who} is waiting on it.",
           "Next up for {project}: {a} {kind}, requested by {who}."]
SIZES = {"day": ["It is a quick one: a day's work.", "Keep it tight; this should take no more than a day."],
         "weeks": ["This is the big piece of the month; budget about three weeks for it.",
                   "Plan for roughly three weeks on this; it is the month's main report."],
         "mid": ["Expect a week or so of work.", "This should take about a week."]}


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def title(kind: dict[str, Any], proj: Project | None, context: dict[str, str], rng: random.Random) -> str:
    pattern = rng.choice(kind["titles"])
    return pattern.format(project=proj.name if proj else context["team"], **context)


def context(proj: Project | None, today: date, team: str) -> dict[str, str]:
    nxt = next((m for m in sorted(proj.milestones, key=lambda m: m.due) if not m.done and m.due >= today), None) \
        if proj else None
    q = (today.month - 1) // 3 + 1
    return {"month": today.strftime("%B %Y"), "period": f"Q{q} {today.year}",
            "next_milestone": nxt.name if nxt else f"{today.strftime('%B')} review",
            "audience_short": "leadership", "team": team}


def describe(kind: dict[str, Any], proj: Project | None, who: str, size: str, asks: list[dict[str, Any]],
             sources: list[str], due: tuple[date, int], feeder: str | None, rng: random.Random, team: str) -> str:
    """A paragraph in a colleague's words: why, how big, from which files, what to work out, for whom, when."""
    name = proj.name if proj else team
    parts = [rng.choice(OPENERS).format(who=who, a=article(kind["name"]), kind=kind["name"], project=name)]
    if proj and proj.description:
        parts.append(f"For context: {proj.description.rstrip('.')}.")
    parts.append(rng.choice(SIZES[size]))
    names = ", ".join(PurePosixPath(s).name for s in sources[:3])
    if names:
        parts.append(f"The material is in {names}.")
    if asks:
        work = "; ".join(a["text"] for a in asks)
        lead = rng.choice(["What has to be worked out (none of it is written down anywhere yet)",
                           "Nobody has these numbers yet, so they need working out",
                           "The analysis it needs, computed from the files"])
        parts.append(f"{lead}: {work}. Label each result as named: "
                     f"{', '.join(repr(a['label']) for a in asks)}.")
    if feeder:
        parts.append(f"It builds on {feeder}, so use the figures you settle there.")
    lo, hi = kind["words"]
    parts.append(f"It is for {kind['audience']}; aim for {lo} to {hi} words in the main document, and it is due "
                 f"{due[0].strftime('%A %d %B')} (by day {due[1]}).")
    return " ".join(parts)
