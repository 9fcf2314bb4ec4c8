"""Realism plots (matplotlib, Agg): a computer's type mix against the paper's, its file sizes against the
Impressions lognormal, and a fleet's score distribution. Each returns PNG bytes."""

from __future__ import annotations

import io
import math
import threading

from worldbuilder.viewer.computers import IMPRESSIONS_MU, IMPRESSIONS_SIGMA, PAPER_MIX

_lock = threading.Lock()  # pyplot's state is global


def _png(fig) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def _figure(w: float = 7.0, h: float = 3.4):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h))


def type_mix_png(counts: dict[str, int]) -> bytes:
    total = max(1, sum(counts.values()))
    ours = {k: 0.0 for k in PAPER_MIX}
    for t, n in counts.items():
        ours[t if t in PAPER_MIX else "other"] += n / total
    labels = list(PAPER_MIX)
    with _lock:
        fig = _figure()
        ax = fig.subplots()
        x = range(len(labels))
        ax.bar([i - 0.2 for i in x], [PAPER_MIX[k] for k in labels], width=0.4, label="paper", color="#9aa5b1")
        ax.bar([i + 0.2 for i in x], [ours[k] for k in labels], width=0.4, label="this computer", color="#2f6fb0")
        ax.set_xticks(list(x), labels, rotation=45)
        ax.set_ylabel("share of files")
        ax.set_title("File types: this computer vs the paper's mix")
        ax.legend()
        return _png(fig)


def sizes_png(sizes: list[int]) -> bytes:
    logs = [math.log(max(1, s)) for s in sizes]
    with _lock:
        fig = _figure()
        ax = fig.subplots()
        if logs:
            ax.hist(logs, bins=30, density=True, color="#2f6fb0", alpha=0.75, label=f"this computer ({len(logs)} files)")
        lo, hi = 0.0, max(20.0, max(logs, default=0) + 1)
        xs = [lo + (hi - lo) * i / 200 for i in range(201)]
        pdf = [math.exp(-((x - IMPRESSIONS_MU) ** 2) / (2 * IMPRESSIONS_SIGMA ** 2))
               / (IMPRESSIONS_SIGMA * math.sqrt(2 * math.pi)) for x in xs]
        ax.plot(xs, pdf, color="#c0392b", label=f"Impressions lognormal(μ={IMPRESSIONS_MU}, σ={IMPRESSIONS_SIGMA})")
        ax.set_xlabel("ln(size in bytes)")
        ax.set_ylabel("density")
        ax.set_title("File sizes vs the Impressions model")
        ax.legend()
        return _png(fig)


def scores_png(fractions: list[float]) -> bytes:
    with _lock:
        fig = _figure(6.0, 3.0)
        ax = fig.subplots()
        ax.hist([100 * f for f in fractions], bins=[i * 10 for i in range(11)], color="#2f6fb0", edgecolor="white")
        ax.set_xlabel("score (% of rubric points)")
        ax.set_ylabel("runs")
        ax.set_title(f"Score distribution ({len(fractions)} judged runs)")
        return _png(fig)
