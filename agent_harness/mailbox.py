"""Host side of the in-computer mailbox (``~/.mail/{inbox,outbox,sent}`` + the ``msg`` command)."""

from __future__ import annotations

import json
import shlex

from agent_harness.incomputer import script
from agent_harness.models import MessageRecord
from worldbuilder.runtime.computer import Computer
from worldbuilder.spec import ComputerSpec

MAIL = ".mail"
BIN = ".local/bin"

_COLLECT = r"""
import json, os, pathlib, sys
m = pathlib.Path.home() / ".mail"
(m / "sent").mkdir(parents=True, exist_ok=True)
out = []
for p in sorted((m / "outbox").glob("*.json")):
    try:
        out.append(json.loads(p.read_text(encoding="utf-8")))
    except ValueError:
        out.append({"id": p.stem, "malformed": True})
    os.replace(p, m / "sent" / p.name)
sys.stdout.write(json.dumps(out))
"""


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


def collect_outbox(computer: Computer, timeout: float = 60.0) -> list[dict]:
    """Move every queued outgoing message to ``sent/`` and return them (oldest first)."""
    r = computer.exec(f"python3 -c {shlex.quote(_COLLECT)}", timeout=timeout)
    if not r.ok:
        raise RuntimeError(f"cannot collect outbox: {r.stderr.strip()[:200]}")
    return json.loads(r.stdout or "[]")


def deliver(computer: Computer, msg: MessageRecord, sender_name: str, sender_email: str) -> None:
    """Place one message in the user's inbox."""
    data = {"id": msg.id, "from": sender_email, "from_name": sender_name, "from_id": msg.sender,
            "subject": msg.subject, "body": msg.body, "day": msg.day, "kind": msg.kind,
            "deliverable": msg.deliverable, "in_reply_to": msg.in_reply_to, "read": False}
    computer.write(f"{MAIL}/inbox/{msg.id}.json", json.dumps(data, indent=1).encode())
