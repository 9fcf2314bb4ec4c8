"""Typed errors the runtime raises and the harness acts on."""

from __future__ import annotations


class WorldbuilderError(Exception):
    """Base for expected, user-facing failures (the CLI prints them on one line)."""


class EngineUnavailable(WorldbuilderError):
    """The Docker daemon / QEMU / libvirt is missing or not answering."""


class DockerError(WorldbuilderError):
    """The Docker daemon answered but refused or failed a call (a conflict, a bad argument, a build or load
    that failed, a call that timed out); the message is the daemon's one-line reason. ``status`` is the
    Engine API's HTTP status when there was one (409: a name in use, 500: a daemon error), else None."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BootUnavailable(EngineUnavailable):
    """This host lacks what a computer needs to boot, e.g. a Windows computer without an install ISO or prepared
    disk, or without a working /dev/kvm; the one-line message names every missing piece. Nothing was started."""


class ImageNotFound(WorldbuilderError):
    """An image, computer or snapshot tag does not exist."""


class SnapshotNotFound(ImageNotFound):
    """A snapshot label does not exist for this computer."""


class ComputerNameInUse(WorldbuilderError):
    """``boot`` was given a name (or a disk) that a running computer already uses."""


class ComputerNotRunning(WorldbuilderError):
    """``attach``/``stop``/``snapshots`` named no running computer of this provider."""


class BootError(WorldbuilderError):
    """The computer started but never answered on SSH (or exited during boot); nothing is left running."""


class SnapshotError(WorldbuilderError):
    """A snapshot could not be taken, restored or exported (bad label, engine refusal)."""


class ComputerError(WorldbuilderError):
    """Base for failures of a running computer seen through its handle.

    Two kinds, and only the first one means the computer is gone: :class:`ComputerUnreachable`
    (the harness restarts the day from the last snapshot) and :class:`CallFailed` (this one call
    failed; the computer answers and the caller gets an error result)."""


class ComputerUnreachable(ComputerError):
    """The computer is gone: its SSH transport is dead or the provider says it is not running."""


class CallFailed(ComputerError):
    """One call failed while the computer itself is fine (a folder, a FIFO, a denied path...)."""


class CommandTimeout(CallFailed):
    """A command inside the computer exceeded its timeout and was killed."""


class RemoteFileError(CallFailed):
    """A file operation inside the computer failed (is a folder, permission denied, I/O error)."""


class RemoteFileNotFound(RemoteFileError, FileNotFoundError):
    """The path does not exist inside the computer (also a :class:`FileNotFoundError`)."""


class TransferRefused(CallFailed):
    """A host-side read from a computer was refused before copying: larger than its cap, not a
    regular file (FIFO, device, socket, folder) or a link that resolves outside the allowed root."""


class DiskQuotaExceeded(ComputerError):
    """A computer wrote more than its disk quota; it was paused and its day ends (recorded reason)."""


class PathOutsideComputer(WorldbuilderError):
    """A path given to a tool escapes the computer's allowed root."""


class GenerationError(WorldbuilderError):
    """A computer could not be generated (bad persona, invalid LLM output after retries...)."""


class OutputDirError(WorldbuilderError):
    """The output directory is unwritable or not empty (without --force)."""


class RenderError(WorldbuilderError):
    """A file of a spec could not be rendered."""
