"""``judgement.json``: the versioned record of one judged run (contract in /work/wt/SEAMS.md, docs/judging.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_harness.runlog import RunDirError, atomic_write

JUDGEMENT_VERSION = "1.0"
JUDGEMENT_FILE = "judgement.json"
SCORES_FILE = "score_over_days.json"


class JRec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemScore(JRec):
    id: str
    kind: str
    points: float
    max: float
    status: Literal["scored", "unjudged"]
    evidence: str = ""
    rationale: str = ""


class DeliverableScore(JRec):
    id: str
    title: str
    points: float
    max: float
    items: list[ItemScore]

    @property
    def judged_max(self) -> float:
        return sum(i.max for i in self.items if i.status == "scored")


class Fabrication(JRec):
    deliverable: str
    file: str
    fact: str
    label: str
    expected: str
    found: str
    reason: Literal["fact", "correction"]
    context: str = ""
    criterion: str | None = None  # the item that lost its points
    points_lost: float = 0.0


class Total(JRec):
    points: float
    max: float
    judged_max: float


class Judgement(JRec):
    schema_version: str = JUDGEMENT_VERSION
    run: str
    judge: str
    day: int
    total: Total
    deliverables: list[DeliverableScore]
    fabrications: list[Fabrication] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    def deliverable(self, did: str) -> DeliverableScore:
        return next(d for d in self.deliverables if d.id == did)

    def item(self, iid: str) -> ItemScore:
        return next(i for d in self.deliverables for i in d.items if i.id == iid)


class DayScore(JRec):
    day: int
    points: float
    max: float
    judged_max: float
    deliverables: dict[str, float] = Field(default_factory=dict)


class ScoreOverDays(JRec):
    schema_version: str = JUDGEMENT_VERSION
    run: str
    judge: str
    days: list[DayScore]


def write_json_model(path: Path, model: BaseModel) -> None:
    atomic_write(path, model.model_dump_json(indent=1) + "\n")


def read_judgement(path: Path) -> Judgement:
    """A judgement file, or one-line RunDirError when missing/corrupt."""
    path = Path(path)
    if path.is_dir():
        path = path / JUDGEMENT_FILE
    try:
        return Judgement.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RunDirError(f"{path} not found (run `worldbuilder judge` first)") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunDirError(f"corrupt {path}: {str(exc).splitlines()[0]}") from exc
