"""Hostile input typed into the participant form: Save refuses with an inline message next to
the field, nothing typed is lost, and what is saved comes back exactly as typed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import PASSWORD
from tests.ui.test_participants_ui import choose, field, make_page, show_tab, type_into
from tracker_desktop.core import participants as P
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.participants_page import ParticipantsPage
from tracker_desktop.ui.unlock_dialog import UnlockDialog

__all__ = ["make_page"]  # the fixture, re-used from the Participants tests


def _fill_minimum(
    qtbot: QtBot, page: ParticipantsPage, first: str = "Ana", last: str = "Rivera"
) -> None:
    type_into(qtbot, field(page, "first_name"), first)
    type_into(qtbot, field(page, "last_name"), last)
    show_tab(page, "Enrollment")
    choose(qtbot, field(page, "program"), "Pipeline")
    type_into(qtbot, field(page, "enrolled_on"), "2024-01-03")


def _add_job(qtbot: QtBot, page: ParticipantsPage) -> None:
    show_tab(page, "Employment")
    qtbot.mouseClick(page.record.jobs.add_button, Qt.MouseButton.LeftButton)
    type_into(qtbot, page.record.jobs.fields["employer"].input, "Cafe")


def test_wage_that_is_not_a_finite_amount_is_refused_and_kept(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    page = make_page(repo)
    page.new_participant()
    record = page.record
    _fill_minimum(qtbot, page)
    _add_job(qtbot, page)
    wage = record.jobs.fields["hourly_wage"]
    # "1,5" was saved as 15.00; "1e400" and "inf" as an infinite wage; "nan" silently blank
    for typed in ("1,5", "1e400", "inf", "nan", "12,34"):
        type_into(qtbot, wage.input, typed)
        assert not record.save(), typed
        assert record.message.text().startswith("Not saved:")
        assert wage.message.text() == f"Hourly wage must be an amount like 14.50 (got {typed})"
        assert wage.input.text() == typed  # nothing typed is lost
        assert repo.count("participants") == 0
    type_into(qtbot, wage.input, "$1,234.50")  # real thousands grouping still reads
    assert record.save(), record.message.text()
    assert P.load_participant(repo, record.participant_id).jobs[0]["hourly_wage"] == 1234.5


def test_progress_and_gpa_not_finite_are_refused(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    page = make_page(repo)
    page.new_participant()
    record = page.record
    _fill_minimum(qtbot, page)
    type_into(qtbot, field(page, "progress_pct"), "nan")
    assert not record.save()
    assert "(got nan)" in record.fields["progress_pct"].message.text()
    assert field(page, "progress_pct").text() == "nan"
    assert repo.count("participants") == 0


def test_future_birth_date_is_refused_inline(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    page = make_page(repo)
    page.new_participant()
    _fill_minimum(qtbot, page)
    show_tab(page, "Profile")
    type_into(qtbot, field(page, "date_of_birth"), "2999-01-01")
    assert not page.record.save()
    assert page.record.fields["date_of_birth"].message.text() == (
        "Date of birth (2999-01-01) is after today"
    )
    assert field(page, "date_of_birth").text() == "2999-01-01"
    assert repo.count("participants") == 0


def test_very_long_and_formula_names_save_exactly_and_keep_save_reachable(
    qtbot: QtBot, make_page: Callable, repo: Repository
) -> None:
    page = make_page(repo)
    page.resize(1200, 700)
    page.new_participant()
    record = page.record
    formula = '=HYPERLINK("http://evil","x")'
    long_name = "Wolfeschlegelsteinhausenbergerdorff" * 10
    _fill_minimum(qtbot, page, first=formula, last=long_name)
    assert record.save(), record.message.text()
    profile = P.load_participant(repo, record.participant_id).profile
    assert (profile["first_name"], profile["last_name"]) == (formula, long_name)
    assert record.title.toolTip() == f"{formula} {long_name}"
    # the 380-character title used to make the window ~2,900 px wide: Save went off-screen
    assert record.minimumSizeHint().width() < 1200
    page.resize(1200, 700)
    qtbot.waitUntil(lambda: page.width() == 1200)
    right = record.save_button.mapTo(page, record.save_button.rect().topRight()).x()
    assert right <= page.width()


@pytest.mark.usefixtures("synchronous_tasks")
def test_unlock_refuses_a_tracker_damaged_behind_the_first_page(
    qtbot: QtBot, tmp_path: Path, demo_file: Path
) -> None:
    path = tmp_path / "damaged.tracker"
    data = bytearray(demo_file.read_bytes())
    data[4096:4160] = bytes(b ^ 0x55 for b in data[4096:4160])  # page 2; the header is fine
    path.write_bytes(bytes(data))
    dialog = UnlockDialog(path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    # it used to unlock, then every screen raised "database disk image is malformed"
    assert dialog.vault is None
    assert dialog.error.text().startswith("damaged.tracker is damaged:")
    assert "Nothing was changed" in dialog.error.text()
    assert dialog.unlock_button.isEnabled()
    assert path.read_bytes() == bytes(data)
