"""The Import wizard, driven like a user: type the path, check the matching, fix choices,
import, undo."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from tests.conftest import SAMPLE_TRACKER
from tests.helpers import add_participant
from tests.ui.journey_helpers import open_session
from tracker_desktop.core import importer
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.import_page import ImportPage
from tracker_desktop.ui.navigation import SCREENS
from tracker_desktop.ui.resources import resource_path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _page(qtbot: QtBot, repo: Repository) -> ImportPage:
    page = ImportPage(open_session(repo))
    if os.environ.get("TRACKER_SCREENSHOTS"):  # look like the app
        qss = resource_path("style.qss").read_text(encoding="utf-8")
        page.setStyleSheet(qss + page.styleSheet())
    qtbot.addWidget(page)
    page.resize(1180, 760)
    page.show()
    page.refresh()
    return page


def _open(qtbot: QtBot, page: ImportPage, path: Path) -> None:
    qtbot.keyClicks(page.path_edit, str(path))
    qtbot.keyClick(page.path_edit, Qt.Key.Key_Return)


def _snap(page: ImportPage, name: str) -> None:
    """Screenshots for the README, with the app's style sheet (TRACKER_SCREENSHOTS=1)."""
    if os.environ.get("TRACKER_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.grab().save(str(SCREENSHOTS / name))


def _cells(table: object, column: int) -> list[str]:
    return [
        table.item(r, column).text()  # type: ignore[attr-defined]
        for r in range(table.rowCount())  # type: ignore[attr-defined]
    ]


def test_import_screen_is_registered() -> None:
    screen = next(s for s in SCREENS if s.key == "import")
    assert screen.page == "tracker_desktop.ui.import_page:ImportPage"


def test_sample_tracker_through_the_wizard_then_undo(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None, tmp_path: Path
) -> None:
    page = _page(qtbot, repo)
    assert page.batches_empty.isVisibleTo(page)
    _open(qtbot, page, SAMPLE_TRACKER)
    assert page.sheet_combo.currentText() == "Tracker"
    assert [page.sheet_combo.itemText(i) for i in range(page.sheet_combo.count())] == [
        "Tracker",
        "Dashboard",
    ]
    assert page.header_spin.value() == 2
    assert "Row 2 holds the column names" in page.file_info.text()
    _snap(page, "import-1-file.png")

    qtbot.mouseClick(page.to_mapping_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentIndex() == 1
    shown = {
        page.mapping_table.item(r, 0).text(): page.mapping_table.cellWidget(r, 3).currentText()  # type: ignore[union-attr]
        for r in range(page.mapping_table.rowCount())
    }
    assert shown["H"] == "Employment: Hourly wage"
    assert shown["E"] == "Enrollment: Program progress %"
    assert shown["K"] == "Skip this column"
    assert shown["Q"] == "Custom field: Legal Barriers Expunged"
    profile_path = tmp_path / "monthly.json"
    page.save_profile(profile_path)
    assert importer.ImportProfile.load(profile_path).header_row == 2
    _snap(page, "import-2-columns.png")

    qtbot.mouseClick(page.to_preview_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentIndex() == 2
    summary = page.preview_summary.text()
    assert "<b>4</b> new participants" in summary and "<b>1</b> row skipped" in summary
    messages = _cells(page.problems_table, 3)
    assert any("placeholder" in m for m in messages)
    assert any("K1 = 20" in m for m in messages)
    assert not page.duplicates_box.isVisibleTo(page)
    assert page.import_button.isEnabled() and page.import_button.text() == "Import 4 rows"
    _snap(page, "import-3-check.png")

    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentIndex() == 3
    assert "4 participants created" in page.report_label.text()
    assert page.undo_last_button.text() == "Undo import of sample_tracker.xlsx, 4 participants"
    assert repo.count("participants") == 4
    assert _cells(page.batches_table, 1) == ["sample_tracker.xlsx (Tracker)"]

    qtbot.mouseClick(page.undo_last_button, Qt.MouseButton.LeftButton)
    assert page.confirm_bar.isVisibleTo(page)
    assert "participants it created are deleted" in page.confirm_label.text()
    assert repo.count("participants") == 4  # nothing happens before confirming
    qtbot.mouseClick(page.confirm_undo_button, Qt.MouseButton.LeftButton)
    assert repo.count("participants") == 0
    assert not page.undo_last_button.isEnabled()
    assert _cells(page.batches_table, 5) == ["Undone"]
    report = page.report_label.text()
    assert "undone" in report and "can be undone" not in report  # the old report is gone


def test_duplicates_choices_and_problem_rows(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None, tmp_path: Path
) -> None:
    add_participant(repo, "Ana", "Reyes", enrolled_on=date(2024, 1, 3))
    path = tmp_path / "monthly.csv"
    path.write_text(
        "First name,Last name,Program,Date of enrollment,GPA,Degree\n"
        "Ana,Reyes,Pipeline,2024-01-03,3.0,GED\n"
        "Ben,Ode,Fellows,2024-02-01,7,GED\n"
        "Cy,Po,Fellows,2024-02-02,,\n",
        encoding="utf-8",
    )
    page = _page(qtbot, repo)
    _open(qtbot, page, path)
    qtbot.mouseClick(page.to_mapping_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.to_preview_button, Qt.MouseButton.LeftButton)
    assert page.duplicates_box.isVisibleTo(page)
    assert "enrollment date 2024-01-03" in page.duplicates_table.item(0, 2).text()
    assert "GPA must be between 0 and 4 (got 7)" in _cells(page.problems_table, 3)
    assert "3" in _cells(page.problems_table, 0)
    assert not page.import_button.isEnabled()  # a row must be fixed first
    assert "must be fixed" in page.preview_summary.text()

    page.skip_invalid_check.setChecked(True)
    combo = page.duplicates_table.cellWidget(0, 3)
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData("skip"))
    assert page.import_button.isEnabled() and page.import_button.text() == "Import 1 row"
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    names = sorted(p["first_name"] for p in repo.rows("participants"))
    assert names == ["Ana", "Cy"]


def test_changing_a_column_target_and_bad_input(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None, tmp_path: Path
) -> None:
    page = _page(qtbot, repo)
    _open(qtbot, page, tmp_path / "nowhere.xlsx")
    assert page.message.isVisible()
    assert "does not exist" in page.message.text()
    assert not page.to_mapping_button.isEnabled()
    bad = tmp_path / "profile.json"
    bad.write_text("[1, 2]")
    assert not page.load_profile(bad)
    assert "cannot be used" in page.message.text()

    path = tmp_path / "odd.csv"
    path.write_text("Who,Cohort,Started\nAna Reyes,Fellows,1/3/24\n", encoding="utf-8")
    page.path_edit.clear()
    _open(qtbot, page, path)
    qtbot.mouseClick(page.to_mapping_button, Qt.MouseButton.LeftButton)
    page.set_target("A", "full_name")
    page.set_target("B", "program")
    page.set_target("C", "enrolled_on")
    qtbot.mouseClick(page.to_preview_button, Qt.MouseButton.LeftButton)
    assert not page.import_button.isEnabled()  # 1/3/24: day or month first?
    assert any("choose the date order" in m for m in _cells(page.problems_table, 3))
    qtbot.mouseClick(page.preview_back, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.mapping_back, Qt.MouseButton.LeftButton)
    page.date_order_combo.setCurrentIndex(page.date_order_combo.findData("DMY"))
    qtbot.mouseClick(page.to_mapping_button, Qt.MouseButton.LeftButton)
    page.set_target("A", "full_name")
    page.set_target("B", "program")
    page.set_target("C", "enrolled_on")
    qtbot.mouseClick(page.to_preview_button, Qt.MouseButton.LeftButton)
    assert page.import_button.isEnabled()
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    [enrollment] = repo.rows("enrollments")
    assert enrollment["enrolled_on"] == date(2024, 3, 1)


@pytest.mark.parametrize("undo_from_history", [True])
def test_undo_from_past_imports(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None, undo_from_history: bool
) -> None:
    result = importer.run_import(repo, importer.prepare(SAMPLE_TRACKER, repo))
    page = _page(qtbot, repo)
    assert page.batches_table.rowCount() == 1
    assert not page.undo_batch_button.isEnabled()
    page.batches_table.selectRow(0)
    assert page.undo_batch_button.text() == ("Undo import of sample_tracker.xlsx, 4 participants…")
    qtbot.mouseClick(page.undo_batch_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.cancel_undo_button, Qt.MouseButton.LeftButton)
    assert repo.count("participants") == 4
    qtbot.mouseClick(page.undo_batch_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.confirm_undo_button, Qt.MouseButton.LeftButton)
    assert repo.count("participants") == 0
    assert importer.get_batch(repo, result.batch_id).status == "undone"
    assert "was taken back out" in page.message.text()


def test_a_lock_keeps_the_wizard_where_it_was(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None, tmp_path: Path
) -> None:
    add_participant(repo, "Ana", "Reyes", enrolled_on=date(2024, 1, 3))
    path = tmp_path / "monthly.csv"
    path.write_text(
        "Who,Last name,Cohort,Date of enrollment\nAna,Reyes,Pipeline,2024-01-03\n"
        "Ben,Ode,Fellows,2024-02-01\n",
        encoding="utf-8",
    )
    page = _page(qtbot, repo)
    _open(qtbot, page, path)
    qtbot.mouseClick(page.to_mapping_button, Qt.MouseButton.LeftButton)
    page.set_target("A", "first_name")
    page.set_target("C", "program")
    qtbot.mouseClick(page.to_preview_button, Qt.MouseButton.LeftButton)
    page.choose_duplicate(2, "create")
    state = page.draft_state()
    page.clear()  # the tracker locks
    assert page.stack.currentIndex() == 0 and page.data is None

    again = _page(qtbot, repo)
    again.restore_draft(state)
    assert again.stack.currentIndex() == 2
    assert again.preview is not None
    assert again.preview.rows[0].choice == "create"
    assert again.preview.counts == {"create": 2, "update": 0, "skip": 0, "reject": 0}
    qtbot.mouseClick(again.preview_back, Qt.MouseButton.LeftButton)
    combo = again.mapping_table.cellWidget(2, 3)
    assert isinstance(combo, QComboBox) and combo.currentData() == "program"


def test_sheet_choice_header_row_and_a_saved_profile(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None, tmp_path: Path
) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "Notes"
    notes.append(["Read me first"])
    people = workbook.create_sheet("People")
    people.append(["Exported from the old system"])
    people.append([])
    people.append(["Who", "Surname", "Cohort", "Joined"])
    people.append(["Ana", "Reyes", "Fellows", "2024-01-03"])
    path = tmp_path / "two-sheets.xlsx"
    workbook.save(path)

    page = _page(qtbot, repo)
    _open(qtbot, page, path)
    # The first sheet holds no table: the wizard opens the first one that does.
    assert page.sheet_combo.currentText() == "People"
    assert page.data is not None and page.data.sheet == "People"
    page.sheet_combo.setCurrentIndex(1)
    page.sheet_combo.activated.emit(1)  # as picking it in the list does
    assert page.data is not None and page.data.sheet == "People"
    assert page.header_spin.value() == 3
    qtbot.mouseClick(page.to_mapping_button, Qt.MouseButton.LeftButton)
    page.set_target("A", "first_name")
    page.set_target("C", "program")
    page.set_target("D", "enrolled_on")
    profile = tmp_path / "people.json"
    page.save_profile(profile)

    later = _page(qtbot, repo)
    assert later.load_profile(profile)
    _open(qtbot, later, path)
    assert later.data is not None and later.data.sheet == "People"  # the profile's sheet
    qtbot.mouseClick(later.to_mapping_button, Qt.MouseButton.LeftButton)
    chosen = [
        later.mapping_table.cellWidget(r, 3).currentData()  # type: ignore[union-attr]
        for r in range(later.mapping_table.rowCount())
    ]
    assert chosen == ["first_name", "last_name", "program", "enrolled_on"]
    qtbot.mouseClick(later.to_preview_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(later.import_button, Qt.MouseButton.LeftButton)
    [person] = repo.rows("participants")
    assert (person["first_name"], person["last_name"]) == ("Ana", "Reyes")


def test_a_sheet_of_column_names_only_says_there_is_nothing_to_import(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None, tmp_path: Path
) -> None:
    path = tmp_path / "headers.csv"
    path.write_text("First name,Last name,Program\n", encoding="utf-8")
    page = _page(qtbot, repo)
    _open(qtbot, page, path)
    qtbot.mouseClick(page.to_mapping_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.to_preview_button, Qt.MouseButton.LeftButton)
    assert "nothing to import</b> (no rows under the column names)" in page.preview_summary.text()
    assert page.found_label.text() == "<b>Nothing to report</b>."
    assert not page.import_button.isEnabled()
    assert repo.count("import_batches") == 0
