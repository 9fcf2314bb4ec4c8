"""Run pages: objectives and rubrics, per-day overview, day timelines, deliverables, judgement, report,
and the live-status endpoint the run page polls while a simulation is running."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from worldbuilder.viewer import runs
from worldbuilder.viewer.routes_computers import _render_url
from worldbuilder.viewer.web import item_or_404, raw_response, render, safe_file, state

router = APIRouter()


def _run(request: Request, rid: str) -> tuple:
    item = item_or_404(request, "run", rid)
    return item, runs.load(item.path)


def _computer_link(request: Request, run: runs.Run) -> str | None:
    from pathlib import Path

    comp = run.config.get("computer")
    found = state(request).catalog.by_path(Path(comp)) if isinstance(comp, str) and comp else None
    return f"/c/{found.id}" if found else None


@router.get("/runs", response_class=HTMLResponse)
def run_list(request: Request):  # noqa: ANN201
    rows = [{"item": i, "r": runs.load(i.path)} for i in state(request).catalog.items("run")]
    return render(request, "runs.html", rows=rows, score=runs.score)


@router.get("/r/{rid}", response_class=HTMLResponse)
def run_page(request: Request, rid: str):  # noqa: ANN201
    item, r = _run(request, rid)
    return render(request, "run.html", item=item, r=r, days=r.day_counts(), computer=_computer_link(request, r),
                  judgement=runs.judgement_rows(r.judgement) if r.judgement else None, score=runs.score(r.judgement))


@router.get("/r/{rid}/days", response_class=HTMLResponse)
def run_days_fragment(request: Request, rid: str):  # noqa: ANN201
    item, r = _run(request, rid)
    return render(request, "_days.html", item=item, r=r, days=r.day_counts())


@router.get("/r/{rid}/day/{day}", response_class=HTMLResponse)
def day_page(request: Request, rid: str, day: int):  # noqa: ANN201
    item, r = _run(request, rid)
    if day not in r.days():
        raise HTTPException(404, f"no day {day}")
    counts = next(d for d in r.day_counts() if d["day"] == day)
    return render(request, "day.html", item=item, r=r, day=day, turns=r.day_turns(day), msgs=r.day_messages(day),
                  changed=r.changed_files(day), counts=counts, days=r.days())


@router.get("/r/{rid}/day/{day}/snapshot-diff.json")
def day_snapshot_diff(request: Request, rid: str, day: int) -> JSONResponse:
    """Files added/changed/deleted from the previous day's snapshot to this day's (Docker runs, on request)."""
    from worldbuilder.viewer.snapshot_diff import diff_refs

    _, r = _run(request, rid)
    pair = r.snapshot_pair(day)
    if pair is None:
        return JSONResponse({"available": False, "reason": f"no snapshots of days {day - 1} and {day} recorded"})
    return JSONResponse(diff_refs(*pair))


@router.get("/r/{rid}/live.json")
def live(request: Request, rid: str) -> JSONResponse:
    item = item_or_404(request, "run", rid)
    return JSONResponse(runs.live_status(item.path))


@router.get("/r/{rid}/file/{rel:path}", response_class=HTMLResponse)
def run_file(request: Request, rid: str, rel: str):  # noqa: ANN201
    item = item_or_404(request, "run", rid)
    path = safe_file(item.path, rel)
    raw = f"/r/{rid}/raw/{rel}"
    preview = state(request).previews.get(path, path.name, raw)
    return render(request, "file.html", item=item, rel=rel, row=None, preview=preview, raw=raw, refs=[],
                  size=path.stat().st_size, back=f"/r/{rid}", render_url=_render_url(request, f"/r/{rid}", rel))


@router.get("/r/{rid}/raw/{rel:path}")
def run_raw(request: Request, rid: str, rel: str) -> Response:
    item = item_or_404(request, "run", rid)
    return raw_response(safe_file(item.path, rel))


@router.get("/r/{rid}/render/{rel:path}")
def run_render(request: Request, rid: str, rel: str) -> Response:
    from fastapi.responses import FileResponse

    item = item_or_404(request, "run", rid)
    png = state(request).renderer.render(safe_file(item.path, rel))
    if png is None:
        raise HTTPException(404, "no page image (LibreOffice missing or conversion failed)")
    return FileResponse(png, media_type="image/png")


@router.get("/r/{rid}/report")
def report(request: Request, rid: str) -> Response:
    """report.html as written by the report stage, sandboxed: no scripts, no requests out of it."""
    item = item_or_404(request, "run", rid)
    path = safe_file(item.path, "report.html")
    return Response(path.read_bytes(), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; "
                                                        "img-src data:"})
