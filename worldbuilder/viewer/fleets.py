"""Read a fleet directory: fleet.json (config) and manifest.jsonl (append-only job records; the latest
record per (job, stage) wins), with each job's run judgement for the score table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from worldbuilder.fleet_stages import STAGES
from worldbuilder.viewer.runs import read_json, read_jsonl, score


@dataclass
class Job:
    job: str
    persona: str
    stages: dict[str, dict]  # stage -> latest record
    computer: Path | None
    run: Path | None
    score: tuple[float, float] | None

    @property
    def fraction(self) -> float | None:
        return self.score[0] / self.score[1] if self.score and self.score[1] else None


@dataclass
class Fleet:
    path: Path
    config: dict
    stages: list[str]
    jobs: list[Job]
    bad_lines: int

    def progress(self) -> list[dict]:
        """Per stage: counts of jobs in each state."""
        out = []
        for st in self.stages:
            c = Counter(j.stages[st].get("state", "?") for j in self.jobs if st in j.stages)
            out.append({"stage": st, "counts": c, "total": len(self.jobs)})
        return out


def _inside(root: Path, rel: object) -> Path | None:
    if not isinstance(rel, str) or not rel or rel.startswith("/") or ".." in rel.split("/"):
        return None
    p = (root / rel).resolve()
    return p if p.is_relative_to(root.resolve()) and p.is_dir() else None


def load(d: Path) -> Fleet:
    cfg = read_json(d / "fleet.json")
    cfg = cfg if isinstance(cfg, dict) else {}
    recs, bad = read_jsonl(d / "manifest.jsonl")
    latest: dict[str, dict[str, dict]] = {}
    persona: dict[str, str] = {}
    for r in recs:
        job, stage = str(r.get("job", "")), str(r.get("stage", ""))
        if job and stage:
            latest.setdefault(job, {})[stage] = r
            persona[job] = str(r.get("persona") or persona.get(job, ""))
    listed = cfg.get("stages") if isinstance(cfg.get("stages"), list) else None
    seen = {s for st in latest.values() for s in st}
    stages = [str(s) for s in listed] if listed else [s for s in STAGES if s in seen]
    stages += sorted(seen - set(stages))
    jobs = []
    for job in sorted(latest):
        st = latest[job]
        comp = _inside(d, (st.get("generate") or {}).get("output")) or _inside(d, f"jobs/{job}/computer")
        run = _inside(d, (st.get("simulate") or {}).get("output")) or _inside(d, f"jobs/{job}/run")
        judged = read_json(run / "judgement.json") if run else None
        jobs.append(Job(job, persona[job], st, comp, run, score(judged if isinstance(judged, dict) else None)))
    return Fleet(d, cfg, stages, jobs, bad)
