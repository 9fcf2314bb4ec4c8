"""pptx renderer: title slide, bullet slides, tables, native charts, speaker notes.

Speed: python-pptx builds a 16:9 template (with its notes master) once; each deck is then written
as OOXML text (:mod:`pptx_xml`): slide, notes and relationship parts spliced into the template's
parts. Only native charts go through python-pptx's chart XML writer and its embedded workbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape

from lxml import etree
from pptx import Presentation
from pptx.chart.chart import Chart as NativeChart
from pptx.chart.data import CategoryChartData
from pptx.chart.xmlwriter import ChartXmlWriter
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.oxml import parse_xml
from pptx.util import Emu, Inches

from worldbuilder.render import ooxml, pptx_xml, times, zipfix
from worldbuilder.render.base import RenderContext, clean_chart, document_blocks, text_value
from worldbuilder.spec import Bullets, Chart, FileSpec, Heading, Paragraph, Slide, Table

TITLE, CONTENT, TITLE_ONLY = 0, 1, 5
CHART_TYPES = {"bar": XL_CHART_TYPE.BAR_CLUSTERED, "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
               "line": XL_CHART_TYPE.LINE_MARKERS, "pie": XL_CHART_TYPE.PIE}
W, H = Inches(13.333), Inches(7.5)
TITLE_STEPS = ((36, 0), (60, 34), (90, 28), (10_000, 24))  # (max characters, point size; 0 = layout default)
HEADING_STEPS = ((32, 0), (52, 30), (10_000, 24))
_CT = "application/vnd.openxmlformats-officedocument"
PRES, PRES_RELS, TYPES = "ppt/presentation.xml", "ppt/_rels/presentation.xml.rels", "[Content_Types].xml"
_NOTES_BODY = '<p:ph type="body" idx="3" sz="quarter"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>'


@dataclass(frozen=True)
class _Template:
    entries: dict[str, bytes]
    layouts: dict[int, str]  # layout index -> part name
    notes: str  # a blank notes slide (XML text, the body placeholder's paragraph is "<a:p/>")
    next_rid: int  # first free relationship id of the presentation part
    pres: str
    rels: str


@lru_cache(maxsize=1)
def template() -> _Template:
    """python-pptx's default template resized to 16:9, with its notes master and without the
    blank-slide thumbnail, serialised once."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = W, H
    rels = prs.part.package._rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype.endswith("/thumbnail")]:
        rels.pop(rid)
    prs.part.notes_master_part  # noqa: B018  (added on first access)
    entries = dict(ooxml.pptx_entries(prs))
    layouts = {i: str(prs.slide_layouts[i].part.partname).lstrip("/") for i in (TITLE, CONTENT, TITLE_ONLY)}
    scratch = Presentation()
    notes = etree.tostring(scratch.slides.add_slide(scratch.slide_layouts[0]).notes_slide._element, encoding="unicode")
    pres_rels = entries[PRES_RELS].decode()
    return _Template(entries, layouts, notes, ooxml.next_rid(pres_rels), entries[PRES].decode(), pres_rels)


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


@dataclass
class _Deck:
    """Parts written so far: (name, bytes) entries, content-type overrides, slide relationship ids."""

    tpl: _Template
    parts: list[tuple[str, bytes]] = field(default_factory=list)
    overrides: list[tuple[str, str]] = field(default_factory=list)
    slide_rids: list[str] = field(default_factory=list)
    charts: int = 0
    notes: int = 0


def _title_size(text: str, steps: tuple[tuple[int, int], ...]) -> int:
    """Font size for a title: shrunk for long text so it never spills onto the next placeholder."""
    return next((pt for limit, pt in steps if len(text) <= limit), steps[-1][1])


def _title(text: str, steps: tuple[tuple[int, int], ...], ph: str = '<p:ph type="title"/>') -> str:
    return pptx_xml.placeholder(2, "Title 1", ph, pptx_xml.paragraphs(text, _title_size(text, steps)))


