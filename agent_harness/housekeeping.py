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


def owned_refs(cfg: RunConfig, idx: SnapshotIndex, root: Path) -> list[str]:
    """Snapshot tags this run may remove, newest first, as verified against Docker's own labels.

    An image is this run's when its ``org.worldbuilder.run`` label is the run id and its ``run-dir`` label
    is this directory (so a copied run directory owns nothing). A fork also inherits the images of its
    source's days once the source directory is gone: tags listed in its snapshots.json whose labels name the
    ``forked_from`` directory. Nothing is taken from a file without that check."""
    if cfg.runtime != "docker":
        return []
    from worldbuilder.materialize import docker_sdk
    from worldbuilder.materialize.docker_image import LABEL, REPO_PREFIX

    here = str(root.resolve())
    src = cfg.forked_from.rsplit("@", 1)[0] if cfg.forked_from else None
    src_dir = str(Path(src).resolve()) if src else None
    src_gone = bool(src) and not (Path(src) / "run.json").exists()
    with docker_sdk.translated("images"):
        found = docker_sdk.api().images(filters={"label": f"{LABEL}.run={cfg.run_id}"})
    mine = {t for img in found for t in img.get("RepoTags") or [] if t.startswith(REPO_PREFIX)}
    out = []
    for s in sorted(idx.snapshots, key=lambda s: -s.day):
        info = docker_sdk.image_info(s.ref) if s.ref.startswith(REPO_PREFIX) else None
        if info is None:
            continue
        labels = (info.get("Config") or {}).get("Labels") or {}
        run_dir = labels.get(f"{LABEL}.run-dir")
        if (s.ref in mine and run_dir == here) or (src_gone and run_dir == src_dir and labels.get(f"{LABEL}.run")):
            out.append(s.ref)
    listed = set(out)
    for ref in sorted(mine - listed):  # this run's images not (or no longer) in snapshots.json
        if docker_sdk.image_labels(ref).get(f"{LABEL}.run-dir") == here:
            out.append(ref)
    return out


def _refs_of_neighbours(root: Path) -> set[str]:
    refs: set[str] = set()
    for snaps in root.parent.glob("*/snapshots.json"):
        if snaps.parent.resolve() != root.resolve():
            try:
                refs |= {s.ref for s in read_model(snaps, SnapshotIndex).snapshots}
            except RunDirError:
                continue
    return refs


def remove_run(root: Path, keep_dir: bool = False, quiet: bool = False) -> Removal:
    """Stop the run's computers and remove its own snapshot images (both verified by Docker labels carrying
    this run's id and directory; ``live.json`` and image names in files are never trusted), then the directory.

    ``keep_dir`` empties the directory instead of removing it. ``quiet`` tolerates a half-created run (no
    ``run.json``), as left by a failed start."""
    run = RunDir(root)
    out = Removal(run.root)
    if not (run.run_json.exists() or quiet):
        raise RunDirError(f"{run.root} is not a run directory (no run.json)")
    cfg = read_model(run.run_json, RunConfig) if run.run_json.exists() else None
    if cfg is not None:
        from agent_harness.runtime import run_provider

        run_provider(cfg.runtime, cfg.run_id, run.root).reap()
    if cfg is not None and cfg.runtime == "docker":
        shared = _refs_of_neighbours(run.root)
        try:
            idx = run.snapshots()
        except RunDirError:
            idx = SnapshotIndex()
        for ref in owned_refs(cfg, idx, run.root):
            if ref in shared:
                out.kept.append(ref)
            elif _rmi(ref):
                out.images.append(ref)
            else:
                out.failed.append(ref)
    _remove_tree(run.root, keep_dir)
    return out


def _rmi(ref: str) -> bool:
    from worldbuilder.errors import ImageNotFound, WorldbuilderError
    from worldbuilder.materialize import docker_sdk

    try:
        with docker_sdk.translated("rmi", subject=ref):
            docker_sdk.api().remove_image(ref)
    except ImageNotFound:
        return True
    except WorldbuilderError as exc:
        return getattr(exc, "status", None) == 404
    return True


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
