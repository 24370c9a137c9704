"""Locking: idle time on a (fake) wall clock, Ctrl+L, screens cleared, drafts kept encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from tests.conftest import PASSWORD
from tests.helpers import add_participant
from tests.ui.safety_helpers import FakeClock, unlock_with
from tracker_desktop.core import drafts
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.controller import AppController
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.session import Session

pytestmark = pytest.mark.usefixtures("synchronous_tasks")

DRAFT_TEXT = "half-typed note about Zyxqvorth"


class EditingPage(Page):
    """Stands for any screen with a form: a field whose unsaved text is the draft."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.field = QLineEdit()
        QVBoxLayout(self).addWidget(self.field)
        self.restored: list[object] = []

    def clear(self) -> None:
        self.field.clear()

    def has_unsaved_changes(self) -> bool:
        return bool(self.field.text())

    def draft_state(self) -> object | None:
        return {"note": self.field.text()} if self.field.text() else None

    def restore_draft(self, state: object) -> None:
        self.restored.append(state)
        assert isinstance(state, dict)
        self.field.setText(state["note"])


def assert_locked(ctl: AppController) -> None:
    assert not ctl.session.is_open
    assert ctl.session.vault is None
    assert ctl.unlock_dialog is not None and ctl.unlock_dialog.isVisible()
    assert not ctl.window.centralWidget().isEnabled()


def test_idle_lock_uses_wall_clock_and_input_resets_it(
    qtbot: QtBot, controller: AppController, clock: FakeClock
) -> None:
    assert controller.idle.minutes == 10
    clock.advance(9)
    assert not controller.idle.check()
    assert controller.session.is_open
    qtbot.keyClick(controller.window.navigation, Qt.Key.Key_Down)  # the user is working
    clock.advance(9)
    controller.idle.check()
    assert controller.session.is_open, "input 9 minutes ago must have reset the idle time"
    clock.advance(1.01)
    assert controller.idle.check()
    assert_locked(controller)


def test_laptop_that_slept_past_the_limit_wakes_locked(
    qtbot: QtBot, controller: AppController, clock: FakeClock
) -> None:
    clock.advance(3 * 60)  # three hours asleep: no timer fired meanwhile
    # The first key press after waking finds the limit passed: it locks, not resets.
    qtbot.keyClick(controller.window.navigation, Qt.Key.Key_Down)
    assert_locked(controller)


def test_idle_minutes_come_from_the_file(qtbot: QtBot, vault: Vault, clock: FakeClock) -> None:
    Repository(vault, "x").set_setting("idle_lock_minutes", 3)
    ctl = AppController(vault, "x", clock=clock)
    qtbot.addWidget(ctl.window)
    clock.advance(2.9)
    assert not ctl.idle.check()
    clock.advance(0.2)
    assert ctl.idle.check()
    assert not ctl.session.is_open
    ctl.idle.dispose()


def test_ctrl_l_locks_clears_screens_and_unlock_brings_them_back(
    qtbot: QtBot, controller: AppController
) -> None:
    window = controller.window
    audit = window.show_screen("audit")
    audit_model = audit.model  # type: ignore[attr-defined]
    assert audit_model.rowCount() > 0
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert_locked(controller)
    assert audit_model.rowCount() == 0, "the audit table still shows data while locked"
    assert window.file_label.text() == "Locked"

    dialog = controller.unlock_dialog
    assert dialog is not None
    assert not dialog.choose_button.isVisible()
    unlock_with(qtbot, dialog)
    assert controller.session.is_open
    assert controller.unlock_dialog is None
    assert audit_model.rowCount() > 0
    assert controller.idle.active


def test_lock_button_and_wrong_password_keep_it_locked(
    qtbot: QtBot, controller: AppController
) -> None:
    controller.window.lock_action.trigger()
    dialog = controller.unlock_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.password, "not the password")
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert "Wrong password" in dialog.error.text()
    assert not controller.session.is_open


