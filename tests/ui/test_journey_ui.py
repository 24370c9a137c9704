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


# --- Measures & surveys tab ---------------------------------------------------------------
def test_measures_recorded_at_several_time_points_with_chart(
    qtbot: QtBot, repo: Repository
) -> None:
    from tracker_desktop.ui.measures_panel import MeasuresPanel

    pid = add_participant(repo)
    panel = MeasuresPanel(open_session(repo), pid)
    qtbot.addWidget(panel)
    panel.resize(1100, 720)
    panel.show()
    assert panel.chart_widgets == {}
    panel.measure.setCurrentIndex(panel.measure.findText("Capacity to aspire"))
    for point, day, value in (
        ("Entry", date(2024, 1, 3), "2"),
        ("During", date(2024, 5, 1), "3"),
        ("Exit", date(2024, 9, 30), "4"),
        ("Follow-up", date(2024, 12, 29), "5"),
    ):
        panel.time_point.setCurrentText(point)
        set_date(panel.measured_on, day)
        qtbot.keyClicks(panel.value, value)
        qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
        assert panel.value_error.text() == ""
    assert _column(panel.values_table, 1) == ["Entry", "During", "Exit", "Follow-up"]
    assert _column(panel.values_table, 3) == ["2", "3", "4", "5"]
    aspire = next(m for m in journey.list_measures(repo) if m.key == "capacity_to_aspire")
    assert list(panel.chart_widgets) == [aspire.id]
    curve = panel.chart_widgets[aspire.id].getPlotItem().listDataItems()[0]
    assert list(curve.yData) == [2, 3, 4, 5]
    # Out of scale and non-numbers are refused with a message; nothing is saved.
    qtbot.keyClicks(panel.value, "7")
    qtbot.keyClick(panel.value, Qt.Key.Key_Return)
    assert "Capacity to aspire must be 1 to 5 (got 7)" in panel.value_error.text()
    panel.value.clear()
    qtbot.keyClicks(panel.value, "lots")
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert "Enter a number for Capacity to aspire" in panel.value_error.text()
    assert len(repo.rows("measurements", pid)) == 4
    # Wages accept "$15.50".
    panel.measure.setCurrentIndex(panel.measure.findText("Earning power (hourly wage)"))
    panel.value.clear()
    qtbot.keyClicks(panel.value, "$15.50")
    qtbot.mouseClick(panel.record_button, Qt.MouseButton.LeftButton)
    assert "$15.50 /hour" in _column(panel.values_table, 3)


