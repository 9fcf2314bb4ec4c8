"""Skills inside the computer: copied to ``~/<skills_path>/<name>/`` at every boot, listed in the briefing.

The agent sees only each skill's name, description and SKILL.md path (progressive disclosure); it reads the
body with its normal tools when it needs it.
"""

from __future__ import annotations

import posixpath
import shutil
from pathlib import Path
from typing import Any

from agent_harness.skills.format import SkillError, load_skills
from worldbuilder.runtime.computer import Computer, SnapshotInfo, Snapshots, SSHEndpoint
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, ImageRef, RunningComputer


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


class SkillsRuntime(ComputerProvider):
    """Wraps a ComputerProvider so every booted computer (fresh, resumed, forked, restored) has the skills."""

    def __init__(self, inner: ComputerProvider, skills_dir: Path, skills_path: str) -> None:
        super().__init__(inner.limits, inner.owner, inner.workdir)
        self.inner, self.skills_dir, self.skills_path = inner, Path(skills_dir), skills_path
        self.name = inner.name  # type: ignore[misc]

    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        return self.inner.prepare(computer_dir, variant)

    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> Computer:
        comp = self.inner.boot(ref, name=name, limits=limits)
        install(comp, self.skills_dir, self.skills_path)
        return comp

    def attach(self, name: str) -> Computer:
        return self.inner.attach(name)

    def stop(self, name: str) -> None:
        self.inner.stop(name)

    def ls(self) -> list[RunningComputer]:
        return self.inner.ls()

    def snapshots(self, computer: Computer) -> Snapshots:
        return self.inner.snapshots(computer)

    def connection(self, computer: Computer) -> SSHEndpoint | None:
        return self.inner.connection(computer)

    def carry_over(self, computer: Computer, snapshot: SnapshotInfo) -> Computer:
        return self.inner.carry_over(computer, snapshot)  # the snapshot already holds the skills

    def release(self, computer: Computer) -> None:
        self.inner.release(computer)

    def reap(self) -> None:
        self.inner.reap()
