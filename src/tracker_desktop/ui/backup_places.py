"""Where a tracker's backups are, known even before it is unlocked.

The chosen backup folder (e.g. a USB stick) is a setting INSIDE the encrypted file, so
the unlock dialog cannot read it when the password is wrong - exactly when "Open latest
backup instead" is needed.  We therefore also remember the folder's path (a path only,
never anything from inside the tracker) in the app's settings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from tracker_desktop.core.vault import BackupInfo, list_backups


def _key(tracker: Path) -> str:
    digest = hashlib.sha256(str(tracker.resolve()).encode("utf-8")).hexdigest()[:20]
    return f"backup_folders/{digest}"


def remember_backup_folder(tracker: Path, folder: Path) -> None:
    from tracker_desktop.ui.app import settings

    settings().setValue(_key(tracker), str(folder))


def remembered_backup_folder(tracker: Path) -> Path | None:
    from tracker_desktop.ui.app import settings

    value = settings().value(_key(tracker))
    return Path(str(value)) if value else None


def known_backups(tracker: Path) -> list[BackupInfo]:
    """Backups of ``tracker`` in its default folder and its remembered folder, newest first."""
    folders = [tracker.parent / f"{tracker.stem} backups"]
    remembered = remembered_backup_folder(tracker)
    if remembered is not None and remembered not in folders:
        folders.append(remembered)
    found: list[BackupInfo] = []
    for folder in folders:
        try:
            found.extend(list_backups(folder, tracker.stem))
        except OSError:  # the USB stick is not plugged in
            continue
    found.sort(key=lambda info: (info.path.name, info.created), reverse=True)
    return found


def working_copy_of_backup(tracker: Path, backup: Path) -> Path:
    """Copy ``backup`` next to ``tracker`` as "<name> (from backup <time>).tracker".

    Opening the backup file itself would be risky: work saved into it lives inside the
    backup folder, where rotation deletes old backups.  The original tracker and the
    backup stay untouched.  Returns the copy (an existing copy is reused).
    """
    stamp = backup.stem.removeprefix(f"{tracker.stem}-")[:15]  # 20250131-174502
    target = tracker.with_name(f"{tracker.stem} (from backup {stamp}){tracker.suffix}")
    if not target.exists():
        partial = target.with_name(f".copying-{target.name}")
        shutil.copyfile(backup, partial)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    return target
