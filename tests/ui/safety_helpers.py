"""Helpers for the safety UI tests: a wall clock the test moves, answering message boxes."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from tests.conftest import PASSWORD


class FakeClock:
    """Seconds since the epoch, moved forward by the test (no sleeping)."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


def answer_next_message_box(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Click ``button`` in the next modal message box (records its text in ``seen``)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(20, click)

    QTimer.singleShot(0, click)


def answer_next_input_dialog(text: str | None) -> None:
    """Type ``text`` into the next modal input dialog and accept it (None cancels)."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(20, fill)
            return
        if text is None:
            dialog.reject()
            return
        field = dialog.findChild(QLineEdit)
        assert field is not None
        field.setText(text)
        dialog.accept()

    QTimer.singleShot(0, fill)


def unlock_with(qtbot: QtBot, dialog: QWidget, password: str = PASSWORD, staff: str = "") -> None:
    """Drive the unlock dialog like a user: password, Unlock, (name), Start."""
    qtbot.keyClicks(dialog.password, password)  # type: ignore[attr-defined]
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    picker = dialog.staff_picker  # type: ignore[attr-defined]
    if staff:
        picker.combo.setEditText(staff)
    qtbot.mouseClick(picker.start, Qt.MouseButton.LeftButton)


def iter_widgets(root: QWidget) -> Iterator[QWidget]:
    yield root
    yield from root.findChildren(QWidget)
