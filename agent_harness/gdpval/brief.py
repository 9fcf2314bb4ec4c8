"""What the agent is told for one GDPval task: its single deliverable, the outputs the prompt names, the brief."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agent_harness.gdpval.dataset import Task

OUT_RE = re.compile(r"outputs/[\w./-]+?\.(docx|xlsx|pptx|md|pdf)\b")
DLV = "dlv_001"


def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:60] or "task"


def task_outputs(task: Task) -> list[dict[str, Any]]:
    """Output paths: those the prompt names under outputs/, else the gold files' names, else one docx."""
    paths = list(dict.fromkeys(m.group(0) for m in OUT_RE.finditer(task.prompt)))
    if not paths:
        paths = [f"outputs/{Path(p).name}" for p in task.deliverable_files] or [f"outputs/{slug(task.task_id)}.docx"]
    return [{"path": p, "format": p.rsplit(".", 1)[-1], "sheet": None} for p in paths]


def task_brief(task: Task, user: str, skills: list[dict[str, Any]] | None) -> dict[str, Any]:
    title = re.split(r"(?<=[.!?])\s", task.prompt.strip(), maxsplit=1)[0][:100]
    brief = {"user": user, "days": 1, "deliverables": [{
        "id": DLV, "title": title, "description": task.prompt, "stakeholders": [], "due_day": 1,
        "outputs": task_outputs(task), "sources": [f"reference_files/{Path(p).name}" for p in task.reference_files],
        "sections": [], "key_figures": []}]}
    if skills:
        brief["skills"] = skills
    return brief
