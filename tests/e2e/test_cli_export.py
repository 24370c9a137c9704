"""``tracker-desktop export``: xlsx, csv and pdf from the command line, filters, exit codes;
the PDF report renders (pdftoppm) with the right title on A4 and Letter."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.cli import run_cli
from tracker_desktop.core import workbook
from tracker_desktop.core.metrics import Filters
from tracker_desktop.core.repository import Repository


def test_export_xlsx_csv_pdf(demo_file: Path, tmp_path: Path) -> None:
    xlsx = tmp_path / "book.xlsx"
    done = run_cli("export", str(xlsx), "--vault", str(demo_file), "--program", "Fellows")
    assert done.returncode == 0, done.stderr
    assert "Exported" in done.stdout and "plain text" in done.stdout
    wb = openpyxl.load_workbook(xlsx)
    assert {"Tracker", "Dashboard", "Definitions"} <= set(wb.sheetnames)
    ws = wb["Tracker"]
    cols = {c.value: c.column for c in ws[2] if c.value}
    assert {ws.cell(r, cols["Programs Enrolled"]).value for r in range(3, ws.max_row + 1)} == {
        "Fellows"
    }

    out = tmp_path / "tracker.csv"
    done = run_cli(
        "export", str(out), "--vault", str(demo_file), "--deidentified", "--from", "2025-01-01"
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows and all(r["Date of Enrollment"] >= "2025-01-01" for r in rows)
    assert "First Name" not in rows[0] and "Email" not in rows[0]

    pdf = tmp_path / "report.pdf"
    done = run_cli("export", str(pdf), "--vault", str(demo_file))
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_export_errors(demo_file: Path, tmp_path: Path) -> None:
    bad = run_cli("export", str(tmp_path / "x.docx"), "--vault", str(demo_file))
    assert bad.returncode == 1 and ".xlsx, .csv or .pdf" in bad.stderr
    unknown = run_cli(
        "export", str(tmp_path / "x.xlsx"), "--vault", str(demo_file), "--program", "Nope"
    )
    assert unknown.returncode == 1 and "No program called 'Nope'" in unknown.stderr
    wrong = run_cli("export", str(tmp_path / "x.xlsx"), "--vault", str(demo_file), password="nope")
    assert wrong.returncode == 2
    backwards = run_cli(
        "export",
        str(tmp_path / "x.csv"),
        "--vault",
        str(demo_file),
        "--from",
        "2025-02-01",
        "--to",
        "2025-01-01",
    )
    assert backwards.returncode == 1
    assert not list(tmp_path.glob("x.*"))


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
@pytest.mark.parametrize(("size", "points"), [("A4", "595 x 842"), ("Letter", "612 x 792")])
def test_pdf_renders_with_title(
    qapp: object, demo_repo: Repository, tmp_path: Path, size: str, points: str
) -> None:
    from tracker_desktop.ui.pdf_report import write_pdf_report

    with demo_repo.transaction() as tx:
        tx.set_setting("organisation_name", "Harbor Kitchen Works")
    data = workbook.collect_export_data(demo_repo, Filters(program="Pipeline"))
    pdf = write_pdf_report(data, tmp_path / f"report-{size}.pdf", page_size=size)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "Title:           Harbor Kitchen Works - participant outcomes report" in info.stdout
    assert points in info.stdout
    text = subprocess.run(
        ["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Harbor Kitchen Works" in text and "Participant outcomes report" in text
    assert data.report.metrics["employment_rate"].statement.split(" (")[0] in " ".join(text.split())
    subprocess.run(
        ["pdftoppm", "-r", "30", "-f", "1", "-l", "2", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 2000 for p in pages)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_of_a_new_tracker_says_no_data_once(
    qapp: object, repo: Repository, tmp_path: Path
) -> None:
    from tests.helpers import add_participant
    from tracker_desktop.ui.pdf_report import write_pdf_report

    add_participant(repo, first="Ana", last="Reyes")
    data = workbook.collect_export_data(repo, Filters())
    pdf = write_pdf_report(data, tmp_path / "new.pdf")
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "n/a -- no data" not in text
    assert text.count("No data to count yet:") == 1
    assert "Retention at 90 days" in text.split("No data to count yet:")[1]
