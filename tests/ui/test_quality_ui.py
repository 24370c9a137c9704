"""The Data quality screen on a known file: completeness, overdue follow-ups, duplicates."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt

from tests.core.test_metrics import _person, build
from tests.ui.journey_helpers import open_main_window
from tracker_desktop.core import quality
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault

TODAY = date(2026, 1, 15)


def make_file(repo: Repository) -> None:
    build(repo)
    with repo.transaction() as tx:
        twin = _person(tx, "ana ", "Pipeline", date(2024, 1, 10))  # same as P1, other case
        tx.update("participants", twin, {"last_name": "test", "phone": "(555) 123-4567"})
        _person(tx, "  ", "Fellows", date(2025, 1, 2))  # blank first name: required


def test_quality_details_core(repo: Repository) -> None:
    make_file(repo)
    details = quality.quality_details(repo, TODAY)
    assert details.participants == 8  # P1-P6 + twin + blank (P7 archived)
    assert details.required_complete == 7
    checks = {c.label: c for c in details.checks}
    assert [p.name for p in checks["First name"].missing] == ["Test"]
    assert checks["Phone or email"].applies_to == 8
    assert len(checks["Phone or email"].missing) == 7  # only the twin has a phone
    # exited by TODAY: Ben (Graduated) and Dev (Moved away) both have reasons
    assert checks["Exit reason"].applies_to == 2 and not checks["Exit reason"].missing
    # Eve's job has no wage; Gus is archived
    assert [p.name for p in checks["Hourly wage of jobs"].missing] == ["Eve Test"]
    # Dev's 90-day follow-up is done with 'employed' blank
    assert [p.name for p in checks["Employed? on completed follow-ups"].missing] == ["Dev Test"]
    # Ben's 180-day (due 2025-06-29) and 365-day (due 2025-12-31) calls are overdue
    assert [(o.person.name, o.days_after_exit) for o in details.overdue] == [
        ("Ben Test", 180),
        ("Ben Test", 365),
    ]
    assert details.overdue[0].days_overdue == (TODAY - date(2025, 6, 29)).days
    assert [[p.name for p in g] for g in details.duplicates] == [["Ana Test", "ana test"]]


def test_quality_screen(qtbot, vault: Vault, repo: Repository, synchronous_tasks: None) -> None:  # type: ignore[no-untyped-def]
    make_file(repo)
    window = open_main_window(qtbot, vault, "Case Worker")
    session = window.session
    page = window.show_screen("quality")
    assert page.required_tile.value.text() == "88%"  # 7 of 8
    assert page.overdue_tile.value.text() == "2"
    assert page.duplicates_tile.value.text() == "1"
    labels = [page.checks.item(r, 0).text() for r in range(page.checks.rowCount())]
    row = labels.index("Hourly wage of jobs")
    page.checks.selectRow(row)
    assert page.missing.rowCount() == 1
    assert page.missing.item(0, 1).text() == "Eve Test"
    assert "missing for 1" in page.missing_label.text()
    assert page.tabs.tabText(1) == "Overdue follow-ups (2)"
    assert page.overdue.item(0, 1).text() == "Ben Test"
    assert page.duplicates.item(1, 2).text() == "ana test"
    # double-click a duplicate: their record opens on the Participants screen
    page.tabs.setCurrentIndex(2)
    item = page.duplicates.item(1, 2)
    qtbot.wait(10)
    rect = page.duplicates.visualItemRect(item)
    qtbot.mouseClick(page.duplicates.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.duplicates.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    participants = window.pages["participants"]
    assert window.stack.currentWidget() is participants
    assert participants.record.participant_id == item.data(Qt.ItemDataRole.UserRole)
    session.lock()
    assert page.details is None
