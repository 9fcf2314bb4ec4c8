"""LibreOffice headless conversion for tests (a private profile per test keeps runs independent)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def soffice_convert(soffice: str, profile: Path, fmt: str, src: Path, out: Path, timeout: float = 300) -> Path:
    """Convert ``src`` to ``fmt`` (e.g. ``pdf``, ``xlsx``) into ``out``; fail the test with soffice's stderr."""
    proc = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                           "--convert-to", fmt, "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=timeout)
    result = out / (src.stem + "." + fmt.split(":")[0])
    assert proc.returncode == 0 and result.exists(), f"soffice failed on {src.name}: {proc.stderr[-500:]}"
    return result
