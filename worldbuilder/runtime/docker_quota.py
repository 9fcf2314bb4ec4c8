"""Disk quota of a Docker computer, enforced by a host-side watchdog.

overlay2's ``--storage-opt size=`` needs an xfs backing filesystem mounted with ``pquota``, which Docker
hosts rarely have (``ext4`` here). So each computer gets two bounds that work everywhere:

* ``--ulimit fsize=QUOTA``: no single file can grow past the quota (the kernel refuses the write);
* :class:`DiskWatchdog`: a thread polls the container's writable layer (its overlay2 ``UpperDir``, counted
  in allocated blocks, so sparse files count what they really use) plus ``baseline`` (what earlier day
  snapshots of the run already hold). Past the quota it freezes the container (``docker pause``), kills
  every non-root process in it (the writer and the user's sessions), thaws it and records ``exceeded``;
  the harness then ends the day with that reason.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize import docker_sdk as sdk

REGROW = 64 << 20  # bytes of further growth after the quota that stop the writers again
POLL = 0.25  # seconds between two measurements (the bound is quota + write speed x POLL)


def usage(path: str | Path) -> int:
    """Bytes allocated under ``path`` (st_blocks * 512, links not followed); 0 when it cannot be read."""
    total, stack = 0, [str(path)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
        except OSError:
            continue
    return total


def upper_dir(container: str) -> str | None:
    """The container's overlay2 writable layer on the host (None for other storage drivers)."""
    try:
        info = (sdk.container_info(container) or {}).get("GraphDriver") or {}
    except WorldbuilderError:
        return None
    upper = (info.get("Data") or {}).get("UpperDir") if info.get("Name") == "overlay2" else None
    return upper if upper and os.access(upper, os.R_OK) else None


def stop_writers(container: str) -> int:
    """Freeze the container, SIGKILL every non-root process in it, thaw it; return how many were killed."""
    a = sdk.api()
    _quiet(a.pause, container)
    killed = 0
    try:
        for parts in (_quiet(a.top, container, ps_args="-eo pid,uid") or {}).get("Processes") or []:
            if len(parts) == 2 and parts[1] != "0":
                try:
                    os.kill(int(parts[0]), signal.SIGKILL)  # delivered at thaw, before any user code runs
                    killed += 1
                except (ProcessLookupError, PermissionError, ValueError):
                    pass
    finally:
        _quiet(a.unpause, container)
    return killed


def _quiet(call: Callable, *args, **kw):
    """One SDK call whose failure (the container went away meanwhile) is ignored, as ``check=False`` did."""
    try:
        with sdk.translated(getattr(call, "__name__", "call")):
            return call(*args, **kw)
    except WorldbuilderError:
        return None


class DiskWatchdog:
    """Polls one computer's disk use; past ``quota`` bytes it stops the writers and sets ``exceeded``."""

    def __init__(self, container: str, quota: int, baseline: int = 0, poll: float = POLL,
                 on_exceed: Callable[[str], None] | None = None) -> None:
        self.container, self.quota, self.baseline, self.poll = container, quota, baseline, poll
        self.on_exceed = on_exceed
        self.exceeded = ""
        self.used = baseline
        self.upper = upper_dir(container)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"quota-{container}", daemon=True)

    @property
    def active(self) -> bool:
        """False when the writable layer cannot be measured (not overlay2, or not root): only fsize applies."""
        return self.upper is not None

    def start(self) -> DiskWatchdog:
        if self.active:
            self._thread.start()
        return self

    def check(self) -> str:
        """Measure now; return the reason once the quota is exceeded (then it stays exceeded, and writers are
        stopped again whenever use grows by another ``REGROW`` bytes, e.g. an external agent that reconnects)."""
        if self.upper is None:
            return self.exceeded
        now = self.baseline + usage(self.upper)
        if self.exceeded:
            if now > self.used + REGROW:
                stop_writers(self.container)
                self.used = self.baseline + usage(self.upper)
            return self.exceeded
        self.used = now
        if self.used > self.quota:
            killed = stop_writers(self.container)
            self.used = self.baseline + usage(self.upper)
            self.exceeded = (f"disk quota exceeded: {self.used >> 20} MB used of {self.quota >> 20} MB; "
                             f"{killed} process(es) stopped")
            if self.on_exceed:
                self.on_exceed(self.exceeded)
        return self.exceeded

    def _loop(self) -> None:
        while not self._stop.wait(self.poll):
            self.check()
            if not Path(self.upper or "/nonexistent").exists():
                return

    def stop(self) -> None:
        self._stop.set()
