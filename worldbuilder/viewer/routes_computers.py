"""Computer pages: list, profile and world, folder tree, file previews, cross-references, realism plots."""

from __future__ import annotations

import threading

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from worldbuilder.viewer import computers, plots
from worldbuilder.viewer.web import item_or_404, raw_response, render, safe_file, state

router = APIRouter()
_plot_cache: dict[tuple, bytes] = {}
_plot_lock = threading.Lock()


def _computer(request: Request, cid: str) -> tuple:
    item = item_or_404(request, "computer", cid)
    try:
        return item, computers.load(item.path)
    except (OSError, ValueError) as exc:
        raise HTTPException(500, f"unreadable computer {item.path}: {exc}") from exc


@router.get("/computers", response_class=HTMLResponse)
def computer_list(request: Request):  # noqa: ANN201
    rows = []
    for item in state(request).catalog.items("computer"):
        try:
            c = computers.load(item.path)
        except (OSError, ValueError):
            rows.append({"item": item, "c": None})
            continue
        rows.append({"item": item, "c": c, "mix": c.type_mix(), "n": len(c.files)})
    return render(request, "computers.html", rows=rows)


@router.get("/c/{cid}", response_class=HTMLResponse)
def computer_page(request: Request, cid: str):  # noqa: ANN201
    item, c = _computer(request, cid)
    return render(request, "computer.html", item=item, c=c, timeline=computers.project_timeline(c.world),
                  refcounts=c.ref_counts(), mix=c.type_mix())


@router.get("/c/{cid}/tree", response_class=HTMLResponse)
def tree_page(request: Request, cid: str):  # noqa: ANN201
    item, c = _computer(request, cid)
    return render(request, "tree.html", item=item, c=c, tree=computers.build_tree(c.files))


@router.get("/c/{cid}/file/{rel:path}", response_class=HTMLResponse)
def file_page(request: Request, cid: str, rel: str):  # noqa: ANN201
    item, c = _computer(request, cid)
    path = safe_file(c.tree, rel)
    row = c.file(rel)
    raw = f"/c/{cid}/raw/{rel}"
    preview = state(request).previews.get(path, path.name, raw, row.sha256 if row else "")
    names = c.names()
    refs = [(r, names.get(r, r)) for r in (row.refs if row else [])]
    return render(request, "file.html", item=item, rel=rel, row=row, preview=preview, raw=raw, refs=refs,
                  size=path.stat().st_size, back=f"/c/{cid}/tree", render_url=_render_url(request, f"/c/{cid}", rel))


def _render_url(request: Request, base: str, rel: str) -> str | None:
    from worldbuilder.extract import file_type
    from worldbuilder.viewer.previews import OFFICE_TYPES

    r = state(request).renderer
    return f"{base}/render/{rel}" if r.available and file_type(rel) in OFFICE_TYPES else None


@router.get("/c/{cid}/raw/{rel:path}")
def raw_file(request: Request, cid: str, rel: str) -> Response:
    item = item_or_404(request, "computer", cid)
    return raw_response(safe_file(item.path / "tree", rel))


@router.get("/c/{cid}/render/{rel:path}")
def render_page_image(request: Request, cid: str, rel: str) -> Response:
    item = item_or_404(request, "computer", cid)
    png = state(request).renderer.render(safe_file(item.path / "tree", rel))
    if png is None:
        raise HTTPException(404, "no page image (LibreOffice missing or conversion failed)")
    return FileResponse(png, media_type="image/png")


@router.get("/c/{cid}/ref/{ref}", response_class=HTMLResponse)
def ref_page(request: Request, cid: str, ref: str):  # noqa: ANN201
    item, c = _computer(request, cid)
    w = c.world
    entity = next((e for key in ("people", "projects", "facts", "organisations") for e in w.get(key) or []
                   if e.get("id") == ref), None)
    if entity is None:
        raise HTTPException(404, f"no person, project, figure or organisation {ref}")
    return render(request, "ref.html", item=item, c=c, ref=ref, entity=entity, files=c.citing(ref),
                  name=c.names().get(ref, ref))


@router.get("/c/{cid}/plots", response_class=HTMLResponse)
def plots_page(request: Request, cid: str):  # noqa: ANN201
    item, c = _computer(request, cid)
    return render(request, "plots.html", item=item, c=c, mix=c.type_mix(), paper=computers.PAPER_MIX,
                  mu=computers.IMPRESSIONS_MU, sigma=computers.IMPRESSIONS_SIGMA)


@router.get("/c/{cid}/plot/{name}.png")
def plot_png(request: Request, cid: str, name: str) -> Response:
    item, c = _computer(request, cid)
    makers = {"types": lambda: plots.type_mix_png(dict(c.type_mix())),
              "sizes": lambda: plots.sizes_png([f.size for f in c.files])}
    if name not in makers:
        raise HTTPException(404, "no such plot")
    key = (item.path, c.stamp, name)
    with _plot_lock:
        png = _plot_cache.get(key)
    if png is None:
        png = makers[name]()
        with _plot_lock:
            if len(_plot_cache) > 64:
                _plot_cache.clear()
            _plot_cache[key] = png
    return Response(png, media_type="image/png")
