"""The parts of an xlsx package around its worksheets, written as openpyxl 3.1 writes them.

Styles, workbook, relationships, content types, app properties and theme, plus the drawing and
chart parts of a sheet's chart. Strings rather than object trees: building openpyxl's objects only
to serialise them was most of an xlsx file's render time.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl import __version__ as _OPENPYXL
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.utils import get_column_letter
from openpyxl.writer.theme import theme_xml

from worldbuilder.render.xlsx_rows import Styles, attr, text

THEME = theme_xml.encode()
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
APP = ('<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
       f"<Application>Microsoft Excel Compatible / Openpyxl {_OPENPYXL}</Application>"
       f"<AppVersion>{'.'.join(_OPENPYXL.split('.')[:-1])}</AppVersion></Properties>").encode()
ROOT_RELS = (f'<Relationships xmlns="{_REL_NS}">'
             f'<Relationship Type="{_DOC_REL}/officeDocument" Target="xl/workbook.xml" Id="rId1"/>'
             f'<Relationship Type="{_REL_NS}/metadata/core-properties" Target="docProps/core.xml" Id="rId2"/>'
             f'<Relationship Type="{_DOC_REL}/extended-properties" Target="docProps/app.xml" Id="rId3"/>'
             "</Relationships>").encode()

_DEFAULT_FONT = '<font><name val="Calibri"/><family val="2"/><color theme="1"/><sz val="11"/><scheme val="minor"/></font>'
_BOLD_FONT = '<font><b val="1"/></font>'
_FILLS = '<fill><patternFill/></fill><fill><patternFill patternType="gray125"/></fill>'
_HEADER_FILL = '<fill><patternFill patternType="solid"><fgColor rgb="00D9E1F2"/></patternFill></fill>'
_STYLES_TAIL = (
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>{xfs}'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0" hidden="0"/></cellStyles>'
    '<tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "<colors><indexedColors>" + "".join(f'<rgbColor rgb="{c}"/>' for c in COLOR_INDEX)
    + "</indexedColors></colors></styleSheet>")


def styles_xml(styles: Styles) -> bytes:
    fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{attr(code)}"/>' for code, i in styles.formats.items())
    fonts = [_DEFAULT_FONT] + ([_BOLD_FONT] if styles.bold else [])
    fills = _FILLS + (_HEADER_FILL if styles.header_fill else "")
    xfs = "".join(f'<xf numFmtId="{n}" fontId="{fo}" fillId="{fi}" borderId="0" pivotButton="0" quotePrefix="0" xfId="0"/>'
                  for n, fo, fi in styles.xfs)
    xml = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           + (f'<numFmts count="{len(styles.formats)}">{fmts}</numFmts>' if fmts else '<numFmts count="0"/>')
           + f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
           + f'<fills count="{2 + styles.header_fill}">{fills}</fills>'
           + _STYLES_TAIL.format(xfs=f'<cellXfs count="{len(styles.xfs)}">{xfs}</cellXfs>'))
    return xml.encode()


def workbook_xml(titles: list[str]) -> bytes:
    sheets = "".join(f'<sheet xmlns:r="{_DOC_REL}" name="{attr(t)}" sheetId="{i}" state="visible" r:id="rId{i}"/>'
                     for i, t in enumerate(titles, start=1))
    xml = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><workbookPr/><workbookProtection/>'
           '<bookViews><workbookView visibility="visible" minimized="0" showHorizontalScroll="1" showVerticalScroll="1"'
           ' showSheetTabs="1" tabRatio="600" firstSheet="0" activeTab="0" autoFilterDateGrouping="1"/></bookViews>'
           f'<sheets>{sheets}</sheets><definedNames/><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
    return xml.encode()


def _rels(items: list[tuple[str, str]]) -> bytes:
    return (f'<Relationships xmlns="{_REL_NS}">'
            + "".join(f'<Relationship Type="{_DOC_REL}/{kind}" Target="{target}" Id="rId{i}"/>'
                      for i, (kind, target) in enumerate(items, start=1))
            + "</Relationships>").encode()


def workbook_rels(nsheets: int) -> bytes:
    return _rels([("worksheet", f"/xl/worksheets/sheet{i}.xml") for i in range(1, nsheets + 1)]
                 + [("styles", "styles.xml"), ("theme", "theme/theme1.xml")])


def sheet_rels(drawing: int) -> bytes:
    return _rels([("drawing", f"/xl/drawings/drawing{drawing}.xml")])


def drawing_rels(chart: int) -> bytes:
    return _rels([("chart", f"/xl/charts/chart{chart}.xml")])


_CT = "application/vnd.openxmlformats-officedocument."


def content_types(parts: list[str]) -> bytes:
    """``[Content_Types].xml`` for the worksheet, drawing and chart parts in ``parts`` (in order)."""
    kinds = {"worksheets": "spreadsheetml.worksheet+xml", "drawings": "drawing+xml", "charts": "drawingml.chart+xml"}
    overrides = "".join(f'<Override PartName="/{p}" ContentType="{_CT}{kinds[p.split("/")[1]]}"/>' for p in parts)
    return ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}spreadsheetml.styles+xml"/>'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{_CT}theme+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{_CT}extended-properties+xml"/>'
            + overrides
            + f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}spreadsheetml.sheet.main+xml"/></Types>').encode()


def drawing_xml(anchor_col: int) -> bytes:
    """A drawing holding one 16 x 8.5 cm chart anchored at row 2 of column ``anchor_col``."""
    return ('<wsDr xmlns="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"><oneCellAnchor>'
            f"<from><col>{anchor_col - 1}</col><colOff>0</colOff><row>1</row><rowOff>0</rowOff></from>"
            '<ext cx="5760000" cy="3060000"/><graphicFrame><nvGraphicFramePr><cNvPr id="1" name="Chart 1"/>'
            '<cNvGraphicFramePr/></nvGraphicFramePr><xfrm/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'
            f' xmlns:r="{_DOC_REL}" r:id="rId1"/></a:graphicData></a:graphic></graphicFrame><clientData/>'
            "</oneCellAnchor></wsDr>").encode()


@dataclass(frozen=True)
class Ref:
    """A cell range of a sheet, as openpyxl's ``Reference`` prints it."""

    sheet: str
    col: int
    min_row: int
    max_row: int
    max_col: int | None = None

    def __str__(self) -> str:
        name = "'" + self.sheet.replace("'", "''") + "'"
        last = self.col if self.max_col is None else self.max_col
        a = f"{name}!${get_column_letter(self.col)}${self.min_row}"
        return a if self.col == last and self.min_row == self.max_row else f"{a}:${get_column_letter(last)}${self.max_row}"

    def series(self) -> tuple[str, Ref]:
        """(title cell, values) of a column series whose first cell is its title (openpyxl's ``pop``)."""
        cell = f"'{self.sheet.replace(chr(39), chr(39) * 2)}'!{get_column_letter(self.col)}{self.min_row}"
        if self.min_row == self.max_row:
            return cell, Ref(self.sheet, self.col + 1, self.min_row, self.max_row, self.col)
        return cell, Ref(self.sheet, self.col, self.min_row + 1, self.max_row)


