"""Pictures of the computer's own content: screenshots of a document window on a desktop, thumbnails,
and scanned-looking pages (for scan PDFs). All drawn with Pillow, deterministic per file path."""

from __future__ import annotations

import io
import random
import textwrap
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from worldbuilder.render.base import RenderContext, document_blocks, text_value
from worldbuilder.render.media import grain, grain_rgb, photo_image
from worldbuilder.spec import Bullets, FileSpec, Heading, Paragraph, Table

SCREEN = (1920, 1080)
SCAN_GRAIN = 0.22  # paper texture and sensor noise: they carry a scan's bytes
SCAN_BYTES_PER_PIXEL = 0.3  # a page of text with SCAN_GRAIN at quality 75 (measured: benchmarks/media_bench.py)
WALLPAPERS = ((32, 62, 102), (54, 84, 64), (90, 60, 96), (40, 44, 52))


@lru_cache(maxsize=8)
def font(size: int) -> Any:
    return ImageFont.load_default(size=size)


def doc_lines(file: FileSpec, width: int = 90, limit: int = 1 << 30) -> list[tuple[str, int]]:
    """(text, style) lines of a file as a viewer would show them: 2 title, 1 heading, 0 body; the
    document's blocks stop being wrapped once ``limit`` lines are there (a window or a thumbnail shows no more)."""
    out: list[tuple[str, int]] = []
    for b in document_blocks(file):
        if len(out) >= limit:
            break
        if isinstance(b, Heading):
            out.append((b.text, 2 if b.level <= 1 else 1))
        elif isinstance(b, Paragraph):
            out += [(ln, 0) for ln in textwrap.wrap(b.text, width)] + [("", 0)]
        elif isinstance(b, Bullets):
            out += [(("• " if not b.numbered else f"{i + 1}. ") + ln, 0) for i, item in enumerate(b.items)
                    for ln in textwrap.wrap(item, width - 3)[:2]]
        elif isinstance(b, Table):
            out.append(("   ".join(str(c) for c in b.columns)[:width], 1))
            out += [("   ".join(text_value(v) for v in r)[:width], 0) for r in b.rows[:30]]
    for s in file.content.sheets[:1]:
        out.append(("   ".join(s.columns)[:width], 1))
        out += [("   ".join(text_value(v) for v in r)[:width], 0) for r in s.rows[:40]]
    for sl in file.content.slides[:3]:
        out += [(sl.title, 2)] + [(x, 0) for x in sl.bullets]
    if file.content.text and not out:
        out = [(ln[:width], 0) for ln in file.content.text.splitlines()[:60]]
    return out[:limit] or [(file.content.title, 2)]


@lru_cache(maxsize=4096)
def _glyph(size: int, char: str) -> tuple[np.ndarray, int, int, float]:
    """(mask, left, top, advance) of ``char`` in the default font at ``size``, rendered once per process."""
    f = font(size)
    left, top, right, bottom = (int(v) for v in f.getbbox(char))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(mask).text((-left, -top), char, fill=255, font=f)
    return np.asarray(mask), left, top, f.getlength(char)


@lru_cache(maxsize=8192)
def _word(size: int, word: str) -> tuple[Image.Image | None, int, int, float]:
    """(mask, left, top, advance) of a word (or a line) composed from its glyphs' masks."""
    placed, pen = [], 0.0
    for char in word:
        mask, left, top, advance = _glyph(size, char)
        if char != " ":
            placed.append((round(pen) + left, top, mask))
        pen += advance
    if not placed:
        return None, 0, 0, pen
    x0, y0 = min(p[0] for p in placed), min(p[1] for p in placed)
    out = np.zeros((max(p[1] + p[2].shape[0] for p in placed) - y0, max(p[0] + p[2].shape[1] for p in placed) - x0),
                   np.uint8)
    for x, y, mask in placed:
        region = out[y - y0:y - y0 + mask.shape[0], x - x0:x - x0 + mask.shape[1]]
        np.maximum(region, mask, out=region)
    return Image.fromarray(out), x0, y0, pen


def draw_line(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, fill: Any, size: int) -> None:
    """``draw.text`` for a line of page text from cached masks of its words, composed from cached glyphs:
    FreeType loads and rasterises every glyph on every ``draw.text`` call (about 25 us a glyph), whereas
    pages repeat a few dozen characters and many words."""
    pen, space = 0.0, _glyph(size, " ")[3]
    for word in text.split(" "):
        if word:
            mask, left, top, advance = _word(size, word)
            if mask is not None:
                draw.bitmap((xy[0] + round(pen) + left, xy[1] + top), mask, fill=fill)
            pen += advance
        pen += space


def _page(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], lines: list[tuple[str, int]], scale: float,
          grey: bool = False) -> None:
    x0, y0, x1, y1 = box
    dark, mid = ((20, 50) if grey else ((20, 20, 20), (50, 50, 50)))
    y = y0 + int(30 * scale)
    for text, style in lines:
        size = int((22 if style == 2 else 17 if style == 1 else 14) * scale)
        draw_line(draw, (x0 + int(40 * scale), y), text, dark if style else mid, max(6, size))
        y += int(size * 1.45) or 1
        if y > y1 - 30 * scale:
            break


