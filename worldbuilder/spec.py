"""ComputerSpec: the versioned, serialisable description of one synthetic computer.

Every stage talks through these models: a generator fills them, renderers read them,
materializers and the harness consume them. Saved as JSON (canonical) or YAML.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from worldbuilder import yaml_load
from worldbuilder.errors import WorldbuilderError
from worldbuilder.persona_profile import PersonaProfile

SCHEMA_VERSION = "1.0"
SPEC_FILE_CAP = 256 << 20  # bytes: the largest spec file load() reads

FILE_TYPES = (
    "docx", "xlsx", "pptx", "pdf", "png", "py", "txt", "md", "json", "jsonl",
    "toml", "csv", "eml", "ics", "zip", "jpg", "mp3", "vcf", "mp4", "heic",
)
FileType = Literal[
    "docx", "xlsx", "pptx", "pdf", "png", "py", "txt", "md", "json", "jsonl",
    "toml", "csv", "eml", "ics", "zip", "jpg", "mp3", "vcf", "mp4", "heic",
]
SizeClass = Literal["tiny", "small", "medium", "large"]
ComputerSize = Literal["small", "standard", "large"]


class Model(BaseModel):
    """Base: strict about unknown fields so malformed specs fail loudly."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="constants")  # NaN written as json.dumps does


# --------------------------------------------------------------------------- profile


class Profile(Model):
    full_name: str
    first_name: str
    last_name: str
    username: str
    email: str
    occupation: str  # occupation id, e.g. "financial_advisor"
    occupation_label: str
    sector: str
    employer: str
    job_title: str
    seniority: Literal["junior", "mid", "senior", "lead", "executive"]
    department: str = ""
    location: str
    timezone: str
    locale: str = "en_US.UTF-8"
    country: str = "US"  # ISO 3166-1 alpha-2; selects the locale pack
    currency: str = "USD"  # ISO 4217; every money amount is formatted with fill.money(value, currency)
    paper_size: Literal["letter", "a4"] = "letter"
    work_style: str
    tools: list[str] = Field(default_factory=list)
    career_start: date
    uid: int = 1000
    shell: str = "/bin/bash"


# --------------------------------------------------------------------------- world


class Person(Model):
    id: str  # stable reference id, e.g. "p03"
    name: str
    email: str
    role: str
    organisation: str  # organisation id
    relation: Literal["manager", "colleague", "report", "external", "family", "friend"]
    kind: str = "colleague"  # client, patient, student, vendor, regulator, ... for externals
    phone: str = ""


class Organisation(Model):
    id: str
    name: str
    kind: Literal["employer", "client", "vendor", "partner", "regulator", "school", "other"]
    domain: str  # e-mail domain
    address: str = ""


class Milestone(Model):
    name: str
    due: date
    done: bool = False


class Project(Model):
    id: str
    name: str
    code: str  # short code used in file names, e.g. "ORION"
    description: str
    owner: str  # person id
    members: list[str] = Field(default_factory=list)  # person ids
    client: str | None = None  # organisation id
    start: date
    end: date
    status: Literal["planned", "active", "on_hold", "completed", "cancelled"]
    budget: float | None = None
    milestones: list[Milestone] = Field(default_factory=list)


class Fact(Model):
    """A tracked key figure. Every file that cites it must show ``display`` exactly."""

    id: str  # e.g. "f07"
    label: str  # e.g. "Q3 revenue"
    value: float
    unit: str = ""  # "USD", "%", "patients", ...
    display: str  # canonical rendering, e.g. "$1,245,300"
    project: str | None = None
    as_of: date | None = None


class World(Model):
    organisations: list[Organisation]
    people: list[Person]
    projects: list[Project]
    facts: list[Fact]
    history_start: datetime  # earliest file time
    history_end: datetime  # "now" for the computer (latest modification)
    vocabulary: list[str] = Field(default_factory=list)

    def person(self, pid: str) -> Person:
        return next(p for p in self.people if p.id == pid)

    def project(self, pid: str) -> Project:
        return next(p for p in self.projects if p.id == pid)

    def fact(self, fid: str) -> Fact:
        return next(f for f in self.facts if f.id == fid)

    def organisation(self, oid: str) -> Organisation:
        return next(o for o in self.organisations if o.id == oid)


# --------------------------------------------------------------------------- layout


def safe_relpath(v: str, what: str = "path", allow_empty: bool = False) -> str:
    """``v`` if it is a relative, normalised POSIX path (no '/', '.', '..' or empty parts, no '\\' or NUL)."""
    if not isinstance(v, str) or (v == "" and allow_empty):
        return v
    parts = v.split("/")
    if not v or v.startswith("/") or "\\" in v or any(c in v for c in "\x00\n\r") \
            or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{what} must be a relative, normalised POSIX path without '..': {v!r}")
    return v


