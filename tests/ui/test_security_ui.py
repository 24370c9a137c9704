"""Settings > Security & backups, driven like a user; plus the unlock dialog's own messages."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.conftest import PASSWORD
from tests.helpers import add_participant
from tests.ui.safety_helpers import answer_next_input_dialog, answer_next_message_box
from tracker_desktop.core import schema
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault, WrongPasswordOrDamagedError
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.settings_security import SecurityTab
from tracker_desktop.ui.unlock_dialog import UnlockDialog

pytestmark = pytest.mark.usefixtures("synchronous_tasks")
NEW_PASSWORD = "new 'quoted\" pass; --"  # keyClicks types ASCII only


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def session(vault: Vault) -> Iterator[Session]:
    add_participant(Repository(vault, "Maria"), first="Ana")
    opened = Session()
    opened.open(vault, "Maria")
    yield opened
    opened.lock()


@pytest.fixture
def tab(qtbot: QtBot, session: Session) -> SecurityTab:
    widget = SecurityTab(session)
    qtbot.addWidget(widget)
    widget.resize(760, 900)
    widget.show()
    widget.refresh()
    return widget


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def fill_password_form(qtbot: QtBot, tab: SecurityTab, old: str, new: str, confirm: str) -> None:
    qtbot.keyClicks(tab.old_password, old)
    qtbot.keyClicks(tab.new_password, new)
    qtbot.keyClicks(tab.confirm_password, confirm)


def test_change_password_through_the_tab(
    qtbot: QtBot, tab: SecurityTab, session: Session, vault_path: Path
) -> None:
    fill_password_form(qtbot, tab, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    click(qtbot, tab.change_button)
    assert tab.password_error.text() == ""
    assert "Password changed" in tab.password_ok.text()
    assert tab.old_password.text() == tab.new_password.text() == ""
    # still working in this session, and a backup under the new password was written
    assert session.require_repo().count("participants") == 1
    assert tab.table.rowCount() == 1 and tab.table.item(0, 1).text() == "1"
    session.lock()
    with pytest.raises(WrongPasswordOrDamagedError):
        Vault.open(vault_path, PASSWORD)
    with Vault.open(vault_path, NEW_PASSWORD) as reopened:
        assert reopened.check().ok
    newest = tab.backup_rows[0].path
    with Vault.open(newest, NEW_PASSWORD) as backup:
        assert Repository(backup).count("participants") == 1


def test_wrong_old_password_is_refused_and_nothing_changes(
    qtbot: QtBot, tab: SecurityTab, session: Session, vault_path: Path
) -> None:
    fill_password_form(qtbot, tab, "not my password", NEW_PASSWORD, NEW_PASSWORD)
    before = digest(vault_path)
    click(qtbot, tab.change_button)
    assert "current password is not right" in tab.password_error.text()
    assert "Nothing was changed" in tab.password_error.text()
    assert tab.password_ok.text() == ""
    assert digest(vault_path) == before
    session.lock()
    Vault.open(vault_path, PASSWORD).close()


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", "short", "at least 8 characters"),
        ("long enough one", "long enough two", "do not match"),
        (PASSWORD, PASSWORD, "same as the current"),
    ],
)
def test_bad_new_password_gets_a_clear_message(
    qtbot: QtBot, tab: SecurityTab, vault_path: Path, new: str, confirm: str, message: str
) -> None:
    before = digest(vault_path)
    fill_password_form(qtbot, tab, PASSWORD, new, confirm)
    qtbot.keyClick(tab.confirm_password, Qt.Key.Key_Return)
    assert message in tab.password_error.text()
    assert digest(vault_path) == before


def test_back_up_now_lists_the_backup_with_date_and_count(
    qtbot: QtBot, tab: SecurityTab, session: Session
) -> None:
    assert tab.table.rowCount() == 0
    assert tab.empty_backups.isVisible()
    assert not tab.restore_button.isEnabled()
    click(qtbot, tab.backup_button)
    assert "written and verified" in tab.backup_ok.text()
    assert tab.table.rowCount() == 1
    assert not tab.empty_backups.isVisible()
    assert tab.table.item(0, 1).text() == "1"
    assert tab.table.item(0, 0).text().endswith(tab.backup_rows[0].created.strftime("%H:%M:%S"))
    path = tab.backup_rows[0].path
    assert path.parent == session.require_repo().vault.default_backup_dir()
    with Vault.open(path, PASSWORD) as copy:
        assert copy.check().ok


def test_chosen_folder_keep_and_idle_minutes_are_saved_and_used(
    qtbot: QtBot, tab: SecurityTab, session: Session, tmp_path: Path
) -> None:
    usb = tmp_path / "USB STICK" / "tracker backups"
    tab.backup_dir.setText(str(usb))  # what "Choose folder…" fills in
    tab.keep.setValue(2)
    tab.idle_minutes.setValue(25)
    click(qtbot, tab.save_button)
    assert tab.settings_ok.text() == "Saved."
    repo = session.require_repo()
    assert repo.setting("idle_lock_minutes") == 25
    assert repo.setting("backup_keep") == 2
    assert repo.setting("backup_dir") == str(usb)
    for _ in range(3):
        click(qtbot, tab.backup_button)
    assert tab.table.rowCount() == 2, "rotation keeps the newest 2"
    assert all(info.path.parent == usb for info in tab.backup_rows)
    click(qtbot, tab.default_dir_button)
    click(qtbot, tab.save_button)
    assert repo.setting("backup_dir") == ""


def test_unusable_backup_folder_is_refused(
    qtbot: QtBot, tab: SecurityTab, session: Session, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "a file"
    not_a_folder.write_text("x")
    tab.backup_dir.setText(str(not_a_folder / "sub"))
    click(qtbot, tab.save_button)
    assert "Cannot use" in tab.settings_error.text()
    assert "Nothing was changed" in tab.settings_error.text()
    assert session.require_repo().setting("backup_dir") == ""


def test_restore_lists_backups_and_opens_one_after_confirmation(
    qtbot: QtBot, tab: SecurityTab, session: Session, vault_path: Path
) -> None:
    click(qtbot, tab.backup_button)  # backup with 1 participant
    repo = session.require_repo()
    add_participant(repo, first="Ben")
    click(qtbot, tab.backup_button)  # backup with 2 participants
    add_participant(repo, first="Cleo")
    tab.refresh_backups()
    counts = [tab.table.item(row, 1).text() for row in range(tab.table.rowCount())]
    assert counts == ["2", "1"]

    tab.table.selectRow(1)
    assert tab.restore_button.isEnabled()
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Cancel, seen)
    click(qtbot, tab.restore_button)
    assert "1 participants" in seen[0]
    assert session.require_repo().count("participants") == 3, "Cancel must change nothing"

    tab.table.selectRow(1)
    answer_next_message_box(QMessageBox.StandardButton.Yes, seen)
    click(qtbot, tab.restore_button)
    assert "Restored the backup" in tab.backup_ok.text()
    assert session.is_open
    names = [r["first_name"] for r in session.require_repo().rows("participants")]
    assert names == ["Ana"]
    assert list(vault_path.parent.glob("test.before-restore-*.tracker"))


def test_backup_from_an_earlier_password_asks_for_it(
    qtbot: QtBot, tab: SecurityTab, session: Session
) -> None:
    click(qtbot, tab.backup_button)
    fill_password_form(qtbot, tab, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    click(qtbot, tab.change_button)
    add_participant(session.require_repo(), first="Ben")
    tab.refresh_backups()
    assert [tab.table.item(r, 1).text() for r in range(2)] == ["1", "earlier password"]

    tab.table.selectRow(1)
    answer_next_input_dialog("wrong one")
    answer_next_message_box(QMessageBox.StandardButton.Yes, [])
    click(qtbot, tab.restore_button)
    assert "does not open this backup" in tab.backup_error.text()
    assert session.require_repo().count("participants") == 2

    tab.table.selectRow(1)
    answer_next_input_dialog(PASSWORD)
    answer_next_message_box(QMessageBox.StandardButton.Yes, [])
    click(qtbot, tab.restore_button)
    assert "opens with that backup's password" in tab.backup_ok.text()
    assert session.require_repo().count("participants") == 1


def test_unlock_dialog_says_not_a_tracker(qtbot: QtBot, tmp_path: Path) -> None:
    sheet = tmp_path / "participants.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + bytes(3000))
    dialog = UnlockDialog(sheet)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, PASSWORD)
    click(qtbot, dialog.unlock_button)
    assert "not a Participant Tracker file" in dialog.error.text()
    assert "Wrong password" not in dialog.error.text()
    assert not dialog.backup_button.isVisible()


def test_unlock_dialog_says_newer_schema(qtbot: QtBot, vault_path: Path, vault: Vault) -> None:
    with vault.write() as conn:
        conn.exec_driver_sql(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    vault.close()
    before = digest(vault_path)
    dialog = UnlockDialog(vault_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, PASSWORD)
    click(qtbot, dialog.unlock_button)
    assert "newer Participant Tracker" in dialog.error.text()
    assert "Update the app" in dialog.error.text()
    assert digest(vault_path) == before


def test_wrong_password_finds_the_latest_backup_on_the_chosen_usb_folder(
    qtbot: QtBot, tab: SecurityTab, session: Session, vault_path: Path, tmp_path: Path
) -> None:
    usb = tmp_path / "KINGSTON"
    tab.backup_dir.setText(str(usb))
    click(qtbot, tab.save_button)
    click(qtbot, tab.backup_button)
    newest = tab.backup_rows[0].path
    assert newest.parent == usb
    session.lock()

    dialog = UnlockDialog(vault_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, "wrong password")
    click(qtbot, dialog.unlock_button)
    assert dialog.backup_button.isVisible(), "the USB backup must be offered"
    click(qtbot, dialog.backup_button)
    assert dialog.path is not None and dialog.path.parent == vault_path.parent
    assert dialog.path.read_bytes() == newest.read_bytes(), "a copy of the USB backup"
    assert "was not changed" in dialog.hint.text()
    qtbot.keyClicks(dialog.password, PASSWORD)
    click(qtbot, dialog.unlock_button)
    assert dialog.vault is not None
    assert Repository(dialog.vault).count("participants") == 1
    dialog.vault.close()


def test_wrong_password_without_backups_does_not_promise_one(
    qtbot: QtBot, vault_path: Path, vault: Vault
) -> None:
    vault.close()
    dialog = UnlockDialog(vault_path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.password, "wrong password")
    click(qtbot, dialog.unlock_button)
    assert "Wrong password, or the file is damaged" in dialog.error.text()
    assert "No backup of this file was found" in dialog.error.text()
    assert not dialog.backup_button.isVisible()
