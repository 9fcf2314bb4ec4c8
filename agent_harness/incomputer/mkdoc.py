#!/usr/bin/env python3
"""mkdoc: create a docx/xlsx/pptx from a JSON spec (installed by worldbuilder's harness).

  mkdoc KIND PATH < spec.json      KIND = docx | xlsx | pptx

docx spec: {"title": str, "blocks": [{"heading": str, "level": 1} | {"paragraph": str} |
            {"bullets": [str]} | {"table": {"columns": [...], "rows": [[...]]}}]}
xlsx spec: {"sheets": [{"name": str, "columns": [...], "rows": [[...]]}]}
pptx spec: {"title": str, "slides": [{"title": str, "bullets": [str], "notes": str}]}
The file is written atomically; an existing file is replaced (edit = rewrite from the spec).
"""
import json
import os
import sys


def docx(spec, path):
    from docx import Document
    d = Document()
    if spec.get("title"):
        d.add_heading(spec["title"], 0)
    for b in spec.get("blocks", []):
        if "heading" in b:
            d.add_heading(str(b["heading"]), int(b.get("level", 1)))
        elif "paragraph" in b:
            d.add_paragraph(str(b["paragraph"]))
        elif "bullets" in b:
            for it in b["bullets"]:
                d.add_paragraph(str(it), style="List Bullet")
        elif "table" in b:
            t = b["table"]
            cols = t.get("columns", [])
            tab = d.add_table(rows=1, cols=max(1, len(cols)))
            for i, c in enumerate(cols):
                tab.rows[0].cells[i].text = str(c)
            for row in t.get("rows", []):
                cells = tab.add_row().cells
                for i, v in enumerate(row[:len(cells)]):
                    cells[i].text = "" if v is None else str(v)
    d.save(path)


def xlsx(spec, path):
    from openpyxl import Workbook
    wb = Workbook()
    wb.remove(wb.active)
    for s in spec.get("sheets", []) or [{"name": "Sheet1", "columns": [], "rows": []}]:
        ws = wb.create_sheet(str(s.get("name", "Sheet"))[:31])
        if s.get("columns"):
            ws.append([str(c) for c in s["columns"]])
        for row in s.get("rows", []):
            ws.append(list(row))
    wb.save(path)


def pptx(spec, path):
    from pptx import Presentation
    prs = Presentation()
    if spec.get("title"):
        s = prs.slides.add_slide(prs.slide_layouts[0])
        s.shapes.title.text = spec["title"]
        if spec.get("subtitle"):
            s.placeholders[1].text = spec["subtitle"]
    for sl in spec.get("slides", []):
        s = prs.slides.add_slide(prs.slide_layouts[1])
        s.shapes.title.text = str(sl.get("title", ""))
        tf = s.placeholders[1].text_frame
        for i, b in enumerate(sl.get("bullets", [])):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text = str(b)
        if sl.get("notes"):
            s.notes_slide.notes_text_frame.text = sl["notes"]
    prs.save(path)


def main(argv):
    if len(argv) != 3 or argv[1] not in ("docx", "xlsx", "pptx"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, path = argv[1], os.path.expanduser(argv[2])
    try:
        spec = json.load(sys.stdin)
    except ValueError as exc:
        print(f"mkdoc: spec is not valid JSON: {exc}", file=sys.stderr)
        return 2
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)), "." + os.path.basename(path) + ".tmp")
    try:
        {"docx": docx, "xlsx": xlsx, "pptx": pptx}[kind](spec, tmp)
    except Exception as exc:  # report any library error as one line
        print(f"mkdoc: cannot build {kind}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.path.exists(tmp):
            os.remove(tmp)
        return 1
    os.replace(tmp, path)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
