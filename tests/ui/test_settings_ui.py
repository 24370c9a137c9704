"""The Settings screen driven through its real widgets, on real encrypted trackers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tracker_desktop.core import options
from tracker_desktop.core import participants as P
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.participants_page import ParticipantsPage, TrackerTableModel
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.settings_page import SettingsPage


@pytest.fixture
def make_settings(qtbot: QtBot) -> Iterator[Callable[[Repository], SettingsPage]]:
    def build(repo: Repository) -> SettingsPage:
        session = Session()
        session.open(repo.vault, "Program Director")
        page = SettingsPage(session)
        qtbot.addWidget(page)
        page.resize(1100, 700)
        page.show()
        qtbot.waitExposed(page)
        page.refresh()
        return page

    yield build


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
        qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    qtbot.keyClicks(widget, text)


def click(qtbot: QtBot, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def values(page: SettingsPage) -> list[str]:
    lst = page.option_lists.values
    return [lst.item(i).text() for i in range(lst.count())]


def test_rename_program_updates_records_and_the_table(
    qtbot: QtBot, make_settings: Callable, repo: Repository
) -> None:
    pid = add_participant(repo, program="Pipeline")
    page = make_settings(repo)
    page.tabs.setCurrentWidget(page.option_lists)
    tab = page.option_lists
    tab.select_list("programs")
    assert values(page) == ["Pipeline", "Fellows"]
    tab.select_value("Pipeline")
    assert tab.value_edit.text() == "Pipeline"
    type_into(qtbot, tab.value_edit, "Pathways")
    click(qtbot, tab.rename_button)
    assert tab.message.text() == "Renamed 'Pipeline' to 'Pathways' in 1 record(s)."
    assert values(page) == ["Pathways", "Fellows"]
    assert P.load_participant(repo, pid).enrollment["program"] == "Pathways"
    history = [e for e in P.history(repo, pid) if e.field == "program"]
    assert history[0].old_value == "Pipeline" and history[0].staff == "Program Director"

    table = ParticipantsPage(page.session)
    qtbot.addWidget(table)
    table.refresh()
    proxy = table.proxy
    assert proxy.data(proxy.index(0, TrackerTableModel.COL_PROGRAM)) == "Pathways"
    assert [table.program_filter.itemText(i) for i in range(table.program_filter.count())] == [
        "All programs",
        "Pathways",
        "Fellows",
    ]


def test_removing_an_option_in_use_is_refused(
    qtbot: QtBot, make_settings: Callable, repo: Repository
) -> None:
    add_participant(repo, program="Pipeline")
    page = make_settings(repo)
    tab = page.option_lists
    page.tabs.setCurrentWidget(tab)
    tab.select_list("programs")
    tab.select_value("Pipeline")
    click(qtbot, tab.remove_button)
    assert tab.message.text().startswith(
        "'Pipeline' cannot be removed: it is used by 1 enrollment."
    )
    assert "mark it inactive" in tab.message.text()
    assert "Pipeline" in values(page)
    # an unused value goes
    type_into(qtbot, tab.value_edit, "Evening cohort")
    click(qtbot, tab.add_button)
    assert "Evening cohort" in values(page)
    tab.select_value("Evening cohort")
    click(qtbot, tab.remove_button)
    assert "Evening cohort" not in values(page)
    # inactive: still listed here, no longer offered in the form
    tab.select_value("Fellows")
    click(qtbot, tab.active_button)
    assert "Fellows  (inactive)" in values(page)
    assert repo.options("programs") == ["Pipeline"]


def test_added_option_and_custom_field_reach_the_record_form(
    qtbot: QtBot, make_settings: Callable, repo: Repository
) -> None:
    pid = add_participant(repo)
    page = make_settings(repo)
    participants = ParticipantsPage(page.session)  # built before the change, like in the app
    qtbot.addWidget(participants)
    participants.refresh()
    participants.open_participant(pid)
    participants.show_list()
    tab = page.option_lists
    page.tabs.setCurrentWidget(tab)
    tab.select_list("certifications")
    type_into(qtbot, tab.value_edit, "Barista Level 1")
    click(qtbot, tab.add_button)
    assert tab.message.text() == "Added 'Barista Level 1'."

    custom = page.custom
    page.tabs.setCurrentWidget(custom)
    type_into(qtbot, custom.label, "Referral source")
    custom.kind.setCurrentIndex(custom.kind.findData("choice"))
    click(qtbot, custom.add_button)
    assert custom.message.text() == "A choice field needs at least one choice (one per line)"
    custom.choices.setFocus()
    qtbot.keyClicks(custom.choices, "Court")
    qtbot.keyClick(custom.choices, Qt.Key.Key_Return)
    qtbot.keyClicks(custom.choices, "Shelter")
    click(qtbot, custom.add_button)
    assert custom.table.rowCount() == 1
    assert custom.table.item(0, 2).text() == "Court, Shelter"

    participants.refresh()
    participants.open_participant(pid)
    record = participants.record
    field = record.custom_fields["referral_source"].input
    assert isinstance(field, QComboBox)
    assert [field.itemText(i) for i in range(field.count())] == ["", "Court", "Shelter"]
    record.credentials.add_row()
    name = record.credentials.fields["name"].input
    assert isinstance(name, QComboBox)
    assert name.findText("Barista Level 1") >= 0


def test_rename_a_custom_choice_updates_values(
    qtbot: QtBot, make_settings: Callable, repo: Repository
) -> None:
    field_id = options.add_custom_field(repo, "Referral source", "choice", ["Court", "Shelter"])
    pid = add_participant(repo)
    form = P.load_participant(repo, pid)
    form.custom = {"referral_source": "Court"}
    P.save_participant(repo, form)
    page = make_settings(repo)
    custom = page.custom
    page.tabs.setCurrentWidget(custom)
    custom.table.selectRow(0)
    assert custom.label.text() == "Referral source"
    custom.choices.setPlainText("Court referral\nShelter")
    click(qtbot, custom.update_button)
    assert custom.message.text() == "Saved."
    assert P.load_participant(repo, pid).custom == {"referral_source": "Court referral"}
    click(qtbot, custom.remove_button)
    assert "1 participant has a value" in custom.message.text()
    assert [f.id for f in options.custom_fields(repo)] == [field_id]


def test_organisation_limits_and_staff(
    qtbot: QtBot, make_settings: Callable, repo: Repository
) -> None:
    page = make_settings(repo)
    general = page.general
    type_into(qtbot, general.organisation, "Harbor Kitchen")
    type_into(qtbot, general.wage_ceiling, "lots")
    click(qtbot, general.save_button)
    assert general.message.text() == "Not saved: The wage limit must be a number (got lots)"
    assert general.wage_ceiling.property("invalid") is True
    assert repo.setting("organisation_name") == ""
    type_into(qtbot, general.wage_ceiling, "40")
    type_into(qtbot, general.gpa_scale, "5")
    click(qtbot, general.save_button)
    assert general.message.text() == "Saved."
    assert repo.setting("organisation_name") == "Harbor Kitchen"
    assert repo.setting("wage_ceiling") == 40.0 and repo.setting("gpa_scale") == 5.0

    staff = page.staff
    page.tabs.setCurrentWidget(staff)
    type_into(qtbot, staff.name, "Dana Case")
    qtbot.keyClick(staff.name, Qt.Key.Key_Return)
    assert "Dana Case" in repo.staff_names()
    type_into(qtbot, staff.name, "Dana Case")
    click(qtbot, staff.add_button)
    assert staff.message.text() == "'Dana Case' is already on the staff list"
    row = next(i for i in range(staff.list.count()) if staff.list.item(i).text() == "Dana Case")
    staff.list.setCurrentRow(row)
    click(qtbot, staff.toggle_button)
    assert "Dana Case" not in repo.staff_names()
    assert any(
        staff.list.item(i).text() == "Dana Case  (inactive)" for i in range(staff.list.count())
    )


def test_new_limits_apply_to_the_form(qtbot: QtBot, repo: Repository) -> None:
    repo.set_setting("gpa_scale", 5.0)
    pid = add_participant(repo)
    session = Session()
    session.open(repo.vault, "Case Worker")
    page = ParticipantsPage(session)
    qtbot.addWidget(page)
    page.refresh()
    page.open_participant(pid)
    record = page.record
    record.credentials.add_row()
    record.credentials.fields["name"].set_value("AA")
    record.credentials.fields["gpa"].input.setText("4.5")  # type: ignore[attr-defined]
    record.credentials._field_edited()
    assert record.save(), record.message.text()
    record.credentials.select(0)
    record.credentials.fields["gpa"].input.setText("6")  # type: ignore[attr-defined]
    record.credentials._field_edited()
    assert not record.save()
    assert record.credentials.fields["gpa"].message.text() == "GPA must be between 0 and 5 (got 6)"
