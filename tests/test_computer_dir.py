"""The computer-directory format lives in its own module; readers below the facade do not import api."""

from __future__ import annotations

import ast
from pathlib import Path

from worldbuilder import api, computer_dir

ROOT = Path(__file__).resolve().parents[1] / "worldbuilder"


def imported_modules(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_api_reexports_the_format():
    for name in ("SPEC_FILE", "TREE_DIR", "MANIFEST_FILE", "manifest", "load_computer"):
        assert getattr(api, name) is getattr(computer_dir, name)
    assert imported_modules(ROOT / "computer_dir.py") & {"worldbuilder.api", "worldbuilder.generate"} == set()


def test_check_stats_and_windows_do_not_import_the_facade_or_the_harness():
    paths = [ROOT / "check.py", ROOT / "stats.py", *sorted((ROOT / "materialize" / "windows").glob("*.py"))]
    for path in paths:
        mods = imported_modules(path)
        bad = {m for m in mods if m == "worldbuilder.api" or m.startswith("agent_harness")}
        assert not bad, (path.name, bad)  # `from worldbuilder import api` shows up as worldbuilder.api too


def test_load_computer_reads_a_directory_and_a_spec(tmp_path):
    from tests.test_docker_helpers import handmade_computer

    comp = handmade_computer(tmp_path / "c")
    spec, tree = computer_dir.load_computer(comp)
    assert tree == comp / "tree" and spec.id == "testlin01"
    assert computer_dir.load_computer(comp / "spec.json")[1] is None
    assert set(computer_dir.manifest(tree)) == {f.path for f in spec.files}
