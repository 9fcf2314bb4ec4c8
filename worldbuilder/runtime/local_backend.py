"""A directory-backed development backend: a "computer" that is a folder on the host.

FOR FAST UNIT TESTS OF HARNESS LOGIC ONLY. It provides NO isolation and is NOT a security
boundary: commands run as the host user, on the host, with full network access. Path
confinement applies to :meth:`read`/:meth:`write`/:meth:`listdir` only (it rejects escapes with
:class:`PathOutsideComputer`); a shell command can reach anything the host user can.

The computer's ``/`` is ``root_dir``; ``home`` (e.g. ``/home/jdoe``) maps to ``root_dir/home/jdoe``.
Commands run with ``cwd`` and ``HOME`` set to the host path of the home.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from worldbuilder.errors import CommandTimeout, ComputerUnreachable, PathOutsideComputer, SnapshotNotFound
from worldbuilder.runtime.computer import Computer, ExecResult, FileDiff, SnapshotInfo, Snapshots


class LocalComputer(Computer):
    """A :class:`Computer` over a host directory (no isolation; development only)."""

    def __init__(self, root_dir: str | Path, user: str, home: str, name: str = "local"):
        self.root = Path(root_dir).resolve()
        self.user = user
        self.home = home
        self.name = name
        self.closed = False
        self.host_home.mkdir(parents=True, exist_ok=True)

    @property
    def host_home(self) -> Path:
        return self.root / self.home.lstrip("/")

    def host_path(self, path: str) -> Path:
        """Host path of a computer path (absolute, ``~/...`` or relative to home); rejects escapes."""
        if path.startswith("~"):
            path = self.home + path[1:]
        p = Path(path)
        base = p if p.is_absolute() else Path(self.home) / p
        host = (self.root / str(base).lstrip("/")).resolve()
        if host != self.root and self.root not in host.parents:
            raise PathOutsideComputer(f"path escapes the computer: {path}")
        return host

    def _alive(self) -> None:
        if self.closed or not self.root.is_dir():
            raise ComputerUnreachable(f"local computer {self.name} is not running")

    def exec(self, cmd: str, timeout: float = 60.0) -> ExecResult:
        self._alive()
        env = {
            "HOME": str(self.host_home), "USER": self.user, "LANG": "C.UTF-8",
            # the harness's own interpreter first, so python3 has the document libraries
            "PATH": f"{self.host_home}/.local/bin:{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        }
        t0 = time.monotonic()
        proc = subprocess.Popen(["/bin/bash", "-c", cmd], cwd=self.host_home, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise CommandTimeout(f"command timed out after {timeout:g}s: {cmd[:80]}") from exc
        return ExecResult(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"),
                          time.monotonic() - t0)

    def read(self, path: str) -> bytes:
        self._alive()
        host = self.host_path(path)
        try:
            return host.read_bytes()
        except OSError as exc:
            raise FileNotFoundError(f"{path}: {exc.strerror}") from exc

    def write(self, path: str, data: bytes) -> None:
        self._alive()
        host = self.host_path(path)
        host.parent.mkdir(parents=True, exist_ok=True)
        tmp = host.with_name(host.name + ".wbtmp")
        tmp.write_bytes(data)
        tmp.replace(host)

    def listdir(self, path: str) -> list[str]:
        self._alive()
        return sorted(os.listdir(self.host_path(path)))

    def close(self) -> None:
        self.closed = True


def _tree_files(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


class LocalSnapshots(Snapshots):
    """Copy-tree snapshots of a :class:`LocalComputer` into ``store/<label>``."""

    def __init__(self, computer: LocalComputer, store: str | Path):
        self.computer = computer
        self.store = Path(store)
        self.store.mkdir(parents=True, exist_ok=True)

    def snapshot(self, label: str) -> SnapshotInfo:
        dest = self.store / label
        tmp = self.store / f".{label}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(self.computer.root, tmp, symlinks=True)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return SnapshotInfo(label, str(dest), datetime.now(UTC))

    def list(self) -> list[SnapshotInfo]:
        return [SnapshotInfo(p.name, str(p), datetime.fromtimestamp(p.stat().st_mtime, UTC))
                for p in sorted(self.store.iterdir()) if p.is_dir() and not p.name.startswith(".")]

    def restore(self, label: str) -> LocalComputer:
        """Replace the computer's directory with the snapshot; return a fresh handle on it."""
        src = self.store / label
        if not src.is_dir():
            raise SnapshotNotFound(f"no snapshot {label!r} in {self.store}")
        c = self.computer
        shutil.rmtree(c.root, ignore_errors=True)
        shutil.copytree(src, c.root, symlinks=True)
        self.computer = LocalComputer(c.root, c.user, c.home, c.name)
        return self.computer

    def diff(self, a: str, b: str) -> FileDiff:
        ta, tb = (self.store / x for x in (a, b))
        for t, lab in ((ta, a), (tb, b)):
            if not t.is_dir():
                raise SnapshotNotFound(f"no snapshot {lab!r} in {self.store}")
        fa, fb = _tree_files(ta), _tree_files(tb)
        changed = sorted(p for p in fa.keys() & fb.keys()
                         if fa[p][0] != fb[p][0] or (ta / p).read_bytes() != (tb / p).read_bytes())
        return FileDiff(sorted(fb.keys() - fa.keys()), changed, sorted(fa.keys() - fb.keys()))
