"""Shared fixtures."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from scripted_llm import scripted_llm_server  # noqa: F401  (shared fixture: a scripted OpenAI-compatible server)


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
