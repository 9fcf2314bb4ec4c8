"""Write the project-made GDPval-format fixture (tests/data/gdpval): 3 tasks, docx/xlsx/pdf references, gold files.

Run: .venv/bin/python scripts/make_gdpval_fixture.py [OUT]   (default tests/data/gdpval)
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

TASKS = [
    {"task_id": "wb-fx-001", "sector": "Finance and Insurance", "occupation": "Accountants and Auditors",
     "prompt": "You are an accountant. Using the Q3 expense workbook and the budget memo in reference_files, write a "
               "one-page memo to the CFO (outputs/q3_expense_memo.docx) that states total Q3 operating expenses, "
               "names the department over budget and recommends one cost control.",
     "refs": [("q3_expenses.xlsx", "xlsx"), ("budget_memo.docx", "docx")], "gold": ("q3_expense_memo.docx", "docx"),
     "rubric": [("Delivered as a Word document (.docx)", 1, False, ["format"]),
                ("States the total Q3 operating expenses of 48,250", 3, True, ["accuracy"]),
                ("Names 'Facilities' as the department over budget", 2, False, ["accuracy"]),
                ("Recommends a concrete, realistic cost control", 2, False, ["quality"])]},
    {"task_id": "wb-fx-002", "sector": "Construction", "occupation": "Construction Managers",
     "prompt": "You manage the Elm Street clinic build. From the site meeting notes in reference_files, produce a "
               "milestone schedule as an Excel workbook (outputs/milestones.xlsx) listing each milestone with its "
               "planned week.",
     "refs": [("site_meeting_notes.docx", "docx")], "gold": ("milestones.xlsx", "xlsx"),
     "rubric": [("The deliverable is an Excel spreadsheet (.xlsx)", 1, True, ["format"]),
                ("Lists the milestone 'Foundation pour'", 2, False, ["completeness"]),
                ("Lists the milestone 'Roof dry-in'", 2, False, ["completeness"]),
                ("Schedule is realistic and clearly laid out", 2, False, ["quality"])]},
    {"task_id": "wb-fx-003", "sector": "Health Care and Social Assistance", "occupation": "Registered Nurses",
     "prompt": "You are the charge nurse. Read the falls-prevention policy (PDF) in reference_files and write a "
               "patient handout (outputs/falls_handout.docx) explaining the 30-minute rounding and how to call "
               "for help.",
     "refs": [("falls_policy.pdf", "pdf")], "gold": ("falls_handout.docx", "docx"),
     "rubric": [("Delivered as a Word document (.docx)", 1, False, ["format"]),
                ("Mentions hourly checks every 30 minutes ('30 minutes')", 2, True, ["accuracy"]),
                ("Explains the call light in plain language", 2, False, ["quality"])]},
]
TEXT = {
    "budget_memo.docx": ["Budget memo for the third quarter", "Total Q3 operating expenses were 48,250 against a budget "
                         "of 45,000 for the quarter.", "Facilities spending ran over budget because of an emergency "
                         "boiler repair in August."],
    "site_meeting_notes.docx": ["Elm Street clinic: site meeting notes", "The Foundation pour is planned for week 6 "
                                "once the rebar inspection has been signed off.", "Framing follows in weeks 8 to 11 "
                                "and the Roof dry-in is targeted for week 13 before the autumn rains.",
                                "Interior fit-out starts in week 15 with the mechanical rough-in."],
    "falls_policy.pdf": ["Falls prevention policy (Unit 4 West)", "Nursing staff complete purposeful rounding every "
                         "30 minutes for patients at high risk of falls.", "Patients are shown the call light on "
                         "admission and asked to press it before getting out of bed."],
    "q3_expense_memo.docx": ["Memo: Q3 operating expenses", "Total Q3 operating expenses were 48,250, 3,250 over the "
                             "45,000 budget.", "Facilities was the department over budget (boiler repair).",
                             "Recommendation: require two quotes for repairs above 2,000."],
    "falls_handout.docx": ["Staying safe from falls", "A nurse will check on you every 30 minutes.",
                           "Press the call light (the red button) before you get up and we will come to help."],
}


def write_docx(path: Path, lines: list[str]) -> None:
    d = docx.Document()
    d.core_properties.created = d.core_properties.modified = datetime(2024, 1, 1)
    d.add_heading(lines[0], 1)
    for line in lines[1:]:
        d.add_paragraph(line)
    d.save(path)


def write_xlsx(path: Path, name: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    if name == "q3_expenses.xlsx":
        ws.title = "Q3"
        ws.append(["Department", "Budget", "Actual"])
        for row in (["Operations", 20000, 19500], ["Facilities", 12000, 16750], ["Administration", 13000, 12000],
                    ["Total", 45000, 48250]):
            ws.append(row)
    else:
        ws.title = "Milestones"
        ws.append(["Milestone", "Week"])
        for row in (["Foundation pour", 6], ["Framing", 8], ["Roof dry-in", 13], ["Interior fit-out", 15]):
            ws.append(row)
    wb.save(path)


def write_pdf(path: Path, lines: list[str]) -> None:
    c = canvas.Canvas(str(path), pagesize=letter, invariant=1)
    y = 720
    for line in lines:
        c.drawString(72, y, line)
        y -= 20
    c.save()


def write(kind: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "docx":
        write_docx(path, TEXT[path.name])
    elif kind == "xlsx":
        write_xlsx(path, path.name)
    else:
        write_pdf(path, TEXT[path.name])


def main(out: Path) -> None:
    rows = []
    for t in TASKS:
        refs = [f"reference_files/{t['task_id']}/{name}" for name, _ in t["refs"]]
        for (_name, kind), rel in zip(t["refs"], refs, strict=True):
            write(kind, out / rel)
        gold = f"deliverable_files/{t['task_id']}/{t['gold'][0]}"
        write(t["gold"][1], out / gold)
        rubric = [{"rubric_item_id": f"{t['task_id']}-r{i}", "criterion": c, "score": s, "required": req, "tags": tags}
                  for i, (c, s, req, tags) in enumerate(t["rubric"], 1)]
        rows.append({"task_id": t["task_id"], "sector": t["sector"], "occupation": t["occupation"],
                     "prompt": t["prompt"], "reference_files": refs, "reference_file_urls": [],
                     "reference_file_hf_uris": [], "deliverable_files": [gold], "deliverable_file_urls": [],
                     "deliverable_file_hf_uris": [],
                     "rubric_pretty": "\n".join(f"[{r['score']:g}] {r['criterion']}" for r in rubric),
                     "rubric_json": json.dumps(rubric)})
    (out / "gdpval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/gdpval"))
