"""Realism of a home's shape (issue 9): type mix per occupation and pooled, file sizes against the
Impressions model, HEIC/MP4/MP3 media that open in their own libraries with the same bytes every time."""

from __future__ import annotations

import hashlib
import io
import math
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from worldbuilder import api
from worldbuilder.generate import tree_shape
from worldbuilder.personas import sample_personas
from worldbuilder.spec import ComputerSpec, ContentSpec, FileSpec
from worldbuilder.stats import tv_distance

NURSE = "ICU charge nurse at a county hospital who precepts new graduates"
SWE = "Backend software engineer maintaining payment APIs at a fintech startup"
PHOTOGRAPHER = "Wedding photographer in Portland who edits in Lightroom and runs her own small studio"
MU, SIGMA = 9.48, 2.457


def visible(spec: ComputerSpec) -> Counter[str]:
    return Counter(f.type for f in spec.files if not f.hidden)


def mix_tvd(a: Counter[str], b: Counter[str]) -> float:
    ta, tb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a[k] / ta - b[k] / tb) for k in set(a) | set(b))


def ks(values: list[float]) -> float:
    xs, n, d = sorted(values), len(values), 0.0
    for i, x in enumerate(xs):
        cdf = 0.5 * (1 + math.erf((x - MU) / (SIGMA * math.sqrt(2))))
        d = max(d, abs(cdf - i / n), abs(cdf - (i + 1) / n))
    return d


# --------------------------------------------------------------------------- type mix


def test_occupations_get_their_own_type_mix() -> None:
    nurse, swe, photo = (visible(api.plan(p, seed=7)) for p in (NURSE, SWE, PHOTOGRAPHER))
    assert mix_tvd(nurse, swe) >= 0.25
    assert nurse["py"] == 0 and swe["py"] >= 0.15 * sum(swe.values())
    assert photo["jpg"] + photo["heic"] >= 0.4 * sum(photo.values()) and photo["heic"] > 0
    assert photo["py"] == 0 and nurse["mp4"] == 0


@pytest.mark.slow
def test_pooled_mix_of_the_builtin_personas_is_the_papers() -> None:
    pooled: Counter[str] = Counter()
    for i, p in enumerate(sample_personas(20, seed=2026)):
        pooled.update(visible(api.plan(p, seed=i)))
    assert tv_distance(dict(pooled)) <= 0.10


# --------------------------------------------------------------------------- sizes


def test_size_targets_follow_the_size_model_and_big_draws_go_to_types_that_carry_them() -> None:
    captured = _planned(SWE, 3)
    targets = [math.log(f.target_bytes) for f in captured]
    assert ks(targets) <= 0.1
    for f in captured:  # a chart PNG or a workbook never gets a size its content cannot reach
        if f.type in tree_shape.REACH_LN and not f.exact_copy:
            top = sorted(t for t in targets)[int(len(targets) * 0.99)]
            assert math.log(f.target_bytes) < top, (f.path, f.target_bytes)


def test_rendered_sizes_follow_the_model(tmp_path: Path) -> None:
    spec, tree = api.load_computer(api.generate(PHOTOGRAPHER, tmp_path / "c", seed=5))
    sizes = [(tree / f.path).stat().st_size for f in spec.files]
    assert ks([math.log(max(1, s)) for s in sizes]) <= 0.2
    assert sum(s > 1_000_000 for s in sizes) >= 2
    assert any(f.path.endswith(".heic") for f in spec.files)


# --------------------------------------------------------------------------- media


def _file(path: str, ftype: str, data: dict) -> FileSpec:
    when = datetime(2024, 6, 1, 14, 30)
    return FileSpec(path=path, type=ftype, created=when, modified=when,  # type: ignore[arg-type]
                    content=ContentSpec(kind="media", title="Site walk", data=data))


HEIC = ("Pictures/2024/IMG_4411.heic", "heic", {"width": 640, "height": 480, "make": "Apple", "model": "iPhone 13",
                                                "taken": "2024:06:01 14:30:00"})
MP4 = ("Work/Video/2024-06-01 site walk.mp4", "mp4", {"seconds": 2.0, "make": "Apple", "model": "iPhone 13",
                                                       "taken": "2024:06:01 14:30:00"})
MP3 = ("Documents/Recordings/memo.mp3", "mp3", {"seconds": 3, "artist": "Ana Ruiz"})


def _render(args: tuple) -> bytes:
    from worldbuilder.render import RENDERERS

    return RENDERERS[args[1]](_file(*args), None)  # type: ignore[arg-type]


