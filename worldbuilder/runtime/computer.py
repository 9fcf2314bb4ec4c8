"""The Computer handle: the one narrow interface between a running computer and its users.

Backends (Docker, QEMU, libvirt) start a computer and hand back a :class:`Computer`.
The harness only ever talks to this interface (plus :class:`Snapshots`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


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


class Computer(ABC):
    """A running synthetic computer. Paths are absolute inside the computer, or relative to home."""

    name: str
    home: str
    user: str

    @abstractmethod
    def exec(self, cmd: str, timeout: float = 60.0) -> ExecResult: ...

    @abstractmethod
    def read(self, path: str) -> bytes: ...

    @abstractmethod
    def write(self, path: str, data: bytes) -> None: ...

    @abstractmethod
    def listdir(self, path: str) -> list[str]: ...

    def put(self, local: str | Path, remote: str) -> None:
        self.write(remote, Path(local).read_bytes())

    def get(self, remote: str, local: str | Path) -> None:
        Path(local).write_bytes(self.read(remote))

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Computer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
