"""Keep generated rows and prose from reading like a tracked fact with a different number.

The checker flags ``<fact label><sep><number>`` when the number differs from the fact's display. Random
table cells or prose can form such a pair by accident (a row label that equals a metric's name followed
by a number). These helpers find such accidents with the checker's own patterns and rewrite them.
"""

from __future__ import annotations

import re

from worldbuilder.check import fact_pattern, matches_fact
from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.spec import Fact

Patterns = list[tuple[Fact, str, re.Pattern[str]]]
_CACHE: dict[int, tuple[list[Fact], Patterns, re.Pattern[str] | None]] = {}


def _patterns(w: Writer) -> tuple[Patterns, re.Pattern[str] | None]:
    """(fact, lower-case first word of its label, compiled checker pattern), cached per world object, and
    one pattern finding any of those first words (None when a label has no first word)."""
    hit = _CACHE.get(id(w.world))
    if hit is None or hit[0] is not w.world.facts:
        pats = [(f, f.label.split()[0].lower() if f.label.split() else "", fact_pattern(f, loose=True))
                for f in sorted(w.world.facts, key=lambda f: -len(f.label))]
        words = sorted({word for _, word, _ in pats}, key=len, reverse=True)
        any_word = re.compile("|".join(map(re.escape, words))) if words and all(words) else None
        if len(_CACHE) > 32:
            _CACHE.clear()
        hit = _CACHE[id(w.world)] = (w.world.facts, pats, any_word)
    return hit[1], hit[2]


def first_conflict(text: str, w: Writer) -> int | None:
    """Offset of the first fact-like mention in ``text`` whose number is not the fact's display value."""
    low = text.lower()
    pats, any_word = _patterns(w)
    if any_word is not None and any_word.search(low) is None:  # no label's first word occurs at all
        return None
    for f, word, rx in pats:
        if word not in low:  # cheap pre-filter: the label's first word must occur
            continue
        for m in rx.finditer(text):
            if not matches_fact(f, m.group("num"), m.group("suf")):
                return m.start()
    return None


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def safe_rows(rows: list[list[object]], w: Writer) -> list[list[object]]:
    """Rows where no cell run reads as a contradicting fact mention (offending text cells are renamed)."""
    for r in rows:
        for _ in range(4):
            texts = [_cell_text(v) for v in r]
            line = "\t".join(texts)
            pos = first_conflict(line, w)
            if pos is None:
                break
            j = len(line[:pos].split("\t")) - 1
            if not isinstance(r[j], str):
                j = next((k for k in range(j, -1, -1) if isinstance(r[k], str)), 0)
            r[j] = f"{r[j]} (other)" if isinstance(r[j], str) else r[j]
    return rows


def safe_text(text: str, w: Writer) -> bool:
    """True if ``text`` has no accidental contradicting fact mention."""
    return first_conflict(text, w) is None
