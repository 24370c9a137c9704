"""The Dashboard's formulas give the metrics engine's numbers: recalculated by headless
LibreOffice (with a profile that always recalculates on load), every value must equal
metrics.py to the cent.  Also proves the recalculation really happens, and that editing a
wage on the Tracker sheet changes the Dashboard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.libreoffice import convert, soffice
from tracker_desktop.core import workbook
from tracker_desktop.core.metrics import Filters
from tracker_desktop.core.repository import Repository

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed"),
]
AS_OF = date(2026, 12, 1)


def recalc(path: Path, tmp_path: Path) -> openpyxl.Workbook:
    out = convert(path, "xlsx", tmp_path / "recalculated", tmp_path)
    return openpyxl.load_workbook(out, data_only=True)


def dashboard_rows(ws: object) -> dict[str, int]:
    return {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}  # type: ignore[attr-defined]


def assert_matches_engine(ws: object, data: workbook.ExportData) -> int:
    """Every metric's value, numerator, denominator and unknown, and every chart table
    cell, equals the engine's; returns how many numbers were compared."""
    rows = dashboard_rows(ws)
    checked = 0
    for metric in data.report.metrics.values():
        row = rows[metric.label]
        for col, expected in (
            (2, metric.value),
            (3, metric.numerator),
            (4, metric.denominator),
            (5, metric.unknown),
        ):
            got = ws.cell(row, col).value  # type: ignore[attr-defined]
            if expected is None:
                assert got in (None, ""), (metric.key, col, got)
                continue
            if col == 5 and got is None and not expected:
                continue  # metrics without an 'unknown' formula and nothing unknown
            assert isinstance(got, int | float), (metric.key, col, got)
            assert got == pytest.approx(float(expected), abs=0.005), (metric.key, col)
            checked += 1
    for block in data.blocks:
        first = (
            next(
                r
                for r in range(1, ws.max_row + 1)  # type: ignore[attr-defined]
                if ws.cell(r, workbook.BLOCK_COL + 1).value == block.title  # type: ignore[attr-defined]
            )
            + 2
        )
        for offset, cells in enumerate(block.rows):
            for c, (_formula, expected) in enumerate(cells[1:], 1):
                got = ws.cell(first + offset, workbook.BLOCK_COL + 1 + c).value  # type: ignore[attr-defined]
                if expected is None:
                    assert got in (None, ""), (block.key, offset, c, got)
                    continue
                assert got == pytest.approx(float(expected), abs=0.005), (block.key, offset, c)
                checked += 1
    return checked


def test_every_dashboard_value_equals_metrics(demo_repo: Repository, tmp_path: Path) -> None:
    data = workbook.collect_export_data(demo_repo, Filters(as_of=AS_OF))
    # A deliberately wrong cached value: only a real recalculation can correct it.
    total = next(r for r in data.dashboard if r.key == "participants_total")
    right = total.value
    total.value = 99999.0
    path = workbook.write_workbook(data, tmp_path / "demo.xlsx")
    cached = openpyxl.load_workbook(path, data_only=True)["Dashboard"]
    assert cached.cell(dashboard_rows(cached)["Participants"], 2).value == 99999
    total.value = right

    ws = recalc(path, tmp_path)["Dashboard"]
    assert ws.cell(dashboard_rows(ws)["Participants"], 2).value == right == 200
    assert assert_matches_engine(ws, data) > 100


def test_filtered_and_deidentified_exports_recalculate_to_the_engine(
    demo_repo: Repository, tmp_path: Path
) -> None:
    filters = Filters(program="Fellows", date_from=date(2024, 1, 1), as_of=AS_OF)
    data = workbook.collect_export_data(demo_repo, filters, deidentified=True)
    assert 0 < data.participant_count < 200
    path = workbook.write_workbook(data, tmp_path / "fellows.xlsx")
    assert assert_matches_engine(recalc(path, tmp_path)["Dashboard"], data) > 50


def test_editing_a_wage_on_the_tracker_changes_the_dashboard(
    demo_repo: Repository, tmp_path: Path
) -> None:
    data = workbook.collect_export_data(demo_repo, Filters(as_of=AS_OF))
    path = workbook.write_workbook(data, tmp_path / "demo.xlsx")
    mean = data.report.metrics["wage_mean"]
    book = openpyxl.load_workbook(path)
    tracker = book["Tracker"]
    cols = {c.value: c.column for c in tracker[2] if c.value}
    row = next(
        r
        for r in range(3, tracker.max_row + 1)
        if tracker.cell(r, cols["Employed"]).value == "Yes"
        and isinstance(tracker.cell(r, cols["Hourly wage"]).value, float)
    )
    tracker.cell(row, cols["Hourly wage"]).value += 100.0
    edited = tmp_path / "edited.xlsx"
    book.save(edited)

    ws = recalc(edited, tmp_path)["Dashboard"]
    line = dashboard_rows(ws)[mean.label]
    expected = (float(mean.numerator) + 100.0) / float(mean.denominator)
    assert ws.cell(line, 2).value == pytest.approx(expected, abs=0.005)
    assert ws.cell(line, 2).value != pytest.approx(mean.value, abs=0.005)
    assert ws.cell(line, 3).value == pytest.approx(float(mean.numerator) + 100.0, abs=0.005)


def test_quotes_and_commas_in_option_names(repo: Repository, tmp_path: Path) -> None:
    from tests.helpers import add_participant
    from tracker_desktop.core import options

    odd = 'Re"entry, Adults =1'
    options.add_option(repo, "programs", odd)
    add_participant(repo, first="=A1", program=odd, enrolled_on=date(2025, 1, 2))
    add_participant(repo, first="+B2", program="Pipeline", enrolled_on=date(2025, 2, 3))
    data = workbook.collect_export_data(repo, Filters(as_of=AS_OF))
    path = workbook.write_workbook(data, tmp_path / "odd.xlsx")
    book = recalc(path, tmp_path)
    assert assert_matches_engine(book["Dashboard"], data) > 5
    programs = next(b for b in data.blocks if b.key == "by_program")
    assert [cells[0][1] for cells in programs.rows] == ["Pipeline", odd]
