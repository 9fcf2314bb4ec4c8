"""The generator interface: four stages, each a narrow call that returns validated models.

A backend (offline templates, or an LLM) implements :class:`GeneratorBackend`; the pipeline in
:mod:`worldbuilder.generate.pipeline` drives the stages in order and assembles the ComputerSpec.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import Field

from worldbuilder.spec import (
    ComputerSize,
    ContentSpec,
    DirSpec,
    FileType,
    Layout,
    Model,
    Profile,
    SizeClass,
    World,
)

# Number of files per computer size (targets; backends aim at these).
SIZE_FILES: dict[str, int] = {"small": 60, "standard": 200, "large": 600}


class FilePlan(Model):
    """A file before its content exists: where it goes, what it is, what it draws on."""

    path: str
    type: FileType
    kind: str  # document kind (from the occupation) or a generic kind ("download", "config", ...)
    title: str
    size_class: SizeClass = "small"
    created: datetime
    modified: datetime
    refs: list[str] = Field(default_factory=list)  # world ids it should cite (people, projects, facts)
    project: str | None = None
    duplicate_of: str | None = None
    exact_copy: bool = False  # byte-identical copy of duplicate_of
    hidden: bool = False
    target_bytes: int = 0  # size the content aims at (drawn from the file-size model); 0 = no target
    members: list[str] = Field(default_factory=list)  # zip: files it bundles; thumbnail/trash info: its source
    thread: list[str] = Field(default_factory=list)  # e-mail: earlier messages of its thread, oldest first


class TreePlan(Model):
    layout: Layout
    dirs: list[DirSpec]
    files: list[FilePlan]


@dataclass
class PlanContext:
    """Everything a stage may need besides its inputs. ``rng`` is the one seeded RNG for the computer."""

    persona: str
    seed: int
    size: ComputerSize
    rng: random.Random
    occupation_id: str | None = None  # set by the pipeline after profile() (nearest occupation)
    occupation: object | None = None  # the Occupation profile() chose (template, composed, localized)
    persona_profile: object | None = None  # the PersonaProfile profile() read from the persona
    tokens: dict[str, int] = field(default_factory=dict)
    llm_calls: int = 0

    def identity_rng(self, *parts: object) -> random.Random:
        """An RNG keyed by the persona alone, for choices that are part of who the person is (not the seed)."""
        return random.Random(f"identity\x1f{self.persona}\x1f" + "\x1f".join(map(str, parts)))

    def child_rng(self, *parts: object) -> random.Random:
        """An independent RNG for a sub-task, stable regardless of the order of other draws."""
        return random.Random(f"{self.seed}\x1f{self.persona}\x1f" + "\x1f".join(map(str, parts)))


# The generator plug-in map (see worldbuilder.plugins): name -> "module:Class"; ``llm`` takes ``config``.
GENERATORS: dict[str, str] = {
    "template": "worldbuilder.generate.template:TemplateGenerator",
    "llm": "worldbuilder.generate.llm_backend:LLMGenerator",
}


def make_generator(name: str, **options: object) -> GeneratorBackend:
    """The generator registered as ``name`` (``config=`` an LLMConfig for ``llm``)."""
    from worldbuilder.errors import GenerationError
    from worldbuilder.plugins import make

    return make("generator", GENERATORS, name, GenerationError, **options)


class GeneratorBackend(ABC):
    """One way of producing the four stages of a computer."""

    name: str = "abstract"

    @abstractmethod
    def profile(self, ctx: PlanContext) -> Profile:
        """Expand the persona into a user profile (sets ``ctx.occupation_id``)."""

    @abstractmethod
    def world(self, profile: Profile, ctx: PlanContext) -> World:
        """Employer, colleagues, externals, organisations, projects, tracked facts, history span."""

    @abstractmethod
    def tree(self, profile: Profile, world: World, ctx: PlanContext) -> TreePlan:
        """Layout, directories and file plans (no content yet)."""

    @abstractmethod
    def content(self, plan: FilePlan, profile: Profile, world: World, ctx: PlanContext) -> ContentSpec:
        """Structured content of one file; must cite ``world.facts`` by their exact ``display``."""

    def contents(self, plans: list[FilePlan], profile: Profile, world: World,
                 ctx: PlanContext) -> list[ContentSpec]:
        """Content for many files; backends may override to run requests concurrently."""
        return [self.content(p, profile, world, ctx) for p in plans]
