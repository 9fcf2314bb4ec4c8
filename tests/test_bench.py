"""Benchmark bundles without Docker: verification, archive safety, key scanning, results and leaderboard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bench_fixtures import file_member, link_member, make_bundle, write_tar_zst

from agent_harness.bench import archive
from agent_harness.bench.keyscan import find_key_material, is_key_path
from agent_harness.bench.results import Results, TaskResult, leaderboard, write_results
from agent_harness.bench.verify import verify

WB = str(Path(sys.executable).parent / "worldbuilder")


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A private WORLDBUILDER_CACHE (where archives are extracted) for the CLI subprocesses."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("WORLDBUILDER_CACHE", str(cache))
    monkeypatch.setenv("WORLDBUILDER_HOME", str(tmp_path / "home"))
    return cache


def _import(bundle: Path) -> subprocess.CompletedProcess:
    return subprocess.run([WB, "bench", "import", str(bundle)], capture_output=True, text=True, timeout=120)


def _rejected(proc: subprocess.CompletedProcess, words: str, cache: Path) -> None:
    """One ``error:`` line naming the problem, a non-zero exit, and no extracted files left behind."""
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert words in lines[0], lines[0]
    tmp = cache / "bench-tmp"
    assert not tmp.exists() or not any(tmp.iterdir())


def test_valid_bundle_verifies_and_round_trips_through_an_archive(tmp_path):
    m = make_bundle(tmp_path / "b")
    assert verify(tmp_path / "b").tasks == m.tasks
    arc = archive.pack(tmp_path / "b", tmp_path / "b.tar.zst")
    out = archive.extract(arc, tmp_path / "x")
    assert verify(out).files == m.files
    assert archive.pack(tmp_path / "b", tmp_path / "c.tar.zst").read_bytes() == arc.read_bytes()  # deterministic


def test_shared_layer_is_stored_once(tmp_path):
    m = make_bundle(tmp_path / "b", tasks=3)
    assert len({t.image.layers[0] for t in m.tasks}) == 1
    assert len(list((tmp_path / "b" / "blobs" / "sha256").iterdir())) == 1 + 3 * 2


def test_tampered_blob_is_rejected(tmp_path, env):
    m = make_bundle(tmp_path / "b")
    blob = tmp_path / "b" / "blobs" / "sha256" / m.tasks[0].image.layers[1].split(":")[1]
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")
    _rejected(_import(tmp_path / "b"), "digest mismatch", env)


def test_tampered_blob_inside_an_archive_is_rejected(tmp_path, env):
    m = make_bundle(tmp_path / "b")
    cfg = tmp_path / "b" / "tasks" / m.tasks[1].id / "grader" / "objectives.json"
    cfg.write_text('{"rubric": "easier"}')
    _rejected(_import(archive.pack(tmp_path / "b", tmp_path / "b.tar.zst")), "digest mismatch", env)


def test_unknown_format_version_is_rejected(tmp_path, env):
    make_bundle(tmp_path / "b")
    man = tmp_path / "b" / "benchmark.json"
    man.write_text(json.dumps(json.loads(man.read_text()) | {"format_version": 99}))
    _rejected(_import(tmp_path / "b"), "unknown bundle format version 99", env)


def test_unlisted_and_missing_files_are_rejected(tmp_path, env):
    make_bundle(tmp_path / "b")
    (tmp_path / "b" / "tasks" / "t0-day00" / "extra.sh").write_text("rm -rf /")
    _rejected(_import(tmp_path / "b"), "not listed", env)
    (tmp_path / "b" / "tasks" / "t0-day00" / "extra.sh").unlink()
    (tmp_path / "b" / "tasks" / "t0-day00" / "spec.json").unlink()
    _rejected(_import(tmp_path / "b"), "missing", env)


def test_symlink_in_a_bundle_folder_is_rejected(tmp_path, env):
    make_bundle(tmp_path / "b")
    (tmp_path / "b" / "tasks" / "t0-day00" / "escape").symlink_to("/etc")
    _rejected(_import(tmp_path / "b"), "symbolic link", env)


@pytest.mark.parametrize("member, words", [
    (file_member("../evil.txt"), "escapes the bundle folder"),
    (file_member("tasks/../../evil.txt"), "escapes the bundle folder"),
    (file_member("/etc/evil.txt"), "absolute path"),
    (link_member("tasks/out", "/etc/passwd"), "symbolic link pointing outside"),
    (link_member("tasks/out", "../../etc/passwd"), "symbolic link pointing outside"),
    (link_member("tasks/out", "/etc/passwd", hard=True), "hard link pointing outside"),
])
def test_traversal_entries_are_rejected(tmp_path, env, member, words):
    arc = write_tar_zst(tmp_path / "evil.tar.zst", [file_member("benchmark.json", b"{}"), member])
    _rejected(_import(arc), words, env)
    assert not (tmp_path / "evil.txt").exists() and not (env / "evil.txt").exists()


def test_truncated_archive_is_rejected(tmp_path, env):
    make_bundle(tmp_path / "b")
    data = archive.pack(tmp_path / "b", tmp_path / "b.tar.zst").read_bytes()
    for n, cut in enumerate((len(data) // 2, len(data) - 2)):
        (tmp_path / f"cut{n}.tar.zst").write_bytes(data[:cut])
        _rejected(_import(tmp_path / f"cut{n}.tar.zst"), "truncated", env)


def test_key_scanner():
    body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW" * 3
    pem = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
    assert find_key_material(pem.encode()) == "a private key"
    assert find_key_material(b"ssh-keygen prints -----BEGIN OPENSSH PRIVATE KEY-----\x00") is None
    assert find_key_material(b"key=sk-abcdefghijklmnopqrstuvwxyz012345") == "an API key"
    assert find_key_material(b"the risk-assessment-framework-document") is None
    assert find_key_material(b"token hunter2hunter2", extra=[b"hunter2hunter2"])
    assert is_key_path("./etc/ssh/ssh_host_ed25519_key") and is_key_path("home/ann/.ssh/authorized_keys")
    assert is_key_path("mnt/c/Users/Ann/.ssh/id_ed25519") and not is_key_path("home/ann/.ssh/config")
    assert not is_key_path("home/ann/.ssh/.wh.authorized_keys") and not is_key_path("etc/ssh/sshd_config")


def _results(agent: str, pts: list[tuple[float, float]]) -> Results:
    return Results(bundle="demo", version="1", agent=agent, created="2026-01-01T00:00:00+00:00",
                   tasks=[TaskResult(id=f"t{i}", points=p, max=m, status="completed", run=f"t{i}/run")
                          for i, (p, m) in enumerate(pts)])


def test_results_and_leaderboard(tmp_path):
    for agent, pts in (("offline", [(50, 100), (30, 60)]), ("openai:m", [(90, 100), (60, 60)])):
        (tmp_path / agent).mkdir()
        write_results(tmp_path / agent, _results(agent, pts))
    data = json.loads((tmp_path / "offline" / "results.json").read_text())
    assert data["mean_score"] == 0.5 and data["tasks"][1]["score"] == 0.5
    assert "| offline | demo 1 | 2 | 0.500 | t0 50/100; t1 30/60 |" in (tmp_path / "offline" / "results.md").read_text()
    out = subprocess.run([WB, "bench", "leaderboard", str(tmp_path / "offline"),
                          str(tmp_path / "openai:m" / "results.json")], capture_output=True, text=True, check=True)
    rows = [ln for ln in out.stdout.splitlines() if ln.startswith("| o")]
    assert [r.split("|")[1].strip() for r in rows] == ["openai:m", "offline"]
    assert "0.950" in rows[0]
    assert leaderboard([tmp_path / "offline"]).count("\n") == 3


def test_leaderboard_rejects_a_non_results_file(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    proc = subprocess.run([WB, "bench", "leaderboard", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "not a bench results file" in proc.stderr
