"""Skills inside the computer: copied to ``~/<skills_path>/<name>/`` at every boot, listed in the briefing.

The agent sees only each skill's name, description and SKILL.md path (progressive disclosure); it reads the
body with its normal tools when it needs it.
"""

from __future__ import annotations

import posixpath
import shutil
from pathlib import Path
from typing import Any

from agent_harness.runtime import Runtime
from agent_harness.skills.format import SkillError, load_skills
from worldbuilder.runtime.computer import Computer, SnapshotInfo


def check_skills_path(path: str) -> str:
    norm = posixpath.normpath(path.strip())
    if not path.strip() or norm.startswith(("/", "..")) or norm == ".":
        raise SkillError(f"--skills-path must be a folder inside the home (got {path!r})")
    return norm


def copy_into_run(skills_dir: Path, run_root: Path) -> Path:
    """Validate ``skills_dir`` and copy it into the run directory (the run stays self-contained)."""
    load_skills(skills_dir)
    dest = run_root / "skills"
    shutil.copytree(skills_dir, dest, dirs_exist_ok=True)
    return dest


def listing(skills_dir: Path, skills_path: str) -> list[dict[str, Any]]:
    return [{"name": s.name, "description": s.description, "path": f"{skills_path}/{s.name}/SKILL.md"}
            for s in load_skills(skills_dir)]


def install(computer: Computer, skills_dir: Path, skills_path: str) -> int:
    """Write every file of every skill into the computer; returns the number of files."""
    n = 0
    for f in sorted(Path(skills_dir).rglob("*")):
        if f.is_file() and not any(part.startswith(".") for part in f.relative_to(skills_dir).parts):
            computer.write(f"{skills_path}/{f.relative_to(skills_dir).as_posix()}", f.read_bytes())
            n += 1
    return n


class SkillsRuntime(Runtime):
    """Wraps a runtime so every booted computer (fresh, resumed, forked, restored) has the skills."""

    def __init__(self, inner: Runtime, skills_dir: Path, skills_path: str) -> None:
        self.inner, self.skills_dir, self.skills_path = inner, Path(skills_dir), skills_path
        self.kind = inner.kind

    def boot(self, ref: str) -> Computer:
        comp = self.inner.boot(ref)
        install(comp, self.skills_dir, self.skills_path)
        return comp

    def snapshot(self, computer: Computer, label: str) -> SnapshotInfo:
        return self.inner.snapshot(computer, label)

    def stop(self, computer: Computer) -> None:
        self.inner.stop(computer)

    def live(self, computer: Computer) -> dict:
        return self.inner.live(computer)

    def cleanup(self, live: dict) -> None:
        self.inner.cleanup(live)
