"""Media renderers: jpg photos with EXIF (Pillow), mp3 audio (MPEG-1 Layer III frames), vCard contacts.

Every file is deterministic: pixels and audio come from a ``random.Random`` seeded by the file path (grain
from numpy generators with fixed or path-derived seeds; per-process caches never change a file's bytes).
``content.data`` carries the parameters the content stage chose (size, camera, time taken, ...).
"""

from __future__ import annotations

import io
import random
import struct
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from worldbuilder.render.base import RenderContext
from worldbuilder.spec import FileSpec

EXIF_IFD = 0x8769
BYTES_PER_PIXEL = 0.74  # jpg of a textured scene (grain 0.4) at quality 95 (measured)
TEXTURE, QUALITY = 0.4, 95
GRAIN_SEED = 20240601


MAX_SIDE = 8192  # pixels: a spec asking for more (an LLM's typo, a hostile spec) is clamped, not allocated


def bounded(p: dict[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    """``p[key]`` as a number clamped to ``lo .. hi`` (``default`` when absent or not a number)."""
    try:
        value = float(p.get(key, default))
    except (TypeError, ValueError):
        value = default
    return min(hi, max(lo, value)) if value == value else default  # NaN -> default


def pixel_size(p: dict[str, Any], default: tuple[int, int]) -> tuple[int, int]:
    """(width, height) from ``p``, each clamped to 16 .. MAX_SIDE."""
    return int(bounded(p, "width", default[0], 16, MAX_SIDE)), int(bounded(p, "height", default[1], 16, MAX_SIDE))


def _params(file: FileSpec) -> dict[str, Any]:
    return file.content.data if isinstance(file.content.data, dict) else {}


def photo_image(seed: str, width: int, height: int, texture: float = 0.18) -> Image.Image:
    """A photo-like picture: a smooth colour field (sky, ground, subject blobs) with sensor-like grain.

    The picture is ``field * (1 - texture) + grain * texture`` built a band of rows at a time (the
    intermediates stay in the CPU cache): the field is scaled while it is small (under enough grain, an
    eighth of the size enlarged without interpolation, which looks the same as a bicubic enlargement), the
    shapes are drawn on the band, and the grain is a seeded window of a per-process noise tile.
    """
    rng = random.Random(seed)
    texture = min(1.0, max(0.0, texture))
    gw, gh = 6, 4
    step = 8 if texture >= 0.15 else 1  # with little grain to hide them, the 8-pixel steps would show
    small = ((width + step - 1) // step, (height + step - 1) // step)
    keep = 1.0 - texture
    field = Image.frombytes("RGB", (gw, gh), rng.randbytes(gw * gh * 3)).resize(small, Image.BICUBIC)
    field = field.point([int(v * keep) for v in range(256)] * 3)
    shapes = []
    for _ in range(rng.randint(2, 6)):  # a few soft shapes: people, furniture, buildings
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randint(width // 20 + 1, width // 5 + 2)
        shapes.append(((x - r, y - r, x + r, y + r), tuple(int(rng.randrange(40, 230) * keep) for _ in range(3))))
    out = Image.new("RGB", (width, height))
    for y0 in range(0, height, BAND_ROWS):
        rows = min(BAND_ROWS, height - y0)
        band = field.resize((width, rows), Image.NEAREST, box=(0, y0 / step, small[0], (y0 + rows) / step))
        draw = ImageDraw.Draw(band)
        for (x0, top, x1, bottom), fill in shapes:
            if top < y0 + rows and bottom >= y0:
                draw.ellipse((x0, top - y0, x1, bottom - y0), fill=fill)
        if texture > 0:
            # field <= 255 * keep and grain <= 255 * texture: the sum never wraps, so the cheap modulo add is exact
            band = ImageChops.add_modulo(band, _grain_window(rng, texture, width, rows))
        out.paste(band, (0, y0))
    return out


BAND_ROWS = 128
GRAIN_TILE = (6144, 320)  # wider than any picture the renderers make (photos are at most 6000 wide)


@lru_cache(maxsize=4)
def _grain_tile(texture: float) -> Image.Image:
    """Luminance grain in [0, 255 * texture] shared by the pictures of a process (fixed seed: deterministic)."""
    return grain_rgb(np.random.default_rng(GRAIN_SEED), *GRAIN_TILE, texture)


def _grain_window(rng: random.Random, texture: float, width: int, rows: int) -> Image.Image:
    """``width`` x ``rows`` of grain at a seeded place in the tile (fresh noise for small pictures, which
    need no tile, and for pictures wider than the tile)."""
    if width * rows < 1 << 16 or width > GRAIN_TILE[0] or rows > GRAIN_TILE[1]:
        return grain_rgb(np.random.default_rng(rng.getrandbits(64)), width, rows, texture)
    tile = _grain_tile(texture)
    x, y = rng.randrange(tile.width - width + 1), rng.randrange(tile.height - rows + 1)
    return tile.crop((x, y, x + width, y + rows))


def grain(gen: np.random.Generator, width: int, height: int, texture: float) -> Image.Image:
    """Uniform noise in ``[0, 255 * texture]`` as an "L" image (sensor grain, scanner noise)."""
    return Image.frombytes("L", (width, height), gen.bytes(width * height)).point(_scale_lut(int(255 * texture)))


def grain_rgb(gen: np.random.Generator, width: int, height: int, texture: float) -> Image.Image:
    """:func:`grain` as a grey "RGB" image (luminance noise to blend into colour pictures)."""
    noise = grain(gen, width, height, texture)
    return Image.merge("RGB", (noise, noise, noise))


@lru_cache(maxsize=16)
def _scale_lut(amp: int) -> list[int]:
    return [v * amp // 255 for v in range(256)]


_BLOCK_CACHE: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
BLOCK_CACHE_BYTES = 48 << 20  # versions and copies of a document embed the same pictures


def block_jpeg(seed: str, width: int, height: int) -> bytes:
    """JPEG bytes of an Image block (embedded in documents); recently made ones are reused."""
    key = (seed, width, height)
    if key in _BLOCK_CACHE:
        _BLOCK_CACHE.move_to_end(key)
        return _BLOCK_CACHE[key]
    buf = io.BytesIO()
    photo_image(seed, width, height, TEXTURE).save(buf, "JPEG", quality=QUALITY)
    data = _BLOCK_CACHE[key] = buf.getvalue()
    while sum(map(len, _BLOCK_CACHE.values())) > BLOCK_CACHE_BYTES:
        _BLOCK_CACHE.popitem(last=False)
    return data


def render_jpg(file: FileSpec, ctx: RenderContext) -> bytes:
    """A camera or phone photo with Make/Model/DateTimeOriginal EXIF tags."""
    p = _params(file)
    width, height = pixel_size(p, (1600, 1200))
    img = photo_image(file.path, width, height, bounded(p, "texture", TEXTURE, 0.0, 1.0))
    exif = Image.Exif()
    taken = str(p.get("taken") or f"{file.created:%Y:%m:%d %H:%M:%S}")
    exif[0x010F] = str(p.get("make", "Canon"))
    exif[0x0110] = str(p.get("model", "Canon EOS R6"))
    exif[0x0131] = str(p.get("software", "Camera firmware 1.0"))
    exif[0x0132] = taken
    ifd = exif.get_ifd(EXIF_IFD)
    ifd[0x9003] = taken  # DateTimeOriginal
    ifd[0x9004] = taken  # DateTimeDigitized
    if p.get("lens"):
        ifd[0xA434] = str(p["lens"])  # LensModel
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=int(bounded(p, "quality", QUALITY, 1, 100)), exif=exif.tobytes())
    return buf.getvalue()


def jpg_size_for(target: int, aspect: float = 1.5) -> tuple[int, int]:
    """Pixel size whose jpg is about ``target`` bytes (clamped to 320x213 .. 6000x4000)."""
    pixels = max(320 * 213, min(6000 * 4000, int(target / BYTES_PER_PIXEL)))
    h = int((pixels / aspect) ** 0.5)
    return max(320, min(6000, int(h * aspect))), max(200, min(4000, h))


# --------------------------------------------------------------------------- mp3

_FRAME_HEADER = bytes([0xFF, 0xFB, 0x90, 0x64])  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo
FRAME_BYTES = 417  # 144 * 128000 / 44100, no padding
FRAME_SECONDS = 1152 / 44100


def _id3_frame(fid: str, text: str) -> bytes:
    body = b"\x03" + text.encode("utf-8")
    return fid.encode() + struct.pack(">I", len(body)) + b"\x00\x00" + body


def _syncsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def render_mp3(file: FileSpec, ctx: RenderContext) -> bytes:
    """An ID3v2.3-tagged MP3 of ``seconds`` of near-silent frames (a voice memo, a podcast cut, ...)."""
    p = _params(file)
    frames = max(10, int(float(p.get("seconds", 30)) / FRAME_SECONDS))
    tags = b"".join(_id3_frame(k, str(v)) for k, v in (("TIT2", file.content.title), ("TPE1", p.get("artist", "")),
                                                         ("TYER", f"{file.created:%Y}")) if v)
    out = bytearray(b"ID3\x03\x00\x00" + _syncsafe(len(tags)) + tags)
    silent = _FRAME_HEADER + bytes(FRAME_BYTES - 4)
    out += silent * frames
    return bytes(out)


# --------------------------------------------------------------------------- vcf


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def render_vcf(file: FileSpec, ctx: RenderContext) -> bytes:
    """vCard 3.0 cards from ``data``: a list of {name, email, phone, org, title}."""
    cards = file.content.data if isinstance(file.content.data, list) else []
    lines: list[str] = []
    for c in cards:
        name = str(c.get("name", ""))
        first, _, last = name.partition(" ")
        lines += ["BEGIN:VCARD", "VERSION:3.0", f"N:{_esc(last)};{_esc(first)};;;", f"FN:{_esc(name)}"]
        if c.get("org"):
            lines.append(f"ORG:{_esc(str(c['org']))}")
        if c.get("title"):
            lines.append(f"TITLE:{_esc(str(c['title']))}")
        if c.get("email"):
            lines.append(f"EMAIL;TYPE=INTERNET:{c['email']}")
        if c.get("phone"):
            lines.append(f"TEL;TYPE=CELL:{c['phone']}")
        if c.get("note"):
            lines.append(f"NOTE:{_esc(str(c['note']))}")
        lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
