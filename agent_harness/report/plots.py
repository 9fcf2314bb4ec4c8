"""The report's plots as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import io

from agent_harness.report.document import Image


def _png(fig) -> bytes:  # noqa: ANN001
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _fig(w: float = 7.0, h: float = 3.2):  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(w, h))


def score_per_deliverable(rows: list[tuple[str, float, float]]) -> Image:
    """rows: (deliverable id, points, max)."""
    fig, ax = _fig()
    ids = [r[0] for r in rows]
    ax.bar(ids, [r[2] for r in rows], color="#ddd", label="max")
    ax.bar(ids, [r[1] for r in rows], color="#3b7dd8", label="points")
    ax.set_ylabel("rubric points")
    ax.set_title("Score per deliverable")
    ax.legend()
    return Image("score_per_deliverable.png", _png(fig), "score per deliverable")


def turns_errors_per_day(rows: list[tuple[int, int, int]]) -> Image:
    fig, ax = _fig()
    days = [r[0] for r in rows]
    ax.bar(days, [r[1] for r in rows], color="#3b7dd8", label="agent turns")
    ax.bar(days, [r[2] for r in rows], color="#d83b3b", label="errors")
    ax.set_xlabel("day")
    ax.set_ylabel("turns")
    ax.set_title("Turns and errors per day")
    ax.legend()
    return Image("turns_errors_per_day.png", _png(fig), "turns and errors per day")


def score_over_days(rows: list[tuple[int, float, float]]) -> Image:
    fig, ax = _fig()
    ax.plot([r[0] for r in rows], [r[1] for r in rows], marker="o", label="points")
    ax.plot([r[0] for r in rows], [r[2] for r in rows], linestyle="--", color="#999", label="judged max")
    ax.set_xlabel("day")
    ax.set_ylabel("rubric points")
    ax.set_title("Score over days")
    ax.legend()
    return Image("score_over_days.png", _png(fig), "score over days")


def histogram(values: list[float], title: str, ax=None) -> None:  # noqa: ANN001
    ax.hist(values, bins=[i / 10 for i in range(11)], color="#3b7dd8", edgecolor="white")
    ax.set_xlabel("share of rubric points")
    ax.set_ylabel("count")
    ax.set_title(title)


def score_histograms(per_run: list[float], per_deliverable: list[float]) -> bytes:
    """The paper's Fig. 6: per-computer aggregate (left) and per-deliverable (right) score distributions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    histogram(per_run, f"Per computer (n={len(per_run)})", a)
    histogram(per_deliverable, f"Per deliverable (n={len(per_deliverable)})", b)
    return _png(fig)