def _table_cells(table: Table) -> tuple[list[list[str]], int]:
    rows = table.rows[:14]
    ncols = max([len(table.columns), *(len(r) for r in rows)]) or 1
    head = [str(c) for c in table.columns[:ncols]] + [""] * (ncols - len(table.columns[:ncols]))
    body = [[text_value(v) for v in r[:ncols]] + [""] * (ncols - len(r[:ncols])) for r in rows]
    return [head, *body], 14 if len(rows) <= 6 else 11


def _chart_part(deck: _Deck, chart: Chart) -> str:
    """Chart and embedded workbook parts (python-pptx's chart XML); returns the chart part's name."""
    chart = clean_chart(chart)
    data = CategoryChartData()
    data.categories = chart.categories
    for s in chart.series[:1] if chart.kind == "pie" else chart.series:
        data.add_series(s.name, s.values)
    space = parse_xml(ChartXmlWriter(CHART_TYPES[chart.kind], data).xml.encode())
    native = NativeChart(space, None)
    native.has_title = True
    native.chart_title.text_frame.text = chart.title
    native.has_legend = chart.kind == "pie" or len(chart.series) > 1
    if native.has_legend:
        native.legend.position = XL_LEGEND_POSITION.BOTTOM
        native.legend.include_in_layout = False
    space.get_or_add_externalData().rId = "rId1"
    deck.charts += 1
    n = deck.charts
    name, book = f"ppt/charts/chart{n}.xml", f"ppt/embeddings/Microsoft_Excel_Sheet{n}.xlsx"
    deck.parts += [(name, etree.tostring(space, encoding="UTF-8", standalone=True)),
                   (f"ppt/charts/_rels/chart{n}.xml.rels", pptx_xml.rels([("package", f"../embeddings/{book[15:]}")])),
                   (book, data.xlsx_blob)]
    deck.overrides.append((name, "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"))
    return name


def _visuals(deck: _Deck, spec: Slide, rels: list[tuple[str, str]]) -> list[str]:
    """Shapes of a title-only slide: optional bullet text box, then table and/or chart."""
    shapes, top, margin = [], Inches(1.6), Inches(0.6)
    left, width = margin, W - 2 * margin
    if spec.bullets:
        box = (margin, top, Inches(4.4), H - top - margin)
        shapes.append(pptx_xml.textbox(3, box, pptx_xml.items(["• " + b for b in spec.bullets])))
        left, width = Inches(5.3), W - Inches(5.3) - margin
    height = H - top - margin
    boxes = []
    if spec.table is not None and spec.chart is not None:
        half = (height - Inches(0.2)) // 2
        boxes = [("table", (left, top, width, half)), ("chart", (left, top + half + Inches(0.2), width, half))]
    elif spec.table is not None:
        boxes = [("table", (left, top, width, height))]
    elif spec.chart is not None:
        boxes = [("chart", (left, top, width, height))]
    for kind, (x, y, cx, cy) in boxes:
        shape_id = 3 + len(shapes)
        if kind == "table" and spec.table is not None:
            cells, size = _table_cells(spec.table)
            shapes.append(pptx_xml.table(shape_id, (x, y, cx, Emu(min(cy, 370840 * len(cells)))), cells, size))
        elif spec.chart is not None:
            name = _chart_part(deck, spec.chart)
            rels.append(("chart", "../" + name[4:]))
            shapes.append(pptx_xml.chart_frame(shape_id, (x, y, cx, cy), f"rId{len(rels)}"))
    return shapes


