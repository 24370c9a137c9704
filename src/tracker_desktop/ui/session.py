"""The unlocked state the screens share: the vault, the repository and who is working.

Screens never hold a vault themselves; they ask the session.  Locking closes the vault
and tells every listener to clear what it shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault

if TYPE_CHECKING:  # pandas loads with the screens that use it, not with the session
    from tracker_desktop.core.dataset import Dataset

# Trackers up to this many participants keep the dashboard's snapshot of the file in memory
# for the whole session (about 3 MB per 1,000 participants), read ahead after unlock, so
# opening the dashboard or coming back to it after a save only re-reads what changed.
# Larger ones free it whenever the dashboard is left (the memory target at 100k).
SNAPSHOT_KEEP_MAX = 30_000


class Session(QObject):
    unlocked = Signal()
    locked = Signal()
    data_changed = Signal(str)  # what changed: "participants", "settings", ...
    snapshot_ready = Signal()  # the read-ahead dashboard snapshot arrived (or failed)

    def __init__(self) -> None:
        super().__init__()
        self.vault: Vault | None = None
        self.repo: Repository | None = None
        self.staff: str | None = None
        self.snapshot: Dataset | None = None  # the dashboard's data, kept (small trackers)
        self.snapshot_loading = False
        self.generation = 0  # +1 at every unlock and lock: late results are dropped

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
        self.generation += 1
        self.unlocked.emit()

    def lock(self) -> None:
        if self.vault is None:
            return
        self.locked.emit()  # listeners clear their models while the data is still reachable
        self.snapshot = None
        self.snapshot_loading = False
        self.generation += 1
        self.vault.close()
        self.vault = None
        self.repo = None

    def read_ahead_snapshot(self) -> None:
        """Read the dashboard's snapshot in the background while the director looks at
        the participant list (small trackers only; see SNAPSHOT_KEEP_MAX)."""
        from datetime import date

        from tracker_desktop.ui.tasks import run_task

        if not self.is_open or self.snapshot is not None or self.snapshot_loading:
            return
        repo = self.require_repo()
        generation = self.generation
        self.snapshot_loading = True

        def work(_progress: object) -> Dataset | None:
            if repo.count("participants") > SNAPSHOT_KEEP_MAX:
                return None
            from tracker_desktop.core import metrics

            return metrics.load_dataset(repo, date.today(), details=False)

        def arrived(dataset: Dataset | None) -> None:
            if generation != self.generation:
                return  # locked (and maybe unlocked again) meanwhile
            self.snapshot_loading = False
            if dataset is not None and self.snapshot is None:
                self.snapshot = dataset
            self.snapshot_ready.emit()

        def failed(_exc: BaseException, _trace: str) -> None:
            arrived(None)  # the dashboard then reads the file itself, with its own errors

        run_task(work, arrived, failed)

    def notify(self, what: str) -> None:
        self.data_changed.emit(what)
