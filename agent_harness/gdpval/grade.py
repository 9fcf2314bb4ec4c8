"""Grading GDPval outputs with the task's rubric, item by item, and the blind pairwise judge vs gold files.

Offline, only machine-checkable items are scored (as the run judge does): a format item ("delivered as a Word
document (.docx)") by an output of that type that opens; an item quoting a phrase ('Foundation pour') or
naming figures (48,250) by finding all of them in the outputs' text. Every other item is ``unjudged``.
With ``openai:MODEL`` the model grades the remaining items and must quote its evidence from the outputs
(an answer whose evidence is not in them stays unjudged). A failed ``required`` item sets the task's points
to 0 (``required_failed`` names it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent_harness.gdpval.dataset import RubricItem, Task
from worldbuilder.extract import extract_text_ok

FORMATS = {"docx": r"\bword\b|\.?docx\b", "xlsx": r"\bexcel\b|spreadsheet|workbook|\.?xlsx\b",
           "pptx": r"powerpoint|slide deck|\.?pptx\b", "pdf": r"\bpdf\b"}
FORMAT_CUE = re.compile(r"deliver|submitted|is an?\b|format|file", re.IGNORECASE)
QUOTE = re.compile(r"'([^']{3,80})'|\"([^\"]{3,80})\"")
NUMBER = re.compile(r"(?<![A-Za-z\d])\d[\d,]*(?:\.\d+)?(?![A-Za-z\d])")


class ItemGrade(BaseModel):
    id: str
    criterion: str
    points: float
    max: float
    required: bool
    status: str  # scored | unjudged
    rationale: str = ""


class TaskGrade(BaseModel):
    task_id: str
    occupation: str
    points: float
    max: float
    judged_max: float
    required_failed: list[str] = Field(default_factory=list)
    unjudged: int = 0
    outputs: list[str] = Field(default_factory=list)
    items: list[ItemGrade] = Field(default_factory=list)
    pairwise: dict[str, Any] | None = None
    run: dict[str, Any] = Field(default_factory=dict)


def read_outputs(files: list[Path]) -> dict[str, tuple[str, bool]]:
    """File name -> (text, opens)."""
    out = {}
    for f in sorted(files):
        text, ok = extract_text_ok(f.name, f.read_bytes())
        out[f.name] = (text, ok)
    return out


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


def check_item(item: RubricItem, outputs: dict[str, tuple[str, bool]]) -> tuple[float | None, str]:
    """Fraction earned by a machine-checkable item, or ``None`` when it is free text."""
    c = item.criterion
    fmts = [k for k, rx in FORMATS.items() if re.search(rx, c, re.IGNORECASE)]
    if fmts and FORMAT_CUE.search(c):
        good = [n for n, (_, ok) in outputs.items() if ok and n.rsplit(".", 1)[-1].lower() in fmts]
        return (1.0, f"{good[0]} opens") if good else (0.0, f"no {'/'.join(fmts)} output that opens")
    text = _norm(" ".join(t for t, _ in outputs.values()))
    quotes = [a or b for a, b in QUOTE.findall(c)]
    if quotes:
        missing = [q for q in quotes if _norm(q) not in text]
        return (0.0, f"not found: {missing[0]!r}") if missing else (1.0, f"found {quotes[0]!r}")
    nums = [n.replace(",", "") for n in NUMBER.findall(c)]
    if nums:
        have = {n.replace(",", "") for n in NUMBER.findall(text)}
        missing = [n for n in nums if n not in have]
        return (0.0, f"figure {missing[0]} not in the outputs") if missing else (1.0, f"figures {', '.join(nums)} found")
    return None, "free-text criterion (needs a model judge)"


def grade_outputs(task: Task, files: list[Path], llm=None) -> TaskGrade:  # noqa: ANN001
    outputs = read_outputs(files)
    items = []
    for it in task.rubric_json:
        frac, why = check_item(it, outputs)
        if frac is None and llm is not None:
            frac, why = llm.grade(task, it, outputs)
        status = "unjudged" if frac is None else "scored"
        items.append(ItemGrade(id=it.rubric_item_id, criterion=it.criterion, points=round(it.score * (frac or 0), 2),
                               max=it.score, required=it.required, status=status, rationale=why[:300]))
    failed = [i.id for i in items if i.required and i.status == "scored" and i.points < i.max]
    points = 0.0 if failed else round(sum(i.points for i in items), 2)
    return TaskGrade(task_id=task.task_id, occupation=task.occupation, points=points, max=task.total,
                     judged_max=sum(i.max for i in items if i.status == "scored"), required_failed=failed,
                     unjudged=sum(i.status == "unjudged" for i in items), outputs=sorted(outputs), items=items)


def pairwise(task: Task, agent_files: list[Path], gold_files: list[Path], llm=None) -> dict[str, Any]:  # noqa: ANN001
    """Blind comparison over two trials with the order swapped: win / tie / lose for the agent's outputs."""
    sides = {"agent": agent_files, "gold": gold_files}
    trials = []
    for first, second in (("agent", "gold"), ("gold", "agent")):
        if llm is not None:
            pick = llm.compare(task, read_outputs(sides[first]), read_outputs(sides[second]))
        else:
            a = grade_outputs(task, sides[first]).points
            b = grade_outputs(task, sides[second]).points
            pick = "A" if a > b else "B" if b > a else "tie"
        trials.append({"A": first, "B": second, "preferred": {"A": first, "B": second}.get(pick, "tie")})
    prefs = [t["preferred"] for t in trials]
    result = "win" if prefs == ["agent"] * 2 else "lose" if prefs == ["gold"] * 2 else "tie"
    return {"result": result, "trials": trials, "judge": "offline" if llm is None else llm.name}
