"""The Participants screen driven through its real widgets, on real encrypted trackers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tracker_desktop.core import options
from tracker_desktop.core import participants as P
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.participant_record import Field
from tracker_desktop.ui.participants_page import SORT_ROLE, ParticipantsPage, TrackerTableModel
from tracker_desktop.ui.session import Session

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def make_page(qtbot: QtBot) -> Iterator[Callable[[Repository], ParticipantsPage]]:
    sessions: list[Session] = []

    def build(repo: Repository) -> ParticipantsPage:
        session = Session()
        session.open(repo.vault, "Case Worker")
        sessions.append(session)
        page = ParticipantsPage(session)
        qtbot.addWidget(page)
        page.resize(2600, 800)
        page.show()
        qtbot.waitExposed(page)
        page.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=2000)
        page.refresh()
        return page

    yield build


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
        qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    qtbot.keyClicks(widget, text)


def field(page: ParticipantsPage, key: str) -> QWidget:
    return page.record.fields[key].input


def choose(qtbot: QtBot, combo: QWidget, text: str) -> None:
    assert isinstance(combo, QComboBox)
    combo.setFocus()
    qtbot.keyClicks(combo, text)
    if combo.currentText() != text:  # keyboard search needs the popup on some styles
        combo.setCurrentIndex(combo.findText(text))
    assert combo.currentText() == text


def show_tab(page: ParticipantsPage, name: str) -> None:
    tabs = page.record.tabs
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i) == name))


def answer_next_box(button: str, seen: list[str]) -> None:
    """Click ``button`` (text) in the next modal message box; record its text."""

    def attempt(tries: int = 0) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            if tries < 300:
                QTimer.singleShot(10, lambda: attempt(tries + 1))
            return
        seen.append(box.text() + "\n" + box.informativeText())
        for candidate in box.buttons():
            if candidate.text().replace("&", "") == button:
                candidate.click()
                return
        box.reject()

    QTimer.singleShot(0, attempt)


def column(page: ParticipantsPage, col: int, role: int = Qt.ItemDataRole.DisplayRole) -> list:
    proxy = page.proxy
    return [proxy.data(proxy.index(r, col), role) for r in range(proxy.rowCount())]


def click_header(qtbot: QtBot, page: ParticipantsPage, col: int) -> None:
    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


# --- tests ----------------------------------------------------------------------------------
def test_new_tracker_teaches_what_to_do(make_page: Callable, repo: Repository) -> None:
    page = make_page(repo)
    assert page.body.currentWidget() is page.empty
    assert "New participant" in page.empty.body.text()
    assert "Import a spreadsheet" in page.empty.body.text()
    assert page.count_label.text() == "0 participants"


def test_create_participant_by_typing_then_see_and_edit_it(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    page = make_page(repo)
    page.search.setFocus()
    qtbot.keyClick(page.search, Qt.Key.Key_N, CTRL)
    assert page.stack.currentWidget() is page.record
    assert QApplication.focusWidget() is field(page, "first_name")
    qtbot.keyClicks(field(page, "first_name"), "Ana")
    type_into(qtbot, field(page, "last_name"), "Rivera")
    type_into(qtbot, field(page, "date_of_birth"), "05/04/1990")
    show_tab(page, "Enrollment")
    choose(qtbot, field(page, "program"), "Fellows")
    type_into(qtbot, field(page, "enrolled_on"), "2024-01-03")
    type_into(qtbot, field(page, "progress_pct"), "50")
    show_tab(page, "Employment")
    qtbot.mouseClick(page.record.jobs.add_button, Qt.MouseButton.LeftButton)
    job = page.record.jobs.fields
    type_into(qtbot, job["employer"].input, "Green Table Cafe")
    type_into(qtbot, job["started_on"].input, "2024-02-01")
    type_into(qtbot, job["hourly_wage"].input, "14.50")
    assert page.record.has_unsaved_changes()
    qtbot.keyClick(job["hourly_wage"].input, Qt.Key.Key_S, CTRL)
    assert "Saved new participant P-00001" in page.record.message.text()
    assert page.record.tabs.tabText(page.record.tabs.currentIndex()) == "Employment"
    assert not page.record.has_unsaved_changes()
    qtbot.keyClick(page.record.tabs, Qt.Key.Key_Escape)
    assert page.stack.currentWidget() is page.list_page

    assert page.count_label.text() == "1 participant"
    row = {
        name: page.proxy.data(page.proxy.index(0, col))
        for name, col in (
            ("last", TrackerTableModel.COL_LAST_NAME),
            ("first", TrackerTableModel.COL_FIRST_NAME),
            ("program", TrackerTableModel.COL_PROGRAM),
            ("enrolled", TrackerTableModel.COL_ENROLLED_ON),
            ("wage", TrackerTableModel.COL_WAGE),
            ("progress", TrackerTableModel.COL_PROGRESS),
            ("status", TrackerTableModel.COL_STATUS),
        )
    }
    assert row == {
        "last": "Rivera",
        "first": "Ana",
        "program": "Fellows",
        "enrolled": "Jan 3, 2024",
        "wage": "$14.50",
        "progress": "50%",
        "status": "Active",
    }

    # edit: open with Enter, change the wage, save
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.stack.currentWidget() is page.record
    assert page.record.title.text() == "Ana Rivera"
    show_tab(page, "Employment")
    type_into(qtbot, page.record.jobs.fields["hourly_wage"].input, "16.25")
    qtbot.mouseClick(page.record.save_button, Qt.MouseButton.LeftButton)
    assert P.load_participant(repo, page.record.participant_id).jobs[0]["hourly_wage"] == 16.25
    history = page.record.history.table
    cells = [
        [history.item(r, c).text() for c in range(history.columnCount())]
        for r in range(history.rowCount())
    ]
    assert ["Case Worker", "Job: Hourly wage", "14.5", "16.25"] in [c[1:] for c in cells]
    qtbot.mouseClick(page.record.cancel_button, Qt.MouseButton.LeftButton)
    assert column(page, TrackerTableModel.COL_WAGE) == ["$16.25"]


def test_validation_messages_inline_and_nothing_lost(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    page = make_page(repo)
    page.new_participant()
    record = page.record
    type_into(qtbot, field(page, "date_of_birth"), "2000-02-30")
    show_tab(page, "Enrollment")
    type_into(qtbot, field(page, "enrolled_on"), "2024-01-03")
    type_into(qtbot, field(page, "exited_on"), "2023-12-01")
    type_into(qtbot, field(page, "progress_pct"), "120")
    show_tab(page, "Employment")
    qtbot.mouseClick(record.jobs.add_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, record.jobs.fields["employer"].input, "Cafe")
    type_into(qtbot, record.jobs.fields["hourly_wage"].input, "-3")
    show_tab(page, "Credentials")
    qtbot.mouseClick(record.credentials.add_button, Qt.MouseButton.LeftButton)
    choose(qtbot, record.credentials.fields["kind"].input, "degree")
    type_into(qtbot, record.credentials.fields["name"].input, "AA")
    type_into(qtbot, record.credentials.fields["earned_on"].input, "2099-06-01")
    type_into(qtbot, record.credentials.fields["gpa"].input, "7")
    # a live message appears as soon as the field is typed in
    assert record.credentials.fields["gpa"].message.text() == "GPA must be between 0 and 4 (got 7)"

    qtbot.keyClick(record.credentials.fields["gpa"].input, Qt.Key.Key_S, CTRL)
    assert record.message.text().startswith("Not saved:")
    assert repo.count("participants") == 0

    def message(f: Field) -> str:
        assert f.message.isVisible() or f.message.text()
        return f.message.text()

    assert message(record.fields["first_name"]) == "First name is required"
    assert message(record.fields["last_name"]) == "Last name is required"
    assert message(record.fields["program"]) == "Program is required"
    assert message(record.fields["date_of_birth"]).startswith(
        "Date of birth is not a real date (got 2000-02-30)"
    )
    assert message(record.fields["exited_on"]) == (
        "Exit date (2023-12-01) is before the date of enrollment (2024-01-03)"
    )
    assert message(record.fields["progress_pct"]) == (
        "Program progress must be between 0 and 100% (got 120)"
    )
    assert record.fields["first_name"].input.property("invalid") is True
    assert "is in the future" in message(record.credentials.fields["earned_on"])
    assert message(record.credentials.fields["gpa"]) == "GPA must be between 0 and 4 (got 7)"
    record.jobs.select(0)
    assert message(record.jobs.fields["hourly_wage"]) == "Hourly wage cannot be negative (got -3)"
    # everything typed is still there
    assert record.jobs.fields["employer"].value() == "Cafe"

    # fix them one by one; a wage above the ceiling only warns
    type_into(qtbot, field(page, "first_name"), "Ana")
    type_into(qtbot, field(page, "last_name"), "Rivera")
    type_into(qtbot, field(page, "date_of_birth"), "2000-02-03")
    choose(qtbot, field(page, "program"), "Pipeline")
    type_into(qtbot, field(page, "exited_on"), "")
    type_into(qtbot, field(page, "progress_pct"), "20")
    type_into(qtbot, record.jobs.fields["hourly_wage"].input, "120")
    assert "above $75.00" in record.jobs.fields["hourly_wage"].message.text()
    show_tab(page, "Credentials")
    record.credentials.select(0)
    type_into(qtbot, record.credentials.fields["gpa"].input, "3.2")
    record.credentials.fields["expected"].input.setFocus()
    qtbot.keyClick(record.credentials.fields["expected"].input, Qt.Key.Key_Space)
    assert record.credentials.fields["expected"].value() is True
    assert record.save(), record.message.text()
    assert "double-check" in record.message.text()
    assert repo.count("participants") == 1


def test_employment_before_birth_is_flagged(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    pid = add_participant(repo, date_of_birth=None)
    page = make_page(repo)
    page.open_participant(pid)
    type_into(qtbot, field(page, "date_of_birth"), "1995-01-01")
    show_tab(page, "Employment")
    qtbot.mouseClick(page.record.jobs.add_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, page.record.jobs.fields["employer"].input, "Diner")
    type_into(qtbot, page.record.jobs.fields["started_on"].input, "1994-06-01")
    assert not page.record.save()
    assert page.record.jobs.fields["started_on"].message.text() == (
        "Start date (1994-06-01) is before the date of birth (1995-01-01)"
    )


def test_search_filters_and_count(qtbot: QtBot, make_page: Callable, demo_repo: Repository) -> None:
    page = make_page(demo_repo)
    assert page.count_label.text() == "200 participants"
    data = P.load_tracker(demo_repo)
    code = data.columns["code"][5]
    qtbot.keyClick(page.table, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is page.search
    qtbot.keyClicks(page.search, code.lower())
    assert column(page, TrackerTableModel.COL_CODE) == [code]
    assert page.count_label.text() == "1 of 200 participants"

    last = data.columns["last_name"][5]
    type_into(qtbot, page.search, last[:4])
    expected = sum(1 for key in data.search_keys if last[:4].lower() in key)
    assert page.proxy.rowCount() == expected
    assert page.count_label.text() == f"{expected} of 200 participants"
    page.search.clear()
    assert page.proxy.rowCount() == 200

    choose(qtbot, page.program_filter, "Fellows")
    fellows = data.columns["program"].count("Fellows")
    assert set(column(page, TrackerTableModel.COL_PROGRAM)) == {"Fellows"}
    assert page.count_label.text() == f"{fellows} of 200 participants"
    choose(qtbot, page.status_filter, "Alumni")
    assert set(column(page, TrackerTableModel.COL_STATUS)) == {"Alumni"}
    choose(qtbot, page.stage_filter, "Intake")
    qtbot.keyClicks(page.search, "zzzz")
    assert page.body.currentWidget() is page.no_match


def test_sort_by_wage_and_date_as_values(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    for name, wage, enrolled in (
        ("Ana", 9.5, "2024-01-03"),
        ("Bo", 100.0, "2023-12-30"),
        ("Cy", 20.0, "2024-10-01"),
        ("Di", None, "2024-02-01"),
    ):
        form = P.ParticipantForm(
            profile={"first_name": name, "last_name": "Test"},
            enrollment={"program": "Pipeline", "enrolled_on": enrolled},
            jobs=[{"employer": "X", "hourly_wage": wage}] if wage is not None else [],
        )
        P.save_participant(repo, form)
    page = make_page(repo)
    click_header(qtbot, page, TrackerTableModel.COL_WAGE)
    # as text "$100.00" < "$20.00" < "$9.50"; as values 9.5 < 20 < 100, blanks last
    assert column(page, TrackerTableModel.COL_WAGE, SORT_ROLE) == [9.5, 20.0, 100.0, None]
    click_header(qtbot, page, TrackerTableModel.COL_WAGE)
    assert column(page, TrackerTableModel.COL_WAGE, SORT_ROLE) == [100.0, 20.0, 9.5, None]
    click_header(qtbot, page, TrackerTableModel.COL_ENROLLED_ON)
    # as text "Dec 30, 2023" would sort after "Oct 1, 2024"; as dates it comes first
    assert column(page, TrackerTableModel.COL_ENROLLED_ON) == [
        "Dec 30, 2023",
        "Jan 3, 2024",
        "Feb 1, 2024",
        "Oct 1, 2024",
    ]
    # sorting survives a search
    qtbot.keyClicks(page.search, "test")
    assert column(page, TrackerTableModel.COL_FIRST_NAME) == ["Bo", "Ana", "Di", "Cy"]


def test_archive_undo_and_delete(qtbot: QtBot, make_page: Callable, repo: Repository) -> None:
    add_participant(repo, "Bo", "Keep")
    gone = add_participant(repo, "Cy", "Gone")
    P.save_participant(
        repo,
        P.ParticipantForm(
            id=gone,
            profile={"first_name": "Cy", "last_name": "Gone"},
            enrollment={
                **P.load_participant(repo, gone).enrollment,
            },
            jobs=[{"employer": "Diner", "hourly_wage": "12"}],
            notes=[{"noted_on": "2024-01-05", "body": "Call back"}],
        ),
    )
    page = make_page(repo)
    page.open_participant(gone)
    qtbot.mouseClick(page.record.archive_button, Qt.MouseButton.LeftButton)
    assert page.stack.currentWidget() is page.list_page
    assert page.count_label.text() == "1 participant"
    assert page.undo_bar.isVisible() and "Archived Cy Gone" in page.undo_text.text()
    page.show_archived.setFocus()
    qtbot.keyClick(page.show_archived, Qt.Key.Key_Space)
    assert page.count_label.text() == "2 participants (incl. archived)"
    assert sorted(column(page, TrackerTableModel.COL_STATUS)) == ["Active", "Archived"]
    qtbot.keyClick(page.show_archived, Qt.Key.Key_Space)
    assert page.count_label.text() == "1 participant"
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    assert page.count_label.text() == "2 participants"

    page.open_participant(gone)
    seen: list[str] = []
    answer_next_box("Cancel", seen)
    qtbot.mouseClick(page.record.delete_button, Qt.MouseButton.LeftButton)
    assert repo.count("participants") == 2
    assert "1 job" in seen[0] and "1 case note" in seen[0] and "1 enrollment" in seen[0]
    answer_next_box("Delete for good", seen)
    qtbot.mouseClick(page.record.delete_button, Qt.MouseButton.LeftButton)
    assert repo.count("participants") == 1 and repo.count("jobs") == 0
    assert page.stack.currentWidget() is page.list_page
    assert "Deleted Cy Gone (P-00002)" in page.undo_text.text()
    assert column(page, TrackerTableModel.COL_FIRST_NAME) == ["Bo"]


def test_escape_asks_before_dropping_changes(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    pid = add_participant(repo, "Ana", "Rivera")
    page = make_page(repo)
    page.open_participant(pid)
    type_into(qtbot, field(page, "last_name"), "Changed")
    assert page.has_unsaved_changes()
    seen: list[str] = []
    answer_next_box("Cancel", seen)
    qtbot.keyClick(field(page, "last_name"), Qt.Key.Key_Escape)
    assert "Save the changes to Ana Changed?" in seen[0]
    assert page.stack.currentWidget() is page.record
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=2000)
    answer_next_box("Discard", seen)
    qtbot.keyClick(field(page, "last_name"), Qt.Key.Key_Escape)
    assert page.stack.currentWidget() is page.list_page
    assert P.load_participant(repo, pid).profile["last_name"] == "Rivera"
    # the Save answer saves
    page.open_participant(pid)
    type_into(qtbot, field(page, "last_name"), "Saved")
    answer_next_box("Save", seen)
    assert page.confirm_discard()
    assert P.load_participant(repo, pid).profile["last_name"] == "Saved"


def test_draft_survives_clear_and_restore(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    pid = add_participant(repo, "Ana", "Rivera")
    page = make_page(repo)
    assert page.draft_state() is None
    page.open_participant(pid)
    type_into(qtbot, field(page, "first_name"), "Anita")
    show_tab(page, "Notes")
    qtbot.mouseClick(page.record.notes.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.record.notes.fields["body"].input, "Unsaved note")
    state = page.draft_state()
    assert state is not None
    state = json.loads(json.dumps(state))  # JSON-serialisable

    page.clear()
    assert page.model.rowCount() == 0 and page.model.total == 0
    assert field(page, "first_name").text() == ""
    assert page.record.notes.rows == [] and page.record.history.table.rowCount() == 0
    assert page.stack.currentWidget() is page.list_page

    page.refresh()
    page.restore_draft(state)
    assert page.stack.currentWidget() is page.record
    assert field(page, "first_name").text() == "Anita"
    assert page.record.notes.rows[0]["body"] == "Unsaved note"
    assert page.has_unsaved_changes()
    assert page.record.save()
    form = P.load_participant(repo, pid)
    assert form.profile["first_name"] == "Anita" and form.notes[0]["body"] == "Unsaved note"


def test_custom_fields_and_benefits_on_the_form(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    options.add_custom_field(repo, "Referral source", "choice", ["Court", "Shelter"])
    options.add_custom_field(repo, "Shoe size", "number")
    pid = add_participant(repo)
    page = make_page(repo)
    page.open_participant(pid)
    show_tab(page, "Custom fields")
    custom = page.record.custom_fields
    choose(qtbot, custom["referral_source"].input, "Shelter")
    type_into(qtbot, custom["shoe_size"].input, "big")
    assert not page.record.save()
    assert custom["shoe_size"].message.text() == "Shoe size must be a number (got big)"
    type_into(qtbot, custom["shoe_size"].input, "9")
    show_tab(page, "Profile")
    page.record.benefit_boxes["SNAP"].setFocus()
    qtbot.keyClick(page.record.benefit_boxes["SNAP"], Qt.Key.Key_Space)
    assert page.record.save()
    form = P.load_participant(repo, pid)
    assert form.custom == {"referral_source": "Shelter", "shoe_size": "9"}
    assert form.benefits == ["SNAP"]


def test_big_tracker_loads_in_the_background_and_a_lock_drops_it(
    qtbot: QtBot, make_page: Callable, repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker_desktop.ui import participants_page
    from tracker_desktop.ui.tasks import TaskRunner

    add_participant(repo, "Ana", "Rivera")
    page = make_page(repo)
    monkeypatch.setattr(participants_page, "BACKGROUND_LOAD_FROM", 1)
    add_participant(repo, "Bo", "Smith")
    page.reload()
    assert page.count_label.text() == "Loading participants…"
    qtbot.waitUntil(lambda: page.count_label.text() == "2 participants", timeout=10000)
    assert column(page, TrackerTableModel.COL_FIRST_NAME) == ["Ana", "Bo"]

    page.reload()
    page.clear()  # the tracker locks while the load is still running
    TaskRunner.wait_for_all()
    QApplication.processEvents()
    QApplication.processEvents()
    assert page.model.total == 0 and page.count_label.text() == ""


def test_draft_of_a_deleted_participant_comes_back_as_a_new_one(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    pid = add_participant(repo, "Ana", "Rivera")
    page = make_page(repo)
    page.open_participant(pid)
    type_into(qtbot, field(page, "first_name"), "Anita")
    state = page.draft_state()
    assert state is not None
    page.clear()
    P.delete_participant(repo, pid)
    page.refresh()
    page.restore_draft(state)
    assert "deleted meanwhile" in page.record.message.text()
    assert page.record.participant_id is None
    assert page.record.save()
    assert [p["first_name"] for p in repo.rows("participants")] == ["Anita"]
