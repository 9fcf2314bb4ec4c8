"""Renderers: every type renders, opens with its own library, is deterministic and timestamped."""

from __future__ import annotations

import csv
import email
import hashlib
import io
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from datetime import date, datetime
from email import policy
from pathlib import Path

import docx
import openpyxl
import pptx
import pypdf
import pytest
from office import soffice_convert
from PIL import Image

from tests.sample_spec import make_sample_spec
from worldbuilder.api import manifest
from worldbuilder.render import RENDERERS, RenderContext, RenderError, render_file, render_tree, times
from worldbuilder.render.xlsx import render_xlsx
from worldbuilder.spec import FILE_TYPES, Cell, ComputerSpec, ContentSpec, FileSpec, Paragraph, Table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def spec() -> ComputerSpec:
    return make_sample_spec()


@pytest.fixture(scope="module")
def tree(spec: ComputerSpec, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("render") / "tree"
    calls: list[tuple[str, int, int]] = []
    render_tree(spec, root, progress=lambda *a: calls.append(a))
    assert calls[-1] == ("render", len(spec.files), len(spec.files))
    return root


def by_type(spec: ComputerSpec, tree: Path, ftype: str) -> tuple[FileSpec, Path]:
    f = next(f for f in spec.files if f.type == ftype)
    return f, tree / f.path


def test_every_type_is_registered_and_rendered(spec: ComputerSpec, tree: Path) -> None:
    assert set(RENDERERS) == set(FILE_TYPES)
    assert {f.type for f in spec.files} == set(FILE_TYPES) - MEDIA  # media: test_media_files_are_valid
    for f in spec.files:
        assert (tree / f.path).stat().st_size > 0, f.path
    for d in spec.dirs:
        assert (tree / d.path).is_dir()


MEDIA = {"jpg", "mp3", "vcf", "mp4", "heic"}


def test_media_files_are_valid(spec: ComputerSpec) -> None:
    """A photo with EXIF camera and date, an MP3 of whole frames, and vCards, each opened by its reader."""
    import io as _io

    from PIL import Image as PILImage

    from worldbuilder.render import render_file
    from worldbuilder.spec import ContentSpec, FileSpec

    base = spec.files[0]
    make = lambda path, t, data: FileSpec(path=path, type=t, created=base.created, modified=base.modified,  # noqa: E731
                                          content=ContentSpec(kind="media", title="IMG_0001", data=data))
    jpg = render_file(make("p/IMG_0001.jpg", "jpg", {"width": 640, "height": 480, "make": "Canon",
                                                      "model": "Canon EOS R6", "taken": "2024:05:01 10:00:00"}), spec)
    with PILImage.open(_io.BytesIO(jpg)) as im:
        exif = im.getexif()
        assert im.size == (640, 480) and exif[0x0110] == "Canon EOS R6"
        assert exif.get_ifd(0x8769)[0x9003] == "2024:05:01 10:00:00"
    mp3 = render_file(make("a/memo.mp3", "mp3", {"seconds": 3}), spec)
    assert mp3[:3] == b"ID3" and b"\xff\xfb\x90\x64" in mp3
    vcf = render_file(make("c/contacts.vcf", "vcf", [{"name": "Ana Ruiz", "email": "ana@x.org", "phone": "555"}]),
                      spec).decode()
    assert vcf.startswith("BEGIN:VCARD") and "FN:Ana Ruiz" in vcf and vcf.rstrip().endswith("END:VCARD")
    assert render_file(make("p/IMG_0001.jpg", "jpg", {"width": 640, "height": 480}), spec) == \
        render_file(make("p/IMG_0001.jpg", "jpg", {"width": 640, "height": 480}), spec)


def test_docx(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "docx")
    doc = docx.Document(str(path))
    styles = [(p.style.name, p.text) for p in doc.paragraphs]
    assert ("Heading 1", f.content.title) in styles
    assert ("Heading 2", "Highlights") in styles
    assert sum(s == "List Bullet" for s, _ in styles) == 3 and sum(s == "List Number" for s, _ in styles) == 4
    table = doc.tables[0]
    assert table.style.name == "Light Grid Accent 1"
    assert [c.text for c in table.rows[0].cells] == ["Asset class", "Target", "Actual", "Drift"]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert table.rows[1].cells[0].text == "US Large Cap Equity"
    assert len(doc.inline_shapes) == 1  # the chart picture
    assert doc.sections[0].header.paragraphs[0].text == f.content.header
    assert doc.sections[0].footer.paragraphs[0].text.startswith(f.content.footer)
    cp = doc.core_properties
    assert (cp.author, cp.title, cp.last_modified_by) == (spec.profile.full_name, f.content.title, spec.profile.full_name)
    assert cp.created == times.utc(f.created, spec.profile.timezone)
    assert cp.modified == times.utc(f.modified, spec.profile.timezone)
    # the second numbered list restarts at 1: its own w:num with a startOverride
    second = next(p for p in doc.paragraphs if p.text == "Keep the real-estate allocation")
    num_id = second._p.pPr.numPr.numId.val
    num = doc.part.numbering_part.element.num_having_numId(num_id)
    assert num.xpath("./w:lvlOverride/w:startOverride/@w:val") == ["1"]
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist()[0] == "[Content_Types].xml"
        assert {i.date_time for i in zf.infolist()} == {times.zip_time(f.modified, spec.profile.timezone)}


def test_xlsx(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [s.name for s in f.content.sheets]
    ws = wb["Holdings"]
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    assert ws["C2"].value == 1850 and isinstance(ws["C2"].value, int)
    assert ws["E2"].value == "=C2*D2" and ws["E2"].number_format == '"$"#,##0.00'
    assert ws["F2"].number_format == "0.0%"
    assert ws.column_dimensions["A"].width == 24
    assert len(ws._charts) == 1
    cash = wb["Cash flows Q3"]
    assert cash["A2"].value == datetime(2024, 7, 15) and cash["A2"].is_date
    assert len(cash._charts) == 1
    # formula cells carry the stated value as cached result, like files saved by Excel
    cached = openpyxl.load_workbook(path, data_only=True)["Holdings"]
    total = f.content.sheets[0].rows[-1][4]
    assert isinstance(total, Cell) and cached["E7"].value == pytest.approx(total.value)
    assert wb.properties.creator == spec.profile.full_name
    assert wb.properties.modified == times.utc(f.modified, spec.profile.timezone).replace(tzinfo=None)


def test_pptx(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "pptx")
    prs = pptx.Presentation(str(path))
    slides = list(prs.slides)
    assert [s.shapes.title.text for s in slides] == [s.title for s in f.content.slides]
    assert slides[0].placeholders[1].text == f.content.slides[0].subtitle
    assert "AUM $1,245,300 (+3.9%)" in slides[1].placeholders[1].text_frame.text
    tables = [sh for sh in slides[2].shapes if sh.has_table]
    assert tables and tables[0].table.cell(1, 0).text == "US Large Cap Equity"
    charts = [sh.chart for s in slides for sh in s.shapes if sh.has_chart]
    assert len(charts) == 2 and charts[0].plots[0].categories[3] == "Q3 2024"
    assert slides[1].notes_slide.notes_text_frame.text == "Open with the AUM figure."
    assert prs.core_properties.author == spec.profile.full_name
    with zipfile.ZipFile(path) as zf:  # chart data workbooks carry the file's time, not "now"
        books = [n for n in zf.namelist() if n.endswith(".xlsx")]
        assert len(books) == 2
        for name in books:
            with zipfile.ZipFile(io.BytesIO(zf.read(name))) as inner:
                core = inner.read("docProps/core.xml").decode()
                assert core.count("2024-10-07T23:20:00Z") == 2, core
                assert {i.date_time for i in inner.infolist()} == {(2024, 10, 7, 17, 20, 0)}


def test_pdf(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "pdf")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) > 1
    assert reader.metadata.title == f.content.title and reader.metadata.author == spec.profile.full_name
    text = reader.pages[0].extract_text()
    assert "Annual Compliance Summary 2024" in text and f.content.header in text
    assert reader.metadata.creation_date.year == 2024


def test_png(spec: ComputerSpec, tree: Path) -> None:
    _, path = by_type(spec, tree, "png")
    with Image.open(path) as img:
        img.load()
        assert img.format == "PNG" and img.size == (800, 480)
        assert len(img.getcolors(100000) or []) > 10  # something was drawn
        assert not {k for k in img.info if k not in ("dpi", "gamma")}  # no text chunks / timestamps


def test_eml(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    e = f.content.email
    assert msg["Message-ID"] == e.message_id and msg["In-Reply-To"] == e.in_reply_to
    assert msg["Subject"] == e.subject and "Tom Becker" in msg["Cc"]
    assert msg.get_body(("plain",)).get_content().startswith("Hi Daniel")
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == "2024-Q3 Portfolio Review.docx"
    assert att.get_content() == (tree / e.attachments[0]).read_bytes()
    assert msg.get_boundary() and hashlib.sha256(e.message_id.encode()).hexdigest()[:24] in msg.get_boundary()


def test_ics(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "ics")
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    unfolded = raw.decode().replace("\r\n ", "")
    assert unfolded.count("BEGIN:VEVENT") == len(f.content.events)
    assert "SUMMARY:Harlow family: Q3 review\\, 529 plan\\; next steps" in unfolded
    assert "DTSTART:20241015T160000Z" in unfolded  # 10:00 in Denver (MDT)
    assert "ATTENDEE;CN=\"Daniel Harlow\"" in unfolded and "DTSTAMP:20241008T150000Z" in unfolded


def test_data_files(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "json")
    assert json.loads(path.read_text()) == f.content.data
    f, path = by_type(spec, tree, "jsonl")
    assert [json.loads(x) for x in path.read_text().splitlines()] == f.content.data
    _, path = by_type(spec, tree, "toml")
    conf = tomllib.loads(path.read_text())
    assert conf["general"] == {"currency": "USD", "timezone": "America/Denver"}  # None dropped
    f, path = by_type(spec, tree, "csv")
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == f.content.sheets[0].columns and rows[1][:3] == ["US Large Cap Equity", "VTI", "1850"]
    assert len(rows) == len(f.content.sheets[0].rows) + 1


def test_text_files(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "py")
    compile(path.read_text(), str(path), "exec")
    assert path.read_text() == f.content.text
    _, path = by_type(spec, tree, "md")
    md = path.read_text()
    assert md.startswith("# Client folder conventions") and "| Folder | Holds |" in md and "|---|---|" in md
    _, path = by_type(spec, tree, "txt")
    assert "US Large Cap Equity   40%" in path.read_text()


def test_zip(spec: ComputerSpec, tree: Path) -> None:
    f, path = by_type(spec, tree, "zip")
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == ["Harlow Family/2024-Q3 Portfolio Review.docx", "Harlow Family/Harlow_Allocation_2024.xlsx"]
        for name, member in zip(names, f.content.members, strict=True):
            assert zf.read(name) == (tree / member).read_bytes()
            info = zf.getinfo(name)
            assert info.date_time == times.zip_time(spec.file(member).modified, spec.profile.timezone)


def test_times(spec: ComputerSpec, tree: Path, tmp_path: Path) -> None:
    tz = spec.profile.timezone
    for f in spec.files:
        assert (tree / f.path).stat().st_mtime == times.epoch(f.modified, tz), f.path
    small = spec.model_copy(update={"files": [f for f in spec.files if f.type in ("txt", "md", "json")]})
    render_tree(small, tmp_path / "small")  # a fresh tree: nothing has read the files yet
    for f in small.files:
        st = (tmp_path / "small" / f.path).stat()
        assert st.st_atime == st.st_mtime == times.epoch(f.modified, tz), f.path
    clients = tree / "Documents/Clients/Harlow Family"
    latest = max(times.epoch(f.modified, tz) for f in spec.files if f.path.startswith("Documents/Clients/"))
    assert clients.stat().st_mtime == latest == (tree / "Documents/Clients").stat().st_mtime
    archive = tree / "Documents/Archive"  # an empty folder keeps its creation time
    assert archive.stat().st_mtime == times.epoch(datetime(2024, 1, 8, 9, 0), tz)


def test_render_twice_is_identical(spec: ComputerSpec, tree: Path, tmp_path: Path) -> None:
    render_tree(make_sample_spec(), tmp_path / "again")
    assert manifest(tmp_path / "again") == manifest(tree)
    # a fresh interpreter (cold caches, another hash seed) on the JSON round-tripped spec
    spec.save(tmp_path / "spec.json")
    code = ("import sys; from worldbuilder.spec import ComputerSpec; from worldbuilder.render import render_tree; "
            "render_tree(ComputerSpec.load(sys.argv[1]), sys.argv[2])")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "spec.json"), str(tmp_path / "cold")],
                   check=True, env=env, cwd=ROOT)
    assert manifest(tmp_path / "cold") == manifest(tree)
    assert (tmp_path / "cold" / spec.files[0].path).stat().st_mtime == (tree / spec.files[0].path).stat().st_mtime


