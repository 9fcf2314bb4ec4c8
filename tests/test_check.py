"""Coherence checker and text extraction on a really rendered computer (and on spec text)."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from worldbuilder import api
from worldbuilder.check import check_computer, parse_number
from worldbuilder.extract import extract_text, extract_text_ok
from worldbuilder.spec import ComputerSpec

PERSONA = "a senior financial advisor at a wealth management firm in Denver"


@pytest.fixture(scope="module")
def computer(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("check") / "computer"
    api.generate(PERSONA, out, seed=0, size="standard")
    return out


@pytest.fixture()
def copy(computer: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "tampered"
    shutil.copytree(computer, dst)
    return dst


def test_rendered_computer_is_coherent(computer: Path) -> None:
    report = check_computer(computer)
    assert report.source == "rendered"
    assert report.files_checked >= 150 and not report.missing and not report.unreadable
    assert report.cross_file_references >= 30
    assert {"person", "project", "fact"} <= set(report.by_kind)
    assert report.fact_mentions >= 30
    assert report.contradictions == [], report.format()
    assert "contradictions: 0" in report.format()


def test_spec_only_check(computer: Path) -> None:
    report = check_computer(computer / "spec.json")
    assert report.source == "spec" and report.cross_file_references >= 30 and not report.contradictions


def _fact_paragraph(spec: ComputerSpec) -> tuple[str, str, str]:
    """(path, label, display) of a docx whose prose cites a fact as ``label: display``."""
    for f in spec.files:
        if f.type != "docx":
            continue
        for b in f.content.blocks:
            text = getattr(b, "text", "")
            for fact in spec.world.facts:
                if f"{fact.label}: {fact.display}" in text:
                    return f.path, fact.label, fact.display
    raise AssertionError("no docx cites a fact in prose")


def test_tampered_docx_paragraph_is_a_contradiction(copy: Path) -> None:
    import docx

    spec = ComputerSpec.load(copy)
    path, label, display = _fact_paragraph(spec)
    target = copy / "tree" / path
    d = docx.Document(str(target))
    hits = 0
    for p in d.paragraphs:
        if f"{label}: {display}" in p.text:
            p.text = p.text.replace(f"{label}: {display}", f"{label}: 7,654,321.5")
            hits += 1
    assert hits
    d.save(str(target))
    report = check_computer(copy)
    bad = [c for c in report.contradictions if c.file == path]
    assert bad and bad[0].label == label and bad[0].expected == display and "7,654,321.5" in bad[0].found
    assert {c.file for c in report.contradictions} == {path}


def test_tampered_xlsx_cell_is_a_contradiction(copy: Path) -> None:
    from openpyxl import load_workbook

    spec = ComputerSpec.load(copy)
    f = next(f for f in spec.files if f.type == "xlsx" and any(s.name == "Key figures" for s in f.content.sheets))
    target = copy / "tree" / f.path
    wb = load_workbook(target)
    ws = wb["Key figures"]
    label, value = ws["A2"].value, ws["B2"].value
    ws["B2"].value = value * 3 + 11
    wb.save(target)
    report = check_computer(copy)
    assert [(c.file, c.label) for c in report.contradictions] == [(f.path, label)]


def test_cli_check_exit_codes(computer: Path, copy: Path) -> None:
    from click.testing import CliRunner

    from worldbuilder.cli import main

    ok = CliRunner().invoke(main, ["check", str(computer)])
    assert ok.exit_code == 0, ok.output
    assert "cross-file references" in ok.output
    spec = ComputerSpec.load(copy)
    path, label, display = _fact_paragraph(spec)
    import docx

    d = docx.Document(str(copy / "tree" / path))
    for p in d.paragraphs:
        p.text = p.text.replace(f"{label}: {display}", f"{label}: 1")
    d.save(str(copy / "tree" / path))
    bad = CliRunner().invoke(main, ["check", str(copy)])
    assert bad.exit_code == 1 and "found 1" in bad.output


def test_extract_every_rendered_type(computer: Path) -> None:
    spec = ComputerSpec.load(computer)
    seen = set()
    for f in spec.files:
        scan = isinstance(f.content.data, dict) and "scan" in f.content.data  # page images, no text layer
        if f.type in seen or f.type in ("png", "jpg", "mp3") or scan:
            continue
        text, ok = extract_text_ok(f.path, (computer / "tree" / f.path).read_bytes())
        assert ok and text.strip(), f.path
        seen.add(f.type)
    eml = next(f for f in spec.files if f.type == "eml")
    text = extract_text(eml.path, (computer / "tree" / eml.path).read_bytes())
    assert eml.content.email.subject in text and "From:" in text


@pytest.mark.parametrize("name", ["a.docx", "b.xlsx", "c.pptx", "d.pdf", "e.zip", "f.json"])
def test_extract_never_raises_on_corrupt_files(name: str) -> None:
    text, ok = extract_text_ok(name, b"\x00\x01 definitely not a real file")
    assert text == "" and ok is False
    assert extract_text(name, b"garbage") == ""


def test_extract_zip_lists_members_and_png_is_empty() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("docs/report.docx", b"x")
    assert extract_text("bundle.zip", buf.getvalue()) == "docs/report.docx"
    assert extract_text_ok("img.png", b"\x89PNG") == ("", True)


@pytest.mark.parametrize(("num", "suf", "value"), [("$1,245,300", None, 1245300), ("12.5", "%", 12.5),
                                                    ("1.2", "M", 1.2e6), ("− 3", None, -3), ("€980", "k", 980e3)])
def test_parse_number(num: str, suf: str | None, value: float) -> None:
    parsed = parse_number(num, suf)
    assert parsed is not None and abs(parsed[0] - value) < 1e-6


@pytest.mark.parametrize(("text", "ok"), [
    ("Sources interviewed 2023 18 B-roll: amount by item", True),  # the next item, not 18 billion
    ("Client revenue (PHOENIX) $548,800 K-1: budget by line", True),
    ("Sources interviewed 2023 18\nBudget", True),  # a scale letter on the next line is not a suffix
    ("Sources interviewed 2023: 18 B", False),  # 18 billion
    ("Sources interviewed 2023: 18k.", False),
])
def test_scale_suffix_ends_the_word(text: str, ok: bool) -> None:
    from worldbuilder.factmatch import FactValue, fact_pattern, matches_fact

    label = "Client revenue (PHOENIX)" if "PHOENIX" in text else "Sources interviewed 2023"
    fact = FactValue("f1", label, 548800.0 if "PHOENIX" in text else 18.0, "count")
    m = fact_pattern(fact, loose=True).search(text)
    assert m is not None
    assert matches_fact(fact, m.group("num"), m.group("suf")) is ok
