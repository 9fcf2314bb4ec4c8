"""Generic placers: dotfiles, code repositories, personal files, downloads, desktop clutter, mail, configs."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import TYPE_CHECKING

from worldbuilder.generate.fill import fill, safe_name, slug
from worldbuilder.generate.match import CITIES
from worldbuilder.generate.occupation import topics_for
from worldbuilder.generate.timeline import month_name

if TYPE_CHECKING:
    from worldbuilder.generate.base import FilePlan
    from worldbuilder.generate.tree_offline import TreeBuilder

DISHES = ("Lemon chicken", "Lentil soup", "Banana bread", "Chili", "Pad thai", "Shakshuka", "Pesto pasta")
PERSONAL: dict[str, list[tuple[str, str, str]]] = {
    "docx": [("letter", "Letter to {who} {year}", "Letters"), ("resume", "Resume {name} {year}", "Career"),
             ("travel_itinerary", "Trip to {dest} {year}", "Travel/{year} {dest}"), ("recipe", "{dish} recipe", "Recipes")],
    "xlsx": [("budget", "Household budget {year}", "Finance"), ("expenses", "Expenses {year}", "Finance/{year}")],
    "pdf": [("tax_summary", "Tax return {year}", "Taxes/{year}"), ("insurance", "Home insurance policy {year}", "Insurance"),
            ("statement", "Bank statement {month} {year}", "Finance/{year}/Statements")],
    "txt": [("recipe", "{dish}", "Recipes"), ("packing_list", "Packing list {dest}", "Travel/{year} {dest}")],
    "md": [("reading_list", "Reading list", ""), ("journal", "Journal {year}", "Journal")],
    "csv": [("bank_export", "transactions {year}", "Finance/{year}")],
    "png": [("chart", "Savings {year}", "Finance/{year}")],
    "ics": [("personal_event", "{dest} trip", "Travel/{year} {dest}")],
}
DOWNLOADS: dict[str, list[tuple[str, str]]] = {
    "pdf": [("invoice", "Invoice_INV-{num}"), ("statement", "statement_{ym}"), ("manual", "{tool}_user_guide"),
            ("report", "report (1)"), ("brochure", "{client} brochure")],
    "docx": [("template", "template (1)"), ("agreement", "{client} agreement")],
    "xlsx": [("data_export", "export ({k})"), ("data_export", "{tool}_export_{ymd}")],
    "pptx": [("capabilities_deck", "{client} capabilities deck")],
    "txt": [("install_notes", "install_notes"), ("release_notes", "{tool} release notes")],
    "json": [("data_export", "export_{ymd}"), ("settings_backup", "{tool}-settings-backup")],
    "csv": [("data_export", "export_{ymd}")],
}
DESKTOP: dict[str, list[tuple[str, str]]] = {
    "txt": [("todo", "todo"), ("work_notes", "notes"), ("work_notes", "scratch")],
    "md": [("todo", "TODO"), ("work_notes", "notes {month}")],
    "docx": [("memo", "Untitled document"), ("work_notes", "{code} notes")],
    "xlsx": [("tracker", "Book1"), ("tracker", "quick calc")],
}
FALLBACK_KIND = {"docx": "memo", "xlsx": "tracker", "pdf": "report", "pptx": "team_update", "txt": "work_notes",
                 "md": "work_notes", "png": "chart", "json": "data_export", "toml": "tool_settings",
                 "jsonl": "event_log", "csv": "data_export", "eml": "email", "ics": "meeting_invite",
                 "py": "code_script", "zip": "bundle"}
REPO_FILES = ("src/{pkg}/__init__.py", "src/{pkg}/loaders.py", "src/{pkg}/report.py", "scripts/run_{short}.py",
              "tests/test_loaders.py", "src/{pkg}/cli.py", "src/{pkg}/models.py", "src/{pkg}/excel.py",
              "scripts/export_{short}.py", "tests/test_report.py", "src/{pkg}/charts.py", "src/{pkg}/dates.py",
              "src/{pkg}/config.py", "scripts/backfill_{short}.py", "tests/test_dates.py")
GIT_HOOKS = ("applypatch-msg", "commit-msg", "fsmonitor-watchman", "post-update", "pre-applypatch", "pre-commit",
             "pre-merge-commit", "pre-push", "pre-rebase", "pre-receive", "prepare-commit-msg", "push-to-checkout",
             "update")
REPO_SUFFIX = ("tools", "report", "etl", "analysis", "dashboard", "scripts", "sync")


def _home(b: TreeBuilder, *parts: str) -> str:
    return "/".join(p for p in (b.roots.home, *parts) if p)


def dotfiles(b: TreeBuilder) -> None:
    lo, hi = b.start - timedelta(days=20), b.start + timedelta(days=60)
    tool = slug(b.profile.tools[0] if b.profile.tools else "editor", "-")
    if b.roots.layout.kind == "linux":
        for name, ext, kind in ((".bashrc", "txt", "bashrc"), (".gitconfig", "txt", "gitconfig")):
            c, m = b.times(lo, b.now)
            _dot(b, name, ext, kind, c, m)
        c, m = b.times(lo, hi)
        b.add(f".config/{tool}", "settings", "toml", "tool_settings", c, m, hidden=True, stem="settings", size_class="tiny")
    else:
        c, m = b.times(lo, hi)
        b.add(_home(b, "AppData", "Roaming", tool.capitalize()), "settings", "json", "tool_settings", c, m,
              stem="settings", size_class="tiny")
        c, m = b.times(lo, b.now)
        _dot(b, ".gitconfig", "txt", "gitconfig", c, m)


def _dot(b: TreeBuilder, name: str, ext: str, kind: str, c, m) -> None:  # noqa: ANN001
    """A dotfile whose on-disk name has no extension of its own (``.bashrc`` is a txt file)."""
    from worldbuilder.generate.base import FilePlan

    if b.remaining.get(ext, 0) <= 0:
        return
    path = _home(b, name)
    b.remaining[ext] -= 1
    b.reg.add(FilePlan(path=path, type=ext, kind=kind, title=name, created=c, modified=m, hidden=True,  # type: ignore[arg-type]
                       size_class="tiny"))


def code_repos(b: TreeBuilder) -> None:
    n_py = b.remaining.get("py", 0)
    if n_py <= 0:
        return
    n_repos = max(1, min(5, math.ceil(n_py / 8)))
    pool = topics_for(b.occ, b.profile.department)
    topics = b.rng.sample(pool, k=min(n_repos, len(pool)))
    for i in range(n_repos):
        topic = topics[i % len(topics)]
        name = f"{slug(topic, '-')}-{b.rng.choice(REPO_SUFFIX)}"
        project = b.pick_project()
        start = b.start + (b.now - b.start) * b.rng.uniform(0.1, 0.8)
        b.repos.append({"name": name, "pkg": name.replace("-", "_"), "short": slug(topic), "root": f"{b.roots.code}/{name}",
                        "project": project.id, "start": start, "code": project.code})
    share = [n_py // n_repos + (1 if i < n_py % n_repos else 0) for i in range(n_repos)]
    for repo, count in zip(b.repos, share, strict=True):
        _repo_files(b, repo, count)


def _repo_files(b: TreeBuilder, repo: dict, n_py: int) -> None:
    root, start, pid = repo["root"], repo["start"], repo["project"]
    refs = [pid]

    def put(rel: str, ext: str, kind: str, title: str) -> FilePlan | None:
        folder, _, fname = f"{root}/{rel}".rpartition("/")
        c, m = b.times(start, b.now)
        return b.add(folder, title, ext, kind, c, m, stem=fname.rsplit(".", 1)[0], project=pid, refs=refs,
                     size_class="small")

    put("README.md", "md", "readme", f"{repo['name']} README")
    if b.rng.random() < 0.6:
        put("pyproject.toml", "toml", "pyproject", f"{repo['name']} pyproject")
    else:
        put("requirements.txt", "txt", "requirements", f"{repo['name']} requirements")
    put("config.toml", "toml", "app_config", f"{repo['name']} config")
    put(f"data/{repo['code'].lower()}_metrics.csv", "csv", "data_export", f"{repo['code']} metrics")
    put(f"data/{repo['short']}_summary.json", "json", "data_export", f"{repo['short']} summary")
    put(f"data/run_log_{b.now.year}.jsonl", "jsonl", "event_log", "run log")
    if b.repos.index(repo) < 2:  # the repositories cloned with git (others came as downloaded archives)
        _git_dir(b, str(root), start)
    for k in range(n_py):
        rel = fill(REPO_FILES[k % len(REPO_FILES)], pkg=repo["pkg"], short=repo["short"])
        if k >= len(REPO_FILES):
            rel = rel.replace(".py", f"_{k // len(REPO_FILES) + 1}.py")
        kind = ("code_test" if "/tests/" in f"/{rel}" else "code_script" if rel.startswith("scripts/")
                else "code_init" if rel.endswith("__init__.py") else "code_module")
        put(rel, "py", kind, rel.rsplit("/", 1)[-1])


def _git_dir(b: TreeBuilder, root: str, start) -> None:  # noqa: ANN001
    """The repository's ``.git`` housekeeping files (as ``git init`` writes them)."""
    from worldbuilder.generate.base import FilePlan

    names = ["HEAD", "config", "description", "info/exclude", "COMMIT_EDITMSG"]
    names += [f"hooks/{h}.sample" for h in GIT_HOOKS]
    for name in names:
        path = f"{root}/.git/{name}"
        if path.lower() in b.reg.paths:
            continue
        c, _ = b.times(start, start + timedelta(minutes=2))
        m = b.now if name in ("COMMIT_EDITMSG",) else c
        b.reg.add(FilePlan(path=path, type="txt", kind="git_" + name.split("/")[0].replace(".", "_").lower(),  # type: ignore[arg-type]
                           title=name, created=c, modified=max(c, min(m, b.now)), hidden=True, size_class="tiny"))


