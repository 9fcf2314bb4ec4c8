"""pptx renderer (python-pptx): title slide, bullet slides, tables, native charts, notes."""

from __future__ import annotations

import copy
import io
import re
from functools import lru_cache
from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.opc.constants import CONTENT_TYPE as CT
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.oxml.ns import qn
from pptx.oxml.shapes.shared import BaseShapeElement
from pptx.parts.slide import NotesSlidePart
from pptx.util import Emu, Inches, Pt

from worldbuilder.render import ooxml, times, zipfix
from worldbuilder.render.base import RenderContext, clean_chart, document_blocks, text_value
from worldbuilder.spec import Bullets, Chart, FileSpec, Heading, Paragraph, Slide, Table

TITLE, CONTENT, TITLE_ONLY = 0, 1, 5
CHART_TYPES = {"bar": XL_CHART_TYPE.BAR_CLUSTERED, "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
               "line": XL_CHART_TYPE.LINE_MARKERS, "pie": XL_CHART_TYPE.PIE}
W, H = Inches(13.333), Inches(7.5)
_NV_PR, _PH = qn("p:nvPr"), qn("p:ph")


def _ph(shape: Any) -> Any:
    """``BaseShapeElement.ph`` by direct child lookups: python-pptx compiles the XPath
    ``./*[1]/p:nvPr/p:ph`` on each of the ~20 calls per shape, a third of the time of a deck."""
    first = next(shape.iterchildren("{*}*"), None)
    nv = next(first.iterchildren(_NV_PR), None) if first is not None else None
    return next(nv.iterchildren(_PH), None) if nv is not None else None


BaseShapeElement.ph = property(_ph)  # same element as the XPath finds


