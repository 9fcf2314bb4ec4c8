"""E-mails (eml) and calendar invites (ics) between the user, colleagues and externals."""

from __future__ import annotations

from datetime import datetime, timedelta

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.content_offline.prose import Writer, fact_clause, long_date
from worldbuilder.spec import Email, Event, stable_id


def addr(name: str, email: str) -> str:
    return f"{name} <{email}>"


def email(w: Writer, siblings: list[FilePlan]) -> Email:
    p = w.proj()
    other = w.person(("external",)) if w.rng.random() < 0.5 else w.person(("colleague", "manager", "report"))
    cc = w.person(("colleague", "manager", "report"))
    me = addr(w.profile.full_name, w.profile.email)
    incoming = w.rng.random() < 0.45
    facts = w.some_facts(2)
    lines = [f"Hi {(w.profile.first_name if incoming else other.name.split()[0])},", "",
             w.paragraph(2), ""]
    if facts:
        lines += ["The numbers we are working from:"] + [f"- {fact_clause(f)}" for f in facts] + [""]
    ms = [m for m in p.milestones if not m.done]
    if ms:
        lines += [f"Next milestone for {p.code}: {ms[0].name} on {long_date(ms[0].due)}.", ""]
    sign = other.name if incoming else w.profile.full_name
    title = "" if incoming else f"\n{w.profile.job_title}, {w.profile.employer}"
    lines += ["Thanks,", sign + title]
    attach = [f.path for f in siblings if f.created <= w.plan.created and f.type in ("docx", "xlsx", "pdf", "pptx")]
    attachments = sorted(w.rng.sample(attach, k=min(len(attach), w.rng.choice((0, 1, 1, 2)))))
    domain = w.profile.email.split("@")[1]
    return Email(sender=addr(other.name, other.email) if incoming else me,
                 to=[me] if incoming else [addr(other.name, other.email)],
                 cc=[addr(cc.name, cc.email)] if cc.id != other.id else [],
                 subject=w.plan.title, date=w.plan.created, body="\n".join(lines) + "\n",
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
                         description=f"{p.name} ({p.code}). {w.sentence()}", attendees=sorted(people)))
    return out
