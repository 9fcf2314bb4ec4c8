"""The shape of a home (Impressions-like): per-file size targets, files per folder, empty folders,
byte-identical download copies, and photo/audio/contact placement."""

from __future__ import annotations

import math
import posixpath
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.fill import safe_name
from worldbuilder.generate.match import CITIES
from worldbuilder.generate.tree_layout import dir_depth

if TYPE_CHECKING:
    from worldbuilder.generate.tree_offline import TreeBuilder

SIZE_MU, SIZE_SIGMA = 9.48, 2.457  # Impressions (Agrawal et al.): ln bytes of a file
MAX_TARGET = 12_000_000
MIN_TARGET = 40
# typical ln(bytes) and spread of each type/kind: decides which files receive which of the drawn sizes
TYPE_LN: dict[str, tuple[float, float]] = {
    "docx": (10.4, 1.0), "xlsx": (9.6, 0.5), "pptx": (11.0, 0.4), "pdf": (11.2, 1.6), "png": (9.7, 0.5),
    "jpg": (14.6, 0.8), "mp3": (15.2, 0.8), "heic": (13.3, 0.5), "mp4": (14.2, 0.4), "zip": (13.0, 1.2), "csv": (7.6, 1.5), "json": (8.0, 1.5),
    "jsonl": (10.0, 1.5), "md": (7.8, 1.0), "txt": (7.6, 1.4), "py": (8.2, 1.0), "toml": (6.4, 0.7),
    "eml": (8.8, 1.0), "ics": (7.5, 0.5), "vcf": (7.4, 1.0),
}
KIND_LN: dict[str, tuple[float, float]] = {
    "shell_history": (8.6, 0.6), "shell_profile": (6.6, 0.3), "recent_files": (8.4, 0.6), "user_dirs": (6.4, 0.2),
    "shortcut": (5.6, 0.3), "trash_info": (4.7, 0.1),
    "cache_index": (7.0, 0.5), "bashrc": (7.8, 0.3), "gitconfig": (5.5, 0.3), "tool_settings": (6.2, 0.6),
    "screenshot": (11.8, 0.4), "requirements": (5.0, 0.3), "readme": (8.0, 0.5), "pyproject": (6.4, 0.3),
    "app_config": (6.4, 0.4), "app_state": (7.0, 1.0), "code_init": (5.0, 0.4), "thumbnail": (9.6, 0.2), "scan": (13.2, 0.8), "git_hooks": (6.8, 0.7), "git_head": (3.1, 0.1),
    "git_config": (5.4, 0.2), "git_description": (4.3, 0.1), "git_info": (5.5, 0.1), "git_commit_editmsg": (3.5, 0.3),
}
# The ln bytes the renderers can make of each type (kind, where it decides), measured with
# ``benchmarks/realism.py --floors`` (every target at MIN_TARGET) and ``--ceilings`` (every target at 400 kB):
# below its floor a file cannot go (a docx from the slimmed template, a workbook's parts, a deck's masters and
# layouts, a chart PNG); above its ceiling its content cannot grow (a workbook of typed rows, a deck of text
# slides, a message, a calendar invite, a config of fixed keys). Drawn sizes go to files that can be that size.
FLOOR_LN: dict[str, float] = {
    "docx": 9.45, "pptx": 10.8, "xlsx": 8.75, "pdf": 7.6, "png": 9.5, "jpg": 10.9, "heic": 12.6, "mp3": 11.25,
    "mp4": 12.95, "zip": 8.5, "eml": 6.65, "ics": 7.4, "json": 7.2, "jsonl": 7.2, "md": 6.5, "csv": 5.45,
    "vcf": 5.2, "toml": 4.9, "py": 4.5, "txt": 4.0}
REACH_LN: dict[str, float] = {"png": 9.8, "xlsx": 10.8, "pptx": 11.3, "md": 10.0, "txt": 10.2, "eml": 10.0,
                              "py": 10.8, "json": 11.0, "csv": 12.0, "toml": 5.8, "ics": 7.5, "vcf": 9.0,
                              "docx": 12.5}
