"""Plain-text renderers: txt, md (verbatim ``text`` or rendered from blocks) and py."""

from __future__ import annotations

import json
import pprint
import textwrap
from typing import Any

from worldbuilder.render.base import RenderContext, document_blocks, json_default, text_value
from worldbuilder.spec import Bullets, Chart, FileSpec, Heading, PageBreak, Paragraph, Table


def _plain_table(block: Table) -> list[str]:
    rows = [[str(c) for c in block.columns]] + [[text_value(v) for v in r] for r in block.rows]
    ncols = max(len(r) for r in rows)
    widths = [max((len(r[i]) for r in rows if i < len(r)), default=0) for i in range(ncols)]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return ([block.caption, ""] if block.caption else []) + lines


def _chart_lines(chart: Chart) -> list[str]:
    lines = [f"[{chart.kind} chart] {chart.title}"]
    for s in chart.series:
        pairs = ", ".join(f"{c}: {text_value(v)}" for c, v in zip(chart.categories, s.values, strict=False))
        lines.append(f"  {s.name}: {pairs}")
    return lines


def blocks_to_text(blocks: list[Any], title: str = "") -> str:
    out: list[str] = [title, "=" * len(title), ""] if title else []
    for b in blocks:
        if isinstance(b, Heading):
            out += [b.text.upper() if b.level <= 1 else b.text, "-" * len(b.text), ""]
        elif isinstance(b, Paragraph):
            out += [textwrap.fill(line, 90) if line else "" for line in b.text.splitlines()] + [""]
        elif isinstance(b, Bullets):
            out += [f"{i + 1}. {x}" if b.numbered else f"- {x}" for i, x in enumerate(b.items)] + [""]
        elif isinstance(b, Table):
            out += _plain_table(b) + [""]
        elif isinstance(b, Chart):
            out += _chart_lines(b) + [""]
        elif isinstance(b, PageBreak):
            out += ["", ""]
    return "\n".join(out).rstrip() + "\n"


def _md_cell(value: Any) -> str:
    return text_value(value).replace("|", "\\|").replace("\n", " ")


def blocks_to_markdown(blocks: list[Any], title: str = "") -> str:
    out: list[str] = [f"# {title}", ""] if title else []
    for b in blocks:
        if isinstance(b, Heading):
            out += [f"{'#' * max(1, min(b.level + (1 if title else 0), 6))} {b.text}", ""]
        elif isinstance(b, Paragraph):
            out += [b.text, ""]
        elif isinstance(b, Bullets):
            out += [f"{i + 1}. {x}" if b.numbered else f"- {x}" for i, x in enumerate(b.items)] + [""]
        elif isinstance(b, Table):
            if b.caption:
                out += [f"**{b.caption}**", ""]
            out.append("| " + " | ".join(_md_cell(c) for c in b.columns) + " |")
            out.append("|" + "|".join("---:" if _numeric(b, i) else "---" for i in range(len(b.columns))) + "|")
            out += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in b.rows] + [""]
        elif isinstance(b, Chart):
            out += [f"*{ln.strip()}*" for ln in _chart_lines(b)] + [""]
        elif isinstance(b, PageBreak):
            out += ["---", ""]
    return "\n".join(out).rstrip() + "\n"


def _numeric(table: Table, col: int) -> bool:
    vals = [r[col] for r in table.rows if col < len(r) and r[col] not in (None, "")]
    return bool(vals) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)


def _starts_with_title(blocks: list[Any], title: str) -> bool:
    return bool(blocks) and isinstance(blocks[0], Heading) and blocks[0].text.strip() == title.strip()


def _document_text(file: FileSpec, to_text: Any) -> bytes:
    """``text`` verbatim, else the blocks through ``to_text`` (plain text or Markdown) under the title."""
    c = file.content
    if c.text is not None:
        return _ensure_newline(c.text).encode("utf-8")
    blocks = document_blocks(file)
    return to_text(blocks, "" if _starts_with_title(blocks, c.title) else c.title).encode("utf-8")


def render_txt(file: FileSpec, ctx: RenderContext) -> bytes:
    return _document_text(file, blocks_to_text)


def render_md(file: FileSpec, ctx: RenderContext) -> bytes:
    return _document_text(file, blocks_to_markdown)


def render_py(file: FileSpec, ctx: RenderContext) -> bytes:
    """Python source: ``text`` verbatim, else a small documented script built from the content."""
    c = file.content
    if c.text is not None and _compiles(c.text):
        return _ensure_newline(c.text).encode("utf-8")
    doc = c.text or c.summary or c.title
    safe = doc.replace("\\", "\\\\").replace('"""', "'''")
    body = [f'"""{_docline(c.title)}', "", safe.rstrip(), '"""', "",
            "from __future__ import annotations", "", ""]
    if c.data is not None:
        plain = json.loads(json.dumps(c.data, default=json_default))
        body += ["DATA = " + pprint.pformat(plain, width=100, sort_dicts=False), "", ""]
        body += ["def main() -> None:", "    for key in DATA:", "        print(key)", "", "",
                 'if __name__ == "__main__":', "    main()"]
        return ("\n".join(body) + "\n").encode("utf-8")
    body += ["def main() -> None:", f"    print({c.title!r})", "", "",
             'if __name__ == "__main__":', "    main()"]
    return ("\n".join(body) + "\n").encode("utf-8")


def _docline(title: str) -> str:
    return title.replace("\\", "/").replace('"', "'").rstrip(".") + "."


def _compiles(source: str) -> bool:
    try:
        compile(source, "<spec>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _ensure_newline(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"
