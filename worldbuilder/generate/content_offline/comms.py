"""E-mails (eml) and calendar invites (ics) between the user, colleagues and externals."""

from __future__ import annotations

from datetime import datetime, timedelta

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.content_offline.prose import Writer, fact_clause, long_date
from worldbuilder.generate.content_offline.sections import actions, family_paragraph
from worldbuilder.spec import Email, Event, stable_id

# smallest file of each attachable type (an office file's package overhead): a short mail attaches none
ATTACH_FLOOR = {"docx": 15_000, "xlsx": 10_000, "pdf": 4_000, "pptx": 55_000}

def addr(name: str, email: str) -> str:
    return f"{name} <{email}>"


GREETINGS = ("Hi {first},", "Hello {first},", "{first},", "Morning {first},")
FORMAL_GREETINGS = ("Dear {first},", "Hello {first},", "Good afternoon {first},")
SIGNOFFS = ("Thanks,", "Best,", "Many thanks,", "Cheers,", "Kind regards,", "Best regards,")
OPENERS = {
    "update": "Quick update on {project} ({code}).",
    "question": "I have a question about {term} on {project} before we go further.",
    "next": "Following on from our call, here is where we landed on {project} and what happens next.",
    "figures": "Forwarding the latest figures for {code} so we are all working from the same numbers.",
    "reply": "Thanks for sending this over.",
}


def subject_line(title: str) -> tuple[str, str]:
    """(subject as a mail client shows it, intent) from the planned title (``RE x``, ``FW x``, ...)."""
    low = title.lower()
    if low.startswith(("re ", "re: ")):
        return "Re: " + title.split(" ", 1)[1].lstrip(": "), "reply"
    if low.startswith(("fw ", "fwd ", "fw: ")):
        return "Fwd: " + title.split(" ", 1)[1].lstrip(": "), "figures"
    if "next steps" in low:
        return title, "next"
    if low.startswith("question"):
        return title, "question"
    return title, "update"


def reply(mail: Email, parent: Email, w: Writer) -> Email:
    """``mail`` turned into a reply to ``parent`` (which is on the computer): threaded headers, the other
    side of the conversation as sender, and the parent's text quoted below the new text."""
    me = addr(w.profile.full_name, w.profile.email)
    sender = parent.to[0] if parent.sender == me or w.rng.random() < 0.5 else me
    if sender == parent.sender:
        sender = me if parent.sender != me else parent.to[0]
    to = [parent.sender] if parent.sender != sender else parent.to
    base = parent.subject[4:] if parent.subject.lower().startswith("re: ") else parent.subject
    when = parent.date
    quoted = [f"> {line}" if line else ">" for line in parent.body.rstrip("\n").splitlines()]
    who = parent.sender.split(" <")[0]
    first = to[0].split(" <")[0].split()[0] if to else ""
    new = [w.rng.choice(GREETINGS).format(first=first), "",
           w.rng.choice(("Thanks - ", "Agreed. ", "Quick reply: ", "Makes sense. ", "One question: ")) + w.sentence(),
           "", w.sentence(), "", w.rng.choice(SIGNOFFS), sender.split(" <")[0].split()[0]]
    body = "\n".join([*new, "", f"On {when:%a, %b} {when.day}, {when:%Y at %H:%M}, {who} wrote:", *quoted]) + "\n"
    return mail.model_copy(update={"sender": sender, "to": to, "subject": "Re: " + base, "body": body,
                                   "in_reply_to": parent.message_id, "cc": [c for c in parent.cc if c != sender]})


def email(w: Writer, siblings: list[FilePlan]) -> Email:
    p = w.proj()
    other = w.person(("external",)) if w.rng.random() < 0.5 else w.person(("colleague", "manager", "report"))
    cc = w.person(("colleague", "manager", "report"))
    me = addr(w.profile.full_name, w.profile.email)
    incoming = w.rng.random() < 0.45
    subject, intent = subject_line(w.plan.title)
    facts = w.some_facts(2)
    to_first = w.profile.first_name if incoming else other.name.split()[0]
    greet = FORMAL_GREETINGS if other.relation == "external" else GREETINGS
    opener = OPENERS[intent].format(project=p.name, code=p.code, term=w.term())
    lines = [w.rng.choice(greet).format(first=to_first), "", opener + " " + family_paragraph(
        {"question": "risks", "next": "recommend"}.get(intent, "findings"), w, 2), ""]
    if facts:
        lines += ["The numbers we are working from:"] + [f"- {fact_clause(f)}" for f in facts] + [""]
    if intent == "next":
        lines += ["Next steps:"] + [f"- {item}" for item in actions(w).items[:3]] + [""]
    extra = min(20_000, (w.plan.target_bytes or 0) - 2_000)  # longer threads of thought in longer mails
    while extra > 200:
        para = w.grammar.paragraph(w.rng.randint(2, 4))
        lines += [para, ""]
        extra -= len(para)
    ms = [m for m in p.milestones if m.due > w.when.date()]
    if ms:
        lines += [f"Next milestone for {p.code}: {ms[0].name} on {long_date(ms[0].due)}.", ""]
    sender = other if incoming else None
    sign = sender.name.split()[0] if sender and sender.relation != "external" else (sender.name if sender else
                                                                                     w.profile.first_name)
    title = f"\n{sender.role}" if sender and sender.relation == "external" else (
        "" if sender else f"\n{w.profile.full_name}\n{w.profile.job_title}, {w.profile.employer}")
    lines += [w.rng.choice(SIGNOFFS), sign + title]
    domain = w.profile.email.split("@")[1]
    reply_to = None
    room = (w.plan.target_bytes or 40_000) / 1.37  # base64 grows attachments by a third
    attach = [f.path for f in siblings if f.created <= w.plan.created and f.type in ATTACH_FLOOR
              and max(f.target_bytes, ATTACH_FLOOR[f.type]) <= room and not f.hidden]
    attachments = sorted(w.rng.sample(attach, k=min(len(attach), w.rng.choice((0, 1, 1, 2)))))
    return Email(sender=addr(other.name, other.email) if incoming else me,
                 to=[me] if incoming else [addr(other.name, other.email)],
                 cc=[addr(cc.name, cc.email)] if cc.id != other.id else [],
                 subject=subject, date=w.plan.created, body="\n".join(lines) + "\n", in_reply_to=reply_to,
                 message_id=f"<{stable_id(w.plan.path, w.profile.username)}@{domain}>", attachments=attachments)


def events(w: Writer) -> list[Event]:
    p = w.proj()
    people = {w.person().email for _ in range(w.rng.randint(2, 4))} | {w.profile.email}
    start = w.plan.created + timedelta(days=w.rng.randint(1, 10))
    start = datetime(start.year, start.month, start.day, w.rng.choice((9, 10, 11, 13, 14, 15)), w.rng.choice((0, 30)))
    out = []
    for i in range(w.rng.choice((1, 1, 2, 3))):
        s = start + timedelta(days=7 * i)
        out.append(Event(uid=f"{stable_id(w.plan.path, i)}@{w.profile.email.split('@')[1]}",
                         summary=f"{w.plan.title}" + (f" #{i + 1}" if i else ""), start=s,
                         end=s + timedelta(minutes=w.rng.choice((30, 45, 60, 90))),
                         location=w.rng.choice(("Conference room 2", "Zoom", "Teams", "Client office")),
                         description=f"{p.name} ({p.code}). Agenda: {w.term()}, {w.term()}, actions from last time.",
                         attendees=sorted(people)))
    return out
