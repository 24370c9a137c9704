"""The unlocked state the screens share: the vault, the repository and who is working.

Screens never hold a vault themselves; they ask the session.  Locking closes the vault
and tells every listener to clear what it shows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault


class Session(QObject):
    unlocked = Signal()
    locked = Signal()
    data_changed = Signal(str)  # what changed: "participants", "settings", ...

    def __init__(self) -> None:
        super().__init__()
        self.vault: Vault | None = None
        self.repo: Repository | None = None
        self.staff: str | None = None

    @property
    def is_open(self) -> bool:
        return self.repo is not None

    @property
    def path(self) -> Path | None:
        return self.vault.path if self.vault else None

    def require_repo(self) -> Repository:
        if self.repo is None:
            raise RuntimeError("The tracker is locked.")
        return self.repo

    def open(self, vault: Vault, staff: str) -> None:
        self.vault = vault
        self.staff = staff
        self.repo = Repository(vault, staff)
        self.unlocked.emit()

    def lock(self) -> None:
        if self.vault is None:
            return
        self.locked.emit()  # listeners clear their models while the data is still reachable
        self.vault.close()
        self.vault = None
        self.repo = None

    def notify(self, what: str) -> None:
        self.data_changed.emit(what)
