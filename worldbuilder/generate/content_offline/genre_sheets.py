"""Spreadsheet genres with typed columns and invariants the checker verifies.

money (``fill.money`` symbols in number formats), counts, percentages, dates inside the sheet's period,
names of the world's people, codes from a domain vocabulary; totals are real SUM formulas equal to
their parts, ledgers and trial balances balance, and event dates run in order.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from worldbuilder.generate.content_offline.grammar import domain_of
from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.generate.content_offline.tables import col_letter
from worldbuilder.generate.fill import money_number_format
from worldbuilder.spec import Cell, Sheet

BYTES_PER_CELL = 9.0
SHEET_BASE = 5500
SHIFT_CODES = {
    "health": {"D": 12.0, "N": 12.0, "E": 8.0, "OFF": 0.0, "AL": 0.0},
    "hospitality": {"AM": 7.0, "PM": 7.0, "CL": 8.0, "DBL": 12.0, "OFF": 0.0},
    "operations": {"S1": 8.0, "S2": 8.0, "S3": 8.0, "OFF": 0.0, "AL": 0.0},
}
DEFAULT_SHIFTS = {"9-5": 8.0, "WFH": 8.0, "HALF": 4.0, "OFF": 0.0, "AL": 0.0}
STATUSES = ("Open", "In progress", "Waiting", "Done", "Closed")
LEDGER_ACCOUNTS = (("1000", "Cash at bank"), ("1100", "Accounts receivable"), ("1200", "Inventory"),
                   ("1500", "Equipment"), ("2000", "Accounts payable"), ("2100", "Accrued expenses"),
                   ("2200", "Sales tax payable"), ("3000", "Owner's equity"), ("4000", "Revenue"),
                   ("4100", "Service income"), ("5000", "Cost of goods sold"), ("6000", "Rent"), ("6100", "Wages"),
                   ("6200", "Utilities"), ("6300", "Software subscriptions"), ("6400", "Travel"),
                   ("6500", "Professional fees"), ("6600", "Office supplies"), ("6700", "Insurance"))
LEDGER_PAIRS = ((("6000", "Rent"), ("1000", "Cash at bank")), (("1100", "Accounts receivable"), ("4000", "Revenue")),
                (("1000", "Cash at bank"), ("1100", "Accounts receivable")), (("6100", "Wages"), ("1000", "Cash at bank")),
                (("5000", "Cost of goods sold"), ("1200", "Inventory")), (("6200", "Utilities"), ("2000", "Accounts payable")),
                (("2000", "Accounts payable"), ("1000", "Cash at bank")), (("6300", "Software subscriptions"), ("2100", "Accrued expenses")),
                (("6500", "Professional fees"), ("2000", "Accounts payable")), (("1000", "Cash at bank"), ("4100", "Service income")))


def money_format(currency: str, decimals: int = 2) -> str:
    return money_number_format(currency, decimals)


def rows_for(w: Writer, ncols: int, lo: int = 4, hi: int = 3000) -> int:
    """Rows that bring the sheet near its target size (a csv has no workbook skeleton to subtract)."""
    target = w.plan.target_bytes or 8000
    base = 0 if w.plan.path.lower().endswith(".csv") else SHEET_BASE
    return max(lo, min(hi, int((target - base) / (BYTES_PER_CELL * max(1, ncols)))))


def period(w: Writer) -> tuple[date, date]:
    """The sheet's period: the month its title names, else the quarter or year, else the 60 days before it."""
    title = w.plan.title.lower()
    year = next((int(t) for t in title.replace("-", " ").split() if t.isdigit() and len(t) == 4), w.when.year)
    for m in range(1, 13):
        if calendar.month_name[m].lower() in title.split() or calendar.month_abbr[m].lower() in title.split():
            return date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])
    for q in range(1, 5):
        if f"q{q}" in title.split():
            return date(year, 3 * q - 2, 1), date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])
    end = w.when.date()
    return end - timedelta(days=60), end


def day_list(w: Writer, n: int, lo: date, hi: date) -> list[date]:
    span = max(0, (hi - lo).days)
    return sorted(lo + timedelta(days=w.rng.randint(0, span)) for _ in range(n))


