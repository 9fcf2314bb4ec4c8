"""The bundle format (``benchmark.json`` and per-task files); the one place its contract lives.

A bundle directory (or the same tree in a ``.tar.zst``)::

    benchmark.json                 format, name, version, created-by, tasks, sha256 of every other file
    blobs/sha256/<hex>             content-addressed: image configs and (uncompressed) layer tars
    tasks/<task>/task.json         what the task is: computer id, day, image (config + layer digests)
    tasks/<task>/spec.json         the computer's spec
    tasks/<task>/briefing.json     what the agent is told (deliverables without rubrics)
    tasks/<task>/grader/objectives.json   objectives WITH rubrics and the hidden scenario
    tasks/<task>/grader/tree/...          the computer's source files the deliverables name (for the judge)
    tasks/<task>/grader/grader.json       judge + simulation settings (+ reference scores); ``deliverable``
                                          set: a single-deliverable task (see bench/single.py)

The agent-visible part (``briefing.json``, the image) never holds the rubric; the grader part is
only read by ``bench run`` and graders. Layers are stored once per bundle, by digest, so the
shared base image is counted once however many tasks use it.
"""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

FORMAT = "worldbuilder-bench"
FORMAT_VERSION = 1
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
TASK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
MANIFEST = "benchmark.json"
BLOBS = "blobs/sha256"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageSet(Strict):
    """A docker image as content-addressed blobs: its config and its layers, bottom first."""

    tag: str  # tag given to the image when loaded (agent-visible, keys generated at boot)
    config: str
    layers: list[str]

    @field_validator("config")
    @classmethod
    def _digest(cls, v: str) -> str:
        if not DIGEST_RE.match(v):
            raise ValueError(f"not a sha256 digest: {v!r}")
        return v

    @field_validator("layers")
    @classmethod
    def _digests(cls, v: list[str]) -> list[str]:
        for d in v:
            cls._digest(d)
        return v


class TaskEntry(Strict):
    id: str
    computer_id: str
    day: int
    deliverables: list[str]
    image: ImageSet

    @field_validator("id")
    @classmethod
    def _task_id(cls, v: str) -> str:
        if not TASK_ID_RE.match(v):
            raise ValueError(f"invalid task id {v!r}")
        return v


class SimSettings(Strict):
    days: int
    turns_per_day: int
    collaborators: str = "offline"
    start_date: date | None = None
    command_timeout: float = 60.0


class ReferenceScore(Strict):
    """The source run's judgement (totals only), kept to compare re-runs against."""

    points: float
    max: float
    deliverables: dict[str, list[float]] = Field(default_factory=dict)  # id -> [points, max]


class GraderConfig(Strict):
    judge: str = "offline"
    samples: int = 1
    sim: SimSettings
    reference: ReferenceScore | None = None
    cpus: float = 1.0
    memory: str = "1g"
    deliverable: str | None = None  # a single-deliverable task: run until it is submitted, judge it alone
    dropped: list[str] = Field(default_factory=list)  # its simulation-only criteria left out of the rubric


class Manifest(Strict):
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    name: str
    version: str
    created_by: str
    created: str
    tasks: list[TaskEntry]
    files: dict[str, str]  # path relative to the bundle -> sha256:<hex> (every file but benchmark.json)

    def task(self, task_id: str) -> TaskEntry:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)


def task_dir(task_id: str) -> str:
    return f"tasks/{task_id}"


def blob_path(digest: str) -> str:
    return f"{BLOBS}/{digest.split(':', 1)[1]}"
