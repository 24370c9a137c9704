"""Small helpers shared by the journey, measures and follow-up widgets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QAbstractItemView, QDateEdit, QHeaderView, QTableWidget, QWidget

DATE_DISPLAY = "d MMM yyyy"


def fmt_day(day: date | None) -> str:
    return "" if day is None else f"{day.day} {day:%b %Y}"


def to_qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def date_edit(
    day: date | None = None, name: str = "Date", parent: QWidget | None = None
) -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_DISPLAY)
    edit.setDate(to_qdate(day or date.today()))
    edit.setAccessibleName(name)
    return edit


def readonly_table(
    headers: Sequence[str], name: str, parent: QWidget | None = None
) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setAccessibleName(name)
    table.setWordWrap(False)
    return table


def fill_row(
    table: QTableWidget,
    row: int,
    values: Sequence[object],
    key: object = None,
    align_right: Sequence[int] = (),
) -> None:
    """Put ``values`` in ``row`` (text), storing ``key`` in the first cell's UserRole."""
    from PySide6.QtWidgets import QTableWidgetItem

    for column, value in enumerate(values):
        item = QTableWidgetItem("" if value is None else str(value))
        if column in align_right:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if column == 0:
            item.setData(Qt.ItemDataRole.UserRole, key)
        table.setItem(row, column, item)


def selected_key(table: QTableWidget) -> object:
    rows = table.selectionModel().selectedRows()
    if not rows:
        return None
    item = table.item(rows[0].row(), 0)
    return item.data(Qt.ItemDataRole.UserRole) if item else None


def select_key(table: QTableWidget, key: object) -> bool:
    for row in range(table.rowCount()):
        item = table.item(row, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == key:
            table.selectRow(row)
            return True
    return False


def money(value: float | None) -> str:
    return "" if value is None else f"${value:,.2f}"


def hours(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