MINIMAL = [
    ContentSpec(kind="note", title="Only a title"),
    ContentSpec(kind="note", title="Text only", text="# Plan\n\nFirst paragraph\nwraps here.\n\n- one\n- two\n"),
    ContentSpec(kind="note", title="Blocks only", blocks=[Paragraph(text="Hello\x0bworld"), Table(
        columns=["a", "b"], rows=[[1, "x"], [2.5, None], ["2024-01-02", True]])]),
    ContentSpec(kind="data", title="Data only", data=[{"a": 1, "b": None}, {"a": 2, "c": "2024-05-01"}]),
]


@pytest.mark.parametrize("ftype", FILE_TYPES)
@pytest.mark.parametrize("variant", range(len(MINIMAL)))
def test_sparse_content_falls_back(spec: ComputerSpec, ftype: str, variant: int) -> None:
    when = datetime(2024, 5, 1, 12, 0)
    f = FileSpec(path=f"x/file.{ftype}", type=ftype, created=when, modified=when, content=MINIMAL[variant])
    data = render_file(f, spec)
    assert data or ftype == "jsonl"
    assert render_file(f, spec) == data
    if ftype == "py":
        compile(data, "file.py", "exec")
    elif ftype == "docx":
        docx.Document(io.BytesIO(data))
    elif ftype == "xlsx":
        openpyxl.load_workbook(io.BytesIO(data))
    elif ftype == "pptx":
        assert len(pptx.Presentation(io.BytesIO(data)).slides) >= 1
    elif ftype == "pdf":
        assert len(pypdf.PdfReader(io.BytesIO(data)).pages) >= 1
    elif ftype in ("json", "toml"):
        (json.loads if ftype == "json" else tomllib.loads)(data.decode())


