"""Request helpers shared by the viewer's app and its page routers: state, files, responses, templates."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from worldbuilder.viewer.previews import IMAGE_TYPES, OfficeRenderer, PreviewCache
from worldbuilder.viewer.roots import Catalog, Item
from worldbuilder.viewer.safepath import Refused, resolve_inside

HERE = Path(__file__).parent
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "frame-src 'self'; object-src 'none'; base-uri 'none'")


@dataclass
class ViewerState:
    catalog: Catalog
    previews: PreviewCache
    renderer: OfficeRenderer
    templates: Jinja2Templates


def state(request: Request) -> ViewerState:
    return request.app.state.viewer


def item_or_404(request: Request, kind: str, iid: str) -> Item:
    item = state(request).catalog.get(kind, iid)
    if item is None:
        raise HTTPException(404, f"no {kind} {iid}")
    return item


def safe_file(root: Path, rel: str) -> Path:
    """The file ``rel`` inside ``root``: 403 for anything escaping it, 404 when it is not a regular file."""
    try:
        p = resolve_inside(root, rel)
    except Refused:
        raise HTTPException(403, "path outside the served roots") from None
    if not p.is_file():
        raise HTTPException(404, "no such file")
    return p


def raw_response(path: Path) -> Response:
    """The bytes of a served file; only images and PDFs keep their type, the rest is plain text (no HTML
    or SVG from a computer ever runs in the viewer's origin)."""
    ext = path.suffix.lower().lstrip(".")
    media = IMAGE_TYPES.get(ext) or ("application/pdf" if ext == "pdf" else None)
    if media is None:
        guess = mimetypes.guess_type(path.name)[0] or ""
        media = "text/plain; charset=utf-8" if guess.startswith("text") or ext in ("md", "py", "json", "jsonl", "toml",
                                                                                   "ics", "eml", "csv") \
            else "application/octet-stream"
    return Response(path.read_bytes(), media_type=media,
                    headers={"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"})


def render(request: Request, template: str, **ctx) -> HTMLResponse:
    return state(request).templates.TemplateResponse(request, template, ctx)


def human_size(n: float | int | None) -> str:
    n = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters["size"] = human_size
    t.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=1, ensure_ascii=False, default=str)
    t.env.filters["compact"] = lambda v: json.dumps(v, ensure_ascii=False, default=str)
    t.env.globals["isinstance"] = isinstance
    t.env.globals["dict"] = dict
    t.env.globals["list"] = list
    return t