def test_survey_answers_recorded_per_date(qtbot: QtBot, repo: Repository) -> None:
    from tracker_desktop.ui.measures_panel import MeasuresPanel, SurveyDialog

    pid = add_participant(repo)
    panel = MeasuresPanel(open_session(repo), pid)
    qtbot.addWidget(panel)
    panel.show()
    assert panel.no_responses.isVisibleTo(panel)
    failures: list[BaseException] = []

    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, SurveyDialog)
        set_date(dialog.on, date(2024, 3, 1))
        combos = list(dialog.answers.values())
        combos[0].setCurrentText("4")
        combos[2].setCurrentText("Yes")
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Save)

    when_modal(act, failures)
    qtbot.mouseClick(panel.answer_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert [panel.responses.item(0, c).text() for c in range(4)] == ["1 Mar 2024", "4", "—", "Yes"]
    assert not panel.no_responses.isVisibleTo(panel)
    responses = journey.list_survey_responses(repo, pid)
    assert [(r.responded_on, sorted(r.answers.values())) for r in responses] == [
        (date(2024, 3, 1), [1.0, 4.0])
    ]


def test_measures_tab_does_not_import_pyqtgraph_until_drawing() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tracker_desktop.ui.measures_panel, tracker_desktop.ui.journey_panel, "
        "tracker_desktop.ui.followups_page; print('pyqtgraph' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_exit_on_journey_tab_shows_in_record_form_and_survives_its_save(
    qtbot: QtBot, repo: Repository
) -> None:
    from PySide6.QtWidgets import QLineEdit

    from tracker_desktop.ui.participant_record import ParticipantRecord

    pid = add_participant(repo, phone="(555) 201-3344")
    _to_stage(repo, pid, L1)
    record = ParticipantRecord(open_session(repo))
    qtbot.addWidget(record)
    record.resize(1100, 760)
    record.show()
    record.open_participant(pid)
    labels = [record.tabs.tabText(i) for i in range(record.tabs.count())]
    assert "Journey" in labels and "Measures and surveys" in labels
    record.tabs.setCurrentIndex(labels.index("Journey"))
    panel = record.tabs.currentWidget()
    assert isinstance(panel, JourneyPanel)
    failures: list[BaseException] = []

    def act(dialog: QWidget) -> None:
        assert isinstance(dialog, ExitDialog)
        set_date(dialog.on, date(2024, 9, 30))
        dialog.reason.setCurrentText("Hired elsewhere")
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)

    when_modal(act, failures)
    qtbot.mouseClick(panel.exit_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert record.fields["exited_on"].value() == date(2024, 9, 30) or (
        str(record.fields["exited_on"].value()) == "2024-09-30"
    )
    assert not record.has_unsaved_changes()
    # Edit the phone on the form and save: the exit and its follow-ups stay.
    phone = record.fields["phone"].input
    assert isinstance(phone, QLineEdit)
    phone.clear()
    qtbot.keyClicks(phone, "(555) 201-9999")
    assert record.save()
    enrollment = journey.current_enrollment(repo, pid)
    assert enrollment is not None
    assert (enrollment["exited_on"], enrollment["exit_reason"]) == (
        date(2024, 9, 30),
        "Hired elsewhere",
    )
    assert len(journey.participant_followups(repo, pid)) == 4
    assert repo.get("participants", pid)["phone"] == "(555) 201-9999"


def test_followups_tab_shows_results_and_reopens(qtbot: QtBot, repo: Repository) -> None:
    pid = add_participant(repo)
    with repo.transaction() as tx:
        tx.insert("participant_benefits", {"participant_id": pid, "benefit": "SNAP"})
        journey.exit_participant(tx, pid, date(2024, 9, 30), "Graduated")
        first = journey.participant_followups(tx, pid)[0]["id"]
        journey.record_followup(
            tx,
            first,
            journey.FollowUpResult(
                "done", date(2024, 11, 1), True, "Harbor Kitchen", 17.5, [], "Doing well"
            ),
        )
    panel = _panel(qtbot, repo, pid)
    panel.tabs.setCurrentIndex(2)
    assert panel.followups.rowCount() == 4
    assert [panel.followups.item(0, c).text() for c in range(8)] == [
        "30 Oct 2024",
        "30 days",
        "Done",
        "1 Nov 2024",
        "Yes",
        "Harbor Kitchen",
        "$17.50",
        "none (stopped SNAP)",
    ]
    assert panel.followups.item(1, 2).text() == "Due"
    panel.followups.selectRow(0)
    failures: list[BaseException] = []
    when_modal(
        lambda d: qtbot.mouseClick(
            d.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Yes),
            Qt.MouseButton.LeftButton,
        ),
        failures,
    )
    qtbot.mouseClick(panel.reopen_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert panel.followups.item(0, 2).text() == "Due"
    row = repo.get("followups", first)
    assert (row["status"], row["employer"], row["done_on"]) == ("due", None, None)


def test_reaching_a_final_stage_offers_the_exit(qtbot: QtBot, repo: Repository) -> None:
    pid = add_participant(repo)
    _to_stage(repo, pid, "Apprentice Level 3")
    with repo.transaction() as tx:
        for station in range(1, 6):
            for kind in ("knowledge", "skill"):
                journey.save_assessment(
                    tx,
                    pid,
                    {
                        "stage": "Apprentice Level 3",
                        "station": station,
                        "kind": kind,
                        "assessed_on": date(2024, 8, 1),
                        "score": 80,
                        "passed": True,
                    },
                )
    panel = _panel(qtbot, repo, pid)
    failures: list[BaseException] = []
    seen: dict[str, object] = {}

    def exit_dialog(dialog: QWidget) -> None:
        assert isinstance(dialog, ExitDialog)
        seen["reason"] = dialog.reason.currentText()
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)

    def confirm(dialog: QWidget) -> None:
        seen["question"] = dialog.windowTitle()
        when_modal(exit_dialog, failures)
        qtbot.mouseClick(
            dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Yes),
            Qt.MouseButton.LeftButton,
        )

    def move(dialog: QWidget) -> None:
        assert isinstance(dialog, MoveDialog)
        assert [dialog.target.itemText(i) for i in range(dialog.target.count())] == [
            "Graduated",
            "Shift Lead",
        ]
        dialog.target.setCurrentText("Shift Lead")
        set_date(dialog.on, date(2024, 9, 2))
        when_modal(confirm, failures)
        _press(dialog, qtbot, QDialogButtonBox.StandardButton.Ok)

    when_modal(move, failures)
    qtbot.mouseClick(panel.move_button, Qt.MouseButton.LeftButton)
    assert not failures, failures
    assert seen == {"question": "Record the exit?", "reason": "Promoted to Shift Lead"}
    enrollment = journey.current_enrollment(repo, pid)
    assert enrollment is not None
    assert (enrollment["exited_on"], enrollment["exit_reason"]) == (
        date(2024, 9, 2),
        "Promoted to Shift Lead",
    )
    assert _column(panel.timeline, 0)[-1] == "Shift Lead"
    assert _column(panel.timeline, 3)[-1] == "current"  # a final stage stays open
    assert len(journey.participant_followups(repo, pid)) == 4
