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

from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize import docker_sdk
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
    with docker_sdk.translated("images"):
        found = docker_sdk.api().images(filters={"label": f"{LABEL}.computer-id"})
    tags = sorted({t for img in found for t in img.get("RepoTags") or [] if t.startswith(REPO_PREFIX)})
    infos = [(t, docker_sdk.image_info(t)) for t in tags]
    return [(t, info) for t, info in infos if info is not None]


def _in_use() -> set[str]:
    """Images (as named and by id) of every container, running or not."""
    with docker_sdk.translated("ps"):
        found = docker_sdk.api().containers(all=True)
    return {x for c in found for x in (c.get("Image", ""), c.get("ImageID", "")) if x}


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
            base_sizes[base] = int((docker_sdk.image_info(base) or {}).get("Size", 0))
        doomed.append((tag, max(0, int(info.get("Size", 0)) - base_sizes.get(base, 0))))
    gone = set(t for t, _ in doomed) if dry_run else remove_images([t for t, _ in doomed])
    for tag, size in doomed:
        if tag in gone:
            res.removed.append(tag)
            res.bytes += size
        else:
            res.failed.append(tag)
    return res


def remove_images(tags: list[str]) -> set[str]:
    """Remove many image tags through the daemon's API (one request each, no process); the tags gone."""
    gone: set[str] = set()
    for tag in tags:
        try:
            with docker_sdk.translated("rmi", subject=tag):
                docker_sdk.api().remove_image(tag)
        except WorldbuilderError:
            if docker_sdk.image_info(tag) is not None:
                continue
        gone.add(tag)
    return gone
