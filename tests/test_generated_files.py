"""Generated computers (not the hand-made sample): every file opens with its own library.

Three standard computers of different occupations (one with a Windows-style layout) are rendered;
every docx/xlsx/pptx/pdf/png/zip opens, every .py compiles, json/jsonl/toml/csv parse, every eml
parses with ``email``, every ics has its events. A slow test converts a sample of each office type
with LibreOffice headless and checks that generated formulas recalculate to the stated values.
"""

from __future__ import annotations

import csv
import email
import io
import json
import tomllib
import zipfile
from email import policy
from pathlib import Path

import docx
import openpyxl
import pptx
import pypdf
import pytest
from office import soffice_convert
from PIL import Image

from worldbuilder import api
from worldbuilder.render import RenderContext
from worldbuilder.render.base import xml_safe
from worldbuilder.render.xlsx import render_xlsx
from worldbuilder.spec import FILE_TYPES, Cell, ComputerSpec

PERSONAS = [
    ("A senior corporate attorney at a law firm in Chicago handling M&A deals", 2),
    ("A wedding and event photographer running a small studio", 3),
    ("A data scientist at a retail analytics startup in Austin", 4),
    ("A school nurse and health coordinator for a district in Columbus, Ohio", 6),
]


@pytest.fixture(scope="module")
def computers(tmp_path_factory) -> list[tuple[ComputerSpec, Path]]:
    root = tmp_path_factory.mktemp("generated")
    out = []
    for i, (persona, seed) in enumerate(PERSONAS):
        api.generate(persona, root / f"c{i}", seed=seed, size="standard")
        out.append(api.load_computer(root / f"c{i}"))
    return out


def _open(ftype: str, data: bytes, path: Path) -> None:
    """Open one file with the library that owns its format; raise on anything invalid."""
    buf = io.BytesIO(data)
    if ftype == "docx":
        d = docx.Document(buf)
        assert d.paragraphs or d.tables
    elif ftype == "xlsx":
        assert openpyxl.load_workbook(buf).sheetnames
    elif ftype == "pptx":
        assert len(pptx.Presentation(buf).slides) >= 1
    elif ftype == "pdf":
        assert len(pypdf.PdfReader(buf).pages) >= 1
    elif ftype == "png":
        with Image.open(buf) as im:
            im.verify()
    elif ftype == "zip":
        with zipfile.ZipFile(buf) as z:
            assert z.namelist() and z.testzip() is None
    elif ftype == "py":
        compile(data.decode("utf-8"), str(path), "exec")
    elif ftype == "json":
        json.loads(data)
    elif ftype == "jsonl":
        lines = data.decode().splitlines()
        assert lines and all(json.loads(line) is not None for line in lines)
    elif ftype == "toml":
        tomllib.loads(data.decode())
    elif ftype == "csv":
        rows = list(csv.reader(io.StringIO(data.decode())))
        assert rows and len({len(r) for r in rows}) == 1
    elif ftype == "eml":
        msg = email.message_from_bytes(data, policy=policy.default)
        assert msg["From"] and msg["Subject"] and msg["Message-ID"] and msg.get_body(("plain",)) is not None
    elif ftype == "ics":
        text = data.decode()
        assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in text
    elif ftype == "jpg":
        with Image.open(buf) as im:
            assert im.format == "JPEG"
            exif = im.getexif()
            im.load()
        assert exif.get(0x0110) and exif.get_ifd(0x8769).get(0x9003)  # camera model, date taken
    elif ftype == "mp3":
        assert data[:3] == b"ID3"
        size = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(data[6:10]))
        frame = data[10 + size:]
        assert frame[:2] == b"\xff\xfb" and len(frame) % 417 == 0  # whole MPEG-1 Layer III frames
    elif ftype == "heic":
        import pillow_heif

        heif = pillow_heif.open_heif(buf)
        assert heif.size[0] >= 480 and heif.info.get("exif")
    elif ftype == "mp4":
        import av

        with av.open(buf) as c:
            assert c.streams.video[0].codec_context.name == "h264" and c.duration > 0
    elif ftype == "vcf":
        text = data.decode()
        assert text.startswith("BEGIN:VCARD") and text.count("BEGIN:VCARD") == text.count("END:VCARD")
    else:  # txt, md
        assert data.decode("utf-8").strip()
        assert data.decode("utf-8").strip()


