"""docx renderer (python-docx): headings, paragraphs, lists, tables, charts, header/footer.

Speed: the template is slimmed and serialised once per paper size; styles are set by id (a
style lookup by name scans every style), and the body (paragraphs, lists, tables) is written as XML
text and parsed once; templates already hold the header/footer parts a document needs.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Inches, Mm, Pt

from worldbuilder.render import ooxml, zipfix
from worldbuilder.render.base import RenderContext, document_blocks, letter_paper, text_value
from worldbuilder.render.charts import chart_png
from worldbuilder.render.media import block_jpeg
from worldbuilder.spec import Bullets, Chart, FileSpec, Heading, PageBreak, Paragraph, Table
from worldbuilder.spec import Image as ImageBlock

TABLE_STYLES = {"TableNormal", "TableGrid", "LightGrid-Accent1", "LightList-Accent1", "MediumShading1-Accent1"}
TABLE_STYLE_ID = "LightGrid-Accent1"
_DROP_RELS = ("stylesWithEffects", "customXml", "thumbnail")
_BREAKS = re.compile(r"(\t|\r|\n)")


@lru_cache(maxsize=8)
def template(letter: bool, header: bool = False, footer: bool = False) -> bytes:
    """python-docx's default template, slimmed once: unused table styles, the 440 KB
    stylesWithEffects copy, customXml and the thumbnail dropped; paper size and body font set;
    empty header and/or footer parts added (python-docx parses its default header per document)."""
    doc = Document()
    for rels in (doc.part.package.rels, doc.part.rels):
        for rid, rel in list(rels.items()):
            if rel.reltype.endswith(_DROP_RELS):
                del rels[rid]
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:type")) == "table" and style.get(qn("w:styleId")) not in TABLE_STYLES:
            styles.remove(style)
    doc.styles["Normal"].font.size = Pt(11)
    if not letter:
        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
    if header:
        doc.sections[0].header.is_linked_to_previous = False
    if footer:
        doc.sections[0].footer.is_linked_to_previous = False
    entries = ooxml.docx_entries(doc)
    return zipfix.write_zip(zipfix.Entry(n, b, zipfix.ZIP_EPOCH) for n, b in entries)


def _run_xml(text: str) -> str:
    """``<w:r>`` of ``text`` as python-docx writes it: tabs as ``<w:tab/>``, line breaks as ``<w:br/>``."""
    if not text:
        return ""
    parts = []
    for piece in _BREAKS.split(text):
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            parts.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{space}>{escape(piece)}</w:t>")
    return "<w:r>" + "".join(parts) + "</w:r>"


def _p_xml(text: str = "", style_id: str | None = None, num_id: int | None = None) -> str:
    """A body paragraph as XML (what ``doc.add_paragraph(text)`` plus a style id would build)."""
    ppr = ""
    if style_id or num_id is not None:
        num = f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>' if num_id is not None else ""
        style = f'<w:pStyle w:val="{style_id}"/>' if style_id else ""
        ppr = f"<w:pPr>{style}{num}</w:pPr>"
    return f"<w:p>{ppr}{_run_xml(text)}</w:p>"


class _Body:
    """Body XML collected as text and parsed in one go (python-docx builds a paragraph in ~0.3 ms)."""

    def __init__(self, doc: Any) -> None:
        self.doc, self.parts = doc, []  # type: list[str]

    def add(self, xml: str) -> None:
        self.parts.append(xml)

    def flush(self) -> None:
        """Move the collected elements into the document (before python-docx appends anything itself)."""
        if not self.parts:
            return
        wrapper = parse_xml(f"<w:body {nsdecls('w')}>" + "".join(self.parts) + "</w:body>")
        self.parts = []
        body = self.doc.element.body
        sect = body.find(qn("w:sectPr"))
        for el in list(wrapper):
            if sect is not None:
                sect.addprevious(el)
            else:
                body.append(el)


def _restart_num(doc: Any) -> int:
    """A new numbering instance of "List Number" that starts again at 1 (Word continues numbered lists)."""
    numbering = doc.part.numbering_part.element
    style = doc.styles["List Number"].element
    abstract = numbering.num_having_numId(style.pPr.numPr.numId.val).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return num.numId


def _bullets(body: _Body, block: Bullets, state: dict[str, int]) -> None:
    style = "ListNumber" if block.numbered else "ListBullet"
    for i, item in enumerate(block.items):
        num_id = None
        if block.numbered and i == 0:
            state["numbered"] = state.get("numbered", 0) + 1
            if state["numbered"] > 1:
                num_id = _restart_num(body.doc)
        body.add(_p_xml(item, style, num_id))


def _cell(text: str, width: int, bold: bool = False, right: bool = False) -> str:
    ppr = '<w:pPr><w:jc w:val="right"/></w:pPr>' if right else ""
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    run = f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p>{ppr}{run}</w:p></w:tc>'


def _table(body: _Body, block: Table, content_width: int) -> None:
    """Append a table styled "Light Grid Accent 1" with a bold, repeating header row."""
    if block.caption:
        body.add(_p_xml(block.caption, "Caption"))
    ncols = max([len(block.columns), *(len(r) for r in block.rows)]) or 1
    w = content_width // ncols
    head = "".join(_cell(str(c), w, bold=True) for c in [*block.columns, *[""] * (ncols - len(block.columns))])
    rows = [f"<w:tr><w:trPr><w:tblHeader/></w:trPr>{head}</w:tr>"]
    for r in block.rows:
        cells = [*r, *[None] * (ncols - len(r))]
        rows.append("<w:tr>" + "".join(
            _cell(text_value(v), w, right=isinstance(v, int | float) and not isinstance(v, bool)) for v in cells) + "</w:tr>")
    body.add(f'<w:tbl><w:tblPr><w:tblStyle w:val="{TABLE_STYLE_ID}"/><w:tblW w:w="0" w:type="auto"/>'
             '<w:tblLook w:val="0420" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
             ' w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
             + f'<w:gridCol w:w="{w}"/>' * ncols + "</w:tblGrid>" + "".join(rows) + "</w:tbl>")
    body.add("<w:p/>")


def _page_field(paragraph: Any) -> None:
    run = paragraph.add_run()
    for tag, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if tag:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), tag)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _header_footer(doc: Any, header: str, footer: str) -> None:
    section = doc.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer:
        p = section.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(f"{footer}  |  Page ")
        _page_field(p)


def _picture(body: _Body, data: bytes, width: float, caption: str = "") -> None:
    body.flush()  # python-docx appends the picture paragraph itself
    p = body.doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run().add_picture(io.BytesIO(data), width=Inches(width))
    if caption:
        body.add(_p_xml(caption, "Caption"))


def _block(body: _Body, block: Any, state: dict[str, int]) -> None:
    if isinstance(block, Heading):
        level = max(0, min(block.level, 9))
        body.add(_p_xml(block.text, f"Heading{level}" if level else "Title"))
    elif isinstance(block, Paragraph):
        body.add(_p_xml(block.text))
    elif isinstance(block, Bullets):
        _bullets(body, block, state)
    elif isinstance(block, Table):
        _table(body, block, state["width"])
    elif isinstance(block, Chart):
        _picture(body, chart_png(block), 6)
    elif isinstance(block, PageBreak):
        body.add('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
    elif isinstance(block, ImageBlock):
        width = 6.0 if block.width >= block.height else 4.0
        _picture(body, block_jpeg(block.seed, block.width, block.height), width, block.caption)


def render_docx(file: FileSpec, ctx: RenderContext) -> bytes:
    letter = letter_paper(ctx.spec)
    c = file.content
    doc = Document(io.BytesIO(template(letter, bool(c.header), bool(c.footer))))
    blocks = document_blocks(file)
    first = blocks[0] if blocks else None
    body = _Body(doc)
    if not (isinstance(first, Heading) and first.text.strip() == c.title.strip()):
        body.add(_p_xml(c.title, "Title"))
    _header_footer(doc, c.header, c.footer)
    state = {"width": 8640 if letter else 9070}  # text width in twentieths of a point
    for block in blocks:
        _block(body, block, state)
    body.flush()
    doc.core_properties.title = c.title  # ensures the core part exists; ooxml rewrites it
    return ooxml.package_zip(ooxml.docx_entries(doc), file, ctx.spec)
