"""The Docker provider on the Docker SDK: typed errors, DOCKER_HOST, and no ``docker`` CLI process.

The error-mapping tests need no daemon; the ones marked docker run a real computer's whole lifecycle
(build, boot, exec, snapshot, flatten, diff, export, restore, carry-over, stop) with a trap ``docker``
first on PATH and an audit hook on every process start, and fail if anything ran the CLI.
"""

from __future__ import annotations

import ast
import os
import secrets
import subprocess
import sys
import tarfile
from pathlib import Path

import docker.errors
import pytest
import requests

from tests.test_docker_helpers import handmade_spec, write_computer
from worldbuilder.errors import (
    ComputerNameInUse,
    ComputerNotRunning,
    DockerError,
    EngineUnavailable,
    ImageNotFound,
    WorldbuilderError,
)
from worldbuilder.materialize import docker_sdk

TAG = secrets.token_hex(3)
SPAWN = {"run", "Popen", "check_output", "check_call", "call", "execvp", "execv", "posix_spawn", "spawnvp",
         "create_subprocess_exec"}


def _api_error(cls, status: int, explanation: str):
    resp = requests.models.Response()
    resp.status_code = status
    return cls(f"{status} Client Error", response=resp, explanation=explanation)


@pytest.mark.parametrize("host", ["unix:///nonexistent/docker.sock", "tcp://127.0.0.1:1", "bogus://nowhere"])
def test_unreachable_daemon_is_one_engine_unavailable_line(monkeypatch, host):
    monkeypatch.setenv("DOCKER_HOST", host)
    with pytest.raises(EngineUnavailable) as exc:
        docker_sdk.ensure_daemon()
    msg = str(exc.value)
    assert "\n" not in msg and host in msg and "scripts/ensure-engine.sh docker" in msg, msg


def test_cli_with_a_bogus_docker_host_prints_one_error_line(tmp_path):
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock", "WORLDBUILDER_HOME": str(tmp_path)}
    for args in (["ps"], ["boot", "nosuchcomputer"], ["image", "ls"]):
        r = subprocess.run([sys.executable, "-m", "worldbuilder.cli", *args], capture_output=True, text=True,
                           env=env, timeout=60)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stderr.startswith("error: no Docker daemon answers at unix:///nonexistent/docker.sock")
        assert r.stderr.count("\n") == 1, r.stderr


def test_sdk_errors_map_to_typed_errors():
    def raised(exc, **kw):
        with pytest.raises(WorldbuilderError) as got, docker_sdk.translated("thing", **kw):
            raise exc
        return got.value

    e = raised(_api_error(docker.errors.ImageNotFound, 404, "No such image: x:y"), subject="x:y")
    assert type(e) is ImageNotFound and str(e) == "image not found: x:y"
    e = raised(_api_error(docker.errors.NotFound, 404, "No such container: c1"), missing=ComputerNotRunning)
    assert type(e) is ComputerNotRunning and "No such container: c1" in str(e)
    e = raised(_api_error(docker.errors.NotFound, 404, "No such network: n"))
    assert type(e) is DockerError and e.status == 404
    e = raised(_api_error(docker.errors.APIError, 409, 'Conflict. The name "/c1" is already in use\nmore'))
    assert type(e) is DockerError and e.status == 409 and str(e) == \
        'docker thing failed: Conflict. The name "/c1" is already in use'
    e = raised(requests.exceptions.ConnectionError("refused"))
    assert type(e) is EngineUnavailable and "ensure-engine.sh" in str(e)
    e = raised(requests.exceptions.ReadTimeout("slow"))
    assert type(e) is DockerError and "timed out" in str(e)
    e = raised(docker.errors.DockerException("Error while fetching server API version: boom\ntrace"))
    assert type(e) is EngineUnavailable and "\n" not in str(e)


def test_stream_errors_raise_docker_error():
    with pytest.raises(DockerError, match="docker load failed: archive/tar: invalid tar header"):
        docker_sdk._stream_errors("load", [{"stream": "x"}, {"errorDetail": {"message": "m"},
                                                            "error": "archive/tar: invalid tar header\nx"}])
    assert docker_sdk._stream_errors("load", ['{"stream": "Loaded image: a:b\\n"}', "not json"]) == [
        {"stream": "Loaded image: a:b\n"}]