_A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
_LN = f"<spPr><a:ln {_A}><a:prstDash val=\"solid\"/></a:ln></spPr>"


def _title(s: str) -> str:
    return (f"<title><tx><rich><a:bodyPr {_A}/><a:p {_A}><a:pPr><a:defRPr/></a:pPr><a:r><a:t>{text(s)}</a:t>"
            "</a:r></a:p></rich></tx></title>")


def chart_xml(kind: str, title: str, cats: Ref, series: list[Ref], x_label: str, y_label: str) -> bytes:
    """A bar/column/line/pie chart of ``series`` (first cell: the series name) over ``cats``."""
    sers = []
    for i, ref in enumerate(series):
        name, values = ref.series()
        marker = f'<marker><symbol val="none"/>{_LN}</marker>' if kind == "line" else ""
        sers.append(f'<ser><idx val="{i}"/><order val="{i}"/><tx><strRef><f>{text(name)}</f></strRef></tx>{_LN}{marker}'
                    f"<cat><numRef><f>{text(str(cats))}</f></numRef></cat><val><numRef><f>{text(str(values))}</f></numRef></val></ser>")
    body = "".join(sers)
    if kind == "pie":
        plot = f'<pieChart><varyColors val="1"/>{body}<firstSliceAng val="0"/></pieChart>'
    elif kind == "line":
        plot = f'<lineChart><grouping val="standard"/>{body}<axId val="10"/><axId val="100"/></lineChart>'
    else:
        plot = (f'<barChart><barDir val="{"bar" if kind == "bar" else "col"}"/><grouping val="clustered"/>{body}'
                '<gapWidth val="150"/><axId val="10"/><axId val="100"/></barChart>')
    if kind != "pie":
        plot += ('<catAx><axId val="10"/><scaling><orientation val="minMax"/></scaling><delete val="0"/><axPos val="l"/>'
                 + (_title(x_label) if x_label else "")
                 + '<majorTickMark val="none"/><minorTickMark val="none"/><crossAx val="100"/><lblOffset val="100"/></catAx>'
                 '<valAx><axId val="100"/><scaling><orientation val="minMax"/></scaling><delete val="0"/><axPos val="l"/>'
                 "<majorGridlines/>" + (_title(y_label) if y_label else "")
                 + '<majorTickMark val="none"/><minorTickMark val="none"/><crossAx val="10"/></valAx>')
    xml = ('<chartSpace xmlns="http://schemas.openxmlformats.org/drawingml/2006/chart"><chart>' + _title(title)
           + f"<plotArea>{plot}</plotArea>"
           + '<legend><legendPos val="r"/></legend><plotVisOnly val="1"/><dispBlanksAs val="gap"/></chart></chartSpace>')
    return xml.encode()
