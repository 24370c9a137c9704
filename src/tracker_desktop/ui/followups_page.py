"""The Follow-ups screen: alumni calls due this week and overdue, with contact details,
and a quick form to record what the call found."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import journey
from tracker_desktop.core.records import FollowUpStatus
from tracker_desktop.ui.journey_common import (
    date_edit,
    fill_row,
    fmt_day,
    from_qdate,
    readonly_table,
    select_key,
    selected_key,
    to_qdate,
)
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.widgets import error_label, hint_label, page_title

COLUMNS = ("Due", "Participant", "Phone", "Email", "Program", "Check-in")
EMPLOYED_CHOICES = (("Didn't say", None), ("Yes", True), ("No", False))
BENEFIT_CHOICES = ("Didn't ask", "No public benefits now", "Still on public benefits:")


class FollowupsPage(Page):
    title = "Follow-ups"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self._as_of = date.today()
        self._items: dict[int, journey.FollowUpItem] = {}
        self._current: journey.FollowUpItem | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Follow-ups"))
        self.schedule_hint = hint_label()
        layout.addWidget(self.schedule_hint)

        top = QHBoxLayout()
        top.addWidget(QLabel("As of"))
        self.as_of_edit = date_edit(self._as_of, "As of date")
        self.as_of_edit.dateChanged.connect(lambda d: self.set_as_of(from_qdate(d)))
        top.addWidget(self.as_of_edit)
        self.today_button = QPushButton("Today")
        self.today_button.setToolTip("Show what is due from today")
        self.today_button.clicked.connect(lambda: self.set_as_of(date.today()))
        top.addWidget(self.today_button)
        self.summary = QLabel()
        self.summary.setObjectName("followupSummary")
        top.addSpacing(16)
        top.addWidget(self.summary, 1)
        layout.addLayout(top)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        lists = QWidget()
        lists_layout = QVBoxLayout(lists)
        lists_layout.setContentsMargins(0, 0, 0, 0)
        self.overdue_box = QGroupBox("Overdue")
        self.overdue_table = readonly_table(COLUMNS, "Overdue follow-ups")
        self.overdue_empty = hint_label("Nothing overdue.")
        self.due_box = QGroupBox("Due this week")
        self.due_table = readonly_table(COLUMNS, "Follow-ups due this week")
        self.due_empty = hint_label("Nothing due this week.")
        for box, table, empty in (
            (self.overdue_box, self.overdue_table, self.overdue_empty),
            (self.due_box, self.due_table, self.due_empty),
        ):
            box_layout = QVBoxLayout(box)
            box_layout.addWidget(empty)
            box_layout.addWidget(table)
            lists_layout.addWidget(box, 1)
            table.itemSelectionChanged.connect(
                lambda t=table: self._selection_changed(t)  # type: ignore[misc]
            )
            table.doubleClicked.connect(lambda _index: self.open_record())
            table.setToolTip("Double-click to open the participant's record")
        splitter.addWidget(lists)
        self.form = ResultForm(self)
        self.form.saved.connect(self._save)
        self.form.open_button.clicked.connect(self.open_record)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([700, 400])
        self.form.setMaximumWidth(400)
        layout.addWidget(splitter, 1)
        self.status = hint_label()
        self.status.setObjectName("followupStatus")
        layout.addWidget(self.status)

    # -- data ------------------------------------------------------------------------------
    def set_as_of(self, day: date) -> None:
        self._as_of = day
        if from_qdate(self.as_of_edit.date()) != day:
            self.as_of_edit.blockSignals(True)
            self.as_of_edit.setDate(to_qdate(day))
            self.as_of_edit.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        if not self.session.is_open:
            return
        repo = self.session.require_repo()
        keep = self._current.id if self._current else None
        lists = journey.followups_due(repo, self._as_of)
        days = journey.followup_days(repo)
        self.schedule_hint.setText(
            "Follow-ups are scheduled automatically when someone exits, at "
            + ", ".join(str(d) for d in days)
            + " days after the exit date (change this in Settings › Follow-up schedule)."
        )
        self._items = {i.id: i for i in lists.overdue + lists.due_this_week}
        self._fill(self.overdue_table, self.overdue_empty, lists.overdue, overdue=True)
        self._fill(self.due_table, self.due_empty, lists.due_this_week, overdue=False)
        self.overdue_box.setTitle(f"Overdue ({len(lists.overdue)})")
        self.due_box.setTitle(
            f"Due this week, {fmt_day(lists.as_of)} – {fmt_day(lists.week_end)} "
            f"({len(lists.due_this_week)})"
        )
        self.summary.setText(
            f"<b>{len(lists.overdue)}</b> overdue · <b>{len(lists.due_this_week)}</b> due this week"
        )
        self.form.set_benefit_options(repo.options("benefits"))
        if keep in self._items and (
            select_key(self.overdue_table, keep) or select_key(self.due_table, keep)
        ):
            return
        self._show(None)

    def _fill(
        self,
        table: QTableWidget,
        empty: QLabel,
        items: list[journey.FollowUpItem],
        overdue: bool,
    ) -> None:
        table.blockSignals(True)
        table.clearSelection()
        table.setRowCount(len(items))
        for row, item in enumerate(items):
            if overdue:
                when = f"{item.days_overdue} day{'s' if item.days_overdue != 1 else ''} late"
            else:
                ahead = (item.due_on - self._as_of).days
                when = "today" if ahead == 0 else f"in {ahead} day{'s' if ahead != 1 else ''}"
            fill_row(
                table,
                row,
                (
                    f"{fmt_day(item.due_on)} ({when})",
                    f"{item.name} ({item.participant_code})",
                    item.phone or "no phone",
                    item.email or "no email",
                    item.program or "",
                    f"{item.days_after_exit}-day (exit {fmt_day(item.exited_on)})",
                ),
                key=item.id,
            )
        table.blockSignals(False)
        table.setVisible(bool(items))
        empty.setVisible(not items)

    def _selection_changed(self, table: QTableWidget) -> None:
        key = selected_key(table)
        if key is None:
            return
        other = self.due_table if table is self.overdue_table else self.overdue_table
        other.blockSignals(True)
        other.clearSelection()
        other.blockSignals(False)
        self._show(self._items.get(int(key)))  # type: ignore[call-overload]

    def open_record(self) -> bool:
        """Open the selected participant's record on the Participants screen."""
        item = self._current
        window = self.window()
        show_screen = getattr(window, "show_screen", None)
        if item is None or not callable(show_screen):
            return False
        page = show_screen("participants")
        open_participant = getattr(page, "open_participant", None)
        if not callable(open_participant):
            return False
        if page.has_unsaved_changes() and not page.confirm_discard():
            return False
        open_participant(item.participant_id)
        return True

    def _show(self, item: journey.FollowUpItem | None) -> None:
        self._current = item
        if item is None:
            self.form.show_item(None, None)
            return
        repo = self.session.require_repo()
        self.form.show_item(item, journey.entry_benefits(repo, item.participant_id))

    def _save(self) -> None:
        item = self._current
        if item is None:
            return
        result = self.form.result()
        if result is None:
            return
        repo = self.session.require_repo()
        try:
            with repo.transaction() as tx:
                journey.record_followup(tx, item.id, result)
        except journey.JourneyError as exc:
            self.form.error.setText(str(exc))
            return
        comparison = journey.benefits_comparison(repo, item.id)
        outcome = journey.FOLLOWUP_STATUS_LABELS[result.status].lower()
        if result.status == FollowUpStatus.DONE:
            outcome = "reached"
            if result.employed:
                outcome += ", employed" + (f" at {result.employer}" if result.employer else "")
            elif result.employed is False:
                outcome += ", not employed"
        text = f"Saved {item.name}'s {item.days_after_exit}-day follow-up: {outcome}."
        if comparison.at_followup is not None:
            text += " Benefits — " + comparison.sentence()
        self.status.setText(text)
        self._current = None
        self.session.notify("participants")
        self.refresh()

    def clear(self) -> None:
        self._items = {}
        self._current = None
        for table in (self.overdue_table, self.due_table):
            table.setRowCount(0)
        self.form.show_item(None, None)
        self.status.clear()

    def has_unsaved_changes(self) -> bool:
        return self.form.dirty

    def confirm_discard(self) -> bool:
        return True

    def draft_state(self) -> dict[str, Any] | None:
        if self._current is None or not self.form.dirty:
            return None
        return {
            "kind": "followup_result",
            "followup_id": self._current.id,
            "as_of": self._as_of.isoformat(),
            **self.form.state(),
        }

    def restore_draft(self, state: object) -> None:
        if not isinstance(state, dict) or state.get("kind") != "followup_result":
            return
        try:
            self.set_as_of(date.fromisoformat(str(state["as_of"])))
        except (KeyError, ValueError):
            self.refresh()
        key = state.get("followup_id")
        if key in self._items and (
            select_key(self.overdue_table, key) or select_key(self.due_table, key)
        ):
            self.form.apply_state(state)
            self.status.setText(
                "Your unsaved follow-up result is back: check it, then Save result."
            )
            return
        notes = str(state.get("notes") or "").strip()
        self.status.setText(
            "The follow-up result you were typing could not be put back: that follow-up is "
            "no longer due (it may have been recorded meanwhile)."
            + (f" Your notes were: {notes}" if notes else "")
        )


