"""``image push|pull`` through Debian's docker-registry on localhost (started by ensure-engine.sh registry)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import docker_available

pytestmark = [pytest.mark.docker, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
WB = str(Path(sys.executable).parent / "worldbuilder")
PORT = "5061"


def wb(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([WB, *args], capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"worldbuilder {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    if not docker_available():
        pytest.fail("Docker is not running; run scripts/ensure-engine.sh docker")
    tmp = tmp_path_factory.mktemp("registry")
    env = os.environ | {"WORLDBUILDER_REGISTRY_PORT": PORT, "TMPDIR": str(tmp)}
    subprocess.run([str(ROOT / "scripts" / "ensure-engine.sh"), "registry"], env=env, check=True, timeout=600)
    state = tmp / f"worldbuilder-registry-{PORT}"
    assert (state / "data").is_dir()
    yield f"127.0.0.1:{PORT}", state / "data"
    os.kill(int((state / "pid").read_text()), signal.SIGTERM)
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def computer(tmp_path_factory):
    out = tmp_path_factory.mktemp("reg") / "computer"
    wb("generate", "--persona", "a courier dispatcher in Bristol", "--seed", "61", "--size", "small", "--out", str(out))
    tag = wb("image", "build", str(out)).stdout.split()[0]
    cid = json.loads((out / "spec.json").read_text())["id"]
    yield cid, tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def _image_id(ref: str) -> str | None:
    proc = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", ref], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def test_push_delete_pull_boot(registry, computer):
    host, data = registry
    cid, tag = computer
    before = _image_id(tag)
    pushed = wb("image", "push", tag, "--registry", host).stdout
    assert f"{host}/{tag}" in pushed and "sha256:" in pushed
    assert any(data.rglob("link")), "the registry stored nothing"
    assert _image_id(f"{host}/{tag}") is None  # the push tag is not left behind
    wb("image", "rm", tag)
    assert _image_id(tag) is None
    pulled = wb("image", "pull", cid, "--registry", host).stdout  # a bare computer id: all its tags
    assert f"-> {tag}" in pulled
    assert _image_id(tag) == before  # same image id: content-addressed all the way
    name = wb("boot", tag).stdout.split()[0]
    try:
        from worldbuilder.runtime.docker_backend import DockerBackend

        comp = DockerBackend().attach(name)
        assert comp.exec("whoami").exit_code == 0
        comp.close()
    finally:
        wb("stop", name)


def test_bad_registry_and_missing_image_are_one_line_errors(registry):
    host, _ = registry
    proc = wb("image", "pull", "nosuchcomputer", "--registry", host, check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "no images of computer" in proc.stderr
    proc = wb("image", "push", "x", "--registry", "not a host", check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: invalid registry")