@lru_cache(maxsize=1)
def template() -> bytes:
    """python-pptx's default template resized to 16:9, without its blank-slide thumbnail,
    serialised once."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = W, H
    rels = prs.part.package._rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype.endswith("/thumbnail")]:
        rels.pop(rid)
    entries = ooxml.pptx_entries(prs)
    return zipfix.write_zip(zipfix.Entry(n, b, zipfix.ZIP_EPOCH) for n, b in entries)


def slides_of(file: FileSpec) -> list[Slide]:
    """``slides``, else slides made from document blocks (one per heading)."""
    c = file.content
    if c.slides:
        return list(c.slides)
    out = [Slide(title=c.title, subtitle=c.summary or c.author, layout="title")]
    for b in document_blocks(file):
        if isinstance(b, Heading) or len(out) == 1:
            out.append(Slide(title=b.text if isinstance(b, Heading) else c.title))
        cur = out[-1]
        if isinstance(b, Paragraph):
            cur.bullets.append(b.text)
        elif isinstance(b, Bullets):
            cur.bullets.extend(b.items)
        elif isinstance(b, Table) and cur.table is None:
            cur.table = b
        elif isinstance(b, Chart) and cur.chart is None:
            cur.chart = b
    return out


def _table(slide: Any, table: Table, box: tuple[int, int, int, int]) -> None:
    rows = table.rows[:14]
    ncols = max([len(table.columns), *(len(r) for r in rows)]) or 1
    left, top, width, height = box
    shape = slide.shapes.add_table(len(rows) + 1, ncols, left, top, width, Emu(min(height, 370840 * (len(rows) + 1))))
    grid = shape.table
    for j, name in enumerate(table.columns):
        grid.cell(0, j).text = str(name)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row[:ncols]):
            grid.cell(i, j).text = text_value(value)
    size = Pt(14 if len(rows) <= 6 else 11)
    for r in grid.rows:
        for cell in r.cells:
            for p in cell.text_frame.paragraphs:
                p.font.size = size


def _chart(slide: Any, chart: Chart, box: tuple[int, int, int, int]) -> None:
    chart = clean_chart(chart)
    data = CategoryChartData()
    data.categories = chart.categories
    for s in chart.series[:1] if chart.kind == "pie" else chart.series:
        data.add_series(s.name, s.values)
    frame = slide.shapes.add_chart(CHART_TYPES[chart.kind], *box, data)
    native = frame.chart
    native.has_title = True
    native.chart_title.text_frame.text = chart.title
    native.has_legend = chart.kind == "pie" or len(chart.series) > 1
    if native.has_legend:
        native.legend.position = XL_LEGEND_POSITION.BOTTOM
        native.legend.include_in_layout = False


def _bullets(placeholder: Any, items: list[str]) -> None:
    tf = placeholder.text_frame
    tf.text = items[0] if items else ""
    for item in items[1:]:
        tf.add_paragraph().text = item


def _set_title(shape: Any, text: str, steps: tuple[tuple[int, int], ...]) -> None:
    """Set a title and shrink its font for long text, so it never spills onto the next placeholder."""
    shape.text = text
    size = next((pt for limit, pt in steps if len(text) <= limit), steps[-1][1])
    if size:
        for para in shape.text_frame.paragraphs:
            for run in para.runs:
                run.font.size = Pt(size)


TITLE_STEPS = ((36, 0), (60, 34), (90, 28), (10_000, 24))  # (max characters, point size; 0 = layout default)
HEADING_STEPS = ((32, 0), (52, 30), (10_000, 24))


def _content_slide(prs: Any, spec: Slide) -> Any:
    visual = spec.table is not None or spec.chart is not None
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY if visual else CONTENT])
    _set_title(slide.shapes.title, spec.title, HEADING_STEPS)
    if not visual:
        _bullets(slide.placeholders[1], spec.bullets or ([spec.subtitle] if spec.subtitle else []))
        return slide
    top, margin = Inches(1.6), Inches(0.6)
    left, width = margin, W - 2 * margin
    if spec.bullets:
        box = slide.shapes.add_textbox(margin, top, Inches(4.4), H - top - margin)
        box.text_frame.word_wrap = True
        _bullets(box, ["• " + b for b in spec.bullets])
        left, width = Inches(5.3), W - Inches(5.3) - margin
    height = H - top - margin
    if spec.table is not None and spec.chart is not None:
        half = (height - Inches(0.2)) // 2
        _table(slide, spec.table, (left, top, width, half))
        _chart(slide, spec.chart, (left, top + half + Inches(0.2), width, half))
    elif spec.table is not None:
        _table(slide, spec.table, (left, top, width, height))
    elif spec.chart is not None:
        _chart(slide, spec.chart, (left, top, width, height))
    return slide


class _FastNames:
    """``package.next_partname`` without walking every part per call (quadratic in slides): parts are only
    ever added here, so the next free number of a name template is one more than the last one given."""

    def __init__(self, package: Any) -> None:
        self.package, self.last = package, {}  # type: Any, dict[str, int]
        self.slow = package.next_partname

    def __call__(self, tmpl: str) -> PackURI:
        if tmpl not in self.last:
            name = self.slow(tmpl)
            self.last[tmpl] = int(re.findall(r"\d+", name)[-1])
            return name
        self.last[tmpl] += 1
        return PackURI(tmpl % self.last[tmpl])


def _notes(prs: Any, slide: Any, text: str, blank: dict[str, Any]) -> None:
    """Speaker notes. python-pptx clones the notes master's placeholders for every notes slide; the
    result is the same blank page each time, so the first one is kept and copied."""
    if "element" not in blank:
        part = slide.notes_slide.part
        blank["element"] = copy.deepcopy(part._element)
        blank["master"] = part.part_related_by(RT.NOTES_MASTER)
    else:
        package = prs.part.package
        part = NotesSlidePart(package.next_partname("/ppt/notesSlides/notesSlide%d.xml"), CT.PML_NOTES_SLIDE,
                              package, copy.deepcopy(blank["element"]))
        part.relate_to(blank["master"], RT.NOTES_MASTER)
        part.relate_to(slide.part, RT.SLIDE)
        slide.part.relate_to(part, RT.NOTES_SLIDE)
    part.notes_slide.notes_text_frame.text = text


def _add_slide(prs: Any, spec: Slide, blank: dict[str, Any]) -> None:
    if spec.layout == "title":
        slide = prs.slides.add_slide(prs.slide_layouts[TITLE])
        _set_title(slide.shapes.title, spec.title, TITLE_STEPS)
        slide.placeholders[1].text = spec.subtitle
    else:
        slide = _content_slide(prs, spec)
    if spec.notes:
        _notes(prs, slide, spec.notes, blank)


def _fix_embedded(entries: list[tuple[str, bytes]], when: tuple[int, ...], stamp: str) -> list[tuple[str, bytes]]:
    """Chart data workbooks (written by XlsxWriter) carry "now" in their core properties."""
    fixed = b'<dcterms:created xsi:type="dcterms:W3CDTF">%s</dcterms:created>' % stamp.encode()
    out = []
    for name, blob in entries:
        if name.endswith(".xlsx"):
            inner = dict(zipfix.read_entries(blob))
            core = inner.get(ooxml.CORE, b"")
            core = re.sub(rb"<dcterms:created [^>]*>[^<]*</dcterms:created>", fixed, core)
            core = re.sub(rb"<dcterms:modified [^>]*>[^<]*</dcterms:modified>",
                          fixed.replace(b"created", b"modified"), core)
            blob = zipfix.normalise(blob, when, replace={ooxml.CORE: core})  # type: ignore[arg-type]
        out.append((name, blob))
    return out


def _app_xml(blob: bytes, slides: int, notes: int) -> bytes:
    """The template's extended properties claim 0 slides in 4:3; state the real figures."""
    blob = blob.replace(b"On-screen Show (4:3)", b"Widescreen")
    blob = re.sub(rb"<Slides>\d+</Slides>", b"<Slides>%d</Slides>" % slides, blob)
    return re.sub(rb"<Notes>\d+</Notes>", b"<Notes>%d</Notes>" % notes, blob)


def render_pptx(file: FileSpec, ctx: RenderContext) -> bytes:
    prs = Presentation(io.BytesIO(template()))
    prs.part.package.next_partname = _FastNames(prs.part.package)
    specs = slides_of(file)
    blank: dict[str, Any] = {}
    for spec in specs:
        _add_slide(prs, spec, blank)
    prs.core_properties.title = file.content.title
    tz = ctx.spec.profile.timezone
    when = times.zip_time(file.modified, tz)
    stamp = times.utc(file.modified, tz).strftime("%Y-%m-%dT%H:%M:%SZ")
    notes = sum(bool(s.notes) for s in specs)
    entries = [(n, _app_xml(b, len(specs), notes) if n == "docProps/app.xml" else b)
               for n, b in _fix_embedded(ooxml.pptx_entries(prs), when, stamp)]
    return ooxml.package_zip(entries, file, ctx.spec)
