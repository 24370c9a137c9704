"""The participant record: one panel with a tab per section of the tracker.

Profile & demographics, Enrollment, Employment (jobs, promotions), Credentials, Legal
barriers, Notes, Custom fields, History, plus the tabs other screens register in
:mod:`tracker_desktop.ui.record_tabs`.  Lists (jobs, credentials, ...) are tables with an
editor under them, never one text cell.  Problems from :mod:`core.validation` appear in
red under the field they concern.  Save (Ctrl+S) writes the whole record in one
transaction; Esc cancels (asking first when something changed).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import participants as core
from tracker_desktop.core import validation
from tracker_desktop.core.options import CustomField, custom_fields
from tracker_desktop.core.records import AuditEntry
from tracker_desktop.core.repository import RecordNotFoundError
from tracker_desktop.core.validation import Problem
from tracker_desktop.ui.record_tabs import RECORD_TABS
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.widgets import error_label, hint_label, set_invalid

DATE_HINT = "YYYY-MM-DD"
YES_NO_CHOICES = ("", "Yes", "No")


# --- display helpers (shared with the tracker table) ------------------------------------
def format_date(value: object) -> str:
    if value is None or value == "":
        return ""
    try:
        parsed = validation.parse_date(value)
    except ValueError:
        return str(value)
    return parsed.strftime("%b %d, %Y").replace(" 0", " ") if parsed else ""


def format_value(value: object, kind: str) -> str:
    if value is None or value == "":
        return ""
    if kind == "date":
        return format_date(value)
    if kind == "money" and isinstance(value, int | float):
        return f"${value:,.2f}"
    if kind == "percent" and isinstance(value, int | float):
        return f"{value:g}%"
    if kind == "number" and isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- one input field ----------------------------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str = "text"  # text|date|number|money|percent|choice|editchoice|yesno|check|multiline
    options: str | tuple[str, ...] | None = None  # option list name or fixed choices
    in_table: bool = True
    placeholder: str = ""
    required: bool = False


class Field(QWidget):
    """An input plus the red message under it."""

    edited = Signal()

    def __init__(self, spec: FieldSpec, choices: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.input: QWidget
        kind = spec.kind
        if kind in ("choice", "editchoice", "yesno"):
            combo = QComboBox()
            combo.setEditable(kind == "editchoice")
            combo.addItems(list(YES_NO_CHOICES) if kind == "yesno" else ["", *choices])
            combo.currentTextChanged.connect(lambda _t: self.edited.emit())
            combo.setMinimumContentsLength(14)
            combo.setMaximumWidth(380)
            self.input = combo
        elif kind == "check":
            box = QCheckBox(spec.label)
            box.toggled.connect(lambda _b: self.edited.emit())
            self.input = box
        elif kind == "multiline":
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setMaximumHeight(110)
            edit.textChanged.connect(self.edited.emit)
            self.input = edit
        else:
            line = QLineEdit()
            line.setPlaceholderText(
                spec.placeholder
                or {"date": DATE_HINT, "money": "e.g. 14.50", "percent": "0-100"}.get(kind, "")
            )
            line.textEdited.connect(lambda _t: self.edited.emit())
            if kind in ("date", "number", "money", "percent"):
                line.setMaximumWidth(170)
            self.input = line
        self.input.setAccessibleName(spec.label)
        self.input.setObjectName(f"field_{spec.key}")
        layout.addWidget(self.input)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self._shown: Problem | None = None
        self._shown_once = False

    # value as the user typed it (text), True/False for a check box, None when blank
    def value(self) -> Any:
        widget = self.input
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            text = widget.currentText().strip()
        elif isinstance(widget, QPlainTextEdit):
            text = widget.toPlainText().strip()
        else:
            assert isinstance(widget, QLineEdit)
            text = widget.text().strip()
        return text or None

    def set_choices(self, choices: list[str]) -> None:
        """Offer the option list's current values (Settings may have changed them)."""
        widget = self.input
        if not isinstance(widget, QComboBox) or self.spec.kind == "yesno":
            return
        wanted = ["", *choices]
        if [widget.itemText(i) for i in range(widget.count())] == wanted:
            return
        widget.blockSignals(True)
        try:
            widget.clear()
            widget.addItems(wanted)
        finally:
            widget.blockSignals(False)

    def set_value(self, value: Any) -> None:
        widget = self.input
        widget.blockSignals(True)
        try:
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                text = _as_text(value)
                if widget.findText(text) < 0:
                    widget.addItem(text)  # an old value no longer in the list stays visible
                widget.setCurrentText(text)
                widget.setCurrentIndex(widget.findText(text))
            elif isinstance(widget, QPlainTextEdit):
                widget.setPlainText(_as_text(value))
            else:
                assert isinstance(widget, QLineEdit)
                widget.setText(_as_text(value))
        finally:
            widget.blockSignals(False)

    def show_problem(self, problem: Problem | None) -> None:
        if problem == self._shown and self._shown_once:
            return  # unchanged: no restyling on every keystroke
        self._shown = problem
        self._shown_once = True
        set_invalid(self.input, problem is not None and problem.is_error)
        if problem is None:
            self.message.setVisible(False)
            self.message.clear()
            return
        self.message.setObjectName("error" if problem.is_error else "warning")
        self.message.setStyleSheet("" if problem.is_error else "color: #8a5a00;")
        self.message.setText(("" if problem.is_error else "Check: ") + problem.message)
        self.message.setVisible(True)