def test_heic_opens_with_libheif_and_keeps_its_exif() -> None:
    import pillow_heif
    from PIL import Image

    data = _render(HEIC)
    heif = pillow_heif.open_heif(io.BytesIO(data))
    assert heif.size == (640, 480) and heif.mode == "RGB"
    exif = Image.Exif()
    exif.load(heif.info["exif"])
    assert exif[0x0110] == "iPhone 13" and exif.get_ifd(0x8769)[0x9003] == "2024:06:01 14:30:00"


def test_mp4_opens_with_ffmpeg_and_mutagen(tmp_path: Path) -> None:
    import av
    import mutagen.mp4

    data = _render(MP4)
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as c:
        video = c.streams.video[0]
        assert video.codec_context.name == "h264" and (video.width, video.height) == (640, 360)
        assert sum(1 for _ in c.decode(video)) == 50  # 2 s at 25 fps, every frame decodes
        assert c.metadata["creation_time"].startswith("2024-06-01T14:30:00")
    tags = mutagen.mp4.MP4(str(path))
    assert abs(tags.info.length - 2.0) < 0.1 and tags["\xa9nam"] == ["Site walk"]
    assert b"Lavf" not in data  # bitexact muxing: no muxer version string (x264's own SEI stays)


def test_mp3_opens_with_mutagen(tmp_path: Path) -> None:
    import mutagen.mp3

    path = tmp_path / "memo.mp3"
    path.write_bytes(_render(MP3))
    audio = mutagen.mp3.MP3(str(path))
    assert abs(audio.info.length - 3.0) < 0.1 and audio.info.bitrate == 128000
    assert str(audio.tags["TPE1"]) == "Ana Ruiz"


def test_media_bytes_are_the_same_in_another_process() -> None:
    here = {a[1]: hashlib.sha256(_render(a)).hexdigest() for a in (HEIC, MP4)}
    tests = str(Path(__file__).parent)
    code = (f"import hashlib, sys; sys.path.insert(0, {tests!r}); from test_realism_shape import HEIC, MP4, _render; "
            "print(hashlib.sha256(_render(HEIC)).hexdigest(), hashlib.sha256(_render(MP4)).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [here["heic"], here["mp4"]]
    assert _render(HEIC) != _render(("Pictures/2024/IMG_4412.heic", *HEIC[1:]))  # pixels come from the path


PARALEGAL = "Paralegal at a personal-injury firm who drafts demand letters and organises discovery"


def _planned(persona: str, seed: int, size: str = "standard") -> list:
    captured: list = []
    real = tree_shape.assign_targets

    def spy(files, rng):  # noqa: ANN001
        real(files, rng)
        captured.extend(files)

    tree_shape.assign_targets = spy
    try:
        api.plan(persona, seed=seed, size=size)
    finally:
        tree_shape.assign_targets = real
    return captured


@pytest.mark.parametrize("seed", [0, 1])
def test_small_draws_go_to_files_that_can_be_that_small(seed: int) -> None:
    """A docx-heavy home: a docx cannot be smaller than its template, so the model's small sizes must go to
    notes, configs, mail and caches; what the renderers can make of each target stays within the model."""
    files = [f for f in _planned(PARALEGAL, seed) if not f.exact_copy]
    lowest = min(tree_shape.size_window(f)[0] for f in files)  # draws below every floor have to go somewhere
    below = [f.path for f in files if lowest < math.log(f.target_bytes) < tree_shape.size_window(f)[0] - 0.05]
    assert len(below) <= 0.01 * len(files), below
    made = [min(max(math.log(f.target_bytes), lo), hi) for f in files for lo, hi in [tree_shape.size_window(f)]]
    assert ks(made) <= 0.10
    docx = [f for f in files if f.type == "docx"]
    assert len(docx) >= 0.3 * sum(not f.hidden for f in files)


def test_docx_heavy_home_renders_within_the_size_model(tmp_path: Path) -> None:
    """A patent attorney's home (mostly docx and pdf): KS was 0.165 when small draws went to docx files."""
    attorney = "A patent attorney at an intellectual property firm in Munich drafting claims for medical devices"
    spec, tree = api.load_computer(api.generate(attorney, tmp_path / "c", seed=18))
    sizes = [(tree / f.path).stat().st_size for f in spec.files]
    assert ks([math.log(max(1, s)) for s in sizes]) <= 0.15
