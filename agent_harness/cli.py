"""CLI commands for objectives, simulation and runs (filled by the harness stage)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Attach harness commands (objectives, simulate, runs) to the main group."""
