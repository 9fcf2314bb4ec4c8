"""Text of a file's bytes, for the read-file tool and collaborator reviews (via worldbuilder.extract)."""

from __future__ import annotations

from worldbuilder.extract import extract_text

__all__ = ["extract_text"]
