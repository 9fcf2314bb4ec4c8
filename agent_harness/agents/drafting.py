"""Turning source texts into deliverable content (the scripted agent's writing, from real extracts)."""

from __future__ import annotations

import re
from typing import Any

NUMBER = re.compile(r"[$€£]?-?\d[\d,]*(?:\.\d+)?(?:\s?%)?")


def find_figure(text: str, label: str) -> str | None:
    """The first number-like token shortly after ``label`` in ``text`` (case-insensitive)."""
    for m in re.finditer(re.escape(label), text, flags=re.IGNORECASE):
        tail = text[m.end():m.end() + 120]
        n = NUMBER.search(tail)
        if n and not re.match(r"^\d{4}$", n.group(0).strip()):  # skip bare years
            return n.group(0).strip()
    return None


def informative_lines(text: str, limit: int = 4) -> list[str]:
    """Sentences worth quoting: several words, mostly letters, not a table separator."""
    out = []
    for line in text.splitlines():
        s = " ".join(line.split())
        if len(s.split()) >= 6 and sum(c.isalpha() for c in s) > len(s) * 0.5 and "|" not in s:
            out.append(s[:300])
        if len(out) >= limit:
            break
    return out


def title_line(text: str) -> str:
    """The head of a document: its first three informative lines (letterhead, title, subtitle)."""
    out: list[str] = []
    for line in text.splitlines():
        s = " ".join(line.replace("|", " ").replace("#", " ").split())
        if len(s) >= 8 and sum(c.isalpha() for c in s) >= 5 and s not in out:
            out.append(s[:80])
        if len(out) == 3:
            break
    return " / ".join(out)


def apply_corrections(s: str, corrections: dict[str, str]) -> str:
    for old, new in corrections.items():
        s = s.replace(old, new)
    return s


def corrected(obj: Any, corrections: dict[str, str]) -> Any:
    """``obj`` (a document spec) with every corrected figure replaced, in every string."""
    if isinstance(obj, str):
        return apply_corrections(obj, corrections)
    if isinstance(obj, list):
        return [corrected(x, corrections) for x in obj]
    if isinstance(obj, dict):
        return {k: corrected(v, corrections) for k, v in obj.items()}
    return obj


def _figures(d: dict[str, Any]) -> list[tuple[str, str, str]]:
    fixes = d.get("corrections", {})
    return [(lab, apply_corrections(val, fixes), d["figure_src"].get(lab, "")) for lab, val in d["figures"].items()]


def _section_text(d: dict[str, Any], section: str, i: int) -> list[str]:
    extracts = [line for src in d["sources"] for line in d["extracts"].get(src, [])]
    if not extracts:
        return [f"{section}: no source text was available."]
    pick = [extracts[(i + k) % len(extracts)] for k in range(min(2, len(extracts)))]
    return [apply_corrections(p, d.get("corrections", {})) for p in pick]


def summary(d: dict[str, Any]) -> str:
    figs = "; ".join(f"{lab}: {val}" for lab, val, _ in _figures(d)) or "no tracked figures"
    people = ", ".join(s["name"] for s in d["stakeholders"]) or "the team"
    return (f"{d['title']}. Prepared for {people}, due day {d['due_day']}. Based on {len(d['sources'])} "
            f"source file(s). Key figures: {figs}.")


def docx_spec(d: dict[str, Any]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"heading": "Executive summary", "level": 1}, {"paragraph": summary(d)}]
    for i, sec in enumerate(s for s in d["sections"] if s != "Executive summary"):
        blocks.append({"heading": sec, "level": 1})
        if "figure" in sec.lower():
            blocks.append({"table": figures_table(d)})
        blocks += [{"paragraph": p} for p in _section_text(d, sec, i)]
    if not any("figure" in s.lower() for s in d["sections"]):
        blocks += [{"heading": "Key figures", "level": 1}, {"table": figures_table(d)}]
    blocks += [{"heading": "Sources", "level": 1},
               {"bullets": [f"{p} — {d['titles'].get(p, '')}" for p in d["sources"]]}]
    if d.get("log"):
        blocks += [{"heading": "Revision log", "level": 2},
                   {"bullets": [apply_corrections(x, d.get("corrections", {})) for x in d["log"]]}]
    return corrected({"title": d["title"], "blocks": blocks}, d.get("corrections", {}))


def figures_table(d: dict[str, Any]) -> dict[str, Any]:
    return {"columns": ["Figure", "Value", "Source"], "rows": [list(r) for r in _figures(d)]}


def xlsx_spec(d: dict[str, Any], sheet: str | None) -> dict[str, Any]:
    return corrected({"sheets": [{"name": sheet or "Key figures", "columns": ["Figure", "Value", "Source"],
                        "rows": [list(r) for r in _figures(d)]},
                       {"name": "Sources", "columns": ["Path", "Title"],
                        "rows": [[p, d["titles"].get(p, "")] for p in d["sources"]]}]}, d.get("corrections", {}))


def pptx_spec(d: dict[str, Any]) -> dict[str, Any]:
    slides = [{"title": "Executive summary", "bullets": [summary(d)]},
              {"title": "Key figures", "bullets": [f"{lab}: {val}" for lab, val, _ in _figures(d)] or ["(none)"]}]
    for i, sec in enumerate(s for s in d["sections"] if s not in ("Executive summary",)):
        slides.append({"title": sec, "bullets": _section_text(d, sec, i)})
    slides.append({"title": "Sources", "bullets": [f"{p} — {d['titles'].get(p, '')}" for p in d["sources"]]})
    return corrected({"title": d["title"], "subtitle": ", ".join(s["name"] for s in d["stakeholders"]),
                      "slides": slides}, d.get("corrections", {}))


def markdown(d: dict[str, Any]) -> str:
    spec = docx_spec(d)
    out = [f"# {spec['title']}", ""]
    for b in spec["blocks"]:
        if "heading" in b:
            out += ["#" * (b["level"] + 1) + " " + b["heading"], ""]
        elif "paragraph" in b:
            out += [b["paragraph"], ""]
        elif "bullets" in b:
            out += [f"- {x}" for x in b["bullets"]] + [""]
        elif "table" in b:
            t = b["table"]
            out += ["| " + " | ".join(t["columns"]) + " |", "|" + "---|" * len(t["columns"])]
            out += ["| " + " | ".join(map(str, r)) + " |" for r in t["rows"]] + [""]
    return "\n".join(out)


def review_and_submit(d: dict[str, Any], paths: list[str], tools: Any) -> None:
    """Send the (revised) draft to the first stakeholder when it has not been reviewed or has changed since,
    then submit ``paths`` for deliverable ``d``; a successful submit marks it submitted and clean."""
    if d["stakeholders"] and (not d["review_sent"] or d["dirty"]):
        who = d["stakeholders"][0]
        verb = "Revised draft" if d["dirty"] else "Draft"
        tools.call("send_message", {"to": who["id"], "subject": f"{verb} for review: {d['id']} {d['title']}",
                                    "body": f"Version {d['version']} is ready for your review:\n"
                                            + "\n".join(f"- {p}" for p in paths)})
        d["review_sent"] = True
    r = tools.call("submit", {"deliverable_id": d["id"], "paths": paths})
    if not r.error:
        d["stage"], d["dirty"] = "submitted", False
