"""png renderer: the content's chart (or one derived from its first sheet) drawn with Pillow."""

from __future__ import annotations

from worldbuilder.render import screens
from worldbuilder.render.base import RenderContext, raw_value
from worldbuilder.render.charts import chart_png
from worldbuilder.spec import Chart, FileSpec, Series


def chart_of(file: FileSpec) -> Chart:
    """``chart``, else the first chart block/sheet chart/slide chart, else numeric columns of the
    first sheet, else an empty chart titled with the file's title."""
    c = file.content
    candidates = [c.chart, *(b for b in c.blocks if isinstance(b, Chart)),
                  *(s.chart for s in c.sheets), *(s.chart for s in c.slides)]
    found = next((x for x in candidates if x is not None), None)
    if found is not None:
        return found
    if c.sheets and c.sheets[0].rows:
        sheet = c.sheets[0]
        rows = [[raw_value(v) for v in r] for r in sheet.rows][:12]
        series = [Series(name=str(name), values=[float(r[j]) for r in rows])
                  for j, name in enumerate(sheet.columns) if j > 0
                  and all(j < len(r) and isinstance(r[j], int | float) and not isinstance(r[j], bool) for r in rows)]
        if series:
            return Chart(kind="column", title=c.title, categories=[str(r[0]) for r in rows], series=series[:4])
    return Chart(kind="column", title=c.title, categories=[], series=[])


def render_png(file: FileSpec, ctx: RenderContext) -> bytes:
    """A screenshot or thumbnail when ``data.image`` says so, else the content's chart."""
    image = file.content.data.get("image") if isinstance(file.content.data, dict) else None
    if image == "screenshot":
        return screens.screenshot(file, ctx)
    if image == "thumbnail":
        return screens.thumbnail(file, ctx)
    return chart_png(chart_of(file))
