"""Occupation profiles: the vocabulary, folders, documents and numbers of one line of work.

Each occupation is a YAML file in ``worldbuilder/generate/occupations/`` validated by
:class:`Occupation`. The offline generator draws everything occupation-specific from it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from worldbuilder import yaml_load


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricTemplate(_M):
    """A key figure this occupation tracks, e.g. ``{label: "AUM", unit: USD, low: 1e7, high: 9e8}``."""

    label: str
    unit: str = ""  # USD, EUR, %, count, hours, days, ...
    low: float
    high: float
    decimals: int = 0


class DocumentKind(_M):
    """A kind of document this occupation produces, e.g. a client review or a lesson plan."""

    kind: str  # snake_case id
    genre: str = ""  # generic document kind (SEAMS.md names); empty: inferred from kind/title/type
    title: str  # pattern with {project}, {client}, {year}, {quarter}, {month}, {person}
    types: list[str]  # preferred file types, first is most common
    folder: str  # folder pattern relative to the work root, may use {project}, {year}, {client}
    sections: list[str] = Field(default_factory=list)  # section headings for documents
    columns: list[str] = Field(default_factory=list)  # table/sheet columns
    weight: float = 1.0
    genre: str | None = None  # generic document kind (see content_offline.genres.GENRES); inferred when missing


class Occupation(_M):
    id: str  # snake_case, e.g. "financial_advisor"
    label: str  # "Financial Advisor"
    sector: str  # finance, software, education, health, legal, ...
    gdpval: str = ""  # the GDPval benchmark occupation this one covers, if any
    keywords: list[str]  # words that map a persona to this occupation
    titles: dict[Literal["junior", "mid", "senior", "lead", "executive"], list[str]]
    departments: list[str]
    employer_patterns: list[str]  # e.g. "{last} Wealth Partners", "{city} Unified School District"
    employer_domain_suffix: str = "com"  # "com", "org", "edu", "gov"
    colleague_roles: list[str]
    manager_roles: list[str]
    external_kind: str  # client, patient, student, vendor, constituent, ...
    external_roles: list[str]  # "Client", "Parent", "Patient", "Supplier account manager"
    external_org_patterns: list[str]  # patterns for client/vendor organisations
    project_patterns: list[str]  # e.g. "{client} portfolio rebalance", "Grade 9 {topic} unit"
    topics: list[str]  # nouns to fill {topic}
    # optional: department -> the topics of that sub-field, so one computer stays in one field
    topic_groups: dict[str, list[str]] = Field(default_factory=dict)
    # optional: lower-case column header -> row labels for tables (e.g. "asset class" -> [...])
    column_values: dict[str, list[str]] = Field(default_factory=dict)
    work_folders: list[str]  # top-level folders under the work root, e.g. ["Clients", "Compliance"]
    documents: list[DocumentKind]
    metrics: list[MetricTemplate]
    tools: list[str]
    vocabulary: list[str]  # domain terms that appear in prose
    work_styles: list[str]
    windows_share: float = 0.2  # probability of a Windows-style layout
    code_share: float = 1.0  # multiplier on the share of .py/.json/.toml files


def topics_for(occ: Occupation, department: str) -> list[str]:
    """The topics of one computer: the department's sub-field when the occupation groups them."""
    return list(occ.topic_groups.get(department) or occ.topics)


OCCUPATION_PACKAGE = "worldbuilder.generate.occupations"


@lru_cache(maxsize=1)
def load_occupations() -> dict[str, Occupation]:
    """All built-in occupations keyed by id."""
    out: dict[str, Occupation] = {}
    for entry in sorted(resources.files(OCCUPATION_PACKAGE).iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            occ = Occupation.model_validate(yaml_load.safe_load(entry.read_text(encoding="utf-8")))
            out[occ.id] = occ
    return out
