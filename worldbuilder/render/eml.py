"""eml renderer: an RFC 5322 message with text body and attachments (other files of the spec)."""

from __future__ import annotations

import hashlib
import mimetypes
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from worldbuilder.render import times
from worldbuilder.render.base import RenderContext
from worldbuilder.spec import Email, FileSpec

POLICY = policy.default.clone(linesep="\n", max_line_length=78)
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "md": "text/markdown", "jsonl": "application/jsonl", "toml": "application/toml",
        "eml": "message/rfc822", "ics": "text/calendar", "py": "text/x-python"}


def email_of(file: FileSpec, ctx: RenderContext) -> Email:
    """``email``, else a note from the user to themself carrying the title and text."""
    c = file.content
    if c.email is not None:
        return c.email
    p = ctx.spec.profile
    body = c.text or c.summary or c.title
    domain = p.email.rpartition("@")[2] or "localhost"
    return Email(sender=f"{p.full_name} <{p.email}>", to=[f"{p.full_name} <{p.email}>"], subject=c.title,
                 date=file.modified, body=body, message_id=f"<{hashlib.sha1(file.path.encode()).hexdigest()[:20]}@{domain}>")


def _attach(msg: EmailMessage, path: str, ctx: RenderContext) -> None:
    target = ctx.file(path)
    data = ctx.render(target)
    mime = MIME.get(target.type) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    maintype, subtype = mime.split("/", 1)
    name = path.rsplit("/", 1)[-1]
    if maintype == "text":
        msg.add_attachment(data.decode("utf-8", errors="replace"), subtype=subtype, filename=name)
    elif mime == "message/rfc822":
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    else:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)


def render_eml(file: FileSpec, ctx: RenderContext) -> bytes:
    e = email_of(file, ctx)
    msg = EmailMessage(policy=POLICY)
    msg["From"] = e.sender
    msg["To"] = ", ".join(e.to)
    if e.cc:
        msg["Cc"] = ", ".join(e.cc)
    msg["Subject"] = e.subject
    msg["Date"] = format_datetime(times.aware(e.date, ctx.spec.profile.timezone))
    msg["Message-ID"] = e.message_id
    if e.in_reply_to:
        msg["In-Reply-To"] = e.in_reply_to
        msg["References"] = e.in_reply_to
    msg.set_content(e.body if e.body.endswith("\n") else e.body + "\n")
    for path in e.attachments:
        _attach(msg, path, ctx)
    if msg.is_multipart():
        msg.set_boundary("===============" + hashlib.sha256(e.message_id.encode()).hexdigest()[:24] + "==")
    return msg.as_bytes(policy=POLICY)
