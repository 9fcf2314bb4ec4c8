"""YAML parsing through libyaml's C loader when PyYAML was built with it (about 10x faster than its
pure-Python SafeLoader, same results for the data files and specs here); the pure-Python one otherwise."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with the fastest safe loader available."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a SafeLoader (C or Python)
