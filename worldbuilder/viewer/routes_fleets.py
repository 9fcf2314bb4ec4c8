"""Fleet pages: progress per stage, the score table and distribution, links to each job's run/computer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from worldbuilder.fleet_stages import STATES
from worldbuilder.viewer import fleets, plots
from worldbuilder.viewer.web import item_or_404, render, state

router = APIRouter()


@router.get("/fleets", response_class=HTMLResponse)
def fleet_list(request: Request):  # noqa: ANN201
    rows = [{"item": i, "f": fleets.load(i.path)} for i in state(request).catalog.items("fleet")]
    return render(request, "fleets.html", rows=rows)


@router.get("/f/{fid}", response_class=HTMLResponse)
def fleet_page(request: Request, fid: str):  # noqa: ANN201
    item = item_or_404(request, "fleet", fid)
    f = fleets.load(item.path)
    cat = state(request).catalog
    links = {}
    for j in f.jobs:
        c = cat.by_path(j.computer) if j.computer else None
        r = cat.by_path(j.run) if j.run else None
        links[j.job] = {"computer": f"/c/{c.id}" if c else None, "run": f"/r/{r.id}" if r else None}
    scored = [j.fraction for j in f.jobs if j.fraction is not None]
    mean = sum(scored) / len(scored) if scored else None
    return render(request, "fleet.html", item=item, f=f, links=links, scored=scored, mean=mean,
                  states=STATES)


@router.get("/f/{fid}/scores.png")
def fleet_scores(request: Request, fid: str) -> Response:
    item = item_or_404(request, "fleet", fid)
    f = fleets.load(item.path)
    return Response(plots.scores_png([j.fraction for j in f.jobs if j.fraction is not None]), media_type="image/png")
