"""Score distributions across many judged runs (per computer and per deliverable; the paper's Fig. 6)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from agent_harness.judge.model import read_judgement


@dataclass
class RunScore:
    run: str
    path: str
    judge: str
    day: int
    points: float
    judged_max: float
    max: float
    share: float  # points / judged max
    deliverables: dict[str, float]  # id -> share of its judged max


def collect(runs: list[Path]) -> list[RunScore]:
    out = []
    for r in runs:
        j = read_judgement(Path(r))
        dels = {}
        for d in j.deliverables:
            jm = sum(i.max for i in d.items if i.status == "scored")
            dels[d.id] = round(d.points / jm, 4) if jm else 0.0
        out.append(RunScore(j.run, str(r), j.judge, j.day, j.total.points, j.total.judged_max, j.total.max,
                            round(j.total.points / j.total.judged_max, 4) if j.total.judged_max else 0.0, dels))
    return out


def as_json(scores: list[RunScore]) -> str:
    per_del = [v for s in scores for v in s.deliverables.values()]
    return json.dumps({"runs": [asdict(s) for s in scores], "summary": summary(scores, per_del)}, indent=1)


def summary(scores: list[RunScore], per_del: list[float]) -> dict:
    import statistics

    def stats(v: list[float]) -> dict:
        return {"n": len(v), "mean": round(statistics.fmean(v), 4) if v else None,
                "median": round(statistics.median(v), 4) if v else None,
                "min": min(v) if v else None, "max": max(v) if v else None}
    return {"per_computer": stats([s.share for s in scores]), "per_deliverable": stats(per_del)}


def as_csv(scores: list[RunScore]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", "path", "judge", "day", "deliverable", "points", "judged_max", "max", "share"])
    for s in scores:
        w.writerow([s.run, s.path, s.judge, s.day, "", s.points, s.judged_max, s.max, s.share])
        for did, share in s.deliverables.items():
            w.writerow([s.run, s.path, s.judge, s.day, did, "", "", "", share])
    return buf.getvalue()


def as_text(scores: list[RunScore]) -> str:
    lines = [f"{s.run}\t{s.points:g}/{s.judged_max:g} judged ({s.share:.1%})\tmax {s.max:g}\t"
             + " ".join(f"{k} {v:.0%}" for k, v in s.deliverables.items()) for s in scores]
    sm = summary(scores, [v for s in scores for v in s.deliverables.values()])
    pc, pd = sm["per_computer"], sm["per_deliverable"]
    if pc["n"]:
        lines.append(f"per computer: n={pc['n']} mean {pc['mean']:.1%} median {pc['median']:.1%}")
    if pd["n"]:
        lines.append(f"per deliverable: n={pd['n']} mean {pd['mean']:.1%} median {pd['median']:.1%}")
    return "\n".join(lines)


def histogram_png(scores: list[RunScore]) -> bytes:
    from agent_harness.report.plots import score_histograms

    return score_histograms([s.share for s in scores], [v for s in scores for v in s.deliverables.values()])