def test_edit_in_progress_is_kept_encrypted_and_offered_back(
    qtbot: QtBot, controller: AppController, vault_path: Path
) -> None:
    window = controller.window
    page = EditingPage(controller.session)
    window.pages["participants"] = page
    window.stack.addWidget(page)
    window.show_screen("participants")
    qtbot.keyClicks(page.field, DRAFT_TEXT)

    controller.lock()
    assert_locked(controller)
    assert page.field.text() == "", "the form must be cleared while locked"
    raw = vault_path.read_bytes()
    assert DRAFT_TEXT.encode() not in raw and b"Zyxqvorth" not in raw
    assert not controller.draft_toolbar.isVisible()

    dialog = controller.unlock_dialog
    assert dialog is not None
    unlock_with(qtbot, dialog)
    assert controller.draft_toolbar.isVisible()
    assert "unsaved changes" in controller.draft_bar.message.text()
    assert "Participants" in controller.draft_bar.message.text()
    qtbot.mouseClick(controller.draft_bar.restore_button, Qt.MouseButton.LeftButton)
    assert page.field.text() == DRAFT_TEXT
    assert not controller.draft_toolbar.isVisible()
    vault = controller.session.vault
    assert vault is not None
    assert drafts.load_drafts(vault, "Maria Lopez") is None, "a restored draft is not kept"


def test_draft_is_only_offered_to_its_author_and_can_be_discarded(
    qtbot: QtBot, controller: AppController
) -> None:
    page = EditingPage(controller.session)
    controller.window.pages["participants"] = page
    controller.window.stack.addWidget(page)
    qtbot.keyClicks(page.field, DRAFT_TEXT)
    controller.lock()
    dialog = controller.unlock_dialog
    assert dialog is not None
    unlock_with(qtbot, dialog, staff="Sam Okafor")  # a colleague unlocks
    assert controller.session.staff == "Sam Okafor"
    assert not controller.draft_toolbar.isVisible()

    controller.lock()  # nothing typed: Maria's draft must survive this lock
    dialog = controller.unlock_dialog
    assert dialog is not None
    unlock_with(qtbot, dialog, staff="Maria Lopez")
    assert controller.draft_toolbar.isVisible()
    qtbot.mouseClick(controller.draft_bar.discard_button, Qt.MouseButton.LeftButton)
    assert not controller.draft_toolbar.isVisible()
    assert page.restored == []
    vault = controller.session.vault
    assert vault is not None
    assert drafts.load_drafts(vault, "Maria Lopez") is None


def test_cancelling_the_unlock_dialog_closes_the_window(
    qtbot: QtBot, controller: AppController
) -> None:
    controller.lock()
    dialog = controller.unlock_dialog
    assert dialog is not None
    dialog.reject()
    assert not controller.window.isVisible()
    assert not controller.session.is_open


def test_reopen_after_lock_uses_the_same_file(controller: AppController, vault_path: Path) -> None:
    controller.lock()
    with Vault.open(vault_path, PASSWORD) as again:
        assert Repository(again).count("participants") == 1


def test_real_record_form_edit_survives_a_lock(
    qtbot: QtBot, controller: AppController, vault_path: Path
) -> None:
    from tracker_desktop.ui.participants_page import ParticipantsPage

    window = controller.window
    page = window.show_screen("participants")
    assert isinstance(page, ParticipantsPage)
    repo = controller.session.require_repo()
    pid = repo.rows("participants")[0]["id"]
    page.open_participant(pid)
    first = page.record.fields["first_name"].input
    assert isinstance(first, QLineEdit)
    first.setFocus()
    first.selectAll()
    qtbot.keyClicks(first, "Zyxqvorthia")
    assert page.has_unsaved_changes()

    window.lock_action.trigger()
    assert_locked(controller)
    assert first.text() == ""
    assert b"Zyxqvorthia" not in vault_path.read_bytes()
    dialog = controller.unlock_dialog
    assert dialog is not None
    unlock_with(qtbot, dialog)
    assert controller.draft_toolbar.isVisible()
    qtbot.mouseClick(controller.draft_bar.restore_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is page
    assert first.text() == "Zyxqvorthia"
    assert page.record.save()
    assert repo.get("participants", pid)["first_name"] == "Zyxqvorthia"


def test_unlock_after_lock_offers_the_same_staff_member_first(
    qtbot: QtBot, controller: AppController
) -> None:
    controller.session.require_repo().insert("staff", {"name": "Aaron Able", "active": True})
    controller.lock()
    dialog = controller.unlock_dialog
    assert dialog is not None
    assert "locked" in dialog.hint.text()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert dialog.staff_picker.combo.currentText() == "Maria Lopez"  # not the first name
    qtbot.mouseClick(dialog.staff_picker.start, Qt.MouseButton.LeftButton)
    assert controller.session.staff == "Maria Lopez"


def visible_texts(root: QWidget) -> list[str]:
    """Every text a widget tree can show: labels, fields, combos, tabs, table cells."""
    texts = [root.windowTitle()]
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QLabel | QAbstractButton | QLineEdit):
            texts.append(widget.text())
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            texts.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
            texts.append(widget.currentText())
        elif isinstance(widget, QTabWidget):
            texts.extend(widget.tabText(i) for i in range(widget.count()))
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            root_index = QModelIndex()
            try:
                rows, columns = model.rowCount(root_index), model.columnCount(root_index)
            except TypeError:  # Qt-internal models (list widgets) hide columnCount
                rows, columns = model.rowCount(root_index), 1
            for row in range(min(rows, 2000)):
                for column in range(columns):
                    texts.append(str(model.index(row, column).data() or ""))
        texts.append(widget.toolTip())
    return texts


