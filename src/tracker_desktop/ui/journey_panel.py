"""The "Journey" tab of a participant record: stage timeline, moving on (with the trigger
check and an audited override), exit, assessments and the weekly hours log."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import journey
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.journey_common import (
    date_edit,
    fill_row,
    fmt_day,
    from_qdate,
    hours,
    money,
    readonly_table,
    selected_key,
    to_qdate,
)
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.widgets import error_label, hint_label

TIMELINE_COLUMNS = ("Stage", "Season", "Started", "Ended", "Days", "Expected", "Note")
ASSESSMENT_COLUMNS = ("Level", "Station", "Kind", "Date", "Score", "Result")
HOURS_COLUMNS = ("Week of", "Stage", "Paid shift h", "Cap", "Paid PD h", "Cap", "Warning")
FOLLOWUP_COLUMNS = (
    "Due",
    "Check-in",
    "Status",
    "Date",
    "Employed",
    "Employer",
    "Wage",
    "Public benefits",
    "Notes",
)
WARNING_COLOR = QColor("#8a5a00")


class MoveDialog(QDialog):
    """Move to the next stage: pick the stage and date; if the trigger is not met, the
    missing items are listed and a reason is required to override."""

    def __init__(
        self,
        current: str | None,
        choices: list[journey.Stage],
        check: journey.TriggerCheck | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move to next stage")
        self.setMinimumWidth(520)
        self.check = check
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Current stage", QLabel(current or "not started"))
        self.target = QComboBox()
        self.target.setAccessibleName("Next stage")
        for stage in choices:
            self.target.addItem(stage.name)
        form.addRow("Move to", self.target)
        self.on = date_edit(None, "Date of the move")
        form.addRow("Date", self.on)
        layout.addLayout(form)
        self.missing = QLabel()
        self.missing.setObjectName("warning")
        self.missing.setWordWrap(True)
        self.missing.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.missing)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Override reason")
        self.reason.setPlaceholderText(
            "Why move on anyway? e.g. 'Skill assessed on shift by chef, paperwork to follow'"
        )
        self.reason.setFixedHeight(70)
        self.reason_label = QLabel("<b>Override reason</b> (required, kept in the audit log)")
        layout.addWidget(self.reason_label)
        layout.addWidget(self.reason)
        self.error = error_label()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        needs_override = check is not None and not check.met
        if needs_override and check is not None:
            items = "".join(f"<li>{m}</li>" for m in check.missing)
            self.missing.setText(
                f"<b>Not ready to move on.</b> {check.explanation}:<ul>{items}</ul>"
                "You can still move on with an override."
            )
            self.ok_button.setText("Override and move")
        else:
            text = check.explanation if check else ""
            self.missing.setText(f"Ready to move on. {text}" if check else "")
            self.ok_button.setText("Move")
        self.reason.setVisible(needs_override)
        self.reason_label.setVisible(needs_override)
        self.needs_override = needs_override

    def override_reason(self) -> str | None:
        text = self.reason.toPlainText().strip()
        return text or None

    def _accept(self) -> None:
        if self.needs_override and not self.override_reason():
            self.error.setText("Give a reason for the override, or press Cancel.")
            self.reason.setFocus()
            return
        self.accept()


class ExitDialog(QDialog):
    def __init__(
        self,
        reasons: list[str],
        days: list[int],
        parent: QWidget | None = None,
        on: date | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Exit from the program")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.on = date_edit(on, "Exit date")
        form.addRow("Exit date", self.on)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.setAccessibleName("Exit reason")
        self.reason.addItems(reasons)
        self.reason.setCurrentIndex(-1)
        if reason:
            self.reason.setCurrentText(reason)
        self.reason.lineEdit().setPlaceholderText("Choose or type a reason")
        form.addRow("Reason", self.reason)
        layout.addLayout(form)
        layout.addWidget(
            hint_label(
                "Follow-up calls are scheduled automatically at "
                + ", ".join(str(d) for d in days)
                + " days after the exit date."
            )
        )
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record exit")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        if not self.reason.currentText().strip():
            self.error.setText("Choose an exit reason.")
            return
        self.accept()


class AssessmentDialog(QDialog):
    def __init__(
        self,
        stages: list[journey.Stage],
        values: dict[str, object] | None = None,
        default_stage: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit assessment" if values else "Add assessment")
        self.stages = {s.name: s for s in stages}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.stage = QComboBox()
        self.stage.setAccessibleName("Level")
        for stage in stages:
            if stage.trigger == journey.TRIGGER_PASS_ALL or stage.stations:
                self.stage.addItem(stage.name)
        form.addRow("Level", self.stage)
        self.station = QSpinBox()
        self.station.setAccessibleName("Station")
        self.station.setRange(1, 50)
        form.addRow("Station", self.station)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind")
        self.kind.addItem("Knowledge", "knowledge")
        self.kind.addItem("Skill", "skill")
        form.addRow("Kind", self.kind)
        self.on = date_edit(None, "Date of the assessment")
        form.addRow("Date", self.on)
        self.score = QDoubleSpinBox()
        self.score.setAccessibleName("Score")
        self.score.setRange(-1, 100)
        self.score.setDecimals(1)
        self.score.setSpecialValueText("no score")
        self.score.setValue(-1)
        form.addRow("Score (0-100)", self.score)
        self.passed = QComboBox()
        self.passed.setAccessibleName("Result")
        self.passed.addItem("Passed", True)
        self.passed.addItem("Not passed", False)
        form.addRow("Result", self.passed)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.stage.currentTextChanged.connect(self._stage_changed)
        if default_stage and self.stage.findText(default_stage) >= 0:
            self.stage.setCurrentText(default_stage)
        self._stage_changed(self.stage.currentText())
        if values:
            self.stage.setCurrentText(str(values["stage"]))
            self.station.setValue(int(values["station"]))  # type: ignore[call-overload]
            self.kind.setCurrentIndex(0 if values["kind"] == "knowledge" else 1)
            assessed = values["assessed_on"]
            if isinstance(assessed, date):
                self.on.setDate(to_qdate(assessed))
            score = values.get("score")
            self.score.setValue(-1 if score is None else float(score))  # type: ignore[arg-type]
            self.passed.setCurrentIndex(0 if values["passed"] else 1)

    def _stage_changed(self, name: str) -> None:
        stage = self.stages.get(name)
        self.station.setMaximum(stage.stations if stage and stage.stations else 50)

    def values(self) -> dict[str, object]:
        score = self.score.value()
        return {
            "stage": self.stage.currentText(),
            "station": self.station.value(),
            "kind": self.kind.currentData(),
            "assessed_on": from_qdate(self.on.date()),
            "score": None if score < 0 else score,
            "passed": bool(self.passed.currentData()),
        }


class JourneyPanel(QWidget):
    """A participant record tab.  Every action saves at once in its own audited
    transaction, so there is never anything unsaved here."""

    def __init__(self, session: Session, participant_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.participant_id = participant_id
        self._stages: list[journey.Stage] = []
        layout = QVBoxLayout(self)

        head = QHBoxLayout()
        self.status = QLabel()
        self.status.setObjectName("journeyStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        head.addWidget(self.status, 1)
        self.move_button = QPushButton("Move to next stage…")
        self.move_button.setObjectName("primary")
        self.move_button.clicked.connect(self.move_clicked)
        head.addWidget(self.move_button)
        self.exit_button = QPushButton("Exit…")
        self.exit_button.clicked.connect(self.exit_clicked)
        head.addWidget(self.exit_button)
        layout.addLayout(head)
        self.readiness = QLabel()
        self.readiness.setObjectName("journeyReadiness")
        self.readiness.setWordWrap(True)
        layout.addWidget(self.readiness)

        self.timeline = readonly_table(TIMELINE_COLUMNS, "Journey timeline")
        self.timeline.setMinimumHeight(120)
        self.timeline.setMaximumHeight(230)
        layout.addWidget(self.timeline, 1)
        self.message = hint_label()
        self.message.setObjectName("journeyMessage")
        layout.addWidget(self.message)

        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 3)
        # Assessments.
        page = QWidget()
        page_layout = QVBoxLayout(page)
        self.assessments = readonly_table(ASSESSMENT_COLUMNS, "Assessments")
        self.assessments.doubleClicked.connect(lambda _i: self.edit_assessment())
        page_layout.addWidget(self.assessments)
        row = QHBoxLayout()
        self.add_assessment_button = QPushButton("Add assessment…")
        self.add_assessment_button.clicked.connect(self.add_assessment)
        self.edit_assessment_button = QPushButton("Edit…")
        self.edit_assessment_button.clicked.connect(self.edit_assessment)
        self.remove_assessment_button = QPushButton("Remove")
        self.remove_assessment_button.clicked.connect(self.remove_assessment)
        for button in (
            self.add_assessment_button,
            self.edit_assessment_button,
            self.remove_assessment_button,
        ):
            row.addWidget(button)
        row.addStretch(1)
        page_layout.addLayout(row)
        self.tabs.addTab(page, "Assessments")
        # Weekly hours.
        page = QWidget()
        page_layout = QVBoxLayout(page)
        entry = QHBoxLayout()
        entry.addWidget(QLabel("Week of"))
        self.week = date_edit(None, "Week of")
        entry.addWidget(self.week)
        entry.addWidget(QLabel("Paid shift hours"))
        self.shift_hours = QDoubleSpinBox()
        self.shift_hours.setAccessibleName("Paid shift hours")
        self.shift_hours.setRange(0, journey.MAX_WEEK_HOURS)
        self.shift_hours.setDecimals(1)
        entry.addWidget(self.shift_hours)
        entry.addWidget(QLabel("Paid PD hours"))
        self.pd_hours = QDoubleSpinBox()
        self.pd_hours.setAccessibleName("Paid personal-development hours")
        self.pd_hours.setRange(0, journey.MAX_WEEK_HOURS)
        self.pd_hours.setDecimals(1)
        entry.addWidget(self.pd_hours)
        self.log_button = QPushButton("Log week")
        self.log_button.clicked.connect(self.log_hours)
        entry.addWidget(self.log_button)
        self.remove_hours_button = QPushButton("Remove week")
        self.remove_hours_button.clicked.connect(self.remove_hours)
        entry.addWidget(self.remove_hours_button)
        entry.addStretch(1)
        page_layout.addLayout(entry)
        self.hours_warning = QLabel()
        self.hours_warning.setObjectName("warning")
        self.hours_warning.setWordWrap(True)
        page_layout.addWidget(self.hours_warning)
        self.hours = readonly_table(HOURS_COLUMNS, "Weekly hours")
        page_layout.addWidget(self.hours)
        self.tabs.addTab(page, "Weekly hours")
        # Follow-ups after exit.
        page = QWidget()
        page_layout = QVBoxLayout(page)
        self.followups_hint = hint_label()
        page_layout.addWidget(self.followups_hint)
        self.followups = readonly_table(FOLLOWUP_COLUMNS, "Follow-ups")
        page_layout.addWidget(self.followups)
        row = QHBoxLayout()
        self.reopen_button = QPushButton("Reopen")
        self.reopen_button.setToolTip(
            "Put a recorded follow-up back to due (a result entered by mistake)"
        )
        self.reopen_button.clicked.connect(self.reopen_followup)
        row.addWidget(self.reopen_button)
        row.addStretch(1)
        page_layout.addLayout(row)
        self.tabs.addTab(page, "Follow-ups")
        self.refresh()

    # -- helpers -------------------------------------------------------------------------
    def _repo(self) -> Repository:
        return self.session.require_repo()

    def _changed(self, message: str) -> None:
        self.message.setText(message)
        self.refresh()
        self.session.notify("participants")

    def has_unsaved_changes(self) -> bool:
        return False

    def _record_window(self) -> QWidget | None:
        """The participant record this tab sits in (it shows the exit fields too)."""
        widget = self.parentWidget()
        while widget is not None and not hasattr(widget, "open_participant"):
            widget = widget.parentWidget()
        return widget

    def _sync_record_form(self, was_clean: bool) -> None:
        """Show an exit made here in the record form's Exit date / reason fields, so that
        saving the form later does not write the old values back over it."""
        record = self._record_window()
        fields = getattr(record, "fields", None)
        if record is None or not isinstance(fields, dict):
            return
        enrollment = journey.current_enrollment(self._repo(), self.participant_id)
        for key in ("exited_on", "exit_reason"):
            field = fields.get(key)
            if field is not None and callable(getattr(field, "set_value", None)):
                value = enrollment.get(key) if enrollment else None
                field.set_value(value.isoformat() if isinstance(value, date) else value)
        comparable = getattr(record, "_comparable", None)
        if was_clean and callable(comparable) and hasattr(record, "_baseline"):
            record._baseline = comparable()  # type: ignore[attr-defined]

    def _record_was_clean(self) -> bool:
        record = self._record_window()
        check = getattr(record, "has_unsaved_changes", None)
        return not (callable(check) and check())

    def save(self) -> bool:
        return True

    def clear(self) -> None:
        for table in (self.timeline, self.assessments, self.hours):
            table.setRowCount(0)
        self.status.clear()
        self.readiness.clear()
        self.message.clear()

    # -- display -------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.session.is_open:
            return
        repo = self._repo()
        self._stages = journey.list_stages(repo)
        spans = journey.timeline(repo, self.participant_id)
        enrollment = journey.current_enrollment(repo, self.participant_id)
        self.timeline.setRowCount(len(spans))
        for row, span in enumerate(spans):
            notes = []
            if span.override_reason:
                notes.append(f"Override: {span.override_reason}")
            if span.longer_than_expected:
                notes.append("longer than expected")
            fill_row(
                self.timeline,
                row,
                (
                    span.stage,
                    span.season or "",
                    fmt_day(span.started_on),
                    fmt_day(span.ended_on) if span.ended_on else "current",
                    span.days,
                    span.expected_length or "",
                    "; ".join(notes),
                ),
                key=span.id,
                align_right=(4,),
            )
            if span.longer_than_expected:
                item = self.timeline.item(row, 4)
                if item is not None:
                    item.setForeground(WARNING_COLOR)
        current = next((s for s in reversed(spans) if s.ended_on is None), None)
        exited = enrollment is not None and enrollment["exited_on"] is not None
        choices = journey.next_stage_choices(self._stages, current.stage if current else None)
        if exited and enrollment is not None:
            self.status.setText(
                f"<b>Exited</b> {fmt_day(enrollment['exited_on'])} — "
                f"{enrollment['exit_reason'] or 'no reason given'}"
            )
            self.readiness.setText("")
            self.exit_button.setText("Undo exit…")
        elif current is not None:
            stage = journey.stage_named(self._stages, current.stage)
            extra = []
            if stage and stage.season:
                extra.append(stage.season)
            if stage and stage.expected_length:
                extra.append(f"expected {stage.expected_length}")
            if stage and (stage.shift_hours_cap or stage.pd_hours_cap):
                extra.append(
                    f"up to {hours(stage.shift_hours_cap) or '–'} h shift + "
                    f"{hours(stage.pd_hours_cap) or '–'} h PD a week"
                )
            self.status.setText(
                f"<b>{current.stage}</b> since {fmt_day(current.started_on)} "
                f"({current.days} days)" + (f" · {' · '.join(extra)}" if extra else "")
            )
            check = journey.check_trigger(repo, self.participant_id, current.stage)
            if not choices:
                self.readiness.setText("This is the last stage of the journey.")
            elif check.met:
                self.readiness.setText(f"Ready to move on. {check.explanation}.")
            else:
                self.readiness.setText(
                    f"Not ready to move on: {len(check.missing)} of {check.required} "
                    f"{current.stage} assessments still to pass ("
                    + ", ".join(check.short[:6])
                    + (", …" if len(check.short) > 6 else "")
                    + ")."
                )
            self.exit_button.setText("Exit…")
        else:
            self.status.setText("<b>Not started</b> — no stage recorded yet.")
            self.readiness.setText("")
            self.exit_button.setText("Exit…")
        self.move_button.setVisible(bool(choices) and not exited)
        self.move_button.setText(
            "Start the journey…" if current is None and not spans else "Move to next stage…"
        )
        self.exit_button.setEnabled(enrollment is not None)
        self._fill_assessments(repo)
        self._fill_hours(repo)
        self._fill_followups(repo, exited)

    def _fill_followups(self, repo: Repository, exited: bool) -> None:
        rows = journey.participant_followups(repo, self.participant_id)
        if rows:
            self.followups_hint.setText(
                "Results are recorded on the Follow-ups screen (Ctrl+3). Benefits are "
                "compared with those received at entry."
            )
        elif exited:
            self.followups_hint.setText("No follow-ups are scheduled.")
        else:
            days = ", ".join(str(d) for d in journey.followup_days(repo))
            self.followups_hint.setText(
                f"Follow-ups are scheduled when the participant exits ({days} days after)."
            )
        self.followups.setRowCount(len(rows))
        for index, row in enumerate(rows):
            employed = {True: "Yes", False: "No"}.get(row["employed"], "")
            benefits = ""
            if row["status"] != "due":
                comparison = journey.benefits_comparison(repo, int(row["id"]))
                if comparison.at_followup is not None:
                    benefits = ", ".join(comparison.at_followup) or "none"
                    if comparison.stopped:
                        benefits += f" (stopped {', '.join(comparison.stopped)})"
            fill_row(
                self.followups,
                index,
                (
                    fmt_day(row["due_on"]),
                    f"{row['days_after_exit']} days",
                    journey.FOLLOWUP_STATUS_LABELS.get(row["status"], row["status"]),
                    fmt_day(row["done_on"]),
                    employed,
                    row["employer"] or "",
                    money(row["hourly_wage"]),
                    benefits,
                    row["notes"] or "",
                ),
                key=row["id"],
                align_right=(6,),
            )

    def _fill_assessments(self, repo: Repository) -> None:
        rows = journey.list_assessments(repo, self.participant_id)
        self.assessments.setRowCount(len(rows))
        for index, row in enumerate(rows):
            fill_row(
                self.assessments,
                index,
                (
                    row["stage"],
                    row["station"],
                    str(row["kind"]).capitalize(),
                    fmt_day(row["assessed_on"]),
                    "" if row["score"] is None else f"{row['score']:g}",
                    "Passed" if row["passed"] else "Not passed",
                ),
                key=row["id"],
                align_right=(1, 4),
            )
            if not row["passed"]:
                item = self.assessments.item(index, 5)
                if item is not None:
                    item.setForeground(QColor("#b3261e"))

    def _fill_hours(self, repo: Repository) -> None:
        weeks = journey.list_weekly_hours(repo, self.participant_id)
        self.hours.setRowCount(len(weeks))
        for index, week in enumerate(weeks):
            fill_row(
                self.hours,
                index,
                (
                    fmt_day(week.week_start),
                    week.stage or "",
                    hours(week.shift_hours),
                    hours(week.shift_cap),
                    hours(week.pd_hours),
                    hours(week.pd_cap),
                    "; ".join(week.warnings),
                ),
                key=week.id,
                align_right=(2, 3, 4, 5),
            )
            if week.warnings:
                for column in (2, 4, 6):
                    item = self.hours.item(index, column)
                    if item is not None:
                        item.setForeground(WARNING_COLOR)

    # -- actions ---------------------------------------------------------------------------
    def move_clicked(self) -> None:
        repo = self._repo()
        current = journey.current_stage(repo, self.participant_id)
        choices = journey.next_stage_choices(self._stages, current.stage if current else None)
        if not choices:
            return
        check = journey.check_trigger(repo, self.participant_id, current.stage) if current else None
        dialog = MoveDialog(current.stage if current else None, choices, check, self)
        self._last_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.do_move(
            from_qdate(dialog.on.date()), dialog.target.currentText(), dialog.override_reason()
        )

    def do_move(self, on: date, target: str, reason: str | None) -> bool:
        repo = self._repo()
        try:
            with repo.transaction() as tx:
                result = journey.move_to_next_stage(
                    tx, self.participant_id, on, target, override_reason=reason
                )
        except journey.JourneyError as exc:
            QMessageBox.warning(self, "Cannot move on", str(exc))
            return False
        text = f"Moved to {result.to_stage} on {fmt_day(result.started_on)}."
        if result.overridden:
            text += " Override recorded in the audit log."
        self._changed(text)
        stage = journey.stage_named(self._stages, result.to_stage)
        if stage is not None and stage.is_final:
            self._offer_exit(result.to_stage, result.started_on)
        return True

    def _offer_exit(self, stage: str, on: date) -> None:
        """A final stage (Graduated, Shift Lead) usually ends the program: offer the exit."""
        repo = self._repo()
        enrollment = journey.current_enrollment(repo, self.participant_id)
        if enrollment is None or enrollment["exited_on"] is not None:
            return
        answer = QMessageBox.question(
            self,
            "Record the exit?",
            f"{stage} is a final stage of the journey. Record the exit from the program "
            f"on {fmt_day(on)} now? Follow-up calls are then scheduled.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        reasons = repo.options("exit_reasons")
        guess = next(
            (r for r in reasons if r.lower() == stage.lower() or stage.lower() in r.lower()),
            None,
        )
        dialog = ExitDialog(reasons, journey.followup_days(repo), self, on=on, reason=guess)
        self._last_dialog = dialog
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.do_exit(from_qdate(dialog.on.date()), dialog.reason.currentText())

    def exit_clicked(self) -> None:
        repo = self._repo()
        enrollment = journey.current_enrollment(repo, self.participant_id)
        if enrollment is not None and enrollment["exited_on"] is not None:
            answer = QMessageBox.question(
                self,
                "Undo exit",
                f"Undo the exit of {fmt_day(enrollment['exited_on'])}? Follow-ups not yet "
                "made are removed; results already recorded are kept.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                was_clean = self._record_was_clean()
                with repo.transaction() as tx:
                    journey.cancel_exit(tx, self.participant_id)
                self._sync_record_form(was_clean)
                self._changed("Exit undone.")
            return
        dialog = ExitDialog(repo.options("exit_reasons"), journey.followup_days(repo), self)
        self._last_dialog = dialog
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.do_exit(from_qdate(dialog.on.date()), dialog.reason.currentText())

    def do_exit(self, on: date, reason: str) -> bool:
        repo = self._repo()
        was_clean = self._record_was_clean()
        try:
            with repo.transaction() as tx:
                journey.exit_participant(tx, self.participant_id, on, reason)
        except journey.JourneyError as exc:
            QMessageBox.warning(self, "Cannot record the exit", str(exc))
            return False
        self._sync_record_form(was_clean)
        due = journey.participant_followups(repo, self.participant_id)
        pending = [f for f in due if f["status"] == "due"]
        first = f" (first due {fmt_day(pending[0]['due_on'])})" if pending else ""
        self._changed(
            f"Exit recorded on {fmt_day(on)}. {len(pending)} follow-ups scheduled{first}."
        )
        return True

    def _assessment_dialog(self, values: dict[str, object] | None) -> AssessmentDialog:
        current = journey.current_stage(self._repo(), self.participant_id)
        dialog = AssessmentDialog(self._stages, values, current.stage if current else None, self)
        self._last_dialog = dialog
        return dialog

    def add_assessment(self) -> None:
        dialog = self._assessment_dialog(None)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            if self.save_assessment(dialog.values(), None, dialog):
                return

    def edit_assessment(self) -> None:
        key = selected_key(self.assessments)
        if key is None:
            self.message.setText("Select an assessment to edit.")
            return
        values = self._repo().get("assessments", int(key))  # type: ignore[call-overload]
        dialog = self._assessment_dialog(values)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            if self.save_assessment(dialog.values(), int(key), dialog):  # type: ignore[call-overload]
                return

    def save_assessment(
        self,
        values: dict[str, object],
        assessment_id: int | None,
        dialog: AssessmentDialog | None = None,
    ) -> bool:
        try:
            with self._repo().transaction() as tx:
                journey.save_assessment(tx, self.participant_id, values, assessment_id)
        except journey.JourneyError as exc:
            if dialog is not None:
                dialog.error.setText(str(exc))
            else:
                self.message.setText(str(exc))
            return False
        result = "passed" if values["passed"] else "not passed"
        self._changed(
            f"Saved {values['stage']}, station {values['station']} {values['kind']} "
            f"assessment ({result})."
        )
        return True

    def remove_assessment(self) -> None:
        key = selected_key(self.assessments)
        if key is None:
            self.message.setText("Select an assessment to remove.")
            return
        answer = QMessageBox.question(self, "Remove assessment", "Remove this assessment?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        with self._repo().transaction() as tx:
            tx.delete("assessments", int(key))  # type: ignore[call-overload]
        self._changed("Assessment removed.")

    def log_hours(self) -> None:
        day = from_qdate(self.week.date())
        try:
            with self._repo().transaction() as tx:
                warnings = journey.log_weekly_hours(
                    tx, self.participant_id, day, self.shift_hours.value(), self.pd_hours.value()
                )
        except journey.JourneyError as exc:
            self.hours_warning.setText(str(exc))
            return
        monday = journey.week_start(day)
        if warnings:
            self.hours_warning.setText(
                f"Saved the week of {fmt_day(monday)}, but: " + "; ".join(warnings) + "."
            )
        else:
            self.hours_warning.setText("")
        self._changed(f"Hours saved for the week of {fmt_day(monday)}.")

    def reopen_followup(self) -> None:
        key = selected_key(self.followups)
        if key is None:
            self.message.setText("Select a follow-up to reopen.")
            return
        followup_id = int(str(key))
        if self._repo().get("followups", followup_id)["status"] == "due":
            self.message.setText("That follow-up is still due; record it on the Follow-ups screen.")
            return
        answer = QMessageBox.question(
            self, "Reopen follow-up", "Clear the recorded result and put it back to due?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        with self._repo().transaction() as tx:
            journey.reopen_followup(tx, followup_id)
        self._changed("Follow-up reopened.")

    def remove_hours(self) -> None:
        key = selected_key(self.hours)
        if key is None:
            self.hours_warning.setText("Select a week to remove.")
            return
        with self._repo().transaction() as tx:
            tx.delete("weekly_hours", int(key))  # type: ignore[call-overload]
        self._changed("Week removed.")
