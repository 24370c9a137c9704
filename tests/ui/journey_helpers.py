"""Helpers for the UI tests: an open session or main window, and modal-dialog driving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import QApplication, QDateEdit, QWidget
from pytestqt.qtbot import QtBot

from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.main_window import MainWindow
from tracker_desktop.ui.session import Session


def open_session(repo: Repository) -> Session:
    session = Session()
    session.open(repo.vault, repo.staff or "Test Staff")
    return session


def open_main_window(qtbot: QtBot, vault: Vault, staff: str) -> MainWindow:
    """The main window (no controller: no idle lock, no backups) unlocked by ``staff``."""
    session = Session()
    window = MainWindow(session)
    qtbot.addWidget(window)
    session.open(vault, staff)
    window.show()
    return window


def set_date(edit: QDateEdit, day: date) -> None:
    edit.setDate(QDate(day.year, day.month, day.day))


def when_modal(act: Callable[[QWidget], None], failures: list[BaseException]) -> None:
    """Run ``act(dialog)`` on the next modal dialog that opens (from inside its exec())."""

    def attempt(tries: int = 0) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            if tries < 200:
                QTimer.singleShot(10, lambda: attempt(tries + 1))
            return
        try:
            act(dialog)
        except BaseException as exc:  # surfaced by the test after exec() returns
            failures.append(exc)
            dialog.close()

    QTimer.singleShot(0, attempt)
