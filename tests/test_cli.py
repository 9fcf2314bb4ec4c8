"""The CLI end to end as a user runs it: generate, render, stats, check, personas, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WB = [sys.executable, "-m", "worldbuilder.cli"]
PERSONA = "A mid-career civil engineer at a regional infrastructure consultancy in Leeds"


def wb(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*WB, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, **(env or {})})


def assert_one_line_error(proc: subprocess.CompletedProcess, needle: str) -> None:
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1, proc.stderr
    assert err[0].startswith("error: ") and needle in err[0], err[0]


def no_leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


@pytest.fixture(scope="module")
def small_computer(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "computer"
    proc = wb("generate", "--persona", PERSONA, "--seed", "3", "--size", "small", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "files for" in proc.stdout
    return out


def test_generate_writes_spec_tree_manifest(small_computer: Path) -> None:
    assert (small_computer / "spec.json").is_file()
    manifest = json.loads((small_computer / "manifest.json").read_text())
    files = [p for p in (small_computer / "tree").rglob("*") if p.is_file()]
    assert len(files) == len(manifest) >= 40
    assert not no_leftovers(small_computer.parent)


def test_stats_json_and_text(small_computer: Path) -> None:
    proc = wb("stats", str(small_computer), "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["files"] == len(json.loads((small_computer / "manifest.json").read_text()))
    assert s["type_count"] >= 8 and s["max_depth"] >= 3
    assert sum(s["types"].values()) == s["files"]
    assert s["size_bytes"]["p50"] > 0 and s["time_span"]["days"] > 100
    text = wb("stats", str(small_computer))
    assert text.returncode == 0 and "depth:" in text.stdout and "fan-out:" in text.stdout


def test_check_passes_and_render_roundtrip(small_computer: Path, tmp_path: Path) -> None:
    proc = wb("check", str(small_computer))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # render the saved spec again: identical bytes
    out = tmp_path / "again"
    proc = wb("render", str(small_computer / "spec.json"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "manifest.json").read_text() == (small_computer / "manifest.json").read_text()


def test_personas_sample_is_deterministic() -> None:
    a, b = wb("personas", "sample", "5", "--seed", "7"), wb("personas", "sample", "5", "--seed", "7")
    assert a.returncode == 0 and a.stdout == b.stdout
    assert len(a.stdout.strip().splitlines()) == 5


@pytest.mark.parametrize("persona, needle", [("", "persona is empty"), ("   ", "persona is empty"),
                                             ("!!! ### 123", "persona has no words")])
def test_bad_persona(tmp_path: Path, persona: str, needle: str) -> None:
    out = tmp_path / "c"
    assert_one_line_error(wb("generate", "--persona", persona, "--out", str(out)), needle)
    assert not out.exists() and not no_leftovers(tmp_path)


def test_non_empty_output_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "c"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    assert_one_line_error(wb("generate", "--persona", PERSONA, "--size", "small", "--out", str(out)),
                          "not empty")
    assert (out / "precious.txt").read_text() == "keep me"


def test_unwritable_output(tmp_path: Path) -> None:
    target = tmp_path / "file-not-dir"
    target.write_text("x")
    assert_one_line_error(wb("generate", "--persona", PERSONA, "--out", str(target)), "not a directory")
    assert_one_line_error(wb("generate", "--persona", PERSONA, "--out", "/proc/wb-nope/c"), "cannot create")


def test_malformed_spec(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert_one_line_error(wb("render", str(bad), "--out", str(tmp_path / "o")), "malformed spec")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("schema_version: '1.0'\nid: x\npersona: p\n")
    assert_one_line_error(wb("render", str(wrong), "--out", str(tmp_path / "o")), "invalid spec")
    assert_one_line_error(wb("check", str(bad)), "malformed spec")
    assert not (tmp_path / "o").exists()


def test_unknown_option_and_missing_args(tmp_path: Path) -> None:
    assert_one_line_error(wb("generate", "--persona", PERSONA, "--out", str(tmp_path / "x"), "--colour"),
                          "No such option")
    assert_one_line_error(wb("generate", "--out", str(tmp_path / "x")), "exactly one of")
    assert_one_line_error(wb("generate", "--persona", PERSONA, "--size", "huge", "--out", str(tmp_path)),
                          "huge")


def test_interrupted_render_leaves_nothing(tmp_path: Path) -> None:
    """A failure during rendering removes the temporary directory and keeps the old output."""
    from worldbuilder import api
    from worldbuilder.spec import ComputerSpec

    spec = api.plan(PERSONA, seed=1, size="small")
    data = spec.model_dump(mode="json")
    data["files"][-1]["content"]["members"] = ["does/not/exist.txt"]
    data["files"][-1]["type"] = "zip"
    broken = ComputerSpec.model_validate(data)
    out = tmp_path / "c"
    out.mkdir()
    (out / "old.txt").write_text("old")
    (out / "spec.json").write_text('{"id": "x", "schema_version": "1.0"}')  # --force replaces computer dirs only
    (out / "manifest.json").write_text("{}")
    from worldbuilder.errors import RenderError

    with pytest.raises(RenderError):
        api.render(broken, out, force=True)
    assert (out / "old.txt").read_text() == "old"
    assert not no_leftovers(tmp_path)
