"""A small report document (sections of paragraphs, bullets, tables and images) and its md/html renderings."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field


@dataclass
class Image:
    name: str  # file name, e.g. "score_per_deliverable.png"
    png: bytes
    alt: str


@dataclass
class Section:
    title: str
    blocks: list[tuple[str, object]] = field(default_factory=list)  # ("p"|"h"|"ul"|"table"|"img", payload)

    def p(self, text: str) -> Section:
        self.blocks.append(("p", text))
        return self

    def h(self, text: str) -> Section:
        self.blocks.append(("h", text))
        return self

    def ul(self, items: list[str]) -> Section:
        if items:
            self.blocks.append(("ul", items))
        return self

    def table(self, header: list[str], rows: list[list[str]]) -> Section:
        self.blocks.append(("table", (header, rows)))
        return self

    def img(self, image: Image) -> Section:
        self.blocks.append(("img", image))
        return self


@dataclass
class Report:
    title: str
    subtitle: str
    sections: list[Section]

    def images(self) -> list[Image]:
        return [b for s in self.sections for k, b in s.blocks if k == "img"]  # type: ignore[misc]


def _cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def to_markdown(r: Report, image_dir: str) -> str:
    out = [f"# {r.title}", "", r.subtitle, ""]
    for i, s in enumerate(r.sections, 1):
        out += [f"## {i}. {s.title}", ""]
        for kind, b in s.blocks:
            if kind == "p":
                out += [str(b), ""]
            elif kind == "h":
                out += [f"### {b}", ""]
            elif kind == "ul":
                out += [f"- {x}" for x in b] + [""]  # type: ignore[union-attr]
            elif kind == "table":
                head, rows = b  # type: ignore[misc]
                out += ["| " + " | ".join(map(_cell, head)) + " |", "|" + "---|" * len(head)]
                out += ["| " + " | ".join(map(_cell, row)) + " |" for row in rows] + [""]
            elif kind == "img":
                out += [f"![{b.alt}]({image_dir}/{b.name})", ""]  # type: ignore[union-attr]
    return "\n".join(out)


CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
       "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
       "text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}h2{border-bottom:1px solid #ddd}")


def to_html(r: Report) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">", f"<title>{e(r.title)}</title>",
           f"<style>{CSS}</style></head><body>", f"<h1>{e(r.title)}</h1>", f"<p>{e(r.subtitle)}</p>"]
    for i, s in enumerate(r.sections, 1):
        out.append(f"<h2>{i}. {e(s.title)}</h2>")
        for kind, b in s.blocks:
            if kind == "p":
                out.append(f"<p>{e(str(b))}</p>")
            elif kind == "h":
                out.append(f"<h3>{e(str(b))}</h3>")
            elif kind == "ul":
                out.append("<ul>" + "".join(f"<li>{e(str(x))}</li>" for x in b) + "</ul>")  # type: ignore[union-attr]
            elif kind == "table":
                head, rows = b  # type: ignore[misc]
                out.append("<table><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in head) + "</tr>"
                           + "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows)
                           + "</table>")
            elif kind == "img":
                data = base64.b64encode(b.png).decode()  # type: ignore[union-attr]
                out.append(f"<p><img alt=\"{e(b.alt)}\" src=\"data:image/png;base64,{data}\"></p>")  # type: ignore[union-attr]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