def people_names(w: Writer, relations: tuple[str, ...] = ("colleague", "report", "manager")) -> list[str]:
    names = [p.name for p in w.world.people if p.relation in relations]
    return names or [w.profile.full_name]


def _total_row(label: str, cols: list[int], n: int, width: int, values: dict[int, float], nf: str) -> list[object]:
    row: list[object] = [Cell(value=label, bold=True)] + [None] * (width - 1)
    for j in cols:
        row[j] = Cell(value=round(values[j], 2), formula=f"=SUM({col_letter(j)}2:{col_letter(j)}{n + 1})", bold=True,
                      number_format=nf)
    return row


def ledger(w: Writer) -> list[Sheet]:
    """Journal lines in balanced pairs (debit = credit), dated inside the period, in date order."""
    lo, hi = period(w)
    n_entries = max(3, rows_for(w, 6) // 2)
    days = day_list(w, n_entries, lo, hi)
    cur = w.profile.currency
    nf = money_format(cur)
    rows: list[list[object]] = []
    for i, d in enumerate(days):
        (dcode, dname), (ccode, cname) = w.rng.choice(LEDGER_PAIRS)
        amt = round(w.rng.lognormvariate(6.5, 1.1), 2)
        ref = f"JE-{d:%y%m}-{i + 1:04d}"
        memo = f"{dname} - {w.grammar.thing()[4:]}"[:70]
        rows.append([d.isoformat(), ref, f"{dcode} {dname}", memo, Cell(value=amt, number_format=nf), None])
        rows.append([d.isoformat(), ref, f"{ccode} {cname}", memo, None, Cell(value=amt, number_format=nf)])
    total = sum(r[4].value for r in rows if isinstance(r[4], Cell))  # type: ignore[union-attr]
    rows.append(_total_row("Total", [4, 5], len(rows), 6, {4: total, 5: total}, nf))
    return [Sheet(name="Journal", columns=["Date", "Entry", "Account", "Description", "Debit", "Credit"], rows=rows)]


def trial_balance(w: Writer) -> list[Sheet]:
    """Account balances whose debit and credit columns total the same."""
    cur = w.profile.currency
    nf = money_format(cur)
    accts = list(LEDGER_ACCOUNTS)
    rows: list[list[object]] = []
    debits = credits = 0.0
    for code, name in accts:
        amt = round(w.rng.lognormvariate(9.5, 1.0), 2)
        if code[0] in "156":
            rows.append([code, name, Cell(value=amt, number_format=nf), None])
            debits += amt
        else:
            rows.append([code, name, None, Cell(value=amt, number_format=nf)])
            credits += amt
    diff = round(debits - credits, 2)
    plug = next(r for r in rows if r[0] == "3000")  # owner's equity closes the difference
    plug[2], plug[3] = (None, Cell(value=round(plug[3].value + diff, 2), number_format=nf)) if diff >= 0 or \
        plug[3].value + diff > 0 else (Cell(value=-round(plug[3].value + diff, 2), number_format=nf), None)  # type: ignore[union-attr]
    d = sum(r[2].value for r in rows if isinstance(r[2], Cell))  # type: ignore[union-attr]
    c = sum(r[3].value for r in rows if isinstance(r[3], Cell))  # type: ignore[union-attr]
    rows.append(_total_row("Total", [2, 3], len(rows), 4, {2: d, 3: c}, nf))
    return [Sheet(name="Trial balance", columns=["Account code", "Account", "Debit", "Credit"], rows=rows)]


def line_items(w: Writer, label: str) -> list[Sheet]:
    """Invoice / quote / purchase order: quantity x unit price = amount (formulas), subtotal, tax, total."""
    cur = w.profile.currency
    nf = money_format(cur)
    n = max(2, min(400, rows_for(w, 4) // 2))
    rows: list[list[object]] = []
    for i in range(n):
        qty = w.rng.choice((1, 1, 2, 3, 4, 5, 8, 10, 12, 20))
        price = round(w.rng.lognormvariate(4.2, 1.0), 2)
        desc = f"{w.grammar.thing()[4:]}".capitalize()[:60]
        r = i + 2
        rows.append([desc, qty, Cell(value=price, number_format=nf),
                     Cell(value=round(qty * price, 2), formula=f"=B{r}*C{r}", number_format=nf)])
    sub = round(sum(r[3].value for r in rows), 2)  # type: ignore[union-attr]
    rate = w.rng.choice((0.0, 5.0, 7.5, 8.25, 10.0, 20.0))
    tax = round(sub * rate / 100, 2)
    last = n + 1
    rows.append(["Subtotal", None, None, Cell(value=sub, formula=f"=SUM(D2:D{last})", bold=True, number_format=nf)])
    rows.append([f"Tax {rate:g}%", None, None, Cell(value=tax, formula=f"=ROUND(D{last + 1}*{rate / 100:g},2)",
                                                    number_format=nf)])
    rows.append([f"Total {label.lower()}", None, None, Cell(value=round(sub + tax, 2), formula=f"=D{last + 1}+D{last + 2}",
                                                            bold=True, number_format=nf)])
    return [Sheet(name=label[:31], columns=["Description", "Quantity", "Unit price", "Amount"], rows=rows)]


def budget(w: Writer) -> list[Sheet]:
    """Categories with budget and actual; variance = actual - budget as a formula; SUM totals."""
    nf = money_format(w.profile.currency, 0)
    cats = list(dict.fromkeys([w.grammar.pick("nouns").capitalize() for _ in range(30)] + [
        "Personnel", "Supplies", "Travel", "Training", "Software", "Equipment", "Contractors", "Facilities"]))
    n = max(4, min(len(cats), rows_for(w, 4, hi=60)))
    rows: list[list[object]] = []
    for i, cat in enumerate(cats[:n]):
        b = round(w.rng.lognormvariate(8.5, 1.0), -1)
        a = round(b * w.rng.uniform(0.7, 1.2), 0)
        r = i + 2
        rows.append([cat, Cell(value=b, number_format=nf), Cell(value=a, number_format=nf),
                     Cell(value=round(a - b, 2), formula=f"=C{r}-B{r}", number_format=nf)])
    tb = sum(r[1].value for r in rows)  # type: ignore[union-attr]
    ta = sum(r[2].value for r in rows)  # type: ignore[union-attr]
    total = _total_row("Total", [1, 2, 3], n, 4, {1: tb, 2: ta, 3: ta - tb}, nf)
    rows.append(total)
    return [Sheet(name="Budget", columns=["Category", "Budget", "Actual", "Variance"], rows=rows)]


def gradebook(w: Writer) -> list[Sheet]:
    """Students x assessments with numeric scores, a row AVERAGE formula and a class average row."""
    names = [p.name for p in w.world.people if p.relation == "external"] or people_names(w)
    assessments = [f"{w.topic.title()[:18]} quiz", "Homework 1", "Homework 2", "Lab report", "Unit test"][
        : w.rng.randint(3, 5)]
    n = max(4, min(200, rows_for(w, len(assessments) + 2, hi=200)))
    students = _names(w, names, n)
    rows: list[list[object]] = []
    for i, s in enumerate(students):
        base = w.rng.uniform(55, 95)
        scores = [max(0, min(100, round(base + w.rng.gauss(0, 8)))) for _ in assessments]
        r = i + 2
        avg = round(sum(scores) / len(scores), 2)
        rows.append([s, *scores, Cell(value=avg, formula=f"=AVERAGE(B{r}:{col_letter(len(assessments))}{r})",
                                      number_format="0.0")])
    return [Sheet(name="Grades", columns=["Student", *assessments, "Average"], rows=rows)]


def _names(w: Writer, pool: list[str], n: int) -> list[str]:
    """``n`` distinct names: the world's people first, then plausible combinations of their names."""
    firsts = sorted({x.split()[0] for x in pool})
    lasts = sorted({x.split()[-1] for x in pool})
    out = list(dict.fromkeys(pool))[:n]
    seen = set(out)
    for _ in range(n * 20):
        if len(out) >= n:
            break
        cand = f"{w.rng.choice(firsts)} {w.rng.choice(lasts)}"
        if cand not in seen:
            seen.add(cand)
            out.append(cand)
    return out


def roster(w: Writer) -> list[Sheet]:
    """Staff x days of the period with shift codes from the domain's code list, and hours per person."""
    codes = SHIFT_CODES.get(domain_of(w.profile.sector), DEFAULT_SHIFTS)
    lo, hi = period(w)
    days = [lo + timedelta(days=i) for i in range(min(31, (hi - lo).days + 1))]
    staff = people_names(w)[:12] + [w.profile.full_name]
    order = sorted(codes)
    rows: list[list[object]] = []
    last = col_letter(len(days))
    for i, s in enumerate(staff):
        shifts = [w.rng.choice(order) for _ in days]
        hours = sum(codes[c] for c in shifts)
        terms = "+".join(f'COUNTIF(B{i + 2}:{last}{i + 2},"{c}")*{codes[c]:g}' for c in order if codes[c])
        rows.append([s, *shifts, Cell(value=hours, formula=f"={terms}", number_format="0")])
    legend = Sheet(name="Codes", columns=["Code", "Hours"], rows=[[c, codes[c]] for c in order])
    return [Sheet(name="Roster", columns=["Staff", *[d.isoformat() for d in days], "Hours"], rows=rows), legend]


def timesheet(w: Writer) -> list[Sheet]:
    lo, hi = period(w)
    n = max(5, min(400, rows_for(w, 4)))
    days = day_list(w, n, lo, hi)
    codes = [p.code for p in w.world.projects]
    rows: list[list[object]] = [[d.isoformat(), w.rng.choice(codes), w.grammar.thing()[4:].capitalize()[:60],
                                 round(w.rng.choice((0.5, 1, 1.5, 2, 3, 4, 6, 7.5)), 1)] for d in days]
    rows.append(["Total", None, None, Cell(value=round(sum(r[3] for r in rows), 1), formula=f"=SUM(D2:D{n + 1})",  # type: ignore[misc]
                                           bold=True, number_format="0.0")])
    return [Sheet(name="Timesheet", columns=["Date", "Project code", "Task", "Hours"], rows=rows)]


def tracker(w: Writer) -> list[Sheet]:
    """Items with owners from the world, valid statuses, opened <= due <= closed dates."""
    lo, hi = period(w)
    n = max(4, min(1500, rows_for(w, 6)))
    names = people_names(w) + [w.profile.full_name]
    rows: list[list[object]] = []
    for i, d in enumerate(day_list(w, n, lo, hi)):
        due = d + timedelta(days=w.rng.randint(3, 30))
        status = w.rng.choice(STATUSES)
        closed = due - timedelta(days=w.rng.randint(0, 3)) if status in ("Done", "Closed") else None
        closed = max(d, closed) if closed else None
        rows.append([f"{w.topic[:3].upper()}-{i + 1:03d}", w.grammar.thing()[4:].capitalize()[:70], w.rng.choice(names),
                     status, d.isoformat(), due.isoformat(), closed.isoformat() if closed else None])
    return [Sheet(name="Tracker", columns=["ID", "Item", "Owner", "Status", "Opened", "Due", "Closed"], rows=rows)]


def inventory(w: Writer) -> list[Sheet]:
    nf = money_format(w.profile.currency)
    n = max(4, min(2000, rows_for(w, 6)))
    rows: list[list[object]] = []
    for i in range(n):
        qty, price, r = w.rng.randint(0, 400), round(w.rng.lognormvariate(3, 1), 2), i + 2
        rows.append([f"SKU-{10000 + i * 7}", w.grammar.thing()[4:].capitalize()[:50], qty, w.rng.randint(5, 60),
                     Cell(value=price, number_format=nf), Cell(value=round(qty * price, 2), formula=f"=C{r}*E{r}", number_format=nf)])
    total = round(sum(r[5].value for r in rows), 2)  # type: ignore[union-attr]
    rows.append(_total_row("Total", [5], n, 6, {5: total}, nf))
    return [Sheet(name="Inventory", columns=["SKU", "Item", "On hand", "Reorder point", "Unit cost", "Value"], rows=rows)]


def contact_list(w: Writer) -> list[Sheet]:
    orgs = {o.id: o.name for o in w.world.organisations}
    rows = [[p.name, p.role, orgs.get(p.organisation, ""), p.email, p.phone] for p in sorted(w.world.people, key=lambda p: p.name)]
    return [Sheet(name="Contacts", columns=["Name", "Role", "Organisation", "Email", "Phone"], rows=rows)]


def personal_finance(w: Writer) -> list[Sheet]:
    lo, hi = period(w)
    nf = money_format(w.profile.currency)
    n = max(6, min(1500, rows_for(w, 4)))
    cats = ("Groceries", "Rent", "Utilities", "Transport", "Eating out", "Insurance", "Phone", "Gifts", "Health", "Savings")
    rows: list[list[object]] = []
    for d in day_list(w, n, lo, hi):
        cat = w.rng.choice(cats)
        rows.append([d.isoformat(), f"{cat} - {w.rng.choice(('card', 'direct debit', 'transfer', 'cash'))}", cat,
                     Cell(value=round(w.rng.lognormvariate(3.6, 1.0), 2), number_format=nf)])
    total = round(sum(r[3].value for r in rows), 2)  # type: ignore[union-attr]
    rows.append(_total_row("Total", [3], n, 4, {3: total}, nf))
    return [Sheet(name="Spending", columns=["Date", "Description", "Category", "Amount"], rows=rows)]


def forecast(w: Writer) -> list[Sheet]:
    nf = money_format(w.profile.currency, 0)
    start = w.when.replace(day=1)
    months = [(start + timedelta(days=31 * i)).strftime("%b %Y") for i in range(12)]
    lines = list(dict.fromkeys(w.grammar.pick("nouns").capitalize() for _ in range(12)))[:6]
    rows: list[list[object]] = []
    for i, ln in enumerate(lines):
        base = w.rng.lognormvariate(9, 0.8)
        vals = [round(base * (1 + 0.02 * k + w.rng.gauss(0, 0.05)), 0) for k in range(12)]
        r = i + 2
        rows.append([ln, *[Cell(value=v, number_format=nf) for v in vals],
                     Cell(value=sum(vals), formula=f"=SUM(B{r}:M{r})", number_format=nf)])
    totals: dict[int, float] = {j: sum(r[j].value for r in rows) for j in range(1, 14)}  # type: ignore[union-attr]
    rows.append(_total_row("Total", list(range(1, 14)), len(lines), 14, totals, nf))
    return [Sheet(name="Forecast", columns=["Line", *months, "Year"], rows=rows)]


def menu_costing(w: Writer) -> list[Sheet]:
    from worldbuilder.generate.content_offline.genre_data import DISHES

    nf = money_format(w.profile.currency)
    rows: list[list[object]] = []
    for i, dish in enumerate(sorted(DISHES)[: max(4, min(len(DISHES), rows_for(w, 4, hi=40)))]):
        cost = round(w.rng.uniform(2.5, 9), 2)
        price = round(cost / w.rng.uniform(0.24, 0.34), 0) - 0.05
        r = i + 2
        rows.append([dish.capitalize(), Cell(value=cost, number_format=nf), Cell(value=price, number_format=nf),
                     Cell(value=round(cost / price * 100, 1), formula=f"=ROUND(B{r}/C{r}*100,1)", number_format='0.0"%"')])
    return [Sheet(name="Menu costing", columns=["Dish", "Plate cost", "Menu price", "Food cost %"], rows=rows)]


def dataset(w: Writer) -> list[Sheet]:
    lo, hi = period(w)
    n = max(10, min(5000, rows_for(w, 5, hi=5000)))
    unit = w.grammar.pick("units")
    rows: list[list[object]] = [[f"{i + 1:05d}", d.isoformat(), w.rng.choice([p.code for p in w.world.projects]),
                                 w.rng.randint(1, 250), round(w.rng.uniform(0, 100), 2)] for i, d in enumerate(day_list(w, n, lo, hi))]
    return [Sheet(name="Data", columns=["Record", "Date", "Project code", unit.capitalize(), "Score"], rows=rows)]


SHEET_GENRES = {
    "ledger": ledger, "trial_balance": trial_balance, "invoice": lambda w: line_items(w, "Invoice"),
    "quote": lambda w: line_items(w, "Quote"), "purchase_order": lambda w: line_items(w, "Purchase order"),
    "budget": budget, "gradebook": gradebook, "roster_schedule": roster, "timesheet": timesheet, "tracker": tracker,
    "inventory": inventory, "contact_list": contact_list, "personal_finance": personal_finance, "forecast": forecast,
    "menu_costing": menu_costing, "dataset_export": dataset,
}


def as_datetime(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)
