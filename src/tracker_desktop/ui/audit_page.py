"""Audit log screen: who changed what, when, old -> new; filter by staff, dates, participant."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import or_, select

from tracker_desktop.core import schema
from tracker_desktop.core.records import AuditEntry
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.widgets import error_label, hint_label, page_title

LIMIT = 5000
ANY_DATE = QDate(2000, 1, 1)
ALL_STAFF = "Everyone"
COLUMNS = ("When", "Who", "Participant", "What", "Old value", "New value")
WHEN, WHO, PARTICIPANT, WHAT, OLD, NEW = range(len(COLUMNS))
CELL_CHARS = 120

_TABLE_WORDS = {
    "participants": "participant",
    "participant_benefits": "benefit at entry",
    "legal_barriers": "legal barrier",
    "custom_values": "custom field",
    "enrollments": "enrollment",
    "stage_history": "stage",
    "assessments": "assessment",
    "weekly_hours": "weekly hours",
    "jobs": "job",
    "promotions": "promotion",
    "credentials": "credential",
    "measurements": "measurement",
    "survey_responses": "survey response",
    "survey_answers": "survey answer",
    "followups": "follow-up",
    "followup_benefits": "benefit at follow-up",
    "notes": "case note",
    "settings": "setting",
    "staff": "staff member",
    "option_items": "option list item",
    "stages": "stage definition",
    "import_batches": "import",
    "metric_targets": "metric target",
}


def describe(entry: AuditEntry) -> str:
    """'Changed job: hourly wage', 'Added participant', 'Removed case note'."""
    thing = _TABLE_WORDS.get(entry.table_name, entry.table_name.replace("_", " "))
    field = (entry.field or "").replace("_", " ")
    if entry.action == "insert":
        return f"Added {thing}"
    if entry.action == "delete":
        return f"Removed {thing}"
    if entry.action == "update":
        return f"Changed {thing}: {field}" if field else f"Changed {thing}"
    words = f"{entry.action.replace('_', ' ').capitalize()} {thing}"
    return f"{words}: {field}" if field else words


def show_value(raw: str | None, *, json_value: bool = False) -> str:
    """A stored value as people read it; whole-row summaries become 'field: value; ...'.

    ``json_value``: settings are stored as JSON ("Harbor Kitchen" with quotes, 10, [...]).
    """
    if raw is None or raw == "":
        return "—"
    if json_value:
        try:
            decoded = json.loads(raw)
        except ValueError:
            return raw
        if decoded in ("", None, [], {}):
            return "—"
        if isinstance(decoded, list):
            return ", ".join(str(item) for item in decoded)
        return str(decoded) if not isinstance(decoded, dict) else show_value(raw)
    if raw.startswith("{"):
        try:
            values = json.loads(raw)
        except ValueError:
            return raw
        if isinstance(values, dict):
            return "; ".join(
                f"{key.replace('_', ' ')}: {value}"
                for key, value in values.items()
                if key not in ("id", "participant_id", "created_at", "updated_at")
            )
    return raw


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    participant: str
    what: str
    old: str
    new: str


class AuditModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[AuditRow] = []

    def set_rows(self, rows: list[AuditRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            full = {
                WHEN: row.entry.at[:16],
                WHO: row.entry.staff or "(unknown)",
                PARTICIPANT: row.participant,
                WHAT: row.what,
                OLD: row.old,
                NEW: row.new,
            }[column]
            if role == Qt.ItemDataRole.ToolTipRole:
                return full if column in (OLD, NEW) and len(full) > CELL_CHARS else None
            return full if len(full) <= CELL_CHARS else full[: CELL_CHARS - 1] + "…"
        return None


def participant_codes(repo: Repository) -> dict[int, str]:
    participants = schema.participants
    with repo.reading() as conn:
        return {
            int(pid): str(code)
            for pid, code in conn.execute(
                select(participants.c.id, participants.c.participant_code)
            )
        }


def find_participant_id(repo: Repository, code: str) -> int | None:
    """The id for a participant code, also for a participant since removed (audit log)."""
    participants = schema.participants
    with repo.reading() as conn:
        found = conn.execute(
            select(participants.c.id).where(participants.c.participant_code == code)
        ).scalar()
        if found is not None:
            return int(found)
        log = schema.audit_log
        needle = f'%"participant_code": {json.dumps(code)}%'
        found = conn.execute(
            select(log.c.participant_id)
            .where(log.c.table_name == "participants")
            .where(or_(log.c.new_value.like(needle), log.c.old_value.like(needle)))
            .limit(1)
        ).scalar()
    return int(found) if found is not None else None


def staff_in_log(repo: Repository) -> list[str]:
    log = schema.audit_log
    with repo.reading() as conn:
        names = conn.execute(
            select(log.c.staff).where(log.c.staff.is_not(None)).distinct()
        ).scalars()
        return sorted({str(n) for n in names} | set(repo.staff_names()), key=str.casefold)


class AuditPage(Page):
    title = "Audit log"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title(self.title))
        layout.addWidget(
            hint_label(
                "Every change saved in this tracker, newest first: who made it, when, and the "
                "value before and after. The log cannot be edited."
            )
        )

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Staff"))
        self.staff = QComboBox()
        self.staff.setAccessibleName("Filter by staff member")
        self.staff.setMinimumWidth(160)
        filters.addWidget(self.staff)
        filters.addSpacing(12)
        filters.addWidget(QLabel("From"))
        self.date_from = self._date_edit("Changes from this day")
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("to"))
        self.date_to = self._date_edit("Changes up to this day")
        filters.addWidget(self.date_to)
        filters.addSpacing(12)
        filters.addWidget(QLabel("Participant"))
        self.participant = QLineEdit()
        self.participant.setPlaceholderText("code, e.g. P-00042")
        self.participant.setAccessibleName("Filter by participant code")
        self.participant.setClearButtonEnabled(True)
        self.participant.setMaximumWidth(180)
        filters.addWidget(self.participant)
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.clicked.connect(self.clear_filters)
        filters.addWidget(self.clear_button)
        filters.addStretch(1)
        layout.addLayout(filters)

        self.error = error_label()
        layout.addWidget(self.error)
        self.model = AuditModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit log")
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column, width in ((WHEN, 130), (WHO, 140), (PARTICIPANT, 90), (WHAT, 290)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        header.setSectionResizeMode(OLD, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(NEW, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.count = hint_label()
        layout.addWidget(self.count)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.reload)
        self.staff.currentIndexChanged.connect(lambda _i: self.reload())
        self.date_from.dateChanged.connect(lambda _d: self.reload())
        self.date_to.dateChanged.connect(lambda _d: self.reload())
        self.participant.textChanged.connect(lambda _t: self._debounce.start())
        self.participant.returnPressed.connect(self.reload)
        self._loading = False

    @staticmethod
    def _date_edit(name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd MMM yyyy")
        edit.setMinimumDate(ANY_DATE)
        edit.setSpecialValueText("any day")
        edit.setDate(ANY_DATE)
        edit.setAccessibleName(name)
        return edit

    # -- Page protocol -----------------------------------------------------------------
    def refresh(self) -> None:
        repo = self.session.repo
        if repo is None:
            return
        self._loading = True
        chosen = self.staff.currentText()
        self.staff.clear()
        self.staff.addItem(ALL_STAFF)
        self.staff.addItems(staff_in_log(repo))
        index = self.staff.findText(chosen)
        self.staff.setCurrentIndex(max(index, 0))
        self._loading = False
        self.reload()

    def clear(self) -> None:
        self._debounce.stop()
        self.model.set_rows([])
        self._loading = True
        self.staff.clear()
        self._loading = False
        self.count.clear()
        self.error.clear()

    # -- filtering ---------------------------------------------------------------------
    def clear_filters(self) -> None:
        self._loading = True
        self.staff.setCurrentIndex(0)
        self.date_from.setDate(ANY_DATE)
        self.date_to.setDate(ANY_DATE)
        self.participant.clear()
        self._loading = False
        self.reload()

    def _day(self, edit: QDateEdit) -> date | None:
        chosen = edit.date()
        return None if chosen == ANY_DATE else chosen.toPython()  # type: ignore[no-any-return]

    def reload(self) -> None:
        repo = self.session.repo
        if repo is None or self._loading:
            return
        self._debounce.stop()
        self.error.clear()
        staff = self.staff.currentText()
        first, last = self._day(self.date_from), self._day(self.date_to)
        if first and last and first > last:
            self.error.setText("The 'from' day is after the 'to' day: no change can match.")
            self.model.set_rows([])
            self.count.setText("")
            return
        participant_id = None
        code = self.participant.text().strip()
        if code:
            participant_id = find_participant_id(repo, code)
            if participant_id is None:
                self.error.setText(f"No participant with the code {code} in this tracker.")
                self.model.set_rows([])
                self.count.setText("")
                return
        entries = repo.audit_entries(
            participant_id=participant_id,
            staff=None if staff in ("", ALL_STAFF) else staff,
            since=datetime.combine(first, time.min) if first else None,
            until=datetime.combine(last, time.max) if last else None,
            limit=LIMIT,
        )
        codes = participant_codes(repo)
        rows = [
            AuditRow(
                entry=entry,
                participant=(
                    ""
                    if entry.participant_id is None
                    else codes.get(entry.participant_id, f"#{entry.participant_id} (removed)")
                ),
                what=describe(entry),
                old=show_value(entry.old_value, json_value=entry.table_name == "settings"),
                new=show_value(entry.new_value, json_value=entry.table_name == "settings"),
            )
            for entry in entries
        ]
        self.model.set_rows(rows)
        if not rows:
            self.count.setText("No changes match these filters.")
        elif len(rows) >= LIMIT:
            self.count.setText(
                f"Showing the newest {LIMIT:,} changes. Narrow the filters to see older ones."
            )
        else:
            self.count.setText(f"{len(rows):,} change{'s' if len(rows) != 1 else ''}")
