"""A small, hand-built but realistic ComputerSpec with at least one file of every type.

Used by the renderer tests and, until the real generator lands, by other stages' tests:
``from tests.sample_spec import make_sample_spec``. Keep it stable and valid.
"""

from __future__ import annotations

from datetime import date, datetime

from worldbuilder.spec import (
    Bullets,
    Cell,
    Chart,
    ComputerSpec,
    ContentSpec,
    DirSpec,
    Email,
    Event,
    Fact,
    FileSpec,
    GenerationInfo,
    Heading,
    Layout,
    Milestone,
    Organisation,
    PageBreak,
    Paragraph,
    Person,
    Profile,
    Project,
    Series,
    Sheet,
    Slide,
    Table,
    World,
)

HOLDINGS = [  # asset, ticker, shares, price
    ("US Large Cap Equity", "VTI", 1850, 262.40),
    ("International Equity", "VXUS", 3200, 61.15),
    ("Core Bonds", "BND", 4100, 72.80),
    ("Municipal Bonds", "MUB", 1500, 107.25),
    ("Real Estate", "VNQ", 900, 91.60),
]
CASHFLOWS = [("2024-07-15", "Quarterly distribution", -12500.0), ("2024-08-01", "Dividend reinvestment", 3420.55),
             ("2024-08-20", "Contribution", 25000.0), ("2024-09-16", "Tax payment", -8750.0)]


def _holdings_sheet() -> Sheet:
    values = [round(s * p, 2) for _, _, s, p in HOLDINGS]
    total = round(sum(values), 2)
    money = '"$"#,##0.00'
    rows: list[list] = []
    for i, ((asset, ticker, shares, price), mv) in enumerate(zip(HOLDINGS, values, strict=True), start=2):
        rows.append([asset, ticker, shares, Cell(value=price, number_format=money),
                     Cell(value=mv, formula=f"=C{i}*D{i}", number_format=money),
                     Cell(value=round(mv / total, 6), formula=f"=E{i}/$E${len(HOLDINGS) + 2}", number_format="0.0%")])
    n = len(HOLDINGS) + 1
    rows.append([Cell(value="Total", bold=True), None, Cell(value=sum(h[2] for h in HOLDINGS), formula=f"=SUM(C2:C{n})"),
                 None, Cell(value=total, formula=f"=SUM(E2:E{n})", number_format=money, bold=True),
                 Cell(value=1.0, formula=f"=SUM(F2:F{n})", number_format="0.0%")])
    chart = Chart(kind="column", title="Market value by asset class", categories=[h[0] for h in HOLDINGS],
                  series=[Series(name="Market Value", values=values)], y_label="USD")
    return Sheet(name="Holdings", columns=["Asset", "Ticker", "Shares", "Price", "Market Value", "Weight"],
                 rows=rows, column_widths=[24, 8, 10, 12, 16, 10], chart=chart)


def _cashflow_sheet() -> Sheet:
    rows: list[list] = [[d, desc, Cell(value=amt, number_format='"$"#,##0.00')] for d, desc, amt in CASHFLOWS]
    n = len(CASHFLOWS) + 1
    net = round(sum(a for _, _, a in CASHFLOWS), 2)
    rows.append([None, Cell(value="Net flow", bold=True),
                 Cell(value=net, formula=f"=SUM(C2:C{n})", number_format='"$"#,##0.00', bold=True)])
    rows.append([None, "Largest inflow", Cell(value=max(a for *_, a in CASHFLOWS), formula=f"=MAX(C2:C{n})")])
    return Sheet(name="Cash flows Q3", columns=["Date", "Description", "Amount"], rows=rows,
                 chart=Chart(kind="bar", title="Q3 cash flows", categories=[c[1] for c in CASHFLOWS],
                             series=[Series(name="Amount", values=[c[2] for c in CASHFLOWS])]))


AUM_CHART = Chart(kind="line", title="Assets under management (USD)", categories=["Q4 2023", "Q1 2024", "Q2 2024", "Q3 2024"],
                  series=[Series(name="Harlow", values=[1_080_000, 1_120_500, 1_198_200, 1_245_300]),
                          Series(name="Benchmark", values=[1_080_000, 1_101_000, 1_150_000, 1_190_700])],
                  x_label="Quarter", y_label="USD")
ALLOC_TABLE = Table(columns=["Asset class", "Target", "Actual", "Drift"], caption="Table 1: Allocation vs. target",
                    rows=[["US Large Cap Equity", "40%", "42.1%", "+2.1"], ["International Equity", "17%", "17.0%", "0.0"],
                          ["Core Bonds", "26%", "25.9%", "-0.1"], ["Municipal Bonds", "14%", "14.0%", "0.0"],
                          ["Real Estate", "3%", "2.9%", "-0.1"]])


