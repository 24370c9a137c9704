"""Unlock and create dialogs driven like a user would: typing, clicking, reading messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from tests.conftest import PASSWORD
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.unlock_dialog import CreateTrackerDialog, UnlockDialog

pytestmark = pytest.mark.usefixtures("synchronous_tasks")


def test_wrong_password_shows_clear_message_and_backup_button(
    qtbot, vault_path: Path, vault: Vault
) -> None:
    vault.backup()
    vault.close()
    before = vault_path.read_bytes()
    dialog = UnlockDialog(vault_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, "wrong password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert "Wrong password, or the file is damaged" in dialog.error.text()
    assert dialog.backup_button.isVisible()
    assert dialog.vault is None
    assert vault_path.read_bytes() == before
    qtbot.mouseClick(dialog.backup_button, Qt.MouseButton.LeftButton)
    # a copy of the newest backup beside the tracker (not the backup itself), original kept
    assert dialog.path is not None and dialog.path.parent == vault_path.parent
    assert dialog.path.name.startswith("test (from backup ")
    assert vault_path.read_bytes() == before


def test_unlock_then_pick_staff(qtbot, vault_path: Path, vault: Vault) -> None:
    Repository(vault).insert("staff", {"name": "Maria Lopez", "active": True})
    vault.close()
    dialog = UnlockDialog(vault_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    assert dialog.pages.currentWidget() is dialog.staff_picker
    assert dialog.staff_picker.combo.currentText() == "Maria Lopez"
    qtbot.mouseClick(dialog.staff_picker.start, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.staff == "Maria Lopez"
    assert dialog.vault is not None
    dialog.vault.close()


def test_new_staff_name_is_added_to_the_file(qtbot, vault_path: Path, vault: Vault) -> None:
    vault.close()
    dialog = UnlockDialog(vault_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    dialog.staff_picker.combo.setEditText("")
    qtbot.mouseClick(dialog.staff_picker.start, Qt.MouseButton.LeftButton)
    assert "Type or pick your name" in dialog.staff_picker.error.text()
    qtbot.keyClicks(dialog.staff_picker.combo, "New Volunteer")
    qtbot.mouseClick(dialog.staff_picker.start, Qt.MouseButton.LeftButton)
    assert dialog.vault is not None
    assert "New Volunteer" in Repository(dialog.vault).staff_names()
    dialog.vault.close()


def test_create_dialog_checks_confirmation_and_warns(qtbot, tmp_path: Path) -> None:
    dialog = CreateTrackerDialog(default_dir=tmp_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "nobody can open" in dialog.findChild(type(dialog.error), "warning").text()
    qtbot.keyClicks(dialog.your_name, "Dana Director")
    qtbot.keyClicks(dialog.password, "long enough 1")
    qtbot.keyClicks(dialog.confirm, "long enough 2")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "The two passwords do not match."
    assert not (tmp_path / "participants.tracker").exists()
    dialog.password.clear()
    dialog.confirm.clear()
    qtbot.keyClicks(dialog.password, "short")
    qtbot.keyClicks(dialog.confirm, "short")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "at least 8 characters" in dialog.error.text()
    dialog.password.clear()
    dialog.confirm.clear()
    qtbot.keyClicks(dialog.password, "long enough 1")
    qtbot.keyClicks(dialog.confirm, "long enough 1")
    qtbot.keyClicks(dialog.organisation, "Harbor Kitchen")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.vault is not None
    repo = Repository(dialog.vault)
    assert repo.staff_names() == ["Dana Director"]
    assert repo.setting("organisation_name") == "Harbor Kitchen"
    dialog.vault.close()
    with Vault.open(tmp_path / "participants.tracker", "long enough 1"):
        pass


def test_main_window_shows_file_staff_and_locks(qtbot, vault_path: Path, vault: Vault) -> None:
    from tracker_desktop.ui.main_window import MainWindow
    from tracker_desktop.ui.navigation import SCREENS
    from tracker_desktop.ui.session import Session

    session = Session()
    window = MainWindow(session)
    qtbot.addWidget(window)
    session.open(vault, "Dana Director")
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    assert "test.tracker" in window.file_label.text()
    assert window.staff_label.text() == "Working as: Dana Director"
    labels = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert labels == [s.label for s in SCREENS]
    for expected in (
        "Participants",
        "Dashboard",
        "Follow-ups",
        "Data quality",
        "Import",
        "Export",
        "Settings",
    ):
        assert expected in labels
    with qtbot.waitSignal(window.lock_requested):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    session.lock()
    assert window.file_label.text() == "Locked"
    assert not window.centralWidget().isEnabled()


def test_recent_files_survive_a_restart_with_one_file(tmp_path: Path) -> None:
    """Settings are an INI file on Linux: a one-item list comes back as a string, which
    was read as a list of letters (the unlock window then offered to open "/")."""
    import os
    import subprocess
    import sys

    first, second = tmp_path / "A.tracker", tmp_path / "B.tracker"
    first.write_bytes(b"x")
    second.write_bytes(b"x")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}

    def in_new_process(code: str) -> str:
        script = f"from pathlib import Path\nfrom tracker_desktop.ui import app\n{code}"
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    in_new_process(f"app.remember_file(Path({str(first)!r}))")
    assert in_new_process("print(app.last_file())") == str(first)
    in_new_process(f"app.remember_file(Path({str(second)!r}))")
    assert in_new_process("print(app.recent_files())") == repr([str(second), str(first)])
    second.unlink()  # moved away: the previous file is offered, never a folder
    assert in_new_process("print(app.last_file())") == str(first)