def _vals(b: TreeBuilder, when) -> dict[str, object]:  # noqa: ANN001
    fam = [p.name for p in b.world.people if p.relation in ("family", "friend")] or ["Sam"]
    project = b.pick_project()
    return dict(year=when.year, month=month_name(when), dest=b.rng.choice(sorted(CITIES)),
                dish=b.rng.choice(DISHES), who=b.rng.choice(fam), name=b.profile.full_name,
                num=b.rng.randint(10000, 99999), ym=f"{when:%Y-%m}", ymd=f"{when:%Y%m%d}", k=b.rng.randint(1, 4),
                tool=slug(b.rng.choice(b.profile.tools or ["tool"]), "_"), client=b.org_name(project.client),
                code=project.code, project=project)


def place(b: TreeBuilder, cat: str, ext: str) -> FilePlan | None:
    fn = PLACERS.get(cat)
    return fn(b, ext) if fn else None


def _personal(b: TreeBuilder, ext: str) -> FilePlan | None:
    if ext not in PERSONAL:
        return None
    kind, title, folder = b.rng.choice(PERSONAL[ext])
    c, m = b.times(b.start, b.now)
    v = _vals(b, c)
    folder = "/".join(safe_name(p) for p in fill(folder, **v).split("/") if p.strip())
    return b.add(f"{b.roots.personal}/{folder}".rstrip("/"), fill(title, **v), ext, kind, c, m,
                 size_class=b.size_class({"tiny": 0.3, "small": 0.6, "medium": 0.1}))


