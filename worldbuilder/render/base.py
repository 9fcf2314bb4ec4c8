"""Shared pieces of the renderers: the render context, errors and value helpers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from worldbuilder.errors import (
    RenderError,  # noqa: E402  (re-exported: a file cannot be rendered)
    )
from worldbuilder.spec import Cell, Chart, ComputerSpec, FileSpec


@dataclass
class RenderContext:
    """What a renderer may need besides its FileSpec: the spec and access to other files.

    ``render(path)`` renders another file of the spec (zip members, e-mail attachments) with
    caching and cycle detection.
    """

    spec: ComputerSpec
    renderers: dict[str, Callable[[FileSpec, RenderContext], bytes]]
    cache: dict[str, bytes] = field(default_factory=dict)
    _stack: list[str] = field(default_factory=list)
    _index: dict[str, FileSpec] | None = None

    def file(self, path: str) -> FileSpec:
        if self._index is None:
            self._index = {f.path: f for f in self.spec.files}
        try:
            return self._index[path]
        except KeyError:
            raise RenderError(f"{self._stack[-1] if self._stack else '?'}: referenced file not in spec: {path}") from None

    def render(self, file: FileSpec | str) -> bytes:
        if isinstance(file, str):
            file = self.file(file)
        if file.path in self.cache:
            return self.cache[file.path]
        if file.path in self._stack:
            raise RenderError(f"circular file reference: {' -> '.join([*self._stack, file.path])}")
        self._stack.append(file.path)
        try:
            data = self.renderers[file.type](file, self)
        finally:
            self._stack.pop()
        self.cache[file.path] = data
        return data


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def raw_value(cell: Any) -> Any:
    """The value of a Cell or a bare scalar."""
    return cell.value if isinstance(cell, Cell) else cell


def typed_value(value: Any) -> Any:
    """Turn ISO date strings into dates (a spec loaded from JSON holds them as strings)."""
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return date.fromisoformat(value)
        if _ISO_DATETIME.match(value):
            return datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def clean_chart(chart: Chart) -> Chart:
    """``chart`` with non-finite values as 0 and every series as long as the categories."""
    n = len(chart.categories)
    ok = all(len(s.values) == n and all(math.isfinite(v) for v in s.values) for s in chart.series)
    if ok:
        return chart
    series = [s.model_copy(update={"values": [v if math.isfinite(v) else 0.0 for v in s.values[:n]]
                                   + [0.0] * (n - len(s.values))}) for s in chart.series]
    return chart.model_copy(update={"series": series})


def text_value(value: Any) -> str:
    """A cell/table value as display text (dates ISO, floats without noise, None empty)."""
    value = raw_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}" if abs(value) >= 10000 else str(int(value))
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback: dates ISO, models dumped, sets sorted, anything else ``str``."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


_LETTER_TERRITORIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE"}


def letter_paper(spec: ComputerSpec) -> bool:
    """True when the user's locale prints on US Letter rather than A4 (the profile's locale-pack paper size;
    specs written before it existed fall back to the locale's territory)."""
    if "paper_size" in spec.profile.model_fields_set:
        return spec.profile.paper_size == "letter"
    territory = spec.profile.locale.split(".")[0].partition("_")[2].upper()
    return territory in _LETTER_TERRITORIES


def text_blocks(text: str) -> list[Any]:
    """Blocks from plain text: ``#`` lines become headings, ``- `` runs bullets, the rest paragraphs."""
    from worldbuilder.spec import Bullets, Heading, Paragraph

    blocks: list[Any] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.rstrip() for ln in chunk.splitlines() if ln.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("#"):
            level = len(lines[0]) - len(lines[0].lstrip("#"))
            blocks.append(Heading(text=lines[0].lstrip("#").strip(), level=min(level, 3)))
        elif all(re.match(r"^\s*([-*•]|\d+[.)])\s+", ln) for ln in lines):
            numbered = bool(re.match(r"^\s*\d", lines[0]))
            items = [re.sub(r"^\s*([-*•]|\d+[.)])\s+", "", ln) for ln in lines]
            blocks.append(Bullets(items=items, numbered=numbered))
        else:
            blocks.append(Paragraph(text=" ".join(ln.strip() for ln in lines)))
    return blocks


def document_blocks(file: FileSpec) -> list[Any]:
    """The blocks of a document: ``blocks``, else parsed ``text``, else what the other fields
    hold (summary, first sheet as a table, slides as sections, chart)."""
    from worldbuilder.spec import Bullets, Heading, Paragraph, Table

    c = file.content
    if c.blocks:
        return list(c.blocks)
    if c.text:
        return text_blocks(c.text)
    out: list[Any] = [Paragraph(text=c.summary)] if c.summary else []
    for sheet in c.sheets[:1]:
        out.append(Table(columns=sheet.columns, rows=[[raw_value(v) for v in r] for r in sheet.rows],
                         caption=sheet.name))
    for slide in c.slides:
        out.append(Heading(text=slide.title, level=2))
        if slide.subtitle:
            out.append(Paragraph(text=slide.subtitle))
        if slide.bullets:
            out.append(Bullets(items=slide.bullets))
        out.extend(x for x in (slide.table, slide.chart) if x is not None)
    if c.chart is not None:
        out.append(c.chart)
    if c.email is not None:
        out.append(Paragraph(text=c.email.body))
    return out


_CTRL_JSON = re.compile(r"\\u00(0[0-8bcef]|1[0-9a-f])|\\ufff[ef]")
_CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(file: FileSpec) -> FileSpec:
    """``file`` with characters XML cannot hold (control characters) removed from its content."""
    if not _CTRL_JSON.search(file.content.model_dump_json()):
        return file

    def clean(v: Any) -> Any:
        if isinstance(v, str):
            return _CTRL.sub("", v)
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items()}
        return v

    content = type(file.content).model_validate(clean(file.content.model_dump()))
    return file.model_copy(update={"content": content})
