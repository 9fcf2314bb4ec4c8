"""Python API for generating, rendering and inspecting synthetic computers (the CLI is thin over this).

A computer directory holds ``spec.json`` (the ComputerSpec), ``tree/`` (the rendered files, with
modification times from the spec) and ``manifest.json`` (sha256 and size of every file); the format
lives in :mod:`worldbuilder.computer_dir`, re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from worldbuilder.computer_dir import MANIFEST_FILE, SPEC_FILE, TREE_DIR, load_computer, manifest
from worldbuilder.errors import RenderError, WorldbuilderError
from worldbuilder.output import atomic_dir
from worldbuilder.spec import ComputerSize, ComputerSpec

Progress = Callable[[str, int, int], None]  # (stage, done, total)

__all__ = ["MANIFEST_FILE", "SPEC_FILE", "TREE_DIR", "generate", "load_computer", "manifest", "plan", "render",
           "validate_persona"]


def validate_persona(persona: str) -> str:
    """The persona text, whitespace-normalised; one-line GenerationError when empty, too long or wordless."""
    from worldbuilder.generate.persona_parse import clean_persona

    return clean_persona(persona)


def plan(persona: str, seed: int = 0, size: ComputerSize = "standard", llm: object | None = None,
         progress: Progress | None = None) -> ComputerSpec:
    """Expand a persona into a full ComputerSpec (offline by default, LLM when ``llm`` is a config)."""
    from worldbuilder.generate import plan_computer

    return plan_computer(validate_persona(persona), seed=seed, size=size, llm=llm, progress=progress)


def render(spec: ComputerSpec, out: Path, force: bool = False, progress: Progress | None = None) -> Path:
    """Render a spec into computer directory ``out`` atomically."""
    from worldbuilder.render import render_tree

    out = Path(out)
    with atomic_dir(out, force=force) as tmp:
        spec.save(tmp / SPEC_FILE)
        try:
            render_tree(spec, tmp / TREE_DIR, progress=progress)
        except WorldbuilderError:
            raise
        except Exception as exc:  # a renderer bug or an inconsistent spec: one line, nothing left behind
            raise RenderError(f"cannot render computer {spec.id}: {type(exc).__name__}: {exc}") from exc
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest(tmp / TREE_DIR), indent=1) + "\n")
    return out


def generate(persona: str, out: Path, seed: int = 0, size: ComputerSize = "standard",
             llm: object | None = None, force: bool = False, progress: Progress | None = None) -> Path:
    """Plan and render a computer into ``out`` (nothing is left behind on failure)."""
    from worldbuilder.output import check_output_dir

    check_output_dir(Path(out), force)  # fail fast, before spending time on planning
    spec = plan(persona, seed=seed, size=size, llm=llm, progress=progress)
    return render(spec, out, force=force, progress=progress)