def _download(b: TreeBuilder, ext: str) -> FilePlan | None:
    if ext not in DOWNLOADS:
        return None
    kind, title = b.rng.choice(DOWNLOADS[ext])
    c, m = b.times(b.now - timedelta(days=200), b.now)
    v = _vals(b, c)
    project = v["project"]
    return b.add(b.roots.downloads, fill(title, **v), ext, kind, c, c, stem=safe_name(fill(title, **v)),
                 refs=b.refs_for(project, 1) if kind in ("report", "data_export") else [],  # type: ignore[arg-type]
                 project=project.id if kind in ("report", "data_export") else None,  # type: ignore[attr-defined]
                 size_class=b.size_class({"tiny": 0.4, "small": 0.5, "medium": 0.1}))


def _desktop(b: TreeBuilder, ext: str) -> FilePlan | None:
    if ext not in DESKTOP:
        return None
    kind, title = b.rng.choice(DESKTOP[ext])
    c, m = b.times(b.now - timedelta(days=60), b.now)
    v = _vals(b, c)
    project = v["project"]
    return b.add(b.roots.desktop, fill(title, **v), ext, kind, c, m, stem=safe_name(fill(title, **v)),
                 refs=b.refs_for(project, 2), project=project.id, size_class="tiny")  # type: ignore[attr-defined]


def _project_folder(b: TreeBuilder, sub: str) -> tuple[str, object]:
    p = b.pick_project()
    base = b.roots.work if p.status not in ("completed", "cancelled") else f"{b.roots.archive}/{p.end.year}"
    return f"{base}/Projects/{safe_name(p.code + ' ' + p.name, 44)}/{sub}", p


def _notes(b: TreeBuilder, ext: str) -> FilePlan | None:
    folder, p = _project_folder(b, "Notes")
    c, m = b.times(*b.window(p))  # type: ignore[arg-type]
    title = f"{p.code} notes {c:%Y-%m-%d}"  # type: ignore[attr-defined]
    return b.add(folder, title, ext, "work_notes", c, m, project=p.id, refs=b.refs_for(p, 2),  # type: ignore[attr-defined]
                 size_class="small")


def _export(b: TreeBuilder, ext: str) -> FilePlan | None:
    if ext == "pdf":
        src = [f for f in b.reg.files if f.type == "docx" and f.project and not f.duplicate_of]
        if src:
            s = b.rng.choice(src)
            folder, name = s.path.rsplit("/", 1)
            c = min(b.now, s.modified + timedelta(hours=b.rng.randint(1, 48)))
            return b.add(folder, s.title, "pdf", s.kind, c, c, stem=name.rsplit(".", 1)[0], project=s.project,
                         refs=list(s.refs), size_class=s.size_class)
    folder, p = _project_folder(b, "Data")
    c, m = b.times(*b.window(p))  # type: ignore[arg-type]
    return b.add(folder, f"{p.code} export {c:%Y-%m-%d}", ext, "data_export", c, m, project=p.id,  # type: ignore[attr-defined]
                 stem=f"{p.code.lower()}_export_{c:%Y%m%d}", refs=b.refs_for(p, 4), size_class="small")  # type: ignore[attr-defined]


