"""A scripted LLM that answers every stage of the LLM generator with a small, plausible world.

``world_handler()`` routes by the ``[stage:...]`` markers of the generator's prompts and returns JSON for
the profile, world, folder plan, file lists and each file's content (by its type), citing the world's
facts by their exact display text. 15 files across all 15 types (one folder path and one file are
deliberately unsafe/invalid to exercise the generator's repairs).
"""

from __future__ import annotations

import json
import re
from typing import Any

from scripted_llm import Reply, route

PERSONA = "a senior financial advisor at a wealth management firm in Denver"

PROFILE = {
    "full_name": "Dana Okafor", "job_title": "Senior Wealth Advisor", "employer": "Northpeak Wealth Partners",
    "employer_domain": "northpeakwealth.com", "occupation": "financial_advisor",
    "occupation_label": "Financial Advisor", "sector": "finance", "seniority": "senior",
    "department": "Private Clients", "location": "Denver, CO", "timezone": "America/Denver",
    "work_style": "methodical, keeps meticulous client notes", "tools": ["Excel", "Outlook", "Orion"],
    "career_start": "2009-06-01", "favourite_colour": "ignored extra key",
}

PERSONA_PROFILE = {
    "role": "financial advisor", "role_noun": "advisor", "occupation": "Financial Advisor", "sector": "finance",
    "specialty": ["wealth management"], "domain_nouns": ["retirement", "portfolio"], "activities": [],
    "seniority": "senior", "employer_kind": "firm", "city": "Denver", "region": "Colorado", "country": "us",
}

WORLD = {
    "organisations": [
        {"id": "o01", "name": "Northpeak Wealth Partners", "kind": "employer", "domain": "northpeakwealth.com"},
        {"id": "o02", "name": "Hartley Family Office", "kind": "client", "domain": "hartleyfo.com"},
    ],
    "people": [
        {"id": "p01", "name": "Marcus Lee", "email": "marcus.lee@northpeakwealth.com", "role": "Managing Director",
         "organisation": "o01", "relation": "manager"},
        {"id": "p02", "name": "Priya Raman", "email": "priya.raman@northpeakwealth.com", "role": "Associate",
         "organisation": "o01", "relation": "report"},
        {"id": "p03", "name": "Evelyn Hartley", "email": "not-an-email", "role": "Principal",
         "organisation": "o02", "relation": "external", "kind": "client"},
        {"id": "p04", "name": "Sam Okafor", "email": "sam.okafor@example.org", "role": "Spouse",
         "organisation": "o99", "relation": "family"},
    ],
    "projects": [
        {"id": "j01", "name": "Hartley portfolio rebalance", "code": "hartley", "description": "Rebalance to 60/40",
         "owner": "p01", "members": ["p02", "p77"], "client": "o02", "start": "2024-01-15", "end": "2024-09-30",
         "status": "active", "budget": 25000, "milestones": [{"name": "IPS signed", "due": "2024-03-01"}]},
        {"id": "j02", "name": "Annual compliance review", "code": "COMP24", "description": "FINRA prep",
         "owner": "p99", "members": ["p01"], "client": None, "start": "2024-06-01", "end": "2024-02-01",
         "status": "planned"},
    ],
    "facts": [
        {"id": "f01", "label": "Hartley AUM", "value": 48250000, "unit": "USD", "display": "$48,250,000",
         "project": "j01"},
        {"id": "f02", "label": "Target equity share", "value": 60, "unit": "%", "display": "60%", "project": "j01"},
        {"id": "f03", "label": "Advisory fee", "value": 0.85, "unit": "%", "display": "0.85%"},
        {"id": "f04", "label": "Open compliance findings", "value": 3, "unit": "findings", "display": "3 findings",
         "project": "jXX"},
    ],
    "history_start": "2023-01-01T00:00:00", "history_end": "2024-11-15T17:30:00",
    "vocabulary": ["IPS", "rebalance", "drawdown", "fiduciary"],
}

FOLDERS = {"os": "linux", "folders": [
    {"path": "Clients/Hartley Family", "purpose": "client work", "files": 4},
    {"path": "Compliance", "purpose": "reviews", "files": 3},
    {"path": "~/Documents/Reports", "purpose": "reports", "files": 3},
    {"path": "../../etc/cron.d", "purpose": "an unsafe path the generator must confine", "files": 1},
    {"path": "scripts", "purpose": "automation", "files": 3},
    {"path": ".config/advisor", "purpose": "settings", "files": 2},
]}

T0, T1 = "2024-02-01T09:00:00", "2024-03-05T16:20:00"


def _f(name: str, type_: str, title: str, refs: list[str], project: str | None = "j01", **kw: Any) -> dict:
    return {"name": name, "type": type_, "kind": kw.pop("kind", "client_review"), "title": title,
            "created": kw.pop("created", T0), "modified": kw.pop("modified", T1), "refs": refs, "project": project,
            **kw}


