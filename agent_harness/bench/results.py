"""``results.json`` of a bench run and the Markdown leaderboard (one row per results file)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, Field

from agent_harness.bench.errors import BenchError
from agent_harness.bench.model import ReferenceScore
from agent_harness.runlog import atomic_write

RESULTS_FORMAT = "worldbuilder-bench-results/1"
HEADER = "| agent | benchmark | tasks | mean score | per task (points/max) |\n|---|---|---|---|---|\n"


class TaskResult(BaseModel):
    id: str
    points: float
    max: float
    status: str
    run: str  # run directory, relative to the results folder
    deliverables: dict[str, list[float]] = Field(default_factory=dict)
    reference: ReferenceScore | None = None
    deliverable: str | None = None  # a single-deliverable run: the deliverable judged
    stop_reason: str = ""

    @property
    def score(self) -> float:
        return self.points / self.max if self.max else 0.0


class Results(BaseModel):
    format: str = RESULTS_FORMAT
    bundle: str
    version: str
    agent: str
    created: str
    tasks: list[TaskResult]

    @property
    def mean_score(self) -> float:
        return sum(t.score for t in self.tasks) / len(self.tasks) if self.tasks else 0.0


def _label(t: TaskResult) -> str:
    """The task id, and the deliverable run alone when the id does not already name it."""
    shown = t.deliverable and t.deliverable.replace("_", "-") not in t.id
    return f"{t.id} [{t.deliverable}]" if shown else t.id


def row(res: Results) -> str:
    per = "; ".join(f"{_label(t)} {t.points:g}/{t.max:g}" for t in res.tasks)
    return f"| {res.agent} | {res.bundle} {res.version} | {len(res.tasks)} | {res.mean_score:.3f} | {per} |\n"


def write_results(out: Path, res: Results) -> None:
    data = json.loads(res.model_dump_json())
    data["mean_score"] = round(res.mean_score, 6)
    for t, d in zip(res.tasks, data["tasks"], strict=True):
        d["score"] = round(t.score, 6)
    atomic_write(out / "results.json", json.dumps(data, indent=1) + "\n")
    atomic_write(out / "results.md", HEADER + row(res))


def load_results(path: Path) -> Results:
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    try:
        if not path.is_file():
            raise OSError(f"{path} is not a regular file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(f"cannot read results {path}: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise BenchError(f"{path} is not a bench results file")
    try:
        for t in data.get("tasks", []):
            t.pop("score", None)
        data.pop("mean_score", None)
        return Results.model_validate(data)
    except (ValueError, AttributeError, TypeError) as exc:
        raise BenchError(f"{path} is not a valid bench results file: {str(exc).splitlines()[0]}") from exc


def leaderboard(paths: list[Path]) -> str:
    """One Markdown table, best mean score first."""
    results = sorted((load_results(p) for p in paths), key=lambda r: (-r.mean_score, r.agent))
    return HEADER + "".join(row(r) for r in results)
