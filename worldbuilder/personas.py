"""The built-in persona set (``worldbuilder/data/personas.txt``, one persona per line)."""

from __future__ import annotations

import random
from functools import lru_cache
from importlib import resources

from worldbuilder.errors import WorldbuilderError

PERSONA_FILE = "personas.txt"


def load_personas() -> list[str]:
    """All built-in personas, in file order (blank lines and ``#`` comments skipped)."""
    return list(_personas())


@lru_cache(maxsize=1)
def _personas() -> tuple[str, ...]:
    try:
        text = resources.files("worldbuilder.data").joinpath(PERSONA_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError) as exc:
        raise WorldbuilderError(f"built-in persona file is missing: worldbuilder/data/{PERSONA_FILE}") from exc
    out = [" ".join(line.split()) for line in text.splitlines()]
    return tuple(p for p in out if p and not p.startswith("#"))


def sample_personas(n: int, seed: int = 0) -> list[str]:
    """``n`` personas, deterministic for ``seed``, without replacement up to the pool size (then cycling)."""
    pool = load_personas()
    if n < 0:
        raise WorldbuilderError(f"cannot sample a negative number of personas ({n})")
    rng = random.Random(f"personas\x1f{seed}")
    out: list[str] = []
    while len(out) < n:
        batch = pool[:]
        rng.shuffle(batch)
        out += batch[: n - len(out)]
    return out
