"""pdf renderer (reportlab platypus): headings, paragraphs, lists, tables, charts, header/footer."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    PageBreak,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Paragraph as P
from reportlab.platypus import Table as T

from worldbuilder.render import times
from worldbuilder.render.base import RenderContext, document_blocks, letter_paper, text_value
from worldbuilder.render.charts import H as CHART_H
from worldbuilder.render.charts import W as CHART_W
from worldbuilder.render.charts import chart_jpeg
from worldbuilder.render.media import block_jpeg
from worldbuilder.spec import Bullets, Chart, FileSpec, Heading, Paragraph, Table
from worldbuilder.spec import Image as ImageBlock
from worldbuilder.spec import PageBreak as PB

rl_config.invariant = 1  # fixed document ID and no wall-clock dates in the output
rl_config.useA85 = 0  # plain Flate streams: smaller and faster than ASCII85-wrapped ones
STYLES = getSampleStyleSheet()
CELL = ParagraphStyle("cell", parent=STYLES["BodyText"], fontSize=8.5, leading=10.5)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold", textColor=colors.white)
TABLE_STYLE = TableStyle([
    ("FONTSIZE", (0, 1), (-1, -1), 8),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#4472C4")),
    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#EEF2FA")]),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#B4C6E7")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


class JpegReader(ImageReader):
    """A JPEG that reportlab embeds as is (DCTDecode) instead of decoding and re-compressing it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self._data, self._dataA = data, None

    def jpeg_fh(self) -> io.BytesIO:  # type: ignore[override]
        return io.BytesIO(self._data)

    def getRGBData(self) -> bytes:  # only used by drawImage to name the image
        return self._data


class Jpeg(Flowable):
    """A JPEG picture scaled to ``width`` x ``height`` points."""

    def __init__(self, data: bytes, width: float, height: float) -> None:
        super().__init__()
        self.data, self.width, self.height = data, width, height

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(JpegReader(self.data), 0, 0, self.width, self.height)


def _text(s: str) -> str:
    return escape(s).replace("\n", "<br/>")


def _table(block: Table, width: float) -> list[Any]:
    ncols = max([len(block.columns), *(len(r) for r in block.rows)]) or 1
    data = [[P(_text(str(c)), HEAD) for c in block.columns] + [""] * (ncols - len(block.columns))]
    if len(block.rows) > 40:  # long tables: plain cells (no wrapping), much faster to lay out
        limit = max(8, int(width / ncols / 4.6))
        data += [[text_value(v)[:limit] for v in r] + [""] * (ncols - len(r)) for r in block.rows]
    else:
        data += [[P(_text(text_value(v)), CELL) for v in r] + [""] * (ncols - len(r)) for r in block.rows]
    table = T(data, colWidths=[width / ncols] * ncols, repeatRows=1)
    table.setStyle(TABLE_STYLE)
    out: list[Any] = [P(_text(block.caption), STYLES["Italic"])] if block.caption else []
    return [*out, table, Spacer(1, 8)]


def _flowables(blocks: list[Any], width: float) -> list[Any]:
    out: list[Any] = []
    for b in blocks:
        if isinstance(b, Heading):
            out.append(P(_text(b.text), STYLES[f"Heading{max(1, min(b.level, 4))}"]))
        elif isinstance(b, Paragraph):
            out.append(P(_text(b.text), STYLES["BodyText"]))
        elif isinstance(b, Bullets):
            items = [ListItem(P(_text(x), STYLES["BodyText"])) for x in b.items]
            out.append(ListFlowable(items, bulletType="1" if b.numbered else "bullet", start=None if b.numbered else "•"))
        elif isinstance(b, Table):
            out += _table(b, width)
        elif isinstance(b, Chart):
            w = min(width, 16 * cm)
            out.append(Jpeg(chart_jpeg(b), w, w * CHART_H / CHART_W))
        elif isinstance(b, PB):
            out.append(PageBreak())
        elif isinstance(b, ImageBlock):
            w = min(width, 16 * cm) if b.width >= b.height else min(width, 10 * cm)
            out.append(Jpeg(block_jpeg(b.seed, b.width, b.height), w, w * b.height / b.width))
            if b.caption:
                out.append(P(_text(b.caption), STYLES["Italic"]))
    return out


def render_scan(file: FileSpec, ctx: RenderContext) -> bytes:
    """A scanned document: one full-page JPEG image per page (``data.scan``: pages, dpi, quality)."""
    from reportlab.pdfgen.canvas import Canvas

    from worldbuilder.render.screens import scan_pages

    p = file.content.data["scan"]
    pagesize = LETTER if letter_paper(ctx.spec) else A4
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=pagesize, invariant=1)
    canvas.setTitle(file.content.title)
    canvas.setAuthor(file.content.author or ctx.spec.profile.full_name)
    canvas.setCreator(str(p.get("scanner", "Scanner")))
    for page in scan_pages(file, int(p.get("pages", 1)), int(p.get("dpi", 150)), int(p.get("quality", 80))):
        canvas.drawImage(JpegReader(page), 0, 0, width=pagesize[0], height=pagesize[1])
        canvas.showPage()
    canvas.save()
    return _set_dates(buf.getvalue(), file, ctx)


def render_pdf(file: FileSpec, ctx: RenderContext) -> bytes:
    c = file.content
    if isinstance(c.data, dict) and c.data.get("scan"):
        return render_scan(file, ctx)
    pagesize = LETTER if letter_paper(ctx.spec) else A4
    buf = io.BytesIO()
    author = c.author or ctx.spec.profile.full_name
    doc = SimpleDocTemplate(buf, pagesize=pagesize, title=c.title, author=author, subject=c.kind.replace("_", " "),
                            leftMargin=2.2 * cm, rightMargin=2.2 * cm,
                            topMargin=2.2 * cm, bottomMargin=2.2 * cm, invariant=1)

    def decorate(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        w, h = pagesize
        if c.header:
            canvas.drawString(2.2 * cm, h - 1.4 * cm, c.header)
        canvas.drawRightString(w - 2.2 * cm, 1.2 * cm, f"Page {document.page}")
        if c.footer:
            canvas.drawString(2.2 * cm, 1.2 * cm, c.footer)
        canvas.restoreState()

    blocks = document_blocks(file)
    story = [] if blocks and isinstance(blocks[0], Heading) and blocks[0].text == c.title \
        else [P(_text(c.title), STYLES["Title"])]
    story += _flowables(blocks, doc.width) or [P(_text(c.summary or c.title), STYLES["BodyText"])]
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    data = buf.getvalue()
    return _set_dates(data, file, ctx)


def _set_dates(data: bytes, file: FileSpec, ctx: RenderContext) -> bytes:
    """Invariant mode writes 2000-01-01 as creation date; use the FileSpec times instead.

    The replacement has exactly the same length, so xref offsets stay valid."""
    tz = ctx.spec.profile.timezone
    fixed = b"D:20000101000000+00'00'"
    for dt, key in ((file.created, b"/CreationDate"), (file.modified, b"/ModDate")):
        stamp = times.utc(dt, tz).strftime("D:%Y%m%d%H%M%S+00'00'").encode()
        data = data.replace(key + b" (" + fixed + b")", key + b" (" + stamp + b")", 1)
    return data
