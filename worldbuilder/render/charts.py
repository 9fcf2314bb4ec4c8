"""Draw a :class:`~worldbuilder.spec.Chart` (bar, column, line, pie) to PNG bytes with Pillow.

Deterministic: Pillow's bundled default font, no metadata, fixed palette. Results are cached by
chart content because documents often embed the same chart as a standalone PNG too.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from worldbuilder.render.base import clean_chart
from worldbuilder.spec import Chart

PALETTE = ["#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47", "#264478", "#9E480E"]
W, H = 800, 480
_CACHE: dict[str, bytes] = {}
_IMAGES: dict[str, Image.Image] = {}


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def tick_labels(ticks: list[float]) -> list[str]:
    """Labels for evenly spaced ticks, with as many decimals as the step needs (1.15M, 1.2M...)."""
    top = max(abs(t) for t in ticks)
    div, suffix = next(((d, x) for d, x in ((1e9, "B"), (1e6, "M"), (1e3, "K")) if top >= d), (1.0, ""))
    step = (ticks[1] - ticks[0]) / div if len(ticks) > 1 else 1.0
    decimals = next((d for d in range(4) if abs(round(step, d) - step) <= 1e-9 * max(1.0, step)), 3)
    labels = []
    for t in ticks:
        text = f"{t / div:.{decimals}f}"
        labels.append(("0" if float(text) == 0 else text) + ("" if float(text) == 0 else suffix))
    return labels


def nice_ticks(lo: float, hi: float, n: int = 5, zero: bool = True) -> list[float]:
    """Round tick values covering [lo, hi] (and 0 unless ``zero`` is False)."""
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [start]
    while ticks[-1] < hi - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def fit(draw: ImageDraw.ImageDraw, text: str, width: float, f: ImageFont.ImageFont) -> str:
    """Truncate ``text`` with an ellipsis so it fits in ``width`` pixels."""
    if draw.textlength(text, font=f) <= width:
        return text
    while text and draw.textlength(text + "…", font=f) > width:
        text = text[:-1]
    return text + "…"


def _legend(draw: ImageDraw.ImageDraw, names: list[str], x: int, y: int) -> None:
    f = font(13)
    for i, name in enumerate(names[:12]):
        yy = y + i * 22
        draw.rectangle([x, yy + 2, x + 12, yy + 14], fill=PALETTE[i % len(PALETTE)])
        draw.text((x + 18, yy), fit(draw, name, 130, f), fill="#333333", font=f)


def _axes(draw: ImageDraw.ImageDraw, chart: Chart, box: tuple[int, int, int, int], horizontal: bool) -> None:
    """Value axis with ticks and grid lines, category labels, axis titles; bars or lines inside."""
    x0, y0, x1, y1 = box
    values = [v for s in chart.series for v in s.values] or [0.0]
    lo, hi = min(values), max(values)
    # lines over a narrow positive band (e.g. AUM over time) need not start at zero
    ticks = nice_ticks(lo, hi, zero=not (chart.kind == "line" and lo > 0 and hi - lo < 0.5 * hi))
    lo, hi = ticks[0], ticks[-1]
    f = font(12)

    def vpos(v: float) -> float:  # value → pixel along the value axis
        t = (v - lo) / (hi - lo)
        return x0 + t * (x1 - x0) if horizontal else y1 - t * (y1 - y0)

    for t, label in zip(ticks, tick_labels(ticks), strict=True):
        p = vpos(t)
        if horizontal:
            draw.line([p, y0, p, y1], fill="#E0E0E0")
            draw.text((p, y1 + 6), label, fill="#555555", font=f, anchor="ma")
        else:
            draw.line([x0, p, x1, p], fill="#E0E0E0")
            draw.text((x0 - 6, p), label, fill="#555555", font=f, anchor="rm")
    draw.line([x0, y0, x0, y1], fill="#808080")
    draw.line([x0, y1, x1, y1], fill="#808080")
    cats = chart.categories or [str(i + 1) for i in range(max((len(s.values) for s in chart.series), default=0))]
    n = max(len(cats), 1)
    band = ((y1 - y0) if horizontal else (x1 - x0)) / n
    for i, cat in enumerate(cats):
        c = (y0 if horizontal else x0) + band * (i + 0.5)
        if horizontal:
            draw.text((x0 - 6, c), fit(draw, cat, 110, f), fill="#333333", font=f, anchor="rm")
        else:
            draw.text((c, y1 + 6), fit(draw, cat, band - 4, f), fill="#333333", font=f, anchor="ma")
    k = max(len(chart.series), 1)
    for si, s in enumerate(chart.series):
        color = PALETTE[si % len(PALETTE)]
        if chart.kind == "line":
            pts = [(x0 + band * (i + 0.5), vpos(v)) for i, v in enumerate(s.values[:n])]
            if len(pts) > 1:
                draw.line(pts, fill=color, width=3)
            for px, py in pts:
                draw.ellipse([px - 4, py - 4, px + 4, py + 4], fill=color)
            continue
        width = band * 0.8 / k
        for i, v in enumerate(s.values[:n]):
            a = (y0 if horizontal else x0) + band * (i + 0.1) + width * si
            base, top = sorted((vpos(0.0), vpos(v)))
            rect = [base, a, top, a + width - 1] if horizontal else [a, base, a + width - 1, top]
            draw.rectangle(rect, fill=color)
    x_label, y_label = (chart.y_label, chart.x_label) if horizontal else (chart.x_label, chart.y_label)
    if x_label:
        draw.text(((x0 + x1) / 2, y1 + 26), x_label, fill="#333333", font=font(13), anchor="ma")
    if y_label:
        label = Image.new("L", (int(y1 - y0), 18), 0)
        ImageDraw.Draw(label).text((label.width / 2, 0), fit(draw, y_label, y1 - y0, font(13)),
                                   fill=255, font=font(13), anchor="ma")
        rotated = label.rotate(90, expand=True)
        draw._image.paste("#333333", (8, int(y0)), rotated)  # type: ignore[attr-defined]


def _pie(draw: ImageDraw.ImageDraw, chart: Chart, box: tuple[int, int, int, int]) -> None:
    values = [max(v, 0.0) for v in (chart.series[0].values if chart.series else [])]
    total = sum(values) or 1.0
    x0, y0, x1, y1 = box
    r = min(x1 - x0, y1 - y0) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    angle = -90.0
    for i, v in enumerate(values):
        sweep = 360.0 * v / total
        if sweep > 0:
            draw.pieslice([cx - r, cy - r, cx + r, cy + r], angle, angle + sweep,
                          fill=PALETTE[i % len(PALETTE)], outline="white")
        if sweep >= 12:
            mid = math.radians(angle + sweep / 2)
            draw.text((cx + 0.65 * r * math.cos(mid), cy + 0.65 * r * math.sin(mid)),
                      f"{100 * v / total:.0f}%", fill="white", font=font(13), anchor="mm")
        angle += sweep


def draw(chart: Chart) -> Image.Image:
    """The chart as an 800×480 RGB image."""
    chart = clean_chart(chart)
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    d.text((W / 2, 14), fit(d, chart.title, W - 40, font(20)), fill="#222222", font=font(20), anchor="ma")
    pie = chart.kind == "pie"
    names = chart.categories if pie else [s.name for s in chart.series]
    legend = pie or len(chart.series) > 1
    right = W - (170 if legend else 30)
    if pie:
        _pie(d, chart, (40, 56, right, H - 20))
    else:
        _axes(d, chart, (150 if chart.kind == "bar" else 80, 56, right, H - 60), chart.kind == "bar")
    if legend:
        _legend(d, names, right + 20, 70)
    return img


def _encoded(chart: Chart, fmt: str) -> bytes:
    key = fmt + chart.model_dump_json()
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        img_key = "img" + key[len(fmt):]
        img = _IMAGES.get(img_key) or draw(chart)
        _IMAGES.clear()
        _IMAGES[img_key] = img  # the other format of the same chart is often needed next
        buf = io.BytesIO()
        if fmt == "png":
            img.save(buf, "PNG", compress_level=3)  # level 6 costs 50% more time for 25% less size
        else:
            img.save(buf, "JPEG", quality=90, optimize=False)
        _CACHE[key] = buf.getvalue()
    return _CACHE[key]


def chart_png(chart: Chart) -> bytes:
    """PNG bytes of ``chart`` (800×480, no metadata)."""
    return _encoded(chart, "png")


def chart_jpeg(chart: Chart) -> bytes:
    """JPEG bytes of ``chart``: PDFs embed JPEG as is, whereas a PNG is decoded and re-compressed."""
    return _encoded(chart, "jpeg")
