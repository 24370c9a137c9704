"""The funder workbook: typed cells, dropdowns, injection-proof text, unicode names,
de-identification, cached Dashboard values from the metrics engine, cancel."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tests.helpers import add_participant
from tracker_desktop.core import workbook
from tracker_desktop.core.metrics import Filters
from tracker_desktop.core.repository import Repository

AS_OF = date(2026, 12, 1)
INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)"]
UNICODE = [("José", "Núñez"), ("芳", "王"), ("محمد", "الهاشمي")]
PHONE = "(555) 013-7788"
EMAIL = "canary.person@example.net"


@pytest.fixture
def small_repo(repo: Repository) -> Repository:
    """Participants whose names are formula injections or in three scripts, with jobs,
    credentials and contact details."""
    for i, text in enumerate(INJECTIONS):
        add_participant(repo, first=text, last=f"Inject{i}", enrolled_on=date(2024, 2, 1 + i))
    pids = []
    for first, last in UNICODE:
        pids.append(
            add_participant(
                repo,
                first=first,
                last=last,
                program="Fellows",
                enrolled_on=date(2025, 3, 4),
                phone=PHONE,
                email=EMAIL,
                date_of_birth=date(1990, 6, 15),
            )
        )
    with repo.transaction() as tx:
        tx.insert(
            "jobs",
            {
                "participant_id": pids[0],
                "employer": "Harbor Kitchen",
                "title": "Line cook",
                "started_on": date(2025, 4, 1),
                "hourly_wage": 17.25,
                "employer_benefits": True,
                "is_entry_job": False,
            },
        )
        tx.insert(
            "credentials",
            {
                "participant_id": pids[0],
                "kind": "certification",
                "name": "ServSafe",
                "earned_on": date(2025, 5, 2),
                "expected": False,
            },
        )
    return repo


def export(repo: Repository, path: Path, deidentified: bool = False, **filters: object) -> Path:
    data = workbook.collect_export_data(
        repo,
        Filters(as_of=AS_OF, **filters),
        deidentified,  # type: ignore[arg-type]
    )
    return workbook.write_workbook(data, path)


def header_map(ws: openpyxl.worksheet.worksheet.Worksheet, row: int = 2) -> dict[str, int]:
    return {c.value: c.column for c in ws[row] if c.value}


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


def test_injection_names_are_stored_as_text(small_repo: Repository, tmp_path: Path) -> None:
    path = export(small_repo, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["Tracker"]
    cols = header_map(ws)
    firsts = [ws.cell(r, cols["First Name"]) for r in range(3, ws.max_row + 1)]
    texts = {c.value for c in firsts}
    for text in INJECTIONS:
        assert text in texts
    for cell in firsts:
        assert cell.data_type == "s", f"{cell.value!r} is not text"
    # No formula anywhere on the data sheets (only the Dashboard has formulas).
    wb = openpyxl.load_workbook(path)
    for name in wb.sheetnames:
        if name == "Dashboard":
            continue
        for row in wb[name].iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{name}!{cell.coordinate} is a formula"


def test_unicode_names_survive(small_repo: Repository, tmp_path: Path) -> None:
    path = export(small_repo, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(path)["Tracker"]
    cols = header_map(ws)
    names = {
        (ws.cell(r, cols["First Name"]).value, ws.cell(r, cols["Last Name"]).value)
        for r in range(3, ws.max_row + 1)
    }
    for pair in UNICODE:
        assert pair in names


def test_tracker_mirrors_the_sample_and_types_cells(small_repo: Repository, tmp_path: Path) -> None:
    path = export(small_repo, tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Tracker"]
    assert wb.sheetnames[:2] == ["Tracker", "Dashboard"]
    for name in ("Jobs", "Credentials", "Measures", "Follow-ups", "Stage history", "Definitions"):
        assert name in wb.sheetnames
    # group header row above the real headers, like the sample tracker
    assert ws["A1"].value == "Basic Information"
    groups = {ws.cell(1, c).value for c in range(1, ws.max_column + 1)}
    assert {"Employment Information", "Certifications and Degrees"} <= groups
    assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
    cols = header_map(ws)
    sample_order = [
        "Last Name",
        "First Name",
        "Date of Enrollment",
        "Programs Enrolled",
        "Program Progress",
        "Employed",
        "Date of Employment",
        "Hourly wage",
        "Enrolled Benefits",
        "Promotions Earned",
        "Date of Promotion",
        "Certifications Earned",
        "Date of Certification",
        "Degrees Completed",
        "Date of Degree",
        "GPA",
        "Legal Barriers Expunged",
    ]
    positions = [cols[h] for h in sample_order]
    assert positions == sorted(positions) and positions[-1] - positions[0] == len(positions) - 1
    for extra in ("Participant Code", "Current Stage", "Status"):
        assert extra in cols
    row = next(
        r for r in range(3, ws.max_row + 1) if ws.cell(r, cols["First Name"]).value == "José"
    )
    enrolled = ws.cell(row, cols["Date of Enrollment"])
    assert isinstance(enrolled.value, datetime) and enrolled.value.date() == date(2025, 3, 4)
    assert enrolled.is_date
    wage = ws.cell(row, cols["Hourly wage"])
    assert wage.value == pytest.approx(17.25) and "$" in wage.number_format
    assert ws.cell(row, cols["Employed"]).value == "Yes"
    assert ws.cell(row, cols["Status"]).value == "Active"
    assert ws.cell(row, cols["Certifications Earned"]).value == "ServSafe"
    # dropdowns like the sample: programs and Yes/No
    sources = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"Pipeline,Fellows"' in sources
    assert '"Yes,No"' in sources


def test_deidentified_file_has_no_names_or_contacts(small_repo: Repository, tmp_path: Path) -> None:
    path = export(small_repo, tmp_path / "deid.xlsx", deidentified=True)
    xml = sheet_xml(path)
    for first, last in UNICODE:
        assert first not in xml and last not in xml
    for secret in (PHONE, EMAIL, "HYPERLINK", "@SUM(A1)", "Inject0", "Inject3"):
        assert secret not in xml
    ws = openpyxl.load_workbook(path)["Tracker"]
    cols = header_map(ws)
    assert "First Name" not in cols and "Phone" not in cols and "Date of Birth" not in cols
    assert "Participant Code" in cols and "Age Range" in cols
    ranges = {ws.cell(r, cols["Age Range"]).value for r in range(3, ws.max_row + 1)}
    assert "35-44" in ranges  # born 15 June 1990, 36 on 1 Dec 2026
    # and the identified export does hold them (so the check above can fail)
    named = sheet_xml(export(small_repo, tmp_path / "named.xlsx"))
    assert EMAIL in named and "Núñez" in named


def test_dashboard_caches_the_engines_numbers(demo_repo: Repository, tmp_path: Path) -> None:
    data = workbook.collect_export_data(demo_repo, Filters(as_of=AS_OF))
    path = workbook.write_workbook(data, tmp_path / "demo.xlsx")
    cached = openpyxl.load_workbook(path, data_only=True)["Dashboard"]
    formulas = openpyxl.load_workbook(path)["Dashboard"]
    labels = {cached.cell(r, 1).value: r for r in range(1, cached.max_row + 1)}
    report = data.report
    assert len(report.metrics) > 20
    for metric in report.metrics.values():
        row = labels[metric.label]
        value = cached.cell(row, 2).value
        if metric.value is None:
            assert value in (None, "")
        else:
            assert value == pytest.approx(metric.value, abs=0.005), metric.key
        if metric.denominator is not None:
            assert cached.cell(row, 4).value == pytest.approx(metric.denominator), metric.key
        formula = formulas.cell(row, 2).value
        text = formula.text if hasattr(formula, "text") else formula
        assert isinstance(text, str) and text.startswith("="), f"{metric.key} is not live"
        assert cached.cell(row, 8).value == metric.statement


def test_deidentified_dashboard_is_identical(demo_repo: Repository, tmp_path: Path) -> None:
    named = export(demo_repo, tmp_path / "a.xlsx")
    deid = export(demo_repo, tmp_path / "b.xlsx", deidentified=True)
    a = openpyxl.load_workbook(named)["Dashboard"]
    b = openpyxl.load_workbook(deid)["Dashboard"]

    def text(value: object) -> str:
        return str(getattr(value, "text", value))

    differing = [
        c.coordinate
        for row in a.iter_rows()
        for c in row
        if c.row > 3 and text(c.value) != text(b[c.coordinate].value)
    ]
    # only the personal-data notice differs
    assert differing == ["A5"]


def test_program_filter_applies(demo_repo: Repository, tmp_path: Path) -> None:
    data = workbook.collect_export_data(demo_repo, Filters(program="Fellows", as_of=AS_OF))
    assert set(data.tracker["program"]) == {"Fellows"}
    assert data.participant_count == data.report.metrics["participants_total"].value
    codes = set(data.tracker["participant_code"])
    for sheet in data.details:
        assert set(sheet.frame["participant_code"]) <= codes, sheet.title


def test_cancel_writes_nothing(small_repo: Repository, tmp_path: Path) -> None:
    data = workbook.collect_export_data(small_repo, Filters(as_of=AS_OF))
    target = tmp_path / "cancelled.xlsx"
    calls: list[str] = []

    def progress(done: int, total: int, label: str) -> bool:
        calls.append(label)
        return len(calls) < 3

    with pytest.raises(workbook.ExportCancelledError):
        workbook.write_workbook(data, target, progress)
    assert not target.exists()
    assert list(tmp_path.glob("*.partial")) == []


def test_names_in_formulas_are_escaped() -> None:
    assert workbook.xl_text('Pipe"line') == '"Pipe""line"'
    assert workbook.xl_text('")&HYPERLINK("x') == '""")&HYPERLINK(""x"'
