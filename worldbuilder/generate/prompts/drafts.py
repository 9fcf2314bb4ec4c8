"""LLM-facing schemas: slimmer and more forgiving than the spec models (unknown keys are ignored).

The LLM answers with these; :mod:`worldbuilder.generate.prompts.convert` repairs them and builds the
real spec models (Profile, World, TreePlan, ContentSpec).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from worldbuilder.spec import Block, Chart, Sheet, Slide


class Draft(BaseModel):
    model_config = ConfigDict(extra="ignore")


Seniority = Literal["junior", "mid", "senior", "lead", "executive"]


class ProfileDraft(Draft):
    full_name: str = Field(min_length=3)
    job_title: str
    employer: str
    employer_domain: str = ""  # e-mail domain of the employer, e.g. "northpeak-wealth.com"
    occupation: str  # closest known occupation id, or a new snake_case id
    occupation_label: str
    sector: str
    seniority: Seniority
    department: str = ""
    location: str
    timezone: str  # IANA name, e.g. "America/Denver"
    work_style: str
    tools: list[str] = Field(default_factory=list)
    career_start: date


class OrganisationDraft(Draft):
    id: str
    name: str
    kind: Literal["employer", "client", "vendor", "partner", "regulator", "school", "other"] = "other"
    domain: str = ""
    address: str = ""


class PersonDraft(Draft):
    id: str
    name: str
    email: str = ""
    role: str
    organisation: str  # organisation id
    relation: Literal["manager", "colleague", "report", "external", "family", "friend"] = "colleague"
    kind: str = "colleague"
    phone: str = ""


class MilestoneDraft(Draft):
    name: str
    due: date
    done: bool = False


class ProjectDraft(Draft):
    id: str
    name: str
    code: str = ""
    description: str = ""
    owner: str = ""  # person id
    members: list[str] = Field(default_factory=list)
    client: str | None = None  # organisation id
    start: date
    end: date
    status: Literal["planned", "active", "on_hold", "completed", "cancelled"] = "active"
    budget: float | None = None
    milestones: list[MilestoneDraft] = Field(default_factory=list)


class FactDraft(Draft):
    id: str
    label: str
    value: float
    unit: str = ""
    display: str  # exact text every file must use
    project: str | None = None
    as_of: date | None = None


class WorldDraft(Draft):
    organisations: list[OrganisationDraft] = Field(min_length=1)
    people: list[PersonDraft] = Field(min_length=1)
    projects: list[ProjectDraft] = Field(min_length=1)
    facts: list[FactDraft] = Field(min_length=1)
    history_start: datetime
    history_end: datetime
    vocabulary: list[str] = Field(default_factory=list)


class FolderDraft(Draft):
    path: str  # relative to the home / profile folder
    purpose: str = ""
    files: int = Field(ge=0, le=200)


class FolderPlanDraft(Draft):
    os: Literal["linux", "windows"] = "linux"
    folders: list[FolderDraft] = Field(min_length=1)


class FileDraft(Draft):
    name: str  # file name with extension
    type: str
    kind: str = "document"
    title: str = ""
    size_class: str = "small"
    created: datetime
    modified: datetime
    refs: list[str] = Field(default_factory=list)
    project: str | None = None


class FileBatchDraft(Draft):
    files: list[FileDraft]


# --------------------------------------------------------------------------- content, by file type


class ContentDraft(Draft):
    title: str = ""
    author: str = ""
    summary: str = ""
    refs: list[str] = Field(default_factory=list)  # ids of people, projects, facts cited


class DocumentDraft(ContentDraft):
    blocks: list[Block] = Field(min_length=1)
    header: str = ""
    footer: str = ""


class SheetDraft(ContentDraft):
    sheets: list[Sheet] = Field(min_length=1)


class SlidesDraft(ContentDraft):
    slides: list[Slide] = Field(min_length=1)


class ChartDraft(ContentDraft):
    chart: Chart


class EmailBody(Draft):
    sender: str  # "Name <address>"
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    subject: str
    date: datetime
    body: str


class EmailDraft(ContentDraft):
    email: EmailBody


class EventBody(Draft):
    summary: str
    start: datetime
    end: datetime
    location: str = ""
    description: str = ""
    attendees: list[str] = Field(default_factory=list)


class EventsDraft(ContentDraft):
    events: list[EventBody] = Field(min_length=1)


class DataDraft(ContentDraft):
    data: Any  # json: any value; jsonl: a list of objects; toml: an object (no nulls)

    @field_validator("data")
    @classmethod
    def _present(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("data must not be null")
        return v


class CodeDraft(ContentDraft):
    text: str = Field(min_length=1)  # the full Python source

    @field_validator("text")
    @classmethod
    def _compiles(cls, v: str) -> str:
        v = strip_fences(v)
        try:
            compile(v, "<file>", "exec")
        except SyntaxError as exc:
            raise ValueError(f"Python syntax error on line {exc.lineno}: {exc.msg}") from None
        return v


class TextDraft(ContentDraft):
    text: str = Field(min_length=1)  # the whole file as plain text / Markdown


def strip_fences(text: str) -> str:
    """Remove one surrounding ``` fence (with optional language tag) if present."""
    lines = text.strip("\n").splitlines()
    if len(lines) >= 2 and lines[0].lstrip().startswith("```") and lines[-1].strip() == "```":
        return "\n".join(lines[1:-1]) + "\n"
    return text


# file type -> (draft schema, guidance for the prompt)
CONTENT_DRAFTS: dict[str, tuple[type[ContentDraft], str]] = {
    "docx": (DocumentDraft, "A Word document: 'blocks' (headings, paragraphs, bullets, tables, charts)."),
    "pdf": (DocumentDraft, "A PDF document: 'blocks' (headings, paragraphs, bullets, tables, charts)."),
    "md": (TextDraft, "A Markdown file: 'text' is the whole Markdown source."),
    "txt": (TextDraft, "A plain-text file (notes, log, readme): 'text' is the whole file."),
    "xlsx": (SheetDraft, "A spreadsheet: 'sheets' with columns and rows (numbers as numbers; formulas "
             "like =SUM(B2:B9) go in {\"formula\": ..., \"value\": <its result>} cells)."),
    "csv": (SheetDraft, "A CSV export: one sheet with columns and rows (plain values, no formulas)."),
    "pptx": (SlidesDraft, "A slide deck: 'slides' (first one layout 'title'), bullets, optional table/chart."),
    "png": (ChartDraft, "A chart image: 'chart' with categories and numeric series."),
    "eml": (EmailDraft, "An e-mail: 'email' with sender \"Name <address>\", to, cc, subject, date, body."),
    "ics": (EventsDraft, "A calendar file: 'events' (summary, start, end, location, attendees' e-mails)."),
    "json": (DataDraft, "A JSON file: 'data' is its whole value (config, export, records)."),
    "jsonl": (DataDraft, "A JSON Lines file: 'data' is a list of objects, one per line."),
    "toml": (DataDraft, "A TOML file: 'data' is an object (tables and values; no nulls)."),
    "py": (CodeDraft, "A Python script: 'text' is the full, syntactically valid source."),
}
