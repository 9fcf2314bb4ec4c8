"""docx renderer: headings, paragraphs, lists, tables, pictures, header/footer, written as OOXML text.

Speed: python-docx builds a slimmed template once per (paper size, header, footer); each document is
then written without python-docx: the body, header and footer are XML text spliced into the
template's parts, numbering restarts are appended to ``numbering.xml`` and pictures become media
parts with their relationships. The parts are zipped once by :mod:`zipfix`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from docx import Document
from docx.image.image import Image as DocxImage
from docx.oxml.ns import qn
from docx.shared import Inches, Mm, Pt

from worldbuilder.render import ooxml, times, zipfix
from worldbuilder.render.base import RenderContext, document_blocks, letter_paper, text_value
from worldbuilder.render.charts import chart_png
from worldbuilder.render.media import block_jpeg
from worldbuilder.spec import Bullets, Chart, FileSpec, Heading, PageBreak, Paragraph, Table
from worldbuilder.spec import Image as ImageBlock

TABLE_STYLES = {"TableNormal", "TableGrid", "LightGrid-Accent1", "LightList-Accent1", "MediumShading1-Accent1"}
TABLE_STYLE_ID = "LightGrid-Accent1"
_DROP_RELS = ("stylesWithEffects", "customXml", "thumbnail")
_BREAKS = re.compile(r"(\t|\r|\n)")
DOCUMENT, NUMBERING, RELS, TYPES = ("word/document.xml", "word/numbering.xml", "word/_rels/document.xml.rels",
                                    "[Content_Types].xml")
_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg"}


@lru_cache(maxsize=8)
def template(letter: bool, header: bool = False, footer: bool = False) -> bytes:
    """python-docx's default template, slimmed once: unused table styles, the 440 KB
    stylesWithEffects copy, customXml and the thumbnail dropped; paper size and body font set;
    empty header and/or footer parts added."""
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


class _Template:
    """The template's parts as text, split where a document's own content goes."""

    def __init__(self, letter: bool, header: bool, footer: bool) -> None:
        self.entries = dict(zipfix.read_entries(template(letter, header, footer)))
        doc = self.entries[DOCUMENT].decode()
        cut = doc.index("<w:sectPr", doc.index("<w:body>"))
        self.doc_head, self.doc_tail = doc[:cut], doc[cut:]
        rels = self.entries[RELS].decode()
        self.rels = rels
        self.next_rid = ooxml.next_rid(rels)
        numbering = self.entries[NUMBERING].decode()
        self.numbering = numbering
        self.next_num = max(int(n) for n in re.findall(r'<w:num w:numId="(\d+)"', numbering)) + 1
        styles = self.entries["word/styles.xml"].decode()
        style = re.search(r'<w:style [^>]*w:styleId="ListNumber".*?</w:style>', styles, re.S)
        num_id = re.search(r'<w:numId w:val="(\d+)"/>', style.group(0)).group(1)  # type: ignore[union-attr]
        self.list_abstract = re.search(rf'<w:num w:numId="{num_id}"><w:abstractNumId w:val="(\d+)"/>',
                                       numbering).group(1)  # type: ignore[union-attr]


@lru_cache(maxsize=8)
def _template_parts(letter: bool, header: bool, footer: bool) -> _Template:
    return _Template(letter, header, footer)


def _run_xml(text: str, rpr: str = "") -> str:
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
    return "<w:r>" + rpr + "".join(parts) + "</w:r>"


def _p_xml(text: str = "", style_id: str | None = None, num_id: int | None = None) -> str:
    """A body paragraph as XML (what ``doc.add_paragraph(text)`` plus a style id would build)."""
    ppr = ""
    if style_id or num_id is not None:
        num = f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>' if num_id is not None else ""
        style = f'<w:pStyle w:val="{style_id}"/>' if style_id else ""
        ppr = f"<w:pPr>{style}{num}</w:pPr>"
    return f"<w:p>{ppr}{_run_xml(text)}</w:p>"


class _Doc:
    """The document being written: body XML, extra numbering instances, pictures."""

    def __init__(self, tpl: _Template, width: int) -> None:
        self.tpl, self.width = tpl, width
        self.body: list[str] = []
        self.nums: list[str] = []
        self.media: dict[bytes, tuple[str, str]] = {}  # image bytes -> (part name, rId)
        self.numbered = 0
        self.pictures = 0

    def restart_num(self) -> int:
        """A new numbering instance of "List Number" that starts again at 1 (Word continues numbered lists)."""
        num_id = self.tpl.next_num + len(self.nums)
        self.nums.append(f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{self.tpl.list_abstract}"/>'
                         '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>')
        return num_id

    def image_rid(self, data: bytes, ext: str) -> str:
        if data not in self.media:
            n = len(self.media) + 1
            self.media[data] = (f"word/media/image{n}.{ext}", f"rId{self.tpl.next_rid + n - 1}")
        return self.media[data][1]


def _bullets(doc: _Doc, block: Bullets) -> None:
    style = "ListNumber" if block.numbered else "ListBullet"
    for i, item in enumerate(block.items):
        num_id = None
        if block.numbered and i == 0:
            doc.numbered += 1
            if doc.numbered > 1:
                num_id = doc.restart_num()
        doc.body.append(_p_xml(item, style, num_id))


def _cell(text: str, width: int, bold: bool = False, right: bool = False) -> str:
    ppr = '<w:pPr><w:jc w:val="right"/></w:pPr>' if right else ""
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    run = f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr><w:p>{ppr}{run}</w:p></w:tc>'


def _table(doc: _Doc, block: Table) -> None:
    """Append a table styled "Light Grid Accent 1" with a bold, repeating header row."""
    if block.caption:
        doc.body.append(_p_xml(block.caption, "Caption"))
    ncols = max([len(block.columns), *(len(r) for r in block.rows)]) or 1
    w = doc.width // ncols
    head = "".join(_cell(str(c), w, bold=True) for c in [*block.columns, *[""] * (ncols - len(block.columns))])
    rows = [f"<w:tr><w:trPr><w:tblHeader/></w:trPr>{head}</w:tr>"]
    for r in block.rows:
        cells = [*r, *[None] * (ncols - len(r))]
        rows.append("<w:tr>" + "".join(
            _cell(text_value(v), w, right=isinstance(v, int | float) and not isinstance(v, bool)) for v in cells) + "</w:tr>")
    doc.body.append(f'<w:tbl><w:tblPr><w:tblStyle w:val="{TABLE_STYLE_ID}"/><w:tblW w:w="0" w:type="auto"/>'
                    '<w:tblLook w:val="0420" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
                    ' w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>'
                    + f'<w:gridCol w:w="{w}"/>' * ncols + "</w:tblGrid>" + "".join(rows) + "</w:tbl>")
    doc.body.append("<w:p/>")


_INLINE = (
    '<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:drawing><wp:inline'
    ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    ' xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><wp:extent cx="{cx}" cy="{cy}"/>'
    '<wp:docPr id="{id}" name="Picture {id}"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/>'
    '</wp:cNvGraphicFramePr><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="image.{ext}"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill>'
    '<a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm>'
    '<a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr></pic:pic>'
    "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
)


def _picture(doc: _Doc, data: bytes, ext: str, width: float, caption: str = "") -> None:
    """A centred inline picture ``width`` inches wide (height from the image's own size and dpi)."""
    cx, cy = DocxImage.from_blob(data).scaled_dimensions(Inches(width), None)
    doc.pictures += 1
    doc.body.append(_INLINE.format(cx=int(cx), cy=int(cy), id=doc.pictures, ext=ext, rid=doc.image_rid(data, ext)))
    if caption:
        doc.body.append(_p_xml(caption, "Caption"))


def _block(doc: _Doc, block: Any) -> None:
    if isinstance(block, Heading):
        level = max(0, min(block.level, 9))
        doc.body.append(_p_xml(block.text, f"Heading{level}" if level else "Title"))
    elif isinstance(block, Paragraph):
        doc.body.append(_p_xml(block.text))
    elif isinstance(block, Bullets):
        _bullets(doc, block)
    elif isinstance(block, Table):
        _table(doc, block)
    elif isinstance(block, Chart):
        _picture(doc, chart_png(block), "png", 6)
    elif isinstance(block, PageBreak):
        doc.body.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
    elif isinstance(block, ImageBlock):
        width = 6.0 if block.width >= block.height else 4.0
        _picture(doc, block_jpeg(block.seed, block.width, block.height), "jpg", width, block.caption)


_PAGE_FIELD = ('<w:r><w:fldChar w:fldCharType="begin"/><w:instrText xml:space="preserve"> PAGE </w:instrText>'
               '<w:fldChar w:fldCharType="end"/></w:r>')


def _header_footer(entries: dict[str, bytes], header: str, footer: str) -> None:
    """The header text, and the footer text centred and followed by the page number."""
    if header:
        old = '<w:pPr><w:pStyle w:val="Header"/></w:pPr></w:p>'
        xml = entries["word/header1.xml"].decode()
        entries["word/header1.xml"] = xml.replace(old, old[:-6] + _run_xml(header) + "</w:p>").encode()
    if footer:
        old = '<w:pPr><w:pStyle w:val="Footer"/></w:pPr></w:p>'
        new = ('<w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="center"/></w:pPr>'
               f"{_run_xml(footer + '  |  Page ')}{_PAGE_FIELD}</w:p>")
        xml = entries["word/footer1.xml"].decode()
        entries["word/footer1.xml"] = xml.replace(old, new).encode()


def _package(doc: _Doc, file: FileSpec, ctx: RenderContext) -> bytes:
    """The template's parts with this document's body, numbering, header/footer and pictures, zipped."""
    tpl, c = doc.tpl, file.content
    entries = dict(tpl.entries)
    entries[DOCUMENT] = (tpl.doc_head + "".join(doc.body) + tpl.doc_tail).encode()
    if doc.nums:
        entries[NUMBERING] = tpl.numbering.replace("</w:numbering>", "".join(doc.nums) + "</w:numbering>").encode()
    _header_footer(entries, c.header, c.footer)
    if doc.media:
        entries[RELS] = ooxml.add_relationships(tpl.rels, [(rid, "image", name[5:]) for name, rid in doc.media.values()])
        exts = sorted({name.rsplit(".", 1)[1] for name, _ in doc.media.values()})
        types = entries[TYPES].decode()
        defaults = "".join(f'<Default Extension="{e}" ContentType="{_MEDIA_TYPES[e]}"/>' for e in exts)
        entries[TYPES] = types.replace("<Default ", defaults + "<Default ", 1).encode()
        for data, (name, _) in doc.media.items():
            entries[name] = data
    entries[ooxml.CORE] = ooxml.core_xml(file, ctx.spec)
    when = times.zip_time(file.modified, ctx.spec.profile.timezone)
    names = zipfix.ooxml_order(entries)
    return zipfix.write_zip(zipfix.Entry(n, entries[n], when) for n in names)


def render_docx(file: FileSpec, ctx: RenderContext) -> bytes:
    letter = letter_paper(ctx.spec)
    c = file.content
    doc = _Doc(_template_parts(letter, bool(c.header), bool(c.footer)), 8640 if letter else 9070)
    blocks = document_blocks(file)
    first = blocks[0] if blocks else None
    if not (isinstance(first, Heading) and first.text.strip() == c.title.strip()):
        doc.body.append(_p_xml(c.title, "Title"))
    for block in blocks:
        _block(doc, block)
    return _package(doc, file, ctx)