def test_bad_references_raise_render_error(spec: ComputerSpec) -> None:
    when = datetime(2024, 5, 1)
    z = FileSpec(path="a.zip", type="zip", created=when, modified=when,
                 content=ContentSpec(kind="archive", title="z", members=["missing.txt"]))
    with pytest.raises(RenderError, match="missing.txt"):
        render_file(z, spec)
    loop = spec.model_copy(update={"files": [
        FileSpec(path="a.zip", type="zip", created=when, modified=when,
                 content=ContentSpec(kind="archive", title="a", members=["b.zip"])),
        FileSpec(path="b.zip", type="zip", created=when, modified=when,
                 content=ContentSpec(kind="archive", title="b", members=["a.zip"]))]})
    with pytest.raises(RenderError, match="circular"):
        render_file(loop.files[0], loop)


def test_cell_values_typed() -> None:
    from worldbuilder.render.base import typed_value

    assert typed_value("2024-03-01") == date(2024, 3, 1)
    assert typed_value("2024-03-01T10:30:00") == datetime(2024, 3, 1, 10, 30)
    assert typed_value("Q1 2024") == "Q1 2024"


# ----------------------------------------------------------------------------- LibreOffice


@pytest.mark.slow
def test_libreoffice_opens_office_files_and_recalculates(spec: ComputerSpec, tree: Path, tmp_path: Path,
                                                         soffice: str) -> None:
    profile = tmp_path / "lo-profile"
    for ftype in ("docx", "xlsx", "pptx"):
        _, path = by_type(spec, tree, ftype)
        pdf = soffice_convert(soffice, profile, "pdf", path, tmp_path / ftype)
        assert len(pypdf.PdfReader(pdf).pages) >= 1
    # Formulas: a copy without cached values, so every number below is LibreOffice's own result.
    f, _ = by_type(spec, tree, "xlsx")
    bare = tmp_path / "bare" / "book.xlsx"
    bare.parent.mkdir()
    bare.write_bytes(render_xlsx(f, RenderContext(spec, {}), cached_values=False))
    assert openpyxl.load_workbook(bare, data_only=True)["Holdings"]["E7"].value is None
    recalculated = openpyxl.load_workbook(soffice_convert(soffice, profile, "xlsx", bare, tmp_path / "calc"), data_only=True)
    checked = 0
    for sheet in f.content.sheets:
        ws = recalculated[sheet.name]
        for i, row in enumerate(sheet.rows, start=2):
            for j, cell in enumerate(row, start=1):
                if isinstance(cell, Cell) and cell.formula:
                    got = ws.cell(row=i, column=j).value
                    assert got == pytest.approx(cell.value, rel=1e-6, abs=1e-6), (sheet.name, i, j, cell.formula)
                    checked += 1
    assert checked >= 10


