"""Automatic backups from the main window: on open (first one), on close, daily; settings."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.conftest import PASSWORD
from tests.helpers import add_participant
from tests.ui.safety_helpers import FakeClock, answer_next_message_box
from tracker_desktop.core import backup_policy
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault, derive_key
from tracker_desktop.ui.controller import AppController
from tracker_desktop.ui.settings_security import SecurityTab

pytestmark = pytest.mark.usefixtures("synchronous_tasks")


@pytest.fixture
def clock() -> FakeClock:  # the shared ``controller`` fixture runs on this wall clock
    return FakeClock(time.time())


def controller_key(vault_path: Path) -> bytes:
    return derive_key(PASSWORD, vault_path.read_bytes()[:16])


def backups(vault_path: Path) -> list[Path]:
    return sorted((vault_path.parent / "test backups").glob("test-*.tracker"))


def test_first_open_writes_a_backup_and_close_only_when_changed(
    controller: AppController, vault_path: Path
) -> None:
    assert backups(vault_path) == [], "no backup during start-up"
    assert controller.first_backup_check.isActive()
    controller.first_backup_check.timeout.emit()  # two minutes later
    assert len(backups(vault_path)) == 1, "the first check on a never-backed-up file"
    assert controller.last_backup == backups(vault_path)[0]
    controller.window.close()
    assert len(backups(vault_path)) == 1, "nothing changed: no new copy pushes old ones out"


def test_close_after_a_change_writes_a_verified_backup(
    controller: AppController, vault_path: Path
) -> None:
    controller.maybe_daily_backup()  # the first check, two minutes after opening
    add_participant(controller.session.require_repo(), first="Ben")
    controller.window.close()
    made = backups(vault_path)
    assert len(made) == 2
    with Vault.open_with_key(made[-1], controller_key(vault_path)) as copy:
        assert Repository(copy).count("participants") == 2
        assert copy.check().ok


def test_daily_backup_while_open(
    controller: AppController, vault_path: Path, clock: FakeClock
) -> None:
    controller.maybe_daily_backup()  # the first check, two minutes after opening
    add_participant(controller.session.require_repo(), first="Ben")
    clock.advance(60 * 3)
    controller.maybe_daily_backup()
    assert len(backups(vault_path)) == 1, "not a day old yet"
    clock.advance(60 * 22)
    controller.maybe_daily_backup()
    assert len(backups(vault_path)) == 2
    assert "Automatic backup written" in controller.window.statusBar().currentMessage()
    clock.advance(60 * 48)
    controller.maybe_daily_backup()
    assert len(backups(vault_path)) == 2, "no change since the last backup"


def test_failed_backup_on_close_says_so_and_still_closes(
    controller: AppController, tmp_path: Path
) -> None:
    blocker = tmp_path / "not a folder"
    blocker.write_text("x")
    repo = controller.session.require_repo()
    repo.set_setting("backup_dir", str(blocker / "backups"))
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Ok, seen)
    controller.window.close()
    assert seen and "could not be written" in seen[0]
    assert "tracker file itself is saved" in seen[0]
    assert not controller.session.is_open
    assert controller.last_backup_error


def test_security_tab_settings_reach_the_running_app(
    controller: AppController, tmp_path: Path
) -> None:
    window = controller.window
    settings = window.show_screen("settings")
    tab = settings.findChild(SecurityTab)
    assert tab is not None
    tab.refresh()
    tab.idle_minutes.setValue(3)
    tab.backup_dir.setText(str(tmp_path / "usb"))
    tab.save_button.click()
    assert controller.idle.minutes == 3
    repo = controller.session.require_repo()
    assert backup_policy.backup_folder(repo) == tmp_path / "usb"


def test_close_backup_runs_off_the_ui_thread_and_is_waited_for(
    controller: AppController, vault_path: Path
) -> None:
    from tracker_desktop.ui.tasks import TaskRunner

    controller.maybe_daily_backup()
    add_participant(controller.session.require_repo(), first="Ben")
    TaskRunner.synchronous = False
    try:
        controller.window.close()
    finally:
        TaskRunner.synchronous = True
    assert not controller.session.is_open
    made = backups(vault_path)
    assert len(made) == 2 and controller.last_backup == made[-1]