def screenshot(file: FileSpec, ctx: RenderContext) -> bytes:
    """A desktop with a document window showing another file of this computer (``data.source``)."""
    p = file.content.data if isinstance(file.content.data, dict) else {}
    rng = random.Random(file.path)
    w, h = int(p.get("width", SCREEN[0])), int(p.get("height", SCREEN[1]))
    img = Image.new("RGB", (w, h), rng.choice(WALLPAPERS))
    d = ImageDraw.Draw(img)
    d.rectangle((0, h - 44, w, h), fill=(30, 30, 34))  # task bar
    for i in range(8):
        d.rounded_rectangle((12 + 52 * i, h - 38, 52 + 52 * i, h - 6), 6, fill=tuple(rng.randrange(60, 220) for _ in range(3)))
    d.text((w - 150, h - 32), str(p.get("clock", "")), fill=(230, 230, 230), font=font(16))
    source = ctx.file(p["source"]) if p.get("source") else file
    wx0, wy0 = rng.randint(40, 200), rng.randint(20, 80)
    wx1, wy1 = w - rng.randint(40, 200), h - 70
    d.rectangle((wx0 + 6, wy0 + 6, wx1 + 6, wy1 + 6), fill=(15, 15, 15))
    d.rectangle((wx0, wy0, wx1, wy1), fill=(236, 236, 236))
    d.rectangle((wx0, wy0, wx1, wy0 + 36), fill=(52, 101, 164))
    name = source.path.rsplit("/", 1)[-1]
    d.text((wx0 + 14, wy0 + 9), f"{name} - {p.get('app', 'Document Viewer')}", fill=(255, 255, 255), font=font(16))
    d.rectangle((wx0, wy0 + 36, wx1, wy0 + 72), fill=(246, 246, 246))
    for i, label in enumerate(("File", "Edit", "View", "Insert", "Format", "Tools", "Help")):
        d.text((wx0 + 14 + 64 * i, wy0 + 46), label, fill=(40, 40, 40), font=font(14))
    px0, px1 = (wx0 + wx1) // 2 - 420, (wx0 + wx1) // 2 + 420
    d.rectangle((px0, wy0 + 90, px1, wy1 - 10), fill=(255, 255, 255), outline=(200, 200, 200))
    _page(d, (px0, wy0 + 90, px1, wy1 - 10), doc_lines(source, 100, 80), 1.0)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False, compress_level=1)
    return buf.getvalue()


def thumbnail(file: FileSpec, ctx: RenderContext) -> bytes:
    """A 128-pixel thumbnail of another file: a photo crop or a page miniature."""
    p = file.content.data if isinstance(file.content.data, dict) else {}
    src = ctx.file(p["source"]) if p.get("source") else None
    if src is not None and src.type == "jpg":
        img = photo_image(src.path, 128, 96)
    else:
        img = Image.new("RGB", (96, 128), (255, 255, 255))
        d = ImageDraw.Draw(img)
        y = 8
        for text, style in doc_lines(src, 60, 40) if src else []:  # text lines as grey strokes
            if text:
                d.line((8, y, 8 + min(80, len(text)), y), fill=(60, 60, 60) if style else (150, 150, 150), width=2 if style else 1)
            y += 4 if style == 0 else 6
            if y > 120:
                break
        noise = grain_rgb(np.random.default_rng(random.Random(file.path).getrandbits(64)), 96, 128, 1.0)
        img = Image.blend(img, noise, 0.12)  # screen noise, as real thumbnails have
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)  # level 6 is 4x the time for noisy pixels, and no smaller
    return buf.getvalue()


def scan_pages(file: FileSpec, pages: int, dpi: int, quality: int) -> list[bytes]:
    """JPEG page images of the file's text, like a flatbed scan: off-white, slightly rotated, noisy."""
    lines = doc_lines(file, 78)
    rng = random.Random(file.path)
    w, h = int(8.27 * dpi), int(11.69 * dpi)
    per = max(1, (len(lines) + pages - 1) // pages)
    out = []
    gen = np.random.default_rng(rng.getrandbits(64))
    for i in range(pages):
        chunk = lines[i * per:(i + 1) * per] or [("", 0)]
        img = Image.new("L", (w, h), 232)
        d = ImageDraw.Draw(img)
        _page(d, (int(0.6 * dpi), int(0.5 * dpi), w, h), [(t, s) for t, s in chunk], dpi / 110, grey=True)
        if rng.random() < 0.5:
            img = img.filter(ImageFilter.SMOOTH)  # a softer scanner: blurs the print (the sensor noise comes after)
        noise = grain(gen, w, h, SCAN_GRAIN)  # zero-mean around the paper's grey: paper stays light
        img = ImageChops.add(img, noise, offset=-int(255 * SCAN_GRAIN) // 2)
        # nearest-neighbour rotation: the slightly stepped glyph edges of a cheap scanner, at a fifth of the
        # cost of bilinear (a quarter of a scan PDF's time)
        img = img.rotate(rng.uniform(-0.8, 0.8), fillcolor=235, resample=Image.NEAREST)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        out.append(buf.getvalue())
    return out
