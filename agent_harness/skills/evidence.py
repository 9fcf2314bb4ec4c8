"""Evidence for skill mining, read from judged runs: failure clusters and success patterns.

Every cluster is built only from a run's logs (turns, messages, objectives) and its ``judgement.json``:

* ``wrong-paths``: outputs written somewhere other than the briefing's path, with their failed items;
* ``malformed-documents``: ``make_document``/``read_file`` errors on outputs, or outputs judged invalid;
* ``missed-corrections``: change/correction items lost although the message arrived before the last day;
* ``unread-sources``: ``source_used`` items lost for sources the agent never opened;
* ``full-item-workflow``: the tool sequence of deliverables that earned every item;
* ``mkdoc-shapes``: the ``make_document`` spec shapes of outputs whose items were all earned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_harness.judge.model import read_judgement
from agent_harness.runlog import RunDir, RunDirError

WRITE_TOOLS = ("write_file", "make_document")
BLOCK_KEY = re.compile(r'\{"(heading|paragraph|bullets|table|name|title)"')


@dataclass
class Cluster:
    """One pattern seen across runs, with where it was seen."""

    key: str
    kind: str  # failure | success
    summary: str
    procedure: list[str]
    runs: set[str] = field(default_factory=set)
    turns: list[dict[str, Any]] = field(default_factory=list)  # {run, turn, tool, note}
    items: list[dict[str, Any]] = field(default_factory=list)  # {run, deliverable, item, kind, points, max}
    examples: list[str] = field(default_factory=list)
    shapes: dict[str, dict[str, Any]] = field(default_factory=dict)  # mkdoc kind -> spec skeleton

    @property
    def weight(self) -> int:
        return len(self.items) + len(self.turns)

    def provenance(self) -> dict[str, Any]:
        return {"cluster": self.key, "kind": self.kind, "runs": sorted(self.runs),
                "turns": self.turns[:200], "items": self.items[:200]}


CLUSTERS = {
    "wrong-paths": ("failure", "outputs written at a path other than the one the briefing names",
                    ["write_exact_output_paths"]),
    "malformed-documents": ("failure", "documents that did not open or were judged invalid",
                            ["write_exact_output_paths"]),
    "missed-corrections": ("failure", "changed requirements and corrected figures that never reached the output",
                           ["recheck_inbox_before_submit"]),
    "unread-sources": ("failure", "source files listed in the briefing that the agent never opened",
                       ["read_all_sources"]),
    "full-item-workflow": ("success", "the tool sequence of deliverables that earned every rubric item",
                           ["read_all_sources", "ask_stakeholder_for_missing_figures", "share_draft_for_review",
                            "write_exact_output_paths"]),
    "mkdoc-shapes": ("success", "make_document spec shapes whose outputs earned every rubric item", []),
}


def new_clusters() -> dict[str, Cluster]:
    return {k: Cluster(k, kind, summary, list(proc)) for k, (kind, summary, proc) in CLUSTERS.items()}


def _item(run: str, dlv: str, it: Any) -> dict[str, Any]:
    return {"run": run, "deliverable": dlv, "item": it.id, "kind": it.kind, "points": it.points, "max": it.max}


def _turn(run: str, t: Any, note: str) -> dict[str, Any]:
    return {"run": run, "turn": t.turn, "day": t.day, "tool": t.tool, "note": note[:200]}


def spec_shape(kind: str, spec_text: str) -> dict[str, Any]:
    """The skeleton of a (possibly shortened) logged mkdoc spec: top-level keys and block kinds in order."""
    tops = re.findall(r'^\{"(\w+)"|, "(\w+)": [\[\{"]', spec_text[:200])
    keys = [a or b for a, b in tops]
    blocks = list(dict.fromkeys(BLOCK_KEY.findall(spec_text)))
    return {"kind": kind, "keys": keys, "blocks": blocks}


def collect(run_dirs: list[Path]) -> dict[str, Cluster]:
    """Read every run (each must be judged) and fill the clusters."""
    clusters = new_clusters()
    for rd in run_dirs:
        run = RunDir(Path(rd))
        if not (run.root / "run.json").exists():
            raise RunDirError(f"{rd}: not a run directory (no run.json)")
        _collect_run(run, read_judgement(run.root), clusters)
    return clusters


def _collect_run(run: RunDir, judgement: Any, clusters: dict[str, Cluster]) -> None:
    name = str(run.root)
    obj = run.objectives()
    days = run.config().days
    turns = [t for t in run.turns(rolled_back=False) if t.actor == "agent"]
    msgs = run.messages(rolled_back=False)
    scores = {d.id: d for d in judgement.deliverables}
    expected = {o.path for d in obj.deliverables for o in d.outputs}
    read_paths = {str(t.args.get("path")) for t in turns if t.tool == "read_file" and not t.error}
    written = [t for t in turns if t.tool in WRITE_TOOLS]
    for t in written:
        p = str(t.args.get("path", ""))
        if p not in expected and not any(p.startswith(e) for e in expected):
            c = clusters["wrong-paths"]
            c.turns.append(_turn(name, t, f"wrote {p}"))
            c.runs.add(name)
        if t.tool == "make_document" and t.error:
            c = clusters["malformed-documents"]
            c.turns.append(_turn(name, t, t.result))
            c.runs.add(name)
    for d in obj.deliverables:
        ds = scores.get(d.id)
        if ds is None:
            continue
        crit = {c.id: c for c in d.rubric}
        lost = [it for it in ds.items if it.status == "scored" and it.points < it.max]
        for it in lost:
            check = crit[it.id].check if it.id in crit else {}
            key = _failure_key(it.kind, check, read_paths, written, msgs, d.id, days)
            if key:
                clusters[key].items.append(_item(name, d.id, it))
                clusters[key].runs.add(name)
                if key == "wrong-paths":
                    clusters[key].examples.append(f"expected {check.get('path')}")
                if key == "unread-sources":
                    clusters[key].examples.append(f"never opened {check.get('path')}")
        if ds.items and not lost:
            _success(name, d, ds, turns, clusters)


def _failure_key(kind: str, check: dict, read_paths: set[str], written: list, msgs: list, dlv: str,
                 days: int) -> str | None:
    if kind == "file_valid":
        if not any(str(t.args.get("path")) == check.get("path") for t in written):
            return "wrong-paths"
        return "malformed-documents"
    if kind == "source_used" and check.get("path") not in read_paths:
        return "unread-sources"
    if kind in ("change", "correction"):
        sent = [m for m in msgs if m.kind == kind and m.deliverable == dlv and m.day < days]
        return "missed-corrections" if sent else None
    return None


def _success(name: str, d: Any, ds: Any, turns: list, clusters: dict[str, Cluster]) -> None:
    outs = {o.path for o in d.outputs}
    mine = [t for t in turns if str(t.args.get("path")) in outs | set(d.sources)
            or d.id in str(t.args.get("subject", "")) or t.args.get("deliverable_id") == d.id]
    seq = [t.tool for t in mine if not t.error]
    c = clusters["full-item-workflow"]
    c.runs.add(name)
    c.items += [_item(name, d.id, it) for it in ds.items]
    c.turns += [_turn(name, t, str(t.args.get("path") or t.args.get("subject") or "")) for t in mine]
    c.examples.append(" -> ".join(_squash(seq)))
    s = clusters["mkdoc-shapes"]
    for t in mine:
        if t.tool == "make_document" and not t.error:
            kind = str(t.args.get("kind"))
            s.shapes.setdefault(kind, spec_shape(kind, str(t.args.get("spec", ""))))
            s.turns.append(_turn(name, t, f"{kind} {t.args.get('path')}"))
            s.runs.add(name)
    if s.shapes:
        s.items += [_item(name, d.id, it) for it in ds.items if it.kind in ("file_valid", "section")]


def _squash(seq: list[str]) -> list[str]:
    out: list[str] = []
    for s in seq:
        if out and out[-1].split(" x")[0] == s:
            n = int(out[-1].split(" x")[1]) + 1 if " x" in out[-1] else 2
            out[-1] = f"{s} x{n}"
        else:
            out.append(s)
    return out