FILES = {
    "Clients/Hartley Family": [
        _f("Hartley review Q1.docx", "docx", "Hartley quarterly review", ["p03", "f01", "f02", "j01"]),
        _f("Hartley allocation.xlsx", "xlsx", "Hartley allocation", ["f01", "f02"]),
        _f("Hartley pitch", "pptx", "Hartley rebalance proposal", ["f01", "p03"]),
        _f("Hartley bundle.zip", "zip", "Hartley documents", []),
    ],
    "Compliance": [
        _f("compliance_review_2024.pdf", "pdf", "Compliance review 2024", ["f04", "j02"], "j02",
           created="1990-01-01T00:00:00", modified="2030-01-01T00:00:00"),
        _f("findings.csv", "csv", "Open findings", ["f04"], "j02"),
        _f("reminder.eml", "eml", "FINRA prep reminder", ["p01", "j02"], "j02"),
    ],
    "Documents/Reports": [
        _f("aum_chart.png", "png", "AUM by quarter", ["f01"]),
        _f("meetings.ics", "ics", "Client meetings", ["p03"]),
        _f("notes.md", "md", "Meeting notes", ["f03", "p02"]),
    ],
    "etc/cron.d": [_f("nightly.txt", "txt", "Nightly job notes", [], None)],
    "scripts": [
        _f("fees.py", "py", "Fee calculator", ["f03"], None, kind="script"),
        _f("holdings.jsonl", "jsonl", "Holdings export", ["f01"]),
        _f("mystery.exe", "exe", "Unknown binary", []),  # unusable type: dropped by the generator
    ],
    ".config/advisor": [
        _f("settings.toml", "toml", "Advisor settings", [], None, kind="config"),
        _f("state.json", "json", "App state", ["p99"], None, kind="config"),
    ],
}


def prompt(request: dict) -> str:
    """The generator's prompt: the first user message (later ones are feedback on invalid answers)."""
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


def file_info(request: dict) -> dict:
    text = prompt(request)
    return json.loads(re.search(r"^File: (\{.*\})$", text, re.M).group(1))


def content_for(info: dict) -> dict:
    t, title = info["type"], info["title"]
    base = {"title": title, "summary": f"{title} for the Hartley household", "refs": ["f01", "p03", "zz9"]}
    aum = "Assets under management: $48,250,000; target equity 60%."
    if t in ("docx", "pdf"):
        return {**base, "blocks": [
            {"type": "heading", "text": title, "level": 1},
            {"type": "paragraph", "text": aum},
            {"type": "bullets", "items": ["Rebalance by Q3", "Review IPS with Evelyn Hartley"]},
            {"type": "table", "columns": ["Asset", "Weight"], "rows": [["Equity", "60%"], ["Bonds", "40%"]]}]}
    if t in ("md", "txt"):
        return {**base, "text": f"# {title}\n\n- Fee: 0.85%\n- {aum}\n"}
    if t in ("xlsx", "csv"):
        return {**base, "sheets": [{"name": "Allocation", "columns": ["Asset", "Value"], "rows": [
            ["Equity", 28950000], ["Bonds", 19300000],
            ["Total", {"formula": "=SUM(B2:B3)", "value": 1}], ["Check", {"formula": "=VLOOKUP(1)", "value": 5}],
            ["AUM", "$48,250,000", "extra column dropped"]]}]}
    if t == "pptx":
        return {**base, "slides": [{"title": title, "layout": "title", "subtitle": "Dana Okafor"},
                                   {"title": "Where we are", "bullets": [aum]}]}
    if t == "png":
        return {**base, "chart": {"title": title, "categories": ["Q1", "Q2"],
                                  "series": [{"name": "AUM", "values": [46.1, 48.25]}]}}
    if t == "eml":
        return {**base, "email": {"sender": "Marcus Lee <marcus.lee@northpeakwealth.com>",
                                  "to": ["dokafor@northpeakwealth.com"], "subject": "FINRA prep",
                                  "date": "2031-05-05T10:00:00+02:00", "body": "We still have 3 findings open."}}
    if t == "ics":
        return {**base, "events": [{"summary": "Hartley review", "start": "2024-03-10T15:00:00",
                                    "end": "2024-03-10T14:00:00", "attendees": ["evelyn@hartleyfo.com"]}]}
    if t == "jsonl":
        return {**base, "data": [{"ticker": "VTI", "value": 1200000}, 7]}
    if t == "toml":
        return {**base, "data": {"user": {"name": "Dana", "nickname": None}, "theme": "dark"}}
    if t == "json":
        return {**base, "data": {"last_client": "Hartley", "aum": "$48,250,000"}}
    if t == "py":
        return {**base, "text": "```python\ndef fee(aum: float) -> float:\n    return aum * 0.0085\n```"}
    raise AssertionError(f"unexpected content type {t}")


def files_for(request: dict) -> dict:
    text = prompt(request)
    folder = re.search(r"^Folder: (.*?) - ", text, re.M).group(1)
    return {"files": FILES[folder]}


def world_handler(content: Any = None) -> Any:
    """The full scripted model; ``content`` overrides the content stage (a handler or a reply)."""
    return route({
        "[stage:persona]": Reply.json(PERSONA_PROFILE),
        "[stage:profile]": Reply.json(PROFILE),
        "[stage:world]": Reply.json(WORLD),
        "[stage:folders]": Reply.json(FOLDERS),
        "[stage:files]": lambda r: Reply.json(files_for(r)),
        "[stage:content]": content or (lambda r: Reply.json(content_for(file_info(r)))),
    })
