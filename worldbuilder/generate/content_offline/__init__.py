"""Offline content stage: a ContentSpec per FilePlan, deterministic per file path."""

from __future__ import annotations

from worldbuilder.generate.base import FilePlan, PlanContext
from worldbuilder.generate.content_offline import code, comms, documents, media, system
from worldbuilder.generate.content_offline.genre_docs import DOC_GENRES
from worldbuilder.generate.content_offline.genre_sheets import SHEET_GENRES, rows_for
from worldbuilder.generate.content_offline.genres import infer_genre
from worldbuilder.generate.content_offline.prose import Writer, long_date
from worldbuilder.generate.content_offline.tables import data_sheet, facts_sheet, facts_table, summary_sheet
from worldbuilder.generate.occupation import DocumentKind
from worldbuilder.generate.world_offline import occupation_of
from worldbuilder.spec import ContentSpec, Heading, Layout, Paragraph, Profile, Sheet, World

# genres whose occupation documents keep the occupation's own sections/columns (the rest have a fixed shape)
SECTIONED = frozenset({"report", "handout", "proposal", "grant_proposal", "memo", "notes", "case_notes",
                       "meeting_minutes", "inspection_report", "checklist", "slide_deck"})
STRUCTURED_SHEETS = frozenset({"ledger", "trial_balance", "invoice", "quote", "purchase_order", "gradebook",
                               "roster_schedule", "timesheet", "menu_costing", "personal_finance", "contact_list"})

SHEET_COLUMNS = {"budget": ["Category", "Budget", "Actual", "Difference"], "expenses": ["Date", "Item", "Amount"],
                 "tracker": ["Task", "Owner", "Status", "Due date"], "bank_export": ["Date", "Description", "Amount"],
                 "data_export": ["Item", "Owner", "Amount", "Date"]}


