#!/usr/bin/env python3
"""msg: the computer's mailbox to simulated collaborators (installed by worldbuilder's harness).

  msg contacts                         who you can write to
  msg inbox [--all]                    list messages (unread first marker '*')
  msg read ID                          print one message and mark it read
  msg send --to NAME --subject S --body B [--reply-to ID]   (--body - reads stdin)
  msg today                            the simulated day and date
  msg submit DELIVERABLE_ID PATH...    record a deliverable's output files
  msg done                             end your working day (external agents)

Messages are JSON files under ~/.mail/{inbox,outbox,sent}; replies arrive at the end of the day.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

MAIL = Path(os.environ.get("HOME", "~")).expanduser() / ".mail"


def _load(p):
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def contacts():
    return _load(MAIL / "contacts.json") or []


def resolve(name):
    key = name.strip().lower()
    for c in contacts():
        names = [c["id"], c["name"], c["email"], c["name"].split()[0]]
        if key in (n.lower() for n in names):
            return c
    return None


def cmd_contacts(_):
    for c in contacts():
        print(f"{c['id']:6} {c['name']:28} {c['role']}")


def inbox_items():
    items = [m for m in (_load(p) for p in sorted((MAIL / "inbox").glob("*.json"))) if m]
    return sorted(items, key=lambda m: m["id"])


def cmd_inbox(a):
    items = inbox_items()
    shown = [m for m in items if a.all or not m.get("read")]
    for m in shown:
        flag = " " if m.get("read") else "*"
        print(f"{flag} {m['id']}  day {m.get('day', '?'):>2}  {m['from_name']:24}  {m['subject']}")
    if not shown:
        print("(no unread messages)" if items else "(inbox empty)")


def cmd_read(a):
    p = MAIL / "inbox" / f"{a.id}.json"
    m = _load(p)
    if m is None:
        print(f"msg: no message {a.id}", file=sys.stderr)
        return 2
    print(f"From: {m['from_name']} <{m['from']}>\nSubject: {m['subject']}\nDay: {m.get('day')}\nId: {m['id']}\n")
    print(m["body"])
    if not m.get("read"):
        m["read"] = True
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(m, indent=1), encoding="utf-8")
        tmp.replace(p)
    return 0


def cmd_send(a):
    c = resolve(a.to)
    if c is None:
        names = ", ".join(x["name"] for x in contacts())
        print(f"msg: unknown recipient {a.to!r}; contacts: {names}", file=sys.stderr)
        return 2
    body = sys.stdin.read() if a.body == "-" else a.body
    if not body.strip():
        print("msg: empty body", file=sys.stderr)
        return 2
    mid = f"out-{time.time_ns()}-{os.getpid()}"
    rec = {"id": mid, "to": c["id"], "to_name": c["name"], "subject": a.subject, "body": body,
           "in_reply_to": a.reply_to, "time": time.time()}
    out = MAIL / "outbox"
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{mid}.tmp"
    tmp.write_text(json.dumps(rec, indent=1), encoding="utf-8")
    tmp.replace(out / f"{mid}.json")
    print(f"queued {mid} to {c['name']} (replies arrive at the end of the day)")
    return 0


def _write(path, obj):
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    tmp.replace(path)


def cmd_today(_):
    t = _load(MAIL / "today.json") or {}
    print(f"day {t.get('day', '?')} of {t.get('days', '?')} ({t.get('date', '?')})")


def cmd_submit(a):
    missing = [p for p in a.paths if not Path(p).expanduser().is_file()]
    if missing:
        print(f"msg: not found: {', '.join(missing)}", file=sys.stderr)
        return 2
    subs = _load(MAIL / "submissions.json") or {}
    subs[a.deliverable] = a.paths
    _write(MAIL / "submissions.json", subs)
    print(f"submitted {a.deliverable}: {', '.join(a.paths)}")
    return 0


def cmd_done(_):
    t = _load(MAIL / "today.json") or {}
    _write(MAIL / "day-done.json", {"day": t.get("day"), "time": time.time()})
    print(f"day {t.get('day', '?')} done")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="msg", description="Mailbox to your collaborators.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("contacts").set_defaults(fn=cmd_contacts)
    p = sub.add_parser("inbox")
    p.add_argument("--all", action="store_true")
    p.set_defaults(fn=cmd_inbox)
    p = sub.add_parser("read")
    p.add_argument("id")
    p.set_defaults(fn=cmd_read)
    p = sub.add_parser("send")
    p.add_argument("--to", required=True)
    p.add_argument("--subject", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--reply-to", default=None)
    p.set_defaults(fn=cmd_send)
    sub.add_parser("today").set_defaults(fn=cmd_today)
    p = sub.add_parser("submit")
    p.add_argument("deliverable")
    p.add_argument("paths", nargs="+")
    p.set_defaults(fn=cmd_submit)
    sub.add_parser("done").set_defaults(fn=cmd_done)
    a = ap.parse_args(argv)
    return a.fn(a) or 0


if __name__ == "__main__":
    sys.exit(main())
