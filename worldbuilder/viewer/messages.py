"""E-mail (.eml) and calendar (.ics) files as messages and events."""

from __future__ import annotations

import email
from email import policy
from html import escape


def eml_html(data: bytes) -> str:
    msg = email.message_from_bytes(data, policy=policy.default)
    rows = "".join(f"<tr><th>{h}</th><td>{escape(str(msg[h]))}</td></tr>"
                   for h in ("From", "To", "Cc", "Subject", "Date") if msg[h])
    body, attachments = [], []
    for part in msg.walk():
        if part.get_filename():
            attachments.append(part.get_filename())
        elif part.get_content_type() == "text/plain":
            body.append(part.get_content())
    att = "".join(f"<li>{escape(a)}</li>" for a in attachments)
    return (f"<div class='eml'><table class='kv'>{rows}</table><pre class='mailbody'>{escape(chr(10).join(body))}"
            f"</pre>" + (f"<p>Attachments:</p><ul>{att}</ul>" if att else "") + "</div>")


def parse_ics(text: str) -> list[dict[str, str]]:
    """VEVENTs as dicts of property -> value (lines unfolded, parameters dropped)."""
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith((" ", "\t")) and lines:
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    events, cur = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            cur = {}
        elif line == "END:VEVENT" and cur is not None:
            events.append(cur)
            cur = None
        elif cur is not None and ":" in line:
            key, value = line.split(":", 1)
            name = key.split(";", 1)[0].upper()
            value = value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";")
            cur[name] = f"{cur[name]}, {value}" if name in cur else value
    return events


def _when(v: str) -> str:
    v = v.rstrip("Z")
    if len(v) >= 13 and "T" in v:
        return f"{v[0:4]}-{v[4:6]}-{v[6:8]} {v[9:11]}:{v[11:13]}"
    return f"{v[0:4]}-{v[4:6]}-{v[6:8]}" if len(v) == 8 else v


def ics_html(data: bytes) -> str:
    events = parse_ics(data.decode("utf-8", errors="replace"))
    if not events:
        return "<p class='muted'>no events</p>"
    rows = "".join(
        f"<tr><td>{escape(_when(e.get('DTSTART', '')))}</td><td>{escape(_when(e.get('DTEND', '')))}</td>"
        f"<td><b>{escape(e.get('SUMMARY', ''))}</b><br><span class='muted'>{escape(e.get('DESCRIPTION', ''))}</span>"
        f"</td><td>{escape(e.get('LOCATION', ''))}</td>"
        f"<td>{escape(e.get('ATTENDEE', '').replace('mailto:', ''))}</td></tr>" for e in events)
    return ("<table class='doc events'><tr><th>Start</th><th>End</th><th>Event</th><th>Location</th>"
            f"<th>Attendees</th></tr>{rows}</table>")
