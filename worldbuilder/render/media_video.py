"""Phone and camera media encoded by real codecs: HEIC photos (libheif/x265 via pillow-heif) and MP4 clips
(H.264 via PyAV's FFmpeg).

Both are deterministic per file path: pixels come from :func:`photo_image` seeded by the path, the encoders
run with fixed settings (x265 ``ultrafast``; libx264 single-threaded with FFmpeg's ``bitexact`` flags, so no
muxer version string or wall-clock time lands in the file). The bytes are the same for the same encoder
builds (the pillow-heif and av wheels pin them; x264 writes its version into the stream). ``content.data``
carries the parameters the content stage chose (pixel size, camera, time taken, clip length).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from PIL import Image

from worldbuilder.render.base import RenderContext
from worldbuilder.render.media import photo_image
from worldbuilder.spec import FileSpec

HEIC_BYTES_PER_PIXEL = 0.8  # x265 ultrafast at quality 82 on a photo with grain 0.18 (measured)
HEIC_MAX = (1280, 960)  # a phone's reduced-size export: x265 costs about 0.1 s CPU per 300k pixels
HEIC_QUALITY, HEIC_TEXTURE = 82, 0.18
VIDEO_SIZE = (640, 360)
VIDEO_FPS = 25
VIDEO_TEXTURE = 0.3
VIDEO_FRAME_BYTES = 7_000  # libx264 ultrafast crf 18 at 640x360 on a panning grainy scene (measured)


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
    width, height = int(p.get("width", 1008)), int(p.get("height", 756))
    img = photo_image(file.path, width, height, float(p.get("texture", HEIC_TEXTURE)))
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
    heif.save(buf, quality=int(p.get("quality", HEIC_QUALITY)), exif=exif.tobytes(),
              enc_params={"preset": "ultrafast", "x265:pools": "none", "x265:frame-threads": "1"})
    return buf.getvalue()


def video_frames(seconds: float) -> int:
    return max(VIDEO_FPS, int(seconds * VIDEO_FPS))


def render_mp4(file: FileSpec, ctx: RenderContext) -> bytes:
    """An H.264 MP4 clip: a slow pan across a photo-like scene with grain, ``seconds`` long."""
    import av

    p = _params(file)
    width, height = (int(x) for x in p.get("size", VIDEO_SIZE))
    frames = video_frames(float(p.get("seconds", 4.0)))
    scene = photo_image(file.path, width + frames, height + frames // 3, float(p.get("texture", VIDEO_TEXTURE)))
    buf = io.BytesIO()
    out = av.open(buf, "w", format="mp4", options={"fflags": "+bitexact"})
    taken = str(p.get("taken") or f"{file.created:%Y-%m-%dT%H:%M:%S}")
    out.metadata.update({"title": file.content.title, "creation_time": _iso(taken),
                         "comment": f"{p.get('make', 'Apple')} {p.get('model', 'iPhone 14 Pro')}"})
    stream = out.add_stream("libx264", rate=VIDEO_FPS, options={"crf": str(p.get("crf", 18)), "preset": "ultrafast",
                                                                "threads": "1", "x264-params": "threads=1"})
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.flags |= av.codec.context.Flags.bitexact
    for i in range(frames):  # a slow hand-held pan across the scene
        frame = scene.crop((i, i // 3, i + width, i // 3 + height))
        for packet in stream.encode(av.VideoFrame.from_image(frame)):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return buf.getvalue()


def _iso(taken: str) -> str:
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(taken, fmt).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        except ValueError:
            continue
    return taken
