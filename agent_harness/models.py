"""Pydantic models for every record the harness writes (stable, versioned formats)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

HARNESS_FORMAT = "1.0"
OutputFormat = Literal["docx", "xlsx", "pptx", "md", "pdf"]


class Rec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OmitUnset(Rec):
    """A record whose ``OPTIONAL`` fields are left out of its JSON while they hold their default, so lines
    written before those fields existed and lines written now are byte-identical (backward compatible)."""

    OPTIONAL: ClassVar[dict[str, Any]] = {}

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        for name, default in self.OPTIONAL.items():
            if name in data and data[name] == default:
                del data[name]
        return data


# --------------------------------------------------------------------------- objectives


class Criterion(Rec):
    """One checkable rubric item. ``check`` is machine-readable for a judge."""

    id: str  # "dlv_001.c03"
    text: str
    points: int
    check: dict[str, Any]  # {"type": "fact_cited"|"section"|"file_valid"|"source_used"|"change"|"correction", ...}


class ExpectedOutput(Rec):
    path: str  # relative to the home
    format: OutputFormat
    sheet: str | None = None  # xlsx: a required sheet name


class Stakeholder(Rec):
    id: str
    name: str
    role: str


class ScenarioEvent(OmitUnset):
    """A hidden, scheduled collaborator move: a changed requirement, a correction or a stakeholder request.
    ``override`` (a correction of a source cell): {"source", "sheet", "row", "column", "value"}."""

    OPTIONAL: ClassVar[dict[str, Any]] = {"override": None}

    day: int
    kind: Literal["change", "correction", "request"]  # request: a stakeholder's own (possibly conflicting) ask
    deliverable: str
    person: str  # person id
    detail: str
    section: str | None = None  # change: a section to add
    fact: str | None = None  # correction: fact id
    old: str | None = None
    new: str | None = None
    override: dict[str, Any] | None = None


class Deliverable(Rec):
    id: str  # "dlv_001"
    title: str
    description: str
    project: str | None = None
    stakeholders: list[Stakeholder]
    due_day: int
    outputs: list[ExpectedOutput]
    sources: list[str]  # existing paths relative to the home
    facts: list[str] = Field(default_factory=list)  # fact ids to use
    sections: list[str] = Field(default_factory=list)  # required section headings
    rubric: list[Criterion]
    start_day: int = 1  # the day the work can start (staggered windows)
    depends_on: list[str] = Field(default_factory=list)  # deliverable ids whose results this one uses
    kind: str = ""  # the occupation's deliverable kind, e.g. "variance memo"
    asks: list[dict[str, Any]] = Field(default_factory=list)  # derived results requested (no expected values)

    @property
    def points(self) -> int:
        return sum(c.points for c in self.rubric)


class Objectives(OmitUnset):
    OPTIONAL: ClassVar[dict[str, Any]] = {"rescaled_from": None, "away": {}}

    format: str = HARNESS_FORMAT
    computer_id: str
    user: str
    occupation: str
    backend: str
    days: int
    deliverables: list[Deliverable]
    scenario: list[ScenarioEvent] = Field(default_factory=list)
    rescaled_from: int | None = None  # the day count the objectives were written for, when rescaled
    away: dict[str, list[int]] = Field(default_factory=dict)  # person id -> days out of office (calendar)

    @property
    def total_points(self) -> int:
        return sum(d.points for d in self.deliverables)

    def deliverable(self, did: str) -> Deliverable:
        return next(d for d in self.deliverables if d.id == did)


# --------------------------------------------------------------------------- logs


class TurnRecord(OmitUnset):
    """One turn. ``rolled_back`` (only present when true): the turn belongs to an attempt at a day that was
    abandoned when the computer died; the day was restarted from the previous day's snapshot."""

    OPTIONAL: ClassVar[dict[str, Any]] = {"rolled_back": False}

    turn: int
    day: int
    actor: str  # "agent", "collaborator:<id>", "harness"
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: str = ""  # truncated
    error: bool = False
    duration_ms: float = 0.0
    tokens: dict[str, int] = Field(default_factory=dict)  # prompt/completion
    rolled_back: bool = False


class MessageRecord(OmitUnset):
    OPTIONAL: ClassVar[dict[str, Any]] = {"rolled_back": False}

    id: str
    day: int
    direction: Literal["to_user", "from_user"]
    sender: str  # person id or "user"
    to: list[str]
    subject: str
    body: str
    kind: str = "message"  # kickoff, reply, review, change, correction, reminder, approval, message
    deliverable: str | None = None
    in_reply_to: str | None = None
    rolled_back: bool = False  # sent in an abandoned attempt at a day (see TurnRecord)


