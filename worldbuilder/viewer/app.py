"""The FastAPI application: shared state, security headers, error pages and the page routers."""

from __future__ import annotations

import json
import mimetypes
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters["size"] = human_size
    t.env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=1, ensure_ascii=False, default=str)
    t.env.filters["compact"] = lambda v: json.dumps(v, ensure_ascii=False, default=str)
    t.env.globals["isinstance"] = isinstance
    t.env.globals["dict"] = dict
    t.env.globals["list"] = list
    return t


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(roots: list[Path], cache_dir: Path | None = None, preview_cache_size: int = 256,
               host: str = "127.0.0.1") -> FastAPI:
    """The viewer app over ``roots`` (computer, run and fleet dirs or folders holding them).

    Served on loopback, only requests naming a loopback Host are answered (a web page that DNS-rebinds its
    own name to 127.0.0.1 gets 400, not the files)."""
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from worldbuilder.viewer import routes_computers, routes_fleets, routes_runs

    cache_dir = Path(cache_dir or Path.home() / ".cache" / "worldbuilder" / "viewer")
    app = FastAPI(title="worldbuilder viewer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.viewer = ViewerState(Catalog([Path(r) for r in roots]), PreviewCache(preview_cache_size),
                                   OfficeRenderer(cache_dir), _templates())
    if host in LOOPBACK_NAMES:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK_NAMES))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def headers(request: Request, call_next):  # noqa: ANN001, ANN202
        t0 = time.perf_counter()
        resp = await call_next(request)
        resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1000:.2f}"
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # noqa: ANN202
        return PlainTextResponse(f"{exc.status_code}: {exc.detail}", status_code=exc.status_code)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request):  # noqa: ANN202
        cat = state(request).catalog
        return render(request, "index.html", computers=cat.items("computer"), runs=cat.items("run"),
                      fleets=cat.items("fleet"), roots=cat.roots)

    for mod in (routes_computers, routes_runs, routes_fleets):
        app.include_router(mod.router)
    return app
