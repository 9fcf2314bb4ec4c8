"""The hostile-input table, part two: the commands added after issue #7 (fleet, bench, skills, eval, gdpval,
judge, report, scores, judge-eval, serve, image push/pull, windows, personas explain, gc...).  Every row
drives the real CLI entry point in-process with one bad input and must end with exactly one ``error: ...``
line on stderr, a non-zero exit, no internal error and no file created, changed or removed in the sandbox."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from bench_fixtures import make_bundle
from test_bad_input import run_hostile_row

from agent_harness.judge import judge_run
from agent_harness.runlog import atomic_write
from agent_harness.runs import SimOptions, new_run
from worldbuilder.api import generate
from worldbuilder.personas import load_personas

SKILL_MDS = {  # skill folder -> its SKILL.md
    "unclosed": "---\nname: unclosed\ndescription: use it\n",
    "badyaml": "---\nname: [oops\ndescription: : :\n---\nbody\n",
    "listfm": "---\n- a\n- b\n---\nbody\n",
    "nameint": "---\nname: 12\ndescription: use it\n---\nbody\n",
    "mismatch": "---\nname: other-name\ndescription: use it\n---\nbody\n",
    "traversal": "---\nname: ../../etc\ndescription: use it\n---\nbody\n",
    "empty": "",
}


def _clone_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    snaps = dst / "snapshots.json"
    snaps.write_text(snaps.read_text().replace(str(src.resolve()), str(dst.resolve())))
    return dst


def _runs(root: Path) -> None:
    comp = root / "comp"
    generate(load_personas()[0], comp, seed=0, size="small")
    run = root / "run"
    assert new_run(comp, run, SimOptions(days=1, turns_per_day=20, runtime="local")).run().status == "completed"
    judge_run(run)
    spoil = {
        "run_badjudge": ("judgement.json", "{broken"), "run_listjudge": ("judgement.json", "[1, 2]"),
        "run_typejudge": ("judgement.json", '{"total": "lots", "deliverables": 3}'),
        "run_badrun": ("run.json", "{broken"), "run_badobj": ("objectives.json", "{broken"),
        "run_badsnaps": ("snapshots.json", "{broken"), "run_listsnaps": ("snapshots.json", "[[1]]"),
        "run_badturns": ("daily_sim_turns.jsonl", '{"half": '), "run_badsummary": ("summary.json", "[]"),
    }
    for name, (file, text) in spoil.items():
        _clone_run(run, root / name)
        (root / name / file).write_text(text)
    _clone_run(run, root / "run_nojudge")
    (root / "run_nojudge" / "judgement.json").unlink()
    (root / "run_nojudge" / "objectives.json").unlink()


def _files(root: Path) -> None:
    decoy = root / "decoy"
    decoy.mkdir()
    (decoy / "thesis.txt").write_text("irreplaceable")
    (root / "afile").write_text("x")
    (root / "empty").mkdir()
    (root / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (root / "big.txt").write_text("persona " * 20000 + "\n")
    (root / "blank.txt").write_text("\n  \n\n")
    (root / "empty.txt").write_text("")
    os.mkfifo(root / "fifo")
    (root / "notjson.json").write_text("{nope")
    (root / "list.json").write_text("[1, 2]")
    (root / "half.jsonl").write_text('{"task_id": "a", "prompt": "x"}\n{"task_id": ')
    (root / "fields.jsonl").write_text('{"a": 1}\n')
    (root / "empty.jsonl").write_text("")
    (root / "bad.parquet").write_text("PAR1 not really")
    (root / "notzst.tar.zst").write_bytes(b"not a zstd frame" * 10)
    (root / "notzip.zip").write_text("not a zip")
    (root / "notiso.iso").write_text("not an iso")
    for name, text in SKILL_MDS.items():
        (root / f"skills_{name}" / name).mkdir(parents=True)
        (root / f"skills_{name}" / name / "SKILL.md").write_text(text)
    (root / "skills_nomd" / "x").mkdir(parents=True)
    (root / "skills_dirmd" / "x" / "SKILL.md").mkdir(parents=True)
    for name, text in {"fleet_badcfg": "{broken", "fleet_listcfg": "[1]", "fleet_typecfg": '{"jobs": 3}'}.items():
        (root / name).mkdir()
        (root / name / "fleet.json").write_text(text)
    (root / "fleet_dircfg" / "fleet.json").mkdir(parents=True)
    for name, text in {"bundle_badjson": "{broken", "bundle_list": "[1]", "bundle_type": '{"tasks": "x"}'}.items():
        (root / name).mkdir()
        (root / name / "benchmark.json").write_text(text)
    make_bundle(root / "bundle_ok")
    make_bundle(root / "bundle_noblob")
    blob = next(p for p in sorted((root / "bundle_noblob").rglob("*")) if p.is_file() and "blobs" in p.parts)
    blob.unlink()
    make_bundle(root / "bundle_tampered")
    task = root / "bundle_tampered" / "tasks" / "t0-day00" / "task.json"
    task.write_text('{"evil": 1}')
    (root / "results_bad").mkdir()
    (root / "results_bad" / "results.json").write_text("{broken")
    (root / "results_type.json").write_text('{"rows": "x", "agent": 3}')
    (root / "results_rows.json").write_text(json.dumps({"format": "worldbuilder-bench-results/1", "tasks": "x"}))
    (root / "evalset_bad").mkdir()
    (root / "evalset_bad" / "setup.yaml").write_text(": : :\n  - [")
    shutil.copytree(Path(__file__).parent / "judge_eval", root / "evalset_noobj")
    (root / "evalset_noobj" / "objectives.json").unlink()
    (root / "paired_badcfg").mkdir()
    (root / "paired_badcfg" / "config.json").write_text("{broken")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad2")
    _runs(root)
    _files(root)
    os.symlink(root / "decoy", root / "decoylink")
    return root


@pytest.fixture(scope="module")
def busy_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    yield s.getsockname()[1]
    s.close()


def rows() -> list[list[str]]:
    fleet = ["fleet", "run", "--out", "newfleet"]
    paired = ["eval", "paired", "--train-computers", "1", "--test-computers", "1", "--out", "newpaired"]
    gdp = ["gdpval", "run", "half.jsonl", "--runtime", "local", "--out", "newgdp"]
    judged = [f"run_{n}" for n in ("badjudge", "listjudge", "typejudge")]
    spoilt = [f"run_{n}" for n in ("badrun", "badobj", "badsnaps", "listsnaps", "badturns", "badsummary")]
    table = [
        # fleet run / status / report, gc
        [*fleet, "--sample", "0"], [*fleet, "--sample", "-1"], [*fleet, "--sample", "10000000"],
        [*fleet, "--sample", "2", "--workers", "0"], [*fleet, "--sample", "2", "--workers", "-3"],
        [*fleet, "--sample", "2", "--days", "0"], [*fleet, "--sample", "2", "--days", "9999"],
        [*fleet, "--sample", "2", "--max-attempts", "0"], [*fleet, "--sample", "2", "--turns-per-day", "0"],
        [*fleet, "--sample", "2", "--stages", "bogus"], [*fleet, "--sample", "2", "--stages", ","],
        [*fleet, "--sample", "2", "--stages", "simulate,generate"], [*fleet, "--sample", "2", "--engine", "spark"],
        [*fleet, "--sample", "2", "--agent", "gpt4"], [*fleet, "--sample", "2", "--collaborators", "x"],
        [*fleet, "--sample", "2", "--seed", "abc"], [*fleet, "--sample", "2", "--size", "huge"],
        [*fleet, "--sample", "2", "--personas", "blank.txt"], [*fleet], [*fleet, "--personas", "missing"],
        [*fleet, "--personas", "empty.txt"], [*fleet, "--personas", "blank.txt"], [*fleet, "--personas", "binary.bin"],
        [*fleet, "--personas", "big.txt"], [*fleet, "--personas", "fifo"], [*fleet, "--personas", "/dev/zero"],
        [*fleet, "--personas", "decoy"],
        ["fleet", "run", "--out", "afile", "--sample", "1"], ["fleet", "run", "--out", "decoy", "--sample", "1"],
        ["fleet", "run", "--out", "comp", "--sample", "1"], ["fleet", "run", "--out", "/proc/x", "--sample", "1"],
        ["fleet", "run", "--out", "fleet_badcfg"], ["fleet", "run", "--out", "fleet_listcfg"],
        ["fleet", "run", "--out", "fleet_typecfg"], ["fleet", "run", "--out", "fleet_dircfg"],
        *[["fleet", sub, d] for sub in ("status", "report")
          for d in ("missing", "afile", "decoy", "fleet_badcfg", "fleet_listcfg", "fleet_typecfg", "fleet_dircfg")],
        ["gc", "--keep-days", "-1"], ["gc", "--keep-days", "abc"], ["gc", "--fleet", "afile"],
        ["gc", "--fleet", "missing"], ["gc", "--fleet", "decoy"], ["gc", "--fleet", "fleet_badcfg"],
        # bench export / import / run / leaderboard
        ["bench", "export", "missing", "--out", "b1"], ["bench", "export", "afile", "--out", "b1"],
        ["bench", "export", "decoy", "--out", "b1"], ["bench", "export", "comp", "--out", "decoy"],
        ["bench", "export", "comp", "--out", "afile"], ["bench", "export", "comp", "--out", "b1", "--archive"],
        ["bench", "export", "comp", "--out", "b1", "--day", "-1"], ["bench", "export", "comp", "--out", "b1", "--day", "x"],
        ["bench", "export", "run", "--out", "b1", "--day", "999"], ["bench", "export", "comp", "--out", "b1", "--day", "3"],
        ["bench", "export", "comp", "--out", "b1", "--format", "zip"],
        ["bench", "export", "comp", "--out", "decoy", "--format", "harbor"],
        ["bench", "export", "decoy", "--out", "h1", "--format", "harbor"],
        ["bench", "export", "run", "--out", "h1", "--format", "harbor", "--day", "999"],
        ["bench", "export", "comp", "--out", "h1", "--format", "harbor", "--skills-dir", "../../etc"],
        *[["bench", "export", r, "--out", "b1"] for r in spoilt],
        ["bench", "export", "comp", "--out", "/proc/b1"],
        *[["bench", "import", b] for b in ("missing", "afile", "decoy", "empty", "bundle_badjson", "bundle_list",
                                         "bundle_type", "bundle_noblob", "bundle_tampered", "notzst.tar.zst",
                                         "notjson.json", "fifo")],
        ["bench", "run", "missing"], ["bench", "run", "decoy", "--out", "r1"], ["bench", "run", "bundle_badjson", "--out", "r1"],
        ["bench", "run", "notzst.tar.zst", "--out", "r1"], ["bench", "run", "bundle_noblob", "--out", "r1"],
        ["bench", "run", "bundle_tampered", "--out", "r1"],
        ["bench", "run", "bundle_ok", "--agent", "gpt4", "--out", "r1"],
        ["bench", "run", "bundle_ok", "--tasks", "nope", "--out", "r1"], ["bench", "run", "bundle_ok", "--out", "afile"],
        ["bench", "run", "bundle_ok", "--out", "decoy"], ["bench", "run", "bundle_ok", "--out", "comp"],
        ["bench", "run", "bundle_badjson", "--days", "0"], ["bench", "run", "bundle_badjson", "--days", "-1"],
        # single-deliverable tasks and the paired fleet options (merged after the rows above were written)
        ["bench", "export", "run", "--out", "b1", "--deliverable", "nope"],
        ["bench", "export", "run", "--out", "b1", "--deliverable", "../../etc"],
        ["bench", "export", "run", "--out", "h1", "--format", "harbor", "--deliverable", "nope"],
        ["bench", "run", "bundle_ok", "--out", "r1", "--deliverable", "nope"],
        ["bench", "run", "bundle_ok", "--out", "r1", "--turns-per-day", "0"],
        ["bench", "run", "bundle_ok", "--out", "r1", "--turns-per-day", "-3"],
        [*paired, "--workers", "2"], [*paired, "--engine", "ray"], [*paired, "--fleet", "--workers", "0"],
        [*paired, "--fleet", "--workers", "-1"], [*paired, "--fleet", "--engine", "slurm"],
        ["boot", "comp", "--backend", "windows-qemu"], ["boot", "comp", "--backend", "windows-qemu", "--iso", "missing.iso"],
        ["bench", "leaderboard", "missing"], ["bench", "leaderboard", "decoy"], ["bench", "leaderboard", "afile"],
        ["bench", "leaderboard", "notjson.json"], ["bench", "leaderboard", "list.json"],
        ["bench", "leaderboard", "results_bad"], ["bench", "leaderboard", "results_type.json"],
        ["bench", "leaderboard", "results_rows.json"],
        ["bench", "leaderboard", "empty"], ["bench", "leaderboard", "fifo"],
        # skills
        *[["skills", "validate", f"skills_{n}"] for n in (*SKILL_MDS, "nomd", "dirmd")],
        ["skills", "validate", "missing"], ["skills", "validate", "afile"], ["skills", "validate", "empty"],
        ["skills", "validate", "decoy"],
        ["skills", "mine", "missing", "--out", "sk"], ["skills", "mine", "afile", "--out", "sk"],
        ["skills", "mine", "decoy", "--out", "sk"], ["skills", "mine", "comp", "--out", "sk"],
        *[["skills", "mine", r, "--out", "sk"] for r in (*judged, "run_badrun", "run_badturns", "run_nojudge")],
        ["skills", "mine", "run", "--out", "decoy"], ["skills", "mine", "run", "--out", "comp"],
        ["skills", "mine", "run", "--out", "afile"], ["skills", "mine", "run", "--out", "."],
        ["skills", "mine", "run", "--out", "/proc/sk"], ["skills", "mine", "run", "--out", "decoylink"],
        ["skills", "mine", "run", "--out", "sk", "--miner", "nope"],
        ["skills", "mine", "run", "--out", "sk", "--max-skills", "0"],
        ["skills", "mine", "run", "--out", "sk", "--max-skills", "-2"],
        ["skills", "mine", "run", "--out", "sk", "--max-skills", "abc"],
        # eval paired
        [*paired, "--train-computers", "x"], [*paired, "--train-computers", "0"], [*paired, "--train-computers", "-1"],
        [*paired, "--train-computers", ","], [*paired, "--train-computers", "100000"],
        [*paired, "--test-computers", "0"], [*paired, "--test-computers", "-2"],
        [*paired, "--days", "0"], [*paired, "--turns-per-day", "0"], [*paired, "--agent", "gpt4"],
        [*paired, "--miner", "nope"], [*paired, "--runtime", "podman"], [*paired, "--size", "huge"],
        [*paired, "--tie-margin", "-1"], [*paired, "--tie-margin", "nan"], [*paired, "--max-skills", "0"],
        [*paired, "--skills-path", "../../etc"], [*paired, "--skills-path", "/etc"],
        [*paired[:-1], "afile"], [*paired[:-1], "decoy"], [*paired[:-1], "comp"], [*paired[:-1], "paired_badcfg"],
        [*paired[:-1], "/proc/p"],
        # gdpval
        *[["gdpval", "load", d] for d in ("missing", "afile", "decoy", "empty", "half.jsonl", "fields.jsonl",
                                         "empty.jsonl", "bad.parquet", "notjson.json", "list.json", "fifo",
                                         "/dev/zero", "hf://../../etc", "hf://")],
        ["gdpval", "run", "missing", "--runtime", "local", "--out", "newgdp"], gdp,
        ["gdpval", "run", "fields.jsonl", "--runtime", "local", "--out", "newgdp"],
        [*gdp, "--tasks", "0"], [*gdp, "--tasks", "-1"], [*gdp, "--turns", "0"], [*gdp, "--max-wall", "0"],
        [*gdp, "--max-wall", "-5"], [*gdp, "--max-wall", "nan"], [*gdp, "--agent", "gpt4"], [*gdp, "--judge", "nope"],
        [*gdp, "--runtime", "podman"], [*gdp, "--size", "huge"], [*gdp, "--skills", "afile"],
        [*gdp, "--skills", "skills_badyaml"], [*gdp, "--skills-path", "../../etc"],
        # judge, report, scores, judge-eval
        *[["judge", r] for r in ("missing", "afile", "decoy", "comp", *spoilt)],
        ["judge", "run", "--judge", "nope"], ["judge", "run", "--judge", "openai:"], ["judge", "run", "--samples", "0"],
        ["judge", "run", "--samples", "21"], ["judge", "run", "--day", "-1"], ["judge", "run", "--day", "999"],
        ["judge", "run", "--day", "1", "--all-days"],
        *[["report", r] for r in ("missing", "afile", "decoy", "comp", *spoilt, *judged)],
        ["report", "run", "--writer", "nope"],
        *[["scores", r, "--json"] for r in ("missing", "afile", "decoy", "comp", *judged, "run_nojudge")],
        ["scores", "run", "--json", "--csv"], ["scores", "run", "--plot", "decoy"],
        ["scores", "run", "--plot", "missingdir/s.png"], ["scores", "run", "--plot", "/proc/s.png"],
        ["scores", "run", "--plot", "afile/s.png"],
        ["judge-eval", "--set", "missing"], ["judge-eval", "--set", "afile"], ["judge-eval", "--set", "empty"],
        ["judge-eval", "--set", "evalset_bad"], ["judge-eval", "--set", "evalset_noobj"], ["judge-eval", "--set", "decoy"], ["judge-eval", "--judge", "nope"],
        ["judge-eval", "--samples", "0"],
        # serve, personas explain, check, runs ls, objectives
        ["serve", "missing", "--port", "0"], ["serve", "afile", "--port", "0"], ["serve", "--port", "-1"],
        ["serve", "--port", "70000"], ["serve", "--port", "abc"], ["serve", "--host", "no.such.host.invalid", "--port", "0"],
        ["serve", "--host", "8.8.8.8", "--port", "0"], ["serve", "--cache-dir", "afile", "--port", "0"],
        ["personas", "explain", ""], ["personas", "explain", "   "], ["personas", "explain", "x" * 100000],
        ["check", "missing"], ["check", "afile"], ["check", "notjson.json"], ["check", "list.json"], ["check", "empty"],
        ["runs", "ls", "missing"], ["runs", "ls", "afile"],
        ["vm", "xml", "missing"], ["vm", "xml", "decoy"], ["vm", "snapshot", "ls", "x;id"],
        ["vm", "snapshot", "create", "$(id)", "day-01"], ["vm", "snapshot", "restore", "../x", "day-01"],
        ["vm", "snapshot", "diff", "x;id", "a", "b"],
        ["objectives", "comp", "--out", "afile/o.json"], ["objectives", "comp", "--out", "/proc/o.json"],
        ["objectives", "comp", "--days", "9999"],
        # image push/pull (registry), image build --os windows, windows build/boot
        *[["image", verb, name, "--registry", reg] for verb in ("push", "pull")
          for name, reg in (("../x", "127.0.0.1:5055"), ("x;id", "127.0.0.1:5055"), ("$(id)", "127.0.0.1:5055"),
                            ("wb-x", "bad host"), ("wb-x", "127.0.0.1:99999"), ("wb-x", "http://h:1/../"),
                            ("wb-x", "-oProxyCommand=id"))],
        ["image", "build", "comp", "--os", "windows"], ["image", "build", "comp", "--os", "beos"],
        ["image", "build", "comp", "--backend", "windows-qemu"], ["image", "build", "comp", "--method", "x"],
        ["windows", "build", "comp"], ["windows", "build", "decoy"], ["windows", "build", "missing"],
        ["windows", "build", "comp", "--data-size", "0"], ["windows", "build", "comp", "--data-size", "99999"],
        ["windows", "build", "comp", "--openssh-zip", "missing.zip"],
        ["windows", "build", "comp", "--openssh-zip", "notzip.zip"], ["windows", "build", "comp", "--out", "afile"],
        ["windows", "build", "comp", "--out", "decoy"],
        ["windows", "boot", "missing"], ["windows", "boot", "decoy"], ["windows", "boot", "afile"],
        ["windows", "boot", "comp", "--timeout", "-1"], ["windows", "boot", "comp", "--timeout", "0"],
        ["windows", "boot", "comp", "--iso", "missing.iso"], ["windows", "boot", "comp", "--iso", "notiso.iso"],
        ["windows", "boot", "comp", "--base-qcow2", "afile"],
    ]
    return table


def test_the_table_has_at_least_two_hundred_rows():
    assert len(rows()) >= 200


@pytest.mark.parametrize("args", rows(), ids=lambda a: " ".join(a)[:70])
def test_hostile_input_is_one_error_line(args, sandbox, monkeypatch, capsys):
    run_hostile_row(args, sandbox, monkeypatch, capsys)


def test_an_interrupted_or_failed_atomic_write_leaves_no_half_written_file(tmp_path, monkeypatch):
    (tmp_path / "out" / "x").mkdir(parents=True)  # renaming onto a non-empty folder fails
    with pytest.raises(OSError):
        atomic_write(tmp_path / "out", "text")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "o.json", "text")
    assert sorted(os.listdir(tmp_path)) == ["out"]
