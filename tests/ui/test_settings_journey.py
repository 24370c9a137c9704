"""Settings tabs for the journey: stages, measures, surveys and the follow-up schedule."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QTableWidget
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tests.ui.journey_helpers import open_session
from tracker_desktop.core import journey
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui import settings_journey
from tracker_desktop.ui.settings_tabs import SETTINGS_TABS


def _editor(table: QTableWidget) -> QLineEdit:
    editors = [e for e in table.findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1, "no cell editor open"
    return editors[0]


def _type_into_cell(qtbot: QtBot, table: QTableWidget, row: int, column: int, text: str) -> None:
    table.setCurrentCell(row, column)
    table.editItem(table.item(row, column))
    editor = _editor(table)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # Tab commits the cell


def _row_of(table: QTableWidget, name: str) -> int:
    return next(r for r in range(table.rowCount()) if table.item(r, 0).text() == name)


def test_journey_settings_tabs_are_registered() -> None:
    targets = dict(SETTINGS_TABS)
    assert targets["Journey stages"] == "tracker_desktop.ui.settings_journey:StagesTab"
    assert (
        targets["Follow-up schedule"] == "tracker_desktop.ui.settings_journey:FollowupScheduleTab"
    )
    assert "Outcome measures" in targets and "Surveys" in targets


def test_edit_stage_caps_and_reject_bad_numbers(qtbot: QtBot, repo: Repository) -> None:
    tab = settings_journey.StagesTab(open_session(repo))
    qtbot.addWidget(tab)
    tab.show()
    row = _row_of(tab.table, "Apprentice Level 1")
    _type_into_cell(qtbot, tab.table, row, settings_journey.C_SHIFT, "lots")
    assert tab.has_unsaved_changes()
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "Shift cap must be a number (got 'lots')" in tab.message.text()
    assert journey.list_stages(repo)[2].shift_hours_cap == 20
    _type_into_cell(qtbot, tab.table, row, settings_journey.C_SHIFT, "22")
    _type_into_cell(qtbot, tab.table, row, settings_journey.C_STATIONS, "4")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.message.text() == "Saved 7 stages."
    level1 = journey.list_stages(repo)[2]
    assert (level1.shift_hours_cap, level1.stations) == (22, 4)
    assert not tab.has_unsaved_changes()


def test_add_stage_and_change_trigger(qtbot: QtBot, repo: Repository) -> None:
    tab = settings_journey.StagesTab(open_session(repo))
    qtbot.addWidget(tab)
    tab.show()
    # Make Orientation need assessments, add "Alumni mentor" at the end.
    trigger = tab.table.cellWidget(_row_of(tab.table, "Orientation"), settings_journey.C_TRIGGER)
    assert isinstance(trigger, QComboBox)
    trigger.setCurrentIndex(trigger.findData(journey.TRIGGER_PASS_ALL))
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    editor = _editor(tab.table)
    qtbot.keyClicks(editor, "Alumni mentor")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # Tab commits the cell
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    stages = journey.list_stages(repo)
    assert stages[-1].name == "Alumni mentor"
    assert journey.stage_named(stages, "Orientation").trigger == journey.TRIGGER_PASS_ALL  # type: ignore[union-attr]
    # Two stages with one name are refused.
    _type_into_cell(qtbot, tab.table, tab.table.rowCount() - 1, 0, "Intake")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "Two stages are called 'Intake'" in tab.message.text()


def test_custom_measure_with_direction(qtbot: QtBot, repo: Repository) -> None:
    tab = settings_journey.MeasuresTab(open_session(repo))
    qtbot.addWidget(tab)
    tab.show()
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    row = tab.table.rowCount() - 1
    editor = _editor(tab.table)
    qtbot.keyClicks(editor, "Days late to shift")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # Tab commits the cell
    _type_into_cell(qtbot, tab.table, row, 1, "days")
    _type_into_cell(qtbot, tab.table, row, 2, "0")
    _type_into_cell(qtbot, tab.table, row, 3, "31")
    direction = tab.table.cellWidget(row, 4)
    assert isinstance(direction, QComboBox)
    direction.setCurrentIndex(1)  # lower is better
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.message.text() == "Saved 5 measures."
    custom = journey.list_measures(repo)[-1]
    assert (custom.key, custom.unit, custom.scale_min, custom.scale_max) == (
        "days_late_to_shift",
        "days",
        0,
        31,
    )
    assert custom.higher_is_better is False


def test_new_survey(qtbot: QtBot, repo: Repository) -> None:
    tab = settings_journey.SurveysTab(open_session(repo))
    qtbot.addWidget(tab)
    tab.show()
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    editor = _editor(tab.table)
    qtbot.keyClicks(editor, "I know who to ask for help")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)  # Tab commits the cell
    qtbot.keyClicks(tab.name, "Belonging")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.message.text() == "Saved the Belonging survey."
    belonging = next(s for s in journey.list_surveys(repo) if s.name == "Belonging")
    assert [(q.text, q.scale) for q in belonging.questions] == [
        ("I know who to ask for help", "1-5")
    ]
    assert tab.survey.currentText() == "Belonging"


def test_followup_schedule_moves_pending_followups(
    qtbot: QtBot, repo: Repository, synchronous_tasks: None
) -> None:
    pid = add_participant(repo)
    with repo.transaction() as tx:
        journey.exit_participant(tx, pid, date(2024, 9, 30), "Graduated")
    tab = settings_journey.FollowupScheduleTab(open_session(repo))
    qtbot.addWidget(tab)
    tab.show()
    assert tab.days.text() == "30, 90, 180, 365"
    tab.days.clear()
    qtbot.keyClicks(tab.days, "30, sixty")
    qtbot.keyClick(tab.days, Qt.Key.Key_Return)
    assert "'sixty' is not a whole number of days" in tab.message.text()
    assert repo.setting("followup_days") == [30, 90, 180, 365]
    tab.days.clear()
    qtbot.keyClicks(tab.days, "60 30")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "Pending follow-ups of 1 exited enrollment now follow" in tab.message.text()
    assert repo.setting("followup_days") == [30, 60]
    assert [f["due_on"] for f in journey.participant_followups(repo, pid)] == [
        date(2024, 10, 30),
        date(2024, 11, 29),
    ]
