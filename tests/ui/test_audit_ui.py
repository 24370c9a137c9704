"""The Audit log screen: who, when, what, old -> new; filters by staff, dates, participant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.audit_page import NEW, OLD, PARTICIPANT, WHAT, WHEN, WHO, AuditPage
from tracker_desktop.ui.session import Session

pytestmark = pytest.mark.usefixtures("synchronous_tasks")


def add_person(repo: Repository, first: str, at: datetime) -> int:
    with repo.transaction() as tx:
        tx.at = at
        return tx.insert(
            "participants",
            {
                "participant_code": tx.next_participant_code(),
                "first_name": first,
                "last_name": "Doe",
                "created_at": at,
                "updated_at": at,
            },
        )


def change(repo: Repository, pid: int, values: dict[str, object], at: datetime) -> None:
    with repo.transaction() as tx:
        tx.at = at
        tx.update("participants", pid, values)


@pytest.fixture
def page(qtbot: QtBot, vault: Vault) -> Iterator[AuditPage]:
    maria = Repository(vault, "Maria Lopez")
    sam = Repository(vault, "Sam Okafor")
    ana = add_person(maria, "Ana", datetime(2024, 3, 1, 9, 30))
    ben = add_person(maria, "Ben", datetime(2024, 3, 2, 10, 0))
    change(sam, ana, {"phone": "555-0100"}, datetime(2024, 4, 10, 14, 5))
    change(sam, ben, {"first_name": "Benjamin"}, datetime(2024, 5, 20, 16, 45))
    session = Session()
    session.open(vault, "Maria Lopez")
    widget = AuditPage(session)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    widget.refresh()
    yield widget
    session.lock()


def cells(page: AuditPage, column: int) -> list[str]:
    model = page.model
    return [str(model.index(row, column).data()) for row in range(model.rowCount())]


def test_shows_who_when_what_old_and_new(page: AuditPage) -> None:
    assert page.model.rowCount() == 4
    assert cells(page, WHO) == ["Sam Okafor", "Sam Okafor", "Maria Lopez", "Maria Lopez"]
    assert cells(page, WHEN)[0] == "2024-05-20 16:45"
    assert cells(page, WHAT)[:2] == [
        "Changed participant: first name",
        "Changed participant: phone",
    ]
    assert cells(page, WHAT)[2] == "Added participant"
    assert cells(page, OLD)[0] == "Ben" and cells(page, NEW)[0] == "Benjamin"
    assert cells(page, OLD)[1] == "—" and cells(page, NEW)[1] == "555-0100"
    assert cells(page, PARTICIPANT) == ["P-00002", "P-00001", "P-00002", "P-00001"]
    assert "first name: Ben" in cells(page, NEW)[2]
    assert page.count.text() == "4 changes"


def test_filter_by_staff(qtbot: QtBot, page: AuditPage) -> None:
    names = [page.staff.itemText(i) for i in range(page.staff.count())]
    assert names == ["Everyone", "Maria Lopez", "Sam Okafor"]
    page.staff.setCurrentText("Sam Okafor")
    assert set(cells(page, WHO)) == {"Sam Okafor"}
    assert page.model.rowCount() == 2
    qtbot.mouseClick(page.clear_button, Qt.MouseButton.LeftButton)
    assert page.model.rowCount() == 4


def test_filter_by_date_range(page: AuditPage) -> None:
    page.date_from.setDate(QDate(2024, 3, 2))
    page.date_to.setDate(QDate(2024, 4, 10))
    assert cells(page, WHEN) == ["2024-04-10 14:05", "2024-03-02 10:00"]
    page.date_from.setDate(QDate(2024, 6, 1))
    assert page.model.rowCount() == 0
    assert "'from' day is after the 'to' day" in page.error.text()
    page.date_to.setDate(QDate(2030, 1, 1))
    assert page.model.rowCount() == 0
    assert page.count.text() == "No changes match these filters."


def test_filter_by_participant_code(qtbot: QtBot, page: AuditPage) -> None:
    qtbot.keyClicks(page.participant, "P-00001")
    qtbot.keyClick(page.participant, Qt.Key.Key_Return)
    assert set(cells(page, PARTICIPANT)) == {"P-00001"}
    assert page.model.rowCount() == 2
    page.participant.clear()
    qtbot.keyClicks(page.participant, "P-09999")
    qtbot.keyClick(page.participant, Qt.Key.Key_Return)
    assert page.model.rowCount() == 0
    assert "No participant with the code P-09999" in page.error.text()


def test_history_of_a_removed_participant_is_still_found(qtbot: QtBot, page: AuditPage) -> None:
    repo = page.session.require_repo()
    pid = next(r["id"] for r in repo.rows("participants") if r["participant_code"] == "P-00002")
    Repository(repo.vault, "Sam Okafor").delete("participants", pid)
    page.refresh()
    assert cells(page, WHAT)[0] == "Removed participant"
    assert cells(page, PARTICIPANT)[0] == f"#{pid} (removed)"
    qtbot.keyClicks(page.participant, "P-00002")
    qtbot.keyClick(page.participant, Qt.Key.Key_Return)
    assert page.model.rowCount() == 3
    assert page.error.text() == ""


def test_lock_clears_the_table(page: AuditPage) -> None:
    assert page.model.rowCount() == 4
    page.session.lock()
    page.clear()
    assert page.model.rowCount() == 0
    assert page.staff.count() == 0


def test_settings_changes_read_as_plain_values(page: AuditPage) -> None:
    repo = page.session.require_repo()
    repo.set_setting("organisation_name", "Harbor Kitchen")
    repo.set_setting("organisation_name", "Harbor Community Kitchen")
    page.refresh()
    assert cells(page, WHAT)[0] == "Changed setting: organisation name"
    assert cells(page, OLD)[0] == "Harbor Kitchen"
    assert cells(page, NEW)[0] == "Harbor Community Kitchen"
