"""``bench export --format harbor``: one Harbor (Terminal-Bench style) task directory per deliverable.

Each task::

    task.toml             [task] name, [metadata], [verifier], [agent], [environment] docker_image (the
                          computer at day N, keys made at boot), cpus, memory_mb, network_mode = "no-network",
                          workdir (the home), skills_dir when given
    instruction.md        the deliverable's briefing (no rubric)
    environment/Dockerfile  FROM the image
    tests/test.sh         runs tests/grade.py -> /logs/verifier/reward.json (+ grading.json per criterion)
    tests/grade.py, tests/grading.json, tests/wbjudge/   the judge's own scoring modules (harbor_tests.py)
    solution/solve.sh     (--solution) puts the source run's submitted files in place

The images are the same key-free images a bundle holds; they are loaded into the local daemon so
the tags resolve (push them with ``worldbuilder image push`` or share a bundle for other machines).
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
from pathlib import Path, PurePosixPath

import tomli_w

from agent_harness.bench.errors import BenchError
from agent_harness.bench.export import export_bundle
from agent_harness.bench.harbor_tests import write_tests
from agent_harness.bench.layers import image_loaded, load_image
from agent_harness.bench.model import TaskEntry
from agent_harness.bench.single import single_objectives
from agent_harness.bench.sources import Source, resolve
from agent_harness.judge.rundata import computer_view
from agent_harness.models import Deliverable
from agent_harness.paths import home_of
from agent_harness.runlog import RunDir
from worldbuilder.spec import ComputerSpec


def export_harbor(sources: list[Path], out: Path, day: int = 0, skills_dir: str | None = None,
                  solution: bool = False, cpus: float = 1.0, memory_mb: int = 1024,
                  deliverables: list[str] | None = None, log=None) -> list[Path]:
    """Write the task directories (one per deliverable, or per deliverable in ``deliverables``) under ``out``
    (created atomically); return them."""
    out = Path(out)
    if out.exists():
        raise BenchError(f"{out} already exists")
    if skills_dir is not None and (not skills_dir.strip() or "\x00" in skills_dir
                                   or ".." in PurePosixPath(skills_dir).parts):
        raise BenchError(f"--skills-dir {skills_dir!r} must be a plain path inside the environment (no '..')")
    resolved = [resolve(p, day) for p in sources]
    wanted = set(deliverables or ["all"])
    if unknown := wanted - {"all"} - {d.id for s in resolved for d in s.objectives.deliverables}:
        raise BenchError(f"no exported computer has deliverable {sorted(unknown)[0]!r}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(f"cannot write {out}: {exc.strerror or exc}") from exc
    tmp = out.with_name(f".{out.name}.tmp-{secrets.token_hex(3)}")
    try:
        manifest = export_bundle(sources, tmp / "bundle", day=day, log=log)
        for t in manifest.tasks:
            if not image_loaded(t.image):
                load_image(t.image, tmp / "bundle")
        shutil.rmtree(tmp / "bundle")
        names = []
        for src, task in zip(resolved, manifest.tasks, strict=True):
            for d in src.objectives.deliverables:
                if "all" not in wanted and d.id not in wanted:
                    continue
                names.append(_task(tmp / f"{task.id}-{d.id.replace('_', '-')}", src, task, d, skills_dir,
                                   solution, cpus, memory_mb))
        os.replace(tmp, out)
        return [out / n for n in names]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _task(d: Path, src: Source, task: TaskEntry, dlv: Deliverable, skills_dir: str | None, solution: bool,
          cpus: float, memory_mb: int) -> str:
    home = home_of(src.spec)
    one, dropped = single_objectives(src.objectives, dlv.id)
    env = {"docker_image": task.image.tag, "cpus": cpus, "memory_mb": memory_mb, "network_mode": "no-network",
           "workdir": home}
    if skills_dir:
        env["skills_dir"] = skills_dir
    config = {"task": {"name": f"worldbuilder/{d.name}", "description": dlv.title},
              "metadata": {"source": "worldbuilder", "computer_id": src.spec.id, "deliverable": dlv.id,
                           "day": src.day, "points": sum(c.points for c in one.deliverables[0].rubric),
                           "dropped_criteria": dropped},
              "verifier": {"timeout_sec": 300.0}, "agent": {"timeout_sec": 3600.0}, "environment": env}
    (d / "environment").mkdir(parents=True)
    (d / "task.toml").write_text(tomli_w.dumps(config), encoding="utf-8")
    (d / "instruction.md").write_text(instruction(src.spec, dlv, home), encoding="utf-8")
    (d / "environment" / "Dockerfile").write_text(f"FROM {task.image.tag}\n", encoding="utf-8")
    sources = computer_view(str(src.computer), tuple(sorted(dlv.sources)))[3] if src.computer else {}
    write_tests(d / "tests", src.spec, one, home, one.days, sources)
    if solution:
        _solution(d / "solution", src, dlv, home)
    return d.name


def instruction(spec: ComputerSpec, dlv: Deliverable, home: str) -> str:
    """What the agent is told for one deliverable (Harbor instruction.md, inspect Sample input): no rubric."""
    facts = {f.id: f.label for f in spec.world.facts}
    lines = [f"# {dlv.title}", "", f"You are working on {spec.profile.full_name}'s computer "
             f"({spec.profile.job_title}, {spec.profile.employer}); the home folder is `{home}`.", "",
             dlv.description, "", "## Write these files (paths relative to the home)", ""]
    lines += [f"- `{o.path}` ({o.format}{f', with a sheet named {o.sheet!r}' if o.sheet else ''})"
              for o in dlv.outputs]
    if dlv.sections:
        lines += ["", "## Sections to include", ""] + [f"- {s}" for s in dlv.sections]
    if dlv.facts:
        lines += ["", "## Key figures to use (find their current values in the files)", ""]
        lines += [f"- {facts.get(f, f)}" for f in dlv.facts]
    if dlv.sources:
        lines += ["", "## Sources on the computer", ""] + [f"- `{s}`" for s in dlv.sources]
    lines += ["", "Stakeholders: " + ", ".join(f"{s.name} ({s.role})" for s in dlv.stakeholders) + "."]
    return "\n".join(lines) + "\n"


def _solution(d: Path, src: Source, dlv: Deliverable, home: str) -> None:
    """solve.sh copying the source run's submitted files (matched by file name) to the output paths."""
    submitted = RunDir(src.path).deliverables_dir / dlv.id if (src.path / "run.json").is_file() else None
    files = {p.name: p for p in submitted.iterdir()} if submitted and submitted.is_dir() else {}
    script = ["#!/bin/bash", "set -euo pipefail", 'here="$(cd "$(dirname "$0")" && pwd)"']
    (d / "files").mkdir(parents=True)
    for o in dlv.outputs:
        name = o.path.rsplit("/", 1)[-1]
        if name in files:
            shutil.copy2(files[name], d / "files" / name)
            dest = shlex.quote(o.path if o.path.startswith("/") else f"{home}/{o.path}")
            script += [f"mkdir -p \"$(dirname {dest})\"", f"cp \"$here/files/{name}\" {dest}"]
    (d / "solve.sh").write_text("\n".join(script) + "\n", encoding="utf-8")
    (d / "solve.sh").chmod(0o755)