def _nasty() -> ContentSpec:
    from worldbuilder.spec import Bullets, Chart, Heading, Series, Sheet, Slide

    chart = Chart(kind="pie", title="", categories=["a", "b", "c"],
                  series=[Series(name="s", values=[1.0, float("nan")]), Series(name="t", values=[-1, 2, 3, 4])])
    return ContentSpec(
        kind="edge", title="Ünïcødé — \"quotes\" & <tags> \\ back", header="h\nx", footer="f",
        blocks=[Heading(text="", level=12), Bullets(items=[]), Table(columns=[], rows=[]),
                Table(columns=["only"], rows=[[1, 2, 3], []]), chart, Chart(kind="bar", title="empty", categories=[], series=[]),
                Paragraph(text="x" * 5000)],
        sheets=[Sheet(name="a/b:c*?[]", columns=[], rows=[[Cell(value=3, formula="SUM(1,2)")], [float("inf")]], chart=chart),
                Sheet(name="A-B-C----", columns=["x"], rows=[], freeze_header=False),
                Sheet(name="a-b-c----", columns=["x", "y"], rows=[["q", 1]], chart=chart.model_copy(update={"kind": "line"}))],
        slides=[Slide(title="", layout="title"), Slide(title="t", table=Table(columns=[], rows=[]), notes="n"),
                Slide(title="c", chart=chart, bullets=["b"] * 30)],
        chart=chart, events=[], data={"nested": {"deep": [None, {"k": None}], "d": date(2024, 1, 1)}, 1: "int key"},
        email=None, text=None)


