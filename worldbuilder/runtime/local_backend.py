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
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from worldbuilder.errors import (
    CommandTimeout,
    ComputerUnreachable,
    PathOutsideComputer,
    RemoteFileError,
    RemoteFileNotFound,
    SnapshotNotFound,
    TransferRefused,
)
from worldbuilder.runtime.computer import (
    DEFAULT_READ_CAP,
    LABEL_RE,
    Computer,
    ExecResult,
    FileDiff,
    SnapshotInfo,
    Snapshots,
    validate_label,
)


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

    def alive(self) -> bool:
        return not self.closed and self.root.is_dir()

    def is_dead(self) -> bool:
        return not self.alive()

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

    def _regular(self, path: str, max_bytes: int, root: str | None) -> Path:
        """Host path of a regular file of at most ``max_bytes`` under ``root`` (links followed)."""
        self._alive()
        host = self.host_path(path)
        if root is not None:
            top = self.host_path(root)
            if host != top and top not in host.parents:
                raise TransferRefused(f"{path}: resolves outside {root}")
        try:
            st = host.stat()
        except FileNotFoundError as exc:
            raise RemoteFileNotFound(f"{path}: no such file or folder") from exc
        except OSError as exc:
            raise RemoteFileError(f"{path}: {exc.strerror}") from exc
        if stat.S_ISDIR(st.st_mode):
            raise RemoteFileError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise TransferRefused(f"{path}: not a regular file")
        if st.st_size > max_bytes:
            raise TransferRefused(f"{path}: {st.st_size} bytes, over the {max_bytes}-byte cap")
        return host

    def read(self, path: str, max_bytes: int = DEFAULT_READ_CAP) -> bytes:
        host = self._regular(path, max_bytes, None)
        try:
            with open(host, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise RemoteFileError(f"{path}: {exc.strerror}") from exc
        if len(data) > max_bytes:
            raise TransferRefused(f"{path}: grew past the {max_bytes}-byte cap while reading")
        return data

    def fetch(self, path: str, local: str | Path, max_bytes: int, allowed_root: str | None = None) -> int:
        host = self._regular(path, max_bytes, self.home if allowed_root is None else allowed_root)
        local = Path(local)
        tmp = local.with_name(f".{local.name}.tmp-{os.getpid()}")
        n = 0
        try:
            with open(host, "rb") as src, open(tmp, "wb") as out:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    n += len(chunk)
                    if n > max_bytes:
                        raise TransferRefused(f"{path}: grew past the {max_bytes}-byte cap while copying")
                    out.write(chunk)
            os.replace(tmp, local)
        finally:
            tmp.unlink(missing_ok=True)
        return n

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


def copy_tree(src: str | Path, dest: str | Path) -> None:
    """Copy a computer directory exactly: links, FIFOs and holes of sparse files kept (``cp -a``)."""
    proc = subprocess.run(["cp", "-a", "--sparse=always", "--", str(src), str(dest)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise OSError(f"cannot copy {src}: {proc.stderr.strip()[:200]}")


def _tree_files(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


class LocalSnapshots(Snapshots):
    """Copy-tree snapshots of a :class:`LocalComputer` into ``store/<label>``."""

    def __init__(self, computer: LocalComputer, store: str | Path, mounts: dict[str, str] | None = None):
        """``mounts`` ({layout prefix: absolute dir}, "." for none) makes ``diff`` paths relative to the layout
        root like the other backends'; without it they are relative to the computer's ``/``."""
        self.computer = computer
        self.store = Path(store)
        self.mounts = mounts
        self.store.mkdir(parents=True, exist_ok=True)

    def _dir(self, label: str) -> Path:
        if not LABEL_RE.match(label or "") or not (self.store / label).is_dir():
            raise SnapshotNotFound(f"no snapshot {label!r} in {self.store}")
        return self.store / label

    def snapshot(self, label: str) -> SnapshotInfo:
        dest = self.store / validate_label(label)
        tmp = self.store / f".{label}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        copy_tree(self.computer.root, tmp)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return SnapshotInfo(label, str(dest), datetime.now(UTC))

    def list(self) -> list[SnapshotInfo]:
        return [SnapshotInfo(p.name, str(p), datetime.fromtimestamp(p.stat().st_mtime, UTC))
                for p in sorted(self.store.iterdir()) if p.is_dir() and not p.name.startswith(".")]

    def restore(self, label: str) -> LocalComputer:
        """Replace the computer's directory with the snapshot; return a fresh handle on it."""
        src = self._dir(label)
        c = self.computer
        shutil.rmtree(c.root, ignore_errors=True)
        copy_tree(src, c.root)
        self.computer = LocalComputer(c.root, c.user, c.home, c.name)
        return self.computer

    def _files(self, top: Path) -> dict[str, tuple[int, int]]:
        if self.mounts is None:
            return _tree_files(top)
        out = {}
        for prefix, where in self.mounts.items():
            pre = "" if prefix in (".", "") else prefix + "/"
            out |= {pre + k: v for k, v in _tree_files(top / where.lstrip("/")).items()}
        return out

    def _host(self, top: Path, rel: str) -> Path:
        if self.mounts is None:
            return top / rel
        for prefix, where in self.mounts.items():
            if prefix in (".", ""):
                return top / where.lstrip("/") / rel
            if rel.startswith(prefix + "/"):
                return top / where.lstrip("/") / rel[len(prefix) + 1:]
        return top / rel

    def diff(self, a: str, b: str) -> FileDiff:
        ta, tb = self._dir(a), self._dir(b)
        fa, fb = self._files(ta), self._files(tb)
        changed = sorted(p for p in fa.keys() & fb.keys()
                         if fa[p][0] != fb[p][0] or self._host(ta, p).read_bytes() != self._host(tb, p).read_bytes())
        return FileDiff(sorted(fb.keys() - fa.keys()), changed, sorted(fa.keys() - fb.keys()))
