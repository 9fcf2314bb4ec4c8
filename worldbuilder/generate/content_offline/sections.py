"""Section bodies that fit their heading: a heading is mapped to a family with its own sentences and blocks."""

from __future__ import annotations

import re

from worldbuilder.generate.content_offline.guard import safe_text
from worldbuilder.generate.content_offline.prose import Writer, long_date
from worldbuilder.generate.fill import money
from worldbuilder.spec import Block, Bullets, Paragraph

FAMILIES: tuple[tuple[str, str], ...] = (
    ("attendees", r"attendee|participant|present|candidates"),
    ("actions", r"action|next step|follow|open question|required|to ?do|asks|tasks"),
    ("appendix", r"appendix|reference|attachment|sources|readings|bibliograph"),
    ("timeline", r"timeline|schedule|milestone|phase|calendar|key dates|timing"),
    ("budget", r"budget|financ|cost|fee|cash flow|pricing|funding|revenue|expense|premium|numbers|billing"),
    ("risks", r"risk|issue|concern|mitigation|tolerance|constraint|compliance|limitation"),
    ("recommend", r"recommend|decision|proposal|proposed|approach|strateg|guideline|policy|objective|goal|"
                  r"rebalanc|changes|plan\b"),
    ("findings", r"finding|analys|result|performance|discussion|review|observation|evidence|progress|"
                 r"assessment|comment|equities|fixed income|market|data|details|highlights|monitoring|status"),
    ("outlook", r"outlook|conclusion|closing|looking ahead|future"),
    ("summary", r"summary|purpose|overview|introduction|background|context|abstract|executive|about|situation|"
                r"description|scope|motivation|aims"),
)
SENTENCES: dict[str, tuple[str, ...]] = {
    "summary": (
        "This document sets out where {project} stands and what we need from {client} over the next few weeks.",
        "{project} ({code}) started on {start} and is {status}; it is led by {owner}.",
        "The main question for this period is how we handle {term} without losing sight of {term2}.",
        "It builds on the previous review and reflects comments from {person}.",
        "In short: {term} is in a good place, while {term2} still needs work before {date}.",
    ),
    "findings": (
        "The clearest change since the last review is in {term}, which moved more than we expected.",
        "{person} checked the {term} figures against the source data and found no material differences.",
        "Most of the variance comes from {term}; {term2} was broadly in line with plan.",
        "Compared with last quarter, {term} improved, but {term2} remains below where {client} wants it.",
        "We looked at {term} in three ways and the conclusions agree, which gives us some confidence.",
        "One outlier in the {term} data was traced to a late update and has been corrected.",
    ),
    "recommend": (
        "We recommend keeping the current approach to {term} and revisiting it at the {milestone} checkpoint.",
        "Our recommendation is to prioritise {term} over {term2} until {date}.",
        "If {client} agrees, we would adjust {term} now rather than wait for the next cycle.",
        "{owner} proposes a small change to {term}; the rest of the plan stays as agreed.",
        "We suggest a short working session with {person} to settle {term} before anything is sent out.",
    ),
    "risks": (
        "The main risk is {term}: if it slips, {milestone} on {mdate} is at risk.",
        "{term} remains a moderate risk; {person} is monitoring it weekly.",
        "A second risk is a dependency on {client} for {term2}, which we do not control.",
        "Mitigation: agree the {term} assumptions in writing and flag any change to {owner} early.",
        "We have not seen problems with {term2} so far, but it is worth keeping on the watch list.",
    ),
    "budget": (
        "Spending on {project} is tracking close to plan; the biggest line is {term}.",
        "The approved budget for {code} is {budget}, and no increase is requested at this stage.",
        "Costs related to {term} came in slightly above the estimate and are offset elsewhere.",
        "{person} will confirm the final {term} costs once the invoices arrive.",
    ),
    "outlook": (
        "Looking ahead, the focus moves to {term} and preparing for {milestone}.",
        "We expect {term} to stay the main topic with {client} for the rest of the quarter.",
        "The next review is planned for {date}, when we will have a clearer view of {term2}.",
    ),
    "appendix": (
        "Supporting workings are in the {code} folder; the main workbook has the detail behind each table.",
        "Sources: internal {term} records, notes from meetings with {client}, and the {code} log.",
    ),
}
ACTION_VERBS = ("send the updated {term} summary to", "confirm the {term} figures with", "book a review of {term} with",
                "draft the {term} section for", "check the {term} assumptions with", "circulate the {term} notes to")


