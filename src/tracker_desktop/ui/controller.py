"""Ties the session, the main window and locking/unlocking together."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog

from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.main_window import MainWindow
from tracker_desktop.ui.session import Session


class AppController:
    def __init__(self, vault: Vault, staff: str) -> None:
        self.session = Session()
        self.window = MainWindow(self.session)
        self.window.lock_requested.connect(self.lock)
        self.session.open(vault, staff)

    def lock(self) -> None:
        path = self.session.path
        self.session.lock()
        if path is not None:
            self.prompt_unlock(path)

    def prompt_unlock(self, path: object) -> bool:
        from pathlib import Path

        from tracker_desktop.ui.unlock_dialog import UnlockDialog

        dialog = UnlockDialog(Path(str(path)), self.window)
        dialog.choose_button.setVisible(False)
        dialog.new_button.setVisible(False)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.vault is not None:
            self.session.open(dialog.vault, dialog.staff or "staff")
            return True
        self.window.close()
        return False
