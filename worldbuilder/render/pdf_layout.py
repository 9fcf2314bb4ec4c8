"""Page layout for the pdf renderer: greedy word wrap and pagination drawn straight onto a reportlab canvas.

reportlab's platypus measures every word of every paragraph again for each layout pass; here a word's
width is measured once per process (:func:`word_width`), lines are broken greedily and written as
PDF text operators. Standard Type 1 fonts (WinAnsi encoding) as platypus uses them; a line that
cp1252 cannot encode is written by reportlab's own text object (its font substitution).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase import pdfmetrics

_WIDTHS: dict[tuple[str, str], float] = {}
_WIDTHS_MAX = 200_000
PAD = 6.0


@dataclass(frozen=True)
class Style:
    """A paragraph style: font, size and leading in points, space before/after, centred or not."""

    font: str
    size: float
    leading: float
    before: float = 0
    after: float = 0
    center: bool = False


TITLE = Style("Helvetica-Bold", 18, 22, 0, 6, center=True)
HEADINGS = {1: Style("Helvetica-Bold", 18, 22, 0, 6), 2: Style("Helvetica-Bold", 14, 18, 12, 6),
            3: Style("Helvetica-BoldOblique", 12, 14, 12, 6), 4: Style("Helvetica-BoldOblique", 10, 12, 10, 4)}
BODY = Style("Helvetica", 10, 12, 6)
CAPTION = Style("Helvetica-Oblique", 10, 12, 6)
CELL = Style("Helvetica", 8.5, 10.5)
HEAD = Style("Helvetica-Bold", 8.5, 10.5)
SMALL = Style("Helvetica", 8, 9.6)  # header, footer, page number
PLAIN_CELL = Style("Helvetica", 8, 12)  # platypus keeps the 12 pt leading of plain table cells


def word_width(word: str, font: str) -> float:
    """Width of ``word`` in thousandths of the font size (cached per process)."""
    key = (font, word)
    w = _WIDTHS.get(key)
    if w is None:
        try:
            widths = pdfmetrics.getFont(font).widths
            w = float(sum(map(widths.__getitem__, word.encode("cp1252"))))
        except UnicodeEncodeError:
            w = pdfmetrics.stringWidth(word, font, 1000)
        if len(_WIDTHS) >= _WIDTHS_MAX:
            _WIDTHS.clear()
        _WIDTHS[key] = w
    return w


def _split_long(word: str, font: str, limit: float) -> list[str]:
    """A word wider than a line, cut into pieces that fit."""
    pieces, cur, cur_w = [], "", 0.0
    for ch in word:
        w = word_width(ch, font)
        if cur and cur_w + w > limit:
            pieces.append(cur)
            cur, cur_w = "", 0.0
        cur += ch
        cur_w += w
    return [*pieces, cur] if cur else pieces


@lru_cache(maxsize=16384)
def wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Lines of ``text`` no wider than ``width`` points (greedy; newlines break lines). Cached: versions
    and copies of a document repeat most of its paragraphs and table cells."""
    return tuple(_wrap(text, font, size, width))


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    limit = width * 1000 / size
    space = word_width(" ", font)
    lines: list[str] = []
    for hard in text.split("\n"):
        cur: list[str] = []
        cur_w = 0.0
        for word in hard.split():
            w = word_width(word, font)
            if w > limit:
                *full, word = _split_long(word, font, limit)
                if cur:
                    lines.append(" ".join(cur))
                lines.extend(full)
                cur, cur_w = [], 0.0
                w = word_width(word, font)
            if not cur:
                cur, cur_w = [word], w
            elif cur_w + space + w <= limit:
                cur.append(word)
                cur_w += space + w
            else:
                lines.append(" ".join(cur))
                cur, cur_w = [word], w
        lines.append(" ".join(cur))
    while lines and not lines[-1]:
        lines.pop()
    return lines


def line_width(line: str, font: str, size: float) -> float:
    words = line.split(" ")
    return (sum(word_width(w, font) for w in words) + word_width(" ", font) * (len(words) - 1)) * size / 1000


