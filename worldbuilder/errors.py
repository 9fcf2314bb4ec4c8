"""Typed errors the runtime raises and the harness acts on."""

from __future__ import annotations


class WorldbuilderError(Exception):
    """Base for expected, user-facing failures (the CLI prints them on one line)."""


class EngineUnavailable(WorldbuilderError):
    """The Docker daemon / QEMU / libvirt is missing or not answering."""


class ImageNotFound(WorldbuilderError):
    """An image, computer or snapshot tag does not exist."""


class SnapshotNotFound(ImageNotFound):
    """A snapshot label does not exist for this computer."""


class ComputerError(WorldbuilderError):
    """Base for failures of a running computer seen through its handle."""


class ComputerUnreachable(ComputerError):
    """The computer's SSH endpoint cannot be reached (dead container/VM, network)."""


class CommandTimeout(ComputerError):
    """A command inside the computer exceeded its timeout and was killed."""


class PathOutsideComputer(WorldbuilderError):
    """A path given to a tool escapes the computer's allowed root."""


class GenerationError(WorldbuilderError):
    """A computer could not be generated (bad persona, invalid LLM output after retries...)."""


class OutputDirError(WorldbuilderError):
    """The output directory is unwritable or not empty (without --force)."""


class RenderError(WorldbuilderError):
    """A file of a spec could not be rendered."""
