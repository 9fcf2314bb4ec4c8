"""Documents (docx, pdf, md, txt) and decks (pptx) from occupation document kinds or generic kinds."""

from __future__ import annotations

from worldbuilder.generate.content_offline.prose import Writer, fact_clause, long_date
from worldbuilder.generate.content_offline.sections import actions, family, family_paragraph, section_blocks
from worldbuilder.generate.content_offline.tables import data_sheet, doc_table, facts_table
from worldbuilder.generate.fill import money
from worldbuilder.generate.occupation import DocumentKind
from worldbuilder.render.media import BYTES_PER_PIXEL
from worldbuilder.spec import Block, Bullets, Chart, Heading, Image, Paragraph, Series, Slide, Table

SECTIONS = {"tiny": 2, "small": 3, "medium": 5, "large": 7}
GENERIC_SECTIONS: dict[str, list[str]] = {
    "memo": ["Purpose", "Background", "Next Steps"], "report": ["Summary", "Details", "Outlook"],
    "work_notes": ["Notes", "Follow-ups"], "team_update": ["Highlights", "Numbers", "Risks", "Asks"],
    "template": ["Overview", "Details"], "agreement": ["Parties", "Scope", "Fees", "Term"],
    "brochure": ["About us", "Services", "Contact"], "manual": ["Getting started", "Settings", "Troubleshooting"],
    "capabilities_deck": ["Who we are", "What we do", "Case studies", "Contact"],
    "letter": ["Letter"], "resume": ["Summary", "Experience", "Education", "Skills"],
    "travel_itinerary": ["Flights", "Hotel", "Plans"], "recipe": ["Ingredients", "Method"],
    "tax_summary": ["Income", "Deductions", "Summary"], "insurance": ["Policy", "Coverage", "Premium"],
    "statement": ["Account summary", "Transactions"], "invoice": ["Invoice", "Items"],
    "journal": ["Entries"], "reading_list": ["To read", "Finished"], "todo": ["Today", "This week", "Later"],
    "readme": ["Setup", "Usage", "Data"], "install_notes": ["Steps"], "release_notes": ["Changes"],
    "packing_list": ["Clothes", "Documents", "Other"],
}
PERSONAL_KINDS = frozenset({"letter", "resume", "travel_itinerary", "recipe", "tax_summary", "insurance",
                            "statement", "journal", "reading_list", "packing_list", "install_notes", "release_notes",
                            "invoice", "manual", "brochure", "template", "agreement"})
INGREDIENTS = ("2 cups flour", "1 onion, diced", "3 cloves garlic", "1 tbsp olive oil", "400 g tomatoes",
               "1 tsp cumin", "2 eggs", "250 ml stock", "salt and pepper", "a handful of basil")


def _headings(names: list[str]) -> list[str]:
    """Section headings without repeats (case-insensitive), in order."""
    seen: set[str] = set()
    out = []
    for n in names:
        if n.strip().lower() not in seen:
            seen.add(n.strip().lower())
            out.append(n)
    return out


# bytes of file per character of prose (compressed OOXML/PDF) and the fixed overhead of an empty file
PROSE_COST = {"docx": (0.42, 12_500), "pdf": (0.55, 2_200), "md": (1.0, 0), "txt": (1.0, 0), "eml": (1.0, 600)}
MAX_PROSE = {"docx": 30_000, "pdf": 10_000}  # bigger files get their size from figures and photos
SENTENCE_CHARS = 125


def prose_budget(w: Writer) -> tuple[int, int]:
    """(characters of prose, bytes left for pictures) that bring the file to its target size."""
    per, base = PROSE_COST.get(w.plan.type, (1.0, 0))
    target = w.plan.target_bytes or {"tiny": 1500, "small": 4000, "medium": 9000, "large": 20000}[w.plan.size_class]
    chars = max(300, int((target - base) / per))
    cap = MAX_PROSE.get(w.plan.type, 120_000)
    if chars <= cap:
        return chars, 0
    return cap, int(target - base - cap * per)


