"""Paired-comparison statistics: win/tie/lose per pair, a two-sided sign test, a bootstrap CI."""

from __future__ import annotations

import random
from math import comb


def outcome(with_skills: float, baseline: float, margin: float) -> str:
    d = with_skills - baseline
    return "tie" if abs(d) <= margin else ("win" if d > 0 else "lose")


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial p-value of wins vs losses (ties dropped); 1.0 without decisive pairs."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    p = sum(comb(n, i) for i in range(k + 1)) / 2**n * 2
    return min(1.0, p)


def bootstrap_ci(diffs: list[float], reps: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean score difference (seeded: reproducible)."""
    if not diffs:
        return (0.0, 0.0)
    rng = random.Random(seed)
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(reps))
    lo = means[int((1 - level) / 2 * reps)]
    hi = means[min(reps - 1, int((1 + level) / 2 * reps))]
    return (round(lo, 3), round(hi, 3))
