"""Shared fixtures."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from scripted_llm import scripted_llm_server  # noqa: F401  (shared fixture: a scripted OpenAI-compatible server)

LABEL = "org.worldbuilder"


def docker_available() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of LibreOffice's soffice (installed by scripts/ensure-engine.sh office)."""
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        pytest.fail("LibreOffice is not installed; run scripts/ensure-engine.sh office")
    return path


@pytest.fixture(scope="module")
def windows_home(tmp_path_factory):
    """A private WORLDBUILDER_HOME for a Windows module, with no Windows install source in the environment."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("wbhome")
    mp.setenv("WORLDBUILDER_HOME", str(home))
    mp.delenv("WB_WINDOWS_ISO", raising=False)
    mp.delenv("WB_WINDOWS_BASE_QCOW2", raising=False)
    yield home
    mp.undo()


@pytest.fixture(scope="session", autouse=True)
def _remove_leftover_run_images(tmp_path_factory):
    """After the session: the Docker containers and images of runs made under this session's temporary
    directory (tests that simulate on Docker without `runs rm`), and dangling worldbuilder images. Another
    pytest process has its own --basetemp, so its runs are left alone."""
    yield
    if not docker_available():
        return
    from worldbuilder.materialize import docker_sdk

    base = str(tmp_path_factory.getbasetemp().resolve()) + "/"
    api = docker_sdk.api()
    for c in api.containers(all=True, filters={"label": f"{LABEL}.run-dir"}):
        if (c.get("Labels") or {}).get(f"{LABEL}.run-dir", "").startswith(base):
            api.remove_container(c["Id"], force=True)
    ours = [i for i in api.images(all=True, filters={"label": f"{LABEL}.run-dir"})
            if (i.get("Labels") or {}).get(f"{LABEL}.run-dir", "").startswith(base)]
    dangling = api.images(filters={"dangling": True, "label": f"{LABEL}.computer-id"})
    for img in sorted(ours + dangling, key=lambda i: -i.get("Created", 0)):  # children before parents
        try:
            api.remove_image(img["Id"], force=img in ours)
        except docker_sdk.docker.errors.APIError:
            pass  # in use, already gone, or the parent of an image kept
