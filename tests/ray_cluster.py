"""A local two-node Ray cluster for the ``ray`` tests: ``ray start --head`` + a second ``ray start``.

Each node declares its own custom resources. Teardown ends only the processes of this cluster: those
whose command line names its private temp dir, and their descendants (never a broad ``ray stop``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pids_of(marker: str) -> set[int]:
    """Processes whose command line contains ``marker``, plus all their descendants."""
    parents: dict[int, int] = {}
    found: set[int] = set()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if marker in cmd:
            found.add(int(d.name))
    grew = True
    while grew:
        kids = {p for p, pp in parents.items() if pp in found} - found
        found |= kids
        grew = bool(kids)
    return found - {os.getpid()}


class LocalRayCluster:
    def __init__(self, temp_dir: Path) -> None:
        self.temp_dir = temp_dir
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.ray = str(Path(sys.executable).parent / "ray")

    def _start(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
        home = self.temp_dir / "home"  # hermetic: a stale ~/.ray/auth_token makes the head demand a token
        home.mkdir(parents=True, exist_ok=True)  # that the joining node (auth mode 'disabled') never sends
        env["HOME"] = str(home)
        proc = subprocess.run([self.ray, "start", "--disable-usage-stats", *args], capture_output=True, text=True,
                              env=env, timeout=180)
        if proc.returncode != 0:
            raise RuntimeError(f"ray start failed: {(proc.stderr or proc.stdout)[-500:]}")

    def start(self, head_resources: str, node_resources: str, cpus: int = 1) -> LocalRayCluster:
        self._start("--head", f"--port={self.port}", f"--num-cpus={cpus}", f"--resources={head_resources}",
                    "--include-dashboard=false", f"--temp-dir={self.temp_dir}")
        self._start(f"--address={self.address}", f"--num-cpus={cpus}", f"--resources={node_resources}")
        return self

    def stop(self) -> None:
        pids = _pids_of(str(self.temp_dir))
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(1.0)
            pids = {p for p in pids if Path(f"/proc/{p}").exists()}
