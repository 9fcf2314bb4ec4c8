"""Phone and camera media encoded by real codecs: HEIC photos (libheif/x265 via pillow-heif) and MP4 clips
(H.264 via PyAV's FFmpeg).

Both are deterministic per file path: pixels come from :func:`photo_image` seeded by the path (video noise
from a numpy generator seeded by it), the encoders run with fixed settings (x265 ``ultrafast`` with a shallow
search, one thread; libx264 ``ultrafast`` single-threaded one-pass ABR with FFmpeg's ``bitexact`` flags, so
no muxer version string or wall-clock time lands in the file). The bytes are the same for the same encoder
builds (the pillow-heif and av wheels pin them; x264 writes its version into the stream). ``content.data``
carries the parameters the content stage chose (pixel size, camera, time taken, clip length).
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from worldbuilder.render import media
from worldbuilder.render.base import RenderContext
from worldbuilder.render.media import photo_image
from worldbuilder.spec import FileSpec

HEIC_BYTES_PER_PIXEL = 1.05  # x265 at quality 90 on a photo with grain 0.3 (measured: benchmarks/media_bench.py)
HEIC_MAX = (1280, 960)  # a phone's reduced-size export: x265 costs about 0.1 s CPU per million pixels
HEIC_QUALITY, HEIC_TEXTURE = 90, 0.3
# x265 "ultrafast" with 16x16 coding units and a shallow transform/RD search: half the CPU of plain ultrafast
# for the same bytes; one thread, no pools (deterministic)
HEIC_ENCODER = {"preset": "ultrafast", "x265:pools": "none", "x265:frame-threads": "1", "x265:ctu": "16",
                "x265:rd": "1", "x265:tu-intra-depth": "1", "x265:max-tu-size": "16"}
VIDEO_SIZE = (640, 360)
VIDEO_FPS = 25
VIDEO_BYTES_PER_SECOND = 450_000  # 3.6 Mbit/s: a phone clip re-encoded for sharing; sets a clip's length
VIDEO_MAX_BITRATE = 8_000_000  # a clip whose target needs more is longer rather than denser
VIDEO_NOISE = 24  # sensor noise amplitude (luma levels), fresh every frame: it carries the bitrate
VIDEO_NOISE_SEED = 20240601


def _params(file: FileSpec) -> dict[str, Any]:
    return file.content.data if isinstance(file.content.data, dict) else {}


def heic_size_for(target: int, aspect: float = 4 / 3) -> tuple[int, int]:
    """Pixel size whose HEIC is about ``target`` bytes (clamped to 640x480 .. ``HEIC_MAX``)."""
    pixels = max(640 * 480, min(HEIC_MAX[0] * HEIC_MAX[1], int(target / HEIC_BYTES_PER_PIXEL)))
    h = int((pixels / aspect) ** 0.5)
    return max(640, min(HEIC_MAX[0], int(h * aspect))), max(480, min(HEIC_MAX[1], h))


def render_heic(file: FileSpec, ctx: RenderContext) -> bytes:
    """An iPhone-style HEIC photo with Make/Model/DateTimeOriginal EXIF tags."""
    import pillow_heif

    p = _params(file)
    # x265 refuses frames much beyond a reduced-size export with these settings (2048x2048 fails): the long
    # side stays within HEIC_MAX's long side, the short side within its short side (portraits are swapped)
    width, height = media.pixel_size(p, (1008, 756))
    long_side, short_side = max(HEIC_MAX), min(HEIC_MAX)
    width, height = (min(width, long_side), min(height, short_side)) if width >= height else \
        (min(width, short_side), min(height, long_side))
    img = photo_image(file.path, width, height, media.bounded(p, "texture", HEIC_TEXTURE, 0.0, 1.0))
    taken = str(p.get("taken") or f"{file.created:%Y:%m:%d %H:%M:%S}")
    exif = Image.Exif()
    exif[0x010F] = str(p.get("make", "Apple"))
    exif[0x0110] = str(p.get("model", "iPhone 14 Pro"))
    exif[0x0131] = str(p.get("software", "17.4.1"))
    exif[0x0132] = taken
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = taken  # DateTimeOriginal
    ifd[0x9004] = taken
    heif = pillow_heif.from_pillow(img)
    buf = io.BytesIO()
    quality = int(media.bounded(p, "quality", HEIC_QUALITY, 1, 100))
    heif.save(buf, quality=quality, exif=exif.tobytes(), enc_params=HEIC_ENCODER)
    return buf.getvalue()


def video_frames(seconds: float) -> int:
    return max(VIDEO_FPS, int(seconds * VIDEO_FPS))


def video_plan(target: int, max_seconds: float) -> tuple[float, int]:
    """(seconds, bits per second) of a clip of about ``target`` bytes: its length at the usual rate
    (2 s .. ``max_seconds``), then the bitrate that fills it."""
    seconds = round(max(2.0, min(max_seconds, target / VIDEO_BYTES_PER_SECOND)), 1)
    return seconds, int(min(VIDEO_MAX_BITRATE, target * 8 / seconds))


@lru_cache(maxsize=2)
def _noise_tile(amp: int) -> np.ndarray:
    """Per-process luma noise in [0, amp] that frames take windows of (fixed seed: deterministic)."""
    raw = np.frombuffer(np.random.default_rng(VIDEO_NOISE_SEED).bytes(720 * 1280), np.uint8)
    return ((raw.astype(np.uint16) * (amp + 1)) >> 8).astype(np.uint8).reshape(720, 1280)


def _scene_planes(seed: str, width: int, height: int, amp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, U, V planes (limited range, Y leaving ``amp`` levels of headroom for noise) of a photo-like scene."""
    ycc = np.asarray(photo_image(seed, width, height, 0.0).convert("YCbCr"))
    luma = (16 + np.arange(256) * (219 - amp) / 255).astype(np.uint8)
    chroma = (16 + np.arange(256) * 224 / 255).astype(np.uint8)
    return luma[ycc[:, :, 0]], chroma[ycc[0::2, 0::2, 1]], chroma[ycc[0::2, 0::2, 2]]


