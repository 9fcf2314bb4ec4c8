"""Fleet status (counts per stage) and the fleet report (throughput, failures, scores, disk)."""

from __future__ import annotations

import json
import os
import statistics
from datetime import datetime
from pathlib import Path

from agent_harness.fleet import manifest
from agent_harness.fleet.faults import cause
from agent_harness.fleet.models import FleetConfig, Record

REPORT_FILE = "fleet_report.json"
STATES = ("pending", "running", "failed", "done", "quarantined")


def counts(cfg: FleetConfig, latest: dict[tuple[str, str], Record]) -> dict[str, dict[str, int]]:
    """Per stage: how many jobs are pending / running / failed (awaiting retry) / done / quarantined.

    A job quarantined at an earlier stage counts as quarantined for every later stage too."""
    out = {s: dict.fromkeys(STATES, 0) for s in cfg.stages}
    for job in cfg.jobs:
        blocked = False
        for stage in cfg.stages:
            rec = latest.get((job.job, stage))
            state = "quarantined" if blocked else (rec.state if rec else "pending")
            blocked = blocked or state == "quarantined"
            out[stage][state] += 1
    return out


def _ts(s: str | None) -> float | None:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() if s else None


def throughput(records: list[Record]) -> dict[str, dict]:
    """Per stage: jobs done, median/mean seconds per job, busy worker-seconds, wall span (first start to
    last end; stages of different jobs overlap) and jobs per minute over that span."""
    out: dict[str, dict] = {}
    for stage in dict.fromkeys(r.stage for r in records):
        done = [r for r in records if r.stage == stage and r.state == "done"]
        if not done:
            continue
        secs = [r.seconds or 0.0 for r in done]
        starts = [t for r in done if (t := _ts(r.started)) is not None]
        ends = [t for r in done if (t := _ts(r.ended)) is not None]
        wall = max(ends) - min(starts) if starts and ends else 0.0
        out[stage] = {"done": len(done), "median_s": round(statistics.median(secs), 3),
                      "mean_s": round(statistics.fmean(secs), 3), "busy_s": round(sum(secs), 2),
                      "wall_s": round(wall, 2),
                      "per_min": round(len(done) / wall * 60, 2) if wall > 0 else None,
                      "nodes": sorted({r.node for r in done if r.node})}
    return out


def _du(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    return total


def _score(run_dir: Path) -> dict | None:
    path = run_dir / "judgement.json"
    if not path.is_file():
        return None
    try:
        total = json.loads(path.read_text()).get("total") or {}
    except (OSError, ValueError):
        return None
    return {"points": total.get("points"), "max": total.get("max")}


def build_report(fleet_dir: Path) -> dict:
    fleet_dir = Path(fleet_dir)
    cfg = manifest.load_config(fleet_dir)
    recs = list(manifest.records(fleet_dir))
    latest = {(r.job, r.stage): r for r in recs}
    terminal = [r for r in recs if r.state in ("failed", "quarantined")]
    by_cause: dict[str, int] = {}
    for r in terminal:
        by_cause[cause(r.error)] = by_cause.get(cause(r.error), 0) + 1
    jobs = []
    for job in cfg.jobs:
        jd = fleet_dir / "jobs" / job.job
        image = json.loads((jd / "image.json").read_text()) if (jd / "image.json").is_file() else {}
        quarantined = [r for (j, _), r in latest.items() if j == job.job and r.state == "quarantined"]
        jobs.append({"job": job.job, "persona": job.persona,
                     "state": "quarantined" if quarantined else "done" if all(
                         (latest.get((job.job, s)) or Record(job="", persona="", stage=s, state="pending")).state
                         == "done" for s in cfg.stages) else "incomplete",
                     "error": quarantined[0].error if quarantined else None,
                     "score": _score(jd / "run"),
                     "disk": {"computer": _du(jd / "computer"), "run": _du(jd / "run"),
                              "image_layer": image.get("layer_size"), "image_total": image.get("size")}})
    return {"fleet": cfg.fleet_id, "stages": cfg.stages, "jobs_total": len(cfg.jobs),
            "counts": counts(cfg, latest), "throughput": throughput(recs),
            "failures": {"by_cause": by_cause, "attempts_failed": sum(r.state == "failed" for r in recs),
                         "quarantined": sum(j["state"] == "quarantined" for j in jobs)},
            "duplicated_done": sum(1 for n in _done_counts(recs).values() if n > 1), "jobs": jobs}


def _done_counts(recs: list[Record]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for r in recs:
        if r.state == "done":
            out[(r.job, r.stage)] = out.get((r.job, r.stage), 0) + 1
    return out


def write_report(fleet_dir: Path) -> tuple[dict, Path]:
    rep = build_report(fleet_dir)
    path = Path(fleet_dir) / REPORT_FILE
    tmp = path.with_name(f".{REPORT_FILE}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(rep, indent=1) + "\n")
    os.replace(tmp, path)
    return rep, path
