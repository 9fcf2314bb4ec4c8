"""Media renderers (issues 9 and 14): photos, HEIC, MP4, scans, thumbnails and page text reach the sizes the
content stage planned, open in their own libraries, keep their metadata, look like pictures rather than flat
noise, and are byte-identical whatever the process rendered before (per-process caches change no output)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from worldbuilder.render import RENDERERS, RenderContext, media, media_video, screens
from worldbuilder.spec import ComputerSpec, ContentSpec, FileSpec, Paragraph

WHEN = datetime(2024, 6, 1, 14, 30)


def _file(path: str, ftype: str, data: dict, **content) -> FileSpec:
    return FileSpec(path=path, type=ftype, created=WHEN, modified=WHEN,  # type: ignore[arg-type]
                    content=ContentSpec(kind="media", title="Site walk", data=data, **content))


def _render(f: FileSpec, ctx: RenderContext | None = None) -> bytes:
    return RENDERERS[f.type](f, ctx)  # type: ignore[arg-type]


def _jpg(path: str, target: int) -> FileSpec:
    w, h = media.jpg_size_for(target)
    return _file(path, "jpg", {"width": w, "height": h, "make": "SONY", "model": "ILCE-7M4",
                               "taken": "2024:06:01 14:30:00", "lens": "FE 24-70mm F2.8 GM II"})


@pytest.mark.parametrize("target", [150_000, 1_500_000, 6_000_000])
def test_photo_reaches_its_target_with_exif_and_camera_dimensions(target: int) -> None:
    data = _render(_jpg(f"Pictures/DSC_{target}.jpg", target))
    assert 0.85 <= len(data) / target <= 1.2, len(data)
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert im.format == "JPEG" and im.mode == "RGB"
        w, h = im.size
        assert 1.3 <= w / h <= 1.7 and 320 <= w <= 6000
        exif = im.getexif()
        assert exif[0x010F] == "SONY" and exif[0x0110] == "ILCE-7M4"
        assert exif.get_ifd(0x8769)[0x9003] == "2024:06:01 14:30:00"
        assert exif.get_ifd(0x8769)[0xA434] == "FE 24-70mm F2.8 GM II"


def test_photo_has_a_scene_under_its_grain() -> None:
    """Averaged over 16x16 blocks (which removes the grain) a photo still varies: a colour field and shapes,
    not flat noise; at full size the grain is there (neighbouring pixels differ)."""
    img = media.photo_image("Pictures/IMG_0001.jpg", 1600, 1200, media.TEXTURE)
    coarse = img.reduce(16)
    assert max(ImageStat.Stat(coarse).stddev) > 15
    fine = ImageChops.difference(img, img.transform(img.size, Image.AFFINE, (1, 0, 1, 0, 1, 0)))
    assert 15 < ImageStat.Stat(fine.convert("L")).mean[0] < 60


def test_document_pictures_carry_the_bytes_per_pixel_documents_plan_with() -> None:
    """content_offline.documents sizes Image blocks with ``BYTES_PER_PIXEL``: a block must land near it."""
    for w, h in ((480, 320), (1200, 800), (2400, 1600)):
        data = media.block_jpeg(f"Work/report.docx#{w}", w, h)
        assert 0.85 <= len(data) / (w * h * media.BYTES_PER_PIXEL) <= 1.2, (w, h, len(data))
        assert Image.open(io.BytesIO(data)).size == (w, h)


@pytest.mark.parametrize("target", [400_000, 1_000_000])
def test_heic_reaches_its_target_and_decodes(target: int) -> None:
    import pillow_heif

    w, h = media_video.heic_size_for(target)
    data = _render(_file(f"Pictures/IMG_{target}.heic", "heic", {"width": w, "height": h, "model": "iPhone 13"}))
    assert 0.8 <= len(data) / target <= 1.25, len(data)
    heif = pillow_heif.open_heif(io.BytesIO(data))
    assert heif.size == (w, h)
    img = heif.to_pillow()
    assert max(ImageStat.Stat(img.reduce(16)).stddev) > 15  # a scene, not noise or a flat field
    exif = Image.Exif()
    exif.load(heif.info["exif"])
    assert exif[0x0110] == "iPhone 13"


@pytest.mark.parametrize("target", [120_000, 900_000, 2_500_000])
def test_mp4_reaches_its_target_and_every_frame_decodes(target: int) -> None:
    import av

    seconds, bitrate = media_video.video_plan(target, 8)
    assert 2.0 <= seconds <= 8.0
    data = _render(_file(f"Videos/VID_{target}.mp4", "mp4", {"seconds": seconds, "bitrate": bitrate}))
    assert 0.85 <= len(data) / target <= 1.15, len(data)
    with av.open(io.BytesIO(data)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264" and (stream.width, stream.height) == media_video.VIDEO_SIZE
        frames = [f.to_ndarray(format="gray") for f in c.decode(stream)]
    assert len(frames) == media_video.video_frames(seconds)
    assert abs(float(frames[0].mean()) - float(frames[-1].mean())) < 40  # the same scene, panned
    if target >= 900_000:  # at a low bitrate x264 smooths the noise away, as real encoders do
        assert (frames[0] != frames[1]).mean() > 0.5  # sensor noise changes every frame


def test_scan_pages_carry_the_bytes_the_content_stage_plans_with() -> None:
    text = "The inspection covered the north culvert, the outfall and the two swales along the access road. " * 8
    f = _file("Documents/Scans/invoice.pdf", "pdf", {}, blocks=[Paragraph(text=text)] * 12)
    pages = screens.scan_pages(f, 2, 150, 75)
    w, h = int(8.27 * 150), int(11.69 * 150)
    for page in pages:
        assert 0.8 <= len(page) / (w * h * screens.SCAN_BYTES_PER_PIXEL) <= 1.2, len(page)
        with Image.open(io.BytesIO(page)) as im:
            assert im.size == (w, h) and im.mode == "L"
            assert 200 < ImageStat.Stat(im).mean[0] < 245  # light paper with dark print


def test_page_text_from_cached_glyphs_matches_pillows_text() -> None:
    line = "Invoice INV-24173: 14 culverts inspected, 3 need (re)lining; see Table 2 & appendix B."
    for size in (14, 17, 22, 27):
        a = Image.new("L", (1200, 48), 255)
        b = a.copy()
        ImageDraw.Draw(a).text((10, 6), line, fill=20, font=screens.font(size))
        screens.draw_line(ImageDraw.Draw(b), (10, 6), line, 20, size)
        assert sum(ImageChops.difference(a, b).histogram()[60:]) <= 20, size  # a few pixels at most differ visibly
        assert ImageChops.difference(a, Image.new("L", a.size, 255)).getbbox()  # there is text to compare


def test_thumbnails_open_as_pngs_of_their_source() -> None:
    photo = _jpg("Pictures/IMG_0001.jpg", 800_000)
    doc = FileSpec(path="Documents/plan.docx", type="docx", created=WHEN, modified=WHEN,
                   content=ContentSpec(kind="report", title="Plan", blocks=[Paragraph(text="Scope and budget. " * 40)]))
    thumbs = [_file(f"Pictures/.thumbnails/{i}.png", "png", {"image": "thumbnail", "source": src.path})
              for i, src in enumerate((photo, doc))]
    spec = ComputerSpec.model_construct(files=[photo, doc, *thumbs])
    ctx = RenderContext(spec, RENDERERS)
    sizes = []
    for t in thumbs:
        with Image.open(io.BytesIO(_render(t, ctx))) as im:
            assert im.format == "PNG"
            sizes.append(im.size)
    assert sizes == [(128, 96), (96, 128)]


CASES = {
    "jpg": lambda: _render(_jpg("Pictures/2024/DSC_0420.jpg", 900_000)),
    "heic": lambda: _render(_file("Pictures/IMG_4411.heic", "heic", {"width": 800, "height": 600})),
    "mp4": lambda: _render(_file("Videos/VID_1.mp4", "mp4", {"seconds": 2.0, "bitrate": 3_000_000})),
    "block": lambda: media.block_jpeg("Work/report.docx#0", 900, 600),
    "scan": lambda: b"".join(screens.scan_pages(
        _file("Documents/scan.pdf", "pdf", {}, blocks=[Paragraph(text="Signed and dated by both parties. " * 30)]),
        1, 100, 75)),
}


def _digests() -> dict[str, str]:
    return {k: hashlib.sha256(fn()).hexdigest() for k, fn in CASES.items()}


def test_media_bytes_do_not_depend_on_what_the_process_rendered_before() -> None:
    """Per-process caches (grain tiles, glyph masks) change no bytes: a fresh process that renders each case
    first gets what this process gets after rendering other pictures, and twice in a row gives the same."""
    media.photo_image("Pictures/other.jpg", 700, 500, 0.3)  # warm caches with other content first
    screens.scan_pages(_file("Documents/other.pdf", "pdf", {}, blocks=[Paragraph(text="Other words. " * 40)]), 1, 90, 75)
    here = _digests()
    assert here == _digests()
    tests = str(Path(__file__).parent)
    code = (f"import json, sys; sys.path.insert(0, {tests!r}); "
            "from test_media_render import _digests; print(json.dumps(_digests()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == here
    assert _render(_jpg("Pictures/2024/DSC_0421.jpg", 900_000)) != CASES["jpg"]()  # pixels come from the path


def test_hostile_media_parameters_are_clamped_not_allocated():
    """A spec asking for an absurd clip or photo (LLM typo, hostile spec) renders a bounded file, no crash."""
    import io
    from datetime import datetime

    import av
    from PIL import Image

    from worldbuilder.render import media, media_video
    from worldbuilder.spec import FileSpec

    t = datetime(2024, 1, 1)

    def spec(typ: str, data: dict) -> FileSpec:
        return FileSpec(path=f"Videos/x.{typ}", type=typ, created=t, modified=t,
                        content={"kind": "photo", "title": "x", "data": data})

    clip = media_video.render_mp4(spec("mp4", {"seconds": 1e9, "bitrate": 40, "size": [100000, "x"]}), None)
    with av.open(io.BytesIO(clip)) as c:
        assert c.streams.video[0].width <= 1280 and c.duration / 1e6 <= 30.5
    photo = media.render_jpg(spec("jpg", {"width": 10**7, "height": -5, "quality": 1000}), None)
    assert max(Image.open(io.BytesIO(photo)).size) <= media.MAX_SIDE
    assert Image.open(io.BytesIO(media.render_jpg(spec("jpg", {"texture": "rough", "width": 64}), None))).width == 64
    heic = media_video.render_heic(spec("heic", {"quality": "high", "texture": None, "width": 10**6, "height": 48}), None)
    assert heic[4:12] == b"ftypheic"  # non-numbers fall back to the defaults, the size is clamped
    assert media.bounded({"a": float("nan")}, "a", 3, 0, 9) == 3 and media.bounded({"a": "x"}, "a", 2, 0, 9) == 2
