"""Keyboard use across the main window: screen shortcuts work wherever the focus is."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tracker_desktop.ui.controller import AppController
from tracker_desktop.ui.main_window import MainWindow
from tracker_desktop.ui.participants_page import ParticipantsPage

pytestmark = pytest.mark.usefixtures("synchronous_tasks")
CTRL = Qt.KeyboardModifier.ControlModifier


def _click_sidebar(qtbot: QtBot, controller: AppController, label: str) -> None:
    navigation = controller.window.navigation
    item = navigation.findItems(label, Qt.MatchFlag.MatchExactly)[0]
    rect = navigation.visualItemRect(item)
    qtbot.mouseClick(navigation.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _activate(qtbot: QtBot, controller: AppController) -> MainWindow:
    """Window shortcuts only fire in the active window."""
    window = controller.window
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    return window


def test_participant_shortcuts_work_after_a_sidebar_click(
    qtbot: QtBot, controller: AppController
) -> None:
    window = _activate(qtbot, controller)
    _click_sidebar(qtbot, controller, "Dashboard")
    _click_sidebar(qtbot, controller, "Participants")
    page = window.stack.currentWidget()
    assert isinstance(page, ParticipantsPage)
    assert window.navigation.hasFocus()  # a click leaves the focus in the sidebar

    qtbot.keyClick(window.navigation, Qt.Key.Key_F, CTRL)  # Ctrl+F: search
    assert page.search.hasFocus()
    qtbot.keyClicks(page.search, "Garx")  # nobody: the list says so
    assert page.count_label.text().startswith("0 of 1")

    window.navigation.setFocus()
    qtbot.keyClick(window.navigation, Qt.Key.Key_N, CTRL)  # Ctrl+N: new participant
    assert page.stack.currentWidget() is page.record
    assert page.record.fields["first_name"].input.hasFocus()

    window.navigation.setFocus()
    qtbot.keyClick(window.navigation, Qt.Key.Key_Escape)  # Esc: close the (empty) form
    assert page.stack.currentWidget() is not page.record


def test_participant_shortcuts_stay_off_on_other_screens(
    qtbot: QtBot, controller: AppController
) -> None:
    window = _activate(qtbot, controller)
    participants = window.show_screen("participants")
    assert isinstance(participants, ParticipantsPage)
    window.show_screen("followups")
    qtbot.keyClick(window.navigation, Qt.Key.Key_N, CTRL)
    assert window.stack.currentWidget() is not participants
    assert participants.stack.currentWidget() is not participants.record