@pytest.mark.parametrize("ftype", FILE_TYPES)
def test_edge_content_renders(spec: ComputerSpec, ftype: str) -> None:
    when = datetime(2024, 5, 1, 12, 0)
    f = FileSpec(path=f"edge/file.{ftype}", type=ftype, created=when, modified=when, content=_nasty())
    assert render_file(f, spec) == render_file(f, spec)


def _both_sheet_writers(ws) -> tuple[bytes, bytes]:
    from openpyxl.worksheet._writer import WorksheetWriter

    from tests.xlsx_reference import FastRowsWriter

    slow = WorksheetWriter(ws, out=io.BytesIO())
    slow.write()
    fast = FastRowsWriter(ws, out=io.BytesIO())
    fast.write()
    return fast.xml(), slow.read()


def test_fast_sheet_rows_are_openpyxl_bytes() -> None:
    """The xlsx row writer is byte-identical to openpyxl's on awkward values, and defers to it otherwise."""
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    values = ["plain", " lead", "trail ", "a & b < c > d", "cr\rlf\n\ttab", "Weiß Ümlaut", "emoji 😀 ok", "",
              None, 0, -1.5, 1e-9, 12345678901234567890, 9999999999999999, -(2**53), 2**53 - 1, True, False, float("nan"), "#N/A", "=SUM(A1:A2)&\"<x>\"",
              date(2024, 3, 4), datetime(2024, 3, 4, 9, 30, 15), "=A1"]
    for i, v in enumerate(values, start=1):
        c = ws.cell(row=i, column=1 + i % 3, value=v)
        if i % 4 == 0:
            c.font = Font(bold=True)
        if i % 5 == 0:
            c.number_format = "0.00"
    ws.cell(row=30, column=2).font = Font(italic=True)  # styled, empty
    fast, slow = _both_sheet_writers(ws)
    assert fast == slow and b"<sheetData><row" in fast
    ws.row_dimensions[3].height = 30  # row dimensions: openpyxl's own writer
    fast, slow = _both_sheet_writers(ws)
    assert fast == slow


