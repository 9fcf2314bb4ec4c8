"""Test computers for the Docker tests, plus fast unit tests of staging (no daemon needed).

``make_computer`` runs the real generator (standard size); ``handmade_computer`` writes a small
hand-made computer directory (spec + tree + manifest) for layout-specific cases.
"""

from __future__ import annotations

import json
import os
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worldbuilder.api import MANIFEST_FILE, SPEC_FILE, TREE_DIR, manifest
from worldbuilder.spec import ComputerSpec

PERSONA = "a senior financial advisor at a wealth management firm in Denver"


def make_computer(out: Path, size: str = "standard") -> Path:
    """A generated computer directory at ``out`` (the real offline generator; no fallback)."""
    from worldbuilder import api

    return api.generate(PERSONA, out, seed=0, size=size)  # type: ignore[arg-type]


def handmade_spec(kind: str = "linux", username: str = "jdoe") -> ComputerSpec:
    t0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    prefix = "C/Users/Jane/" if kind == "windows" else ""
    files = []
    for i, path in enumerate(["Documents/notes.txt", "Documents/Clients/acme/plan.md", "Desktop/todo.txt",
                              "Documents/data.csv", ".config/app.json"]):
        files.append({"path": prefix + path, "type": path.rsplit(".", 1)[1], "created": t0.isoformat(),
                      "modified": (t0 + timedelta(days=i, minutes=7 * i)).isoformat(),
                      "content": {"kind": "note", "title": path, "text": f"content {i}\n"}})
    if kind == "windows":
        files.append({"path": "D/Projects/budget.csv", "type": "csv", "created": t0.isoformat(),
                      "modified": (t0 + timedelta(days=9)).isoformat(),
                      "content": {"kind": "data", "title": "budget", "text": "a,b\n1,2\n"}})
    layout = ({"kind": "windows", "home": "C:\\Users\\Jane", "drives": {"C:": "C", "D:": "D"},
               "profile_root": "C/Users/Jane"} if kind == "windows" else {"kind": "linux", "home": f"/home/{username}"})
    data = {
        "id": f"test{kind[:3]}01", "persona": PERSONA,
        "generation": {"backend": "offline", "tool_version": "0.1.0", "seed": 0, "size": "small"},
        "profile": {"full_name": "Jane Doe", "first_name": "Jane", "last_name": "Doe", "username": username,
                    "email": "jane@example.com", "occupation": "financial_advisor",
                    "occupation_label": "Financial advisor", "sector": "finance", "employer": "Acme Wealth",
                    "job_title": "Senior Advisor", "seniority": "senior", "location": "Denver, CO",
                    "timezone": "America/Denver", "work_style": "organised", "career_start": "2010-01-01",
                    "uid": 1000},
        "world": {"organisations": [], "people": [], "projects": [], "facts": [],
                  "history_start": t0.isoformat(), "history_end": (t0 + timedelta(days=30)).isoformat()},
        "layout": layout, "files": files,
    }
    return ComputerSpec.model_validate(data)


def write_computer(spec: ComputerSpec, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    spec.save(out / SPEC_FILE)
    tree = out / TREE_DIR
    for f in spec.files:
        p = tree / f.path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f.content.text or "")
        os.utime(p, (f.modified.timestamp(), f.modified.timestamp()))
    (out / MANIFEST_FILE).write_text(json.dumps(manifest(tree), indent=1) + "\n")
    return out


def handmade_computer(out: Path, kind: str = "linux") -> Path:
    return write_computer(handmade_spec(kind), out)


# ---------------------------------------------------------------- unit tests (no daemon)


def test_layer_has_owners_and_mtimes(tmp_path):
    from worldbuilder.materialize import staging

    spec = handmade_spec()
    comp = write_computer(spec, tmp_path / "c")
    cfg = staging.provision_config(spec, "ssh-ed25519 AAAA test")
    n = staging.write_layer(spec, comp / TREE_DIR, tmp_path / "l.tar", cfg)
    assert n == len(spec.files)
    with tarfile.open(tmp_path / "l.tar") as tar:
        members = {m.name: m for m in tar.getmembers()}
    for f in spec.files:
        m = members[f"home/jdoe/{f.path}"]
        assert (m.uid, m.gid) == (1000, 1000)
        assert m.mtime == f.modified.timestamp()
    assert members["home/jdoe"].isdir() and members["home/jdoe"].mode == 0o750
    assert "tmp/wb-provision/provision.py" in members
    assert json.loads(tar_read(tmp_path / "l.tar", "tmp/wb-provision/computer.json"))["user"]["name"] == "jdoe"


def tar_read(path: Path, name: str) -> bytes:
    with tarfile.open(path) as tar:
        return tar.extractfile(name).read()


def test_windows_drive_mapping(tmp_path):
    from worldbuilder.materialize import staging

    spec = handmade_spec("windows")
    r = staging.roots(spec)
    assert r.home == "/mnt/c/Users/Jane"
    assert r.drives == {"C:": "/mnt/c", "D:": "/mnt/d"}
    assert r.to_container("D/Projects/budget.csv") == "/mnt/d/Projects/budget.csv"
    comp = write_computer(spec, tmp_path / "w")
    staging.write_layer(spec, comp / TREE_DIR, tmp_path / "w.tar", staging.provision_config(spec, "ssh-x"))
    with tarfile.open(tmp_path / "w.tar") as tar:
        m = {x.name: x for x in tar.getmembers()}
    assert m["mnt/c/Users"].uid == 0 and m["mnt/c/Users/Jane"].uid == 1000
    assert m["mnt/d/Projects/budget.csv"].uid == 1000


@pytest.mark.parametrize("name", ["Jane Doe", "root", "9lives", "a" * 40, "jd:x", "sshd"])
def test_bad_usernames_rejected(name):
    from worldbuilder.materialize import staging

    spec = handmade_spec()
    spec.profile.username = name
    with pytest.raises(staging.StagingError, match="not a valid Linux user name"):
        staging.validate_spec(spec)


def test_keypair_outside_image_and_stable(tmp_path, monkeypatch):
    from worldbuilder.materialize.keys import ensure_keypair

    monkeypatch.setenv("WORLDBUILDER_HOME", str(tmp_path))
    k1, k2 = ensure_keypair("abc"), ensure_keypair("abc")
    assert k1 == k2 and k1.public.startswith("ssh-ed25519 ")
    assert k1.private_path.stat().st_mode & 0o777 == 0o600
    assert str(k1.private_path).startswith(str(tmp_path))
