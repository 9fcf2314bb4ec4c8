"""Offline tree stage: a realistic home (or Windows profile + data drive) with typed file plans."""

from __future__ import annotations

import posixpath
from datetime import datetime, timedelta

from worldbuilder.generate.base import SIZE_FILES, FilePlan, PlanContext, TreePlan
from worldbuilder.generate.file_priors import type_mix
from worldbuilder.generate.fill import fill, safe_name
from worldbuilder.generate.occupation import DocumentKind, topics_for
from worldbuilder.generate.timeline import month_name, quarter, rand_time
from worldbuilder.generate.tree_layout import Registry, make_roots, plan_dirs, type_counts
from worldbuilder.generate.world_offline import occupation_of
from worldbuilder.spec import Profile, Project, World

PROJECT_WEIGHT = {"active": 4.0, "on_hold": 1.5, "completed": 1.2, "planned": 0.6, "cancelled": 0.5}
SIZE_WEIGHTS = {"tiny": 0.05, "small": 0.35, "medium": 0.4, "large": 0.2}
CATEGORIES: dict[str, dict[str, float]] = {
    "docx": {"work": 0.85, "personal": 0.08, "desktop": 0.03, "download": 0.04},
    "xlsx": {"work": 0.82, "personal": 0.1, "download": 0.05, "desktop": 0.03},
    "pdf": {"work": 0.62, "export": 0.12, "download": 0.16, "personal": 0.1},
    "pptx": {"work": 0.9, "download": 0.1},
    "txt": {"work": 0.2, "notes": 0.4, "desktop": 0.2, "download": 0.1, "personal": 0.1},
    "md": {"work": 0.2, "notes": 0.5, "personal": 0.15, "desktop": 0.15},
    "png": {"chart": 0.6, "screenshot": 0.3, "personal": 0.1},
    "json": {"export": 0.7, "download": 0.3},
    "toml": {"config": 1.0}, "jsonl": {"log": 1.0},
    "csv": {"work": 0.6, "export": 0.2, "personal": 0.2},
    "eml": {"mail": 1.0}, "ics": {"invite": 0.8, "personal": 0.2}, "zip": {"bundle": 1.0},
    "py": {"code": 1.0}, "jpg": {"photo": 1.0}, "mp3": {"recording": 1.0}, "vcf": {"contacts": 1.0},
    "heic": {"phone_photo": 1.0}, "mp4": {"video": 1.0},
}


