"""Parameters of media files (photos, recordings, contacts, screenshots, thumbnails, scans), sized to the
file's target: a photo's pixel count, a recording's length, a scan's pages and resolution."""

from __future__ import annotations

import hashlib
import posixpath

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.generate.tree_shape import CAMERAS, PHONES
from worldbuilder.render.media import FRAME_BYTES, FRAME_SECONDS, QUALITY, TEXTURE, jpg_size_for
from worldbuilder.render.media_video import heic_size_for, video_plan
from worldbuilder.render.screens import SCAN_BYTES_PER_PIXEL

MAX_VIDEO_SECONDS = 8  # encoding costs CPU per frame: clips stay short (most phone clips are)

SCANNERS = ("HP LaserJet MFP M234sdw", "Canon PIXMA TS6420", "Epson WorkForce WF-2960", "Brother MFC-L2750DW",
            "Genius Scan for iOS", "Microsoft Lens")
SCAN_KINDS = frozenset({"statement", "tax_summary", "insurance", "invoice", "receipt", "signed_contract", "scan",
                        "agreement", "letter", "certificate"})
VIEWERS = {"docx": "LibreOffice Writer", "xlsx": "LibreOffice Calc", "pdf": "Document Viewer", "pptx": "LibreOffice Impress",
           "md": "Text Editor", "txt": "Text Editor"}


def _pick(seq: tuple, key: str) -> tuple:
    return seq[int(hashlib.sha1(key.encode()).hexdigest(), 16) % len(seq)]


def photo(w: Writer) -> dict:
    """One camera for a whole burst folder (by folder name), phone cameras for personal pictures."""
    folder = posixpath.dirname(w.plan.path)
    if w.plan.project:
        make, model, lens = _pick(CAMERAS, folder)
        aspect = 1.5
    else:
        make, model = _pick(PHONES, folder)
        lens, aspect = "", 4 / 3
    width, height = jpg_size_for(w.plan.target_bytes or 2_000_000, aspect)
    if w.rng.random() < 0.2:
        width, height = height, width  # portrait
    return {"width": width, "height": height, "make": make, "model": model, "lens": lens,
            "taken": f"{w.plan.created:%Y:%m:%d %H:%M:%S}", "quality": QUALITY, "texture": TEXTURE,
            "software": "Adobe Lightroom Classic 13.1" if w.plan.project and w.rng.random() < 0.5 else f"{model} firmware"}


def recording(w: Writer) -> dict:
    seconds = max(5.0, (w.plan.target_bytes or 400_000) / FRAME_BYTES * FRAME_SECONDS)
    return {"seconds": round(seconds, 1), "artist": w.profile.full_name}


def phone_photo(w: Writer) -> dict:
    """An iPhone HEIC: pixel size from the target, the phone by folder (one phone per day out)."""
    iphones = tuple(p for p in PHONES if p[0] == "Apple")
    make, model = _pick(iphones, posixpath.dirname(w.plan.path))
    width, height = heic_size_for(w.plan.target_bytes or 600_000)
    if w.rng.random() < 0.3:
        width, height = height, width  # portrait
    return {"width": width, "height": height, "make": make, "model": model,
            "taken": f"{w.plan.created:%Y:%m:%d %H:%M:%S}", "software": w.rng.choice(("16.6", "17.4.1", "17.5"))}


def video(w: Writer) -> dict:
    """A clip whose length and bitrate bring it to its target (length capped: encoding costs CPU per frame)."""
    seconds, bitrate = video_plan(w.plan.target_bytes or 1_000_000, MAX_VIDEO_SECONDS)
    make, model = _pick(PHONES, w.plan.path)
    return {"seconds": seconds, "bitrate": bitrate, "make": make, "model": model,
            "taken": f"{w.plan.created:%Y:%m:%d %H:%M:%S}"}


def contact_cards(w: Writer) -> list[dict]:
    people = sorted(w.world.people, key=lambda p: p.name)
    n = max(1, min(len(people), (w.plan.target_bytes or 2000) // 160))
    orgs = {o.id: o.name for o in w.world.organisations}
    return [{"name": p.name, "email": p.email, "phone": p.phone, "org": orgs.get(p.organisation, ""), "title": p.role}
            for p in people[:n]]


def screenshot(w: Writer, files: list[FilePlan]) -> dict:
    docs = [f for f in files if f.type in VIEWERS and not f.hidden and f.created <= w.plan.created and not f.exact_copy]
    src = w.rng.choice(docs) if docs else None
    if src is not None:
        w.refs.extend(r for r in src.refs if r not in w.refs)
    return {"image": "screenshot", "source": src.path if src else None, "clock": f"{w.plan.created:%H:%M}",
            "app": VIEWERS.get(src.type, "Files") if src else "Files"}


def scan(w: Writer) -> dict:
    """Pages and resolution so the scan lands near its target (``SCAN_BYTES_PER_PIXEL`` of grey JPEG)."""
    target = w.plan.target_bytes or 400_000
    dpi = w.rng.choice((150, 150, 200))
    per_page = 8.27 * 11.69 * dpi * dpi * SCAN_BYTES_PER_PIXEL
    pages = max(1, min(12, round(target / per_page)))
    if target / per_page < 0.7:
        dpi = max(72, int(dpi * (target / per_page) ** 0.5))  # one page, at the resolution that fills it
    return {"scan": {"pages": pages, "dpi": dpi, "quality": 75, "scanner": w.rng.choice(SCANNERS)}}
