"""Column semantics: what a table/sheet column holds, inferred from its header.

``infer(columns)`` maps each header to a :class:`Col` (kind + value range + how it relates to other
columns); :mod:`.rows` draws the values. Kinds: money, pct, share, band_min/band_mid/band_max, int,
score, measure, year, date, month, quarter, person, entity, org, status, level, grade, code, label,
task, note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ordered (pattern, kind, lo, hi, decimals); the first match wins
_RULES: tuple[tuple[str, str, float, float, int], ...] = (
    (r"^(year|fiscal year|fy|school year)$", "year", 0, 0, 0),
    (r"\b(quarter|qtr)\b", "quarter", 0, 0, 0),
    (r"^(month|period)$", "month", 0, 0, 0),
    (r"\b(id|no\.?|number|#|ref|sku|code|ticker|symbol)\b|^id$", "code", 0, 0, 0),
    (r"hourly|per hour|day rate|billing rate|unit price|unit cost|\bprice\b", "money", 12, 450, 2),
    (r"expense ratio", "pct", 0.03, 0.75, 2),
    (r"fee rate|interest rate|tax rate|\bapr\b|commission rate", "pct", 0.25, 1.6, 2),
    (r"drift|excess|\bchange\b|variance %|delta|over/under|\bvs\b", "diff", 0, 0, 1),
    (r"\bweight\b|allocation|\bshare\b|\bmix\b|% of total", "share", 0, 0, 1),
    (r"return|benchmark|\bgrowth\b|\byield\b|\bytd\b|\b1y\b", "pct", -4, 18, 1),
    (r"margin|conversion|\bctr\b|open rate|churn|turnover", "pct", 1, 45, 1),
    (r"utili[sz]ation|occupancy|attendance rate|completion|accuracy|coverage|on-time|retention|pass rate",
     "pct", 55, 99, 1),
    (r"%|percent|\brate\b|ratio", "pct", 1, 30, 1),
    (r"difference|variance|remaining|over \(under\)", "diff", 0, 0, 0),
    (r"\btotal\b", "total", 0, 0, 0),
    (r"balance|projected|market value|\baum\b|assets|portfolio value|net worth|valuation", "money", 40_000,
     4_000_000, 0),
    (r"salary|compensation|\bpay\b|wage", "money", 42_000, 185_000, 0),
    (r"revenue|sales|income|contract value|deal|\bgrant\b|award|funding|pipeline", "money", 15_000, 900_000, 0),
    (r"fee|premium|commission|tuition|rent|invoice|interest|\btax\b|\bbill\b", "money", 250, 25_000, 0),
    (r"budget|actual|forecast|cost|amount|spend|expense|payment|paid|owed|contribution|withdrawal|capex|opex|"
     r"\bvalue\b|year \d|deposit|debit|credit|estimate \(\$\)|\$", "money", 400, 90_000, 0),
    (r"midterm|final exam|exam|quiz|problem sets?|homework|paper|essay|lab|assignment|test score|score|mark",
     "score", 58, 100, 0),
    (r"course grade|letter grade|^grade$|final grade", "grade", 0, 0, 0),
    (r"\bwave\b|\bround\b|visit number|grade level|\bperiod\b|\btier\b", "ordinal", 1, 4, 0),
    (r"hours|\bhrs\b", "int", 1, 60, 0),
    (r"days|lead time|duration|tenure|age", "int", 1, 45, 0),
    (r"\baccounts\b|visits|sessions|tickets|errors|incidents|defects|points|requests|calls|meetings", "int", 1, 60, 0),
    (r"count|qty|quantity|units|patients|students|enrolled|headcount|respondents|participants|households|"
     r"attendees|stock|on hand|reorder|beds|seats|instances|responses|items|orders|leads|clicks|views|"
     r"impressions|subscribers|downloads|minutes|\bn\b|sample size|size|wave|floor", "int", 1, 400, 0),
    (r"outcome|covariate|measure|mean|median|\bsd\b|concentration|absorbance|signal|intensity|ct\b|od|ph\b|"
     r"temperature|reading|value_|\bx\b|\by\b|weight \(kg\)|height|length|load|pressure", "measure", 0.2, 60, 2),
    (r"date|\bdue\b|deadline|week|start|\bend\b|opened|closed|submitted|updated|delivered|as of|when|"
     r"received|sent|scheduled|completed on|issued", "date", 0, 0, 0),
    (r"owner|assignee|assigned|reviewer|lead\b|author|contact|responsible|staff|teacher|advisor|adviser|"
     r"manager|approver|requested by|submitted by|reporter|rep\b|nurse|physician|agent|analyst|attorney", "person",
     0, 0, 0),
    (r"client|customer|vendor|supplier|company|organi[sz]ation|funder|sponsor|partner|payee|payer|carrier|"
     r"agency|school|firm|employer|account name|institution|journal|venue|publisher|store|site|location|"
     r"property|building", "org", 0, 0, 0),
    (r"\bname\b|student|patient|household|member|candidate|employee|applicant|participant|tenant|guest|"
     r"respondent|buyer|seller|donor|attendee", "entity", 0, 0, 0),
    (r"status|state|stage|phase", "status", 0, 0, 0),
    (r"priority|severity|likelihood|impact|risk level|\brisk\b|confidence|rating", "level", 0, 0, 0),
    (r"result|outcome status|decision|recommendation|action", "decision", 0, 0, 0),
    (r"task|deliverable|milestone|action item|activity|step|work item|story|issue|item|description|line item|"
     r"title|subject|summary", "task", 0, 0, 0),
    (r"note|comment|justification|rationale|remarks|explanation|reason|details|mitigation|notes", "note",
     0, 0, 0),
)
_COMPILED = tuple((re.compile(p, re.I), k, lo, hi, d) for p, k, lo, hi, d in _RULES)
BAND_MIN = re.compile(r"^(min|minimum|floor|lower)\b", re.I)
BAND_MAX = re.compile(r"^(max|maximum|ceiling|upper)\b", re.I)
BAND_MID = re.compile(r"^(target|policy|neutral|strategic)\b", re.I)
NUMERIC = frozenset({"money", "pct", "share", "band_min", "band_mid", "band_max", "int", "score", "measure", "ordinal",
                     "diff", "total", "year", "product", "product_pct", "running"})
MONEYISH = frozenset({"money", "total", "product", "product_pct", "running"})
SUMMABLE = frozenset({"money", "int", "share", "band_mid", "total", "product", "product_pct"})


@dataclass
class Col:
    """One column: header, kind, value range, decimals and (for derived kinds) the source columns."""

    name: str
    kind: str
    lo: float = 0.0
    hi: float = 0.0
    decimals: int = 0
    sources: tuple[int, ...] = ()

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    @property
    def summable(self) -> bool:
        """A total of this column means something (amounts, counts, shares), not of rates or prices."""
        return self.kind in SUMMABLE and not (self.kind == "money" and self.decimals == 2) and \
            not re.search(r"balance|projected|market value|valuation", self.name, re.I)


def classify(name: str) -> Col:
    """The kind of one header on its own (before looking at its neighbours)."""
    if BAND_MIN.search(name):
        return Col(name, "band_min")
    if BAND_MAX.search(name):
        return Col(name, "band_max")
    if BAND_MID.search(name) and not re.search(r"date|due", name, re.I):
        return Col(name, "band_mid")
    for rx, kind, lo, hi, dec in _COMPILED:
        if rx.search(name):
            return Col(name, kind, lo, hi, dec)
    return Col(name, "label")


def infer(columns: list[str], labels: dict[str, list[str]] | None = None) -> list[Col]:
    """Kinds for a whole header row: resolves bands, derived columns and the first (row-label) column."""
    cols = [classify(c) for c in columns]
    labels = labels or {}
    kinds = [c.kind for c in cols]
    has_band = "band_min" in kinds and "band_max" in kinds
    for i, c in enumerate(cols):
        if c.name.strip().lower() in labels:
            c.kind = "label"
        elif c.kind in ("band_min", "band_max", "band_mid") and not has_band:
            c.kind = "share" if c.kind == "band_mid" else "pct"
            c.lo, c.hi, c.decimals = (1, 30, 1) if c.kind == "pct" else (0, 0, 1)
        elif c.kind == "diff":
            c.sources = _two_before(cols, i)
            if not c.sources:
                c.kind, c.lo, c.hi, c.decimals = "pct", -3, 3, 1
        elif c.kind == "total":
            src = tuple(j for j in range(i) if cols[j].kind == "money")
            c.sources = src
            if len(src) < 2:
                c.kind, c.lo, c.hi = "money", 400, 90_000
    for i, c in enumerate(cols):
        _link_derived(cols, i, c)
    if cols and cols[0].kind in ("task", "note", "status", "level", "decision", "person", "diff"):
        cols[0].kind = "label" if cols[0].kind in ("note", "diff") else cols[0].kind
    return cols


def _two_before(cols: list[Col], i: int) -> tuple[int, ...]:
    """The two nearest numeric columns left of ``i`` of a compatible kind (for a difference)."""
    prev = [j for j in range(i) if cols[j].kind in ("money", "pct", "share", "int", "score", "band_mid", "measure")]
    if len(prev) < 2:
        return ()
    a, b = prev[-2], prev[-1]
    pctish = {"pct", "share", "band_mid"}
    if (cols[a].kind in pctish) != (cols[b].kind in pctish):
        return ()
    return (a, b)


PRODUCT = re.compile(r"fee|commission|interest|tax|line total|extended|amount|cost|charge", re.I)
ADDS = re.compile(r"contribution|deposit|credit|income|inflow|savings", re.I)
SUBTRACTS = re.compile(r"withdrawal|debit|payment|expense|spend|outflow|distribution", re.I)
RUNNING = re.compile(r"balance|projected", re.I)


def _link_derived(cols: list[Col], i: int, c: Col) -> None:
    """Money columns computed from others: base × rate, quantity × price, or a running balance."""
    if c.kind != "money" or i == 0:
        return
    before = cols[:i]
    if RUNNING.search(c.name):
        adds = tuple(j for j, b in enumerate(before) if b.kind == "money" and ADDS.search(b.name))
        subs = tuple(j for j, b in enumerate(before) if b.kind == "money" and SUBTRACTS.search(b.name))
        if adds or subs:
            c.kind, c.sources = "running", adds + tuple(-1 - j for j in subs)
        return
    if not PRODUCT.search(c.name) or c.decimals == 2:
        return
    rate = [j for j, b in enumerate(before) if b.kind == "pct" and b.hi <= 5]
    base = [j for j, b in enumerate(before) if b.kind == "money" and b.decimals == 0]
    qty = [j for j, b in enumerate(before) if b.kind == "int"]
    price = [j for j, b in enumerate(before) if b.kind == "money" and b.decimals == 2]
    if rate and base:
        c.kind, c.sources, c.decimals = "product_pct", (base[-1], rate[-1]), 0
    elif qty and price:
        c.kind, c.sources, c.decimals = "product", (qty[-1], price[-1]), 2
