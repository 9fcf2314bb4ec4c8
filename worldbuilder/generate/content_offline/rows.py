"""Row values for typed columns: drawn column by column, then derived columns computed from their sources."""

from __future__ import annotations

from datetime import date, timedelta

from worldbuilder.generate.content_offline.columns import MONEYISH, Col
from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.generate.fill import fill
from worldbuilder.generate.people import NamePool

# Built-in row labels for common headers (occupations may add their own via ``column_values``).
LABELS: dict[str, list[str]] = {
    "category": ["Personnel", "Fringe benefits", "Travel", "Equipment", "Supplies", "Software", "Contractors",
                 "Training", "Facilities", "Other direct costs"],
    "account": ["Joint brokerage", "Traditional IRA", "Roth IRA", "Revocable trust", "401(k) rollover",
                "Individual brokerage", "SEP IRA", "529 plan", "Inherited IRA", "Cash management"],
    "region": ["North", "South", "East", "West", "Central", "International"],
    "department": ["Finance", "Operations", "Sales", "Marketing", "HR", "IT", "Legal", "Customer Success"],
    "channel": ["Email", "Paid search", "Organic search", "Social", "Referral", "Events", "Direct"],
    "type": ["Internal", "External", "Recurring", "One-off", "Regulatory"],
    "treatment": ["control", "treated"],
    "cohort": ["2019", "2020", "2021", "2022", "2023"],
    "source": ["Survey", "Admin records", "Interview", "Web form", "Partner data"],
    "unit": ["each", "box", "case", "hour", "licence"],
    "method": ["Bank transfer", "Card", "Check", "ACH", "Wire"],
}
STATUSES = ("Done", "Done", "In progress", "In progress", "Not started", "Blocked", "In review")
LEVELS = ("Low", "Low", "Medium", "Medium", "High")
DECISIONS = ("Approve", "Approve", "Revise", "Hold", "Proceed", "Defer")
TASK_VERBS = ("Review", "Update", "Draft", "Finalise", "Reconcile", "Prepare", "Confirm", "Check", "Schedule",
              "Circulate")
NOTES = ("Per {person}", "Carried over from {month}", "Confirmed with {person}", "See {code} log", "Estimate",
         "Updated {month}", "Pending sign-off", "Includes {term}", "One-off", "Agreed at review")


def labels_for(header: str, w: Writer, extra: dict[str, list[str]]) -> list[str]:
    key = header.strip().lower()
    return list(extra.get(key) or LABELS.get(key) or [])


def unique_labels(pool: list[str], n: int, w: Writer, ordered: bool = False) -> list[str]:
    """``n`` distinct labels from ``pool`` (sampled, or in order), numbered when the pool runs out."""
    base = list(pool) if ordered else w.rng.sample(pool, len(pool))
    out = base[:n]
    i = 2
    while len(out) < n:
        out += [f"{b} {i}" for b in base[: n - len(out)]]
        i += 1
    return out


def dates(w: Writer, n: int, past: bool) -> list[str]:
    from worldbuilder.invariants import _period

    named = _period(w.plan.title)
    if named is not None:  # a sheet titled with a month or quarter holds dates of that period
        lo, hi = named
        span = (hi - lo).days + 1
        return sorted((lo + timedelta(days=w.rng.randrange(span))).isoformat() for _ in range(n))
    start = w.when - timedelta(days=120 if past else 45)
    end = w.when if past else w.when + timedelta(days=60)
    span = max(1, (end - start).days)
    days = sorted(w.rng.randrange(span) for _ in range(n))
    return [_weekday(start + timedelta(days=d)).date().isoformat() for d in days]


