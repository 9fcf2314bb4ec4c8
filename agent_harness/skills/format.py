"""The Agent Skills folder format: ``SKILL.md`` (YAML frontmatter + body), ``provenance.json``, optional
``scripts/`` and ``reference/``. One place for the limits, the parser, the writer and the validator.

A skill body may carry a machine-readable procedure as a fenced block whose first line is ``procedure:``::

    ```yaml
    procedure:
      - read_all_sources
    ```

Steps are names from :data:`STEPS`; agents that understand them (the weakened scripted agent) follow them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from worldbuilder.errors import WorldbuilderError

NAME_MAX, DESCRIPTION_MAX, BODY_MAX_LINES = 64, 1024, 500
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_RE = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n?(.*)\Z", re.DOTALL)
PROC_RE = re.compile(r"```(?:ya?ml)?\s*\n(procedure:\s*\n.*?)```", re.DOTALL)
STEPS = {
    "read_all_sources": "read every listed source file, not just the first one",
    "recheck_inbox_before_submit": "re-read the whole inbox (msg inbox --all) and apply changes and corrections "
                                   "before every submit",
    "write_exact_output_paths": "write each output at exactly the path the briefing gives, then check it exists",
    "ask_stakeholder_for_missing_figures": "ask the first stakeholder for figures the sources do not give",
    "share_draft_for_review": "send each draft to a stakeholder for review before the due day",
}


class SkillError(WorldbuilderError):
    """A skill folder that breaks the format (one line, names the skill and the field)."""


@dataclass
class Skill:
    name: str
    description: str
    body: str
    procedure: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    scripts: dict[str, str] = field(default_factory=dict)  # file name -> text
    reference: dict[str, str] = field(default_factory=dict)

    def skill_md(self) -> str:
        front: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.metadata:
            front["metadata"] = self.metadata
        body = self.body.rstrip() + "\n"
        if self.procedure and not PROC_RE.search(body):
            body += "\n```yaml\n" + yaml.safe_dump({"procedure": self.procedure}, sort_keys=False) + "```\n"
        return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000) + "---\n\n" + body


def parse_skill_md(text: str, where: str = "SKILL.md") -> Skill:
    """Parse and check one ``SKILL.md``; a :class:`SkillError` names what is wrong."""
    m = FRONT_RE.match(text)
    if not m:
        raise SkillError(f"{where}: no YAML frontmatter (the file must start with a '---' block)")
    try:
        front = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        raise SkillError(f"{where}: frontmatter is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(front, dict):
        raise SkillError(f"{where}: frontmatter must be a mapping with name and description")
    name, desc, body = front.get("name"), front.get("description"), m.group(2)
    if not isinstance(name, str) or not name:
        raise SkillError(f"{where}: frontmatter field 'name' is missing")
    if len(name) > NAME_MAX:
        raise SkillError(f"{where}: name is {len(name)} characters (at most {NAME_MAX})")
    if not NAME_RE.match(name):
        raise SkillError(f"{where}: name {name!r} must be lowercase letters, digits and single hyphens")
    if not isinstance(desc, str) or not desc.strip():
        raise SkillError(f"{where}: frontmatter field 'description' is missing")
    if len(desc) > DESCRIPTION_MAX:
        raise SkillError(f"{where}: description is {len(desc)} characters (at most {DESCRIPTION_MAX})")
    if len(body.splitlines()) >= BODY_MAX_LINES:
        raise SkillError(f"{where}: body has {len(body.splitlines())} lines (must be under {BODY_MAX_LINES})")
    return Skill(name=name, description=desc.strip(), body=body, procedure=parse_procedure(body, where),
                 metadata=front.get("metadata") or {})


def parse_procedure(body: str, where: str = "SKILL.md") -> list[str]:
    m = PROC_RE.search(body)
    if not m:
        return []
    try:
        steps = (yaml.safe_load(m.group(1)) or {}).get("procedure") or []
    except (yaml.YAMLError, AttributeError):
        raise SkillError(f"{where}: the procedure block is not valid YAML") from None
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        raise SkillError(f"{where}: procedure must be a list of step names")
    return steps


def load_skill(folder: Path) -> Skill:
    md = folder / "SKILL.md"
    if not md.is_file():
        raise SkillError(f"{folder.name}: no SKILL.md")
    skill = parse_skill_md(md.read_text(encoding="utf-8", errors="replace"), f"{folder.name}/SKILL.md")
    if skill.name != folder.name:
        raise SkillError(f"{folder.name}/SKILL.md: name {skill.name!r} differs from its folder name")
    prov = folder / "provenance.json"
    if prov.exists():
        try:
            skill.provenance = json.loads(prov.read_text())
        except ValueError:
            raise SkillError(f"{folder.name}/provenance.json: not valid JSON") from None
    return skill


def load_skills(directory: Path) -> list[Skill]:
    """Every skill folder under ``directory`` (sorted by name), validated; the first bad one raises."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SkillError(f"{directory}: not a skills directory")
    folders = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise SkillError(f"{directory}: no skill folders")
    return [load_skill(f) for f in folders]


def write_skills(skills: list[Skill], out: Path) -> None:
    """Write all skills into ``out`` atomically (a sibling temp dir renamed over it)."""
    out = Path(out).absolute()
    check_replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise SkillError(f"cannot write skills to {out}: {exc.strerror or exc}") from exc
    try:
        for s in skills:
            d = tmp / s.name
            d.mkdir()
            (d / "SKILL.md").write_text(s.skill_md(), encoding="utf-8")
            (d / "provenance.json").write_text(json.dumps(s.provenance, indent=1, sort_keys=True) + "\n")
            for sub, files in (("scripts", s.scripts), ("reference", s.reference)):
                for fname, text in files.items():
                    (d / sub).mkdir(exist_ok=True)
                    (d / sub / fname).write_text(text, encoding="utf-8")
            load_skill(d)  # never write a skill that does not validate
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SkillError(f"cannot write skills to {out}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_replaceable(out: Path) -> None:
    """``out`` may be replaced: it does not exist, or it is a real folder of skill folders only (never a
    computer, a run, the current directory or any other folder that holds something else)."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SkillError(f"--out {out} exists and is not a skills directory")
    if not out.exists():
        return
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise SkillError(f"--out {out} holds the current directory; give a new skills directory")
    other = [p.name for p in out.iterdir()
             if not p.name.startswith(".") and not (p.is_dir() and (p / "SKILL.md").is_file())]
    if other:
        raise SkillError(f"--out {out} exists and holds {other[0]!r}, not a skill folder; refusing to replace it")
