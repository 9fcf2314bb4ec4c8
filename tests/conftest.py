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