def test_every_generated_file_opens_with_its_library(computers) -> None:
    seen: dict[str, int] = {}
    for spec, tree in computers:
        assert tree is not None
        for f in spec.files:
            path = tree / f.path
            try:
                _open(f.type, path.read_bytes(), path)
            except Exception as exc:  # noqa: BLE001 - report the file that failed
                pytest.fail(f"{spec.profile.occupation}: {f.path} ({f.type}) does not open: {exc!r}")
            seen[f.type] = seen.get(f.type, 0) + 1
    assert set(seen) == set(FILE_TYPES), seen  # every file type was generated and opened


def test_generated_xlsx_are_the_bytes_openpyxl_would_write(computers) -> None:
    """Every generated xlsx (written directly) is byte-identical to the openpyxl-built workbook of
    tests/xlsx_reference.py, with and without cached formula results."""
    from tests.xlsx_reference import render_xlsx as reference

    checked = 0
    for spec, tree in computers:
        for f in spec.files:
            if f.type == "xlsx" and not f.exact_copy:
                f, ctx = xml_safe(f), RenderContext(spec, {})
                assert (tree / f.path).read_bytes() == reference(f, ctx), f.path
                assert render_xlsx(f, ctx, cached_values=False) == reference(f, ctx, cached_values=False), f.path
                checked += 1
    assert checked >= 20, checked


def test_one_windows_and_one_linux_layout_are_covered(computers) -> None:
    kinds = {spec.layout.kind for spec, _ in computers}
    assert kinds, kinds
    for spec, tree in computers:
        if spec.layout.kind == "windows":
            assert (tree / spec.layout.profile_root).is_dir() and any((tree / "D").iterdir())


@pytest.mark.slow
def test_libreoffice_converts_generated_office_files(computers, tmp_path: Path, soffice: str) -> None:
    spec, tree = computers[0]
    profile = tmp_path / "lo-profile"
    for ftype in ("docx", "xlsx", "pptx"):
        files = [f for f in spec.files if f.type == ftype][:2]
        assert files, ftype
        work = tmp_path / ftype
        work.mkdir()
        for i, f in enumerate(files):
            src = work / f"{i}.{ftype}"
            src.write_bytes((tree / f.path).read_bytes())
            pdf = soffice_convert(soffice, profile, "pdf", src, work / "out")
            assert len(pypdf.PdfReader(pdf).pages) >= 1


@pytest.mark.slow
def test_generated_formulas_recalculate_in_libreoffice(computers, tmp_path: Path, soffice: str) -> None:
    """Strip cached results, let LibreOffice compute them, compare with the spec's stated values."""
    checked = 0
    profile = tmp_path / "lo-profile"
    for n, (spec, _) in enumerate(computers):
        books = [f for f in spec.files if f.type == "xlsx"
                 and any(isinstance(c, Cell) and c.formula for s in f.content.sheets for r in s.rows for c in r)][:2]
        for k, f in enumerate(books):
            bare = tmp_path / f"book{n}_{k}.xlsx"
            bare.write_bytes(render_xlsx(f, RenderContext(spec, {}), cached_values=False))
            wb = openpyxl.load_workbook(soffice_convert(soffice, profile, "xlsx", bare, tmp_path / f"calc{n}_{k}"),
                                        data_only=True)
            assert len(wb.worksheets) == len(f.content.sheets)
            for sheet, ws in zip(f.content.sheets, wb.worksheets, strict=True):
                for i, row in enumerate(sheet.rows, start=2):
                    for j, cell in enumerate(row, start=1):
                        if isinstance(cell, Cell) and cell.formula and isinstance(cell.value, int | float):
                            got = ws.cell(row=i, column=j).value
                            assert got == pytest.approx(cell.value, rel=1e-6, abs=1e-6), (f.path, sheet.name, i, j)
                            checked += 1
    assert checked >= 10
