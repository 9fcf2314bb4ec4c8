"""Host side of the in-computer mailbox (``~/.mail/{inbox,outbox,sent}`` + the ``msg`` command)."""

from __future__ import annotations

import json
import shlex

from agent_harness.incomputer import script
from agent_harness.models import MessageRecord
from worldbuilder.errors import CallFailed
from worldbuilder.runtime.computer import Computer
from worldbuilder.spec import ComputerSpec

MAIL = ".mail"
BIN = ".local/bin"

MESSAGE_CAP = 256 * 1024  # bytes of one queued message file; larger ones are refused
BODY_CHARS, SUBJECT_CHARS, MAX_PER_DAY = 100_000, 1_000, 50  # MAX_PER_DAY: the rest wait a day

# Runs inside the computer at each boundary: repairs the mailbox folders (anything that is not a real folder
# is moved aside), then moves every queued message to sent/. Oversized, irregular or malformed files become
# {"malformed": true, "reason": ...}. Prints one bounded JSON object.
_COLLECT = r"""
import json, os, pathlib, stat, sys, time
CAP, MAX, BODY = __CAP__, __MAX__, __BODY__
m = pathlib.Path.home() / ".mail"
repaired, out = [], []
for d in (m, m / "inbox", m / "outbox", m / "sent"):
    try:
        if os.path.islink(d) or (d.exists() and not d.is_dir()):
            os.replace(d, d.with_name(d.name + ".broken-" + str(time.time_ns())))
            repaired.append(str(d.relative_to(m.parent)))
        d.mkdir(exist_ok=True)
    except OSError as e:
        repaired.append(f"{d.name}: {e}")
try:
    names = sorted(p for p in os.listdir(m / "outbox") if p.endswith(".json"))
except OSError:
    names = []
for n in names[:MAX]:
    p = m / "outbox" / n
    rec = {"id": n[:-5][:100], "malformed": True}
    try:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode):
            rec["reason"] = "not a regular file"
        elif st.st_size > CAP:
            rec["reason"] = f"{st.st_size} bytes, over the {CAP}-byte message cap"
        else:
            data = json.loads(p.read_text(encoding="utf-8", errors="replace"))
            rec = data if isinstance(data, dict) else dict(rec, reason="not a JSON object")
            if isinstance(rec.get("body"), str):
                rec["body"] = rec["body"][:BODY]
    except (OSError, ValueError) as e:
        rec["reason"] = f"unreadable: {type(e).__name__}"
    out.append(rec)
    try:
        os.replace(p, m / "sent" / n)
    except OSError:
        try:
            os.unlink(p)
        except OSError:
            pass
sys.stdout.write(json.dumps({"messages": out, "repaired": repaired}, ensure_ascii=False))
""".replace("__CAP__", str(MESSAGE_CAP)).replace("__MAX__", str(MAX_PER_DAY)).replace("__BODY__", str(BODY_CHARS))


def contacts(spec: ComputerSpec) -> list[dict]:
    """Everyone in the world the user can write to (not family/friends)."""
    return [{"id": p.id, "name": p.name, "email": p.email, "role": p.role}
            for p in spec.world.people if p.relation not in ("family", "friend")]


def install(computer: Computer, spec: ComputerSpec) -> None:
    """Install ``msg`` and ``mkdoc`` in ``~/.local/bin`` and create the mailbox folders."""
    computer.write(f"{BIN}/msg", script("msg.py"))
    computer.write(f"{BIN}/mkdoc", script("mkdoc.py"))
    computer.write(f"{MAIL}/contacts.json", json.dumps(contacts(spec), indent=1).encode())
    r = computer.exec(f"chmod 755 {BIN}/msg {BIN}/mkdoc && mkdir -p {MAIL}/inbox {MAIL}/outbox {MAIL}/sent .cache")
    if not r.ok:
        raise RuntimeError(f"cannot install mailbox: {r.stderr.strip()[:200]}")


def collect_outbox(computer: Computer, timeout: float = 60.0, spec: ComputerSpec | None = None) -> list[dict]:
    """Move every queued outgoing message to ``sent/`` and return them (oldest first).

    Never raises for what the agent can do to its mailbox: a message that is oversized, not a regular file,
    malformed or missing fields comes back as ``{"id", "malformed": True, "reason"}``; a collection that
    fails as a whole comes back as one such record with id ``outbox``. Mailbox folders the agent replaced
    are moved aside and recreated (and, given ``spec``, contacts and commands reinstalled)."""
    try:
        r = computer.exec(f"python3 -c {shlex.quote(_COLLECT)}", timeout=timeout)
        data = json.loads(r.stdout) if r.ok else None
    except (CallFailed, ValueError) as exc:
        return [{"id": "outbox", "malformed": True, "reason": f"cannot collect the outbox: {exc}"}]
    if not isinstance(data, dict):
        return [{"id": "outbox", "malformed": True,
                 "reason": f"cannot collect the outbox: {r.stderr.strip()[-200:] or 'no answer'}"}]
    if data.get("repaired") and spec is not None:
        try:
            install(computer, spec)
        except (CallFailed, RuntimeError):
            pass
    out = [_clean(m) for m in data.get("messages", []) if isinstance(m, dict)]
    if data.get("repaired"):
        out.append({"id": "mailbox", "malformed": True,
                    "reason": "repaired mailbox folders: " + ", ".join(map(str, data["repaired"]))[:300]})
    return out


def _clean(m: dict) -> dict:
    """A message with string ``id``/``to``/``subject``/``body`` of bounded length, or a malformed record."""
    mid = str(m.get("id", ""))[:100]
    if m.get("malformed"):
        return {"id": mid, "malformed": True, "reason": str(m.get("reason", "malformed"))[:300]}
    if not mid or not isinstance(m.get("to"), str):
        return {"id": mid or "?", "malformed": True, "reason": "missing id or recipient"}
    reply = m.get("in_reply_to")
    return {"id": mid, "to": m["to"][:100], "subject": str(m.get("subject", ""))[:SUBJECT_CHARS],
            "body": str(m.get("body", ""))[:BODY_CHARS], "in_reply_to": None if reply is None else str(reply)[:100]}


def deliver(computer: Computer, msg: MessageRecord, sender_name: str, sender_email: str) -> None:
    """Place one message in the user's inbox."""
    data = {"id": msg.id, "from": sender_email, "from_name": sender_name, "from_id": msg.sender,
            "subject": msg.subject, "body": msg.body, "day": msg.day, "kind": msg.kind,
            "deliverable": msg.deliverable, "in_reply_to": msg.in_reply_to, "read": False}
    computer.write(f"{MAIL}/inbox/{msg.id}.json", json.dumps(data, indent=1).encode())