class Layout(Model):
    """Where the user's files live.

    ``linux``: paths are relative to the home (``/home/<username>``).
    ``windows``: the first path component is a drive letter folder (``C`` or ``D``);
    ``C/Users/<Name>/...`` is the profile folder, ``D/...`` a data drive.
    Every path is checked here, whatever made the spec (generator, LLM or a user's file).
    """

    kind: Literal["linux", "windows"] = "linux"
    home: str  # absolute home in the target system, e.g. /home/jdoe or C:\\Users\\jdoe
    drives: dict[str, str] = Field(default_factory=dict)  # "C:" -> "C", "D:" -> "D"
    profile_root: str = ""  # relative path of the user's profile folder ("" on linux)

    @field_validator("home")
    @classmethod
    def _home(cls, v: str) -> str:
        parts = v.replace("\\", "/").split("/")
        if not v or any(c in v for c in "\x00\n\r") or any(p in (".", "..") for p in parts):
            raise ValueError(f"layout.home must be an absolute path without '.' or '..': {v!r}")
        return v

    @field_validator("drives")
    @classmethod
    def _drives(cls, v: dict[str, str]) -> dict[str, str]:
        for letter, folder in v.items():
            if not re.match(r"^[A-Za-z]:$", letter) or not re.match(r"^[A-Za-z0-9_-][A-Za-z0-9_ -]{0,31}$", folder):
                raise ValueError(f"bad drive mapping {letter!r} -> {folder!r} (a letter with ':' -> a folder name)")
        return v

    @field_validator("profile_root")
    @classmethod
    def _profile_root(cls, v: str) -> str:
        return safe_relpath(v, "layout.profile_root", allow_empty=True)

    @model_validator(mode="after")
    def _on_a_drive(self) -> Layout:
        if self.kind == "linux" and self.profile_root:
            raise ValueError("layout.profile_root must be empty for a linux layout (the home is the root)")
        if self.kind == "windows" and self.profile_root and self.profile_root.split("/")[0] not in self.roots():
            raise ValueError(f"layout.profile_root {self.profile_root!r} is not on a drive ({', '.join(self.roots())})")
        return self

    def roots(self) -> list[str]:
        """Top-level folders a spec path may start with (windows); [] means any (linux: the home)."""
        return sorted(self.drives.values() or ["C"]) if self.kind == "windows" else []


# --------------------------------------------------------------------------- content


class Heading(Model):
    type: Literal["heading"] = "heading"
    text: str
    level: int = 1


class Paragraph(Model):
    type: Literal["paragraph"] = "paragraph"
    text: str


class Bullets(Model):
    type: Literal["bullets"] = "bullets"
    items: list[str]
    numbered: bool = False


class Table(Model):
    type: Literal["table"] = "table"
    columns: list[str]
    rows: list[list[Any]]
    caption: str = ""


class Series(Model):
    name: str
    values: list[float]


class Chart(Model):
    type: Literal["chart"] = "chart"
    kind: Literal["bar", "line", "pie", "column"] = "bar"
    title: str
    categories: list[str]
    series: list[Series]
    x_label: str = ""
    y_label: str = ""


class PageBreak(Model):
    type: Literal["pagebreak"] = "pagebreak"


class Image(Model):
    """A photo-like picture (site photo, product shot, scanned figure), drawn deterministically from ``seed``."""

    type: Literal["image"] = "image"
    seed: str
    width: int = 1600  # pixels
    height: int = 1200
    caption: str = ""


Block = Annotated[
    Heading | Paragraph | Bullets | Table | Chart | PageBreak | Image, Field(discriminator="type")
]


class Cell(Model):
    """A typed spreadsheet cell. ``formula`` (e.g. ``=SUM(B2:B5)``) must evaluate to ``value``."""

    value: Any = None
    formula: str | None = None
    number_format: str | None = None
    bold: bool = False


CellLike = Cell | str | bool | int | float | None


class Sheet(Model):
    name: str
    columns: list[str]
    rows: list[list[CellLike]]
    column_widths: list[float] = Field(default_factory=list)
    chart: Chart | None = None
    freeze_header: bool = True


class Slide(Model):
    title: str
    subtitle: str = ""
    bullets: list[str] = Field(default_factory=list)
    table: Table | None = None
    chart: Chart | None = None
    notes: str = ""
    layout: Literal["title", "content"] = "content"


class Email(Model):
    sender: str  # "Name <addr>"
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    subject: str
    date: datetime
    body: str
    message_id: str
    in_reply_to: str | None = None
    attachments: list[str] = Field(default_factory=list)  # file paths (spec paths) to attach


class Event(Model):
    uid: str
    summary: str
    start: datetime
    end: datetime
    location: str = ""
    description: str = ""
    attendees: list[str] = Field(default_factory=list)  # e-mail addresses