def family(heading: str) -> str:
    low = heading.lower()
    return next((name for name, rx in FAMILIES if re.search(rx, low)), "findings")


def _values(w: Writer) -> dict[str, str]:
    p = w.proj()
    ms = w.rng.choice(p.milestones) if p.milestones else None
    owner = w.world.person(p.owner).name if p.owner in {x.id for x in w.world.people} else w.profile.full_name
    t1, t2 = w.two_terms()
    return dict(project=p.name, code=p.code, client=w.client_name(), owner=owner, term=t1, term2=t2,
                person=w.person().name, date=w.date_after(), start=long_date(p.start), status=w.status_phrase(p),
                milestone=ms.name if ms else "next review", mdate=long_date(ms.due) if ms else w.date_after(60),
                budget=money(p.budget, w.profile.currency) if p.budget else "unchanged")


def family_paragraph(fam: str, w: Writer, n: int) -> str:
    """A paragraph of ``n`` sentences: at most one framing sentence of the section's family, the rest from
    the domain grammar about the file's topic; each checked against accidental fact-like numbers."""
    pool = SENTENCES.get(fam) or SENTENCES["findings"]
    out: list[str] = []
    if w.rng.random() < 0.1:
        text = w.rng.choice(pool).format(**_values(w))
        if safe_text(text, w) and w.fresh(text):
            out.append(text[0].upper() + text[1:])
    while len(out) < n:
        text = w.sentence()
        if safe_text(text, w):
            out.append(text)
        elif w.rng.random() < 0.3:
            break
    return " ".join(out) or w.paragraph(2)


def attendees(w: Writer) -> Bullets:
    p = w.proj()
    staff = [x for x in w.world.people if x.id in p.members] or [w.person()]
    ext = [x for x in w.world.people if x.relation == "external" and x.organisation == p.client]
    people = [w.profile.full_name + f" ({w.profile.job_title})"]
    for x in staff[:3] + ext[:2]:
        w.cite(x.id)
        people.append(f"{x.name} ({x.role})")
    return Bullets(items=list(dict.fromkeys(people)))


def actions(w: Writer) -> Bullets:
    items = []
    for _ in range(w.rng.randint(3, 5)):
        who, other = w.person(), w.person()
        verb = w.rng.choice(ACTION_VERBS).format(term=w.term())
        items.append(f"{who.name} to {verb} {other.name.split()[0] if other.id != who.id else w.client_name()}"
                     f" by {w.date_after(21)}")
    return Bullets(items=list(dict.fromkeys(items)), numbered=True)


def timeline(w: Writer) -> list[Block]:
    p = w.proj()
    items = [f"{long_date(m.due)}: {m.name}" + (" (done)" if m.due <= w.when.date() else "") for m in p.milestones]
    items.append(f"{long_date(p.end)}: planned close of {p.code}")
    return [Paragraph(text=family_paragraph("outlook", w, 1)), Bullets(items=items)]


def section_blocks(heading: str, w: Writer, size: str) -> list[Block]:
    """Blocks for one section, chosen by the heading's family."""
    fam = family(heading)
    if fam == "attendees":
        return [attendees(w)]
    if fam == "actions":
        return [actions(w)]
    if fam == "timeline":
        return timeline(w)
    n = 3 if size in ("medium", "large") else 2
    out: list[Block] = [Paragraph(text=family_paragraph(fam, w, n))]
    if size in ("medium", "large") and fam in ("findings", "recommend"):
        out.append(Paragraph(text=family_paragraph(fam, w, 2)))
    return out
