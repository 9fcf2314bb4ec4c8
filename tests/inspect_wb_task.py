"""A worldbuilder_bench task whose model is inspect's ``mockllm`` with scripted outputs (used by
tests/test_bench_docker.py through the real ``inspect eval`` CLI).

mockllm's default outputs count tokens with tiktoken's o200k_base, which is downloaded on first use
(impossible offline); scripted outputs that carry their own usage skip that. The script plays a tiny
agent: one ``bash`` call that writes every requested file (with the requested section headings)
using the document libraries inside the computer, then a final answer.
"""

from __future__ import annotations

import json
import re

from inspect_ai import task
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from agent_harness.bench.inspect_task import worldbuilder_bench

WRITER = r"""
import json, os, sys
from docx import Document
from openpyxl import Workbook
from pptx import Presentation
spec = json.loads(sys.argv[1])
for path, fmt, sheet in spec["outputs"]:
    path = os.path.expanduser("~/" + path) if not path.startswith("/") else path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    heads = spec["sections"] or ["Summary"]
    if fmt == "docx":
        d = Document()
        for h in heads:
            d.add_heading(h, 1); d.add_paragraph("Prepared from the files on this computer.")
        d.save(path)
    elif fmt == "xlsx":
        wb = Workbook(); ws = wb.active; ws.title = sheet or "Sheet1"; ws.append(["Section"]); [ws.append([h]) for h in heads]
        wb.save(path)
    elif fmt == "pptx":
        p = Presentation()
        for h in heads:
            s = p.slides.add_slide(p.slide_layouts[1]); s.shapes.title.text = h
        p.save(path)
    else:
        open(path, "w").write("\n\n".join("# " + h for h in heads) + "\n")
print("wrote", len(spec["outputs"]), "files")
"""
USAGE = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)


def _plan(text: str) -> dict:
    outputs = [(p, f, s) for p, f, s in re.findall(r"^- `([^`]+)` \((\w+)(?:, with a sheet named '([^']*)')?\)",
                                                   text, re.M)]
    sec = re.search(r"## Sections to include\n\n((?:- .*\n)+)", text)
    sections = [ln[2:] for ln in sec.group(1).splitlines()] if sec else []
    return {"outputs": outputs, "sections": sections}


def scripted(input, tools, tool_choice, config) -> ModelOutput:
    if any(m.role == "tool" for m in input):
        out = ModelOutput.from_content("mockllm/model", "The deliverable files are written.")
    else:
        user = next(m for m in input if m.role == "user").text
        cmd = f"python3 - {json.dumps(json.dumps(_plan(user)))} <<'PY'\n{WRITER}\nPY"
        out = ModelOutput.for_tool_call("mockllm/model", "bash", {"command": cmd})
    out.usage = USAGE
    return out


@task
def scripted_bench(bundle: str):
    t = worldbuilder_bench(bundle)
    t.model = get_model("mockllm/model", custom_outputs=scripted)
    return t