class ContentSpec(Model):
    """Structured content of one file; renderers turn it into bytes.

    Which fields a renderer uses depends on its type: documents (docx, pdf, md, txt) use
    ``blocks``; xlsx and csv use ``sheets``; pptx uses ``slides``; png uses ``chart``;
    eml uses ``email``; ics uses ``events``; json/jsonl/toml use ``data``; py, txt and md
    may use ``text`` verbatim; zip uses ``members`` (spec paths of other files).
    """

    kind: str  # document kind, e.g. "board_memo", "invoice", "lesson_plan"
    title: str
    author: str = ""
    summary: str = ""
    blocks: list[Block] = Field(default_factory=list)
    sheets: list[Sheet] = Field(default_factory=list)
    slides: list[Slide] = Field(default_factory=list)
    chart: Chart | None = None
    email: Email | None = None
    events: list[Event] = Field(default_factory=list)
    data: Any = None
    text: str | None = None
    members: list[str] = Field(default_factory=list)
    header: str = ""
    footer: str = ""
    refs: list[str] = Field(default_factory=list)  # world ids referenced: people, projects, facts


# --------------------------------------------------------------------------- tree


class DirSpec(Model):
    path: str  # POSIX, relative to the layout root
    created: datetime
    hidden: bool = False

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        return safe_relpath(v, "dir path")


class FileSpec(Model):
    path: str  # POSIX, relative to the layout root
    type: FileType
    size_class: SizeClass = "small"
    created: datetime
    modified: datetime
    content: ContentSpec
    duplicate_of: str | None = None  # near-duplicate source path, if any
    exact_copy: bool = False  # with duplicate_of: a byte-identical copy (a "name (1).ext" download)
    hidden: bool = False

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        return safe_relpath(v, "file path")


class GenerationInfo(Model):
    backend: str  # "offline" or "llm:<model>"
    tool_version: str
    seed: int
    size: ComputerSize
    tokens: dict[str, int] = Field(default_factory=dict)  # prompt/completion/total
    llm_calls: int = 0


class ComputerSpec(Model):
    schema_version: str = SCHEMA_VERSION
    id: str  # stable: derived from persona + seed + size + backend
    persona: str
    generation: GenerationInfo
    persona_profile: PersonaProfile | None = None  # who the persona is (seed-free), read by the backend
    profile: Profile
    world: World
    layout: Layout
    dirs: list[DirSpec] = Field(default_factory=list)
    files: list[FileSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _paths_on_drives(self) -> ComputerSpec:
        roots = self.layout.roots()
        if roots:
            for p in [d.path for d in self.dirs] + [f.path for f in self.files]:
                if p.split("/")[0] not in roots:
                    raise ValueError(f"path {p!r} is not on a drive of the windows layout ({', '.join(roots)})")
        return self

    # ------------------------------------------------------------------ io
    def to_json(self) -> str:
        """The spec as indented JSON (pydantic's serialiser: the same text as ``json.dumps(model_dump(mode="json"),
        indent=1, ensure_ascii=False)``, except exponent spelling of floats, in a fifth of the time)."""
        return self.model_dump_json(indent=1) + "\n"

    def content_hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        text = self.to_json()
        if path.suffix in (".yaml", ".yml"):
            text = yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> ComputerSpec:
        """Load a spec file, or a computer directory holding ``spec.json``."""
        path = Path(path)
        if path.is_dir():
            path = path / "spec.json"
        if not path.exists():
            raise SpecError(f"spec not found: {path}")
        if not path.is_file() or path.stat().st_size > SPEC_FILE_CAP:
            raise SpecError(f"spec {path} is not a regular file of at most {SPEC_FILE_CAP >> 20} MB")
        try:
            raw = path.read_text(encoding="utf-8")
            data = yaml_load.safe_load(raw) if path.suffix in (".yaml", ".yml") else json.loads(raw)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise SpecError(f"malformed spec {path}: {str(exc).splitlines()[0]}") from exc
        if not isinstance(data, dict):
            raise SpecError(f"malformed spec {path}: top level is not a mapping")
        if str(data.get("schema_version", "")).split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise SpecError(f"unsupported spec schema_version {data.get('schema_version')!r} in {path}")
        try:
            return cls.model_validate(data)
        except Exception as exc:  # pydantic.ValidationError
            first = str(exc).splitlines()
            detail = " ".join(first[1:3]).strip() if len(first) > 1 else str(exc)
            raise SpecError(f"invalid spec {path}: {detail}") from exc

    # ------------------------------------------------------------------ helpers
    def file(self, path: str) -> FileSpec:
        return next(f for f in self.files if f.path == path)

    @property
    def home_root(self) -> str:
        """Relative path, inside the staging tree, of the user's home/profile folder."""
        return self.layout.profile_root


class SpecError(WorldbuilderError):
    """A spec file is missing, malformed or invalid."""


def stable_id(*parts: Any) -> str:
    """Short deterministic id from arbitrary parts."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return h[:12]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)
