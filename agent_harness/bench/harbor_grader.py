#!/usr/bin/env python3
"""Stand-alone grader of one deliverable, run INSIDE the computer by Harbor's ``tests/test.sh``.

It runs the judge's own criterion code: ``wbjudge/`` next to it holds verbatim copies of the standard-library
modules :mod:`agent_harness.judge.scoring` needs (criterion kinds, inputs, gaming and fabrication checks,
derived-value helpers, text extraction), written at export time; the documents are opened with the
computer's python-docx/openpyxl/python-pptx/pypdf. It reads ``grading.json`` (the deliverable and its
single-task rubric, the tracked facts, the source texts), reads the outputs under the home and writes

* ``/logs/verifier/reward.json``: numbers only, as Harbor requires: ``{"reward": points/max, "points",
  "max", "judged_max"}``, ``reward`` equal to ``worldbuilder judge``'s points/max for the same outputs;
* ``/logs/verifier/grading.json``: every criterion's points, evidence and rationale, and fabrications.

Free-text criteria need an LLM judge: scored 0 and marked "unjudged", as the offline host judge does.
"""

from __future__ import annotations

import json
import os
import sys
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
GRADING_FORMAT = "worldbuilder-harbor-grading/1"


def _deliverable(d: dict) -> SimpleNamespace:
    """The deliverable as the judge reads it (attributes; ``check`` stays a dict)."""
    return SimpleNamespace(**{**d, "rubric": [SimpleNamespace(**c) for c in d["rubric"]],
                              "outputs": [SimpleNamespace(**o) for o in d["outputs"]],
                              "stakeholders": [SimpleNamespace(**s) for s in d["stakeholders"]]})


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def grade(g: dict, root: str = "/") -> dict:
    """Score the deliverable of grading data ``g`` from the files under ``root`` + the home."""
    sys.path.insert(0, os.path.join(HERE, "wbjudge"))
    from agent_harness.judge.inputs import DeliverableInput, JudgeInput, OutputFile
    from agent_harness.judge.scoring import deliverable_points, score_items
    from worldbuilder.factmatch import FactValue

    d = _deliverable(g["deliverable"])
    files = {}
    for o in d.outputs:
        full = o.path if o.path.startswith("/") else g["home"].rstrip("/") + "/" + o.path
        files[o.path] = OutputFile(o.path, _read(os.path.join(root, full.lstrip("/"))), "computer")
    dlv = DeliverableInput(d, files, [g["day"]])
    inp = JudgeInput(run="harbor", day=g["day"], objectives=SimpleNamespace(scenario=[]),
                     facts={f["id"]: FactValue(**f) for f in g["facts"]},
                     people={k: tuple(v) for k, v in g["people"].items()}, messages=[], turns=[],
                     deliverables={d.id: dlv}, sources=g["sources"])
    items, fabs = score_items(inp, dlv)
    points, total = deliverable_points(items), float(sum(c.points for c in d.rubric))
    judged = float(sum(i.max for i in items if i.status == "scored"))
    return {"reward": points / total if total else 0.0, "points": points, "max": total, "judged_max": judged,
            "deliverable": d.id, "items": [i.as_dict() for i in items], "fabrications": [f.as_dict() for f in fabs]}


def _write(path: str, data: dict) -> None:
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    grading_path = argv[0] if argv else os.path.join(HERE, "grading.json")
    out_dir = argv[1] if len(argv) > 1 else "/logs/verifier"
    root = argv[2] if len(argv) > 2 else "/"
    with open(grading_path, encoding="utf-8") as fh:
        g = json.load(fh)
    if g.get("format") != GRADING_FORMAT:
        print(f"error: {grading_path} is not {GRADING_FORMAT}", file=sys.stderr)
        return 2
    result = grade(g, root)
    _write(os.path.join(out_dir, "grading.json"), result)
    _write(os.path.join(out_dir, "reward.json"), {k: result[k] for k in ("reward", "points", "max", "judged_max")})
    print(f"reward {result['reward']:.3f} ({result['points']:g}/{result['max']:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
