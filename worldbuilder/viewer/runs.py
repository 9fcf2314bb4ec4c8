"""Read a run directory (objectives.json, daily_sim_turns.jsonl, messages.jsonl, snapshots.json,
summary.json, deliverables/, judgement.json, report.html) as plain JSON, tolerant of unknown fields and of a
torn last line while a simulation is still writing."""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

WRITE_TOOLS = {"write_file": ("path",), "make_document": ("path",), "submit": ("paths",)}


def day_of(rec: dict) -> int:
    """The record's day (``-1`` when it has none or it is not a number)."""
    try:
        return int(rec.get("day", -1))
    except (TypeError, ValueError):
        return -1


def read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_jsonl(path: Path) -> tuple[list[dict], int]:
    """Records of a JSONL log and the number of unreadable lines (a torn tail while it is written)."""
    out, bad = [], 0
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return out, 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out, bad


@dataclass
class Run:
    path: Path
    config: dict
    objectives: dict
    summary: dict | None
    snapshots: list[dict]
    turns: list[dict]
    messages: list[dict]
    bad_lines: int = 0
    judgement: dict | None = None
    deliverable_files: list[tuple[str, int]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str((self.summary or {}).get("status") or "running")

    @property
    def live(self) -> bool:
        return self.status == "running"

    @property
    def has_report(self) -> bool:
        return (self.path / "report.html").is_file()

    def people(self) -> dict[str, str]:
        """Person id -> name, from the objectives' stakeholders (``user`` is the computer's user)."""
        out = {"user": str(self.objectives.get("user") or "user")}
        for d in self.objectives.get("deliverables") or []:
            for s in d.get("stakeholders") or [] if isinstance(d, dict) else []:
                if isinstance(s, dict) and s.get("id"):
                    out[str(s["id"])] = str(s.get("name") or s["id"])
        return out

    def days(self) -> list[int]:
        planned = self.config.get("days") or self.objectives.get("days") or 0
        planned = min(planned, 366) if isinstance(planned, int) else 0
        seen = {day_of(t) for t in self.turns} | {day_of(m) for m in self.messages}
        return sorted((seen | set(range(1, planned + 1))) - {-1})

    def day_counts(self) -> list[dict]:
        """Per day: turns in the log (not rolled back), errors, agent turns, messages, rolled-back turns."""
        turns: dict[int, Counter] = defaultdict(Counter)
        for t in self.turns:
            c = turns[day_of(t)]
            if t.get("rolled_back"):
                c["rolled_back"] += 1
                continue
            c["turns"] += 1
            c["errors"] += bool(t.get("error"))
            c["agent"] += t.get("actor") == "agent"
        msgs = Counter(day_of(m) for m in self.messages if not m.get("rolled_back"))
        snaps = {day_of(s): s for s in self.snapshots}
        return [{"day": d, **{k: turns[d][k] for k in ("turns", "errors", "agent", "rolled_back")},
                 "messages": msgs[d], "snapshot": snaps.get(d)} for d in self.days()]

    def snapshot_pair(self, day: int) -> tuple[str, str] | None:
        """Image refs of the snapshots that close the previous day and ``day``, when both are recorded."""
        refs = {day_of(s): s.get("ref") for s in self.snapshots}
        a, b = refs.get(day - 1), refs.get(day)
        return (a, b) if isinstance(a, str) and isinstance(b, str) else None

    def day_turns(self, day: int) -> list[dict]:
        return [t for t in self.turns if day_of(t) == day]

    def day_messages(self, day: int) -> list[dict]:
        return [m for m in self.messages if day_of(m) == day]

    def changed_files(self, day: int) -> list[dict]:
        """Files changed on ``day``: the snapshot record's own list when it has one, else the paths that
        the day's (not rolled back) write_file / make_document / submit turns wrote."""
        snap = next((s for s in self.snapshots if day_of(s) == day), {}) or {}
        for key in ("changes", "changed", "diff", "files"):
            if isinstance(snap.get(key), list):
                return [c if isinstance(c, dict) else {"path": str(c), "how": "snapshot diff"} for c in snap[key]]
        out: dict[str, dict] = {}
        for t in self.day_turns(day):
            keys = WRITE_TOOLS.get(str(t.get("tool")))
            if not keys or t.get("rolled_back") or t.get("error"):
                continue
            args = t.get("args") or {}
            for k in keys:
                vals = args.get(k)
                for v in vals if isinstance(vals, list) else [vals]:
                    if isinstance(v, str) and v:
                        out.setdefault(v, {"path": v, "how": f"{t.get('tool')}, turn {t.get('turn')} (turn log)"})
        return list(out.values())


_LOGS: dict[Path, tuple[tuple[int, int], tuple[list[dict], int]]] = {}
_LOGS_MAX = 64
_logs_lock = threading.Lock()


def cached_jsonl(path: Path) -> tuple[list[dict], int]:
    """:func:`read_jsonl`, re-read only when the log's size or mtime changed (bounded cache; logs only grow
    or are atomically replaced, so an unchanged (size, mtime) means unchanged records)."""
    try:
        st = path.stat()
    except OSError:
        return [], 0
    stamp = (st.st_size, st.st_mtime_ns)
    with _logs_lock:
        hit = _LOGS.get(path)
    if hit and hit[0] == stamp:
        return hit[1]
    result = read_jsonl(path)
    with _logs_lock:
        if len(_LOGS) >= _LOGS_MAX:
            _LOGS.pop(next(iter(_LOGS)))
        _LOGS[path] = (stamp, result)
    return result


def load(d: Path) -> Run:
    turns, bad1 = cached_jsonl(d / "daily_sim_turns.jsonl")
    msgs, bad2 = cached_jsonl(d / "messages.jsonl")
    snaps = read_json(d / "snapshots.json")
    judgement = read_json(d / "judgement.json")
    files = []
    dl = d / "deliverables"
    if dl.is_dir():
        files = sorted((p.relative_to(d).as_posix(), p.stat().st_size) for p in dl.rglob("*")
                       if p.is_file() and not p.is_symlink())
    return Run(path=d, config=_dict(read_json(d / "run.json")), objectives=_dict(read_json(d / "objectives.json")),
               summary=read_json(d / "summary.json") if (d / "summary.json").exists() else None,
               snapshots=list((snaps or {}).get("snapshots") or []) if isinstance(snaps, dict) else [],
               turns=turns, messages=msgs, bad_lines=bad1 + bad2,
               judgement=judgement if isinstance(judgement, dict) else None, deliverable_files=files)


def _dict(v: object) -> dict:
    return v if isinstance(v, dict) else {}


def live_status(d: Path) -> dict:
    """A cheap fingerprint of a run's progress for the live view's polling."""
    def size(name: str) -> int:
        try:
            return (d / name).stat().st_size
        except OSError:
            return 0

    summary = read_json(d / "summary.json")
    status = summary.get("status", "running") if isinstance(summary, dict) else "running"
    return {"status": status, "turns_bytes": size("daily_sim_turns.jsonl"), "messages_bytes": size("messages.jsonl"),
            "judged": (d / "judgement.json").exists(), "report": (d / "report.html").exists()}


def judgement_rows(j: dict) -> list[dict]:
    """Deliverables of a judgement.json, each with points/max/items, tolerant of missing keys."""
    rows = []
    for dlv in j.get("deliverables") or []:
        if isinstance(dlv, dict):
            rows.append({"id": dlv.get("id", ""), "title": dlv.get("title", ""), "points": dlv.get("points"),
                         "max": dlv.get("max"), "items": [i for i in dlv.get("items") or [] if isinstance(i, dict)]})
    return rows


def score(j: dict | None) -> tuple[float, float] | None:
    """(points, max) of a judgement, or None."""
    if not isinstance(j, dict):
        return None
    total = j.get("total")
    if isinstance(total, dict) and isinstance(total.get("points"), int | float) and total.get("max"):
        return float(total["points"]), float(total["max"])
    return None