class ContentMaker:
    """Builds content for the files of one tree (needs the whole tree for links between files)."""

    def __init__(self, profile: Profile, world: World, ctx: PlanContext, files: list[FilePlan], layout: Layout):
        self.profile, self.world, self.ctx, self.layout = profile, world, ctx, layout
        self.occ = occupation_of(profile, ctx)
        self.files = files
        self.by_path = {f.path: f for f in files}
        self._made: dict[str, ContentSpec] = {}
        self.by_project: dict[str, list[FilePlan]] = {}
        # contents another file's content is built from (copies, replies): kept pristine and handed out as copies
        self._shared = {f.duplicate_of for f in files if f.duplicate_of} | {f.thread[-1] for f in files if f.thread}
        for f in files:
            if f.project:
                self.by_project.setdefault(f.project, []).append(f)

    def doc_kind(self, kind: str) -> DocumentKind | None:
        return next((d for d in self.occ.documents if d.kind == kind), None)

    def make(self, plan: FilePlan) -> ContentSpec:
        if plan.path not in self._shared:  # nobody builds on it: made once, no copy needed
            return self._make(plan)
        if plan.path not in self._made:
            self._made[plan.path] = self._make(plan)
        return self._made[plan.path].model_copy(deep=True)

    def _make(self, plan: FilePlan) -> ContentSpec:
        if plan.exact_copy and plan.duplicate_of in self.by_path:
            return self.make(self.by_path[plan.duplicate_of])  # type: ignore[index]
        if plan.duplicate_of and plan.duplicate_of in self.by_path:
            spec = self.make(self.by_path[plan.duplicate_of])
            if spec.blocks:  # a near-duplicate: same document with one more line
                spec.blocks.append(Paragraph(text=f"Revised {plan.modified:%Y-%m-%d} after review."))
            return spec
        w = Writer(self.ctx.child_rng("content", plan.path), self.profile, self.world, self.occ, plan)
        spec = ContentSpec(kind=plan.kind, title=plan.title, author=self.profile.full_name)
        getattr(self, f"_{plan.type}")(spec, w)
        spec.refs = list(w.refs)
        return spec

    # ------------------------------------------------------------------ per type
    def genre(self, plan: FilePlan) -> str:
        doc = self.doc_kind(plan.kind)
        return (doc.genre if doc and doc.genre else None) or infer_genre(plan.kind, plan.title, plan.type)

    def _blocks(self, w: Writer) -> list:
        doc = self.doc_kind(w.plan.kind)
        genre = self.genre(w.plan)
        sectioned = doc is not None and doc.sections and genre in SECTIONED
        if genre in DOC_GENRES and not sectioned:
            chars, picture_bytes = documents.prose_budget(w)
            lead = [Heading(text=w.plan.title, level=1)]
            if genre not in ("letter", "memo", "cv", "recipe", "press_release"):
                lead.append(Paragraph(text=f"Prepared by {w.profile.full_name} ({w.profile.job_title}) on "
                                           f"{long_date(w.when)} about {w.topic}"))
            body = DOC_GENRES[genre](w, chars)
            if doc is not None and doc.columns:  # the occupation's own table for this kind of document
                body.append(documents.doc_table(doc.columns, w.plan.size_class, w, caption=w.plan.title))
            facts = w.some_facts(len(w.facts)) if w.facts else []
            if facts and genre not in ("recipe", "cv", "itinerary", "quiz_exam"):
                body += [Paragraph(text=w.facts_sentence(facts)), facts_table(facts)]
            if picture_bytes:
                body += [Heading(text="Appendix: photographs and figures", level=2),
                         *documents.pictures(w, picture_bytes, w.topic)]
            return lead + body
        if doc is None and w.plan.kind in documents.PERSONAL_KINDS:
            return documents.personal_blocks(w, w.plan.title)
        return documents.work_blocks(w, doc, w.plan.title, w.plan.size_class)

    def _docx(self, spec: ContentSpec, w: Writer) -> None:
        spec.blocks = self._blocks(w)
        spec.header = self.profile.employer if w.plan.kind not in documents.PERSONAL_KINDS else ""
        spec.footer = f"{w.plan.title} · {w.plan.modified:%Y-%m-%d}"

    def _pdf(self, spec: ContentSpec, w: Writer) -> None:
        self._docx(spec, w)
        if w.plan.kind in media.SCAN_KINDS and (w.plan.target_bytes > 150_000 or "scan" in w.plan.path.lower()):
            spec.data = media.scan(w)

    def _md(self, spec: ContentSpec, w: Writer) -> None:
        if w.plan.kind == "readme":
            files = self._data_files(w.plan)
            spec.blocks = documents.work_blocks(w, None, w.plan.title, "tiny")
            repo = w.plan.path.rsplit("/", 2)[-2] if "/" in w.plan.path else w.plan.title
            spec.blocks.append(Paragraph(text=f"Data files read by {repo}: "
                                              + ", ".join(f.path.rsplit("/", 1)[-1] for f in files)))
        else:
            spec.blocks = self._blocks(w)
        spec.text = documents.flatten(spec.blocks, markdown=True)

    def _jpg(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = media.photo(w)

    def _mp3(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = media.recording(w)

    def _heic(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = media.phone_photo(w)

    def _mp4(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = media.video(w)

    def _vcf(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = media.contact_cards(w)

    def _txt(self, spec: ContentSpec, w: Writer) -> None:
        text = system.system_text(w, self.files, self.layout) or code.dotfile_text(w)
        if text:
            spec.text = text
            return
        spec.blocks = self._blocks(w)
        spec.text = documents.flatten(spec.blocks, markdown=False)

    def _xlsx(self, spec: ContentSpec, w: Writer) -> None:
        doc = self.doc_kind(w.plan.kind)
        genre = self.genre(w.plan)
        if genre in SHEET_GENRES and (genre in STRUCTURED_SHEETS or not (doc and doc.columns)):
            spec.sheets = SHEET_GENRES[genre](w)
            if w.plan.kind not in documents.PERSONAL_KINDS:
                spec.sheets.append(about_sheet(w))
            facts = w.some_facts(3)
            if facts and w.plan.kind not in documents.PERSONAL_KINDS and genre not in ("ledger", "trial_balance"):
                spec.sheets.append(facts_sheet(facts))
            return
        cols = doc.columns if doc and doc.columns else SHEET_COLUMNS.get(w.plan.kind, [])
        data = data_sheet(w.plan.kind.replace("_", " ").title()[:31], cols, w.plan.size_class, w,
                          rows_for(w, len(cols) or 4, hi=1500))
        sheets: list[Sheet] = [data]
        summary = summary_sheet(data, len(data.rows) - sum(_is_total(r) for r in data.rows))
        if summary is not None and w.plan.size_class != "tiny":
            sheets.append(summary)
        facts = w.some_facts(3 if w.plan.size_class in ("tiny", "small") else 5)
        if facts and w.plan.kind not in documents.PERSONAL_KINDS and w.plan.kind not in ("budget", "expenses"):
            sheets.append(facts_sheet(facts))
        sheets.append(about_sheet(w))
        spec.sheets = sheets

    def _csv(self, spec: ContentSpec, w: Writer) -> None:
        doc = self.doc_kind(w.plan.kind)
        genre = self.genre(w.plan)
        if genre in SHEET_GENRES and (genre in STRUCTURED_SHEETS or not (doc and doc.columns)):
            sheet = SHEET_GENRES[genre](w)[0]
            rows = [[c.value if hasattr(c, "value") else c for c in r] for r in sheet.rows if not _is_total(r)]
            spec.sheets = [Sheet(name="Data", columns=sheet.columns, rows=rows)]  # type: ignore[arg-type]
            return
        cols = doc.columns if doc and doc.columns else SHEET_COLUMNS.get(w.plan.kind, SHEET_COLUMNS["data_export"])
        sheet = data_sheet("Data", cols, w.plan.size_class, w, rows_for(w, len(cols) or 4, hi=3000))
        rows = [[c.value if hasattr(c, "value") else c for c in r] for r in sheet.rows if not _is_total(r)]
        spec.sheets = [Sheet(name="Data", columns=sheet.columns, rows=rows)]  # type: ignore[arg-type]

    def _pptx(self, spec: ContentSpec, w: Writer) -> None:
        spec.slides = documents.deck(w, self.doc_kind(w.plan.kind), w.plan.title, w.plan.size_class)

    def _png(self, spec: ContentSpec, w: Writer) -> None:
        if w.plan.kind == "screenshot":
            spec.data = media.screenshot(w, self.files)
        elif w.plan.kind == "thumbnail":
            spec.data = {"image": "thumbnail", "source": w.plan.members[0] if w.plan.members else None}
        else:
            spec.chart = documents.chart_for(w)

    def _eml(self, spec: ContentSpec, w: Writer) -> None:
        siblings = self.by_project.get(w.plan.project or "", [])
        spec.email = comms.email(w, siblings)
        parent = self.by_path.get(w.plan.thread[-1]) if w.plan.thread else None
        if parent is not None and parent.type == "eml":
            spec.email = comms.reply(spec.email, self.make(parent).email, w)  # type: ignore[arg-type]

    def _ics(self, spec: ContentSpec, w: Writer) -> None:
        spec.events = comms.events(w)

    def _py(self, spec: ContentSpec, w: Writer) -> None:
        spec.text = code.py_text(w, self._data_files(w.plan), self.layout)

    def _json(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = code.json_data(w)

    def _jsonl(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = code.jsonl_data(w)

    def _toml(self, spec: ContentSpec, w: Writer) -> None:
        spec.data = code.toml_data(w, self._data_files(w.plan))

    def _zip(self, spec: ContentSpec, w: Writer) -> None:
        spec.members = list(w.plan.members)
        spec.summary = f"{len(spec.members)} files"

    # ------------------------------------------------------------------ links
    def _data_files(self, plan: FilePlan) -> list[FilePlan]:
        """Data files a script/config of this repo reads: the repo's data/ files plus the project's workbooks."""
        parts = plan.path.split("/")
        root = "/".join(parts[: max(1, len(parts) - 3)])
        for i in range(len(parts) - 1, 0, -1):
            cand = "/".join(parts[:i])
            if any(p.startswith(cand + "/data/") for p in self.by_path):
                root = cand
                break
        own = [f for p, f in sorted(self.by_path.items()) if p.startswith(root + "/data/")]
        books = [f for f in self.by_project.get(plan.project or "", []) if f.type in ("xlsx", "csv")
                 and not f.path.startswith(root + "/")]
        return own + sorted(books, key=lambda f: f.path)[:2]


def about_sheet(w: Writer) -> Sheet:
    """A cover sheet as people add to shared workbooks: what the workbook covers, who keeps it, as of when."""
    return Sheet(name="About", columns=["Field", "Details"], rows=[
        ["Workbook", w.plan.title], ["Covers", f"{w.topic} for {w.proj().name}"],
        ["Kept by", f"{w.profile.full_name}, {w.profile.job_title}"], ["As of", w.when.date().isoformat()],
        ["Notes", w.grammar.sentence()]], column_widths=[16.0, 70.0])


def _is_total(row: list) -> bool:
    return bool(row) and getattr(row[0], "value", None) == "Total"