# kinds of a fixed (or nearly fixed) size, and kinds whose window differs from their type's: (floor, ceiling)
KIND_WINDOW_LN: dict[str, tuple[float, float]] = {
    "screenshot": (11.25, 12.0), "thumbnail": (9.6, 9.75), "recent_files": (8.2, 9.2), "shell_history": (5.7, 99.0),
    "app_state": (4.5, 8.5), "app_config": (5.4, 5.85), "shortcut": (4.0, 5.3), "trash_info": (4.5, 5.3),
    "bashrc": (5.0, 5.1), "gitconfig": (4.7, 4.9), "cache_index": (4.9, 5.1), "shell_profile": (5.5, 5.6),
    "user_dirs": (5.55, 5.6), "tool_settings": (4.9, 5.0), "git_hooks": (5.9, 8.3), "git_head": (3.0, 3.05),
    "git_config": (5.0, 5.2), "git_description": (4.25, 4.3), "git_info": (5.25, 5.3),
    "git_commit_editmsg": (3.2, 3.45)}
XDG_EMPTY = ("Music", "Videos", "Templates", "Public")
WIN_EMPTY = ("Music", "Videos", "Saved Games", "Contacts", "Favorites", "Links", "3D Objects")
PHONES = (("Apple", "iPhone 13"), ("Apple", "iPhone 14 Pro"), ("Google", "Pixel 7"), ("samsung", "SM-S911B"))
CAMERAS = (("Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM"), ("NIKON CORPORATION", "NIKON Z 6_2", "NIKKOR Z 24-70mm f/4 S"),
           ("SONY", "ILCE-7M4", "FE 24-70mm F2.8 GM II"), ("FUJIFILM", "X-T4", "XF16-55mmF2.8 R LM WR"))


def assign_targets(files: list[FilePlan], rng) -> None:  # noqa: ANN001
    """Draw one size per file from the size model and hand the sizes out smallest first.

    Each size goes to a file that can be made that small (its floor is at or below it): the one whose ceiling
    it has reached (a file of fixed size takes the draw nearest its own size), else the lowest-ranked one, so
    the largest go to the types that carry them.
    """
    originals = [f for f in files if not f.exact_copy]
    sizes = sorted(rng.lognormvariate(SIZE_MU, SIZE_SIGMA) for _ in originals)

    def key(f: FilePlan) -> float:
        mu, sd = KIND_LN.get(f.kind) or TYPE_LN.get(f.type, (9.0, 1.0))
        return min(mu + rng.gauss(0, sd), REACH_LN.get(f.type, 99.0) + rng.random() * 0.01)

    queues: dict[tuple[float, float], list[tuple[float, str, FilePlan]]] = {}
    for f in originals:
        queues.setdefault(size_window(f), []).append((key(f), f.path, f))
    for q in queues.values():
        q.sort(key=lambda t: (t[0], t[1]), reverse=True)  # pop() takes the lowest-ranked file
    for s in sizes:
        ln = math.log(s)
        live = [w for w, q in queues.items() if q]
        fit = [w for w in live if w[0] <= ln]
        if not fit:  # smaller than anything left can be: the file with the lowest floor comes closest
            w = min(live, key=lambda w: (w[0], queues[w][-1][:2]))
        elif any(w[1] <= ln for w in fit):  # files this size is already above the reach of go first
            w = min((w for w in fit if w[1] <= ln), key=lambda w: (w[1], queues[w][-1][:2]))
        else:
            w = min(fit, key=lambda w: queues[w][-1][:2])
        queues[w].pop()[2].target_bytes = int(min(MAX_TARGET, max(MIN_TARGET, s)))
    by_path = {f.path: f for f in files}
    for f in files:
        if f.exact_copy and f.duplicate_of in by_path:
            f.target_bytes = by_path[f.duplicate_of].target_bytes  # type: ignore[index]


def size_window(f: FilePlan) -> tuple[float, float]:
    """(floor, ceiling) of the ln bytes the renderers can make this file: its type's or kind's."""
    return KIND_WINDOW_LN.get(f.kind) or (FLOOR_LN.get(f.type, 0.0), REACH_LN.get(f.type, 99.0))