# ----------------------------------------------------------------------------- xlsx direct writer


def _awkward_sheets() -> list:
    """Sheets that exercise every branch of the xlsx writer (types, formats, charts, odd layouts)."""
    from decimal import Decimal

    from worldbuilder.spec import Chart, Series, Sheet

    values = ["plain", " lead", "trail ", "a & b < c > d", "cr\rlf\n\ttab", "Weiß Ümlaut £ €", "emoji 😀", "", None,
              0, -1.5, 1e-9, 12345678901234567890, 9999999999999999, -(2**53), 2**53 - 1, True, False, float("nan"), float("inf"), "#N/A", "=A1", "=",
              "2024-03-04", "2024-03-04T09:30:15", Cell(value=date(2024, 3, 4)), Cell(value=datetime(2024, 3, 4, 9, 30, 15)),
              Cell(value=Decimal("2.50")),
              "x" * 40000]
    cells = [Cell(value=1234.5, number_format='"£"#,##0.00'), Cell(value=0.25, number_format="0.0%"),
             Cell(value=3, formula="SUM(1,2)", number_format="0.00", bold=True), Cell(value=date(2024, 1, 2)),
             Cell(value=datetime(2024, 1, 2, 3, 4), formula="=NOW()"), Cell(value=None, number_format="#,##0"),
             Cell(value="2024-05-06", number_format="dd/mm/yyyy"), Cell(value=7, formula="'It''s'!B2*1"),
             Cell(value=True, formula="1=1"), Cell(value=float("nan"), formula="NA()"), Cell(value="x", bold=True),
             Cell(value=5, number_format="General"), Cell(value=2.5, number_format="0.00")]
    bar = Chart(kind="bar", title="By & <month> — été", categories=["Jan", "Fév"], x_label="Month", y_label="£",
                series=[Series(name="Sales €", values=[1, 2]), Series(name="Cost", values=[3.5, float("nan")])])
    own = Chart(kind="column", title="", categories=["a", "b"], series=[Series(name="v", values=[1, 2])])
    return [
        Sheet(name="Mixed: types?", columns=["=header", "#REF!", "2024-01-01", "Ünï"], rows=[values[i:i + 5] for i in range(0, len(values), 5)]),
        Sheet(name="Cells", columns=["a", "b"], rows=[cells[:7], cells[7:], [], [None, None, None]], column_widths=[12.5, 0]),
        Sheet(name="It's", columns=["k", "v"], rows=[["a", 1], ["b", 2]], chart=own, freeze_header=False),
        Sheet(name="Coût & \"été\" <1>", columns=["k"], rows=[["a", 1, 2, 3, 4, 5]], chart=bar),
        Sheet(name="Pie", columns=[], rows=[], chart=Chart(kind="pie", title="p", categories=["only"],
                                                           series=[Series(name="s", values=[1]), Series(name="t", values=[2])])),
        Sheet(name="Line", columns=["x"], rows=[[1]], chart=Chart(kind="line", title="empty", categories=[], series=[Series(name="s", values=[])])),
        Sheet(name="Line", columns=["dup title"], rows=[[Cell(value=datetime(1900, 1, 1))], [Cell(value=date(1900, 3, 1))]]),
    ]


@pytest.mark.parametrize("cached", [True, False])
def test_xlsx_direct_writer_is_openpyxl_bytes(spec: ComputerSpec, cached: bool) -> None:
    """The direct writer produces the very bytes openpyxl's object model would (tests/xlsx_reference.py)."""
    from tests.xlsx_reference import render_xlsx as reference

    when = datetime(2024, 5, 1, 12, 0)
    contents = [ContentSpec(kind="edge", title="t", sheets=_awkward_sheets()), _nasty(),
                ContentSpec(kind="t", title="tables", blocks=[Table(columns=["a"], rows=[[1]], caption="x/y")]),
                ContentSpec(kind="t", title="only a title", summary="s"),
                ContentSpec(kind="data", title="d", data=[{"a": 1, "b": {"n": 2}}, {"c": "2024-01-01"}])]
    for content in contents:
        f = FileSpec(path="edge/book.xlsx", type="xlsx", created=when, modified=when, content=content)
        ctx = RenderContext(spec, RENDERERS)
        assert render_xlsx(f, ctx, cached_values=cached) == reference(f, ctx, cached_values=cached), content.title
    for f in spec.files:
        if f.type == "xlsx":
            ctx = RenderContext(spec, RENDERERS)
            assert render_xlsx(f, ctx, cached_values=cached) == reference(f, ctx, cached_values=cached), f.path