def _chart(b: TreeBuilder, ext: str) -> FilePlan | None:
    folder, p = _project_folder(b, "Charts")
    c, m = b.times(*b.window(p))  # type: ignore[arg-type]
    return b.add(folder, f"{p.code} key figures", ext, "chart", c, m, project=p.id, refs=b.refs_for(p, 4),  # type: ignore[attr-defined]
                 stem=b.styled(f"{p.code} chart {c:%Y-%m}"), size_class="small")  # type: ignore[attr-defined]


def _screenshot(b: TreeBuilder, ext: str) -> FilePlan | None:
    c, _ = b.times(b.now - timedelta(days=120), b.now)
    folder = b.rng.choice([b.roots.desktop, f"{b.roots.pictures}/Screenshots"])
    p = b.pick_project()
    return b.add(folder, f"Screenshot {c:%Y-%m-%d}", ext, "screenshot", c, c, project=p.id, refs=b.refs_for(p, 3),
                 stem=f"Screenshot {c:%Y-%m-%d} at {c:%H.%M.%S}", size_class="small")


def _mail(b: TreeBuilder, ext: str) -> FilePlan | None:
    p = b.pick_project()
    c, _ = b.times(*b.window(p))
    client = safe_name(b.org_name(p.client), 40)
    base = b.roots.work if p.status not in ("completed", "cancelled") else f"{b.roots.archive}/{c.year}"
    folder = f"{base}/Correspondence/{client}/{c.year}"
    subject = b.rng.choice(["{code} status update", "{name} notes", "{name} - next steps", "FW {code} figures",
                            "Question about {name}"])
    subject = fill(subject, code=p.code, name=p.name)
    return b.add(folder, subject, ext, "email", c, c, stem=safe_name(f"{c:%Y-%m-%d} {subject}"), project=p.id,
                 refs=b.refs_for(p, 2), size_class="small")


def _invite(b: TreeBuilder, ext: str) -> FilePlan | None:
    p = b.pick_project()
    c, _ = b.times(*b.window(p))
    folder = b.rng.choice([b.roots.downloads, f"{b.roots.work}/Meetings/{c.year}"])
    title = f"{p.code} {b.rng.choice(['kickoff', 'review', 'weekly sync', 'steering committee'])}"
    return b.add(folder, title, ext, "meeting_invite", c, c, project=p.id, refs=b.refs_for(p, 0), size_class="tiny")


def _config(b: TreeBuilder, ext: str) -> FilePlan | None:
    tool = slug(b.rng.choice(b.profile.tools or ["app"]), "-")
    c, m = b.times(b.start, b.now)
    folder = f".config/{tool}" if b.roots.layout.kind == "linux" else _home(b, "AppData", "Roaming", tool.capitalize())
    return b.add(folder, f"{tool} {b.rng.choice(['config', 'preferences', 'profiles'])}", ext, "tool_settings", c, m,
                 hidden=b.roots.layout.kind == "linux", size_class="tiny")


def _log(b: TreeBuilder, ext: str) -> FilePlan | None:
    folder, p = _project_folder(b, "Data/logs")
    c, m = b.times(*b.window(p))  # type: ignore[arg-type]
    return b.add(folder, f"{p.code} activity log", ext, "event_log", c, m, project=p.id, refs=b.refs_for(p, 1),  # type: ignore[attr-defined]
                 stem=f"activity_{c:%Y%m}", size_class="small")


def _fallback(b: TreeBuilder, ext: str) -> FilePlan | None:
    folder, p = _project_folder(b, b.rng.choice(["General", "Reference", "Admin"]))
    c, m = b.times(*b.window(p))  # type: ignore[arg-type]
    kind = FALLBACK_KIND[ext]
    return b.add(folder, f"{p.code} {kind.replace('_', ' ')} {c:%Y-%m}", ext, kind, c, m,  # type: ignore[attr-defined]
                 project=p.id, refs=b.refs_for(p, 3), size_class=b.size_class(), force=True)  # type: ignore[attr-defined]


PLACERS = {"personal": _personal, "download": _download, "desktop": _desktop, "notes": _notes, "export": _export,
           "chart": _chart, "screenshot": _screenshot, "mail": _mail, "invite": _invite, "config": _config,
           "log": _log, "fallback": _fallback, "code": _fallback}
