"""Generation: persona → ComputerSpec, through a backend (offline templates or an LLM)."""

from __future__ import annotations

from worldbuilder.generate.pipeline import plan_computer

__all__ = ["plan_computer"]