def _weekday(d):  # noqa: ANN001, ANN202 - datetime in, datetime out
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def month_seq(w: Writer, n: int, forward: bool) -> list[str]:
    y, m = w.when.year, w.when.month
    first = (y * 12 + m - 1) - (0 if forward else n - 1)
    return [date(k // 12, k % 12 + 1, 1).strftime("%b %Y") for k in range(first, first + n)]


def quarter_seq(w: Writer, n: int) -> list[str]:
    q = w.when.year * 4 + (w.when.month - 1) // 3
    return [f"Q{k % 4 + 1} {k // 4}" for k in range(q - n + 1, q + 1)]


def shares(w: Writer, n: int) -> list[float]:
    """``n`` positive percentages with one decimal that sum to exactly 100."""
    raw = [w.rng.uniform(0.4, 1.6) ** 2 for _ in range(n)]
    tenths = [max(1, int(1000 * r / sum(raw))) for r in raw]
    tenths[tenths.index(max(tenths))] += 1000 - sum(tenths)
    return [t / 10 for t in tenths]


def money(w: Writer, c: Col) -> float:
    v = w.rng.uniform(c.lo, c.hi)
    if c.decimals == 2:
        return round(v, 2)
    step = 100 if v >= 50_000 else 10
    return float(round(v / step) * step)


class RowMaker:
    """Draws the rows of one table for one file."""

    def __init__(self, w: Writer, labels: dict[str, list[str]], topics: list[str], org_patterns: list[str]):
        self.w, self.labels, self.topics, self.org_patterns = w, labels, topics, org_patterns
        self._pool: NamePool | None = None

    def names(self) -> NamePool:
        if self._pool is None:
            self._pool = NamePool("en_US", self.w.rng)
            self._pool.avoid_surname(self.w.profile.last_name)
            self._pool.used.update(p.name for p in self.w.world.people)
        return self._pool

    def rows(self, cols: list[Col], n: int) -> list[list[object]]:
        records = self.records(cols)
        lab = labels_for(cols[0].name, self.w, self.labels) if cols else []
        pool = lab or (self.topics if cols and cols[0].kind == "label" and not records else [])
        if pool and (any(c.kind in ("share", "band_mid") for c in cols) or cols[0].kind == "label"):
            n = min(n, len(pool))
        if records:
            n = min(n, len(records[1]))
        data = [self.column(c, j, cols, n) for j, c in enumerate(cols)]
        if records:
            picks = self.w.rng.sample(records[1], n)
            for j, k in records[0].items():
                data[j] = [p[k] for p in picks]
        self.derive(cols, data)
        return [list(r) for r in zip(*data, strict=True)] if data else []

    def records(self, cols: list[Col]) -> tuple[dict[int, int], list[list[str]]] | None:
        """Linked values for several columns at once (``"ticker|fund": ["VTI|Vanguard ...", ...]``)."""
        heads = [c.name.strip().lower() for c in cols]
        for key, values in sorted(self.labels.items()):
            parts = key.split("|")
            if len(parts) > 1 and all(p in heads for p in parts):
                where = {heads.index(p): k for k, p in enumerate(parts)}
                for j in where:
                    cols[j].kind = "label"
                return where, [v.split("|") for v in values if v.count("|") == len(parts) - 1]
        return None

    def column(self, c: Col, j: int, cols: list[Col], n: int) -> list[object]:
        w, r = self.w, self.w.rng
        k = c.kind
        if k == "money":
            return [money(w, c) for _ in range(n)]
        if k == "pct":
            return [round(r.uniform(c.lo, c.hi), c.decimals or 1) for _ in range(n)]
        if k in ("share", "band_mid"):
            return shares(w, n)
        if k in ("int", "score", "ordinal"):
            return [r.randint(int(c.lo), int(c.hi)) for _ in range(n)]
        if k == "measure":
            base = r.uniform(c.lo, c.hi)
            return [round(base * r.uniform(0.7, 1.3), 2) for _ in range(n)]
        if k in ("year", "month", "quarter", "date"):
            return self.timeline(c, cols, n)
        return self.words(c, j, n)

    def timeline(self, c: Col, cols: list[Col], n: int) -> list[object]:
        w = self.w
        forward = any(x.kind == "running" or "project" in x.name.lower() or "forecast" in x.name.lower() for x in cols)
        if c.kind == "year":
            first = w.when.year if forward else w.when.year - n + 1
            return list(range(first, first + n))
        if c.kind == "month":
            return month_seq(w, n, forward)  # type: ignore[return-value]
        if c.kind == "quarter":
            return quarter_seq(w, n)  # type: ignore[return-value]
        past = any(s in c.name.lower() for s in ("start", "open", "submit", "issued", "received", "sent", "date"))
        return dates(w, n, past and "due" not in c.name.lower())  # type: ignore[return-value]

    def words(self, c: Col, j: int, n: int) -> list[object]:
        w, r, k = self.w, self.w.rng, c.kind
        lab = labels_for(c.name, w, self.labels)
        if lab:
            ordered = c.name.strip().lower() in ("cohort", "treatment")
            return unique_labels(lab, n, w, ordered) if j == 0 else [r.choice(lab) for _ in range(n)]  # type: ignore[return-value]
        if k == "person":
            staff = [p.name for p in w.world.people if p.relation in ("manager", "colleague", "report")]
            return [w.profile.full_name if r.random() < 0.25 else r.choice(staff or [w.profile.full_name])
                    for _ in range(n)]
        if k == "entity":
            return self.entities(c, n)  # type: ignore[return-value]
        if k == "org":
            return self.orgs(n, unique=j == 0)  # type: ignore[return-value]
        if k in ("status", "level", "decision"):
            pool = {"status": STATUSES, "level": LEVELS, "decision": DECISIONS}[k]
            return [r.choice(pool) for _ in range(n)]
        if k == "code":
            return self.codes(c, n)  # type: ignore[return-value]
        if k == "task":
            terms = unique_labels(w.world.vocabulary or ["plan"], n, w)
            return [f"{r.choice(TASK_VERBS)} {t}" for t in terms]
        if k == "note":
            return [self.note() for _ in range(n)]
        if j == 0 and self.topics:
            return unique_labels([t[:1].upper() + t[1:] for t in self.topics], n, w)  # type: ignore[return-value]
        terms = unique_labels(w.world.vocabulary or ["item"], n, w)
        return [t[:1].upper() + t[1:] for t in terms]

    def entities(self, c: Col, n: int) -> list[str]:
        w = self.w
        ext = [p.name for p in w.world.people if p.relation == "external"]
        out = w.rng.sample(ext, min(len(ext), max(1, n // 3)))
        drawn: list[tuple[str, str]] = []
        while len(out) < n:
            if len(drawn) < 40:  # a bounded pool of fresh names, then combinations of them (fast for long sheets)
                first, last = self.names().take()
                drawn.append((first, last))
            else:
                first, last = w.rng.choice(drawn)[0], w.rng.choice(drawn)[1]
            out.append(f"{last} Household" if "household" in c.name.lower() else f"{first} {last}")
        return out

    def orgs(self, n: int, unique: bool) -> list[str]:
        w = self.w
        names = [o.name for o in w.world.organisations if o.kind != "employer"] or [w.profile.employer]
        if not unique:
            return [w.rng.choice(names) for _ in range(n)]
        out = w.rng.sample(names, min(len(names), n))
        seen = set(out)
        tries = 4 * n  # the pattern space can be smaller than n; unique_labels numbers the rest
        while len(out) < n and self.org_patterns and tries > 0:
            tries -= 1
            name = fill(w.rng.choice(self.org_patterns), last=self.names().last_name(),
                        last2=self.names().last_name(), city=w.profile.location.split(",")[0])
            if name not in seen:
                seen.add(name)
                out.append(name)
        return unique_labels(out, n, w, ordered=True)

    def codes(self, c: Col, n: int) -> list[str]:
        w = self.w
        low = c.name.lower()
        if "student" in low or "patient" in low or "employee" in low:
            start = w.rng.randint(10_000, 90_000)
            return [f"{low[0].upper()}{start + 7 * i}" for i in range(n)]
        prefix = w.proj().code[:3]
        start = w.rng.randint(1, 400)
        return [f"{prefix}-{start + i:04d}" for i in range(n)]

    def note(self) -> str:
        w = self.w
        return fill(w.rng.choice(NOTES), person=w.person().name.split()[0], month=f"{w.when:%B}",
                    code=w.proj().code, term=w.term())

    def derive(self, cols: list[Col], data: list[list[object]]) -> None:
        """Fill bands, differences, totals, products and running balances from their source columns."""
        for j, c in enumerate(cols):
            if c.kind in ("band_min", "band_max"):
                mid = next((data[i] for i, x in enumerate(cols) if x.kind == "band_mid"), None)
                mid = mid or shares(self.w, len(data[j]))
                data[j] = [_band(float(m), c.kind == "band_min", self.w) for m in mid]  # type: ignore[arg-type]
        for j, c in enumerate(cols):
            data[j] = derived_values(c, cols, data) or data[j]
        for j, c in enumerate(cols):
            if c.kind == "grade":
                scores = [i for i, x in enumerate(cols) if x.kind == "score"]
                data[j] = [letter(sum(float(data[i][r]) for i in scores) / max(1, len(scores)))  # type: ignore[arg-type]
                           for r in range(len(data[j]))]


def derived_values(c: Col, cols: list[Col], data: list[list[object]]) -> list[object] | None:
    n = len(data[0]) if data else 0
    src = [data[abs(s) - 1 if s < 0 else s] for s in c.sources] if c.sources else []
    if c.kind == "diff" and len(src) == 2:
        dec = 1 if cols[c.sources[0]].kind not in MONEYISH else 0
        return [round(float(b) - float(a), dec) for a, b in zip(*src, strict=True)]  # type: ignore[arg-type]
    if c.kind == "total" and src:
        return [round(sum(float(s[i]) for s in src), 2) for i in range(n)]  # type: ignore[arg-type]
    if c.kind == "product_pct":
        return [float(round(float(a) * float(b) / 100)) for a, b in zip(*src, strict=True)]  # type: ignore[arg-type]
    if c.kind == "product":
        return [round(float(a) * float(b), 2) for a, b in zip(*src, strict=True)]  # type: ignore[arg-type]
    if c.kind == "running":
        steps = [sum(float(data[s][i]) if s >= 0 else -float(data[-1 - s][i]) for s in c.sources)  # type: ignore[arg-type]
                 for i in range(n)]
        low, run = 0.0, 0.0
        for st in steps:
            run += st
            low = min(low, run)
        bal, out = float(round(150_000 - low, -3)), []
        for i in range(n):
            bal += steps[i]
            out.append(round(bal, 2))
        return out
    return None


def _band(mid: float, lower: bool, w: Writer) -> float:
    d = max(1.0, round(mid * w.rng.uniform(0.2, 0.4)))
    return round(max(0.0, mid - d), 1) if lower else round(min(100.0, mid + d), 1)


def letter(avg: float) -> str:
    for cut, g in ((93, "A"), (90, "A-"), (87, "B+"), (83, "B"), (80, "B-"), (77, "C+"), (70, "C"), (60, "D")):
        if avg >= cut:
            return g
    return "F"