def pictures(w: Writer, budget: int, caption: str) -> list[Block]:
    """Photos/figures whose JPEG bytes add up to about ``budget`` (about 0.3 byte per pixel at q85)."""
    out: list[Block] = []
    while budget > 8_000 and len(out) < 12:
        share = min(budget, w.rng.choice((400_000, 900_000, 1_800_000)))
        px = int(share / BYTES_PER_PIXEL)
        width = max(160, min(5000, int((px * 1.5) ** 0.5)))
        height = max(110, int(px / width))
        out.append(Image(seed=f"{w.plan.path}#{len(out)}", width=width, height=height,
                         caption=f"Figure {len(out) + 1}: {caption} - {w.grammar.thing()}"))
        budget -= share
    return out


def work_blocks(w: Writer, doc: DocumentKind | None, title: str, size: str) -> list[Block]:
    names = list(doc.sections) if doc and doc.sections else GENERIC_SECTIONS.get(w.plan.kind, ["Summary", "Details"])
    chars, picture_bytes = prose_budget(w)
    sections = _headings(names)[: max(2, SECTIONS[size], min(len(names), chars // 1500))]
    per_section = max(1, chars // SENTENCE_CHARS // max(1, len(sections)))
    # figures go to the first sections, each at least a modest photo (a budget split thinner would be lost)
    n_pictured = max(1, min(len(sections) - 1, picture_bytes // 120_000))
    p = w.proj()
    blocks: list[Block] = [Heading(text=title, level=1),
                           Paragraph(text=f"Prepared by {w.profile.full_name} ({w.profile.job_title}, {w.profile.employer}) on "
                                          f"{long_date(w.when)} for {p.name} ({p.code}), on {w.topic}")]
    fams = [family(sec) for sec in sections]
    fact_at = next((i for i, f in enumerate(fams) if f in ("summary", "findings", "budget")), 0)
    table_at = next((i for i, f in enumerate(fams) if f in ("findings", "budget", "recommend") and i != fact_at),
                    min(1, len(sections) - 1))
    for i, sec in enumerate(sections):
        blocks.append(Heading(text=sec, level=2))
        blocks += section_blocks(sec, w, size)
        extra = per_section - 3
        while extra > 0:
            n = min(extra, w.rng.randint(3, 6))
            blocks.append(Paragraph(text=family_paragraph(family(sec), w, n)))
            extra -= n
        if picture_bytes and i < n_pictured:
            blocks += pictures(w, picture_bytes // n_pictured, sec)
        if i == fact_at and fams[i] not in ("attendees", "actions"):
            blocks.append(Paragraph(text=w.facts_sentence(w.some_facts(w.rng.randint(2, 3)))))
        if i == table_at and doc is not None and doc.columns:
            blocks.append(doc_table(doc.columns, size, w, caption=sec))
    facts = w.some_facts(3)
    if facts and size != "tiny":
        blocks.append(facts_table(facts))
    return blocks


def personal_blocks(w: Writer, title: str) -> list[Block]:
    k, r = w.plan.kind, w.rng
    blocks: list[Block] = [Heading(text=title, level=1)]
    if k == "recipe":
        blocks += [Heading(text="Ingredients", level=2), Bullets(items=sorted(r.sample(INGREDIENTS, 5))),
                   Heading(text="Method", level=2),
                   Bullets(items=["Prep everything first.", f"Cook for {r.randint(15, 60)} minutes.",
                                  "Season to taste and serve."], numbered=True)]
    elif k == "letter":
        fam = w.person(("family", "friend"))
        blocks += [Paragraph(text=f"Dear {fam.name.split()[0]},"),
                   Paragraph(text=f"Thank you for your note. Things at {w.profile.employer} have been busy, "
                                  f"mostly with {w.proj().name}, but we should still plan the visit for "
                                  f"{w.date_after(60)}."),
                   Paragraph(text=f"Best wishes,\n{w.profile.first_name}")]
    elif k == "resume":
        blocks += [Paragraph(text=f"{w.profile.full_name} · {w.profile.email} · {w.profile.location}"),
                   Heading(text="Experience", level=2),
                   Bullets(items=[f"{w.profile.job_title}, {w.profile.employer} ({w.profile.career_start.year}–present)",
                                  f"Led {w.proj().name} ({w.proj().code})", f"Specialist in {w.term()} and {w.term()}"]),
                   Heading(text="Skills", level=2), Bullets(items=list(w.profile.tools))]
    elif k in ("invoice", "statement", "tax_summary", "insurance"):
        amount = round(r.uniform(80, 4000), 2)
        blocks += [Paragraph(text=f"Issued {long_date(w.when)} to {w.profile.full_name}."),
                   Table(columns=["Description", "Amount"],
                         rows=[[w.term().capitalize(), money(amount, w.profile.currency, 2)],
                               ["Total due", money(amount, w.profile.currency, 2)]])]
    else:
        sections = GENERIC_SECTIONS.get(k, ["Notes"])
        for sec in sections:
            blocks += [Heading(text=sec, level=2), Paragraph(text=f"{sec}: " + w.paragraph(2))]
    return blocks


def flatten(blocks: list[Block], markdown: bool) -> str:
    """Plain-text/Markdown rendering of blocks (used for md/txt ``text``)."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(("#" * b.level + " " + b.text) if markdown else (b.text if b.level > 1 else b.text.upper()))
        elif isinstance(b, Paragraph):
            out.append(b.text)
        elif isinstance(b, Bullets):
            out.append("\n".join(f"{i + 1}. {t}" if b.numbered else f"- {t}" for i, t in enumerate(b.items)))
        elif isinstance(b, Table):
            if markdown:
                lines = ["| " + " | ".join(b.columns) + " |", "|" + "---|" * len(b.columns)]
                lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in b.rows]
            else:
                lines = ["\t".join(b.columns)] + ["\t".join(str(c) for c in r) for r in b.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def deck(w: Writer, doc: DocumentKind | None, title: str, size: str) -> list[Slide]:
    """A deck whose outline comes from its own sections (or its topic), sized by the file's target:
    title, agenda, one slide per section with topic bullets, key figures, a chart, and a close."""
    target = w.plan.target_bytes or 60_000
    n = max(5, min(18, 5 + int((target - 48_000) / 2_500)))
    names = list(doc.sections) if doc and doc.sections else GENERIC_SECTIONS.get(w.plan.kind, [])
    names = [x for x in _headings(names) if family(x) not in ("attendees",)
             and x.lower() not in ("agenda", "recommendation", "next steps", "key figures")]
    while len(names) < n - 4:
        names.append(f"{w.grammar.thing()[4:].capitalize()}")
    names = list(dict.fromkeys(names))[: max(1, n - 4)]
    p = w.proj()
    slides = [Slide(title=title, subtitle=f"{w.profile.full_name} · {w.profile.employer} · {long_date(w.when)}",
                    layout="title", notes=w.grammar.sentence()),
              Slide(title="Agenda", bullets=names[:8], notes=w.grammar.sentence())]
    for sec in names:
        slides.append(Slide(title=sec if len(sec) < 60 else sec[:57] + "...",
                            bullets=[w.sentence() for _ in range(w.rng.randint(2, 4))], notes=w.grammar.paragraph(2)))
    facts = w.some_facts(3)
    if facts:
        slides.append(Slide(title="Key figures", table=facts_table(facts),
                            notes="These come from the latest workbook. " + "; ".join(fact_clause(f) for f in facts)))
    sheet = data_sheet("Data", doc.columns if doc else [], "small", w)
    if sheet.chart is not None:
        slides.append(Slide(title=f"{w.topic.capitalize()}: {sheet.chart.title.lower()}", chart=sheet.chart,
                            bullets=[w.sentence()], notes=w.grammar.sentence()))
    slides.append(Slide(title="Recommendation", bullets=[w.sentence() for _ in range(2)],
                        notes="Ask for a decision here, not just feedback."))
    slides.append(Slide(title="Next steps", bullets=actions(w).items, notes=f"Confirm owners for {p.code}."))
    return slides


def chart_for(w: Writer) -> Chart:
    facts = [f for f in w.some_facts(4) if f.unit == (w.facts[0].unit if w.facts else f.unit)]
    if len(facts) >= 2:
        return Chart(kind="bar", title=f"{w.proj().code} key figures", categories=[f.label for f in facts],
                     series=[Series(name="Value", values=[f.value for f in facts])])
    months = [f"{(w.when.month - 12 + i - 1) % 12 + 1:02d}/{w.when.year - (w.when.month + i <= 12)}" for i in range(12)]
    base = w.rng.uniform(50, 500)
    vals = [round(base * (1 + 0.04 * i + w.rng.uniform(-0.08, 0.08)), 1) for i in range(12)]
    return Chart(kind="line", title=f"{w.term().capitalize()} trend", categories=months,
                 series=[Series(name=w.proj().code, values=vals)], x_label="Month")