def render_mp4(file: FileSpec, ctx: RenderContext) -> bytes:
    """An H.264 MP4 clip: a slow hand-held pan across a photo-like scene with sensor noise, ``seconds`` long
    at ``bitrate`` bits per second (one-pass ABR, so the file lands near its target size)."""
    import av

    p = _params(file)
    size = p.get("size", VIDEO_SIZE)
    size = size if isinstance(size, list | tuple) and len(size) == 2 else VIDEO_SIZE
    # frames are windows of the noise tile, in multiples of 4 (4:2:0 planes); a hostile length would encode for hours
    width, height = (int(media.bounded({"v": x}, "v", d, 32, hi)) // 4 * 4
                     for x, d, hi in zip(size, VIDEO_SIZE, (1276, 716), strict=True))
    seconds = media.bounded(p, "seconds", 4.0, 0.5, 30.0)
    frames = video_frames(seconds)
    bitrate = int(media.bounded(p, "bitrate", VIDEO_BYTES_PER_SECOND * 8, 64_000, VIDEO_MAX_BITRATE))
    buf = io.BytesIO()
    out = av.open(buf, "w", format="mp4", options={"fflags": "+bitexact"})
    taken = str(p.get("taken") or f"{file.created:%Y-%m-%dT%H:%M:%S}")
    out.metadata.update({"title": file.content.title, "creation_time": _iso(taken),
                         "comment": f"{p.get('make', 'Apple')} {p.get('model', 'iPhone 14 Pro')}"})
    # ratetol 0.1: a tight one-pass ABR, so even a 2 s clip lands within a few % of its bitrate
    stream = out.add_stream("libx264", rate=VIDEO_FPS, options={"preset": "ultrafast", "threads": "1",
                                                                "x264-params": "threads=1:ratetol=0.1"})
    stream.width, stream.height, stream.pix_fmt, stream.bit_rate = width, height, "yuv420p", bitrate
    stream.codec_context.flags |= av.codec.context.Flags.bitexact
    for frame in _frames(file.path, width, height, frames):
        for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="yuv420p")):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return buf.getvalue()


def _frames(seed: str, width: int, height: int, frames: int) -> Iterator[np.ndarray]:
    """yuv420p frames (one reused array) of a pan across the scene, with fresh noise in every frame."""
    luma, u, v = _scene_planes(seed, width + frames + 2, height + frames // 3 + 2, VIDEO_NOISE)
    noise = _noise_tile(VIDEO_NOISE)
    rng = np.random.default_rng(random.Random(seed).getrandbits(64))
    frame = np.empty((height * 3 // 2, width), np.uint8)
    q, cw, ch = height // 4, width // 2, height // 2
    for i in range(frames):
        x, y = i, i // 3
        ny, nx = int(rng.integers(0, noise.shape[0] - height)), int(rng.integers(0, noise.shape[1] - width))
        np.add(luma[y:y + height, x:x + width], noise[ny:ny + height, nx:nx + width], out=frame[:height])
        frame[height:height + q] = u[y // 2:y // 2 + ch, x // 2:x // 2 + cw].reshape(q, width)
        frame[height + q:] = v[y // 2:y // 2 + ch, x // 2:x // 2 + cw].reshape(q, width)
        yield frame


def _iso(taken: str) -> str:
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(taken, fmt).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        except ValueError:
            continue
    return taken