# --------------------------------------------------------------------------- folders


def consolidate(b: TreeBuilder, target: float, protect: tuple[str, ...]) -> dict[str, datetime]:
    """Fold sparse folders into their parents until the mean files per non-empty folder reaches ``target``.

    Returns some of the emptied folders (kept as empty leaf folders, as people leave them behind).
    """
    empty: dict[str, datetime] = {}
    home = b.roots.home  # never fold the home (or a folder above it) into its parent: C/Users/<Name> stays
    above = {"/".join(home.split("/")[:i]) for i in range(1, home.count("/") + 2)} if home else set()
    for _ in range(400):
        counts = Counter(posixpath.dirname(f.path) for f in b.reg.files)
        if len(b.reg.files) / max(1, len(counts)) >= target:
            break
        cands = [d for d, n in counts.items() if n <= 4 and d and d not in above and not d.startswith(protect)
                 and not any(p.startswith(".") or p.startswith("$") for p in d.split("/"))
                 and dir_depth(posixpath.dirname(d), b.roots) >= 1 + (n > 2)]
        if not cands:
            break
        d = min(cands, key=lambda x: (counts[x], -x.count("/"), x))
        parent = posixpath.dirname(d)
        moved = 0
        for f in b.reg.files:
            if posixpath.dirname(f.path) != d:
                continue
            new = f"{parent}/{posixpath.basename(f.path)}"
            if new.lower() in b.reg.paths:
                continue
            b.reg.paths.discard(f.path.lower())
            b.reg.paths.add(new.lower())
            f.path = new
            moved += 1
        if moved == 0:
            protect = (*protect, d)
            continue
        if b.rng.random() < 0.25:
            empty[d] = b.start + (b.now - b.start) * b.rng.random()
    return empty


def empty_folders(b: TreeBuilder) -> dict[str, datetime]:
    """Standard folders most people never fill, plus a few abandoned ones in the documents."""
    names = XDG_EMPTY if b.roots.layout.kind == "linux" else WIN_EMPTY
    home = b.roots.home
    out = {"/".join(p for p in (home, n) if p): b.start - timedelta(days=10) for n in names}
    for extra in ("New folder", "old", "to sort", "Scans"):
        if b.rng.random() < 0.5:
            out[f"{b.roots.docs}/{extra}"] = b.start + (b.now - b.start) * b.rng.random()
    return out


def download_copies(b: TreeBuilder, n: int) -> None:
    """Byte-identical ``name (1).ext`` copies of downloaded files (the same file downloaded twice)."""
    pool = [f for f in b.reg.files if f.path.startswith(b.roots.downloads + "/") and not f.duplicate_of
            and f.type in ("pdf", "docx", "xlsx", "zip", "csv", "jpg")]
    for src in b.rng.sample(pool, k=min(n, len(pool))):
        stem, ext = src.path.rsplit(".", 1)
        path, i = f"{stem} (1).{ext}", 1
        while path.lower() in b.reg.paths:
            i += 1
            path = f"{stem} ({i}).{ext}"
        when = min(b.now, src.modified + timedelta(minutes=b.rng.randint(1, 60 * 24 * 20)))
        b.reg.add(FilePlan(path=path, type=src.type, kind=src.kind, title=src.title, created=when, modified=when,
                           duplicate_of=src.path, exact_copy=True, project=src.project, refs=list(src.refs),
                           size_class=src.size_class))
        b.remaining[src.type] = b.remaining.get(src.type, 0) - 1


# --------------------------------------------------------------------------- photos, audio, contacts


