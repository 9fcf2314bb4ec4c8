"""The LLM generator: every stage asks an OpenAI-compatible chat API for JSON, then repairs it.

Stages and calls: persona (1: the PersonaProfile, validated against the same schema as the offline parse),
profile (1, given the PersonaProfile and the locale pack), world (1), tree (1 for the folders + 1 per folder for its files, run
concurrently), content (1 per file, run concurrently; zip files need none). Answers are validated against
the slim schemas of :mod:`worldbuilder.generate.prompts.drafts` (invalid answers are fed back and retried)
and repaired into spec models by :mod:`~worldbuilder.generate.prompts.convert`: unsafe paths are cleaned,
types and extensions reconciled, times clamped into the world's history, unknown ids dropped, and a fact
stays in a file's ``refs`` only if its exact ``display`` text occurs in the content.

Failure policy: if the profile, world or tree answers stay invalid, or the API cannot be reached after
retries, generation stops with a one-line :class:`~worldbuilder.errors.GenerationError` (nothing usable to
fall back on). A single file whose content stays invalid gets a minimal deterministic placeholder
(:func:`~worldbuilder.generate.prompts.content.fallback_content`) and a warning in the log, so one bad
answer does not sink a whole computer.

Token usage and logical call counts (cached answers included, so reruns give identical specs) are added
to ``ctx.tokens`` (``prompt``, ``completion``, ``total`` and ``<stage>_total``) and ``ctx.llm_calls``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from worldbuilder.errors import GenerationError
from worldbuilder.generate import prompts
from worldbuilder.generate.base import SIZE_FILES, FilePlan, GeneratorBackend, PlanContext, TreePlan
from worldbuilder.generate.locale import locale_pack
from worldbuilder.generate.occupation import load_occupations
from worldbuilder.generate.persona_parse import parse_persona
from worldbuilder.generate.prompts.content import fallback_content, to_content
from worldbuilder.generate.prompts.convert import folders_of, layout_for, to_file_plan, to_profile, to_world
from worldbuilder.generate.prompts.drafts import (
    CONTENT_DRAFTS,
    FileBatchDraft,
    FolderPlanDraft,
    ProfileDraft,
    WorldDraft,
)
from worldbuilder.llm import InvalidOutput, LLMClient, LLMConfig, Usage
from worldbuilder.persona_profile import PERSONA_PROFILE_VERSION, PersonaProfile
from worldbuilder.spec import ContentSpec, DirSpec, Profile, World

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
MAX_FILES_PER_CALL = 40
ZIP_MEMBERS = 4


class LLMGenerator(GeneratorBackend):
    """GeneratorBackend over :class:`~worldbuilder.llm.LLMClient`."""

    def __init__(self, config: LLMConfig, client: LLMClient | None = None) -> None:
        self.config = config
        self.client = client or LLMClient(config)
        self.name = f"llm:{config.model}"
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ stages
    def profile(self, ctx: PlanContext) -> Profile:
        occupations = {k: o.label for k, o in load_occupations().items()}
        pp = self.persona_profile(ctx)
        pack = locale_pack(pp.country or "US")
        locale = {"country": pack.country, "currency": pack.currency, "paper_size": pack.paper_size,
                  "phone_format": pack.phone_formats[0], "date_format": pack.date_format,
                  "institutions": pack.terms}
        who = pp.model_dump(exclude={"version", "source", "assumed"})
        messages = prompts.profile_prompt(ctx.persona, occupations, who, locale)
        draft = self._ask(ctx, "profile", messages, ProfileDraft)
        profile = to_profile(draft).model_copy(update={"country": pack.country, "currency": pack.currency,
                                                       "paper_size": pack.paper_size})
        ctx.occupation_id = profile.occupation if profile.occupation in occupations else _nearest(ctx.persona)
        return profile

    def persona_profile(self, ctx: PlanContext) -> PersonaProfile:
        """The persona read by the model as a PersonaProfile (the offline parse if the answer stays invalid);
        a place the model leaves out is filled from the offline place table. Sets ``ctx.persona_profile``."""
        offline = parse_persona(ctx.persona)
        try:
            pp = self._ask(ctx, "persona", prompts.persona_prompt(ctx.persona), PersonaProfile)
            pp = pp.model_copy(update={"version": PERSONA_PROFILE_VERSION, "source": self.name})
        except InvalidOutput as exc:
            log.warning("%s: offline persona parse used (%s)", self.name, exc)
            pp = offline
        if not pp.country or len(pp.country) != 2:
            pp = pp.model_copy(update={"city": pp.city or offline.city, "region": pp.region or offline.region,
                                       "country": offline.country or "US"})
        ctx.persona_profile = pp.model_copy(update={"country": pp.country.upper()})
        return ctx.persona_profile

    def world(self, profile: Profile, ctx: PlanContext) -> World:
        draft = self._ask(ctx, "world", prompts.world_prompt(ctx.persona, profile, ctx.size), WorldDraft)
        return to_world(draft, profile)

    def tree(self, profile: Profile, world: World, ctx: PlanContext) -> TreePlan:
        target = SIZE_FILES.get(ctx.size, SIZE_FILES["standard"])
        plan = self._ask(ctx, "tree", prompts.folders_prompt(profile, world, target), FolderPlanDraft)
        uses_d = any(f.path.replace("\\", "/").upper().startswith(("D:/", "D/")) for f in plan.folders)
        layout = layout_for(plan.os, profile, uses_d)
        folders = folders_of(plan, layout)
        if not folders:
            raise GenerationError(f"{self.name}: the folder plan has no usable folder")

        def batch(item: tuple[str, str, int]) -> FileBatchDraft:
            folder, purpose, count = item
            messages = prompts.files_prompt(profile, world, folder, purpose, min(count, MAX_FILES_PER_CALL))
            return self._ask(ctx, "tree", messages, FileBatchDraft)

        batches = self.client.map(batch, folders)
        files = self._file_plans(folders, batches, world)
        if not files:
            raise GenerationError(f"{self.name}: the tree plan has no usable file")
        self._link_zips(files, ctx)
        return TreePlan(layout=layout, dirs=_dirs(files, [f[0] for f in folders], world.history_start),
                        files=files)

    def content(self, plan: FilePlan, profile: Profile, world: World, ctx: PlanContext) -> ContentSpec:
        if plan.type == "zip":
            return ContentSpec(kind=plan.kind, title=plan.title, author=profile.full_name,
                               members=list(plan.members), refs=[])
        schema, guidance = CONTENT_DRAFTS[plan.type]
        messages = prompts.content_prompt(plan, profile, world, guidance)
        try:
            draft = self._ask(ctx, "content", messages, schema)
            return to_content(draft, plan, profile, world)
        except InvalidOutput as exc:
            log.warning("%s: placeholder content for %s (%s)", self.name, plan.path, exc)
        except ValueError as exc:  # a draft that validated but could not be repaired into a ContentSpec
            log.warning("%s: placeholder content for %s (unrepairable answer: %s)", self.name, plan.path,
                        str(exc).splitlines()[0])
        return fallback_content(plan, profile, world)

    def contents(self, plans: list[FilePlan], profile: Profile, world: World,
                 ctx: PlanContext) -> list[ContentSpec]:
        return self.client.map(lambda p: self.content(p, profile, world, ctx), plans)

    # ------------------------------------------------------------------ helpers
    def _ask(self, ctx: PlanContext, stage: str, messages: list[dict], schema: type[M]) -> M:
        try:
            obj, usage = self.client.chat_json(messages, schema, role=stage, seed=ctx.seed)
        except InvalidOutput as exc:
            self._record(ctx, stage, exc.usage)
            raise
        self._record(ctx, stage, usage)
        return obj

    def _record(self, ctx: PlanContext, stage: str, usage: Usage) -> None:
        with self._lock:
            t = ctx.tokens
            for key, value in (("prompt", usage.prompt_tokens), ("completion", usage.completion_tokens),
                               ("total", usage.total_tokens), (f"{stage}_total", usage.total_tokens)):
                t[key] = t.get(key, 0) + value
            ctx.llm_calls += usage.calls

    @staticmethod
    def _file_plans(folders: list[tuple[str, str, int]], batches: list[FileBatchDraft],
                    world: World) -> list[FilePlan]:
        taken: set[str] = set()
        out: list[FilePlan] = []
        for (folder, _, count), batch in zip(folders, batches, strict=True):
            for draft in batch.files[:count]:
                plan = to_file_plan(draft, folder, world, taken)
                if plan is None:
                    log.info("dropping planned file %r in %r: unusable type %r", draft.name, folder, draft.type)
                    continue
                out.append(plan)
        return sorted(out, key=lambda f: f.path)

    @staticmethod
    def _link_zips(files: list[FilePlan], ctx: PlanContext) -> None:
        """Each zip bundles a few other (non-zip) files, preferably from its own folder."""
        others = [f.path for f in files if f.type != "zip"]
        for i, f in enumerate(files):
            if f.type != "zip":
                continue
            folder = f.path.rpartition("/")[0]
            near = [p for p in others if p.rpartition("/")[0] == folder] or others
            rng = ctx.child_rng("zip", f.path)
            files[i] = f.model_copy(update={"members": sorted(rng.sample(near, min(ZIP_MEMBERS, len(near))))})


def _dirs(files: list[FilePlan], folders: list[str], start: datetime) -> list[DirSpec]:
    """Every folder and ancestor, created no later than the oldest file beneath it."""
    created: dict[str, datetime] = {}
    for f in files:
        for d in _ancestors(f.path.rpartition("/")[0]):
            created[d] = min(created.get(d, f.created), f.created)
    for folder in folders:
        for d in _ancestors(folder):
            created.setdefault(d, start)
    return [DirSpec(path=d, created=t, hidden=any(p.startswith(".") for p in d.split("/")))
            for d, t in sorted(created.items())]


def _nearest(persona: str) -> str | None:
    """The closest built-in occupation to the persona (for stages that draw on occupation data)."""
    try:
        from worldbuilder.generate.match import match_persona

        return match_persona(persona).occupation.id
    except (ImportError, GenerationError, StopIteration, ValueError):
        return None


def _ancestors(path: str) -> list[str]:
    parts = path.split("/") if path else []
    return ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
