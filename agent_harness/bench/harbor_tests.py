"""What a Harbor task's ``tests/`` holds: ``test.sh``, the grader script, its grading data and ``wbjudge/``,
verbatim copies of the judge's standard-library modules (so the in-computer reward is the host judge's)."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

from agent_harness.bench import harbor_grader
from agent_harness.models import Deliverable, Objectives
from worldbuilder.spec import ComputerSpec

TEST_SH = """#!/bin/bash
# Grades the deliverable from the files in the computer with worldbuilder's judge (tests/wbjudge);
# writes /logs/verifier/reward.json (numbers only) and /logs/verifier/grading.json (per criterion).
set -euo pipefail
mkdir -p /logs/verifier
here="$(cd "$(dirname "$0")" && pwd)"
python3 "$here/grade.py" "$here/grading.json" /logs/verifier
"""

# The modules agent_harness.judge.scoring imports at run time (each standard library only, or the document
# libraries every computer has); a test imports them with pydantic blocked.
SHARED_MODULES = ("agent_harness.derived", "agent_harness.judge.criteria", "agent_harness.judge.criteria_work",
                  "agent_harness.judge.fabrication", "agent_harness.judge.gaming", "agent_harness.judge.inputs",
                  "agent_harness.judge.kinds",
                  "agent_harness.judge.scoring", "worldbuilder.extract", "worldbuilder.factmatch")
PACKAGE_INIT = '"""Copied from worldbuilder by `bench export --format harbor`: the judge\'s scoring modules."""\n'


def vendor(dest: Path) -> None:
    """Copy the shared judge modules to ``dest`` as packages (with bare ``__init__`` files)."""
    for name in SHARED_MODULES:
        src = Path(importlib.import_module(name).__file__ or "")
        parts = name.split(".")
        for i in range(1, len(parts)):
            init = dest.joinpath(*parts[:i], "__init__.py")
            if not init.exists():
                init.parent.mkdir(parents=True, exist_ok=True)
                init.write_text(PACKAGE_INIT, encoding="utf-8")
        shutil.copy2(src, dest.joinpath(*parts[:-1], parts[-1] + ".py"))


def grading_data(spec: ComputerSpec, dlv: Deliverable, home: str, day: int, sources: dict[str, str]) -> dict:
    """``grading.json``: the deliverable (single-task rubric), the judged day, facts, people and source texts."""
    return {"format": harbor_grader.GRADING_FORMAT, "home": home, "day": day,
            "deliverable": dlv.model_dump(mode="json"),
            "facts": [{"id": f.id, "label": f.label, "value": f.value, "unit": f.unit, "display": f.display}
                      for f in spec.world.facts],
            "people": {p.id: [p.name, p.email] for p in spec.world.people},
            "sources": {k: v for k, v in sources.items() if k in dlv.sources}}


def write_tests(d: Path, spec: ComputerSpec, obj: Objectives, home: str, day: int, sources: dict[str, str]) -> None:
    """``d`` (a task's ``tests/``) for the single deliverable of ``obj``."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "test.sh").write_text(TEST_SH, encoding="utf-8")
    (d / "test.sh").chmod(0o755)
    shutil.copy2(harbor_grader.__file__, d / "grade.py")
    data = grading_data(spec, obj.deliverables[0], home, day, sources)
    (d / "grading.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    vendor(d / "wbjudge")
