"""Ties the session, the main window and locking/unlocking together.

Locking (Ctrl+L, the Lock button, or idle time): every screen hands over its edit in
progress, which is stored encrypted inside the tracker; then the connection is closed,
every screen clears what it shows and the unlock dialog appears.  After unlocking, the
same staff member is offered their edit back.

Backups: automatically on close and at most daily while open (only when something
changed since the newest backup), in the background so the window never freezes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QToolBar,
    QWidget,
)

from tracker_desktop.core import backup_policy, drafts
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.backup_places import remember_backup_folder
from tracker_desktop.ui.idle import IDLE_DEFAULT_MINUTES, IDLE_SETTING, IdleWatcher
from tracker_desktop.ui.main_window import MainWindow
from tracker_desktop.ui.navigation import SCREENS
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.tasks import TaskRunner, run_task

DAILY_CHECK_MS = 30 * 60 * 1000
FIRST_CHECK_MS = 2 * 60 * 1000  # not during start-up: the first minutes belong to the user
READ_AHEAD_DELAY_MS = 3000  # after start-up: the participant list is drawn and idle


class DraftBar(QWidget):
    """ "You had unsaved changes when the tracker locked": Restore / Discard."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("draftBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "QWidget#draftBar { background: #fff4d6; border: 1px solid #e0c36b;"
            " border-radius: 4px; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.message, 1)
        self.restore_button = QPushButton("Restore my unsaved changes")
        self.restore_button.setDefault(True)
        layout.addWidget(self.restore_button)
        self.discard_button = QPushButton("Discard them")
        layout.addWidget(self.discard_button)


