"""The Journey record tab, driven through its real widgets on a real encrypted file."""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tests.ui.journey_helpers import open_session, set_date, when_modal
from tracker_desktop.core import journey
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.journey_panel import AssessmentDialog, ExitDialog, JourneyPanel, MoveDialog

L1 = "Apprentice Level 1"


def _panel(qtbot: QtBot, repo: Repository, pid: int) -> JourneyPanel:
    panel = JourneyPanel(open_session(repo), pid)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    return panel


def _to_stage(repo: Repository, pid: int, stage: str) -> None:
    day = date(2024, 1, 3)
    with repo.transaction() as tx:
        journey.move_to_next_stage(tx, pid, day)
        while journey.current_stage(tx, pid).stage != stage:  # type: ignore[union-attr]
            day += timedelta(days=7)
            journey.move_to_next_stage(tx, pid, day, override_reason="setup")


def _column(table: object, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]  # type: ignore[attr-defined]


def _press(dialog: QWidget, qtbot: QtBot, which: QDialogButtonBox.StandardButton) -> None:
    box = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(which), Qt.MouseButton.LeftButton)


def test_move_with_met_trigger_needs_no_reason(qtbot: QtBot, repo: Repository) -> None:
    pid = add_participant(repo)
    _to_stage(repo, pid, "Orientation")
    panel = _panel(qtbot, repo, pid)
    assert "Orientation" in panel.status.text()
    seen: dict[str, object] = {}
    failures: list[BaseException] = []

    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, MoveDialog)
        seen["reason_visible"] = dialog.reason.isVisible()
        seen["text"] = dialog.missing.text()
        set_date(dialog.on, date(2024, 1, 17))
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)

    when_modal(act, failures)
    qtbot.mouseClick(panel.move_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert seen["reason_visible"] is False
    assert "Ready to move on" in str(seen["text"])
    assert _column(panel.timeline, 0) == ["Intake", "Orientation", L1]
    assert _column(panel.timeline, 3)[-1] == "current"
    assert "Moved to Apprentice Level 1 on 17 Jan 2024" in panel.message.text()
    # Level 1 needs its assessments: the tab says what is missing.
    assert "6 of 6 Apprentice Level 1 assessments still to pass" in panel.readiness.text()


def test_move_with_unmet_trigger_requires_and_audits_override(
    qtbot: QtBot, repo: Repository
) -> None:
    pid = add_participant(repo)
    _to_stage(repo, pid, L1)
    with repo.transaction() as tx:
        for station in (1, 2, 3):
            for kind in ("knowledge", "skill"):
                if (station, kind) != (2, "skill"):
                    journey.save_assessment(
                        tx,
                        pid,
                        {
                            "stage": L1,
                            "station": station,
                            "kind": kind,
                            "assessed_on": date(2024, 4, 1),
                            "score": 90,
                            "passed": True,
                        },
                    )
    panel = _panel(qtbot, repo, pid)
    assert "station 2 skill" in panel.readiness.text()
    seen: dict[str, object] = {}
    failures: list[BaseException] = []

    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, MoveDialog)
        seen["missing"] = dialog.missing.text()
        set_date(dialog.on, date(2024, 5, 20))
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)  # no reason yet
        seen["error"] = dialog.error.text()
        seen["still_open"] = dialog.isVisible()
        qtbot.keyClicks(dialog.reason, "Skill checked on shift by the chef")
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)

    when_modal(act, failures)
    qtbot.mouseClick(panel.move_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert "Apprentice Level 1, station 2 skill assessment not passed" in str(seen["missing"])
    assert "Give a reason" in str(seen["error"]) and seen["still_open"] is True
    assert _column(panel.timeline, 0)[-1] == "Apprentice Level 2"
    assert _column(panel.timeline, 6)[-1].startswith("Override: Skill checked on shift by the chef")
    assert "Override recorded in the audit log" in panel.message.text()
    overrides = [e for e in repo.audit_entries(participant_id=pid) if e.action == "override"]
    assert [o.reason for o in overrides if "chef" in (o.reason or "")] == [
        "Override: Skill checked on shift by the chef"
    ]


def test_cancelling_the_move_changes_nothing(qtbot: QtBot, repo: Repository) -> None:
    pid = add_participant(repo)
    _to_stage(repo, pid, L1)
    panel = _panel(qtbot, repo, pid)
    failures: list[BaseException] = []
    when_modal(lambda d: _press(d, qtbot, QDialogButtonBox.StandardButton.Cancel), failures)
    qtbot.mouseClick(panel.move_button, Qt.MouseButton.LeftButton)
    assert not failures
    assert journey.current_stage(repo, pid).stage == L1  # type: ignore[union-attr]


def test_add_assessment_through_dialog(qtbot: QtBot, repo: Repository) -> None:
    pid = add_participant(repo)
    _to_stage(repo, pid, L1)
    panel = _panel(qtbot, repo, pid)
    failures: list[BaseException] = []

    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, AssessmentDialog)
        assert dialog.stage.currentText() == L1  # defaults to the current stage
        dialog.station.clear()
        qtbot.keyClicks(dialog.station, "2")
        dialog.kind.setCurrentIndex(1)  # skill
        set_date(dialog.on, date(2024, 3, 5))
        dialog.score.clear()
        qtbot.keyClicks(dialog.score, "62")
        dialog.passed.setCurrentIndex(1)  # not passed
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Save)

    when_modal(act, failures)
    qtbot.mouseClick(panel.add_assessment_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert [panel.assessments.item(0, c).text() for c in range(6)] == [
        L1,
        "2",
        "Skill",
        "5 Mar 2024",
        "62",
        "Not passed",
    ]
    row = repo.rows("assessments", pid)[0]
    assert (row["station"], row["kind"], row["score"], row["passed"]) == (2, "skill", 62, False)


def test_weekly_hours_over_cap_shows_warning(qtbot: QtBot, repo: Repository) -> None:
    pid = add_participant(repo)
    _to_stage(repo, pid, L1)  # Level 1 caps: 20 h shift, 5 h PD
    panel = _panel(qtbot, repo, pid)
    panel.tabs.setCurrentIndex(1)
    set_date(panel.week, date(2024, 2, 8))
    panel.shift_hours.clear()
    qtbot.keyClicks(panel.shift_hours, "22")
    panel.pd_hours.clear()
    qtbot.keyClicks(panel.pd_hours, "4")
    qtbot.mouseClick(panel.log_button, Qt.MouseButton.LeftButton)
    assert "22 paid shift hours is over the Apprentice Level 1 cap of 20 h/week" in (
        panel.hours_warning.text()
    )
    assert [panel.hours.item(0, c).text() for c in range(6)] == [
        "5 Feb 2024",
        L1,
        "22",
        "20",
        "4",
        "5",
    ]
    assert "over the Apprentice Level 1 cap" in panel.hours.item(0, 6).text()
    # Within caps: no warning.
    set_date(panel.week, date(2024, 2, 15))
    panel.shift_hours.clear()
    qtbot.keyClicks(panel.shift_hours, "18")
    qtbot.mouseClick(panel.log_button, Qt.MouseButton.LeftButton)
    assert panel.hours_warning.text() == ""
    assert panel.hours.item(0, 6).text() == ""
    assert len(repo.rows("weekly_hours", pid)) == 2


def test_exit_through_dialog_schedules_followups(qtbot: QtBot, repo: Repository) -> None:
    pid = add_participant(repo)
    _to_stage(repo, pid, L1)
    panel = _panel(qtbot, repo, pid)
    failures: list[BaseException] = []

    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, ExitDialog)
        set_date(dialog.on, date(2024, 9, 30))
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)  # no reason yet
        assert dialog.error.text() == "Choose an exit reason."
        dialog.reason.setCurrentText("Hired elsewhere")
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)

    when_modal(act, failures)
    qtbot.mouseClick(panel.exit_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert "Exited" in panel.status.text() and "Hired elsewhere" in panel.status.text()
    assert "4 follow-ups scheduled (first due 30 Oct 2024)" in panel.message.text()
    assert panel.move_button.isHidden()
    assert journey.participant_followups(repo, pid)[0]["due_on"] == date(2024, 10, 30)
