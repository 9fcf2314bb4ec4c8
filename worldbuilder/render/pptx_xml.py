"""Slide XML for the pptx renderer, written as text in the shapes python-pptx would build.

Title/subtitle/body placeholders inherit position and style from their layout, so a placeholder is
only its id, name, ``p:ph`` and text. Text boxes, tables and chart frames carry their own position.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

NS = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
      ' xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
      ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
TREE = ('<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
        "<p:grpSpPr/>")
TAIL = "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr>"
TABLE_STYLE = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"  # Medium Style 2 - Accent 1, python-pptx's default
_BODY = "<p:txBody><a:bodyPr/><a:lstStyle/>"


def run(text: str, size: int = 0) -> str:
    """A run; vertical tabs and newlines inside a paragraph become line breaks."""
    rpr = f'<a:rPr sz="{size * 100}"/>' if size else ""
    pieces = text.replace("\v", "\n").split("\n")
    return "<a:br/>".join(f"<a:r>{rpr}<a:t>{escape(p)}</a:t></a:r>" if p else "" for p in pieces)


def paragraphs(text: str, size: int = 0) -> str:
    """``text_frame.text = text``: one paragraph per line."""
    return "".join(f"<a:p>{run(line, size)}</a:p>" for line in text.split("\n"))


def items(lines: list[str]) -> str:
    """A bullet list: the first item set as frame text, the rest as added paragraphs."""
    if not lines:
        return "<a:p/>"
    return paragraphs(lines[0]) + "".join(f"<a:p>{run(item)}</a:p>" for item in lines[1:])


def placeholder(shape_id: int, name: str, ph: str, body: str) -> str:
    return (f'<p:sp><p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>'
            f"<p:nvPr>{ph}</p:nvPr></p:nvSpPr><p:spPr/>{_BODY}{body}</p:txBody></p:sp>")


def _xfrm(tag: str, box: tuple[int, int, int, int]) -> str:
    x, y, cx, cy = box
    return f'<{tag}><a:off x="{x}" y="{y}"/><a:ext cx="{cx}" cy="{cy}"/></{tag}>'


def textbox(shape_id: int, box: tuple[int, int, int, int], body: str) -> str:
    """A word-wrapping text box (``shapes.add_textbox`` with ``word_wrap = True``)."""
    return (f'<p:sp><p:nvSpPr><p:cNvPr id="{shape_id}" name="TextBox {shape_id - 1}"/><p:cNvSpPr txBox="1"/><p:nvPr/>'
            f'</p:nvSpPr><p:spPr>{_xfrm("a:xfrm", box)}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/>'
            f'</p:spPr><p:txBody><a:bodyPr wrap="square"><a:spAutoFit/></a:bodyPr><a:lstStyle/>{body}</p:txBody></p:sp>')


def _frame(shape_id: int, name: str, box: tuple[int, int, int, int], graphic: str) -> str:
    return (f'<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{shape_id}" name="{name} {shape_id - 1}"/>'
            '<p:cNvGraphicFramePr><a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>'
            f'{_xfrm("p:xfrm", box)}<a:graphic>{graphic}</a:graphic></p:graphicFrame>')


def table(shape_id: int, box: tuple[int, int, int, int], cells: list[list[str]], size: int) -> str:
    """A table of ``cells`` (first row the header) with every paragraph's font at ``size`` points."""
    nrows, ncols = len(cells), len(cells[0])
    _, _, width, height = box
    cw, rh = width // ncols, height // nrows
    widths = [cw] * (ncols - 1) + [width - (ncols - 1) * cw]
    heights = [rh] * (nrows - 1) + [height - (nrows - 1) * rh]
    ppr = f'<a:pPr><a:defRPr sz="{size * 100}"/></a:pPr>'
    rows = []
    for row, h in zip(cells, heights, strict=True):
        tcs = "".join(f"<a:tc>{_BODY.replace('p:', 'a:')}"
                      + "".join(f"<a:p>{ppr}{run(line)}</a:p>" for line in text.split("\n"))
                      + "</a:txBody><a:tcPr/></a:tc>" for text in row)
        rows.append(f'<a:tr h="{h}">{tcs}</a:tr>')
    grid = "".join(f'<a:gridCol w="{w}"/>' for w in widths)
    graphic = ('<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>'
               f'<a:tblPr firstRow="1" bandRow="1"><a:tableStyleId>{TABLE_STYLE}</a:tableStyleId></a:tblPr>'
               f'<a:tblGrid>{grid}</a:tblGrid>{"".join(rows)}</a:tbl></a:graphicData>')
    return _frame(shape_id, "Table", box, graphic)


def chart_frame(shape_id: int, box: tuple[int, int, int, int], rid: str) -> str:
    graphic = ('<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
               f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="{rid}"/>'
               "</a:graphicData>")
    return _frame(shape_id, "Chart", box, graphic)


def slide(shapes: list[str]) -> bytes:
    return (f"{HEAD}<p:sld {NS}>{TREE}{''.join(shapes)}{TAIL}</p:sld>").encode()


def rels(targets: list[tuple[str, str]]) -> bytes:
    """A relationships part: (type suffix, target) pairs numbered rId1, rId2, ..."""
    body = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/{kind}" Target="{target}"/>' for i, (kind, target) in enumerate(targets, start=1))
    return (f'{HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{body}</Relationships>").encode()