class AppController(QObject):
    def __init__(
        self,
        vault: Vault,
        staff: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.session = Session()
        self.window = MainWindow(self.session)
        self.window.lock_requested.connect(self.lock)
        self.window.about_to_close.connect(self._on_closing)
        self.session.data_changed.connect(self._on_data_changed)

        self.idle = IdleWatcher(IDLE_DEFAULT_MINUTES, clock=clock, parent=self)
        self.idle.idle.connect(self.lock)

        self.unlock_dialog: QDialog | None = None
        self.pending_drafts: dict[str, Any] | None = None
        self.draft_bar = DraftBar()
        self.draft_bar.restore_button.clicked.connect(self.restore_drafts)
        self.draft_bar.discard_button.clicked.connect(self.discard_drafts)
        self.window.addToolBarBreak()
        self.draft_toolbar = QToolBar("Unsaved changes")
        self.draft_toolbar.setObjectName("draftToolbar")
        self.draft_toolbar.setMovable(False)
        self.draft_toolbar.addWidget(self.draft_bar)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.draft_toolbar)
        self.draft_toolbar.setVisible(False)

        self.last_staff: str | None = None
        self.backup_running = False
        self.last_backup: Path | None = None
        self.last_backup_error: str | None = None
        self.backup_timer = QTimer(self)
        self.backup_timer.setInterval(DAILY_CHECK_MS)
        self.backup_timer.timeout.connect(self.maybe_daily_backup)
        self.first_backup_check = QTimer(self)
        self.first_backup_check.setSingleShot(True)
        self.first_backup_check.setInterval(FIRST_CHECK_MS)
        self.first_backup_check.timeout.connect(self.maybe_daily_backup)

        self._opened(vault, staff)

    # -- unlocked ------------------------------------------------------------------------
    def _opened(self, vault: Vault, staff: str) -> None:
        self.session.open(vault, staff)
        self.last_staff = staff
        repo = self.session.require_repo()
        self.idle.set_minutes(repo.setting(IDLE_SETTING, IDLE_DEFAULT_MINUTES))
        self.idle.start()
        self.backup_timer.start()
        remember_backup_folder(vault.path, backup_policy.backup_folder(repo))
        self._offer_drafts()
        self.first_backup_check.start()
        # Once the participant list is up, read the dashboard's data in the background.
        QTimer.singleShot(READ_AHEAD_DELAY_MS, self.session.read_ahead_snapshot)

    def _on_data_changed(self, what: str) -> None:
        if what == "settings" and self.session.is_open:
            self.idle.set_minutes(
                self.session.require_repo().setting(IDLE_SETTING, IDLE_DEFAULT_MINUTES)
            )

    # -- locking -------------------------------------------------------------------------
    def lock(self) -> None:
        """Keep edits in progress (encrypted), close the file, clear every screen, ask to
        unlock.  Does nothing when already locked."""
        if not self.session.is_open:
            return
        path = self.session.path
        self.idle.stop()
        self.backup_timer.stop()
        self.first_backup_check.stop()
        self._keep_drafts()
        self._hide_draft_bar()
        self._close_other_windows()
        self.session.lock()
        clipboard = QGuiApplication.clipboard()
        if clipboard.ownsClipboard():
            clipboard.clear()  # a name copied from the tracker must not outlive the lock
        if path is not None:
            self.prompt_unlock(path)

    def _keep_drafts(self) -> None:
        collected: dict[str, Any] = {}
        for key, page in self.window.pages.items():
            try:
                state = page.draft_state()
            except Exception:  # a broken page must not stop the lock
                state = None
            if state is not None:
                collected[key] = state
        if not collected:
            return  # never delete drafts still waiting for an answer
        vault = self.session.vault
        staff = self.session.staff
        if vault is None or staff is None:
            return
        earlier = drafts.load_drafts(vault, staff)
        merged = {**(earlier["pages"] if earlier else {}), **collected}
        drafts.save_drafts(vault, staff, merged)

    def _close_other_windows(self) -> None:
        """Record windows and dialogs the screens opened: they show participant data."""
        from PySide6.QtWidgets import QApplication

        for widget in QApplication.topLevelWidgets():
            if widget is self.window or not widget.isVisible():
                continue
            if widget is self.unlock_dialog:
                continue
            widget.close()

    def prompt_unlock(self, path: object) -> QDialog:
        """Show the unlock dialog over the (cleared) window; non-blocking."""
        from tracker_desktop.ui.unlock_dialog import UnlockDialog

        dialog = UnlockDialog(Path(str(path)), self.window)
        dialog.choose_button.setVisible(False)
        dialog.new_button.setVisible(False)
        dialog.setWindowTitle("Locked - type the password to continue")
        dialog.hint.setText(
            "The tracker is locked: nothing is shown until the password is typed again."
        )
        dialog.hint.setVisible(True)
        self.unlock_dialog = dialog
        previous = self.session.staff or self.last_staff

        def preselect_staff(_index: int) -> None:
            # Most often the same person comes back: offer their name first.
            if dialog.pages.currentWidget() is dialog.staff_picker and previous:
                combo = dialog.staff_picker.combo
                found = combo.findText(previous)
                if found >= 0:
                    combo.setCurrentIndex(found)

        dialog.pages.currentChanged.connect(preselect_staff)

        def finished(result: int) -> None:
            self.unlock_dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted and dialog.vault is not None:
                self._opened(dialog.vault, dialog.staff or "staff")
            else:
                self.window.close()

        dialog.finished.connect(finished)
        dialog.open()
        return dialog

    # -- drafts --------------------------------------------------------------------------
    def _offer_drafts(self) -> None:
        vault, staff = self.session.vault, self.session.staff
        if vault is None or staff is None:
            return
        self.pending_drafts = drafts.load_drafts(vault, staff)
        if not self.pending_drafts:
            self._hide_draft_bar()
            return
        saved = str(self.pending_drafts.get("saved_at", ""))
        try:
            when = datetime.fromisoformat(saved).strftime("%d %b %Y at %H:%M")
        except ValueError:
            when = "the last lock"
        screens = ", ".join(
            next((s.label for s in SCREENS if s.key == key), key)
            for key in self.pending_drafts["pages"]
        )
        self.draft_bar.message.setText(
            f"<b>You had unsaved changes</b> ({screens}) when the tracker locked on {when}."
            "<br>They were kept, encrypted, inside the tracker file."
        )
        self.draft_toolbar.setVisible(True)

    def _hide_draft_bar(self) -> None:
        self.draft_toolbar.setVisible(False)
        self.pending_drafts = None

    def restore_drafts(self) -> None:
        pending = self.pending_drafts
        vault, staff = self.session.vault, self.session.staff
        if not pending or vault is None or staff is None:
            return
        first: str | None = None
        for key, state in pending["pages"].items():
            if not any(s.key == key for s in SCREENS):
                continue
            page = self.window.page(key)
            page.restore_draft(state)
            first = first or key
        drafts.discard_drafts(vault, staff)
        self._hide_draft_bar()
        if first is not None:
            self.window.show_screen(first)

    def discard_drafts(self) -> None:
        vault, staff = self.session.vault, self.session.staff
        if vault is not None and staff is not None:
            drafts.discard_drafts(vault, staff)
        self._hide_draft_bar()

    # -- backups -------------------------------------------------------------------------
    def maybe_daily_backup(self) -> None:
        """Back up in the background if the newest backup is a day old and misses changes."""
        repo = self.session.repo
        if repo is None or self.backup_running:
            return
        now = datetime.fromtimestamp(self.clock())
        try:
            due = backup_policy.backup_due(repo, now, backup_policy.DAILY)
        except OSError:
            due = True
        if not due:
            return
        self.backup_running = True

        def done(path: object) -> None:
            self.backup_running = False
            self.last_backup = Path(str(path))
            self.last_backup_error = None
            self.window.statusBar().showMessage(
                f"Automatic backup written and verified: {self.last_backup.name}", 8000
            )

        def failed(exc: BaseException, _trace: str) -> None:
            self.backup_running = False
            self.last_backup_error = str(exc)
            self.window.statusBar().showMessage(
                f"The automatic backup failed: {exc}. Your tracker itself is safe.", 15000
            )

        run_task(lambda _progress: backup_policy.back_up(repo), done, failed, parent=self.window)

    def _on_closing(self) -> None:
        """Closing the app: a last backup if anything changed since the newest one.

        The copy runs in the background while a small "Writing the automatic backup"
        window shows, so the app keeps painting (a big tracker takes seconds)."""
        self.idle.dispose()
        self.backup_timer.stop()
        self.first_backup_check.stop()
        if self.backup_running:
            TaskRunner.wait_for_all()  # a daily backup still writing: let it finish
        repo = self.session.repo
        if repo is None:
            return
        now = datetime.fromtimestamp(self.clock())
        try:
            due = backup_policy.backup_due(repo, now)
        except OSError:
            due = True
        if not due:
            return
        outcome: dict[str, object] = {}
        loop = QEventLoop()
        busy = QProgressDialog("Writing the automatic backup…", "", 0, 0, self.window)
        busy.setWindowTitle("Closing")
        busy.setCancelButton(None)
        busy.setWindowModality(Qt.WindowModality.ApplicationModal)
        busy.setMinimumDuration(0)

        def done(path: object) -> None:
            outcome["path"] = path
            loop.quit()

        def failed(exc: BaseException, _trace: str) -> None:
            outcome["error"] = exc
            loop.quit()

        run_task(lambda _progress: backup_policy.back_up(repo), done, failed)
        if not outcome:
            busy.show()
            loop.exec()
        busy.close()
        busy.deleteLater()
        if "path" in outcome:
            self.last_backup = Path(str(outcome["path"]))
            return
        self.last_backup_error = str(outcome.get("error"))
        QMessageBox.warning(
            self.window,
            "Automatic backup failed",
            f"The backup on close could not be written:\n{outcome.get('error')}\n\n"
            "Your tracker file itself is saved and safe. Check the backup folder in "
            "Settings > Security & backups.",
        )
