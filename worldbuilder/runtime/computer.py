"""The Computer handle: the one narrow interface between a running computer and its users.

Backends (Docker, QEMU, libvirt) start a computer and hand back a :class:`Computer`.
The harness only ever talks to this interface (plus :class:`Snapshots`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from worldbuilder.errors import SnapshotError
from worldbuilder.materialize.file_index import INITIAL


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: str
    stderr: str
    duration: float  # seconds

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class SSHEndpoint:
    host: str
    port: int
    user: str
    key_path: Path

    def command(self) -> str:
        return (
            f"ssh -i {self.key_path} -p {self.port} -o StrictHostKeyChecking=no "
            f"-o UserKnownHostsFile=/dev/null {self.user}@{self.host}"
        )


@dataclass(frozen=True)
class SnapshotInfo:
    label: str  # e.g. "day-03"
    ref: str  # backend reference: image tag, qcow2 snapshot name
    created: datetime


@dataclass(frozen=True)
class FileDiff:
    added: list[str]
    changed: list[str]
    deleted: list[str]


DEFAULT_READ_CAP = 64 * 1024 * 1024  # bytes: the most ``read`` returns unless the caller asks otherwise


class Computer(ABC):
    """A running synthetic computer. Paths are absolute inside the computer, or relative to home.

    Host-side reads are bounded: ``read`` and ``fetch`` accept regular files only, refuse anything larger
    than ``max_bytes`` and links resolving outside ``allowed_root`` (:class:`TransferRefused`), and
    ``fetch`` streams to a local file instead of memory. Per-call failures raise :class:`CallFailed`
    subclasses; only a computer that is gone raises :class:`ComputerUnreachable`.
    """

    name: str
    home: str
    user: str
    endpoint: SSHEndpoint | None = None  # how an outside program reaches it (None: no SSH, e.g. local)

    def is_dead(self) -> bool:
        """A cheap check that the provider says the computer is gone (no round trip into it)."""
        return False

    @abstractmethod
    def exec(self, cmd: str, timeout: float = 60.0) -> ExecResult: ...

    @abstractmethod
    def read(self, path: str, max_bytes: int = DEFAULT_READ_CAP) -> bytes: ...

    @abstractmethod
    def fetch(self, path: str, local: str | Path, max_bytes: int, allowed_root: str | None = None) -> int:
        """Copy a regular file of at most ``max_bytes`` to ``local`` (temp file + rename); return its size.

        ``allowed_root`` (default: the home) is where the file, after following links, must be."""

    def alive(self) -> bool:
        """Ask the provider whether the computer still runs and answers (used to classify failures)."""
        return True

    def halted(self) -> str:
        """Why the provider stopped the work on this computer (e.g. its disk quota was exceeded), or ''."""
        return ""

    @abstractmethod
    def write(self, path: str, data: bytes) -> None: ...

    @abstractmethod
    def listdir(self, path: str) -> list[str]: ...

    def put(self, local: str | Path, remote: str) -> None:
        self.write(remote, Path(local).read_bytes())

    def get(self, remote: str, local: str | Path, max_bytes: int = DEFAULT_READ_CAP) -> None:
        self.fetch(remote, local, max_bytes, allowed_root="/")

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Computer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def validate_label(label: str) -> str:
    """A snapshot label every backend accepts (raises :class:`SnapshotError` otherwise)."""
    if not LABEL_RE.match(label or "") or label == INITIAL:
        raise SnapshotError(f"invalid snapshot label {label!r} (lowercase letters, digits, '.', '_', '-'; "
                            f"at most 64; not {INITIAL!r})")
    return label


class Snapshots(ABC):
    """Named snapshots of one computer's state (``day-01`` ...)."""

    @abstractmethod
    def snapshot(self, label: str) -> SnapshotInfo: ...

    @abstractmethod
    def list(self) -> list[SnapshotInfo]: ...

    @abstractmethod
    def restore(self, label: str) -> Computer: ...

    @abstractmethod
    def diff(self, a: str, b: str) -> FileDiff: ...