def _add_slide(deck: _Deck, spec: Slide) -> None:
    n = len(deck.slide_rids) + 1
    tpl = deck.tpl
    if spec.layout == "title":
        layout = TITLE
        shapes = [_title(spec.title, TITLE_STEPS, '<p:ph type="ctrTitle"/>'),
                  pptx_xml.placeholder(3, "Subtitle 2", '<p:ph type="subTitle" idx="1"/>',
                                       pptx_xml.paragraphs(spec.subtitle))]
        rels = [("slideLayout", "../" + tpl.layouts[TITLE][4:])]
    else:
        visual = spec.table is not None or spec.chart is not None
        layout = TITLE_ONLY if visual else CONTENT
        rels = [("slideLayout", "../" + tpl.layouts[layout][4:])]
        shapes = [_title(spec.title, HEADING_STEPS)]
        if visual:
            shapes += _visuals(deck, spec, rels)
        else:
            body = pptx_xml.items(spec.bullets or ([spec.subtitle] if spec.subtitle else []))
            shapes.append(pptx_xml.placeholder(3, "Content Placeholder 2", '<p:ph idx="1"/>', body))
    name = f"ppt/slides/slide{n}.xml"
    if spec.notes:
        deck.notes += 1
        notes = f"ppt/notesSlides/notesSlide{deck.notes}.xml"
        rels.append(("notesSlide", "../" + notes[4:]))
        xml = tpl.notes.replace(_NOTES_BODY + "<a:p/>", _NOTES_BODY + pptx_xml.paragraphs(spec.notes), 1)
        deck.parts += [(notes, (pptx_xml.HEAD + xml).encode()),
                       (f"ppt/notesSlides/_rels/notesSlide{deck.notes}.xml.rels",
                        pptx_xml.rels([("notesMaster", "../notesMasters/notesMaster1.xml"), ("slide", f"../slides/slide{n}.xml")]))]
        deck.overrides.append((notes, f"{_CT}.presentationml.notesSlide+xml"))
    deck.parts += [(name, pptx_xml.slide(shapes)), (f"ppt/slides/_rels/slide{n}.xml.rels", pptx_xml.rels(rels))]
    deck.overrides.append((name, f"{_CT}.presentationml.slide+xml"))
    deck.slide_rids.append(f"rId{tpl.next_rid + n - 1}")


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


def _package_parts(deck: _Deck, specs: list[Slide]) -> dict[str, bytes]:
    """The template's parts with the deck's slides listed in presentation.xml, its rels and content types."""
    tpl, entries = deck.tpl, dict(deck.tpl.entries)
    ids = "".join(f'<p:sldId id="{256 + i}" r:id="{rid}"/>' for i, rid in enumerate(deck.slide_rids))
    pres = tpl.pres.replace("<p:sldIdLst/>", "")
    cut = pres.index("</p:sldMasterIdLst>") + len("</p:sldMasterIdLst>")
    if "<p:notesMasterIdLst>" in pres[cut:cut + 200]:
        cut = pres.index("</p:notesMasterIdLst>") + len("</p:notesMasterIdLst>")
    entries[PRES] = (pres[:cut] + (f"<p:sldIdLst>{ids}</p:sldIdLst>" if ids else "") + pres[cut:]).encode()
    entries[PRES_RELS] = ooxml.add_relationships(
        tpl.rels, [(rid, "slide", f"slides/slide{i}.xml") for i, rid in enumerate(deck.slide_rids, start=1)])
    types = entries[TYPES].decode()
    extra = "".join(f'<Override PartName="/{escape(n)}" ContentType="{ct}"/>' for n, ct in deck.overrides)
    if deck.charts and 'Extension="xlsx"' not in types:
        extra = f'<Default Extension="xlsx" ContentType="{_CT}.spreadsheetml.sheet"/>' + extra
    entries[TYPES] = types.replace("</Types>", extra + "</Types>").encode()
    entries["docProps/app.xml"] = _app_xml(entries["docProps/app.xml"], len(specs), sum(bool(s.notes) for s in specs))
    entries.update(deck.parts)
    return entries


def render_pptx(file: FileSpec, ctx: RenderContext) -> bytes:
    deck = _Deck(template())
    specs = slides_of(file)
    for spec in specs:
        _add_slide(deck, spec)
    tz = ctx.spec.profile.timezone
    when = times.zip_time(file.modified, tz)
    stamp = times.utc(file.modified, tz).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = _fix_embedded(list(_package_parts(deck, specs).items()), when, stamp)
    return ooxml.package_zip(entries, file, ctx.spec)
