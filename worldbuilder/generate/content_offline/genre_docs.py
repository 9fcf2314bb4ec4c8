"""Document genres: the structure a kind of document has (a quiz has questions and an answer key, an SOP
numbered steps, minutes attendees/decisions/actions, a recipe the ingredients of its dish ...), with prose
from the domain grammar about the document's topic. Lengths follow the file's size target."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from worldbuilder.generate.content_offline.genre_data import DISHES
from worldbuilder.generate.content_offline.genre_sheets import SHEET_GENRES
from worldbuilder.generate.content_offline.prose import Writer, long_date
from worldbuilder.generate.fill import money
from worldbuilder.render.base import text_value
from worldbuilder.spec import Block, Bullets, Cell, Heading, Paragraph, Table

CHARS_PER_ITEM = 130


def _n(w: Writer, chars: int, per: int = CHARS_PER_ITEM, lo: int = 3, hi: int = 400) -> int:
    return max(lo, min(hi, chars // per))


def _para(w: Writer, n: int | None = None) -> Paragraph:
    return Paragraph(text=w.grammar.paragraph(n or w.rng.randint(3, 5)))


def _prose(w: Writer, chars: int) -> list[Block]:
    out: list[Block] = []
    while chars > 0:
        p = _para(w)
        out.append(p)
        chars -= len(p.text)
    return out


def _steps(w: Writer, n: int) -> list[str]:
    out = []
    for _ in range(n):
        past, base = w.grammar.verb()
        out.append(f"{base.capitalize()} {w.grammar.thing()} {w.grammar.pick('places')}; record who did it and when.")
    return list(dict.fromkeys(out))


def memo(w: Writer, chars: int) -> list[Block]:
    to = w.person()
    return [Paragraph(text=f"To: {to.name}"), Paragraph(text=f"From: {w.profile.full_name}, {w.profile.job_title}"),
            Paragraph(text=f"Date: {long_date(w.when)}"), Paragraph(text=f"Subject: {w.plan.title}"),
            *_prose(w, chars)]


def report(w: Writer, chars: int) -> list[Block]:
    k = max(3, min(12, chars // 2500))
    out: list[Block] = [Heading(text="Executive summary", level=2), _para(w, 4), Heading(text="Findings", level=2)]
    findings = [w.grammar.sentence() for _ in range(k)]
    out.append(Bullets(items=findings, numbered=True))
    for i in range(k):
        out += [Heading(text=f"Finding {i + 1}: {w.grammar.thing()[4:].capitalize()}", level=3),
                *_prose(w, max(300, (chars - 1500) // k))]
    out += [Heading(text="Recommendations", level=2), Bullets(items=[f"{w.grammar.verb()[1].capitalize()} "
                                                                    f"{w.grammar.thing()} {w.grammar.date()}" for _ in range(4)])]
    return out


def letter(w: Writer, chars: int) -> list[Block]:
    to = w.person(("external",))
    org = w.client_name()
    return [Paragraph(text=f"{w.profile.employer}\n{w.profile.location}"), Paragraph(text=long_date(w.when)),
            Paragraph(text=f"{to.name}\n{org}"), Paragraph(text=f"Re: {w.plan.title}"),
            Paragraph(text=f"Dear {to.name.split()[0]},"), *_prose(w, chars),
            Paragraph(text=f"Yours sincerely,\n\n{w.profile.full_name}\n{w.profile.job_title}")]


def contract(w: Writer, chars: int) -> list[Block]:
    client = w.client_name()
    fee = round(w.rng.lognormvariate(9.5, 0.8), -2)
    clauses = ["Definitions", "Scope of services", "Fees and payment", "Term and termination", "Confidentiality",
               "Liability", "Governing law"]
    out: list[Block] = [Paragraph(text=f"This agreement is made on {long_date(w.when)} between {w.profile.employer} "
                                       f"and {client} concerning {w.topic}.")]
    per = max(1, chars // len(clauses) // CHARS_PER_ITEM)
    for i, c in enumerate(clauses, 1):
        out.append(Heading(text=f"{i}. {c}", level=2))
        items = [f"{i}.{j + 1} {w.grammar.sentence()}" for j in range(per)]
        if c == "Fees and payment":
            items.insert(0, f"{i}.0 The fee for the services is {money(fee, w.profile.currency)}, invoiced monthly "
                            f"and payable within 30 days.")
        out.append(Bullets(items=items))
    out.append(Paragraph(text=f"Signed for {w.profile.employer}: ____________   Signed for {client}: ____________"))
    return out


def policy_sop(w: Writer, chars: int) -> list[Block]:
    n = _n(w, chars, 140, 5, 120)
    return [Heading(text="Purpose", level=2), Paragraph(text=f"This procedure sets out how we handle {w.topic}. "
                                                              + w.grammar.paragraph(2)),
            Heading(text="Scope", level=2), _para(w, 2), Heading(text="Procedure", level=2),
            Bullets(items=_steps(w, n), numbered=True), Heading(text="Responsibilities", level=2),
            Bullets(items=[f"{w.grammar.actor().capitalize()}: {w.grammar.verb()[1]} {w.grammar.thing()}" for _ in range(4)]),
            Paragraph(text=f"Review date: {long_date(w.when + timedelta(days=365))}. Owner: {w.profile.full_name}.")]


def minutes(w: Writer, chars: int) -> list[Block]:
    p = w.proj()
    people = [w.profile.full_name] + [x.name for x in w.world.people if x.id in p.members][:6]
    for x in w.world.people:
        if x.name in people:
            w.cite(x.id)
    items = max(2, min(10, chars // 900))
    out: list[Block] = [Paragraph(text=f"Date: {long_date(w.when)}, {w.when:%H:%M}. Location: "
                                       f"{w.grammar.pick('places').split(' ', 1)[-1]}."),
                        Heading(text="Attendees", level=2), Bullets(items=people),
                        Heading(text="Agenda and discussion", level=2)]
    for i in range(items):
        out += [Heading(text=f"{i + 1}. {w.grammar.thing()[4:].capitalize()}", level=3), _para(w, 3)]
    out += [Heading(text="Decisions", level=2),
            Bullets(items=[f"Agreed: {w.grammar.verb()[1]} {w.grammar.thing()} {w.grammar.date()}." for _ in range(3)]),
            Heading(text="Actions", level=2)]
    rows = [[w.rng.choice(people), f"{w.grammar.verb()[1].capitalize()} {w.grammar.thing()}",
             (w.when + timedelta(days=w.rng.randint(3, 21))).date().isoformat()] for _ in range(max(3, items))]
    out.append(Table(columns=["Owner", "Action", "Due"], rows=rows, caption="Action items"))
    return out


def proposal(w: Writer, chars: int, grant: bool = False) -> list[Block]:
    cur = w.profile.currency
    lines = [(w.grammar.pick("nouns").capitalize(), round(w.rng.lognormvariate(8.5, 0.9), -2)) for _ in range(5)]
    total = sum(v for _, v in lines)
    heads = ["Summary", "Need", "Aims", "Approach", "Evaluation"] if grant else ["Summary", "Background", "Approach",
                                                                                  "Deliverables"]
    out: list[Block] = []
    for h in heads:
        out += [Heading(text=h, level=2), *_prose(w, chars // (len(heads) + 1))]
    out += [Heading(text="Timeline", level=2),
            Table(columns=["Phase", "Start", "End"], rows=[[f"Phase {i + 1}: {w.grammar.thing()[4:]}",
                                                            (w.when + timedelta(days=30 * i)).date().isoformat(),
                                                            (w.when + timedelta(days=30 * i + 28)).date().isoformat()]
                                                           for i in range(4)]),
            Heading(text="Budget", level=2),
            Table(columns=["Line", "Amount"], rows=[[n, money(v, cur)] for n, v in lines] + [["Total", money(total, cur)]])]
    return out


def lesson_plan(w: Writer, chars: int) -> list[Block]:
    mins = [5, 15, 20, 10, 5]
    stages = ["Starter", "Direct instruction", "Guided practice", "Independent work", "Plenary"]
    out: list[Block] = [Paragraph(text=f"Topic: {w.topic}. Duration: {sum(mins)} minutes. Date: {long_date(w.when)}."),
                        Heading(text="Objectives", level=2),
                        Bullets(items=[f"Students will be able to {w.grammar.verb()[1]} {w.grammar.thing()}." for _ in range(3)]),
                        Heading(text="Materials", level=2), Bullets(items=[w.grammar.thing()[4:] for _ in range(4)])]
    for st, m in zip(stages, mins, strict=True):
        out += [Heading(text=f"{st} ({m} min)", level=2), *_prose(w, chars // 6)]
    out += [Heading(text="Differentiation", level=2), _para(w, 2), Heading(text="Assessment", level=2), _para(w, 2)]
    return out


def syllabus(w: Writer, chars: int) -> list[Block]:
    weeks = max(6, min(16, chars // 300))
    start = w.when.date()
    rows = [[str(i + 1), (start + timedelta(days=7 * i)).isoformat(), f"{w.topic.capitalize()}: {w.rng.choice(w.grammar.terms)}",
             w.grammar.thing()[4:]] for i in range(weeks)]
    parts = [("Homework", 20), ("Quizzes", 15), ("Project", 25), ("Midterm", 15), ("Final exam", 25)]
    return [Heading(text="Course description", level=2), *_prose(w, chars // 3), Heading(text="Schedule", level=2),
            Table(columns=["Week", "Date", "Topic", "Materials"], rows=rows), Heading(text="Grading", level=2),
            Table(columns=["Component", "Weight"], rows=[[a, f"{b}%"] for a, b in parts] + [["Total", "100%"]])]


def quiz(w: Writer, chars: int) -> list[Block]:
    """Multiple-choice and short-answer questions about the topic, and an answer key that matches them."""
    terms = list(dict.fromkeys(w.grammar.terms)) or [w.topic]
    n = max(4, min(40, chars // 260))
    out: list[Block] = [Paragraph(text=f"Name: ____________  Date: {long_date(w.when)}  Topic: {w.topic}"),
                        Paragraph(text=f"Answer all questions. {n} questions, {n * 2} marks."),
                        Heading(text="Multiple choice", level=2)]
    key: list[str] = []
    mc = max(2, n * 2 // 3)
    plain = f"Which of the following is part of {w.topic}?"  # a stem without particulars: asked once at most
    for i in range(mc):
        right = terms[i % len(terms)]
        wrong = w.rng.sample([t for t in terms if t != right] or ["none of these"], k=min(3, max(1, len(terms) - 1)))
        opts = [right, *wrong]
        w.rng.shuffle(opts)
        stems = [f"Which term best fits this description of {w.topic}: {w.grammar.thing()[4:]}?",
                 f"In {w.topic}, which of these comes first when you {w.grammar.verb()[1]} {w.grammar.thing()}?"]
        stem = w.rng.choice([*stems, plain] if plain else stems)
        plain = "" if stem == plain else plain
        out += [Paragraph(text=f"{i + 1}. {stem}"),
                Bullets(items=[f"{'ABCD'[j]}) {o}" for j, o in enumerate(opts)])]
        key.append(f"{i + 1}. {'ABCD'[opts.index(right)]} ({right})")
    out.append(Heading(text="Short answer", level=2))
    order = w.rng.sample(terms, len(terms))  # each term asked about once before any repeats
    for i in range(mc, n):
        term = order[(i - mc) % len(order)]
        out.append(Paragraph(text=f"{i + 1}. Explain how {term} relates to {w.topic}. (2 marks)"))
        key.append(f"{i + 1}. Mentions {term} and links it to {w.topic}; 1 mark each.")
    out += [Heading(text="Answer key", level=2), Bullets(items=key)]
    return out


def handout(w: Writer, chars: int) -> list[Block]:
    return [Heading(text=f"What is {w.topic}?", level=2), *_prose(w, chars // 4),
            Heading(text="Why it matters", level=2), *_prose(w, chars // 4),
            Heading(text="What you can do", level=2), Bullets(items=[f"{w.grammar.verb()[1].capitalize()} "
                                                                      f"{w.grammar.thing()}" for _ in range(5)]),
            Heading(text="When to ask for help", level=2), _para(w, 2)]


def lab_protocol(w: Writer, chars: int) -> list[Block]:
    n = _n(w, chars, 150, 6, 80)
    mats = [f"{w.rng.choice((1, 2, 5, 10, 50, 100, 250))} {w.rng.choice(('mL', 'g', 'uL', 'tubes', 'plates'))} "
            f"{w.grammar.thing()[4:]}" for _ in range(6)]
    steps = [f"{s[:-1]} ({w.rng.choice((2, 5, 10, 15, 30))} min at {w.rng.choice((4, 20, 37, 65))} °C)." for s in _steps(w, n)]
    return [Heading(text="Purpose", level=2), _para(w, 2), Heading(text="Materials", level=2), Bullets(items=mats),
            Heading(text="Procedure", level=2), Bullets(items=steps, numbered=True),
            Heading(text="Safety", level=2), _para(w, 2), Heading(text="Data recording", level=2), _para(w, 2)]


def checklist(w: Writer, chars: int) -> list[Block]:
    n = _n(w, chars, 90, 8, 200)
    return [Paragraph(text=f"Checklist for {w.topic}. Completed by: ________  Date: {long_date(w.when)}"),
            Bullets(items=[f"[ ] {w.grammar.verb()[1].capitalize()} {w.grammar.thing()}" for _ in range(n)])]


def inspection(w: Writer, chars: int) -> list[Block]:
    n = _n(w, chars, 160, 5, 200)
    rows = [[f"{i + 1}", w.grammar.thing()[4:].capitalize(), w.grammar.pick("qualities"),
             w.rng.choice(("Low", "Medium", "High")), f"{w.grammar.verb()[1].capitalize()} {w.grammar.date()}"] for i in range(n)]
    return [Paragraph(text=f"Inspection of {w.topic} on {long_date(w.when)} by {w.profile.full_name}."),
            Heading(text="Summary", level=2), _para(w, 3), Heading(text="Findings", level=2),
            Table(columns=["#", "Item", "Condition", "Severity", "Action"], rows=rows)]


def press_release(w: Writer, chars: int) -> list[Block]:
    city = w.profile.location.split(",")[0]
    return [Paragraph(text="FOR IMMEDIATE RELEASE"),
            Paragraph(text=f"{city.upper()}, {long_date(w.when)} - {w.profile.employer} today announced news on {w.topic}. "
                           + w.grammar.paragraph(2)),
            *_prose(w, chars - 400),
            Paragraph(text=f"\"{w.grammar.sentence()}\" said {w.profile.full_name}, {w.profile.job_title}."),
            Heading(text=f"About {w.profile.employer}", level=2), _para(w, 2),
            Paragraph(text=f"Media contact: {w.profile.full_name}, {w.profile.email}"), Paragraph(text="###")]


def itinerary(w: Writer, chars: int) -> list[Block]:
    days = max(2, min(14, chars // 400))
    out: list[Block] = []
    for i in range(days):
        d = w.when + timedelta(days=i)
        out += [Heading(text=f"Day {i + 1} - {d:%A} {long_date(d)}", level=2),
                Bullets(items=[f"{h:02d}:{m:02d} {w.grammar.sentence()}" for h, m in
                               sorted((w.rng.randint(7, 21), w.rng.choice((0, 15, 30, 45))) for _ in range(3))])]
    return out


def cv(w: Writer, chars: int) -> list[Block]:
    p = w.profile
    return [Paragraph(text=f"{p.full_name} · {p.email} · {p.location}"), Heading(text="Profile", level=2), _para(w, 3),
            Heading(text="Experience", level=2),
            Bullets(items=[f"{p.job_title}, {p.employer} ({p.career_start.year}-present): {w.grammar.sentence()}"]
                    + [w.grammar.sentence() for _ in range(max(3, chars // 400))]),
            Heading(text="Skills", level=2), Bullets(items=list(p.tools) or [w.topic])]


def recipe(w: Writer, chars: int) -> list[Block]:
    """Ingredients and method of the dish the title names (never another dish's ingredients)."""
    title = w.plan.title.lower()
    dish = next((d for d in DISHES if d in title), None) or w.rng.choice(sorted(DISHES))
    ings, steps, mins = DISHES[dish]
    return [Paragraph(text=f"{dish.capitalize()}. Serves {w.rng.randint(2, 6)}. Ready in {mins} minutes."),
            Heading(text="Ingredients", level=2), Bullets(items=list(ings)),
            Heading(text="Method", level=2), Bullets(items=list(steps), numbered=True)]


def notes(w: Writer, chars: int) -> list[Block]:
    n = max(2, min(60, chars // 500))
    out: list[Block] = []
    for i in range(n):
        d = w.when - timedelta(days=(n - i) * w.rng.randint(1, 4))
        out += [Heading(text=f"{d:%Y-%m-%d}", level=3), _para(w, w.rng.randint(2, 4))]
    return out


def sheet_as_table(genre: str) -> Callable[[Writer, int], list[Block]]:
    """A spreadsheet genre as a document: a lead paragraph and the sheet as a table (money formatted)."""

    def make(w: Writer, chars: int) -> list[Block]:
        sheet = SHEET_GENRES[genre](w)[0]
        rows = [[_show(v, w) for v in r] for r in sheet.rows[:120]]
        return [_para(w, 2), Table(columns=sheet.columns, rows=rows, caption=sheet.name)]

    return make


def _show(v: object, w: Writer) -> str:
    if isinstance(v, Cell):
        if v.number_format and '"' in v.number_format and isinstance(v.value, int | float):
            return money(v.value, w.profile.currency, 2)
        v = v.value
    return text_value(v)


DOC_GENRES: dict[str, Callable[[Writer, int], list[Block]]] = {
    "memo": memo, "report": report, "letter": letter, "contract": contract, "policy_sop": policy_sop,
    "meeting_minutes": minutes, "proposal": proposal, "grant_proposal": lambda w, c: proposal(w, c, grant=True),
    "lesson_plan": lesson_plan, "syllabus": syllabus, "quiz_exam": quiz, "handout": handout,
    "lab_protocol": lab_protocol, "checklist": checklist, "inspection_report": inspection,
    "press_release": press_release, "itinerary": itinerary, "cv": cv, "recipe": recipe, "notes": notes,
    "case_notes": notes,
}
for _g in SHEET_GENRES:
    DOC_GENRES.setdefault(_g, sheet_as_table(_g))
