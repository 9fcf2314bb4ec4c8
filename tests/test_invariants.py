"""Spreadsheet invariants: generated workbooks keep them, and tampering with each one is reported."""

from __future__ import annotations

import pytest

from worldbuilder.check import check_spec
from worldbuilder.generate import plan_computer
from worldbuilder.invariants import find_violations
from worldbuilder.spec import Cell, ComputerSpec, FileSpec

BOOKKEEPER = "Bookkeeper keeping the ledgers of several small construction firms"
NURSE = "ICU charge nurse at a county hospital who writes the staffing grid"


@pytest.fixture(scope="module")
def books() -> ComputerSpec:
    return plan_computer(BOOKKEEPER, seed=4, size="small")


@pytest.fixture(scope="module")
def nurse() -> ComputerSpec:
    return plan_computer(NURSE, seed=4, size="small")


def _sheet_file(spec: ComputerSpec, *columns: str) -> tuple[FileSpec, int]:
    for f in spec.files:
        for i, s in enumerate(f.content.sheets):
            if f.type == "xlsx" and all(c in s.columns for c in columns):
                return f, i
    pytest.skip(f"no sheet with {columns}")


def _tampered(spec: ComputerSpec, f: FileSpec) -> ComputerSpec:
    copy = spec.model_copy(deep=True)
    copy.files = [f if x.path == f.path else x for x in copy.files]
    return copy


def _kinds(spec: ComputerSpec) -> set[str]:
    return {v.invariant for v in find_violations(spec)}


def test_generated_computers_have_no_violations(books: ComputerSpec, nurse: ComputerSpec) -> None:
    assert find_violations(books) == []
    assert find_violations(nurse) == []
    assert check_spec(books).violations == []


def test_ledger_that_does_not_balance_is_reported(books: ComputerSpec) -> None:
    f, i = _sheet_file(books, "Debit", "Credit")
    f = f.model_copy(deep=True)
    sheet = f.content.sheets[i]
    j = sheet.columns.index("Debit")
    row = next(r for r in sheet.rows if isinstance(r[j], Cell) and r[j].value and not r[j].formula)
    row[j] = Cell(value=row[j].value + 100.0, number_format=row[j].number_format)
    kinds = _kinds(_tampered(books, f))
    assert "balance" in kinds and "formula" in kinds  # debits != credits, and the SUM total no longer adds up
    report = check_spec(_tampered(books, f))
    assert any(v.invariant == "balance" for v in report.violations)
    assert "invariant violations" in report.format()


def test_total_that_is_not_the_sum_of_its_parts_is_reported(books: ComputerSpec) -> None:
    f = next(x for x in books.files if x.type == "xlsx" and any(
        isinstance(c, Cell) and c.formula and c.formula.startswith("=SUM(") and "!" not in c.formula
        for s in x.content.sheets for r in s.rows for c in r))
    f = f.model_copy(deep=True)
    for s in f.content.sheets:
        for r in s.rows:
            for j, c in enumerate(r):
                if isinstance(c, Cell) and c.formula and c.formula.startswith("=SUM(") and "!" not in c.formula:
                    r[j] = c.model_copy(update={"value": c.value + 1})
                    assert "formula" in _kinds(_tampered(books, f))
                    return


def test_date_outside_the_sheets_month_is_reported(nurse: ComputerSpec) -> None:
    f = next(x for x in nurse.files if x.type == "xlsx" and any(m in x.content.title for m in (
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December")) and any("Date" in s.columns for s in x.content.sheets))
    f = f.model_copy(deep=True)
    s = next(s for s in f.content.sheets if "Date" in s.columns)
    j = s.columns.index("Date")
    s.rows[0][j] = "1999-01-01"
    assert "period" in _kinds(_tampered(nurse, f))


def test_events_out_of_order_are_reported(books: ComputerSpec) -> None:
    spec = books.model_copy(deep=True)
    f = spec.files[0].model_copy(update={"type": "xlsx", "path": "tampered.xlsx"})
    from worldbuilder.spec import ContentSpec, Sheet

    f.content = ContentSpec(kind="tracker", title="Case tracker", sheets=[Sheet(
        name="Cases", columns=["ID", "Opened", "Due", "Closed"],
        rows=[["C-1", "2024-03-01", "2024-03-10", "2024-03-09"], ["C-2", "2024-03-05", "2024-03-01", None]])])
    spec.files.append(f)
    assert [v.invariant for v in find_violations(spec) if v.file == "tampered.xlsx"] == ["order"]


def test_unknown_person_and_unknown_code_are_reported(nurse: ComputerSpec) -> None:
    f, i = _sheet_file(nurse, "Staff")
    f = f.model_copy(deep=True)
    s = f.content.sheets[i]
    s.rows[0][1] = "EHR"  # a vocabulary word where a shift code belongs
    kinds = _kinds(_tampered(nurse, f))
    assert "codes" in kinds
    f2, k = _sheet_file(nurse, "Owner")
    f2 = f2.model_copy(deep=True)
    col = f2.content.sheets[k].columns.index("Owner")
    f2.content.sheets[k].rows[0][col] = "Formative assessment"
    assert "people" in _kinds(_tampered(nurse, f2))
