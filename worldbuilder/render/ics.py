"""ics renderer: an RFC 5545 VCALENDAR (CRLF, escaping, 75-octet folding)."""

from __future__ import annotations

from datetime import datetime

from worldbuilder.render import times
from worldbuilder.render.base import RenderContext
from worldbuilder.spec import Event, FileSpec

PRODID = "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN"


def escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting UTF-8 characters."""
    out, cur, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(cur)
            cur, size = " ", 1
        cur += ch
        size += n
    out.append(cur)
    return "\r\n".join(out)


def _stamp(dt: datetime, tz: str) -> str:
    return times.utc(dt, tz).strftime("%Y%m%dT%H%M%SZ")


def _event(ev: Event, file: FileSpec, ctx: RenderContext) -> list[str]:
    tz = ctx.spec.profile.timezone
    names = {p.email.lower(): p.name for p in ctx.spec.world.people}
    p = ctx.spec.profile
    lines = ["BEGIN:VEVENT", f"UID:{ev.uid}", f"DTSTAMP:{_stamp(file.modified, tz)}",
             f"DTSTART:{_stamp(ev.start, tz)}", f"DTEND:{_stamp(ev.end, tz)}", f"SUMMARY:{escape(ev.summary)}"]
    if ev.location:
        lines.append(f"LOCATION:{escape(ev.location)}")
    if ev.description:
        lines.append(f"DESCRIPTION:{escape(ev.description)}")
    if ev.attendees:
        lines.append(f'ORGANIZER;CN="{p.full_name}":mailto:{p.email}')
    for addr in ev.attendees:
        cn = names.get(addr.lower(), addr).replace('"', "'")
        lines.append(f'ATTENDEE;CN="{cn}";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:{addr}')
    return [*lines, "END:VEVENT"]


def render_ics(file: FileSpec, ctx: RenderContext) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(file.content.title)}"]
    for ev in sorted(file.content.events, key=lambda e: (e.start, e.uid)):
        lines += _event(ev, file, ctx)
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(x) for x in lines) + "\r\n").encode("utf-8")