class ResultForm(QGroupBox):
    """Record what a follow-up call found."""

    saved = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Record result", parent)
        self.dirty = False
        layout = QVBoxLayout(self)
        self.who = QLabel("Pick a follow-up on the left to record the result.")
        self.who.setWordWrap(True)
        self.who.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.who)

        outcome_row = QHBoxLayout()
        self.outcome = QButtonGroup(self)
        self.reached = QRadioButton("&Reached")
        self.unreachable = QRadioButton("&Unreachable")
        self.declined = QRadioButton("&Declined")
        for button, status in (
            (self.reached, FollowUpStatus.DONE),
            (self.unreachable, FollowUpStatus.UNREACHABLE),
            (self.declined, FollowUpStatus.DECLINED),
        ):
            button.setProperty("status", status.value)
            self.outcome.addButton(button)
            outcome_row.addWidget(button)
            button.toggled.connect(self._update_enabled)
        outcome_row.addStretch(1)
        layout.addLayout(outcome_row)

        form = QFormLayout()
        self.done_on = date_edit(None, "Date of the call")
        form.addRow("Date of the call", self.done_on)
        self.employed = QComboBox()
        self.employed.setAccessibleName("Employed?")
        for label, value in EMPLOYED_CHOICES:
            self.employed.addItem(label, value)
        self.employed.currentIndexChanged.connect(self._update_enabled)
        form.addRow("Employed?", self.employed)
        self.employer = QLineEdit()
        self.employer.setAccessibleName("Employer")
        self.employer.setPlaceholderText("e.g. Harbor Kitchen")
        form.addRow("Employer", self.employer)
        self.wage = QDoubleSpinBox()
        self.wage.setAccessibleName("Hourly wage")
        self.wage.setPrefix("$ ")
        self.wage.setRange(0, 1000)
        self.wage.setDecimals(2)
        self.wage.setSpecialValueText("not asked")
        form.addRow("Hourly wage", self.wage)
        self.benefits_mode = QComboBox()
        self.benefits_mode.setAccessibleName("Public benefits")
        self.benefits_mode.addItems(BENEFIT_CHOICES)
        self.benefits_mode.currentIndexChanged.connect(self._update_enabled)
        form.addRow("Public benefits", self.benefits_mode)
        self.benefit_boxes: dict[str, QCheckBox] = {}
        self.benefits_grid_host = QWidget()
        self.benefits_grid = QGridLayout(self.benefits_grid_host)
        self.benefits_grid.setContentsMargins(0, 0, 0, 0)
        form.addRow("", self.benefits_grid_host)
        self.entry_benefits = hint_label()
        form.addRow("At entry", self.entry_benefits)
        self.form_layout = form
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("What did they say? Next steps?")
        self.notes.setFixedHeight(70)
        form.addRow("Notes", self.notes)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open record")
        self.open_button.setToolTip("Open this participant's record (or double-click the row)")
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        self.save_button = QPushButton("Save result")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self._save_clicked)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        for signal in (
            self.employer.textEdited,
            self.notes.textChanged,
            self.outcome.buttonToggled,
            self.employed.activated,
            self.wage.valueChanged,
            self.benefits_mode.activated,
            self.done_on.dateChanged,
        ):
            signal.connect(self._mark_dirty)
        self.show_item(None, None)

    def _mark_dirty(self, *_args: object) -> None:
        self.dirty = True

    def state(self) -> dict[str, Any]:
        """What is typed in, as JSON-able data (kept encrypted across a lock)."""
        return {
            "status": self._status(),
            "done_on": from_qdate(self.done_on.date()).isoformat(),
            "employed": self.employed.currentIndex(),
            "employer": self.employer.text(),
            "wage": self.wage.value(),
            "benefits_mode": self.benefits_mode.currentIndex(),
            "benefits": [name for name, box in self.benefit_boxes.items() if box.isChecked()],
            "notes": self.notes.toPlainText(),
        }

    def apply_state(self, state: dict[str, Any]) -> None:
        """Put back what :meth:`state` returned, on the follow-up already shown."""
        for button in self.outcome.buttons():
            button.setChecked(button.property("status") == state.get("status"))
        try:
            self.done_on.setDate(to_qdate(date.fromisoformat(str(state.get("done_on")))))
        except ValueError:
            pass
        self.employed.setCurrentIndex(int(state.get("employed") or 0))
        self.employer.setText(str(state.get("employer") or ""))
        self.wage.setValue(float(state.get("wage") or 0))
        self.benefits_mode.setCurrentIndex(int(state.get("benefits_mode") or 0))
        ticked = set(state.get("benefits") or [])
        for name, box in self.benefit_boxes.items():
            box.setChecked(name in ticked)
        self.notes.setPlainText(str(state.get("notes") or ""))
        self.dirty = True
        self._update_enabled()

    def set_benefit_options(self, options: list[str]) -> None:
        if list(self.benefit_boxes) == options:
            return
        for box in self.benefit_boxes.values():
            box.deleteLater()
        self.benefit_boxes = {}
        for index, name in enumerate(options):
            box = QCheckBox(name)
            box.toggled.connect(self._benefit_ticked)
            self.benefit_boxes[name] = box
            # Two columns: "Housing assistance" fits beside its neighbour.
            self.benefits_grid.addWidget(box, index // 2, index % 2)
            box.show()
        self._update_enabled()

    def _benefit_ticked(self, checked: bool) -> None:
        if checked and self.benefits_mode.currentIndex() != 2:
            self.benefits_mode.setCurrentIndex(2)

    def show_item(self, item: journey.FollowUpItem | None, at_entry: list[str] | None) -> None:
        self.error.clear()
        self.outcome.setExclusive(False)
        for button in self.outcome.buttons():
            button.setChecked(False)
        self.outcome.setExclusive(True)
        self.employed.setCurrentIndex(0)
        self.employer.clear()
        self.wage.setValue(0)
        self.benefits_mode.setCurrentIndex(0)
        for box in self.benefit_boxes.values():
            box.setChecked(False)
        self.notes.clear()
        self.done_on.setDate(to_qdate(date.today()))
        if item is None:
            self.who.setText("Pick a follow-up on the left to record the result.")
            self.entry_benefits.setText("")
            self.form_layout.setRowVisible(self.entry_benefits, False)  # no empty "At entry"
            self.setEnabled(False)
        else:
            contact = " · ".join(x for x in (item.phone, item.email) if x) or "no contact details"
            self.who.setText(
                f"<b>{item.name}</b> ({item.participant_code}) — {item.days_after_exit}-day "
                f"follow-up, due {fmt_day(item.due_on)}<br>{contact}"
            )
            self.entry_benefits.setText(", ".join(at_entry or []) or "none recorded")
            self.form_layout.setRowVisible(self.entry_benefits, True)
            self.setEnabled(True)
        self.dirty = False
        self._update_enabled()

    def _status(self) -> str | None:
        button = self.outcome.checkedButton()
        return None if button is None else str(button.property("status"))

    def _update_enabled(self, *_args: object) -> None:
        reached = self._status() == FollowUpStatus.DONE
        employed = reached and self.employed.currentData() is True
        self.employed.setEnabled(reached)
        self.employer.setEnabled(employed)
        self.wage.setEnabled(employed)
        self.benefits_mode.setEnabled(reached)
        for box in self.benefit_boxes.values():
            box.setEnabled(reached)

    def result(self) -> journey.FollowUpResult | None:
        status = self._status()
        if status is None:
            self.error.setText("Choose what happened: Reached, Unreachable or Declined.")
            return None
        benefits: list[str] | None = None
        mode = self.benefits_mode.currentIndex()
        if mode == 1:
            benefits = []
        elif mode == 2:
            benefits = [name for name, box in self.benefit_boxes.items() if box.isChecked()]
            if not benefits:
                self.error.setText("Tick which public benefits they still receive.")
                return None
        wage = self.wage.value() if self.wage.value() > 0 else None
        return journey.FollowUpResult(
            status=status,
            done_on=from_qdate(self.done_on.date()),
            employed=self.employed.currentData(),
            employer=self.employer.text(),
            hourly_wage=wage,
            benefits=benefits,
            notes=self.notes.toPlainText(),
        )

    def _save_clicked(self) -> None:
        self.error.clear()
        self.saved.emit()
