"""The fast document writers (docx parts written as XML text, pdf laid out without platypus) keep every
feature of a rich document: headings, paragraphs, bullet and restarting numbered lists, tables (a long
one across pages), pictures, charts, page breaks, header/footer with page numbers; text reads back."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import docx
import pptx
import pypdf
import pytest
from office import soffice_convert
from pptx.enum.chart import XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches, Pt

from tests.sample_spec import make_sample_spec
from worldbuilder.extract import extract_text
from worldbuilder.render import _TABLE, RenderContext, render_file
from worldbuilder.render.pdf_layout import word_width, wrap
from worldbuilder.spec import (
    Bullets,
    Chart,
    ComputerSpec,
    ContentSpec,
    FileSpec,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Series,
    Slide,
    Table,
)

TRICKY = 'Fees & charges <net> "quoted" it\'s Zoë naïve café — 50 % done'
LONG_ROWS = [[f"R-{i:03d}", f"Item number {i}", i * 10, 1.5 * i] for i in range(60)]
BLOCKS = [
    Heading(text="Quarterly review", level=1),
    Paragraph(text="Opening paragraph about the quarter. " * 8),
    Heading(text="Highlights", level=2),
    Bullets(items=["First bullet", "Second bullet", TRICKY]),
    Paragraph(text=TRICKY + "\twith a tab\nand a line break"),
    Bullets(items=["Step one", "Step two", "Step three"], numbered=True),
    Heading(text="Numbers", level=3),
    Table(columns=["Asset", "Target", "Actual"], rows=[["Equity", 60, 58.5], ["Bonds", 30, 31.25], ["Cash", 10, 10.25]],
          caption="Allocation"),
    Chart(kind="bar", title="Revenue by quarter", categories=["Q1", "Q2", "Q3"],
          series=[Series(name="2024", values=[1.0, 2.5, 3.0])]),
    Image(seed="site-photo", width=800, height=600, caption="Site photo"),
    PageBreak(),
    Heading(text="Second numbered list", level=2),
    Bullets(items=["Again one", "Again two"], numbered=True),
    Table(columns=["ID", "Item", "Qty", "Price"], rows=LONG_ROWS, caption="Ledger"),
    Heading(text="Closing", level=4),
    Paragraph(text="Unicode beyond WinAnsi: Ωmega ✓ 日本 stays in the file."),
]


def rich_spec(ftype: str) -> tuple[ComputerSpec, FileSpec]:
    base = make_sample_spec()
    f = FileSpec(path=f"Documents/rich.{ftype}", type=ftype, created=datetime(2024, 5, 1, 9), modified=datetime(2024, 5, 2, 17),
                 content=ContentSpec(kind="report", title="Quarterly review", header="ACME Ltd - internal",
                                     footer="Quarterly review v3", blocks=BLOCKS))
    return base.model_copy(update={"files": [f]}), f


def _winansi(word: str) -> bool:
    try:
        word.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _words(text: str) -> Counter[str]:
    return Counter(text.split())


@pytest.mark.parametrize("ftype", ["docx", "pdf"])
def test_rich_document_is_deterministic_and_text_reads_back(ftype: str) -> None:
    spec, f = rich_spec(ftype)
    data = render_file(f, spec)
    assert data == render_file(f, spec.model_copy(deep=True))
    text = extract_text(f.path, data)
    expected = [b.text for b in BLOCKS if isinstance(b, Heading | Paragraph)]
    expected += [i for b in BLOCKS if isinstance(b, Bullets) for i in b.items]
    expected += [str(c) for b in BLOCKS if isinstance(b, Table) for c in [b.caption, *b.columns]]
    expected += [r[1] for r in LONG_ROWS] + ["Site photo"]
    got = _words(text)
    for sentence in expected:
        plain = [w for w in sentence.split() if _winansi(w)]  # standard pdf fonts lack the others
        assert not _words(" ".join(plain)) - got, sentence


def test_docx_features_survive_the_text_writer() -> None:
    spec, f = rich_spec("docx")
    data = render_file(f, spec)
    doc = docx.Document(io.BytesIO(data))
    styles = [(p.style.name, p.text) for p in doc.paragraphs]
    assert ("Heading 1", "Quarterly review") in styles and ("Heading 4", "Closing") in styles
    assert ("List Bullet", TRICKY) in styles
    assert ("Normal", TRICKY + "\twith a tab\nand a line break") in styles
    assert sum(s == "List Number" for s, _ in styles) == 5 and ("Caption", "Site photo") in styles
    assert not any(s == "Title" for s, _ in styles)  # the first heading is the title
    # the second numbered list restarts at 1
    second = next(p for p in doc.paragraphs if p.text == "Again one")
    num = doc.part.numbering_part.element.num_having_numId(second._p.pPr.numPr.numId.val)
    assert num.xpath("./w:lvlOverride/w:startOverride/@w:val") == ["1"]
    first = next(p for p in doc.paragraphs if p.text == "Step one")
    assert first._p.pPr.numPr is None  # the first list uses the style's own numbering
    assert [len(t.rows) for t in doc.tables] == [4, 61]
    assert doc.tables[0].style.name == "Light Grid Accent 1" and doc.tables[0].rows[0].cells[0].paragraphs[0].runs[0].bold
    assert doc.tables[0].cell(2, 2).text == "31.25"
    shapes = doc.inline_shapes
    assert len(shapes) == 2 and shapes[1].width == 5486400 and shapes[1].height == 5486400 * 600 // 800
    types = sorted(p.content_type for p in doc.part.package.parts if p.partname.startswith("/word/media/"))
    assert types == ["image/jpeg", "image/png"]
    assert '<w:br w:type="page"/>' in doc.element.xml
    section = doc.sections[0]
    assert section.header.paragraphs[0].text == "ACME Ltd - internal"
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("Quarterly review v3  |  Page ") and "PAGE" in footer._p.xml
    assert doc.core_properties.title == "Quarterly review"
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist()[0] == "[Content_Types].xml" and zf.testzip() is None


def test_pdf_features_survive_the_canvas_layout() -> None:
    spec, f = rich_spec("pdf")
    data = render_file(f, spec)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 4  # page break + a 60-row table
    texts = [p.extract_text() for p in reader.pages]
    for n, text in enumerate(texts, start=1):
        assert f"Page {n}" in text and "ACME Ltd - internal" in text and "Quarterly review v3" in text
    ledger = [i for i, t in enumerate(texts) if "R-059" in t or "R-000" in t]
    assert len({i for i, t in enumerate(texts) if re.search(r"R-0\d\d", t)}) >= 2  # the long table spans pages
    assert all("ID" in texts[i] and "Price" in texts[i] for i in ledger)  # header row repeated
    assert texts[0].count("Quarterly review") >= 1 and "Step three" in texts[0]
    images = sum(len(p.images) for p in reader.pages)
    assert images == 2  # chart + picture
    assert reader.metadata.title == "Quarterly review" and reader.metadata.creation_date.year == 2024


def rich_deck() -> tuple[ComputerSpec, FileSpec]:
    spec, f = rich_spec("pptx")
    chart = next(b for b in BLOCKS if isinstance(b, Chart))
    pie = Chart(kind="pie", title="Mix", categories=["A", "B"], series=[Series(name="s", values=[1.0, 3.0])])
    slides = [
        Slide(title="Quarterly review", subtitle="ACME · May 2024", layout="title"),
        Slide(title="Agenda", bullets=["Results", TRICKY, "Line one\nline two"], notes="Keep it short."),
        Slide(title="A very long slide title that has to shrink to stay inside its placeholder box", bullets=["x"]),
        Slide(title="Table and chart", table=BLOCKS[7], chart=chart, notes="Numbers first."),
        Slide(title="Bullets beside a chart", bullets=["Left one", "Left two"], chart=pie),
        Slide(title="Long table", table=Table(columns=["ID", "Item", "Qty", "Price"], rows=LONG_ROWS)),
        Slide(title="Subtitle only", subtitle="Nothing else here"),
    ]
    content = f.content.model_copy(update={"slides": slides, "blocks": []})
    f = f.model_copy(update={"content": content})
    return spec.model_copy(update={"files": [f]}), f


def test_pptx_features_survive_the_text_writer() -> None:
    spec, f = rich_deck()
    data = render_file(f, spec)
    assert data == render_file(f, spec.model_copy(deep=True))
    prs = pptx.Presentation(io.BytesIO(data))
    slides = list(prs.slides)
    assert [s.shapes.title.text for s in slides] == [s.title for s in f.content.slides]
    assert [s.slide_layout.name for s in slides] == ["Title Slide", "Title and Content", "Title and Content",
                                                     "Title Only", "Title Only", "Title Only", "Title and Content"]
    assert slides[0].placeholders[1].text == "ACME · May 2024"
    body = slides[1].placeholders[1].text_frame
    assert [p.text for p in body.paragraphs] == ["Results", TRICKY, "Line one\vline two"]
    assert slides[2].shapes.title.text_frame.paragraphs[0].runs[0].font.size == Pt(24)
    assert slides[1].shapes.title.text_frame.paragraphs[0].runs[0].font.size is None
    table = next(sh for sh in slides[3].shapes if sh.has_table).table
    assert [c.text for c in table.rows[0].cells] == ["Asset", "Target", "Actual"] and table.cell(2, 2).text == "31.25"
    assert table.rows[0].cells[0].text_frame.paragraphs[0].font.size == Pt(14)
    long = next(sh for sh in slides[5].shapes if sh.has_table).table
    assert len(long.rows) == 15 and long.cell(1, 0).text == "R-000"
    assert long.rows[1].cells[0].text_frame.paragraphs[0].font.size == Pt(11)
    charts = [sh.chart for s in slides for sh in s.shapes if sh.has_chart]
    assert [c.chart_title.text_frame.text for c in charts] == ["Revenue by quarter", "Mix"]
    assert [c.has_legend for c in charts] == [False, True] and charts[1].legend.position == XL_LEGEND_POSITION.BOTTOM
    assert list(charts[0].plots[0].categories) == ["Q1", "Q2", "Q3"] and charts[0].series[0].values == (1.0, 2.5, 3.0)
    box = next(sh for sh in slides[4].shapes if sh.has_text_frame and sh.shape_type == MSO_SHAPE_TYPE.TEXT_BOX)
    assert box.text_frame.text == "• Left one\n• Left two" and box.text_frame.word_wrap is True
    assert slides[6].placeholders[1].text == "Nothing else here"
    notes = [s.notes_slide.notes_text_frame.text if s.has_notes_slide else None for s in slides]
    assert notes == [None, "Keep it short.", None, "Numbers first.", None, None, None]
    assert prs.core_properties.title == "Quarterly review" and prs.slide_width == Inches(13.333)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        app = zf.read("docProps/app.xml").decode()
        assert "<Slides>7</Slides>" in app and "<Notes>2</Notes>" in app
        for name in (n for n in zf.namelist() if n.endswith(".xlsx")):  # chart workbooks open and carry no "now"
            with zipfile.ZipFile(io.BytesIO(zf.read(name))) as inner:
                assert {i.date_time for i in inner.infolist()} == {(2024, 5, 2, 17, 0, 0)}
    text = extract_text(f.path, data)
    for word in ("Results", "Left", "R-013", "Nothing", "Numbers"):
        assert word in text


def test_wrap_is_greedy_and_never_exceeds_the_width() -> None:
    text = "alpha beta gamma delta " * 20 + "x" * 400
    lines = wrap(text, "Helvetica", 10, 200)
    assert " ".join(lines).replace(" ", "") == text.replace(" ", "")
    for i, line in enumerate(lines):
        width = (sum(word_width(w, "Helvetica") for w in line.split(" ")) + word_width(" ", "Helvetica") * line.count(" ")) / 100
        assert width <= 200 + 1e-6
        if i + 1 < len(lines) and " " not in lines[i + 1]:
            continue
        nxt = lines[i + 1].split(" ")[0] if i + 1 < len(lines) else ""
        if nxt and not nxt.startswith("x"):  # greedy: the next word would not have fitted
            assert width + (word_width(" " + nxt, "Helvetica")) / 100 > 200
    assert wrap("", "Helvetica", 10, 200) == () and wrap("a\n\nb", "Helvetica", 10, 200) == ("a", "", "b")


def test_render_context_renders_rich_docx_with_existing_context() -> None:
    spec, f = rich_spec("docx")
    ctx = RenderContext(spec, _TABLE)
    assert ctx.render(f) == render_file(f, spec)


@pytest.mark.slow
def test_libreoffice_opens_the_rich_documents(tmp_path: Path, soffice: str) -> None:
    for ftype in ("docx", "pptx", "pdf"):
        spec, f = rich_deck() if ftype == "pptx" else rich_spec(ftype)
        src = tmp_path / f"rich.{ftype}"
        src.write_bytes(render_file(f, spec))
        out = soffice_convert(soffice, tmp_path / "lo-profile", "png" if ftype == "pdf" else "pdf", src, tmp_path / ftype)
        if ftype == "pdf":  # LibreOffice Draw imports the pdf and draws its first page
            assert Path(out).stat().st_size > 5000
            continue
        pages = pypdf.PdfReader(out).pages
        text = "".join(p.extract_text() for p in pages)
        if ftype == "docx":
            assert len(pages) >= 3 and "Second numbered list" in text and "R-059" in text
        else:
            assert len(pages) == 7 and "Bullets beside a chart" in text and "R-013" in text