class TreeBuilder:
    """Places the files of one computer; placers for generic folders live in :mod:`tree_generic`."""

    def __init__(self, profile: Profile, world: World, ctx: PlanContext) -> None:
        self.profile, self.world, self.ctx = profile, world, ctx
        self.occ = occupation_of(profile, ctx)
        self.rng = ctx.child_rng("tree")
        self.roots = make_roots(profile, self.rng.random() < self.occ.windows_share, self.rng)
        self.reg = Registry(self.roots)
        self.now, self.start = world.history_end, world.history_start
        self.style = self.rng.choice(["space", "space", "underscore", "dash"])
        self.remaining: dict[str, int] = {}
        self.repos: list[dict[str, object]] = []

    # ------------------------------------------------------------------ helpers
    def choose(self, weights: dict[str, float]) -> str:
        keys = sorted(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def pick_project(self) -> Project:
        ps = self.world.projects
        return self.rng.choices(ps, weights=[PROJECT_WEIGHT[p.status] for p in ps])[0]

    def window(self, project: Project | None) -> tuple[datetime, datetime]:
        if project is None:
            return self.start, self.now
        lo = max(self.start, datetime.combine(project.start, datetime.min.time()))
        hi = min(self.now, datetime.combine(project.end, datetime.min.time()) + timedelta(days=20))
        if hi <= lo + timedelta(days=2):
            lo, hi = self.now - timedelta(days=45), self.now
        return lo, hi

    def times(self, lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
        created = rand_time(self.rng, lo, hi)
        span = max(0, int((min(self.now, created + timedelta(days=40)) - created).total_seconds()))
        modified = created + timedelta(seconds=self.rng.randrange(span + 1)) if self.rng.random() < 0.7 else created
        return created, min(modified.replace(microsecond=0), self.now)

    def size_class(self, weights: dict[str, float] = SIZE_WEIGHTS) -> str:
        return self.choose(weights)

    def styled(self, title: str) -> str:
        name = safe_name(title, 70)
        if self.style == "underscore":
            return name.replace(" ", "_")
        if self.style == "dash":
            return "-".join(name.lower().split())
        return name

    def versioned(self, stem: str, when: datetime) -> str:
        r = self.rng.random()
        sep = "_" if self.style != "space" else " "
        if r < 0.07:
            return f"{stem}{sep}v{self.rng.randint(2, 4)}"
        if r < 0.11:
            return f"{stem}{sep}FINAL"
        if r < 0.13:
            return f"{stem}_final_v{self.rng.randint(2, 3)}"
        if r < 0.17:
            return f"{stem}{sep}draft"
        if r < 0.22:
            return f"{when:%Y-%m-%d} {stem}" if self.style == "space" else f"{when:%Y%m%d}_{stem}"
        return stem

    def org_name(self, oid: str | None) -> str:
        if oid is None:
            ext = [o for o in self.world.organisations if o.kind != "employer"]
            return (self.rng.choice(ext) if ext else self.world.organisations[0]).name
        return self.world.organisation(oid).name

    def refs_for(self, project: Project | None, n_facts: int = 3) -> list[str]:
        refs: list[str] = []
        if project is not None:
            refs.append(project.id)
            if project.client:
                refs.append(project.client)
            refs += self.rng.sample(project.members, k=min(len(project.members), self.rng.randint(1, 3)))
            ext = [p.id for p in self.world.people if p.relation == "external" and p.organisation == project.client]
            refs += ext[:1]
        own = [f.id for f in self.world.facts if project is not None and f.project == project.id]
        general = [f.id for f in self.world.facts if f.project is None]
        self.rng.shuffle(own)
        self.rng.shuffle(general)
        refs += (own[:n_facts] + general)[: n_facts + self.rng.randint(0, 1)]
        return refs

    def add(self, folder: str, title: str, ext: str, kind: str, created: datetime, modified: datetime,
            **extra: object) -> FilePlan | None:
        force = bool(extra.pop("force", False))
        if self.remaining.get(ext, 0) <= 0 and not force:
            return None
        stem = extra.pop("stem", None) or self.styled(title)
        path = self.reg.free_path(folder, str(stem), ext, versions=bool(extra.pop("versions", False)))
        plan = FilePlan(path=path, type=ext, kind=kind, title=title, created=created,  # type: ignore[arg-type]
                        modified=max(created, modified), **extra)  # type: ignore[arg-type]
        self.remaining[ext] = self.remaining.get(ext, 0) - 1
        return self.reg.add(plan)

    # ------------------------------------------------------------------ occupation documents
    def work_doc(self, ext: str) -> FilePlan | None:
        kinds = [d for d in self.occ.documents if ext in d.types]
        if not kinds:
            return None
        doc: DocumentKind = self.rng.choices(kinds, weights=[d.weight * (1.0 if d.types[0] == ext else 0.45)
                                                              for d in kinds])[0]
        project = self.pick_project()
        created, modified = self.times(*self.window(project))
        client = self.org_name(project.client)
        people = [p for p in self.world.people if p.relation in ("external", "colleague", "report")]
        vals = dict(project=project.name, client=client, year=created.year, quarter=quarter(created),
                    month=month_name(created), person=self.rng.choice(people).name if people else "",
                    topic=self.rng.choice(topics_for(self.occ, self.profile.department)), city=self.profile.location.split(",")[0])
        title = fill(doc.title, **vals)
        folder_vals = {**vals, "project": safe_name(f"{project.code} {project.name}", 44),
                       "client": safe_name(client, 48)}
        sub = "/".join(safe_name(p, 48) for p in fill(doc.folder, **folder_vals).split("/") if p.strip())
        if created.year <= self.now.year - 2 and self.rng.random() < 0.65:
            folder = f"{self.roots.archive}/{created.year}/{sub}"
        else:
            folder = f"{self.roots.work}/{sub}"
        return self.add(folder, title, ext, doc.kind, created, modified, project=project.id,
                        stem=self.versioned(self.styled(title), created), refs=self.refs_for(project), versions=True,
                        size_class=self.size_class())

    # ------------------------------------------------------------------ near-duplicates and bundles
    def duplicates(self, n: int) -> None:
        pool = [f for f in self.reg.files if f.type in ("docx", "xlsx", "pptx") and f.project and not f.duplicate_of]
        for src in self.rng.sample(pool, k=min(n, len(pool))):
            folder, name = src.path.rsplit("/", 1)
            stem = name.rsplit(".", 1)[0]
            variant = self.rng.choice([f"{stem} - Copy", f"Copy of {stem}", f"{stem}_v2", f"{stem} (old)",
                                       f"{stem}_final_v3", f"{stem}_reviewed"])
            where = self.rng.choice([folder, folder, self.roots.desktop])
            created = min(self.now, src.modified + timedelta(hours=self.rng.randint(1, 400)))
            self.add(where, src.title, src.type, src.kind, created, min(self.now, created + timedelta(hours=3)),
                     stem=variant, project=src.project, refs=list(src.refs), duplicate_of=src.path,
                     size_class=src.size_class, force=True)

    def bundles(self) -> None:
        while self.remaining.get("zip", 0) > 0:
            project = self.pick_project()
            members = [f.path for f in self.reg.files if f.project == project.id and f.type != "zip"]
            members = sorted(self.rng.sample(members, k=min(len(members), self.rng.randint(2, 5))))
            if not members:
                members = sorted(self.rng.sample([f.path for f in self.reg.files if f.type != "zip"], k=2))
            created, _ = self.times(*self.window(project))
            latest = max(self.reg.files, key=lambda f: f.modified if f.path in members else self.start).modified
            created = max(created, latest)
            in_archive = project.status in ("completed", "cancelled")
            folder = f"{self.roots.archive}/{created.year}" if in_archive else self.roots.downloads
            title = f"{project.code} {project.name} files"
            self.add(folder, title, "zip", "bundle", created, created, members=members, project=project.id,
                     refs=[project.id], stem=self.styled(f"{project.code}_{safe_name(project.name, 30)}"))

    # ------------------------------------------------------------------ driver
    def build(self) -> TreePlan:
        from worldbuilder.generate import tree_generic as g
        from worldbuilder.generate import tree_shape as shape
        from worldbuilder.generate import tree_system as system

        n = int(SIZE_FILES[self.ctx.size] * self.rng.uniform(0.97, 1.1))
        mix = type_mix(self.profile.occupation, self.profile.sector, self.ctx.persona)
        self.remaining = type_counts(n, mix, self.rng)
        n_dup = max(2, n // 40)
        n_copies = max(1, n // 70)
        for t in ("docx", "xlsx"):
            self.remaining[t] = self.remaining.get(t, 0) - n_dup // 2
        self.remaining["pdf"] = self.remaining.get("pdf", 0) - n_copies
        g.dotfiles(self)
        g.code_repos(self)
        shape.photos(self)
        shape.recordings(self)
        shape.phone_media(self)
        shape.contacts(self)
        for ext in sorted(t for t in self.remaining if t not in ("zip", "eml")):
            guard = 0
            while self.remaining[ext] > 0 and guard < 500:
                guard += 1
                cat = self.choose(CATEGORIES[ext])
                placed = self.work_doc(ext) if cat == "work" else g.place(self, cat, ext)
                if placed is None:
                    g.place(self, "fallback", ext)
        while self.remaining.get("eml", 0) > 0:  # saved messages in project folders
            g.place(self, "mail", "eml")
        protect = tuple(str(r["root"]) + "/src/" for r in self.repos) + (f"{self.roots.work}/Photos/",
                                                                         f"{self.roots.pictures}/")
        empty = shape.consolidate(self, self.rng.uniform(7.5, 11.0), protect)
        self.duplicates(2 * (n_dup // 2))
        self.bundles()
        self.remaining["pdf"] = self.remaining.get("pdf", 0) + n_copies
        shape.download_copies(self, n_copies)
        system.system_files(self)
        system.mail_store(self, {"small": 6, "standard": 14, "large": 30}[self.ctx.size])
        empty.update(shape.empty_folders(self))
        files = sorted(self.reg.files, key=lambda f: f.path)
        shape.assign_targets(files, self.rng)
        taken = {posixpath.dirname(f.path) for f in files}
        empty = {d: min(t, self.now) for d, t in empty.items() if d not in taken and not any(
            x.startswith(d + "/") for x in taken)}
        return TreePlan(layout=self.roots.layout, dirs=plan_dirs(files, self.start, self.rng, empty), files=files)


def make_tree(profile: Profile, world: World, ctx: PlanContext) -> TreePlan:
    return TreeBuilder(profile, world, ctx).build()