def _review_docx() -> ContentSpec:
    return ContentSpec(
        kind="client_review", title="Harlow Family – Q3 2024 Portfolio Review",
        summary="Quarterly review of the Harlow family portfolio.", header="Crestline Wealth Partners — Confidential",
        footer="Prepared by Maria Reyes, CFP®", refs=["p03", "pr1", "f1"],
        blocks=[Heading(text="Harlow Family – Q3 2024 Portfolio Review", level=1),
                Paragraph(text="Assets under management reached $1,245,300 at the end of Q3 2024, up 3.9% on the quarter."),
                Heading(text="Highlights", level=2),
                Bullets(items=["Equity sleeve outperformed its benchmark by 1.2 points",
                               "Municipal bond ladder extended to 2031", "Cash buffer restored to six months"]),
                Heading(text="Allocation", level=2), ALLOC_TABLE, AUM_CHART,
                Heading(text="Next steps", level=2),
                Bullets(items=["Rebalance equities back to 40%", "Review 529 plan contributions"], numbered=True),
                Paragraph(text="Decisions from the October meeting:"),
                Bullets(items=["Keep the real-estate allocation", "Revisit in January"], numbered=True),
                PageBreak(), Heading(text="Appendix: methodology", level=2),
                Paragraph(text="Returns are time-weighted and net of fees.\nBenchmark: 60/40 blended index.")])


def _compliance_pdf() -> ContentSpec:
    filler = ("Under the firm's written supervisory procedures every client account was reviewed for suitability, "
              "concentration risk and fee accuracy. Exceptions were documented, escalated to the compliance officer "
              "and resolved within the review window. ")
    blocks: list = [Heading(text="Annual Compliance Summary 2024", level=1)]
    for i in range(1, 7):
        blocks += [Heading(text=f"Section {i}: Review area {i}", level=2), Paragraph(text=filler * 4),
                   Bullets(items=[f"Finding {i}.{j}: documented & closed" for j in range(1, 4)])]
    blocks += [ALLOC_TABLE, AUM_CHART, Paragraph(text="Signed: Maria Reyes <mreyes@crestlinewp.com>")]
    return ContentSpec(kind="compliance_report", title="Annual Compliance Summary 2024", header="Crestline Wealth Partners",
                       footer="Internal use only", blocks=blocks)


def _deck() -> ContentSpec:
    return ContentSpec(kind="client_presentation", title="Q3 2024 Client Update", slides=[
        Slide(title="Q3 2024 Client Update", subtitle="Harlow Family · October 2024", layout="title"),
        Slide(title="Quarter at a glance", bullets=["AUM $1,245,300 (+3.9%)", "Equities ahead of benchmark",
                                                    "No changes to risk profile"], notes="Open with the AUM figure."),
        Slide(title="Allocation vs. target", table=ALLOC_TABLE, notes="Point out the equity drift."),
        Slide(title="Growth over the year", chart=AUM_CHART),
        Slide(title="Recommendations", bullets=["Trim US equities", "Add to core bonds"],
              chart=Chart(kind="pie", title="Proposed allocation", categories=["Equity", "Bonds", "Real estate"],
                          series=[Series(name="Weight", values=[55, 40, 5])]), notes="Ask for approval."),
    ])


