"""The Fig. 7 plot: one horizontal stacked bar per N (win / tie / lose shares)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_plot(rows: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 1.0 + 0.6 * len(rows)))
    labels = [f"N={r['n']}" for r in rows]
    left = [0.0] * len(rows)
    for key, color in (("win", "#2e7d32"), ("tie", "#9e9e9e"), ("lose", "#c62828")):
        vals = [r[f"{key}_share"] for r in rows]
        ax.barh(labels, vals, left=left, color=color, label=key)
        for i, v in enumerate(vals):
            if v >= 0.08:
                ax.text(left[i] + v / 2, i, f"{v:.0%}", ha="center", va="center", color="white", fontsize=9)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of paired comparisons (with skills vs baseline)")
    ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.45 if len(rows) < 3 else -0.2), frameon=False)
    fig.tight_layout()
    tmp = out.with_suffix(".tmp.png")
    fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    tmp.replace(out)
    return out
