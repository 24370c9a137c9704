"""The Follow-ups screen: due/overdue lists for a fixed as-of date and recording results."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tests.ui.journey_helpers import open_session, set_date
from tracker_desktop.core import journey
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.followups_page import FollowupsPage
from tracker_desktop.ui.navigation import SCREENS

AS_OF = date(2024, 11, 1)


def _setup(repo: Repository) -> dict[str, int]:
    people = {
        "ana": add_participant(
            repo, "Ana", "Garcia", phone="(555) 201-3344", email="ana@example.org"
        ),
        "jose": add_participant(repo, "José", "Núñez", phone="(555) 909-1000"),
        "chen": add_participant(repo, "Chen", "Li", email="chen@example.org"),
        "later": add_participant(repo, "Omar", "Haddad"),
    }
    with repo.transaction() as tx:
        for benefit in ("SNAP", "Medicaid"):
            tx.insert("participant_benefits", {"participant_id": people["ana"], "benefit": benefit})
        journey.exit_participant(tx, people["ana"], date(2024, 9, 25), "Graduated")  # 30d: 25 Oct
        journey.exit_participant(tx, people["jose"], date(2024, 10, 3), "Hired elsewhere")  # 2 Nov
        journey.exit_participant(tx, people["chen"], date(2024, 10, 7), "Graduated")  # 6 Nov
        journey.exit_participant(tx, people["later"], date(2024, 10, 20), "Moved away")  # 19 Nov
    return people


def _page(qtbot: QtBot, repo: Repository) -> FollowupsPage:
    page = FollowupsPage(open_session(repo))
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    set_date(page.as_of_edit, AS_OF)  # the user picks the as-of date
    return page


def _rows(table: object) -> list[list[str]]:
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]  # type: ignore[attr-defined]
        for r in range(table.rowCount())  # type: ignore[attr-defined]
    ]


def test_followups_screen_is_registered() -> None:
    screen = next(s for s in SCREENS if s.key == "followups")
    assert screen.page == "tracker_desktop.ui.followups_page:FollowupsPage"


def test_due_this_week_and_overdue_for_fixed_date(qtbot: QtBot, repo: Repository) -> None:
    _setup(repo)
    page = _page(qtbot, repo)
    assert _rows(page.overdue_table) == [
        [
            "25 Oct 2024 (7 days late)",
            "Ana Garcia (P-00001)",
            "(555) 201-3344",
            "ana@example.org",
            "Pipeline",
            "30-day (exit 25 Sep 2024)",
        ]
    ]
    due = _rows(page.due_table)
    assert [r[:3] for r in due] == [
        ["2 Nov 2024 (in 1 day)", "José Núñez (P-00002)", "(555) 909-1000"],
        ["6 Nov 2024 (in 5 days)", "Chen Li (P-00003)", "no phone"],
    ]
    assert page.overdue_box.title() == "Overdue (1)"
    assert page.due_box.title() == "Due this week, 1 Nov 2024 – 7 Nov 2024 (2)"
    assert "1</b> overdue" in page.summary.text()
    # A later as-of date: everything but Omar's is overdue, Omar's is due.
    set_date(page.as_of_edit, date(2024, 11, 15))
    assert [r[1] for r in _rows(page.overdue_table)] == [
        "Ana Garcia (P-00001)",
        "José Núñez (P-00002)",
        "Chen Li (P-00003)",
    ]
    assert [r[1] for r in _rows(page.due_table)] == ["Omar Haddad (P-00004)"]


def test_record_reached_result(qtbot: QtBot, repo: Repository) -> None:
    people = _setup(repo)
    page = _page(qtbot, repo)
    form = page.form
    assert not form.isEnabled()
    page.overdue_table.selectRow(0)
    assert form.isEnabled()
    assert "Ana Garcia" in form.who.text() and "ana@example.org" in form.who.text()
    assert form.entry_benefits.text() == "Medicaid, SNAP"
    assert not form.employer.isEnabled()  # until "Reached" and "Employed: Yes"
    qtbot.mouseClick(form.reached, Qt.MouseButton.LeftButton)
    set_date(form.done_on, date(2024, 10, 31))
    form.employed.setCurrentIndex(1)  # Yes
    assert form.employer.isEnabled()
    qtbot.keyClicks(form.employer, "Harbor Kitchen")
    form.wage.clear()
    qtbot.keyClicks(form.wage, "17.25")
    qtbot.mouseClick(form.benefit_boxes["Medicaid"], Qt.MouseButton.LeftButton)
    assert form.benefits_mode.currentIndex() == 2  # ticking a benefit means "still on"
    qtbot.keyClicks(form.notes, "Promoted to line cook")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    assert page.overdue_table.rowCount() == 0 and page.overdue_empty.isVisibleTo(page)
    assert "Saved Ana Garcia's 30-day follow-up: reached, employed at Harbor Kitchen" in (
        page.status.text()
    )
    assert "No longer on SNAP" in page.status.text()
    saved = journey.participant_followups(repo, people["ana"])[0]
    assert (saved["status"], saved["done_on"], saved["employer"], saved["hourly_wage"]) == (
        "done",
        date(2024, 10, 31),
        "Harbor Kitchen",
        17.25,
    )
    assert saved["on_public_benefits"] is True and saved["notes"] == "Promoted to line cook"
    assert journey.benefits_comparison(repo, saved["id"]).reduced is True


def test_record_unreachable_and_missing_outcome(qtbot: QtBot, repo: Repository) -> None:
    people = _setup(repo)
    page = _page(qtbot, repo)
    page.due_table.selectRow(0)  # José
    qtbot.mouseClick(page.form.save_button, Qt.MouseButton.LeftButton)
    assert page.form.error.text() == "Choose what happened: Reached, Unreachable or Declined."
    assert page.due_table.rowCount() == 2  # nothing saved
    qtbot.mouseClick(page.form.unreachable, Qt.MouseButton.LeftButton)
    assert not page.form.employed.isEnabled()
    qtbot.keyClicks(page.form.notes, "Number disconnected")
    qtbot.mouseClick(page.form.save_button, Qt.MouseButton.LeftButton)
    assert [r[1] for r in _rows(page.due_table)] == ["Chen Li (P-00003)"]
    saved = journey.participant_followups(repo, people["jose"])[0]
    assert (saved["status"], saved["employed"], saved["notes"]) == (
        "unreachable",
        None,
        "Number disconnected",
    )


def test_call_date_before_exit_is_refused(qtbot: QtBot, repo: Repository) -> None:
    people = _setup(repo)
    page = _page(qtbot, repo)
    page.overdue_table.selectRow(0)
    qtbot.mouseClick(page.form.declined, Qt.MouseButton.LeftButton)
    set_date(page.form.done_on, date(2024, 9, 1))
    qtbot.mouseClick(page.form.save_button, Qt.MouseButton.LeftButton)
    assert "before the exit date 25 Sep 2024" in page.form.error.text()
    assert page.overdue_table.rowCount() == 1
    assert journey.participant_followups(repo, people["ana"])[0]["status"] == "due"


def test_open_record_from_followups_in_main_window(qtbot: QtBot, repo: Repository) -> None:
    from tracker_desktop.ui.main_window import MainWindow
    from tracker_desktop.ui.session import Session

    _setup(repo)
    session = Session()
    window = MainWindow(session)
    qtbot.addWidget(window)
    session.open(repo.vault, "Test Staff")
    window.show()
    window.navigation.setCurrentRow(2)  # "Follow-ups" in the navigation list
    page = window.stack.currentWidget()
    assert isinstance(page, FollowupsPage)
    set_date(page.as_of_edit, AS_OF)
    page.due_table.selectRow(0)
    qtbot.mouseClick(page.form.open_button, Qt.MouseButton.LeftButton)
    participants = window.stack.currentWidget()
    assert participants is window.pages["participants"]
    assert participants.record.title.text() == "José Núñez"  # type: ignore[attr-defined]
