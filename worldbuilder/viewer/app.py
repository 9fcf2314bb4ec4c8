"""The FastAPI application: shared state, security headers, error pages and the page routers."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from worldbuilder.viewer import routes_computers, routes_fleets, routes_runs
from worldbuilder.viewer.previews import OfficeRenderer, PreviewCache
from worldbuilder.viewer.roots import Catalog
from worldbuilder.viewer.web import CSP, HERE, ViewerState, render, state, templates

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(roots: list[Path], cache_dir: Path | None = None, preview_cache_size: int = 256,
               host: str = "127.0.0.1") -> FastAPI:
    """The viewer app over ``roots`` (computer, run and fleet dirs or folders holding them).

    Served on loopback, only requests naming a loopback Host are answered (a web page that DNS-rebinds its
    own name to 127.0.0.1 gets 400, not the files)."""
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    cache_dir = Path(cache_dir or Path.home() / ".cache" / "worldbuilder" / "viewer")
    app = FastAPI(title="worldbuilder viewer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.viewer = ViewerState(Catalog([Path(r) for r in roots]), PreviewCache(preview_cache_size),
                                   OfficeRenderer(cache_dir), templates())
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
