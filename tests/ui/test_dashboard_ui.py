"""The Dashboard screen on a known file: tiles, drill-down, bars, filters, statements."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDateEdit

from tests.core.test_metrics import AS_OF, build
from tests.ui.journey_helpers import open_main_window
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui import dashboard_page
from tracker_desktop.ui.main_window import MainWindow
from tracker_desktop.ui.session import Session


def settle(qtbot, page) -> None:  # type: ignore[no-untyped-def]
    """Dates recompute after a typing pause; wait for it (tasks run synchronously)."""
    qtbot.waitUntil(lambda: not page._date_timer.isActive(), timeout=3000)


@pytest.fixture
def dashboard(qtbot, vault: Vault, repo: Repository, synchronous_tasks: None):  # type: ignore[no-untyped-def]
    build(repo)
    session = Session()
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(1400, 1000)
    session.open(vault, "Program Director")
    window.show()
    page = window.show_screen("dashboard")
    page.as_of.setDate(QDate(AS_OF.year, AS_OF.month, AS_OF.day))
    settle(qtbot, page)
    yield window, page
    session.lock()


def test_tiles_show_the_engine_values(dashboard) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    assert page.tiles["participants_total"].value.text() == "5"
    assert page.tiles["participants_total"].detail.text() == "3 active · 2 exited"
    employment = page.tiles["employment_rate"]
    assert employment.value.text() == "67%"
    assert employment.detail.text() == "2 of 3"
    assert employment.target.text() == "Target 75%  ·  Close to target"
    assert employment.state == "amber"
    assert "Active participants with a current job" in employment.toolTip()
    assert page.tiles["wage_mean"].value.text() == "$16.50"
    assert page.tiles["retention_90"].value.text() == "n/a"
    assert page.tiles["retention_90"].state == "none"
    assert page.tiles["followup_reach_rate"].value.text() == "60%"
    assert "5 participants" in page.status.text()


def test_clicking_a_tile_lists_the_participants(qtbot, dashboard) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    assert not page.drill.isVisible()
    qtbot.mouseClick(page.tiles["employment_rate"], Qt.MouseButton.LeftButton)
    assert page.drill.isVisible()
    assert page.drill.names() == ["Ana Test", "Eve Test"]
    assert "Employment rate (67%)" in page.drill.heading.text()
    page.drill.part.setCurrentIndex(page.drill.part.findData("unknown"))
    assert page.drill.names() == []
    page.drill.part.setCurrentIndex(page.drill.part.findData("denominator"))
    assert page.drill.names() == ["Ana Test", "Cara Test", "Eve Test"]
    # keyboard: focus a tile and press Enter
    tile = page.tiles["reduced_benefits"]
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    assert page.drill.names() == ["Ben Test"]


def test_clicking_a_bar_lists_its_participants(qtbot, dashboard) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    chart = page.charts["by_stage"]
    page.scroll.ensureWidgetVisible(chart)
    qtbot.wait(10)
    index = chart.categories.index("Graduated")
    qtbot.mouseClick(
        chart.plot.viewport(), Qt.MouseButton.LeftButton, pos=chart.bar_position(index).toPoint()
    )
    assert page.drill.isVisible()
    assert page.drill.names() == ["Ben Test"]
    assert "Graduated" in page.drill.heading.text()


def test_filters_recompute(qtbot, dashboard) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    page.program.setCurrentIndex(page.program.findText("Fellows"))
    assert page.tiles["participants_total"].value.text() == "2"
    assert page.tiles["employment_rate"].value.text() == "0%"
    page.program.setCurrentIndex(0)
    page.date_from.setDate(QDate(2024, 2, 1))
    page.date_to.setDate(QDate(2024, 12, 31))
    settle(qtbot, page)
    assert page.tiles["participants_total"].value.text() == "3"
    page.date_from.setDate(QDate(2030, 1, 1))
    settle(qtbot, page)
    assert "after its 'to' date" in page.message.text()
    assert page.tiles["participants_total"].value.text() == "3"  # nothing lost
    qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    # type the as-of date on the keyboard
    page.as_of.setFocus()
    for section, digits in (
        (QDateEdit.Section.YearSection, "2024"),
        (QDateEdit.Section.MonthSection, "12"),
        (QDateEdit.Section.DaySection, "01"),
    ):
        page.as_of.setSelectedSection(section)
        qtbot.keyClicks(page.as_of, digits)
    assert page.as_of.date() == QDate(2024, 12, 1)
    settle(qtbot, page)
    assert page.tiles["participants_total"].value.text() == "4"
    assert page.tiles["employment_rate"].value.text() == "75%"


def test_copy_statements_and_save_png(qtbot, dashboard, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    text = QGuiApplication.clipboard().text()
    assert "- 67% of our active participants have a current job (2 of 3)." in text
    assert "- 50% of our alumni reached 30 days after exit were employed (1 of 2)." in text
    assert "n/a" not in text  # metrics without data are left out of funder sentences
    out = tmp_path / "stages.png"
    assert page.charts["by_stage"].save_png(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    qtbot.mouseClick(page.definitions_button, Qt.MouseButton.LeftButton)
    assert page.definitions.isVisible()
    assert "Follow-up reach rate" in page.definitions.toPlainText()


def test_data_change_reloads_and_lock_clears(qtbot, dashboard, repo: Repository) -> None:  # type: ignore[no-untyped-def]
    window, page = dashboard
    from tests.core.test_metrics import _person

    with repo.transaction() as tx:
        _person(tx, "Hana", "Fellows", AS_OF)
    window.session.notify("participants")
    assert page.tiles["participants_total"].value.text() == "6"
    window.session.lock()
    assert page.report is None
    assert page.tiles["participants_total"].value.text() == "…"


def test_empty_tracker_shows_na_and_guidance(qtbot, vault: Vault, synchronous_tasks: None) -> None:  # type: ignore[no-untyped-def]
    window = open_main_window(qtbot, vault, "Program Director")
    session = window.session
    page = window.show_screen("dashboard")
    assert page.tiles["participants_total"].value.text() == "0"
    assert page.tiles["employment_rate"].value.text() == "n/a"
    assert "No participants match" in page.message.text()
    session.lock()


def test_targets_are_edited_in_settings_and_persist(qtbot, dashboard, repo: Repository) -> None:  # type: ignore[no-untyped-def]
    window, page = dashboard
    assert page.tiles["employment_rate"].state == "amber"
    settings = window.show_screen("settings")
    index = next(
        i for i in range(settings.tabs.count()) if settings.tabs.tabText(i) == "Metric targets"
    )
    settings.tabs.setCurrentIndex(index)
    tab = settings.tabs.widget(index)
    tab.refresh()
    spin = tab.spins["employment_rate"]
    assert spin.value() == 75
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "50")
    spin.interpretText()
    tab.spins["credential_rate"].setValue(-1)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "Saved 2 targets" in tab.message.text()
    with repo.reading() as conn:
        from sqlalchemy import text

        stored = dict(conn.execute(text("SELECT metric_key, target FROM metric_targets")).all())
    assert stored["employment_rate"] == 0.5
    assert "credential_rate" not in stored  # 'No target' removes it
    window.show_screen("dashboard")
    assert page.tiles["employment_rate"].state == "green"
    assert page.tiles["employment_rate"].target.text() == "Target 50%  ·  On target"
    assert page.tiles["credential_rate"].target.text() == "No target set"


def test_outcome_measures_by_program(qtbot, dashboard) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    table = page.outcomes
    rows = {
        (table.item(r, 0).text(), table.item(r, 1).text()): [
            table.item(r, c).text() for c in range(table.columnCount())
        ]
        for r in range(table.rowCount())
    }
    aspire = rows[("Capacity to aspire", "All programs")]
    assert aspire[2:] == ["3 · 2.33", "1 · 3.00", "50%", "1 of 2"]  # entry 2, 3, 2 (undated)
    assert rows[("Social capital", "Pipeline")][4:] == ["100%", "1 of 1"]
    assert ("Social capital", "Fellows") not in rows  # nobody there has both values yet
    row = list(rows).index(("Capacity to aspire", "All programs"))
    page.scroll.ensureWidgetVisible(table)
    qtbot.wait(10)
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.drill.isVisible()
    assert page.drill.names() == ["Ana Test"]


def test_save_png_button(qtbot, dashboard, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    chosen = tmp_path / "retention chart"  # the user typed no extension
    monkeypatch.setattr(
        "tracker_desktop.ui.dashboard_page.QFileDialog.getSaveFileName",
        lambda *args, **kwargs: (str(chosen), "PNG image (*.png)"),
    )
    chart = page.charts["retention"]
    page.scroll.ensureWidgetVisible(chart)
    qtbot.mouseClick(chart.save_button, Qt.MouseButton.LeftButton)
    saved = tmp_path / "retention chart.png"
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bars_can_be_picked_with_the_keyboard(qtbot, dashboard) -> None:  # type: ignore[no-untyped-def]
    _window, page = dashboard
    chart = page.charts["by_stage"]
    chart.plot.setFocus()
    target = chart.categories.index("Graduated")
    for _ in range(target + 1):
        qtbot.keyClick(chart.plot, Qt.Key.Key_Right)
    assert chart.selected == target
    assert "Graduated: 1" in chart.plot.toolTip()
    qtbot.keyClick(chart.plot, Qt.Key.Key_Return)
    assert page.drill.names() == ["Ben Test"]


def test_leaving_frees_a_large_snapshot_and_numbers_survive(  # type: ignore[no-untyped-def]
    qtbot, dashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    window, page = dashboard
    monkeypatch.setattr(dashboard_page, "SNAPSHOT_KEEP_MAX", 4)  # 5 participants: "large"
    assert page.dataset is not None
    window.show_screen("participants")
    assert page.dataset is None and window.session.snapshot is None  # memory released
    window.show_screen("dashboard")
    assert page.tiles["employment_rate"].value.text() == "67%"
    qtbot.mouseClick(page.tiles["employment_rate"], Qt.MouseButton.LeftButton)
    assert page.drill.names() == ["Ana Test", "Eve Test"]
    page.program.setCurrentIndex(page.program.findText("Pipeline"))  # reloads
    assert page.tiles["participants_total"].value.text() == "3"


def test_small_tracker_keeps_its_snapshot_and_a_save_rereads_only_what_changed(  # type: ignore[no-untyped-def]
    qtbot, dashboard, repo: Repository
) -> None:
    window, page = dashboard
    kept = page.dataset
    assert kept is not None and window.session.snapshot is kept
    window.show_screen("participants")
    assert page.dataset is kept  # 5 participants: kept while the dashboard is hidden
    with repo.transaction() as tx:
        person = repo.rows("participants")[0]["id"]
        tx.insert("jobs", {"participant_id": person, "started_on": AS_OF, "hourly_wage": 30.0})
    window.session.notify("participants")
    window.show_screen("dashboard")
    assert page.dataset is not kept
    assert page.dataset.participants is kept.participants  # not read again
    assert len(page.dataset.jobs) == len(kept.jobs) + 1  # the changed table was


def test_snapshot_read_ahead_after_unlock_serves_the_first_open(  # type: ignore[no-untyped-def]
    qtbot, vault: Vault, repo: Repository, synchronous_tasks: None
) -> None:
    build(repo)
    window = open_main_window(qtbot, vault, "Program Director")
    session = window.session
    session.read_ahead_snapshot()  # the controller does this shortly after the unlock
    ahead = session.snapshot
    assert ahead is not None and not session.snapshot_loading
    page = window.show_screen("dashboard")
    assert page.dataset is ahead  # nothing changed since: no second read of the file
    assert page.tiles["participants_total"].value.text() == "6"  # as of today: Fay too
    session.lock()
    assert session.snapshot is None  # nothing of the file stays in memory after a lock
