#!/usr/bin/env python3
"""Stand-alone grader of one deliverable, run INSIDE the computer by Harbor's tests/test.sh.

Standard library only (the computer has python3 and pdftotext). Reads ``rubric.json`` next to it,
checks the files the agent wrote under the home, and writes ``/logs/verifier/reward.json``:
``{"reward": points/max, "points", "max", "judged_max", "items": [...]}``. Criteria that need the
simulation's logs (messages sent, submission day) or an LLM judge cannot be checked from the files
alone: they score 0 and are listed as "unjudged" (so ``reward`` is conservative; ``bench run``
judges them with the full judge).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile

OOXML = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


def _xml_text(data: bytes) -> str:
    text = re.sub(rb"<[^>]+>", b" ", data).decode("utf-8", "replace")
    return re.sub(r"&amp;", "&", re.sub(r"&lt;", "<", re.sub(r"&gt;", ">", text)))


def file_text(path: str, fmt: str) -> str:
    try:
        if fmt in OOXML:
            with zipfile.ZipFile(path) as z:
                return " ".join(_xml_text(z.read(n)) for n in sorted(z.namelist())
                                if n.startswith(OOXML[fmt]) and n.endswith(".xml"))
        if fmt == "pdf":
            return subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, timeout=60,
                                  text=True).stdout
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except (OSError, zipfile.BadZipFile, subprocess.SubprocessError, KeyError):
        return ""


def file_valid(path: str, fmt: str, sheet: str | None) -> bool:
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return False
    if fmt in OOXML:
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                if "[Content_Types].xml" not in names or not any(n.startswith(OOXML[fmt]) for n in names):
                    return False
                if fmt == "xlsx" and sheet:
                    return f'name="{sheet}"' in z.read("xl/workbook.xml").decode("utf-8", "replace")
                return True
        except (zipfile.BadZipFile, KeyError):
            return False
    if fmt == "pdf":
        with open(path, "rb") as fh:
            return fh.read(5) == b"%PDF-"
    return bool(file_text(path, fmt).strip())


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def cites(text: str, value: str) -> bool:
    compact = re.sub(r"[\s,]", "", text)
    return norm(value) in text or re.sub(r"[\s,]", "", value).lower() in compact


def score(item: dict, paths: dict[str, str], text: str) -> tuple[float, str, str]:
    """(points, status, evidence) of one rubric item."""
    c, pts = item["check"], item["points"]
    kind = c.get("type")
    if kind == "file_valid":
        ok = file_valid(paths[c["path"]], c["format"], c.get("sheet"))
        return (pts if ok else 0), "scored", c["path"] + (" valid" if ok else " missing or invalid")
    if kind in ("section", "change", "fact_cited", "correction", "source_used") and not text:
        return 0, "scored", "no output to read"
    if kind in ("section", "change"):
        ok = norm(c["heading"]) in text
        return (pts if ok else 0), "scored", f"heading {c['heading']!r} {'found' if ok else 'not found'}"
    if kind == "fact_cited":
        ok = cites(text, c["display"])
        return (pts if ok else 0), "scored", f"{c['display']} {'cited' if ok else 'not cited'}"
    if kind == "correction" and not ("new" in c and "old" in c):
        return 0, "unjudged", "a numeric correction needs the worldbuilder judge"
    if kind == "correction":
        ok = cites(text, c["new"]) and not cites(text, c["old"])
        return (pts if ok else 0), "scored", f"new {c['new']} {'used' if ok else 'not used (or old value kept)'}"
    if kind == "source_used":
        evidence = norm(c.get("evidence", ""))
        ok = bool(evidence) and evidence in text
        return (pts if ok else 0), "scored", f"source {'referenced' if ok else 'not referenced'}"
    return 0, "unjudged", f"{kind} needs the simulation's logs or an LLM judge"


def main(rubric_path: str, out_path: str) -> int:
    with open(rubric_path, encoding="utf-8") as fh:
        rubric = json.load(fh)
    home = rubric["home"]
    paths = {o["path"]: o["path"] if o["path"].startswith("/") else os.path.join(home, o["path"])
             for o in rubric["outputs"]}
    for item in rubric["items"]:
        p = item["check"].get("path")
        if p and p not in paths:
            paths[p] = p if p.startswith("/") else os.path.join(home, p)
    text = norm(" ".join(file_text(paths[o["path"]], o["format"]) for o in rubric["outputs"]))
    items, points, judged = [], 0.0, 0.0
    for item in rubric["items"]:
        got, status, evidence = score(item, paths, text)
        points += got
        judged += item["points"] if status == "scored" else 0
        items.append({"id": item["id"], "points": got, "max": item["points"], "status": status, "evidence": evidence})
    total = float(sum(i["points"] for i in rubric["items"]))
    result = {"reward": round(points / total, 6) if total else 0.0, "points": points, "max": total,
              "judged_max": judged, "deliverable": rubric["deliverable"], "items": items}
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
    os.replace(tmp, out_path)
    print(f"reward {result['reward']:.3f} ({points:g}/{total:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tests/rubric.json",
                  sys.argv[2] if len(sys.argv) > 2 else "/logs/verifier/reward.json"))
