"""When and where automatic backups go (settings ``backup_dir`` and ``backup_keep``).

Shared by the GUI (on close, daily while open, "Back up now") and ``tracker-desktop
backup``.  An automatic backup is skipped when the newest backup already holds every
change: opening and closing the app ten times must not rotate the real history away.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import BACKUP_KEEP_DEFAULT, BackupInfo, list_backups

BACKUP_DIR_SETTING = "backup_dir"
BACKUP_KEEP_SETTING = "backup_keep"
DAILY = timedelta(hours=24)


def backup_folder(repo: Repository) -> Path:
    chosen = repo.setting(BACKUP_DIR_SETTING)
    if isinstance(chosen, str) and chosen.strip():
        return Path(chosen.strip())
    return repo.vault.default_backup_dir()


def backup_keep(repo: Repository) -> int:
    try:
        keep = int(repo.setting(BACKUP_KEEP_SETTING, BACKUP_KEEP_DEFAULT))
    except (TypeError, ValueError):
        keep = BACKUP_KEEP_DEFAULT
    return max(1, keep)


def backups(repo: Repository) -> list[BackupInfo]:
    """Backups of this tracker in its backup folder, newest first."""
    return list_backups(backup_folder(repo), repo.vault.path.stem)


def backup_due(repo: Repository, now: datetime, max_age: timedelta | None = None) -> bool:
    """Whether an automatic backup should run now.

    Due when there is no backup yet, or the newest one misses changes - and, with
    ``max_age`` (the daily backup), only once that newest backup is at least that old.
    """
    found = backups(repo)
    if not found:
        return True
    newest = found[0]
    if max_age is not None and now - newest.created < max_age:
        return False
    return not repo.vault.backup_is_current(newest.path)


def back_up(repo: Repository, checkpoint: Callable[[], object] | None = None) -> Path:
    """Write a verified backup to the chosen folder and rotate old ones.

    ``checkpoint`` is called between the steps and may raise to cancel."""
    return repo.vault.backup(backup_folder(repo), keep=backup_keep(repo), checkpoint=checkpoint)