def test_lock_leaves_no_participant_detail_on_any_screen(
    qtbot: QtBot, controller: AppController
) -> None:
    from tracker_desktop.ui.navigation import SCREENS

    repo = controller.session.require_repo()
    add_participant(repo, first="Zorvathine", last="Quellmoor", phone="555-0142")
    controller.session.notify("participants")
    window = controller.window
    for screen in SCREENS:  # build and fill every screen once
        window.show_screen(screen.key)
    participants = window.show_screen("participants")
    pid = next(r["id"] for r in repo.rows("participants") if r["first_name"] == "Zorvathine")
    participants.open_participant(pid)  # type: ignore[attr-defined]
    shown = "\n".join(visible_texts(window))
    assert "Zorvathine" in shown, "the check must see the name while unlocked"

    window.lock_action.trigger()
    assert_locked(controller)
    leftovers = [t for t in visible_texts(window) if "Zorvathine" in t or "Quellmoor" in t]
    assert not leftovers, f"still on screen while locked: {leftovers[:5]}"


def test_follow_up_result_being_typed_survives_a_lock(
    qtbot: QtBot, controller: AppController, vault_path: Path
) -> None:
    from datetime import date, timedelta

    from tracker_desktop.core import journey
    from tracker_desktop.ui.followups_page import FollowupsPage

    repo = controller.session.require_repo()
    pid = repo.rows("participants")[0]["id"]
    with repo.transaction() as tx:
        journey.exit_participant(tx, pid, date.today() - timedelta(days=40), "Graduated")
    page = controller.window.show_screen("followups")
    assert isinstance(page, FollowupsPage)
    page.overdue_table.selectRow(0)
    form = page.form
    qtbot.mouseClick(form.reached, Qt.MouseButton.LeftButton)
    form.employed.setCurrentIndex(1)  # Yes
    qtbot.keyClicks(form.employer, "Harbor Kitchen")
    qtbot.keyClicks(form.notes, "Called Zyxqvorth, doing well")

    controller.window.lock_action.trigger()
    assert_locked(controller)
    assert form.notes.toPlainText() == "" and not form.isEnabled()
    assert b"Zyxqvorth" not in vault_path.read_bytes()
    dialog = controller.unlock_dialog
    assert dialog is not None
    unlock_with(qtbot, dialog)
    assert "Follow-ups" in controller.draft_bar.message.text()
    qtbot.mouseClick(controller.draft_bar.restore_button, Qt.MouseButton.LeftButton)
    assert controller.window.stack.currentWidget() is page
    assert form.notes.toPlainText() == "Called Zyxqvorth, doing well"
    assert form.reached.isChecked() and form.employer.text() == "Harbor Kitchen"
    assert "back" in page.status.text()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    saved = journey.participant_followups(repo, pid)[0]
    assert (saved["status"], saved["employed"], saved["employer"]) == (
        "done",
        True,
        "Harbor Kitchen",
    )
    assert saved["notes"] == "Called Zyxqvorth, doing well"
