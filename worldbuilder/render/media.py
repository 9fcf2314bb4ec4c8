"""Media renderers: jpg photos with EXIF (Pillow), mp3 audio (MPEG-1 Layer III frames), vCard contacts.

Every file is deterministic: pixels and audio come from a ``random.Random`` seeded by the file path.
``content.data`` carries the parameters the content stage chose (size, camera, time taken, ...).
"""

from __future__ import annotations

import io
import random
import struct
from collections import OrderedDict
from typing import Any

from PIL import Image, ImageDraw

from worldbuilder.render.base import RenderContext
from worldbuilder.spec import FileSpec

EXIF_IFD = 0x8769
BYTES_PER_PIXEL = 0.74  # jpg of a textured scene (grain 0.4) at quality 95 (measured)
TEXTURE, QUALITY = 0.4, 95


def _params(file: FileSpec) -> dict[str, Any]:
    return file.content.data if isinstance(file.content.data, dict) else {}


def photo_image(seed: str, width: int, height: int, texture: float = 0.18) -> Image.Image:
    """A photo-like picture: a smooth colour field (sky, ground, subject blobs) with sensor-like grain."""
    rng = random.Random(seed)
    gw, gh = 6, 4
    # the smooth field is interpolated at an eighth of the size and enlarged without interpolation: under
    # the grain it looks the same as a full-size bicubic enlargement, at a fifth of the cost
    small = ((width + 7) // 8, (height + 7) // 8)
    base = Image.frombytes("RGB", (gw, gh), rng.randbytes(gw * gh * 3)).resize(small, Image.BICUBIC)
    base = base.resize((width, height), Image.NEAREST)
    draw = ImageDraw.Draw(base)
    for _ in range(rng.randint(2, 6)):  # a few soft shapes: people, furniture, buildings
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randint(width // 20 + 1, width // 5 + 2)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(40, 230) for _ in range(3)))
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    return Image.blend(base, grain, texture)


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
    width, height = int(p.get("width", 1600)), int(p.get("height", 1200))
    img = photo_image(file.path, width, height, float(p.get("texture", TEXTURE)))
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
    img.save(buf, "JPEG", quality=int(p.get("quality", QUALITY)), exif=exif.tobytes())
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
