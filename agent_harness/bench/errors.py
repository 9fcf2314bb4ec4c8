"""Errors of the benchmark-bundle stage (each is one clear line at the CLI)."""

from __future__ import annotations

from worldbuilder.errors import WorldbuilderError


class BenchError(WorldbuilderError):
    """A bundle could not be exported, verified, imported or run."""


class BundleRejected(BenchError):
    """A bundle failed verification (traversal, digest mismatch, unknown format, truncation)."""


class KeyMaterialFound(BenchError):
    """Export refused: a private key or API key would have entered the bundle."""
