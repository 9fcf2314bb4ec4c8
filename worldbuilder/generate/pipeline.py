"""The generation pipeline: profile → world → tree → contents → validated ComputerSpec."""

from __future__ import annotations

import random
from collections.abc import Callable

from worldbuilder import __version__
from worldbuilder.errors import GenerationError
from worldbuilder.generate.base import GeneratorBackend, PlanContext, make_generator
from worldbuilder.generate.persona_parse import clean_persona
from worldbuilder.spec import ComputerSize, ComputerSpec, FileSpec, GenerationInfo, stable_id

Progress = Callable[[str, int, int], None]
SIZES = ("small", "standard", "large")


def make_backend(llm: object | None) -> GeneratorBackend:
    """The offline template generator, or the LLM generator when ``llm`` is an LLMConfig."""
    return make_generator("template") if llm is None else make_generator("llm", config=llm)


def plan_computer(persona: str, seed: int = 0, size: ComputerSize = "standard", llm: object | None = None,
                  progress: Progress | None = None) -> ComputerSpec:
    """Expand ``persona`` into a full, validated ComputerSpec (offline unless ``llm`` is a config)."""
    if size not in SIZES:
        raise GenerationError(f"unknown size {size!r} (choose small, standard or large)")
    persona = clean_persona(persona)
    backend = make_backend(llm)
    ctx = PlanContext(persona=persona, seed=seed, size=size, rng=random.Random(f"{seed}\x1f{persona}"))
    tick = progress or (lambda stage, done, total: None)
    tick("profile", 0, 1)
    profile = backend.profile(ctx)
    tick("profile", 1, 1)
    world = backend.world(profile, ctx)
    tick("world", 1, 1)
    tree = backend.tree(profile, world, ctx)
    tick("tree", 1, 1)
    contents = backend.contents(tree.files, profile, world, ctx)
    tick("plan", len(tree.files), len(tree.files))
    if len(contents) != len(tree.files):
        raise GenerationError(f"backend returned {len(contents)} contents for {len(tree.files)} files")
    files = [FileSpec(path=p.path, type=p.type, size_class=p.size_class, created=p.created, modified=p.modified,
                      content=c, duplicate_of=p.duplicate_of, exact_copy=p.exact_copy, hidden=p.hidden)
             for p, c in zip(tree.files, contents, strict=True)]
    spec = ComputerSpec(
        id=stable_id(persona, seed, size, backend.name), persona=persona,
        generation=GenerationInfo(backend=backend.name, tool_version=__version__, seed=seed, size=size,
                                  tokens=dict(ctx.tokens), llm_calls=ctx.llm_calls),
        persona_profile=ctx.persona_profile, profile=profile, world=world, layout=tree.layout, dirs=tree.dirs, files=files)
    validate_spec(spec)
    return spec


def validate_spec(spec: ComputerSpec) -> None:
    """Raise GenerationError (one line) on the first broken invariant."""
    problems = spec_problems(spec)
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise GenerationError(f"generated spec is inconsistent: {problems[0]}{more}")


def spec_problems(spec: ComputerSpec) -> list[str]:
    """Every broken invariant of a spec, as short messages."""
    out: list[str] = []
    paths = [f.path for f in spec.files]
    lower = [p.lower() for p in paths]
    if len(set(lower)) != len(lower):
        dup = next(p for p in paths if lower.count(p.lower()) > 1)
        out.append(f"duplicate path {dup}")
    dirs = {d.path: d for d in spec.dirs}
    path_set = set(paths)
    if path_set & set(dirs):
        out.append(f"path is both a file and a directory: {sorted(path_set & set(dirs))[0]}")
    end = spec.world.history_end
    ids = {p.id for p in spec.world.people} | {p.id for p in spec.world.projects} | \
          {f.id for f in spec.world.facts} | {o.id for o in spec.world.organisations}
    for f in spec.files:
        parent = f.path.rsplit("/", 1)[0] if "/" in f.path else ""
        if parent and parent not in dirs:
            out.append(f"missing directory {parent} for {f.path}")
        elif parent and dirs[parent].created > f.created:
            out.append(f"directory {parent} is younger than {f.path}")
        if f.modified < f.created:
            out.append(f"{f.path} modified before it was created")
        if f.modified > end:
            out.append(f"{f.path} modified after the computer's now ({end})")
        c = f.content
        for m in c.members:
            if m not in path_set or m == f.path:
                out.append(f"zip {f.path} bundles unknown file {m}")
        if c.email is not None:
            out += [f"e-mail {f.path} attaches unknown file {a}" for a in c.email.attachments if a not in path_set]
        if f.duplicate_of is not None and f.duplicate_of not in path_set:
            out.append(f"{f.path} duplicates unknown file {f.duplicate_of}")
        out += [f"{f.path} cites unknown world id {r}" for r in c.refs if r not in ids]
    if spec.layout.kind == "windows":  # C: holds only the user's profile; other drives are data drives
        prof = spec.layout.profile_root + "/"
        stray = [f.path for f in spec.files if f.path.startswith("C/") and not f.path.startswith(prof)]
        out += [f"{p} is on C: outside the profile {spec.layout.profile_root}" for p in stray[:3]]
    for d in spec.dirs:
        if "/" in d.path and d.path.rsplit("/", 1)[0] not in dirs:
            out.append(f"missing parent directory for {d.path}")
    if len({p.id for p in spec.world.facts}) != len(spec.world.facts):
        out.append("duplicate fact ids")
    return out
