"""A whole GUI session with a canary name leaves no plaintext anywhere on disk.

Create a tracker (by typing in the dialog), add a participant whose name is a canary,
edit it in the form, search for it, look at the dashboard and the audit log, back up,
lock with an edit in progress, unlock, close.  Then every file under the session's home,
temp and XDG folders - and every file written to /tmp and /dev/shm meanwhile - is read:
none may contain the canary, and neither may the raw bytes of the tracker or its backups.
"""

from __future__ import annotations

import os
import secrets
import string
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from tests.helpers import add_participant
from tests.ui.safety_helpers import unlock_with
from tracker_desktop.core.repository import Repository
from tracker_desktop.ui.controller import AppController
from tracker_desktop.ui.settings_security import SecurityTab
from tracker_desktop.ui.unlock_dialog import CreateTrackerDialog

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("synchronous_tasks")]
SESSION_PASSWORD = "leak test password 1"
MAX_FILE = 300 * 1024 * 1024


def canary() -> str:
    return "Qz" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(14))


def encodings(text: str) -> list[bytes]:
    # UTF-8 (Python, SQLite), UTF-16 (Qt strings, Windows APIs), upper/lower case variants.
    variants = {text, text.lower(), text.upper()}
    return [v.encode(enc) for v in variants for enc in ("utf-8", "utf-16-le")]


def files_under(root: Path, newer_than: float | None = None) -> Iterator[Path]:
    for folder, _dirs, names in os.walk(root, onerror=lambda _e: None):
        for name in names:
            path = Path(folder, name)
            try:
                stat = path.lstat()
            except OSError:
                continue
            if not path.is_file() or path.is_symlink() or stat.st_size > MAX_FILE:
                continue
            if newer_than is not None and max(stat.st_mtime, stat.st_ctime) < newer_than:
                continue
            yield path


def holds(path: Path, needles: list[bytes]) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return any(needle in data for needle in needles)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    dirs = {name: tmp_path / name for name in ("home", "tmp", "config", "data", "cache")}
    for folder in dirs.values():
        folder.mkdir()
    monkeypatch.setenv("HOME", str(dirs["home"]))
    monkeypatch.setenv("TMPDIR", str(dirs["tmp"]))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs["config"]))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs["data"]))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs["cache"]))
    monkeypatch.setattr(tempfile, "tempdir", str(dirs["tmp"]))
    return dirs


def test_a_full_session_leaves_no_plaintext(
    qtbot: QtBot, tmp_path: Path, isolated: dict[str, Path]
) -> None:
    # Folders Qt may already have cached for this process (conftest points them here).
    earlier_roots = [
        Path(os.environ[name])
        for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
        if os.environ.get(name)
    ]
    started = time.time() - 1
    name = canary()
    needles = encodings(name)
    tracker = isolated["home"] / "Documents" / "kitchen.tracker"

    # 1. Create the tracker by typing in the dialog.
    create = CreateTrackerDialog(default_dir=isolated["home"])
    qtbot.addWidget(create)
    create.show()
    create.location.setText(str(tracker))
    qtbot.keyClicks(create.organisation, "Harbor Kitchen")
    qtbot.keyClicks(create.your_name, "Maria Lopez")
    qtbot.keyClicks(create.password, SESSION_PASSWORD)
    qtbot.keyClicks(create.confirm, SESSION_PASSWORD)
    qtbot.mouseClick(create.create_button, Qt.MouseButton.LeftButton)
    assert create.vault is not None, create.error.text()

    controller = AppController(create.vault, "Maria Lopez")
    window = controller.window
    qtbot.addWidget(window)
    window.show()
    repo = controller.session.require_repo()

    # 2. A participant named with the canary; 3. edit it in the form.
    pid = add_participant(repo, first=name, last="Canary-Person", phone="555-0199")
    controller.session.notify("participants")
    page = window.show_screen("participants")
    page.open_participant(pid)  # type: ignore[attr-defined]
    last = page.record.fields["last_name"].input  # type: ignore[attr-defined]
    assert isinstance(last, QLineEdit)
    last.setFocus()
    last.selectAll()
    qtbot.keyClicks(last, f"{name}-Edited")
    assert page.record.save()  # type: ignore[attr-defined]
    assert Repository(repo.vault).get("participants", pid)["last_name"] == f"{name}-Edited"
    page.show_list()  # type: ignore[attr-defined]

    # 4. Search for it.
    qtbot.keyClicks(page.search, name[:8])  # type: ignore[attr-defined]
    qtbot.wait(400)  # the search box is debounced
    assert page.proxy.rowCount() == 1  # type: ignore[attr-defined]

    # 5. Every screen once: dashboard, audit log (shows old -> new), settings ...
    for key in [*window.pages, "dashboard", "followups", "quality", "audit", "settings"]:
        try:
            window.show_screen(key)
        except StopIteration:
            continue
    audit = window.pages["audit"]
    assert audit.model.rowCount() > 0  # type: ignore[attr-defined]

    # 6. Back up now (Settings > Security & backups).
    security = window.pages["settings"].findChild(SecurityTab)
    assert security is not None
    security.refresh()
    qtbot.mouseClick(security.backup_button, Qt.MouseButton.LeftButton)
    assert "written and verified" in security.backup_ok.text(), security.backup_error.text()

    # 7. Lock with an edit in progress (kept as an encrypted draft), unlock, discard it.
    page = window.show_screen("participants")
    page.open_participant(pid)  # type: ignore[attr-defined]
    notes_field = page.record.fields["preferred_name"].input  # type: ignore[attr-defined]
    notes_field.setFocus()
    qtbot.keyClicks(notes_field, f"{name}-Draft")
    window.lock_action.trigger()
    assert not controller.session.is_open
    dialog = controller.unlock_dialog
    assert dialog is not None
    unlock_with(qtbot, dialog, password=SESSION_PASSWORD)
    assert controller.draft_toolbar.isVisible()
    qtbot.mouseClick(controller.draft_bar.discard_button, Qt.MouseButton.LeftButton)

    # 8. Close: the automatic backup on close runs.
    repo = controller.session.require_repo()
    add_participant(repo, first=f"{name}-Second")
    window.close()
    assert not controller.session.is_open
    backups = sorted((tracker.parent / "kitchen backups").glob("kitchen-*.tracker"))
    assert len(backups) >= 2, "Back up now + the backup on close"

    # The tracker and its backups: encrypted, no canary in their bytes.
    ours = {tracker.resolve(), *(b.resolve() for b in backups)}
    for path in ours:
        assert not holds(path, needles), f"plaintext canary inside {path}"
    assert not list(tracker.parent.glob("*-journal")), "a journal was left behind"

    # Everything else: no file anywhere may hold the canary.
    leaks: set[str] = set()
    roots = [(tmp_path, None), *((root, None) for root in earlier_roots)]
    roots += [(Path("/tmp"), started), (Path("/dev/shm"), started)]
    checked = 0
    for root, newer in roots:
        if not root.exists():
            continue
        for path in files_under(root, newer):
            if path.resolve() in ours:
                continue
            checked += 1
            if holds(path, needles):
                leaks.add(str(path))
    assert checked > 0
    assert not leaks, f"plaintext canary found in: {sorted(leaks)}"
