"""Shape statistics of a computer: type mix, depth and fan-out, sizes, time span, cross-references."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from worldbuilder.spec import ComputerSpec

# The reference study's file mix (1,000 computers); csv, eml, ics and zip pool into "others".
REFERENCE_MIX: dict[str, float] = {
    "docx": 0.348, "xlsx": 0.158, "pdf": 0.139, "py": 0.085, "txt": 0.059, "pptx": 0.033,
    "png": 0.029, "json": 0.024, "md": 0.023, "toml": 0.019, "jsonl": 0.017, "others": 0.066,
}


def pooled_mix(counts: dict[str, int]) -> dict[str, float]:
    """Share of each reference bucket; types outside the named ones pool into ``others``."""
    total = sum(counts.values()) or 1
    mix = {k: 0.0 for k in REFERENCE_MIX}
    for t, n in counts.items():
        mix[t if t in mix and t != "others" else "others"] += n / total
    return mix


def tv_distance(counts: dict[str, int], reference: dict[str, float] = REFERENCE_MIX) -> float:
    """Total-variation distance between a type count and the reference mix."""
    mix = pooled_mix(counts)
    return 0.5 * sum(abs(mix[k] - reference[k]) for k in reference)


def home_relative(spec: ComputerSpec, path: str) -> str:
    """Path relative to the user's home: the profile folder on Windows, or the drive root for D: etc."""
    root = spec.layout.profile_root
    if root and path.startswith(root + "/"):
        return path[len(root) + 1:]
    if spec.layout.kind == "windows":
        return path.split("/", 1)[1] if "/" in path else path
    return path


def depth(spec: ComputerSpec, path: str) -> int:
    """Number of folders between the home and the file (a file directly in the home has depth 0)."""
    return home_relative(spec, path).count("/")


def _percentiles(values: list[int], qs: tuple[int, ...] = (10, 50, 90, 99)) -> dict[str, int]:
    if not values:
        return {}
    v = sorted(values)
    out = {f"p{q}": v[min(len(v) - 1, (len(v) * q) // 100)] for q in qs}
    out["max"] = v[-1]
    out["total"] = sum(v)
    return out


def _fanout(paths: list[str]) -> Counter[int]:
    """Histogram of the number of entries (files + subfolders) per folder."""
    children: dict[str, set[str]] = {}
    for p in paths:
        parts = p.split("/")
        for i in range(len(parts)):
            parent = "/".join(parts[:i])
            children.setdefault(parent, set()).add(parts[i])
    return Counter(len(c) for c in children.values())


def compute_stats(path: str | Path) -> dict[str, Any]:
    """Statistics for a computer directory (spec + tree) or a bare spec file."""
    from worldbuilder.computer_dir import load_computer

    spec, tree = load_computer(Path(path))
    types = Counter(f.type for f in spec.files)
    depths = Counter(depth(spec, f.path) for f in spec.files)
    if tree is not None:
        sizes = [(tree / f.path).stat().st_size for f in spec.files if (tree / f.path).is_file()]
    else:
        sizes = []
    created = min((f.created for f in spec.files), default=None)
    modified = max((f.modified for f in spec.files), default=None)
    result: dict[str, Any] = {
        "computer": spec.id,
        "persona": spec.persona,
        "user": spec.profile.username,
        "occupation": spec.profile.occupation,
        "layout": spec.layout.kind,
        "files": len(spec.files),
        "dirs": len(spec.dirs),
        "types": dict(sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))),
        "type_count": len(types),
        "tv_distance_to_reference": round(tv_distance(dict(types)), 4),
        "depth_histogram": {str(k): depths[k] for k in sorted(depths)},
        "max_depth": max(depths, default=0),
        "fanout_histogram": {str(k): v for k, v in sorted(_fanout([f.path for f in spec.files]).items())},
        "size_bytes": _percentiles(sizes),
        "time_span": {
            "first_created": created.isoformat() if created else None,
            "last_modified": modified.isoformat() if modified else None,
            "days": (modified - created).days if created and modified else 0,
        },
    }
    from worldbuilder.check import check_computer

    report = check_computer(Path(path))
    result["cross_references"] = report.cross_file_references
    result["contradictions"] = len(report.contradictions)
    return result


def format_stats(s: dict[str, Any]) -> str:
    """Human-readable rendering of :func:`compute_stats`."""
    lines = [
        f"computer {s['computer']}  user {s['user']}  occupation {s['occupation']}  layout {s['layout']}",
        f"files {s['files']}  dirs {s['dirs']}  types {s['type_count']}  "
        f"TV distance to reference mix {s['tv_distance_to_reference']:.3f}",
        "by type:   " + "  ".join(f"{t} {n}" for t, n in s["types"].items()),
        "depth:     " + "  ".join(f"{d}:{n}" for d, n in s["depth_histogram"].items()) + f"  (max {s['max_depth']})",
        "fan-out:   " + "  ".join(f"{d}:{n}" for d, n in s["fanout_histogram"].items()),
    ]
    if s["size_bytes"]:
        sz = s["size_bytes"]
        lines.append("size:      " + "  ".join(f"{k} {v:,}" for k, v in sz.items()))
    ts = s["time_span"]
    lines.append(f"time span: {ts['first_created']} .. {ts['last_modified']} ({ts['days']} days)")
    lines.append(f"cross-file references {s['cross_references']}  contradictions {s['contradictions']}")
    return "\n".join(lines)