def _files() -> list[FileSpec]:
    t = datetime
    docs = "Documents"
    client = f"{docs}/Clients/Harlow Family"
    specs = [
        (f"{client}/2024-Q3 Portfolio Review.docx", "docx", t(2024, 10, 2, 9, 15), t(2024, 10, 4, 16, 42), _review_docx()),
        (f"{client}/Harlow_Allocation_2024.xlsx", "xlsx", t(2024, 7, 1, 8, 30), t(2024, 10, 1, 11, 5),
         ContentSpec(kind="allocation_workbook", title="Harlow allocation 2024", sheets=[_holdings_sheet(), _cashflow_sheet()])),
        (f"{docs}/Presentations/Q3 Client Update.pptx", "pptx", t(2024, 10, 3, 10, 0), t(2024, 10, 7, 17, 20), _deck()),
        (f"{docs}/Compliance/Annual Compliance Summary 2024.pdf", "pdf", t(2024, 11, 12, 14, 0), t(2024, 11, 12, 14, 0),
         _compliance_pdf()),
        ("Pictures/Charts/aum_growth.png", "png", t(2024, 10, 2, 9, 40), t(2024, 10, 2, 9, 40),
         ContentSpec(kind="chart", title="AUM growth", chart=AUM_CHART)),
        (f"{docs}/Scripts/rebalance.py", "py", t(2024, 3, 4, 20, 10), t(2024, 9, 28, 21, 3),
         ContentSpec(kind="script", title="Rebalance helper", text=(
             '"""Compute trades that bring a portfolio back to its target weights."""\n\n'
             "TARGETS = {\"VTI\": 0.40, \"VXUS\": 0.17, \"BND\": 0.26, \"MUB\": 0.14, \"VNQ\": 0.03}\n\n\n"
             "def trades(values: dict[str, float]) -> dict[str, float]:\n"
             "    total = sum(values.values())\n"
             "    return {k: round(TARGETS[k] * total - v, 2) for k, v in values.items()}\n"))),
        (f"{docs}/Notes/call_notes_2024-09-30.txt", "txt", t(2024, 9, 30, 15, 0), t(2024, 9, 30, 15, 35),
         ContentSpec(kind="call_notes", title="Call with Daniel Harlow – 30 Sep", blocks=[
             Paragraph(text="Daniel wants to fund the 529 plan before year end."), ALLOC_TABLE,
             Bullets(items=["Send Q3 review", "Book October meeting"])])),
        (f"{docs}/Notes/README.md", "md", t(2024, 1, 8, 9, 0), t(2024, 6, 3, 12, 0),
         ContentSpec(kind="readme", title="Client folder conventions", blocks=[
             Heading(text="Layout", level=2), Bullets(items=["One folder per household", "Reviews named YYYY-Qn"]),
             Table(columns=["Folder", "Holds"], rows=[["Clients", "household files"], ["Compliance", "annual reports"]])])),
        (".config/portfolio-tool/settings.json", "json", t(2024, 2, 1, 8, 0), t(2024, 8, 12, 8, 0),
         ContentSpec(kind="config", title="portfolio-tool settings", data={
             "advisor": "mreyes", "default_benchmark": "60/40", "rebalance_threshold": 0.05,
             "clients": [{"id": "harlow", "aum": 1245300, "since": "2019-04-01"}]})),
        (f"{docs}/Data/trades_2024-09.jsonl", "jsonl", t(2024, 9, 1, 0, 0), t(2024, 9, 30, 18, 0),
         ContentSpec(kind="trade_log", title="September trades", data=[
             {"date": "2024-09-03", "ticker": "VTI", "side": "sell", "qty": 40, "price": 259.1},
             {"date": "2024-09-03", "ticker": "BND", "side": "buy", "qty": 140, "price": 72.5},
             {"date": "2024-09-17", "ticker": "MUB", "side": "buy", "qty": 60, "price": 107.0, "note": None}])),
        (".config/portfolio-tool/config.toml", "toml", t(2024, 2, 1, 8, 0), t(2024, 5, 20, 9, 30),
         ContentSpec(kind="config", title="portfolio-tool config", data={
             "general": {"currency": "USD", "timezone": "America/Denver", "proxy": None},
             "thresholds": {"drift": 0.05, "cash_months": 6}, "accounts": ["harlow", "nguyen"]})),
        (f"{docs}/Data/holdings_export.csv", "csv", t(2024, 10, 1, 11, 0), t(2024, 10, 1, 11, 0),
         ContentSpec(kind="export", title="Holdings export", sheets=[_holdings_sheet()])),
        ("Mail/Sent/2024-10-04 Q3 review.eml", "eml", t(2024, 10, 4, 16, 50), t(2024, 10, 4, 16, 50),
         ContentSpec(kind="email", title="Your Q3 2024 portfolio review", email=Email(
             sender="Maria Reyes <mreyes@crestlinewp.com>", to=["Daniel Harlow <dan.harlow@harlowfamily.net>"],
             cc=["Tom Becker <tbecker@crestlinewp.com>"], subject="Your Q3 2024 portfolio review",
             date=t(2024, 10, 4, 16, 50), message_id="<q3review.harlow.20241004@crestlinewp.com>",
             in_reply_to="<CAH7x9k2p@mail.harlowfamily.net>",
             body="Hi Daniel,\n\nPlease find attached your Q3 2024 review. AUM stood at $1,245,300.\n\nBest,\nMaria",
             attachments=[f"{client}/2024-Q3 Portfolio Review.docx"]))),
        (f"{docs}/Calendar/q4_meetings.ics", "ics", t(2024, 10, 1, 9, 0), t(2024, 10, 8, 9, 0),
         ContentSpec(kind="calendar", title="Q4 client meetings", events=[
             Event(uid="evt-harlow-q4@crestlinewp.com", summary="Harlow family: Q3 review, 529 plan; next steps",
                   start=t(2024, 10, 15, 10, 0), end=t(2024, 10, 15, 11, 0), location="Office, Room 4B",
                   description="Agenda:\n1. Q3 results\n2. 529 plan funding, contributions\n3. " + "Long notes " * 12,
                   attendees=["dan.harlow@harlowfamily.net", "tbecker@crestlinewp.com"]),
             Event(uid="evt-team-sync@crestlinewp.com", summary="Team sync", start=t(2024, 10, 14, 9, 0),
                   end=t(2024, 10, 14, 9, 30))])),
        ("Downloads/Harlow_Q3_package.zip", "zip", t(2024, 10, 5, 8, 0), t(2024, 10, 5, 8, 0),
         ContentSpec(kind="archive", title="Harlow Q3 package", members=[
             f"{client}/2024-Q3 Portfolio Review.docx", f"{client}/Harlow_Allocation_2024.xlsx"])),
    ]
    return [FileSpec(path=p, type=ty, created=c, modified=m, content=content) for p, ty, c, m, content in specs]


