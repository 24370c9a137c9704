"""The Export screen: formats, filters, the plaintext notice, de-identified export."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.export_page import ALL_PROGRAMS, ExportPage
from tracker_desktop.ui.navigation import SCREENS
from tracker_desktop.ui.session import Session


def click(qtbot: QtBot, widget: QWidget) -> None:
    """Click a radio button or check box on its indicator (left edge)."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, widget.height() // 2))


def make_page(qtbot: QtBot, repo: Repository) -> ExportPage:
    session = Session()
    session.open(repo.vault, repo.staff or "Test Staff")
    page = ExportPage(session)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    return page


def test_registered_in_navigation() -> None:
    screen = next(s for s in SCREENS if s.key == "export")
    assert screen.page == "tracker_desktop.ui.export_page:ExportPage"


def test_notice_says_plaintext_and_changes_when_deidentified(
    qtbot: QtBot, repo: Repository
) -> None:
    page = make_page(qtbot, repo)
    assert page.notice.isVisible()
    assert "plain text" in page.notice.text()
    click(qtbot, page.deidentified)
    assert page.deidentified.isChecked()
    assert "no names" in page.notice.text()
    assert "deidentified" in page.suggested_name()


def test_export_xlsx_with_program_filter(
    qtbot: QtBot, demo_repo: Repository, tmp_path: Path, synchronous_tasks: None
) -> None:
    page = make_page(qtbot, demo_repo)
    assert [page.program.itemText(i) for i in range(page.program.count())] == [
        ALL_PROGRAMS,
        "Pipeline",
        "Fellows",
    ]
    page.program.setFocus()
    qtbot.keyClicks(page.program, "Fellows")
    assert page.program.currentText() == "Fellows"
    target = tmp_path / "funders.xlsx"
    page.export_to(target)
    assert page.error.text() == ""
    assert page.status.text().startswith("Saved ") and "funders.xlsx" in page.status.text()
    ws = openpyxl.load_workbook(target)["Tracker"]
    cols = {c.value: c.column for c in ws[2] if c.value}
    programs = {ws.cell(r, cols["Programs Enrolled"]).value for r in range(3, ws.max_row + 1)}
    assert programs == {"Fellows"}
    assert page.export_button.isEnabled()


def test_deidentified_csv_from_the_screen(
    qtbot: QtBot, repo: Repository, tmp_path: Path, synchronous_tasks: None
) -> None:
    add_participant(repo, first="Zanzibarina", last="Qwertyson", email="zq@example.org")
    page = make_page(qtbot, repo)
    click(qtbot, page.format_buttons["csv"])
    assert page.selected_format() == "csv"
    assert "One row per participant" in page.format_hint.text()
    click(qtbot, page.deidentified)
    target = tmp_path / "tracker"  # no suffix: the screen adds .csv
    page.export_to(target)
    written = tmp_path / "tracker.csv"
    assert page.status.text() == f"Saved 1 participant to {written}"
    text = written.read_text(encoding="utf-8-sig")
    assert "Zanzibarina" not in text and "zq@example.org" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[0]["Participant Code"] == "P-00001"


def test_pdf_from_the_screen_renders(
    qtbot: QtBot, demo_repo: Repository, tmp_path: Path, synchronous_tasks: None
) -> None:
    page = make_page(qtbot, demo_repo)
    assert not page.paper.isVisible()
    click(qtbot, page.format_buttons["pdf"])
    assert page.paper.isVisible()
    page.paper.setFocus()
    qtbot.keyClicks(page.paper, "Letter")
    target = tmp_path / "report.pdf"
    page.export_to(target)
    assert page.error.text() == ""
    assert target.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True)
    assert "participant outcomes report" in info.stdout
    assert "612 x 792" in info.stdout  # US Letter


def test_bad_input_gets_a_clear_message(
    qtbot: QtBot, repo: Repository, tmp_path: Path, synchronous_tasks: None
) -> None:
    page = make_page(qtbot, repo)
    page.use_from.setChecked(True)
    page.use_to.setChecked(True)
    page.date_to.setDate(page.date_from.date().addDays(-1))
    page.export_to(tmp_path / "x.xlsx")
    assert "later than" in page.error.text()
    assert not (tmp_path / "x.xlsx").exists()
    page.use_from.setChecked(False)
    page.export_to(tmp_path / "missing-folder" / "x.xlsx")
    assert "does not exist" in page.error.text()


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_every_format_button_exists(qtbot: QtBot, repo: Repository, fmt: str) -> None:
    page = make_page(qtbot, repo)
    assert page.format_buttons[fmt].isVisible()


def test_cancel_leaves_no_file(repo: Repository, tmp_path: Path) -> None:
    from tracker_desktop.ui.export_page import export_to_path
    from tracker_desktop.ui.tasks import CancelledError, Progress

    add_participant(repo)
    progress = Progress()
    progress.cancelled = True
    out = tmp_path / "exports"
    out.mkdir()
    for fmt in ("xlsx", "csv"):
        with pytest.raises(CancelledError):
            export_to_path(repo, out / f"out.{fmt}", fmt, None, False, progress)
    assert list(out.iterdir()) == []


def test_background_export_with_progress_dialog(
    qtbot: QtBot, demo_repo: Repository, tmp_path: Path
) -> None:
    from tracker_desktop.ui.tasks import TaskRunner

    page = make_page(qtbot, demo_repo)
    target = tmp_path / "background.xlsx"
    page.export_to(target)
    assert not page.export_button.isEnabled()  # busy while the worker runs
    qtbot.waitUntil(lambda: page.status.text().startswith("Saved"), timeout=60000)
    assert TaskRunner.wait_for_all()
    assert page.export_button.isEnabled()
    assert openpyxl.load_workbook(target, read_only=True).sheetnames[0] == "Tracker"
