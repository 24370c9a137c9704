"""The Data quality screen: what is missing, which follow-ups are overdue, who may be
entered twice -- each with the participants behind it, one double-click from their record.
The findings come from core/quality.py (the same rules `tracker-desktop check` prints)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import quality
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.tasks import run_task
from tracker_desktop.ui.widgets import error_label, hint_label, page_title

PID_ROLE = Qt.ItemDataRole.UserRole
GOOD, WARN = "#1d7a3e", "#b7791f"


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _fill(table: QTableWidget, rows: list[tuple[list[str], int | None]]) -> None:
    table.setRowCount(len(rows))
    for r, (cells, pid) in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if pid is not None:
                item.setData(PID_ROLE, pid)
            table.setItem(r, c, item)


def _share(value: float | None) -> str:
    if value is None:
        return "n/a"
    if 0.99 <= value < 1:
        return f"{value:.1%}"  # never round a gap away to "100%"
    return f"{value:.0%}"


class SummaryTile(QFrame):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        layout = QVBoxLayout(self)
        self.title = QLabel(title)
        self.title.setStyleSheet("color: #44535e; font-weight: 600;")
        self.value = QLabel("…")
        self.value.setStyleSheet("font-size: 20pt; font-weight: 700; color: #10242f;")
        self.detail = QLabel("")
        self.detail.setStyleSheet("color: #5b6770;")
        self.detail.setWordWrap(True)
        for label in (self.title, self.value, self.detail):
            layout.addWidget(label)

    def display(self, value: str, detail: str, good: bool) -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        color = GOOD if good else WARN
        self.setStyleSheet(
            "QFrame#tile { background: #ffffff; border: 1px solid #d5dde3; "
            f"border-left: 6px solid {color}; border-radius: 6px; }}"
        )


class QualityPage(Page):
    title = "Data quality"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.details: quality.QualityDetails | None = None
        self._dirty = True
        self._generation = 0
        session.data_changed.connect(self._on_data_changed)
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        header.addWidget(page_title("Data quality"))
        header.addStretch(1)
        self.refresh_button = QPushButton("Check again")
        self.refresh_button.clicked.connect(lambda: self.reload())
        header.addWidget(self.refresh_button)
        layout.addLayout(header)
        layout.addWidget(
            hint_label(
                "Missing data is never counted as a failure on the dashboard: it is left out "
                "and shown as 'unknown'.  Fill in what is listed here to make the numbers "
                "complete.  Double-click a participant to open their record."
            )
        )
        self.message = error_label()
        self.message.hide()
        layout.addWidget(self.message)
        tiles = QHBoxLayout()
        self.required_tile = SummaryTile("Required fields complete")
        self.overdue_tile = SummaryTile("Overdue follow-ups")
        self.duplicates_tile = SummaryTile("Suspected duplicates")
        for tile in (self.required_tile, self.overdue_tile, self.duplicates_tile):
            tiles.addWidget(tile)
        layout.addLayout(tiles)

        self.tabs = QTabWidget()
        completeness = QSplitter(Qt.Orientation.Vertical)
        self.checks = _table(["Field", "Applies to", "Complete", "Missing", "Required"])
        self.checks.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.checks.itemSelectionChanged.connect(self._show_missing)
        completeness.addWidget(self.checks)
        missing_box = QWidget()
        missing_layout = QVBoxLayout(missing_box)
        missing_layout.setContentsMargins(0, 0, 0, 0)
        self.missing_label = QLabel("Pick a field above to list who is missing it.")
        self.missing_label.setStyleSheet("font-weight: 600;")
        missing_layout.addWidget(self.missing_label)
        self.missing = _table(["Code", "Name"])
        self.missing.itemDoubleClicked.connect(self._open_item)
        missing_layout.addWidget(self.missing)
        completeness.addWidget(missing_box)
        self.tabs.addTab(completeness, "Completeness")
        self.overdue = _table(["Code", "Name", "Follow-up", "Due", "Days overdue"])
        self.overdue.itemDoubleClicked.connect(self._open_item)
        self.tabs.addTab(self.overdue, "Overdue follow-ups")
        self.duplicates = _table(["Group", "Code", "Name", "Why"])
        self.duplicates.setAlternatingRowColors(False)
        self.duplicates.itemDoubleClicked.connect(self._open_item)
        self.tabs.addTab(self.duplicates, "Suspected duplicates")
        layout.addWidget(self.tabs, 1)

    # -- page protocol ------------------------------------------------------------------------
    def refresh(self) -> None:
        if self._dirty or self.details is None:
            self.reload()

    def clear(self) -> None:
        self._generation += 1
        self.details = None
        self._dirty = True
        for table in (self.checks, self.missing, self.overdue, self.duplicates):
            table.setRowCount(0)
        for tile in (self.required_tile, self.overdue_tile, self.duplicates_tile):
            tile.value.setText("…")
            tile.detail.setText("")

    def _on_data_changed(self, _what: str) -> None:
        self._dirty = True
        if self.isVisible() and self.session.is_open:
            self.reload()

    def reload(self) -> None:
        if not self.session.is_open:
            return
        repo = self.session.require_repo()
        self._dirty = False
        self._generation += 1
        generation = self._generation
        today = date.today()

        def work(_progress: Callable[..., bool]) -> tuple[int, quality.QualityDetails]:
            return generation, quality.quality_details(repo, today)

        run_task(work, self._show, self._failed, parent=self)

    def _failed(self, error: BaseException, _trace: str) -> None:
        if self.session.is_open:
            self.message.setText(f"The checks could not run: {error}")
            self.message.show()

    # -- showing ---------------------------------------------------------------------------
    def _show(self, result: tuple[int, quality.QualityDetails]) -> None:
        generation, details = result
        if generation != self._generation or not self.session.is_open:
            return
        self.details = details
        self.message.hide()
        share = details.required_share
        self.required_tile.display(
            _share(share),
            f"{details.required_complete:,} of {details.participants:,} participants have "
            "first and last name, program and enrollment date",
            share is None or share >= 0.999,
        )
        self.overdue_tile.display(
            f"{len(details.overdue):,}",
            "alumni calls past their due date and not yet recorded",
            not details.overdue,
        )
        people = sum(len(g) for g in details.duplicates)
        self.duplicates_tile.display(
            f"{len(details.duplicates):,}",
            f"group{'s' if len(details.duplicates) != 1 else ''} of records with the same "
            f"name and birth or enrollment date ({people:,} records)",
            not details.duplicates,
        )
        rows: list[tuple[list[str], int | None]] = []
        for check in details.checks:
            rows.append(
                (
                    [
                        check.label,
                        f"{check.applies_to:,}",
                        _share(check.share),
                        f"{len(check.missing):,}",
                        "Required" if check.required else "Recommended",
                    ],
                    None,
                )
            )
        self.checks.setRowCount(0)
        _fill(self.checks, rows)
        for r, check in enumerate(details.checks):
            self.checks.item(r, 0).setToolTip(check.description)
            if check.missing:
                self.checks.item(r, 3).setForeground(QBrush(QColor(WARN)))
        first_missing = next((i for i, c in enumerate(details.checks) if c.missing), 0)
        self.checks.selectRow(first_missing)
        self._show_missing()
        _fill(
            self.overdue,
            [
                (
                    [
                        o.person.code,
                        o.person.name,
                        f"{o.days_after_exit} days after exit",
                        o.due_on.isoformat(),
                        f"{o.days_overdue:,}",
                    ],
                    o.person.participant_id,
                )
                for o in details.overdue
            ],
        )
        dup_rows: list[tuple[list[str], int | None]] = []
        for number, group in enumerate(details.duplicates, start=1):
            for person in group:
                dup_rows.append(
                    ([str(number), person.code, person.name, person.detail], person.participant_id)
                )
        _fill(self.duplicates, dup_rows)
        shade = QBrush(QColor("#eef3f7"))
        for r in range(self.duplicates.rowCount()):
            if int(self.duplicates.item(r, 0).text()) % 2 == 0:
                for c in range(self.duplicates.columnCount()):
                    self.duplicates.item(r, c).setBackground(shade)
        self.tabs.setTabText(1, f"Overdue follow-ups ({len(details.overdue):,})")
        self.tabs.setTabText(2, f"Suspected duplicates ({len(details.duplicates):,})")

    def _show_missing(self) -> None:
        if self.details is None:
            return
        rows = self.checks.selectionModel().selectedRows()
        if not rows:
            return
        check = self.details.checks[rows[0].row()]
        if check.missing:
            self.missing_label.setText(
                f"{check.label}: missing for {len(check.missing):,} — {check.description}"
            )
        else:
            self.missing_label.setText(f"{check.label}: complete for everyone it applies to.")
        _fill(self.missing, [([p.code, p.name], p.participant_id) for p in check.missing])

    def _open_item(self, item: QTableWidgetItem) -> None:
        pid = item.data(PID_ROLE)
        if pid is None:
            return
        window = self.window()
        show = getattr(window, "show_screen", None)
        if show is None:
            return
        page = show("participants")
        opener = getattr(page, "open_participant", None)
        if opener is not None:
            opener(int(pid))
