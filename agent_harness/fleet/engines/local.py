"""``local`` engine: a process pool on this machine (workers die with the driver)."""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import os
import signal
from typing import Any

from agent_harness.fleet.worker import execute


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the driver dies (a kill -9 leaves no orphan stage running)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's business


class LocalEngine:
    retries_inside = False

    def __init__(self, workers: int | None = None, address: str | None = None, max_attempts: int = 3) -> None:
        self.capacity = max(1, workers or os.cpu_count() or 1)
        self.pool = cf.ProcessPoolExecutor(max_workers=self.capacity, initializer=_die_with_parent)

    def submit(self, fleet_dir: str, job: dict, stage: str, config: dict) -> Any:
        return self.pool.submit(execute, fleet_dir, job, stage, config)

    def wait(self, handles: list[Any], timeout: float) -> list[tuple[Any, dict]]:
        done, _ = cf.wait(handles, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        out = []
        for fut in done:
            try:
                out.append((fut, fut.result()))
            except Exception as exc:  # the worker process itself died (OOM kill, segfault)
                out.append((fut, {"ok": False, "error": f"WorkerDied: {exc}", "transient": True}))
        return out

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
