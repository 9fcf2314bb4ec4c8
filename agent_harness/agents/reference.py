"""ReferenceSolver: an offline *scripted* agent (not a model) that does each deliverable's derived work
correctly from the sources it reads through its tools, proving the rubrics achievable.

It follows the baseline's day loop (locate, read, ask, draft, submit, revise) but parses the tables it
reads (:func:`agent_harness.derived.tables_from_text`), computes every ask of its briefing, applies the
source corrections it is sent, answers stakeholders' conflicting requests (short text, appendix with the
full breakdown) and writes documents a professional would: the recommendation first, sections with
substance, a results table, formulas in the workbook, a sign-off.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import PurePosixPath
from typing import Any

from agent_harness.agents import drafting
from agent_harness.agents.scripted import ScriptedAgent
from agent_harness.derived import (
    DataTable,
    compute,
    differences,
    fmt,
    tables_from_bytes,
    tables_from_text,
    with_override,
)
from agent_harness.tools import Toolbox

OVERRIDE_RE = re.compile(r"in (\S.*?)(?: \(sheet (.+?)\))?, the (.+?) for (.+?) should read (\S+?), not (\S+?)\. ")
TARGET_WORDS = (260, 560)


class ReferenceSolver(ScriptedAgent):
    name = "reference"

    def __init__(self, signature: str = "") -> None:
        super().__init__()
        self.signature = signature

    def start(self, brief: dict[str, Any]) -> None:
        super().start(brief)
        self.signature = self.signature or brief.get("user", "")
        for d in self.dls.values():
            d.setdefault("texts", {})
            d.setdefault("overrides", [])
            d.setdefault("requests", [])

    def read_sources(self, d: dict[str, Any], tools: Toolbox) -> None:
        pending = [p for p in d["sources"] if p not in d["texts"]]
        if pending:
            r = tools.call("read_file", {"path": pending[0]})
            d["texts"][pending[0]] = r.text if not r.error else ""
            d["extracts"][pending[0]] = drafting.informative_lines(d["texts"][pending[0]])
            d["titles"][pending[0]] = drafting.title_line(d["texts"][pending[0]])
            for label in d["key_figures"]:
                if label not in d["figures"] and (v := drafting.find_figure(d["texts"][pending[0]], label)):
                    d["figures"][label], d["figure_src"][label] = v, pending[0]
        else:
            d["stage"] = "read"

    def ask(self, d: dict[str, Any], day: int, tools: Toolbox) -> None:
        """Ask the first stakeholder for context, then carry on with the data already read (no waiting)."""
        super().ask(d, day, tools)
        d["stage"] = "asked"

    # ------------------------------------------------------------------ messages
    def handle(self, m: dict[str, Any], day: int) -> None:
        super().handle(m, day)
        d = self.dls.get(m.get("deliverable") or "")
        if d is None:
            return
        body = str(m.get("body", "")) + " "
        for src, sheet, col, row, new, _old in OVERRIDE_RE.findall(body):
            d["overrides"].append({"source": src, "sheet": sheet or "", "row": row, "column": col,
                                   "value": float(new)})
            d["dirty"] = d["stage"] == "submitted"
        if m.get("kind") == "request":
            d["requests"].append({"from": m.get("from_id") or m.get("from"), "name": m.get("from_name", ""),
                                  "text": body.strip()[:300], "answered": False})
            d["dirty"] = d["stage"] == "submitted"

    # ------------------------------------------------------------------ results
    def _tables(self, d: dict[str, Any]) -> dict[tuple[str, str], DataTable]:
        tables: dict[tuple[str, str], DataTable] = {}
        for src, text in d["texts"].items():  # read_file shows a CSV as it is, a workbook as tab rows
            found = tables_from_bytes(src, text.encode()) if src.lower().endswith(".csv") else \
                tables_from_text(src, text)
            for t in found:
                tables[(src, t.sheet)] = t
        for ov in d["overrides"]:
            if (ov["source"], ov["sheet"]) in tables:
                tables = with_override(tables, ov)
        return tables

    def results(self, d: dict[str, Any]) -> list[tuple[str, Any, str]]:
        """(label, result, basis) per ask, computed from the tables read."""
        tables, out = self._tables(d), []
        for a in d.get("asks", []):
            basis = PurePosixPath(a["source"]).name + (f", sheet {a['sheet']}" if a.get("sheet") else "")
            try:
                if a["kind"] == "reconcile":
                    diffs = differences(tables[(a["source"], a["sheet"])], tables[(a["source_b"], a["sheet_b"])])
                    out.append((a["label"], diffs, f"{basis} against {PurePosixPath(a['source_b']).name}"))
                elif a["kind"] == "schedule":
                    out.append((a["label"], self.schedule(a), basis))
                else:
                    out.append((a["label"], compute(a, tables), basis))
            except (KeyError, ValueError, ZeroDivisionError):
                continue
        return out

    @staticmethod
    def schedule(a: dict[str, Any]) -> list[tuple[str, str]]:
        day, end = date.fromisoformat(a["window"][0]), date.fromisoformat(a["window"][1])
        out = []
        for item in a["items"]:
            while day <= end and (day.weekday() >= 5 or day.isoformat() in a["blocked"]):
                day += timedelta(days=1)
            out.append((item, day.isoformat()))
            day += timedelta(days=1)
        return out

    # ------------------------------------------------------------------ writing
    def _lines(self, d: dict[str, Any]) -> tuple[list[str], list[list[str]], list[list[list[str]]]]:
        """Result sentences, the results table rows and extra tables (ranking, reconciliation, schedule)."""
        sentences, rows, extra = [], [], []
        for label, res, basis in self.results(d):
            kind = next(a["kind"] for a in d["asks"] if a["label"] == label)
            if kind == "ranking":
                extra.append([["Rank", "Item"]] + [[str(i + 1), x] for i, x in enumerate(res)])
                sentences.append(f"{label}: {', '.join(res)} (from {basis}).")
            elif kind == "schedule":
                extra.append([["Item", "Date"]] + [[i, dt] for i, dt in res])
            elif kind == "reconcile":
                sentences.append(f"{label}: {len(res)} (checked {basis}).")
                extra.append([["Row", "Difference"]] + [[lab, f"{v:g}"] for lab, v in res])
            else:
                dec = 1 if kind in ("growth", "share") else 2
                sentences.append(f"{label}: {fmt(res, dec)} (computed from {basis}, {self.period}).")
                rows.append([label, fmt(res, dec), basis])
        return sentences, rows, extra

    @property
    def period(self) -> str:
        return getattr(self, "today", date.today()).strftime("as at %d %B %Y")

    def _appendix(self, d: dict[str, Any]) -> list[list[str]] | None:
        if not d["requests"] or not d.get("asks"):
            return None
        a = d["asks"][0]
        t = self._tables(d).get((a["source"], a["sheet"]))
        if t is None:
            return None
        return [t.columns] + [[str(v) if v is not None else "" for v in r] for r in t.rows]

    def doc_blocks(self, d: dict[str, Any]) -> list[dict[str, Any]]:
        sentences, rows, extra = self._lines(d)
        project = d["title"]
        first = sentences[0] if sentences else "the figures are set out below"
        greeting = [{"paragraph": f"Dear {d['stakeholders'][0]['name'] if d['stakeholders'] else 'all'},"}] \
            if "letter" in (d.get("kind") or "") else []
        blocks: list[dict[str, Any]] = greeting + [{"paragraph": (
            f"I am writing to share the {d.get('kind') or 'deliverable'} for {project}. I recommend that we act on "
            f"the results below; the headline is {first} Each figure was worked out from the source files named "
            "next to it, and the method is stated so it can be checked.")}]
        if d["figures"]:
            blocks.append({"paragraph": "Key figures already on file: " + "; ".join(
                f"{lab}: {drafting.apply_corrections(v, d.get('corrections', {}))}" for lab, v in d["figures"].items())
                + "."})
        sections = [s for s in d["sections"]]
        for i, sec in enumerate(sections):
            blocks.append({"heading": sec, "level": 1})
            if i == 0:
                blocks += [{"paragraph": s} for s in sentences] or [{"paragraph": "No figures were requested here."}]
                if rows:
                    blocks.append({"table": {"columns": ["Result", "Value", "Basis"], "rows": rows}})
                blocks += [{"table": {"columns": t[0], "rows": t[1:]}} for t in extra]
            else:
                ex = drafting._section_text(d, sec, i)
                blocks.append({"paragraph": f"{sec}: this part covers {sec.lower()} for {project}, drawing on the "
                                            "sources listed at the end."})
                blocks += [{"paragraph": p} for p in ex[:1]]
        if d["requests"]:
            names = " and ".join(r["name"] or r["from"] for r in d["requests"])
            blocks.append({"paragraph": f"Requests from {names} pulled in different directions: the main text stays "
                                        "short and leads with the recommendation, and the full row-by-row breakdown "
                                        "is in the appendix."})
        blocks += [{"heading": "Sources", "level": 1}, {"bullets": [f"{p}" for p in d["sources"]]}]
        appendix = self._appendix(d)
        if appendix:
            blocks += [{"heading": "Appendix", "level": 1},
                       {"paragraph": "Every row of the source table, as read, for reference."},
                       {"table": {"columns": appendix[0], "rows": appendix[1:]}}]
        blocks.append({"paragraph": f"Prepared by {self.signature}"})
        return blocks

    def _fit(self, d: dict[str, Any], blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Pad a thin document with the method behind each result (professional length, not filler)."""
        def words() -> int:
            return sum(len(str(v).split()) for b in blocks for v in (b.get("paragraph", ""), b.get("heading", "")))

        at = next((i for i, b in enumerate(blocks) if b.get("heading") == "Sources"), len(blocks))
        for a in d.get("asks", []):
            if words() >= TARGET_WORDS[0]:
                break
            blocks.insert(at, {"paragraph": f"Method for '{a['label']}': {a['text']}, read directly from "
                                            f"{PurePosixPath(a['source']).name} and checked row by row against the "
                                            "file before it was written down here."})
            at += 1
        return blocks

    def draft_and_submit(self, d: dict[str, Any], day: int, tools: Toolbox) -> None:
        d["version"] += 1
        blocks = self._fit(d, self.doc_blocks(d))
        for dep in d.get("depends_on", []):
            if dep in self.dls:
                src = next(i for i, b in enumerate(blocks) if b.get("heading") == "Sources") + 1
                blocks[src]["bullets"].append(f"Builds on {self.dls[dep]['outputs'][0]['path']} ({dep})")
        paths = []
        for o in d["outputs"]:
            path, fmt_ = o["path"], o["format"]
            if fmt_ == "docx":
                tools.call("make_document", {"path": path, "kind": "docx", "spec": {"title": d["title"], "blocks": blocks}})
            elif fmt_ == "xlsx":
                tools.call("make_document", {"path": path, "kind": "xlsx", "spec": self.workbook(d, o.get("sheet"))})
            elif fmt_ == "pptx":
                tools.call("make_document", {"path": path, "kind": "pptx", "spec": self.deck(d, blocks)})
            else:
                path = path if fmt_ == "md" else path + ".md"
                tools.call("write_file", {"path": path, "content": self.markdown(d, blocks)})
            paths.append(path)
        self.answer_requests(d, tools)
        drafting.review_and_submit(d, paths, tools)

    def answer_requests(self, d: dict[str, Any], tools: Toolbox) -> None:
        for req in d["requests"]:
            if req["answered"] or not req["from"]:
                continue
            tools.call("send_message", {"to": req["from"], "subject": f"{d['id']}: your request on {d['title']}",
                                        "body": "Thanks. The requests I received pull in different directions, so the "
                                                "main text stays short and leads with the recommendation, and the full "
                                                "row-by-row breakdown is in an appendix."})
            req["answered"] = True

    def workbook(self, d: dict[str, Any], sheet: str | None) -> dict[str, Any]:
        _, rows, extra = self._lines(d)
        sheets = [{"name": sheet or "Results", "columns": ["Result", "Value", "Basis"], "rows": rows}]
        sheets += [{"name": f"Table {i + 1}", "columns": t[0], "rows": t[1:]} for i, t in enumerate(extra)]
        a = next((a for a in d.get("asks", []) if a["kind"] in ("total", "mean")), None)
        t = self._tables(d).get((a["source"], a["sheet"])) if a else None
        if t is not None:
            ci = t.col(a["column"])
            data = [[lab, r[ci]] for lab, r in zip(t.labels(), t.rows, strict=True)]
            sheets.append({"name": "Data", "columns": ["Row", a["column"]],
                           "rows": data + [["Sum" if a["kind"] == "total" else "Mean",
                                            f"={'SUM' if a['kind'] == 'total' else 'AVERAGE'}(B2:B{len(data) + 1})"]]})
        return {"sheets": sheets}

    def deck(self, d: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
        slides, cur = [{"title": "Purpose", "bullets": [blocks[0]["paragraph"]]}], None
        for b in blocks[1:]:
            if "heading" in b:
                cur = {"title": b["heading"], "bullets": []}
                slides.append(cur)
            elif cur is not None:
                if "paragraph" in b:
                    cur["bullets"].append(b["paragraph"])
                elif "bullets" in b:
                    cur["bullets"] += b["bullets"]
                elif "table" in b:
                    cur["bullets"] += [" — ".join(map(str, r)) for r in b["table"]["rows"]]
            else:
                slides[0]["bullets"].append(b.get("paragraph", ""))
        return {"title": d["title"], "subtitle": self.signature, "slides": slides}

    def markdown(self, d: dict[str, Any], blocks: list[dict[str, Any]]) -> str:
        out = [f"# {d['title']}", ""]
        for b in blocks:
            if "heading" in b:
                out += [f"## {b['heading']}", ""]
            elif "paragraph" in b:
                out += [b["paragraph"], ""]
            elif "bullets" in b:
                out += [f"- {x}" for x in b["bullets"]] + [""]
            elif "table" in b:
                t = b["table"]
                out += ["\t".join(map(str, t["columns"]))] + ["\t".join(map(str, r)) for r in t["rows"]] + [""]
        return "\n".join(out)

    def run_day(self, day: int, today: date, tools: Toolbox) -> None:
        self.today = today
        super().run_day(day, today, tools)
