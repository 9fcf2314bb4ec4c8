"""pdf renderer (reportlab canvas): headings, paragraphs, lists, tables, charts, header/footer, page numbers.

Layout (word wrap, pagination) is :mod:`pdf_layout` and :mod:`pdf_table`, not platypus: platypus
re-measures every word on each layout pass and costs several times more than the rest of the file.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from worldbuilder.render import times
from worldbuilder.render.base import RenderContext, document_blocks, letter_paper
from worldbuilder.render.charts import H as CHART_H
from worldbuilder.render.charts import W as CHART_W
from worldbuilder.render.charts import chart_jpeg
from worldbuilder.render.media import block_jpeg
from worldbuilder.render.pdf_layout import BODY, CAPTION, HEADINGS, SMALL, TITLE, Page, line_width
from worldbuilder.render.pdf_table import table
from worldbuilder.spec import Bullets, Chart, FileSpec, Heading, Paragraph, Table
from worldbuilder.spec import Image as ImageBlock
from worldbuilder.spec import PageBreak as PB

rl_config.invariant = 1  # fixed document ID and no wall-clock dates in the output
rl_config.useA85 = 0  # plain Flate streams: smaller and faster than ASCII85-wrapped ones
MARGIN = 2.2 * cm
GREY = "0.4 g"  # header/footer text, #666666


class JpegReader(ImageReader):
    """A JPEG that reportlab embeds as is (DCTDecode) instead of decoding and re-compressing it."""

    def __init__(self, data: bytes) -> None:  # no ImageReader.__init__: that decodes the picture with PIL
        self._data, self._dataA = data, None

    def jpeg_fh(self) -> io.BytesIO:  # type: ignore[override]
        return io.BytesIO(self._data)

    def getRGBData(self) -> bytes:  # only used by drawImage to name the image
        return self._data


def _block(page: Page, b: Any) -> None:
    if isinstance(b, Heading):
        page.heading(b.text, HEADINGS[max(1, min(b.level, 4))])
    elif isinstance(b, Paragraph):
        page.paragraph(b.text, BODY)
    elif isinstance(b, Bullets):
        for i, item in enumerate(b.items, start=1):
            page.paragraph(item, BODY, indent=18, bullet=f"{i}." if b.numbered else "\u2022")
    elif isinstance(b, Table):
        table(page, b)
    elif isinstance(b, Chart):
        w = min(page.width, 16 * cm)
        _image(page, chart_jpeg(b), w, w * CHART_H / CHART_W)
    elif isinstance(b, PB):
        if not page.at_top:
            page.new_page()
    elif isinstance(b, ImageBlock):
        w = min(page.width, 16 * cm) if b.width >= b.height else min(page.width, 10 * cm)
        _image(page, block_jpeg(b.seed, b.width, b.height), w, w * b.height / b.width)
        if b.caption:
            page.paragraph(b.caption, CAPTION)


def _image(page: Page, data: bytes, width: float, height: float) -> None:
    page.image(lambda x, y, w, h: page.canvas.drawImage(JpegReader(data), x, y, w, h), width, height)


def render_scan(file: FileSpec, ctx: RenderContext) -> bytes:
    """A scanned document: one full-page JPEG image per page (``data.scan``: pages, dpi, quality)."""
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
    canvas = Canvas(buf, pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(c.title)
    canvas.setAuthor(c.author or ctx.spec.profile.full_name)
    canvas.setSubject(c.kind.replace("_", " "))

    def decorate(page: Page) -> None:  # one text object each, so text extraction keeps them apart
        w, h = pagesize
        number = f"Page {page.number}"
        items = [(c.header, MARGIN, h - 1.4 * cm), (c.footer, MARGIN, 1.2 * cm),
                 (number, w - MARGIN - line_width(number, SMALL.font, SMALL.size), 1.2 * cm)]
        ops = [f"BT {' '.join(page.text_ops([t], SMALL, x, y))} ET" for t, x, y in items if t]
        page.emit(f"q {GREY} {' '.join(ops)} Q")

    page = Page(canvas, pagesize, MARGIN, decorate)
    blocks = document_blocks(file)
    if not (blocks and isinstance(blocks[0], Heading) and blocks[0].text == c.title):
        page.paragraph(c.title, TITLE)
    for b in blocks:
        _block(page, b)
    if not blocks:
        page.paragraph(c.summary or c.title, BODY)
    page.finish()
    canvas.save()
    return _set_dates(buf.getvalue(), file, ctx)


def _set_dates(data: bytes, file: FileSpec, ctx: RenderContext) -> bytes:
    """Invariant mode writes 2000-01-01 as creation date; use the FileSpec times instead.

    The replacement has exactly the same length, so xref offsets stay valid."""
    tz = ctx.spec.profile.timezone
    fixed = b"D:20000101000000+00'00'"
    for dt, key in ((file.created, b"/CreationDate"), (file.modified, b"/ModDate")):
        stamp = times.utc(dt, tz).strftime("D:%Y%m%d%H%M%S+00'00'").encode()
        data = data.replace(key + b" (" + fixed + b")", key + b" (" + stamp + b")", 1)
    return data
