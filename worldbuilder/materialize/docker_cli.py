"""Thin wrapper over the ``docker`` CLI that turns failures into typed, one-line errors.

Nothing in worldbuilder/ or agent_harness/ uses it any more: they talk to the daemon through the Docker SDK
(:mod:`docker_sdk`; ``tests/test_docker_sdk.py`` checks it). It remains for benchmarks that time the CLI itself
(``benchmarks/image_bench.py`` compares against a plain ``docker build``) and for tests' clean-up.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from worldbuilder.errors import DockerError, EngineUnavailable, ImageNotFound, WorldbuilderError

__all__ = ["HINT", "DockerError", "classify", "docker", "docker_exe", "ensure_daemon", "image_exists",
           "image_labels", "out"]

HINT = "start it with: scripts/ensure-engine.sh docker"


def _first_line(text: str) -> str:
    """Docker's reason: the last line that is not a usage hint ("See 'docker run --help'.")."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("See '", "Run '", "Usage:"))] or lines
    return lines[-1].removeprefix("docker: ") if lines else "unknown error"


def docker_exe() -> str:
    exe = shutil.which("docker")
    if exe is None:
        raise EngineUnavailable(f"the docker CLI is not installed; {HINT}")
    return exe


def docker(*args: str, input: bytes | None = None, timeout: float = 300.0, check: bool = True,
           stdin=None) -> subprocess.CompletedProcess[bytes]:
    """Run ``docker ARGS``; raise EngineUnavailable / ImageNotFound / DockerError on failure."""
    exe = shutil.which("docker")
    if exe is None:
        raise EngineUnavailable(f"the docker CLI is not installed; {HINT}")
    try:
        proc = subprocess.run([exe, *args], input=input, stdin=stdin, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise DockerError(f"docker {args[0]} timed out after {timeout:.0f}s") from exc
    if check and proc.returncode != 0:
        raise classify(args, proc.stderr.decode(errors="replace"))
    return proc


def classify(args: Sequence[str], stderr: str) -> WorldbuilderError:
    """Map docker's stderr to a typed error."""
    low = stderr.lower()
    if "cannot connect to the docker daemon" in low or "is the docker daemon running" in low:
        return EngineUnavailable(f"no Docker daemon answers; {HINT}")
    if "no such image" in low or "image not known" in low or ("not found" in low and "manifest" in low):
        return ImageNotFound(_first_line(stderr).removeprefix("Error: ").removeprefix("Error response from daemon: "))
    msg = _first_line(stderr).removeprefix("Error response from daemon: ")
    return DockerError(f"docker {args[0] if args else ''} failed: {msg}")


def out(*args: str, timeout: float = 120.0) -> str:
    return docker(*args, timeout=timeout).stdout.decode().strip()


def ensure_daemon() -> None:
    """Raise EngineUnavailable unless a Docker daemon answers."""
    docker("version", "--format", "{{.Server.Version}}", timeout=20)


def image_exists(ref: str) -> bool:
    return docker("image", "inspect", "--format", "{{.Id}}", ref, check=False, timeout=30).returncode == 0


def image_labels(ref: str) -> dict[str, str]:
    import json

    proc = docker("image", "inspect", "--format", "{{json .Config.Labels}}", ref, check=False, timeout=30)
    if proc.returncode != 0:
        raise ImageNotFound(f"image not found: {ref}")
    return json.loads(proc.stdout or b"null") or {}
