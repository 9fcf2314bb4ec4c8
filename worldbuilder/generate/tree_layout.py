"""Layout roots (Linux home or Windows drives), file-type budget and a path registry for one tree."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.fill import safe_name
from worldbuilder.generate.people import ascii_slug
from worldbuilder.spec import DirSpec, Layout, Profile

# Reference share of files by type (csv/eml/ics/zip make up the 6.6% "others").
TYPE_MIX: dict[str, float] = {
    "docx": 0.348, "xlsx": 0.158, "pdf": 0.139, "py": 0.085, "txt": 0.059, "pptx": 0.033, "png": 0.029,
    "json": 0.024, "md": 0.023, "toml": 0.019, "jsonl": 0.017, "csv": 0.024, "eml": 0.024, "ics": 0.009,
    "zip": 0.009,
}
MAX_DIR_DEPTH = 9


def type_counts(n: int, mix: dict[str, float], rng: random.Random) -> dict[str, int]:
    """Largest-remainder allocation of ``n`` files over the types of ``mix`` (jittered; zero stays zero)."""
    w = {t: v * rng.uniform(0.85, 1.15) for t, v in mix.items() if v > 0}
    total = sum(w.values()) or 1.0
    raw = {t: n * v / total for t, v in w.items()}
    counts = {t: int(v) for t, v in raw.items()}
    order = sorted(raw, key=lambda t: (-(raw[t] - int(raw[t])), t))
    i = 0
    while sum(counts.values()) < n and order:
        counts[order[i % len(order)]] += 1
        i += 1
    return counts


@dataclass
class Roots:
    """Folder roots of one computer, relative to the staging tree."""

    home: str  # "" on linux, "C/Users/<Name>" on windows
    docs: str
    work: str
    archive: str
    personal: str
    desktop: str
    downloads: str
    pictures: str
    code: str
    config: str  # .config on linux, AppData/Roaming on windows
    layout: Layout


def make_roots(profile: Profile, windows: bool, rng: random.Random) -> Roots:
    emp = safe_name(profile.employer, 40)

    def j(*parts: str) -> str:
        return "/".join(p for p in parts if p)

    if windows:
        name = (ascii_slug(profile.first_name) or profile.username).capitalize()
        home = f"C/Users/{name}"
        work = rng.choice([f"D/Work/{emp}", f"D/{emp}", j(home, "Documents", emp)])
        layout = Layout(kind="windows", home=f"C:\\Users\\{name}", drives={"C:": "C", "D:": "D"}, profile_root=home)
        return Roots(home, j(home, "Documents"), work, rng.choice(["D/Archive", j(home, "Documents", "Archive")]),
                     j(home, "Documents", "Personal"), j(home, "Desktop"), j(home, "Downloads"), j(home, "Pictures"),
                     j(home, "source", "repos"), j(home, "AppData", "Roaming"), layout)
    layout = Layout(kind="linux", home=f"/home/{profile.username}", profile_root="")
    work = rng.choice([f"Documents/Work/{emp}", f"Work/{emp}", f"Documents/{emp}"])
    return Roots("", "Documents", work, rng.choice(["Documents/Archive", "Archive"]), "Documents/Personal",
                 "Desktop", "Downloads", "Pictures", rng.choice(["code", "Projects", "dev", "src"]), ".config", layout)


def dir_depth(folder: str, roots: Roots) -> int:
    """Number of directory levels of ``folder`` below the home (or below the drive for D/...)."""
    parts = [p for p in folder.split("/") if p]
    if roots.home and folder.startswith(roots.home):
        return len(parts) - len(roots.home.split("/"))
    if roots.layout.kind == "windows":
        return len(parts) - 1
    return len(parts)


def clamp_folder(folder: str, roots: Roots) -> str:
    parts = [p for p in folder.split("/") if p]
    extra = dir_depth(folder, roots) - MAX_DIR_DEPTH
    return "/".join(parts[: len(parts) - extra]) if extra > 0 else "/".join(parts)


@dataclass
class Registry:
    """Unique paths for the tree; ``add`` de-duplicates names the way file managers do: ``name (1).ext``."""

    roots: Roots
    files: list[FilePlan] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)

    def free_path(self, folder: str, stem: str, ext: str, versions: bool = False) -> str:
        """A free path; clashes become ``stem (1)`` (downloads, copies) or ``stem v2`` (``versions``)."""
        folder = clamp_folder(folder, self.roots)
        base = f"{folder}/{stem}" if folder else stem
        sep = "_" if "_" in stem and " " not in stem else " "
        path, i = f"{base}.{ext}", 1
        while path.lower() in self.paths:
            path = f"{base}{sep}v{i + 1}.{ext}" if versions else f"{base} ({i}).{ext}"
            i += 1
        return path

    def add(self, plan: FilePlan) -> FilePlan:
        self.paths.add(plan.path.lower())
        self.files.append(plan)
        return plan


def plan_dirs(files: list[FilePlan], start: datetime, rng: random.Random,
              empty: dict[str, datetime] | None = None) -> list[DirSpec]:
    """Every ancestor directory of every file (and the ``empty`` leaf folders, with their creation
    times), created a little before its oldest descendant."""
    oldest: dict[str, datetime] = {}
    for d, when in (empty or {}).items():
        parts = d.split("/")
        for i in range(1, len(parts) + 1):
            a = "/".join(parts[:i])
            if a not in oldest or when < oldest[a]:
                oldest[a] = when
    for f in files:
        parts = f.path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in oldest or f.created < oldest[d]:
                oldest[d] = f.created
    created: dict[str, datetime] = {}
    for d in sorted(oldest):
        c = max(start - timedelta(days=30), oldest[d] - timedelta(hours=rng.randint(1, 72)))
        created[d] = min(c, oldest[d] - timedelta(minutes=1)).replace(microsecond=0)
    for d in sorted(created, key=lambda p: -p.count("/")):  # parents never younger than children
        if "/" in d:
            parent = d.rsplit("/", 1)[0]
            created[parent] = min(created[parent], created[d] - timedelta(minutes=1))
    return [DirSpec(path=d, created=created[d], hidden=any(p.startswith(".") for p in d.split("/")))
            for d in sorted(created)]