def make_sample_spec() -> ComputerSpec:
    """A complete, valid spec for a senior financial advisor (15 files, every type at least once)."""
    profile = Profile(full_name="Maria Reyes", first_name="Maria", last_name="Reyes", username="mreyes",
                      email="mreyes@crestlinewp.com", occupation="financial_advisor", occupation_label="Financial Advisor",
                      sector="finance", employer="Crestline Wealth Partners", job_title="Senior Wealth Advisor",
                      seniority="senior", department="Private Clients", location="Denver, CO", timezone="America/Denver",
                      work_style="organised, spreadsheet-heavy", tools=["Excel", "Word", "Outlook", "Python"],
                      career_start=date(2011, 6, 1))
    world = World(
        organisations=[Organisation(id="o1", name="Crestline Wealth Partners", kind="employer", domain="crestlinewp.com",
                                    address="1600 Market St, Denver, CO"),
                       Organisation(id="o2", name="Harlow Family Office", kind="client", domain="harlowfamily.net")],
        people=[Person(id="p01", name="Tom Becker", email="tbecker@crestlinewp.com", role="Managing Director",
                       organisation="o1", relation="manager"),
                Person(id="p02", name="Aisha Khan", email="akhan@crestlinewp.com", role="Client Associate",
                       organisation="o1", relation="colleague"),
                Person(id="p03", name="Daniel Harlow", email="dan.harlow@harlowfamily.net", role="Client",
                       organisation="o2", relation="external", kind="client")],
        projects=[Project(id="pr1", name="Harlow Q3 review", code="HARLOW", description="Quarterly review for the Harlows",
                          owner="p01", members=["p02"], client="o2", start=date(2024, 9, 1), end=date(2024, 10, 31),
                          status="active", milestones=[Milestone(name="Review sent", due=date(2024, 10, 4), done=True)]),
                  Project(id="pr2", name="Annual compliance", code="COMPL", description="Annual compliance summary",
                          owner="p01", start=date(2024, 10, 1), end=date(2024, 11, 30), status="active")],
        facts=[Fact(id="f1", label="Harlow AUM", value=1245300, unit="USD", display="$1,245,300", project="pr1",
                    as_of=date(2024, 9, 30)),
               Fact(id="f2", label="Quarterly growth", value=3.9, unit="%", display="3.9%", project="pr1"),
               Fact(id="f3", label="Accounts reviewed", value=142, unit="accounts", display="142", project="pr2")],
        history_start=datetime(2024, 1, 8, 9, 0), history_end=datetime(2024, 11, 12, 14, 0),
        vocabulary=["AUM", "rebalance", "drift", "benchmark"])
    dirs = [DirSpec(path=p, created=datetime(2024, 1, 8, 9, 0)) for p in (
        "Documents", "Documents/Clients", "Documents/Clients/Harlow Family", "Documents/Presentations",
        "Documents/Compliance", "Documents/Scripts", "Documents/Notes", "Documents/Data", "Documents/Calendar",
        "Documents/Archive", "Pictures", "Pictures/Charts", "Mail", "Mail/Sent", "Downloads")]
    dirs.append(DirSpec(path=".config/portfolio-tool", created=datetime(2024, 2, 1, 8, 0), hidden=True))
    return ComputerSpec(id="sample-fa-0001", persona="a senior financial advisor at a wealth management firm in Denver",
                        generation=GenerationInfo(backend="offline", tool_version="0.1.0", seed=0, size="small"),
                        profile=profile, world=world, layout=Layout(kind="linux", home="/home/mreyes"), dirs=dirs,
                        files=_files())