def photos(b: TreeBuilder) -> None:
    """Photos in bursts: a folder per day out (phone) or per shoot/site visit (camera), 3-40 shots each."""
    work_heavy = b.remaining.get("jpg", 0) > 25
    seq = b.rng.randint(100, 8000)
    while b.remaining.get("jpg", 0) > 0:
        n = min(b.remaining["jpg"], b.rng.randint(3, 40 if work_heavy else 14))
        project = b.pick_project() if (work_heavy or b.rng.random() < 0.35) else None
        lo, hi = b.window(project)
        day, _ = b.times(lo, hi)
        if project is not None:
            make, _, lens = b.rng.choice(CAMERAS)
            where = safe_name(f"{day:%Y-%m-%d} {project.code} {b.rng.choice(('shoot', 'site visit', 'event', 'selects'))}")
            folder = f"{b.roots.work}/Photos/{where}"
        else:
            make, lens = "phone", ""
            folder = f"{b.roots.pictures}/{day.year}/{safe_name(f'{day:%Y-%m-%d} {b.rng.choice(sorted(CITIES))}')}"
        t = day.replace(hour=b.rng.randint(8, 17), minute=b.rng.randint(0, 59), second=0, microsecond=0)
        for _ in range(n):
            seq += 1
            stem = f"IMG_{t:%Y%m%d_%H%M%S}" if not lens else f"{'DSC' if 'NIKON' in make or 'SONY' in make else 'IMG'}_{seq % 10000:04d}"
            b.add(folder, stem, "jpg", "photo", t, t, stem=stem, project=project.id if project else None,
                  refs=[project.id] if project else [], force=True)
            t = min(b.now, t + timedelta(seconds=b.rng.randint(4, 900)))


def recordings(b: TreeBuilder) -> None:
    while b.remaining.get("mp3", 0) > 0:
        p = b.pick_project()
        c, _ = b.times(*b.window(p))
        what = b.rng.choice(("interview", "voice memo", "meeting recording", "episode rough cut", "call notes"))
        b.add(f"{b.roots.docs}/Recordings", f"{c:%Y-%m-%d} {p.code} {what}", "mp3", "recording", c, c, project=p.id,
              refs=[p.id], force=True)


def phone_media(b: TreeBuilder) -> None:
    """HEIC phone photos (a day out per folder) and MP4 clips (project footage, or a phone's videos)."""
    while b.remaining.get("heic", 0) > 0:
        day, _ = b.times(b.start, b.now)
        folder = f"{b.roots.pictures}/{day.year}/{safe_name(f'{day:%Y-%m-%d} {b.rng.choice(sorted(CITIES))}')}"
        t = day.replace(hour=b.rng.randint(8, 19), minute=b.rng.randint(0, 59), second=0, microsecond=0)
        for _ in range(min(b.remaining["heic"], b.rng.randint(2, 9))):
            stem = f"IMG_{b.rng.randint(1000, 9999)}"
            b.add(folder, stem, "heic", "phone_photo", t, t, stem=stem, force=True)
            t = min(b.now, t + timedelta(seconds=b.rng.randint(4, 600)))
    videos = "/".join(p for p in (b.roots.home, "Videos") if p)
    while b.remaining.get("mp4", 0) > 0:
        p = b.pick_project() if b.rng.random() < 0.6 else None
        c, _ = b.times(*b.window(p))
        what = b.rng.choice(("b-roll", "interview clip", "walkthrough", "site walk", "demo recording", "class recording"))
        if p is not None:
            b.add(f"{b.roots.work}/Video", f"{c:%Y-%m-%d} {p.code} {what}", "mp4", "video", c, c, project=p.id,
                  refs=[p.id], force=True)
        else:
            b.add(videos, f"VID_{c:%Y%m%d_%H%M%S}", "mp4", "video", c, c, stem=f"VID_{c:%Y%m%d_%H%M%S}", force=True)


def contacts(b: TreeBuilder) -> None:
    while b.remaining.get("vcf", 0) > 0:
        c, _ = b.times(b.start, b.now)
        folder = b.rng.choice((b.roots.downloads, b.roots.docs))
        b.add(folder, b.rng.choice(("contacts", "Contacts export", "vcards")), "vcf", "contacts", c, c, force=True)


def size_to_rows(target: int, per_row: float, lo: int = 3, hi: int = 20000) -> int:
    """Rows (or paragraphs, items) that reach about ``target`` bytes at ``per_row`` bytes each."""
    return max(lo, min(hi, int(math.ceil(target / max(1.0, per_row)))))
