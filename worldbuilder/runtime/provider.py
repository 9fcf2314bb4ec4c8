"""ComputerProvider: the one interface through which anything obtains, runs and snapshots a computer.

A provider is registered by name in :data:`PROVIDERS` (``docker``, ``qemu``, ``libvirt``, ``local``); a new
backend is one new module plus one line in that map. Everything a caller needs is on the interface, so no
caller inspects a backend's own classes.

Errors (all in :mod:`worldbuilder.errors`; every one is a ``WorldbuilderError`` with a one-line message):

- ``prepare``: :class:`ImageNotFound` (no such computer directory), :class:`EngineUnavailable`,
  :class:`WorldbuilderError` for an unknown variant or a failed build.
- ``boot``: :class:`ImageNotFound` (unknown ref/snapshot), :class:`ComputerNameInUse`, :class:`BootError`
  (started but never answered; nothing is left running), :class:`EngineUnavailable`.
- ``attach``/``stop``: :class:`ComputerNotRunning`.
- ``snapshots(c)``: the returned :class:`Snapshots` raises :class:`SnapshotError` (bad label, engine refusal)
  and :class:`SnapshotNotFound` (unknown label in ``restore``/``diff``).
- Calls on the returned :class:`Computer`: :class:`CallFailed` subclasses for one failed call,
  :class:`ComputerUnreachable` only when the computer is gone (see :mod:`worldbuilder.runtime.computer`).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from worldbuilder.errors import WorldbuilderError
from worldbuilder.runtime.computer import Computer, SnapshotInfo, Snapshots, SSHEndpoint
from worldbuilder.runtime.limits import Limits

PROVIDERS: dict[str, str] = {  # name -> "module:Class" (imported on use, so no engine is needed to list them)
    "docker": "worldbuilder.runtime.provider_docker:DockerProvider",
    "qemu": "worldbuilder.runtime.provider_qemu:QemuProvider",
    "libvirt": "worldbuilder.runtime.provider_libvirt:LibvirtProvider",
    "local": "worldbuilder.runtime.provider_local:LocalProvider",
    "windows-qemu": "worldbuilder.runtime.provider_windows_qemu:WindowsQemuProvider",
}


@dataclass(frozen=True)
class ImageRef:
    """What ``prepare`` built and ``boot`` starts: a Docker tag, a VM disk directory, a staged local tree,
    or a snapshot ref (``Snapshots.snapshot(...).ref``) of the same provider."""

    provider: str
    ref: str
    computer_id: str = ""


@dataclass(frozen=True)
class RunningComputer:
    """One row of ``ls()``."""

    name: str
    provider: str
    image: str = ""
    status: str = "running"
    extra: dict[str, str] = field(default_factory=dict)


class ComputerProvider(ABC):
    """Lifecycle, snapshots and connection of computers of one kind.

    ``owner`` ({"run": id, "run-dir": path}) tags what this provider starts so :meth:`reap` can stop it after
    a crash; ``workdir`` is where run-private state (VM disks, local trees) lives; ``limits`` apply to every
    boot unless ``boot`` is given others."""

    name: ClassVar[str]

    def __init__(self, limits: Limits | None = None, owner: dict[str, str] | None = None,
                 workdir: str | Path | None = None) -> None:
        self.limits = limits or Limits()
        self.owner = owner
        self.workdir = Path(workdir) if workdir is not None else None

    @abstractmethod
    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        """Build (or reuse, when up to date) what ``boot`` needs for a computer directory."""

    @abstractmethod
    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> Computer:
        """Start a computer from an image or snapshot ref and return it once it answers."""

    @abstractmethod
    def attach(self, name: str) -> Computer:
        """A handle on a computer that is already running."""

    @abstractmethod
    def stop(self, name: str) -> None:
        """Stop a running computer (its snapshots stay)."""

    @abstractmethod
    def ls(self) -> list[RunningComputer]:
        """The running computers of this provider."""

    @abstractmethod
    def snapshots(self, computer: Computer) -> Snapshots:
        """The snapshots of ``computer``; ``snapshot(label).ref`` is bootable by :meth:`boot`."""

    def connection(self, computer: Computer) -> SSHEndpoint | None:
        """How an outside program logs in (None when the provider has no SSH, i.e. ``local``)."""
        return computer.endpoint

    def is_dead(self, computer: Computer) -> bool:
        """True when the provider says the computer is gone (cheap; no call into the computer)."""
        return computer.is_dead()

    def carry_over(self, computer: Computer, snapshot: SnapshotInfo) -> Computer:
        """Carry ``computer`` past ``snapshot`` (just taken) into its next working period; by default the same
        running computer goes on (Docker restarts from the snapshot so each snapshot holds one day's layer)."""
        return computer

    def release(self, computer: Computer) -> None:
        """Close the handle and stop the computer; a computer that is already gone is not an error."""
        computer.close()
        try:
            self.stop(computer.name)
        except WorldbuilderError:
            pass

    def reap(self) -> None:
        """Stop what this provider's ``owner`` left running (a killed process); nothing else is touched."""
        return None


def provider_names() -> list[str]:
    return sorted(PROVIDERS)


def make_provider(name: str, **kw: object) -> ComputerProvider:
    """The provider registered as ``name``, constructed with ``kw`` (limits, owner, workdir)."""
    target = PROVIDERS.get(name)
    if target is None:
        raise WorldbuilderError(f"unknown backend {name!r} (use one of: {', '.join(provider_names())})")
    module, _, cls = target.partition(":")
    provider = getattr(importlib.import_module(module), cls)
    return provider(**kw)
