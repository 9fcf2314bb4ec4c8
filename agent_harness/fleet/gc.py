"""Clean-up policy: remove the per-computer images and snapshots of finished jobs.

Only images whose labels prove this project made them are candidates: a ``worldbuilder/computer-<id>``
tag whose ``org.worldbuilder.computer-id`` label is that id. With a fleet, the computer must belong to a
job of the fleet that is finished (every stage done) or quarantined, and the image must carry the
fleet's ``org.worldbuilder.fleet`` label (snapshots inherit it); without a fleet, any image a fleet
made (it carries an ``org.worldbuilder.fleet`` label) — images built by hand are never touched. Images
younger than ``keep_days`` or used by any container are kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from worldbuilder.materialize import docker_cli
from worldbuilder.materialize.docker_image import LABEL, REPO_PREFIX


@dataclass
class GcResult:
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    kept: int = 0
    bytes: int = 0


def _fleet_scope(fleet_dir: Path) -> tuple[str, set[str]]:
    """(fleet id, computer ids of its finished or quarantined jobs)."""
    from agent_harness.fleet import manifest

    cfg = manifest.load_config(fleet_dir)
    latest = manifest.latest(fleet_dir)
    ids: set[str] = set()
    for job in cfg.jobs:
        states = [latest[(job.job, s)].state if (job.job, s) in latest else "pending" for s in cfg.stages]
        if not (all(s == "done" for s in states) or "quarantined" in states):
            continue
        image = fleet_dir / "jobs" / job.job / "image.json"
        if image.is_file():
            ids.add(json.loads(image.read_text()).get("computer_id", ""))
    return cfg.fleet_id, ids - {""}


def _images() -> list[tuple[str, dict]]:
    fmt = "{{.Repository}}:{{.Tag}}"
    tags = sorted(set(docker_cli.out("images", "--filter", f"label={LABEL}.computer-id", "--format", fmt).split()))
    tags = [t for t in tags if t.startswith(REPO_PREFIX)]
    if not tags:
        return []
    from worldbuilder.materialize.docker_layer import inspect_tags

    # an image removed meanwhile (by anyone sharing the daemon) is simply not there any more
    return [(t, info) for t, info in zip(tags, inspect_tags(tags), strict=True) if info is not None]


def _in_use() -> set[str]:
    out = docker_cli.out("ps", "-a", "--format", "{{.Image}}").split()
    ids = docker_cli.out("ps", "-aq").split()
    if ids:
        images = docker_cli.out("inspect", "--format", "{{.Image}}", *ids).split()
        out += images
    return set(out)


def collect(fleet_dir: Path | None = None, keep_days: float = 7.0, dry_run: bool = False) -> GcResult:
    fleet_id, ids = _fleet_scope(Path(fleet_dir)) if fleet_dir else (None, None)
    used = _in_use()
    cutoff = time.time() - keep_days * 86400
    res = GcResult()
    base_sizes: dict[str, int] = {}
    doomed: list[tuple[str, int]] = []
    for tag, info in _images():
        labels = info["Config"].get("Labels") or {}
        cid = labels.get(f"{LABEL}.computer-id", "")
        created = datetime.fromisoformat(info["Created"][:26].rstrip("Z") + "+00:00").timestamp()
        own = tag.split(":", 1)[0] == f"{REPO_PREFIX}{cid}"
        fleet = labels.get(f"{LABEL}.fleet")
        in_scope = bool(fleet) if ids is None else (cid in ids and fleet == fleet_id)
        if not own or not in_scope:
            continue
        if created > cutoff or tag in used or info["Id"] in used:
            res.kept += 1
            continue
        base = labels.get(f"{LABEL}.base", "")
        if base and base not in base_sizes:
            proc = docker_cli.docker("image", "inspect", "-f", "{{.Size}}", base, check=False)
            base_sizes[base] = int(proc.stdout or 0) if proc.returncode == 0 else 0
        doomed.append((tag, max(0, int(info.get("Size", 0)) - base_sizes.get(base, 0))))
    gone = set(t for t, _ in doomed) if dry_run else remove_images([t for t, _ in doomed])
    for tag, size in doomed:
        if tag in gone:
            res.removed.append(tag)
            res.bytes += size
        else:
            res.failed.append(tag)
    return res


def remove_images(tags: list[str], chunk: int = 100) -> set[str]:
    """``docker rmi`` of many tags: over the API socket, else a hundred per CLI call (a failing call is
    retried tag by tag)."""
    from worldbuilder.materialize import docker_api

    api = docker_api.client()
    if api is not None:
        return {t for t in tags if api.remove_image(t) or not api.inspect_image(t)}
    gone: set[str] = set()
    for i in range(0, len(tags), chunk):
        part = tags[i:i + chunk]
        if docker_cli.docker("rmi", *part, check=False, timeout=600).returncode == 0:
            gone.update(part)
            continue
        gone.update(t for t in part if docker_cli.docker("rmi", t, check=False, timeout=120).returncode == 0
                    or not docker_cli.image_exists(t))
    return gone
