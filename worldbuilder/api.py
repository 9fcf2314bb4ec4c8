"""Python API for generating, rendering and inspecting synthetic computers (the CLI is thin over this).

A computer directory holds ``spec.json`` (the ComputerSpec), ``tree/`` (the rendered files, with
modification times from the spec) and ``manifest.json`` (sha256 and size of every file).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from worldbuilder.errors import RenderError, WorldbuilderError
from worldbuilder.output import atomic_dir
from worldbuilder.spec import ComputerSize, ComputerSpec

Progress = Callable[[str, int, int], None]  # (stage, done, total)

SPEC_FILE = "spec.json"
TREE_DIR = "tree"
MANIFEST_FILE = "manifest.json"


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


def manifest(tree: Path) -> dict[str, dict[str, object]]:
    """sha256 and size of every file under ``tree`` (POSIX relative paths, sorted)."""
    out: dict[str, dict[str, object]] = {}
    for p in sorted(tree.rglob("*")):
        if p.is_file() and not p.is_symlink():
            data = p.read_bytes()
            out[p.relative_to(tree).as_posix()] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return out


def load_computer(path: Path) -> tuple[ComputerSpec, Path | None]:
    """Load a computer directory or a bare spec file: (spec, tree or None)."""
    path = Path(path)
    spec = ComputerSpec.load(path)
    tree = path / TREE_DIR if path.is_dir() and (path / TREE_DIR).is_dir() else None
    return spec, tree
