"""CLI commands for images, booting, shells and snapshots (filled by the materialize/runtime stage)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Attach runtime commands (image, boot, shell, stop, snapshot, vm) to the main group."""
