"""The hostile-input table: every row drives the real CLI entry point (``worldbuilder.cli.run``) with one bad
input and must end with exactly one ``error: ...`` line on stderr, a non-zero exit, no internal error (no
unanticipated exception) and no file created, changed or removed anywhere in the sandbox."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from test_harness_unit import computer_dir  # noqa: F401  (fixture)

from worldbuilder import cli

SPEC_EDITS = {  # name -> how a valid spec is spoiled
    "v999": lambda d: d.update(schema_version=999),
    "vstr": lambda d: d.update(schema_version="abc"),
    "proot": lambda d: d["layout"].update(kind="windows", profile_root="C/../../etc", drives={"C:": "C"}),
    "proot_abs": lambda d: d["layout"].update(kind="windows", profile_root="/etc", drives={"C:": "C"}),
    "proot_linux": lambda d: d["layout"].update(profile_root="../etc"),
    "drive": lambda d: d["layout"].update(kind="windows", drives={"C:": "../.."}),
    "drive_key": lambda d: d["layout"].update(kind="windows", drives={"../x": "C"}),
    "file_up": lambda d: d["files"][0].update(path="../../etc/passwd"),
    "file_abs": lambda d: d["files"][0].update(path="/etc/passwd"),
    "file_dot": lambda d: d["files"][0].update(path="a/./b.txt"),
    "file_empty_part": lambda d: d["files"][0].update(path="a//b.txt"),
    "file_nul": lambda d: d["files"][0].update(path="a\x00b.txt"),
    "dir_up": lambda d: d.update(dirs=[{"path": "../up", "created": "2025-01-01T00:00:00"}]),
    "home_up": lambda d: d["layout"].update(home="/home/../etc"),
    "files_not_list": lambda d: d.update(files="nope"),
}


@pytest.fixture(scope="module")
def sandbox(computer_dir, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("bad")
    comp = root / "comp"
    shutil.copytree(computer_dir, comp)
    (comp / "manifest.json").write_text("{}")
    decoy = root / "decoy"
    decoy.mkdir()
    (decoy / "thesis.txt").write_text("irreplaceable")
    (decoy / "spec.json").write_text('{"not": "a computer"}')
    (root / "afile").write_text("x")
    (root / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (root / "big.txt").write_text("persona " * 20000)
    os.mkfifo(root / "fifo")
    (root / "notjson.json").write_text("{nope")
    (root / "list.json").write_text("[1, 2]")
    (root / "bad.yaml").write_text(": : :\n  - [")
    spec = json.loads((comp / "spec.json").read_text())
    for name, edit in SPEC_EDITS.items():
        d = json.loads(json.dumps(spec))
        edit(d)
        (root / f"spec_{name}.json").write_text(json.dumps(d))
    run = root / "fakerun"
    run.mkdir()
    (run / "run.json").write_text("{broken")
    run2 = root / "emptyrun"
    run2.mkdir()
    (run2 / "run.json").write_text("{}")
    os.symlink(decoy, root / "decoylink")
    return root


def rows() -> list[list[str]]:
    gen = ["generate", "--persona", "a payroll clerk in Rotterdam", "--size", "small"]
    sim = ["simulate", "comp", "--runtime", "local", "--run-dir", "newrun"]
    table = [
        [*gen, "--out", "."], [*gen, "--out", ".."], [*gen, "--out", "/proc/x"], [*gen, "--out", "/"],
        [*gen, "--out", "decoy", "--force"], [*gen, "--out", "decoy"], [*gen, "--out", "afile"],
        [*gen, "--out", "decoylink", "--force"], [*gen, "--out", "/proc/self/x/y"],
        ["generate", "--persona-file", "/dev/zero", "--out", "n1"], ["generate", "--persona-file", "fifo", "--out", "n1"],
        ["generate", "--persona-file", "binary.bin", "--out", "n1"], ["generate", "--persona-file", "big.txt", "--out", "n1"],
        ["generate", "--persona-file", "decoy", "--out", "n1"], ["generate", "--persona-file", "missing", "--out", "n1"],
        [*gen, "--persona-file", "big.txt", "--out", "n1"], ["generate", "--out", "n1"],
        [*gen, "--size", "huge", "--out", "n1"], [*gen, "--seed", "abc", "--out", "n1"], [*gen, "--seed", "-1", "--out", "n1"],
        *[["render", f"spec_{n}.json", "--out", "n2"] for n in SPEC_EDITS],
        ["render", "missing.json", "--out", "n2"], ["render", "notjson.json", "--out", "n2"],
        ["render", "list.json", "--out", "n2"], ["render", "bad.yaml", "--out", "n2"], ["render", "/dev/zero", "--out", "n2"],
        ["render", "fifo", "--out", "n2"], ["render", "decoy", "--out", "n2"], ["render", "comp", "--out", "."],
        ["render", "comp", "--out", "decoy", "--force"],
        ["stats", "missing"], ["stats", "decoy"], ["check", "decoy"], ["check", "spec_v999.json"],
        ["personas", "sample", "0"], ["personas", "sample", "-3"], ["personas", "sample", "abc"],
        ["image", "build", "decoy"], ["image", "build", "spec_proot.json"], ["image", "build", "comp", "--variant", "x"],
        ["boot", "img", "--pids", "0"], ["boot", "img", "--pids", "-5"], ["boot", "img", "--cpus", "0"],
        ["boot", "img", "--cpus", "-1"], ["boot", "img", "--memory", "-1"], ["boot", "img", "--memory", "0"],
        ["boot", "img", "--memory", "lots"], ["boot", "img", "--memory", "1k"], ["boot", "img", "--disk", "0"],
        ["boot", "img", "--disk", "-2g"], ["boot", "img", "--cpus", "nan"],
        ["snapshot", "ls", "x;id"], ["snapshot", "ls", "../x"], ["snapshot", "diff", "x;id", "a", "b"],
        ["snapshot", "export", "$(id)", "day-01", "out.tar"], ["snapshot", "restore", "a b", "day-01"],
        ["vm", "boot", "x", "--memory", "0"], ["vm", "boot", "x", "--cpus", "-1"], ["vm", "build", "decoy"],
        [*sim, "--command-timeout", "-1"], [*sim, "--command-timeout", "0"], [*sim, "--max-wall", "0"],
        [*sim, "--max-turns", "0"], [*sim, "--max-tokens", "-5"], [*sim, "--turns-per-day", "0"],
        [*sim, "--days", "0"], [*sim, "--days", "999"], [*sim, "--external-day-seconds", "0"],
        ["simulate", "comp", "--run-dir", "newrun", "--disk-quota", "0"],
        ["simulate", "comp", "--run-dir", "newrun", "--disk-quota", "-1"], ["simulate"],
        ["simulate", "comp", "--resume", "decoy"], ["simulate", "--resume", "decoy"], ["simulate", "--resume", "fakerun"],
        ["simulate", "--from", "bad"], ["simulate", "--from", "decoy@day-01"], ["simulate", "--from", "fakerun@day-01"],
        [*sim, "--agent", "gpt4"], [*sim, "--collaborators", "x"], [*sim, "--runtime", "podman"],
        ["simulate", "decoy", "--runtime", "local", "--run-dir", "newrun"],
        ["simulate", "comp", "--runtime", "local", "--run-dir", "decoy"],
        ["simulate", "comp", "--runtime", "local", "--run-dir", "afile"],
        ["objectives", "comp", "--out", "missingdir/o.json"], ["objectives", "comp", "--days", "0"],
        ["objectives", "comp", "--out", "decoy"], ["objectives", "decoy", "--out", "o.json"],
        ["objectives", "comp", "--backend", "nope", "--out", "o.json"],
        ["runs", "rm", "decoy"], ["runs", "rm", "comp"], ["runs", "show", "decoy"], ["runs", "rm", "fakerun"],
        ["runs", "show", "fakerun"], ["runs", "rm", "emptyrun"], ["runs", "show", "emptyrun"],
    ]
    return table


def _tree(root: Path) -> dict[str, tuple]:
    """Every entry below ``root`` (relative path -> mode, size, mtime), links not followed."""
    out = {}
    cut = len(str(root)) + 1
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                out[e.path[cut:]] = (st.st_mode, st.st_size, st.st_mtime_ns)
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
    return out


def test_the_table_has_at_least_sixty_rows():
    assert len(rows()) >= 60


def run_hostile_row(args: list[str], sandbox: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    """Run the CLI in-process on one bad input: a non-zero exit, exactly one ``error:`` line, no internal
    error or traceback, and nothing created, changed or removed in ``sandbox`` (anything a failing row
    created at the top is removed, so it cannot spoil the rows after it)."""
    monkeypatch.chdir(sandbox)
    monkeypatch.setenv("WORLDBUILDER_HOME", str(sandbox.parent / "wbhome"))
    monkeypatch.delenv("WORLDBUILDER_DEBUG", raising=False)
    monkeypatch.delenv("WORLDBUILDER_LLM_BASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", ["worldbuilder", *args])
    before, top = _tree(sandbox), set(os.listdir(sandbox))
    try:
        with pytest.raises(SystemExit) as exit_:
            cli.run()
    finally:
        after = _tree(sandbox)
        for new in set(os.listdir(sandbox)) - top:
            shutil.rmtree(sandbox / new) if (sandbox / new).is_dir() else (sandbox / new).unlink()
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert exit_.value.code not in (0, None), err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "internal error" not in lines[0] and "Traceback" not in err, err
    assert after == before  # nothing created, changed or removed


@pytest.mark.parametrize("args", rows(), ids=lambda a: " ".join(a)[:70])
def test_hostile_input_is_one_error_line(args, sandbox, monkeypatch, capsys):
    run_hostile_row(args, sandbox, monkeypatch, capsys)
