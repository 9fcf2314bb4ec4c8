"""The fleet directory's two files: ``fleet.json`` (config) and ``manifest.jsonl`` records (see SEAMS.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from worldbuilder.fleet_stages import STAGES as STAGES  # re-exported for the driver

State = Literal["pending", "running", "done", "failed", "quarantined"]
SCHEMA_VERSION = "1"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Job(BaseModel):
    job: str  # "j0001"
    persona: str
    seed: int
    params: dict[str, Any] = Field(default_factory=dict)  # what a non-default pipeline's stages need


class FleetConfig(BaseModel):
    """``FLEET_DIR/fleet.json``: what every job goes through (written once, when the fleet is created)."""

    schema_version: str = SCHEMA_VERSION
    fleet_id: str
    pipeline: str = "computer"  # which stage functions the jobs go through (stages.PIPELINES)
    stages: list[str]
    persona_source: str  # "file:<path>" or "sample:<n>:<seed>"
    engine: str = "local"
    size: str = "standard"
    days: int = 1
    turns_per_day: int = 250
    agent: str = "offline"
    runtime: str = "docker"  # where simulate runs its computers (docker, or local for the paired pipeline)
    collaborators: str = "offline"
    max_attempts: int = 3
    backoff: float = 2.0  # seconds before the 2nd attempt; doubles after each failure
    created: str = Field(default_factory=now_iso)
    jobs: list[Job]


class Record(BaseModel):
    """One line of ``manifest.jsonl``; the latest record per (job, stage) wins."""

    job: str
    persona: str
    stage: str
    state: State
    attempt: int = 1
    started: str | None = None
    ended: str | None = None
    seconds: float | None = None
    output: str | None = None  # relative to the fleet directory
    error: str | None = None
    node: str | None = None