class Page:
    """The canvas and the cursor on the current page; ``decorate(page)`` draws header/footer."""

    def __init__(self, canvas: Any, pagesize: tuple[float, float], margin: float,
                 decorate: Callable[[Page], None]) -> None:
        self.canvas, self.decorate = canvas, decorate
        self.left, self.bottom = margin + PAD, margin + PAD  # platypus frames pad their content by 6 pt
        self.top = pagesize[1] - margin - PAD
        self.width = pagesize[0] - 2 * (margin + PAD)
        self.y, self.number, self.after = self.top, 1, 0.0
        self.fonts: dict[str, str] = {}
        decorate(self)

    @property
    def at_top(self) -> bool:
        return self.y >= self.top

    def room(self) -> float:
        return self.y - self.bottom

    def emit(self, op: str) -> None:
        self.canvas._code.append(op)

    def font(self, name: str) -> str:
        if name not in self.fonts:
            self.fonts[name] = self.canvas._doc.getInternalFontName(name)
        return self.fonts[name]

    def space(self, points: float) -> None:
        """Space before a block: dropped at the top of a page, merged with the space after the previous block."""
        if not self.at_top and points > self.after:
            self.y = max(self.bottom, self.y - (points - self.after))
        self.after = 0.0

    def space_after(self, points: float) -> None:
        self.y = max(self.bottom, self.y - points)
        self.after = points

    def finish(self) -> None:
        self.canvas.showPage()

    def new_page(self) -> None:
        self.finish()
        self.number += 1
        self.y, self.after = self.top, 0.0
        self.decorate(self)

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` points fit below the cursor (or the page is still empty)."""
        if height > self.room() and not self.at_top:
            self.new_page()

    def text_ops(self, lines: list[str] | tuple[str, ...], style: Style, x: float, baseline: float,
                 width: float = 0) -> list[str]:
        """Operators (inside BT/ET) writing ``lines`` from ``baseline`` down by the style's leading,
        centred in ``width`` if the style says so."""
        font = f"{self.font(style.font)} {style.size:g} Tf"
        ops = [font]
        for i, line in enumerate(lines):
            y = baseline - i * style.leading
            lx = x + (width - line_width(line, style.font, style.size)) / 2 if style.center else x
            try:
                ops.append(f"1 0 0 1 {lx:.2f} {y:.2f} Tm ({escapePDF(line.encode('cp1252'))}) Tj")
            except UnicodeEncodeError:  # reportlab picks substitute fonts for what WinAnsi lacks
                t = self.canvas.beginText(lx, y)
                t.setFont(style.font, style.size)
                t.textOut(line)
                ops.append(f"ET {t.getCode()} BT {font}")
        return ops

    def text(self, lines: list[str] | tuple[str, ...], style: Style, x: float, baseline: float, width: float = 0,
             color: str = "") -> None:
        """Write ``lines`` (see :meth:`text_ops`) in ``color`` (a fill operator such as ``"1 g"``)."""
        ops = self.text_ops(lines, style, x, baseline, width)
        if color:
            self.emit(f"q {color} BT {' '.join(ops)} ET Q")
        else:
            self.emit(f"BT {' '.join(ops)} ET")

    def paragraph(self, text: str, style: Style, indent: float = 0, bullet: str = "") -> None:
        """A wrapped paragraph that continues on the next page when it does not fit."""
        lines = list(wrap(text, style.font, style.size, self.width - indent))
        if not lines:
            return
        self.space(style.before)
        first = True
        while lines:
            fit = max(0, int(self.room() // style.leading))
            if fit == 0 or (fit == 1 and first and len(lines) > 1 and not self.at_top):  # no orphan first line
                self.new_page()
                continue
            chunk, lines = lines[:fit], lines[fit:]
            baseline = self.y - style.size
            if bullet and first:
                bx = self.left + indent - 5 - line_width(bullet, style.font, style.size)
                self.text([bullet], style, bx, baseline)
            self.text(chunk, style, self.left + indent, baseline, self.width - indent)
            self.y -= len(chunk) * style.leading
            first = False
            if lines:
                self.new_page()
        self.space_after(style.after)

    def heading(self, text: str, style: Style) -> None:
        """A heading kept together with at least two lines of what follows."""
        lines = wrap(text, style.font, style.size, self.width)
        self.ensure(style.before + len(lines) * style.leading + style.after + 2 * BODY.leading + BODY.before)
        self.paragraph(text, style)

    def image(self, draw: Callable[[float, float, float, float], None], width: float, height: float) -> None:
        """A picture centred on the line, scaled down when taller than a page."""
        full = self.top - self.bottom
        if height > full:
            width, height = width * full / height, full
        self.ensure(height)
        self.after = 0.0
        draw(self.left + (self.width - width) / 2, self.y - height, width, height)
        self.y -= height
