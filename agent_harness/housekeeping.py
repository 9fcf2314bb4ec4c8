"""Removing runs: the run directory, its running computer and the snapshot images only it owns."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from agent_harness.models import RunConfig, SnapshotIndex
from agent_harness.runlog import RunDir, RunDirError, read_model


@dataclass
class Removal:
    root: Path
    images: list[str] = field(default_factory=list)  # snapshot tags removed
    kept: list[str] = field(default_factory=list)  # tags still used by another run next to this one
    failed: list[str] = field(default_factory=list)  # tags docker refused to remove (reason in the log)


def owned_refs(cfg: RunConfig, idx: SnapshotIndex) -> list[str]:
    """Snapshot tags this run created, newest first. A fork also lists its source's tags up to the fork day:
    those are the source's, unless the source run has been removed already (then the fork inherits them)."""
    if cfg.runtime != "docker":
        return []
    orphaned = bool(cfg.forked_from) and not (Path(cfg.forked_from.rsplit("@", 1)[0]) / "run.json").exists()
    return [s.ref for s in sorted(idx.snapshots, key=lambda s: -s.day)
            if orphaned or s.ref.endswith(f":{cfg.run_id}-{s.label}")]


def _refs_of_neighbours(root: Path) -> set[str]:
    refs: set[str] = set()
    for snaps in root.parent.glob("*/snapshots.json"):
        if snaps.parent.resolve() != root:
            try:
                refs |= {s.ref for s in read_model(snaps, SnapshotIndex).snapshots}
            except RunDirError:
                continue
    return refs


def remove_run(root: Path, keep_dir: bool = False, quiet: bool = False) -> Removal:
    """Stop the run's computer (``live.json``), remove its own snapshot images, then its directory.

    ``keep_dir`` empties the directory instead of removing it. ``quiet`` tolerates a half-created run (no
    ``run.json``), as left by a failed start."""
    run = RunDir(root)
    out = Removal(run.root)
    if not (run.run_json.exists() or quiet):
        raise RunDirError(f"{run.root} is not a run directory (no run.json)")
    cfg = read_model(run.run_json, RunConfig) if run.run_json.exists() else None
    if cfg is not None and cfg.runtime == "docker":
        _stop_live(cfg, run)
        shared = _refs_of_neighbours(run.root)
        for ref in owned_refs(cfg, run.snapshots()):
            if ref in shared:
                out.kept.append(ref)
            elif _rmi(ref):
                out.images.append(ref)
            else:
                out.failed.append(ref)
    _remove_tree(run.root, keep_dir)
    return out


def _stop_live(cfg: RunConfig, run: RunDir) -> None:
    live = run.live()
    if live.get("runtime") == "docker" and live.get("name"):
        from agent_harness.runtime import DockerRuntime

        DockerRuntime(cfg.run_id).cleanup(live)


def _rmi(ref: str) -> bool:
    from worldbuilder.materialize import docker_cli

    proc = docker_cli.docker("rmi", ref, check=False, timeout=120)
    return proc.returncode == 0 or b"no such image" in proc.stderr.lower()


def _remove_tree(root: Path, keep_dir: bool) -> None:
    if not root.exists():
        return
    if keep_dir:
        for p in root.iterdir():
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        return
    doomed = root.with_name(f".{root.name}.rm-{os.getpid()}")
    os.replace(root, doomed)  # the run disappears at once; the slow delete follows
    shutil.rmtree(doomed)
