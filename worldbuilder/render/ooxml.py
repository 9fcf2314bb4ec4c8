"""Office Open XML helpers shared by the docx/xlsx/pptx renderers.

* :func:`core_xml` writes ``docProps/core.xml`` from the FileSpec (never "now").
* :func:`next_rid` / :func:`add_relationships` extend a template's relationships part as text.
* :func:`opc_entries` serialises a python-docx / python-pptx package without zipping it, so the
  zip is written once, deterministically, by :mod:`zipfix`.
"""

from __future__ import annotations

import re
from datetime import datetime
from xml.sax.saxutils import escape

from worldbuilder.render import times, zipfix
from worldbuilder.spec import ComputerSpec, FileSpec

CORE = "docProps/core.xml"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def next_rid(rels: str) -> int:
    """The first free ``rIdN`` number of a relationships part."""
    return max(int(n) for n in re.findall(r'Id="rId(\d+)"', rels)) + 1


def add_relationships(rels: str, items: list[tuple[str, str, str]]) -> bytes:
    """``rels`` (a relationships part) with (id, type suffix, target) relationships appended."""
    extra = "".join(f'<Relationship Id="{rid}" Type="{DOC_REL}/{kind}" Target="{target}"/>'
                    for rid, kind, target in items)
    return rels.replace("</Relationships>", extra + "</Relationships>").encode()


def core_xml(file: FileSpec, spec: ComputerSpec, revision: int = 1) -> bytes:
    """Core properties: title, author (the profile), created/modified from the FileSpec."""
    tz = spec.profile.timezone
    author = file.content.author or spec.profile.full_name

    def w3c(dt: datetime) -> str:
        return times.utc(dt, tz).strftime("%Y-%m-%dT%H:%M:%SZ")

    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(file.content.title)}</dc:title>"
        f"<dc:subject>{escape(file.content.kind.replace('_', ' '))}</dc:subject>"
        f"<dc:creator>{escape(author)}</dc:creator>"
        f"<cp:lastModifiedBy>{escape(spec.profile.full_name)}</cp:lastModifiedBy>"
        f"<cp:revision>{revision}</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{w3c(file.created)}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{w3c(file.modified)}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


class _Collector:
    """Stands in for the libraries' physical package writer: records (name, blob) pairs."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, bytes]] = []

    def write(self, uri: str, blob: bytes) -> None:
        self.entries.append((str(uri).lstrip("/"), blob))


def docx_entries(document: object) -> list[tuple[str, bytes]]:
    """Serialised parts of a python-docx Document (what ``Document.save`` would zip)."""
    from docx.opc.pkgwriter import PackageWriter

    package = document.part.package  # type: ignore[attr-defined]
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    col = _Collector()
    PackageWriter._write_content_types_stream(col, parts)
    PackageWriter._write_pkg_rels(col, package.rels)
    PackageWriter._write_parts(col, parts)
    return col.entries


def pptx_entries(presentation: object) -> list[tuple[str, bytes]]:
    """Serialised parts of a python-pptx Presentation (what ``Presentation.save`` would zip)."""
    from pptx.opc.serialized import PackageWriter

    package = presentation.part.package  # type: ignore[attr-defined]
    writer = PackageWriter(None, package._rels, tuple(package.iter_parts()))  # type: ignore[arg-type]
    col = _Collector()
    writer._write_content_types_stream(col)  # type: ignore[arg-type]
    writer._write_pkg_rels(col)  # type: ignore[arg-type]
    writer._write_parts(col)  # type: ignore[arg-type]
    return col.entries


def package_zip(entries: list[tuple[str, bytes]], file: FileSpec, spec: ComputerSpec,
                drop: tuple[str, ...] = ()) -> bytes:
    """Zip OOXML entries deterministically with our core properties."""
    when = times.zip_time(file.modified, spec.profile.timezone)
    data = dict(entries)
    if CORE in data:
        data[CORE] = core_xml(file, spec)
    names = zipfix.ooxml_order(n for n in data if not n.startswith(drop))
    return zipfix.write_zip(zipfix.Entry(n, data[n], when) for n in names)
