"""File-type priors per occupation (``file_priors.yaml``): the share of visible files by type."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from worldbuilder import yaml_load
from worldbuilder.spec import FILE_TYPES

UNLOCKED_SHARE = 0.03


@lru_cache(maxsize=1)
def _priors() -> dict:
    text = resources.files("worldbuilder.generate").joinpath("file_priors.yaml").read_text(encoding="utf-8")
    return yaml_load.safe_load(text)


def type_mix(occupation: str, sector: str, persona: str = "") -> dict[str, float]:
    """Normalised type shares for one user: default, then sector, then occupation overrides.

    A zero share stays zero unless the persona's own words unlock the type (``persona_unlocks``).
    """
    pri = _priors()
    mix = dict(pri["default"])
    mix.update(pri["sectors"].get(sector, {}))
    mix.update(pri["occupations"].get(occupation, {}))
    low = persona.lower()
    for t, rx in pri.get("persona_unlocks", {}).items():
        if mix.get(t, 0) < UNLOCKED_SHARE and re.search(rx, low):
            mix[t] = UNLOCKED_SHARE
    mix = {t: float(v) for t, v in mix.items() if t in FILE_TYPES and v > 0}
    total = sum(mix.values())
    return {t: v / total for t, v in sorted(mix.items())}
