"""Media renderers: CPU per file and size reached against the target, for jpg / heic / mp4 / scans / thumbnails.

Usage: python benchmarks/media_bench.py [--reps 3] [--types jpg,heic,mp4,block,scan,png]

For each type, a grid of target sizes is turned into render parameters by the content stage's own sizing
(``jpg_size_for``, ``heic_size_for``, ``video_plan``, ``pictures``'s bytes per pixel, ``scan``) and rendered;
it prints the median CPU ms per file, ms per MB written and the written/target size ratio (1.00 = on target;
targets below a type's floor, e.g. a 2 s clip or a 320x213 photo, overshoot by design). The bytes-per-pixel
constants of the renderers are the medians of these ratios times the constant.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worldbuilder.render import media, screens  # noqa: E402
from worldbuilder.render.media_video import heic_size_for, render_heic, render_mp4, video_plan  # noqa: E402
from worldbuilder.spec import ContentSpec, FileSpec, Paragraph  # noqa: E402

WHEN = datetime(2024, 6, 1, 14, 30)
TARGETS = {"jpg": (60_000, 250_000, 1_000_000, 3_000_000, 8_000_000), "heic": (250_000, 500_000, 900_000, 1_300_000),
           "mp4": (300_000, 900_000, 1_500_000, 3_000_000), "block": (30_000, 120_000, 400_000, 900_000),
           "scan": (200_000, 500_000, 1_200_000)}


def _file(path: str, ftype: str, data: dict, **content: Any) -> FileSpec:
    return FileSpec(path=path, type=ftype, created=WHEN, modified=WHEN,  # type: ignore[arg-type]
                    content=ContentSpec(kind="media", title="bench", data=data, **content))


def _jpg(i: int, target: int) -> bytes:
    w, h = media.jpg_size_for(target)
    return media.render_jpg(_file(f"Pictures/IMG_{i}.jpg", "jpg", {"width": w, "height": h}), None)  # type: ignore[arg-type]


def _heic(i: int, target: int) -> bytes:
    w, h = heic_size_for(target)
    return render_heic(_file(f"Pictures/IMG_{i}.heic", "heic", {"width": w, "height": h}), None)  # type: ignore[arg-type]


def _mp4(i: int, target: int) -> bytes:
    seconds, bitrate = video_plan(target, 8)
    return render_mp4(_file(f"Videos/VID_{i}.mp4", "mp4", {"seconds": seconds, "bitrate": bitrate}), None)  # type: ignore[arg-type]


def _block(i: int, target: int) -> bytes:
    px = int(target / media.BYTES_PER_PIXEL)  # as content_offline.documents.pictures sizes a figure
    width = max(160, min(5000, int((px * 1.5) ** 0.5)))
    media._BLOCK_CACHE.clear()
    return media.block_jpeg(f"doc.docx#{i}", width, max(110, int(px / width)))


def _scan(i: int, target: int) -> bytes:
    dpi = 150  # pages and resolution as content_offline.media.scan plans them
    per_page = 8.27 * 11.69 * dpi * dpi * screens.SCAN_BYTES_PER_PIXEL
    pages = max(1, min(12, round(target / per_page)))
    if target / per_page < 0.7:
        dpi = max(72, int(dpi * (target / per_page) ** 0.5))  # one page, at the resolution that fills it
    text = "The inspection covered the north culvert, the outfall and the two swales along the access road. "
    f = _file(f"Documents/scan_{i}.pdf", "pdf", {}, blocks=[Paragraph(text=text * 6)] * 10)
    return b"".join(screens.scan_pages(f, pages, dpi, 75))


RENDER = {"jpg": _jpg, "heic": _heic, "mp4": _mp4, "block": _block, "scan": _scan}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3, help="files rendered per target (different paths)")
    ap.add_argument("--types", default=",".join(RENDER))
    a = ap.parse_args()
    print(f"{'type':6s} {'target':>10s} {'ms/file':>8s} {'ms/MB':>7s} {'size/target':>11s}")
    for t in a.types.split(","):
        for target in TARGETS[t]:
            cpu, ratio = [], []
            for i in range(a.reps):
                c = time.process_time()
                data = RENDER[t](i, target)
                cpu.append(time.process_time() - c)
                ratio.append(len(data) / target)
            ms = statistics.median(cpu) * 1000
            print(f"{t:6s} {target:10d} {ms:8.1f} {ms * 1e6 / (target * statistics.median(ratio)):7.1f} "
                  f"{statistics.median(ratio):11.2f}")


if __name__ == "__main__":
    main()