class SnapshotRecord(Rec):
    label: str
    day: int
    ref: str
    date: date
    turn: int  # last turn number included
    created: datetime
    seconds: float = 0.0


class SnapshotIndex(Rec):
    snapshots: list[SnapshotRecord] = Field(default_factory=list)

    def last(self) -> SnapshotRecord | None:
        return max(self.snapshots, key=lambda s: s.day) if self.snapshots else None

    def get(self, day: int) -> SnapshotRecord | None:
        return next((s for s in self.snapshots if s.day == day), None)


class Limits(Rec):
    max_turns: int | None = Field(default=None, gt=0)
    max_wall: float | None = Field(default=None, gt=0)  # seconds
    max_tokens: int | None = Field(default=None, gt=0)


DELIVERABLE_CAP = 100 * 1024 * 1024  # bytes copied out per submitted file
DELIVERABLES_RUN_CAP = 1024 * 1024 * 1024  # bytes of copied deliverables per run


class RefusedFile(Rec):
    """A submitted file the harness refused to copy out of the computer (too large, not a regular file,
    a link leaving the home, or the computer's answer failed); the run goes on without it."""

    deliverable: str
    path: str
    day: int
    reason: str


class RunConfig(Rec):
    """``run.json``: everything needed to resume (never secrets)."""

    format: str = HARNESS_FORMAT
    run_id: str
    computer: str  # computer directory
    runtime: Literal["docker", "qemu", "libvirt", "local", "windows-qemu"]
    image: str  # image ref (docker) or tree dir (local) the run started from
    days: int
    turns_per_day: int
    start_date: date
    agent: str  # "offline", "openai:MODEL", "external"
    collaborators: str  # "offline", "openai:MODEL"
    limits: Limits = Field(default_factory=Limits)
    command_timeout: float = Field(default=60.0, gt=0)
    external_day_seconds: float = Field(default=600.0, gt=0)
    forked_from: str | None = None
    llm_base_url: str | None = None
    deliverable_cap: int = Field(default=DELIVERABLE_CAP, gt=0)  # bytes per submitted file
    deliverables_run_cap: int = Field(default=DELIVERABLES_RUN_CAP, gt=0)  # bytes of all copied deliverables
    disk_quota: str | None = "2g"  # docker: what the computer may write over its image (None: no quota)
    skills: str | None = None  # skills directory installed in the computer at every boot (a copy in the run dir)
    skills_path: str = ".skills"  # where, relative to the home


class DayStats(Rec):
    day: int
    date: date
    turns: int = 0
    errors: int = 0
    messages_in: int = 0
    messages_out: int = 0
    wall_seconds: float = 0.0
    snapshot_seconds: float = 0.0
    restarts: int = 0  # times the day was restarted from the previous snapshot (dead computer)
    ended: str = ""  # why the day ended early, when the harness ended it (e.g. the disk quota)


class Summary(Rec):
    format: str = HARNESS_FORMAT
    run_id: str
    status: Literal["running", "completed", "stopped", "failed", "degraded"]
    stop_reason: str = ""
    days_completed: int
    turns: int
    errors: int
    error_rate: float
    wall_seconds: float
    tokens: dict[str, dict[str, int]] = Field(default_factory=dict)  # role -> prompt/completion
    deliverables: dict[str, list[str]] = Field(default_factory=dict)  # id -> submitted paths
    restores: int = 0
    per_day: list[DayStats] = Field(default_factory=list)
    rolled_back_turns: int = 0  # agent turns of abandoned day attempts (not in ``turns``/``errors``)
    refused: list[RefusedFile] = Field(default_factory=list)  # submitted files not copied out, and why


class RunState(Rec):
    """Checkpoint written at each boundary next to the snapshot (``state/day-NN.json``)."""

    day: int
    turn: int
    wall_seconds: float
    tokens: dict[str, dict[str, int]] = Field(default_factory=dict)
    collaborators: dict[str, Any] = Field(default_factory=dict)
    agent: dict[str, Any] = Field(default_factory=dict)
    submissions: dict[str, list[str]] = Field(default_factory=dict)
    restores: int = 0
    per_day: list[DayStats] = Field(default_factory=list)
    refused: list[RefusedFile] = Field(default_factory=list)