def _docker_cli_uses(path: Path) -> list[str]:
    """Where a module imports docker_cli, looks up the ``docker`` executable, or starts ``docker ...``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom | ast.Import):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any("docker_cli" in n for n in names):
                found.append(f"{path.name}:{node.lineno} imports docker_cli")
        elif isinstance(node, ast.Call) and node.args:
            first, func = node.args[0], ast.unparse(node.func)
            starts = func.split(".")[-1] in SPAWN
            argv0 = first.elts[0] if starts and isinstance(first, ast.List | ast.Tuple) and first.elts else None
            lookup = first if func.split(".")[-1] == "which" else None  # shutil.which("docker")
            if any(isinstance(x, ast.Constant) and x.value == "docker" for x in (argv0, lookup)):
                found.append(f"{path.name}:{node.lineno} calls {func}('docker' ...)")
    return found


def test_no_package_module_uses_the_docker_cli():
    """worldbuilder/ and agent_harness/ reach the daemon only through docker_sdk (docker_cli itself excepted)."""
    root = Path(__file__).resolve().parents[1]
    paths = sorted([*root.glob("worldbuilder/**/*.py"), *root.glob("agent_harness/**/*.py")])
    assert len(paths) > 50
    offenders = [u for p in paths if p.name != "docker_cli.py" for u in _docker_cli_uses(p)]
    assert offenders == []
    probe = root / "tests" / "test_docker_runtime.py"  # the check itself finds what it looks for
    assert any("imports docker_cli" in u for u in _docker_cli_uses(probe))
    assert any("('docker' ...)" in u for u in _docker_cli_uses(probe))


# ------------------------------------------------------------------------------------------- daemon
@pytest.fixture(scope="module")
def home(tmp_path_factory):
    try:
        docker_sdk.ensure_daemon()
    except EngineUnavailable as exc:
        pytest.fail(f"Docker is required for this test: {exc}")
    mp = pytest.MonkeyPatch()
    mp.setenv("WORLDBUILDER_HOME", str(tmp_path_factory.mktemp("wbhome-sdk")))
    yield tmp_path_factory
    api = docker_sdk.api()
    for c in api.containers(all=True, filters={"name": f"wbsdk-{TAG}"}):
        api.remove_container(c["Id"], force=True)
    for img in api.images(name=f"worldbuilder/computer-wbsdk{TAG}"):
        for t in img.get("RepoTags") or []:
            api.remove_image(t, force=True)
    mp.undo()


@pytest.mark.docker
def test_missing_objects_are_typed(home):
    from worldbuilder.materialize.docker_image import inspect_image
    from worldbuilder.runtime.provider import make_provider

    with pytest.raises(ImageNotFound):
        docker_sdk.image_labels(f"wbsdk-{TAG}/none:nope")
    with pytest.raises(ImageNotFound):
        inspect_image(f"wbsdk-{TAG}/none:nope")
    with pytest.raises(ImageNotFound):
        docker_sdk.run_capture(f"wbsdk-{TAG}/none:nope", ["true"])
    assert docker_sdk.image_info("Not/A Valid:Ref") is None
    provider = make_provider("docker")
    with pytest.raises(ImageNotFound):
        provider.boot(f"wbsdk{TAG}nothing")
    for call in (provider.attach, provider.stop):
        with pytest.raises(ComputerNotRunning):
            call(f"wbsdk-{TAG}-nobody")


class _NoDockerCLI:
    """Record every start of a program called ``docker``: a trap script first on PATH, and an audit hook
    that sees absolute paths too (audit hooks cannot be removed: it records only while ``on``)."""

    def __init__(self, bindir: Path) -> None:
        self.log = bindir / "calls.log"
        trap = bindir / "docker"
        trap.write_text(f'#!/bin/sh\necho "docker $*" >> {self.log}\nexit 97\n')
        trap.chmod(0o755)
        self.bindir, self.calls, self.on = bindir, [], False
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if self.on and event in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.system"):
            argv = args[1] if event != "os.system" else [args[0]]
            first = os.fspath(argv[0] if isinstance(argv, list | tuple) and argv else args[0])
            if os.path.basename(str(first).split()[0]) == "docker":
                self.calls.append(" ".join(map(str, argv if isinstance(argv, list | tuple) else [argv])))

    def found(self) -> list[str]:
        return self.calls + (self.log.read_text().splitlines() if self.log.exists() else [])


@pytest.mark.docker
def test_docker_provider_lifecycle_runs_no_docker_cli(home, monkeypatch):
    from worldbuilder.materialize.docker_image import build_image
    from worldbuilder.runtime.docker_backend import NETWORK
    from worldbuilder.runtime.limits import Limits
    from worldbuilder.runtime.provider import ImageRef, make_provider

    tmp = home.mktemp("nocli")
    guard = _NoDockerCLI(tmp)
    monkeypatch.setenv("PATH", f"{tmp}{os.pathsep}{os.environ['PATH']}")
    assert subprocess.run(["docker", "version"], capture_output=True).returncode == 97  # the trap is live
    guard.calls.clear()
    guard.log.unlink()
    spec = handmade_spec()
    spec.id = f"wbsdk{TAG}"
    comp = write_computer(spec, tmp / "computer")
    owner = {"run": f"sdk-{TAG}", "run-dir": str(tmp)}
    limits = Limits(cpus=0.5, memory="384m", pids=128, disk="256m")
    provider = make_provider("docker", limits=limits, owner=owner, workdir=tmp / "work")
    guard.on = True
    try:
        ref = provider.prepare(comp)
        c = provider.boot(ref, name=f"wbsdk-{TAG}-a")
        assert c.exec("whoami").stdout.strip() == "jdoe"
        host = docker_sdk.container_info(c.name)["HostConfig"]
        assert (host["NanoCpus"], host["Memory"], host["MemorySwap"], host["PidsLimit"]) == \
            (500_000_000, 384 << 20, 384 << 20, 128)
        assert host["CapDrop"] == ["ALL"] and host["NetworkMode"] == NETWORK
        assert {"Name": "fsize", "Soft": 256 << 20, "Hard": 256 << 20} in host["Ulimits"]
        from worldbuilder.materialize.docker_image import inspect_image
        from worldbuilder.runtime.docker_backend import _create_and_start

        with pytest.raises(ComputerNameInUse):  # a name taken between the check and the create
            _create_and_start(c.name, inspect_image(ref.ref), {}, limits, NETWORK, owner, None, False)
        assert c.exec("true").ok  # ... and the container that holds it is left alone
        c.write(f"/home/jdoe/Documents/sdk-{TAG}.txt", b"day one\n")
        snaps = provider.snapshots(c)
        snaps.snapshot("day-1")
        assert snaps.layers("day-1") >= 2 and "day-1" in [s.label for s in snaps.list()]
        snaps.flatten("day-1")
        assert snaps.layers("day-1") == 1
        assert f"Documents/sdk-{TAG}.txt" in snaps.diff("latest", "day-1").added
        archive = snaps.export("day-1", tmp / "day-1.tar")
        with tarfile.open(archive) as tar:
            assert "manifest.json" in tar.getnames()
        day1 = [s for s in snaps.list() if s.label == "day-1"][0]
        c = provider.carry_over(c, day1)
        assert c.read(f"/home/jdoe/Documents/sdk-{TAG}.txt") == b"day one\n"
        other = provider.boot(ImageRef("docker", day1.ref, spec.id), name=f"wbsdk-{TAG}-b")
        assert {r.name for r in provider.ls()} >= {c.name, other.name}
        provider.release(other)
        provider.reap()
        assert not [r for r in provider.ls() if r.name.startswith(f"wbsdk-{TAG}")]
        prov = build_image(comp, method="provision")  # put_archive, start/wait, get_archive, commit
        assert prov.user == "jdoe" and docker_sdk.image_labels(prov.tag).get("org.worldbuilder.method") != "layer"
    finally:
        guard.on = False
    assert guard.found() == [], guard.found()


@pytest.mark.docker
def test_refused_load_is_a_docker_error_and_the_writer_is_released(home):
    """A stream the daemon rejects raises DockerError with its reason; the writing thread does not hang."""
    def write(w) -> None:
        for _ in range(64):  # 4 MiB of not-a-tar: more than a pipe holds, so the writer must be released
            w.write(b"\0garbage" * 8192)

    with pytest.raises(DockerError, match="docker load failed") as exc:
        docker_sdk.load_written(write)
    assert "\n" not in str(exc.value)


@pytest.mark.docker
def test_a_failing_writer_is_the_error_not_the_truncated_load(home):
    def write(w) -> None:
        w.write(b"not a tar " * 1000)  # the daemon refuses this truncated stream too; the cause is the writer's
        raise OSError("the layer file vanished")

    with pytest.raises(OSError, match="the layer file vanished"):
        docker_sdk.load_written(write)