def _choices(session: Session, options: str | tuple[str, ...] | None) -> list[str]:
    if options is None:
        return []
    if isinstance(options, tuple):
        return list(options)
    repo = session.require_repo()
    if options == "stages":
        return [str(s["name"]) for s in repo.stages()]
    if "+" in options:
        return [v for name in options.split("+") for v in repo.options(name)]
    return repo.options(options)


# --- a list of child rows (jobs, credentials, ...) ---------------------------------------
class ChildList(QWidget):
    """A table of rows with an editor under it: Add, Remove, and edit the selected row."""

    edited = Signal()

    def __init__(
        self,
        session: Session,
        title: str,
        noun: str,
        specs: tuple[FieldSpec, ...],
        defaults: Callable[[], dict[str, Any]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.noun = noun
        self.specs = specs
        self.defaults = defaults or dict
        self.rows: list[dict[str, Any]] = []
        self.problems: dict[int, list[Problem]] = {}
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        heading = QLabel(f"<b>{title}</b>")
        header.addWidget(heading)
        header.addStretch(1)
        self.add_button = QPushButton(f"Add {noun}")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button = QPushButton(f"Remove {noun}")
        self.remove_button.clicked.connect(self.remove_row)
        header.addWidget(self.add_button)
        header.addWidget(self.remove_button)
        layout.addLayout(header)
        self.table_specs = [s for s in specs if s.in_table]
        self.table = QTableWidget(0, len(self.table_specs))
        self.table.setHorizontalHeaderLabels([s.label for s in self.table_specs])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)
        self.table.setMaximumHeight(150)
        self.table.setAccessibleName(title)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table)
        self.empty = hint_label(f"No {noun}s yet. Press “Add {noun}” to record one.")
        layout.addWidget(self.empty)
        self.editor = QGroupBox(f"Selected {noun}")
        grid = QGridLayout(self.editor)
        self.fields: dict[str, Field] = {}
        position = 0
        for spec in specs:
            field = Field(spec, _choices(session, spec.options))
            field.edited.connect(self._field_edited)
            self.fields[spec.key] = field
            span = 2 if spec.kind == "multiline" else 1
            row, col = divmod(position, 2)
            if spec.kind == "check":
                grid.addWidget(field, row, col * 2 + 1)
            else:
                grid.addWidget(QLabel(spec.label), row, col * 2, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(field, row, col * 2 + 1, 1, 1 if span == 1 else 3)
            position += span if position % 2 == 0 or span == 1 else span + 1
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        layout.addWidget(self.editor)
        self._update_state()

    # -- rows --------------------------------------------------------------------------
    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = [dict(r) for r in rows]
        self.problems = {}
        self.table.setRowCount(len(self.rows))
        for index in range(len(self.rows)):
            self._paint_row(index)
        if self.rows:
            self.table.selectRow(0)
        self.table.resizeColumnsToContents()
        self._load_editor()
        self._update_state()

    def values(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows]

    def current_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def add_row(self) -> None:
        row = {spec.key: None for spec in self.specs}
        row.update(self.defaults())
        self.rows.append(row)
        self.table.setRowCount(len(self.rows))
        self._paint_row(len(self.rows) - 1)
        self.table.selectRow(len(self.rows) - 1)
        self._load_editor()
        self._update_state()
        first = next(iter(self.fields.values()))
        first.input.setFocus()
        self.edited.emit()

    def remove_row(self) -> None:
        index = self.current_row()
        if index < 0:
            return
        del self.rows[index]
        self.problems.pop(index, None)
        self.table.removeRow(index)
        if self.rows:
            self.table.selectRow(min(index, len(self.rows) - 1))
        self._load_editor()
        self._update_state()
        self.edited.emit()

    def select(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            self.table.selectRow(index)

    def _paint_row(self, index: int) -> None:
        row = self.rows[index]
        problems = self.problems.get(index, [])
        has_error = any(p.is_error for p in problems)
        for column, spec in enumerate(self.table_specs):
            value = row.get(spec.key)
            kind = "yesno" if spec.kind in ("check", "yesno") else spec.kind
            text = format_value(value, kind) if not isinstance(value, str) else value
            if spec.kind == "date" and isinstance(value, str):
                text = format_date(value)
            elif spec.key == "kind":
                text = text.capitalize()
            item = QTableWidgetItem(text)
            if has_error:
                item.setForeground(QBrush(QColor("#b3261e")))
                item.setToolTip("\n".join(p.message for p in problems))
            self.table.setItem(index, column, item)

    def _selection_changed(self) -> None:
        if not self._loading:
            self._load_editor()

    def _load_editor(self) -> None:
        index = self.current_row()
        self.editor.setEnabled(index >= 0)
        self._loading = True
        try:
            for key, field in self.fields.items():
                field.set_value(self.rows[index].get(key) if index >= 0 else None)
        finally:
            self._loading = False
        self._show_problems()

    def _field_edited(self) -> None:
        index = self.current_row()
        if self._loading or index < 0:
            return
        for key, field in self.fields.items():
            self.rows[index][key] = field.value()
        self._paint_row(index)
        self.edited.emit()

    def _update_state(self) -> None:
        has_rows = bool(self.rows)
        self.table.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        self.editor.setVisible(has_rows)
        self.remove_button.setEnabled(has_rows)

    # -- problems --------------------------------------------------------------------------
    def set_problems(self, problems: dict[int, list[Problem]]) -> None:
        self.problems = problems
        for index in range(len(self.rows)):
            self._paint_row(index)
        self._show_problems()

    def _show_problems(self) -> None:
        index = self.current_row()
        by_field = {p.field: p for p in self.problems.get(index, [])}
        for key, field in self.fields.items():
            field.show_problem(by_field.get(key))
        # a problem on a field the editor does not show (none today) is still visible
        for problem in self.problems.get(index, []):
            if problem.field not in self.fields:
                next(iter(self.fields.values())).show_problem(problem)


# --- the specs of each list ----------------------------------------------------------------
JOB_SPECS = (
    FieldSpec("employer", "Employer"),
    FieldSpec("title", "Job title"),
    FieldSpec("started_on", "Start date", "date"),
    FieldSpec("ended_on", "End date", "date", placeholder="blank = current job"),
    FieldSpec("hourly_wage", "Hourly wage ($)", "money"),
    FieldSpec("hours_per_week", "Hours / week", "number"),
    FieldSpec("employer_benefits", "Employer benefits", "yesno"),
    FieldSpec("is_entry_job", "Held at intake", "check"),
)
PROMOTION_SPECS = (
    FieldSpec("promoted_on", "Date", "date"),
    FieldSpec("title", "Title", "editchoice", "promotion_titles"),
)
CREDENTIAL_SPECS = (
    FieldSpec("kind", "Kind", "choice", ("certification", "degree")),
    FieldSpec("name", "Name", "editchoice", "certifications+degrees"),
    FieldSpec("earned_on", "Date earned", "date"),
    FieldSpec("gpa", "GPA", "number"),
    FieldSpec("expected", "Expected (not earned yet)", "check"),
)
BARRIER_SPECS = (
    FieldSpec("barrier_type", "Type", "choice", "barrier_types"),
    FieldSpec("status", "Status", "choice", "barrier_statuses"),
    FieldSpec("resolved_on", "Date expunged / resolved", "date"),
    FieldSpec("notes", "Notes", "multiline", in_table=False),
)
NOTE_SPECS = (
    FieldSpec("noted_on", "Date", "date"),
    FieldSpec("author", "Author"),
    FieldSpec("body", "Note", "multiline"),
)

PROFILE_SPECS = (
    FieldSpec("first_name", "First name *", required=True),
    FieldSpec("last_name", "Last name *", required=True),
    FieldSpec("preferred_name", "Preferred name"),
    FieldSpec("date_of_birth", "Date of birth", "date"),
    FieldSpec("age_range", "Age range (if no birth date)", "choice", "age_ranges"),
    FieldSpec("phone", "Phone"),
    FieldSpec("email", "Email"),
)
ENTRY_SPECS = (
    FieldSpec("housing_status", "Housing status", "choice", "housing_statuses"),
    FieldSpec("education_at_entry", "Education at entry", "choice", "education_levels"),
)
ENROLLMENT_SPECS = (
    FieldSpec("program", "Program *", "choice", "programs", required=True),
    FieldSpec("enrolled_on", "Date of enrollment *", "date", required=True),
    FieldSpec("progress_pct", "Program progress (%)", "percent"),
    FieldSpec("exited_on", "Exit date", "date", placeholder="blank while active"),
    FieldSpec("exit_reason", "Exit reason", "choice", "exit_reasons"),
)

CUSTOM_KINDS = {"text": "text", "number": "number", "date": "date", "yesno": "yesno"}

# The section (tab) each form path belongs to, for "fix the fields marked in red".
_SECTION_OF = {
    **{s.key: "Profile" for s in PROFILE_SPECS + ENTRY_SPECS},
    **{s.key: "Enrollment" for s in ENROLLMENT_SPECS},
    "jobs": "Employment",
    "promotions": "Employment",
    "credentials": "Credentials",
    "barriers": "Legal barriers",
    "notes": "Notes",
    "custom": "Custom fields",
}


def _section_of(path: str) -> str:
    head = path.split("[", 1)[0].split(".", 1)[0]
    return _SECTION_OF.get(head, "Profile")


# --- history ------------------------------------------------------------------------------
_TABLE_LABELS = {
    "participants": "Profile",
    "enrollments": "Enrollment",
    "jobs": "Job",
    "promotions": "Promotion",
    "credentials": "Credential",
    "legal_barriers": "Legal barrier",
    "notes": "Note",
    "participant_benefits": "Public benefit",
    "custom_values": "Custom field",
    "stage_history": "Stage",
    "assessments": "Assessment",
    "weekly_hours": "Weekly hours",
    "followups": "Follow-up",
    "measurements": "Outcome measure",
    "survey_responses": "Survey",
}


def describe_change(entry: AuditEntry) -> tuple[str, str, str]:
    """(what, old, new) in words for the History tab."""
    thing = _TABLE_LABELS.get(entry.table_name, entry.table_name.replace("_", " ").capitalize())
    if entry.action == "insert":
        return f"Added {thing.lower()}", "", _summary(entry.new_value)
    if entry.action == "delete":
        return f"Removed {thing.lower()}", _summary(entry.old_value), ""
    field = validation.label(entry.field) if entry.field else ""
    if entry.field == "archived_at":
        return ("Archived" if entry.new_value else "Archive undone"), "", ""
    action = "" if entry.action == "update" else f" ({entry.action})"
    return f"{thing}: {field}{action}", entry.old_value or "", entry.new_value or ""


def _summary(raw: str | None) -> str:
    if not raw:
        return ""
    try:
        values = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(values, dict):
        return str(values)
    skip = {"participant_id", "created_at", "updated_at", "is_entry_job", "expected"}
    return ", ".join(f"{validation.label(k)}: {v}" for k, v in values.items() if k not in skip)


class HistoryTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.hint = hint_label()
        layout.addWidget(self.hint)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["When", "Who", "What", "Old value", "New value"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setAccessibleName("Change history")
        layout.addWidget(self.table)

    def set_entries(self, entries: list[AuditEntry]) -> None:
        self.hint.setText(
            "Every change to this record: who made it, when, old → new."
            if entries
            else "No changes recorded for this record yet (records written by the demo "
            "generator carry none). Each save from now on appears here."
        )
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            what, old, new = describe_change(entry)
            for column, text in enumerate((entry.at, entry.staff or "", what, old, new)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        for column in (3, 4):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 320))

    def clear(self) -> None:
        self.table.setRowCount(0)


def _as_new(form: core.ParticipantForm) -> core.ParticipantForm:
    """The same values without any row ids (to be saved as a new participant)."""
    state = form.to_json()
    state.update(id=None, participant_code=None, archived=False)
    state["enrollment"].pop("id", None)
    for attribute in core.CHILD_SECTIONS:
        for row in state[attribute]:
            row.pop("id", None)
    return core.ParticipantForm.from_json(state)


# --- the record panel -----------------------------------------------------------------------
class ParticipantRecord(QWidget):
    """Edit one participant (or a new one).  Emits ``saved(id)`` and ``closed()``."""

    saved = Signal(int)
    closed = Signal()
    archived = Signal(int, str)  # id, name
    deleted = Signal(int, str)  # id, what was deleted in words

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.participant_id: int | None = None
        self.participant_code: str | None = None
        self._archived = False
        self._enrollment_id: int | None = None
        self._child_ids: dict[str, list[int | None]] = {}
        self._baseline: dict[str, Any] | None = None
        self._show_all_problems = False
        self._touched: set[str] = set()
        self._custom: list[CustomField] = []
        self.extra_tabs: list[QWidget] = []
        self.notify: Callable[[], None] = lambda: session.notify("participants")
        self._build()

    # -- layout --------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel("New participant")
        self.title.setObjectName("pageTitle")
        self.title.setMinimumWidth(120)  # a very long name is clipped, not pushing Save off-screen
        top.addWidget(self.title)
        self.status_label = QLabel()
        self.status_label.setObjectName("hint")
        top.addWidget(self.status_label)
        top.addStretch(1)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Save the whole record (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.setToolTip("Back to the list (Esc); asks before dropping changes")
        self.cancel_button.clicked.connect(self.cancel)
        self.archive_button = QPushButton("Archive")
        self.archive_button.setToolTip("Hide this participant from the tracker; can be undone")
        self.archive_button.clicked.connect(self.toggle_archive)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete this participant and everything recorded about them")
        self.delete_button.clicked.connect(self.delete)
        for button in (self.archive_button, self.delete_button, self.cancel_button):
            top.addWidget(button)
        top.addWidget(self.save_button)
        layout.addLayout(top)
        self.message = error_label()
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)

        self.fields: dict[str, Field] = {}
        self.tabs.addTab(self._scroll(self._profile_tab()), "Profile")
        self.tabs.addTab(self._scroll(self._enrollment_tab()), "Enrollment")
        self.jobs = ChildList(self.session, "Jobs", "job", JOB_SPECS)
        self.promotions = ChildList(
            self.session,
            "Promotions",
            "promotion",
            PROMOTION_SPECS,
            lambda: {"promoted_on": date.today().isoformat()},
        )
        employment = QWidget()
        emp_layout = QVBoxLayout(employment)
        emp_layout.addWidget(self.jobs)
        emp_layout.addWidget(self.promotions)
        emp_layout.addStretch(1)
        self.tabs.addTab(self._scroll(employment), "Employment")
        self.credentials = ChildList(
            self.session,
            "Certifications and degrees",
            "credential",
            CREDENTIAL_SPECS,
            lambda: {"kind": "certification", "expected": False},
        )
        self.tabs.addTab(self._scroll(self._stretched(self.credentials)), "Credentials")
        self.barriers = ChildList(
            self.session, "Legal barriers", "barrier", BARRIER_SPECS, lambda: {"status": "Open"}
        )
        self.tabs.addTab(self._scroll(self._stretched(self.barriers)), "Legal barriers")
        self.notes = ChildList(
            self.session,
            "Case notes",
            "note",
            NOTE_SPECS,
            lambda: {"noted_on": date.today().isoformat(), "author": self.session.staff},
        )
        self.tabs.addTab(self._scroll(self._stretched(self.notes)), "Notes")
        self.custom_page = QWidget()
        self.custom_form = QFormLayout(self.custom_page)
        self.custom_fields: dict[str, Field] = {}
        self.tabs.addTab(self._scroll(self.custom_page), "Custom fields")
        self.history = HistoryTab()
        self.tabs.addTab(self.history, "History")
        self.lists: dict[str, ChildList] = {
            "jobs": self.jobs,
            "promotions": self.promotions,
            "credentials": self.credentials,
            "barriers": self.barriers,
            "notes": self.notes,
        }
        for child in self.lists.values():
            child.edited.connect(self._edited)

        save = QShortcut(QKeySequence.StandardKey.Save, self)
        save.setContext(Qt.ShortcutContext.WindowShortcut)
        save.activated.connect(self.save)
        cancel = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        cancel.setContext(Qt.ShortcutContext.WindowShortcut)
        cancel.activated.connect(self.cancel)

    @staticmethod
    def _scroll(widget: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidget(widget)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        return area

    @staticmethod
    def _stretched(widget: QWidget) -> QWidget:
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.addWidget(widget)
        layout.addStretch(1)
        return holder

    def _add_fields(self, form: QFormLayout, specs: tuple[FieldSpec, ...]) -> None:
        for spec in specs:
            field = Field(spec, _choices(self.session, spec.options))
            field.edited.connect(lambda key=spec.key: self._edited(key))
            self.fields[spec.key] = field
            form.addRow(spec.label, field)

    def _profile_tab(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        person = QGroupBox("Person and contact")
        person_form = QFormLayout(person)
        self._add_fields(person_form, PROFILE_SPECS)
        row.addWidget(person, 1)
        entry = QGroupBox("At entry")
        entry_layout = QVBoxLayout(entry)
        entry_form = QFormLayout()
        self._add_fields(entry_form, ENTRY_SPECS)
        entry_layout.addLayout(entry_form)
        entry_layout.addWidget(QLabel("Public benefits received at entry"))
        self.benefit_boxes: dict[str, QCheckBox] = {}
        self.benefits_layout = QGridLayout()
        entry_layout.addLayout(self.benefits_layout)
        self._build_benefits([])
        entry_layout.addStretch(1)
        row.addWidget(entry, 1)
        return page

    def _build_benefits(self, extra: list[str]) -> None:
        for box in self.benefit_boxes.values():
            box.setParent(None)
            box.deleteLater()
        self.benefit_boxes = {}
        names = list(dict.fromkeys([*_choices(self.session, "benefits"), *extra]))
        for index, name in enumerate(names):
            box = QCheckBox(name)
            box.toggled.connect(lambda _b: self._edited("benefits"))
            self.benefit_boxes[name] = box
            self.benefits_layout.addWidget(box, index // 2, index % 2)

    def _enrollment_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        box = QGroupBox("Enrollment")
        form = QFormLayout(box)
        self._add_fields(form, ENROLLMENT_SPECS)
        layout.addWidget(box)
        self.journey_label = hint_label()
        layout.addWidget(self.journey_label)
        layout.addStretch(1)
        return page

    def _build_custom(self) -> None:
        while self.custom_form.rowCount():
            self.custom_form.removeRow(0)
        self.custom_fields = {}
        self._custom = custom_fields(self.session.require_repo())
        if not self._custom:
            self.custom_form.addRow(
                hint_label("No custom fields yet. Add them in Settings → Custom fields.")
            )
        for custom in self._custom:
            if custom.field_type == "choice":
                spec = FieldSpec(custom.key, custom.label, "choice", tuple(custom.choices))
            else:
                spec = FieldSpec(custom.key, custom.label, CUSTOM_KINDS[custom.field_type])
            field = Field(spec, list(custom.choices))
            field.edited.connect(lambda key=custom.key: self._edited(f"custom.{key}"))
            self.custom_fields[custom.key] = field
            self.custom_form.addRow(custom.label, field)

    def _build_extra_tabs(self) -> None:
        for tab in self.extra_tabs:
            index = self.tabs.indexOf(tab)
            if index >= 0:
                self.tabs.removeTab(index)
            tab.deleteLater()
        self.extra_tabs = []
        for label, target in RECORD_TABS:
            if self.participant_id is None:
                tab: QWidget = self._stretched(
                    hint_label(f"Save the participant first, then {label} can be filled in.")
                )
            else:
                module_name, class_name = target.split(":")
                try:
                    tab_class = getattr(importlib.import_module(module_name), class_name)
                    tab = tab_class(self.session, self.participant_id, self)
                except Exception as exc:  # a broken extra tab must not block the record
                    tab = self._stretched(error_label(f"{label} could not be shown: {exc}"))
            self.extra_tabs.append(tab)
            self.tabs.insertTab(self.tabs.indexOf(self.history), tab, label)

    # -- load ----------------------------------------------------------------------------
    def new_participant(self) -> None:
        form = core.ParticipantForm(
            enrollment={"enrolled_on": date.today().isoformat()},
        )
        programs = _choices(self.session, "programs")
        if len(programs) == 1:
            form.enrollment["program"] = programs[0]
        self.load_form(form)
        self.fields["first_name"].input.setFocus()

    def open_participant(self, participant_id: int) -> None:
        form = core.load_participant(self.session.require_repo(), participant_id)
        self.load_form(form)

    def load_form(self, form: core.ParticipantForm) -> None:
        self.participant_id = form.id
        self.participant_code = form.participant_code
        self._archived = form.archived
        self._enrollment_id = form.enrollment.get("id")
        self._show_all_problems = False
        self._touched = set()
        self._build_custom()
        self._build_benefits(form.benefits)
        self._build_extra_tabs()
        self._refresh_choices()
        for key, field in self.fields.items():
            source = form.enrollment if key in core.ENROLLMENT_FIELDS else form.profile
            field.set_value(source.get(key))
        for name, box in self.benefit_boxes.items():
            box.blockSignals(True)
            box.setChecked(name in form.benefits)
            box.blockSignals(False)
        self._child_ids = {}
        for attribute, child in self.lists.items():
            rows = getattr(form, attribute)
            self._child_ids[attribute] = [r.get("id") for r in rows]
            child.set_rows(rows)
        for key, field in self.custom_fields.items():
            field.set_value(form.custom.get(key))
        self._refresh_header()
        self._refresh_history()
        self._show_problems([])
        self.message.setVisible(False)
        self.tabs.setCurrentIndex(0)
        self._baseline = self._comparable()

    def _refresh_choices(self) -> None:
        fields = [*self.fields.values()]
        for child in self.lists.values():
            fields += child.fields.values()
        for field in fields:
            if field.spec.options is not None:
                field.set_choices(_choices(self.session, field.spec.options))

    def _refresh_header(self) -> None:
        if self.participant_id is None:
            self.title.setText("New participant")
            self.title.setToolTip("")
            self.status_label.setText("  Fields marked * are required")
        else:
            first = self.fields["first_name"].value() or ""
            last = self.fields["last_name"].value() or ""
            self.title.setText(f"{first} {last}")
            self.title.setToolTip(self.title.text())
            status = "Archived" if self._archived else self._status_text()
            self.status_label.setText(f"  {self.participant_code} · {status}")
        existing = self.participant_id is not None
        self.archive_button.setVisible(existing)
        self.delete_button.setVisible(existing)
        self.archive_button.setText("Undo archive" if self._archived else "Archive")

    def _status_text(self) -> str:
        if self.participant_id is None:
            return ""
        data = core.load_tracker(
            self.session.require_repo(), include_archived=True, participant_id=self.participant_id
        )
        if not data.ids:
            return ""
        stage = data.columns["stage"][0]
        status = str(data.columns["status"][0])
        text = status + (f" · {stage}" if stage else "")
        self.journey_label.setText(
            f"Current stage: {stage or 'not started'}. Stages and follow-ups are managed on "
            "the Journey tab."
            if RECORD_TABS
            else f"Current stage: {stage or 'not started'}."
        )
        return text

    def _refresh_history(self) -> None:
        if self.participant_id is None:
            self.history.clear()
            return
        self.history.set_entries(
            core.history(self.session.require_repo(), self.participant_id, limit=500)
        )

    # -- collect -------------------------------------------------------------------------
    def collect(self) -> core.ParticipantForm:
        """The form's current values (text as typed; row ids kept so edits update)."""
        profile = {key: self.fields[key].value() for key in core.PROFILE_FIELDS}
        enrollment: dict[str, Any] = {
            key: self.fields[key].value() for key in core.ENROLLMENT_FIELDS
        }
        if self._enrollment_id is not None:
            enrollment["id"] = self._enrollment_id
        form = core.ParticipantForm(
            id=self.participant_id,
            participant_code=self.participant_code,
            profile=profile,
            enrollment=enrollment,
            benefits=[name for name, box in self.benefit_boxes.items() if box.isChecked()],
            custom={key: field.value() for key, field in self.custom_fields.items()},
            archived=self._archived,
        )
        for attribute, child in self.lists.items():
            setattr(form, attribute, child.values())
        return form

    def _comparable(self) -> dict[str, Any]:
        state = self.collect().to_json()
        state.pop("archived", None)
        return state

    # -- editing and validation ----------------------------------------------------------
    def _edited(self, key: str | None = None) -> None:
        if key:
            self._touched.add(key)
        if self.participant_id is not None and key in ("first_name", "last_name"):
            self._refresh_header()
        self._validate_live()

    def _validate_live(self) -> list[Problem]:
        problems = core.validate_form(self.collect(), self.session.require_repo(), self._custom)
        shown = (
            problems
            if self._show_all_problems
            else [p for p in problems if p.field in self._touched or "[" in p.field]
        )
        if not self._show_all_problems:  # do not nag about an empty required field yet
            shown = [p for p in shown if not p.message.endswith("is required")]
        self._show_problems(shown)
        return problems

    def _show_problems(self, problems: list[Problem]) -> None:
        by_field: dict[str, Problem] = {}
        lists: dict[str, dict[int, list[Problem]]] = {name: {} for name in self.lists}
        for problem in problems:
            if "[" in problem.field:
                name, rest = problem.field.split("[", 1)
                index_text, field = rest.split("].", 1)
                lists.setdefault(name, {}).setdefault(int(index_text), []).append(
                    Problem(field, problem.message, problem.severity)
                )
            else:
                current = by_field.get(problem.field)
                if current is None or problem.is_error:
                    by_field[problem.field] = problem
        for key, field in self.fields.items():
            field.show_problem(by_field.get(key))
        for key, field in self.custom_fields.items():
            field.show_problem(by_field.get(f"custom.{key}"))
        for name, child in self.lists.items():
            child.set_problems(lists.get(name, {}))

    # -- actions -------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate and save everything; True when saved."""
        self._show_all_problems = True
        form = self.collect()
        problems = self._validate_live()
        errors = [p for p in problems if p.is_error]
        if errors:
            sections = list(dict.fromkeys(_section_of(p.field) for p in errors))
            count = len(errors)
            self._say(
                f"Not saved: {count} field{'s' if count > 1 else ''} to fix "
                f"(marked in red on {', '.join(sections)}). Nothing you typed was lost.",
                "error",
            )
            self._go_to_problem(errors[0])
            return False
        try:
            result = core.save_participant(self.session.require_repo(), form)
        except core.FormInvalidError as exc:
            self._show_problems(exc.problems)
            self._say("Not saved: " + str(exc), "error")
            return False
        except Exception as exc:
            self._say(f"Not saved: {exc}. Nothing you typed was lost.", "error")
            return False
        for tab in self.extra_tabs:
            has_changes = getattr(tab, "has_unsaved_changes", None)
            save = getattr(tab, "save", None)
            if callable(has_changes) and callable(save) and has_changes():
                save()
        tab = self.tabs.currentIndex()
        self.open_participant(result.participant_id)
        self.tabs.setCurrentIndex(tab)  # stay where the user was
        warnings = result.warnings
        note = (
            (" Please double-check: " + "; ".join(w.message for w in warnings)) if warnings else ""
        )
        created = "new participant " if result.created else ""
        self._say(f"Saved {created}{result.participant_code}.{note}", "ok")
        self.notify()
        self.saved.emit(result.participant_id)
        return True

    def _say(self, text: str, tone: str) -> None:
        """The line under the title: "error" (red), "warning" (amber) or "ok" (green)."""
        colours = {"error": "#b3261e", "warning": "#8a5a00", "ok": "#1d6b35"}
        self.message.setStyleSheet(f"color: {colours[tone]}; font-weight: 600;")
        self.message.setText(text)
        self.message.setVisible(True)

    def _go_to_problem(self, problem: Problem) -> None:
        section = _section_of(problem.field)
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == section:
                self.tabs.setCurrentIndex(index)
        if "[" in problem.field:
            name, rest = problem.field.split("[", 1)
            child = self.lists.get(name)
            if child is not None:
                child.select(int(rest.split("]", 1)[0]))
                field = child.fields.get(rest.split("].", 1)[1])
                if field is not None:
                    field.input.setFocus()
            return
        target = self.fields.get(problem.field) or self.custom_fields.get(
            problem.field.removeprefix("custom.")
        )
        if target is not None:
            target.input.setFocus()

    def cancel(self) -> None:
        if self.has_unsaved_changes() and not self.confirm_discard():
            return
        self._baseline = self._comparable()
        self.closed.emit()

    def toggle_archive(self) -> None:
        if self.participant_id is None:
            return
        repo = self.session.require_repo()
        name = self.title.text()
        if self._archived:
            core.unarchive_participant(repo, self.participant_id)
            self._archived = False
            self.notify()
            self._refresh_header()
            self._refresh_history()
            return
        if self.has_unsaved_changes() and not self.confirm_discard():
            return
        pid = self.participant_id
        core.archive_participant(repo, pid)
        self.notify()
        self.archived.emit(pid, name)
        self._baseline = self._comparable()
        self.closed.emit()

    def delete(self) -> None:
        if self.participant_id is None:
            return
        repo = self.session.require_repo()
        counts = core.deletion_summary(repo, self.participant_id)
        name = f"{self.title.text()} ({self.participant_code})"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete participant")
        box.setText(f"Delete {name} for good?")
        box.setInformativeText(
            f"This also removes {core.describe_deletion(counts)}. It cannot be undone "
            "(the change history keeps a line saying who deleted the record).\n\n"
            "To only hide the record, choose Archive instead: that can be undone."
        )
        delete_button = box.addButton("Delete for good", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is not delete_button:
            return
        pid = self.participant_id
        core.delete_participant(repo, pid)
        self._baseline = None
        self.participant_id = None
        self.notify()
        self.deleted.emit(pid, f"Deleted {name} and {core.describe_deletion(counts)}.")
        self.closed.emit()

    # -- unsaved changes, drafts, lock ---------------------------------------------------
    def has_unsaved_changes(self) -> bool:
        if self._baseline is None:
            return False
        if self._comparable() != self._baseline:
            return True
        return any(
            callable(getattr(tab, "has_unsaved_changes", None)) and tab.has_unsaved_changes()
            for tab in self.extra_tabs
        )

    def confirm_discard(self) -> bool:
        """Ask Save / Discard / Cancel; True when it is fine to leave the record."""
        name = self.title.text()
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to {name}?")
        box.setInformativeText("If you don't save, your changes will be lost.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def draft_state(self) -> dict[str, Any] | None:
        if not self.has_unsaved_changes():
            return None
        return {"kind": "participant_record", "form": self.collect().to_json()}

    def restore_draft(self, state: dict[str, Any]) -> None:
        form = core.ParticipantForm.from_json(state.get("form", {}))
        note = "Your unsaved changes were restored. Save them or press Esc."
        try:
            baseline_form = (
                core.load_participant(self.session.require_repo(), form.id)
                if form.id is not None
                else core.ParticipantForm()
            )
        except RecordNotFoundError:  # deleted meanwhile: offer the edit as a new record
            note = "This participant was deleted meanwhile; your changes are shown as a new one."
            form = _as_new(form)
            baseline_form = core.ParticipantForm()
        self.load_form(baseline_form)
        self._apply(form)
        self._say(note, "warning")

    def _apply(self, form: core.ParticipantForm) -> None:
        """Put ``form``'s values in the widgets without moving the baseline."""
        self._enrollment_id = form.enrollment.get("id", self._enrollment_id)
        for key, field in self.fields.items():
            source = form.enrollment if key in core.ENROLLMENT_FIELDS else form.profile
            field.set_value(source.get(key))
        self._build_benefits(form.benefits)
        for name, box in self.benefit_boxes.items():
            box.blockSignals(True)
            box.setChecked(name in form.benefits)
            box.blockSignals(False)
        for attribute, child in self.lists.items():
            child.set_rows(getattr(form, attribute))
        for key, field in self.custom_fields.items():
            field.set_value(form.custom.get(key))
        self._refresh_header()

    def clear(self) -> None:
        """Forget every participant detail (the tracker is locking)."""
        for tab in self.extra_tabs:
            clear = getattr(tab, "clear", None)
            if callable(clear):
                clear()
        for field in [*self.fields.values(), *self.custom_fields.values()]:
            field.set_value(None)
            field.show_problem(None)
        for box in self.benefit_boxes.values():
            box.setChecked(False)
        for child in self.lists.values():
            child.set_rows([])
        self.history.clear()
        self.title.setText("")
        self.title.setToolTip("")
        self.status_label.setText("")
        self.journey_label.setText("")
        self.message.clear()
        self.participant_id = None
        self.participant_code = None
        self._baseline = None