def test_xlsx_round_trip_reads_back_the_spec(spec: ComputerSpec, tmp_path: Path) -> None:
    """What openpyxl reads from a rich sheet is what the spec says: types, formulas and their cached
    results, number formats (currency, percent), dates, bold frozen header, widths, charts."""
    from worldbuilder.spec import Chart, Series, Sheet

    rows = [["Rent", Cell(value=date(2024, 1, 31)), 1200, Cell(value=1200.5, number_format='"£"#,##0.00'),
             Cell(value=0.125, number_format="0.0%"), True],
            ["Fuel", "2024-02-01T08:30", -3.25, Cell(value=99.0, number_format='"$"#,##0'), "2024-03-01", None],
            [Cell(value="Total", bold=True), None, Cell(value=1196.75, formula="SUM(C2:C3)", number_format="#,##0.00"),
             Cell(value=1299.5, formula="=SUM(D2:D3)"), Cell(value=2, formula="COUNT(E2:E3)"), "=A2"]]
    chart = Chart(kind="column", title="Spend", categories=["Rent", "Fuel"], series=[Series(name="Amount", values=[1200, -3.25])])
    sheet = Sheet(name="Budget", columns=["Item", "Date", "Amount", "Paid", "Share", "Ok"], rows=rows,
                  column_widths=[30], chart=chart)
    when = datetime(2024, 5, 1, 12, 0)
    f = FileSpec(path="b.xlsx", type="xlsx", created=when, modified=when,
                 content=ContentSpec(kind="budget", title="Budget", sheets=[sheet, Sheet(name="Notes", columns=["n"], rows=[["x"], [Cell(value=[1, 2])]], freeze_header=False)]))
    path = tmp_path / "b.xlsx"
    path.write_bytes(render_xlsx(f, RenderContext(spec, RENDERERS)))
    wb, values = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    assert wb.sheetnames == ["Budget", "Notes"]
    ws, wv = wb["Budget"], values["Budget"]
    assert [c.value for c in ws[1]] == sheet.columns and all(c.font.bold and c.fill.fgColor.rgb == "00D9E1F2" for c in ws[1])
    assert ws.freeze_panes == "A2" and wb["Notes"].freeze_panes is None
    assert ws["A2"].value == "Rent" and ws["B2"].value == datetime(2024, 1, 31) and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["B3"].value == datetime(2024, 2, 1, 8, 30) and ws["B3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["C2"].value == 1200 and isinstance(ws["C2"].value, int) and ws["C3"].value == -3.25
    assert ws["D2"].value == 1200.5 and ws["D2"].number_format == '"£"#,##0.00' and ws["D3"].number_format == '"$"#,##0'
    assert ws["E2"].value == 0.125 and ws["E2"].number_format == "0.0%" and ws["F2"].value is True
    assert ws["E3"].is_date and ws["E3"].value == datetime(2024, 3, 1) and ws["F3"].value is None
    assert ws["A4"].font.bold and not ws["A2"].font.bold
    assert ws["C4"].value == "=SUM(C2:C3)" and ws["C4"].number_format == "#,##0.00" and wv["C4"].value == 1196.75
    assert ws["D4"].value == "=SUM(D2:D3)" and wv["D4"].value == 1299.5 and wv["E4"].value == 2
    assert ws["F4"].value == "=A2" and wv["F4"].value is None  # a bare "=..." string is a formula without a result
    assert ws.column_dimensions["A"].width == 30 and ws.column_dimensions["B"].width == 18
    assert len(ws._charts) == 1 and not wb["Notes"]._charts
    assert wb["Notes"]["A3"].value == "[1, 2]"  # a value Excel cannot hold is written as its text
    assert wb.properties.creator == spec.profile.full_name
