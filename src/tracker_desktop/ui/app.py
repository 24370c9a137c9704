"""Start the GUI: the unlock window first (fast), then the main window."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QDialog

from tracker_desktop import APP_NAME, __version__
from tracker_desktop.ui.resources import resource_path

DEMO_PASSWORD = "demo-tracker"
DEMO_PARTICIPANTS = 300
ORGANISATION = "ParticipantTracker"


def app_data_dir() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    path = Path(folder or Path.home() / ".participant-tracker")
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings() -> QSettings:
    # Paths only: never a name, a password or anything from inside a tracker.
    return QSettings(ORGANISATION, "tracker-desktop")


def recent_files() -> list[str]:
    """The remembered tracker paths, newest first.  An INI settings file gives a one-item
    list back as a plain string: taken as one path, never as a list of its letters."""
    value = settings().value("recent_files")
    if isinstance(value, str):
        return [value] if value else []
    return [str(item) for item in value or [] if item]


def remember_file(path: Path) -> None:
    recent = [p for p in recent_files() if p != str(path)]
    settings().setValue("recent_files", [str(path), *recent][:8])


def last_file() -> Path | None:
    for name in recent_files():
        if Path(name).is_file():
            return Path(name)
    return None


def ensure_demo_tracker() -> Path:
    """The demo tracker in the app data folder, created (synthetic data) if missing."""
    path = app_data_dir() / "demo.tracker"
    if not path.exists():
        from tracker_desktop.core import demo
        from tracker_desktop.core.repository import Repository
        from tracker_desktop.core.vault import Vault

        with Vault.create(path, DEMO_PASSWORD) as vault:
            repo = Repository(vault, "Program Director")
            repo.set_setting("organisation_name", "Demo Community Kitchen")
            demo.generate(repo, DEMO_PARTICIPANTS)
    return path


def disable_core_dumps() -> bool:
    """No core file from the GUI process (see :func:`core.hardening.disable_core_dumps`)."""
    from tracker_desktop.core.hardening import disable_core_dumps as disable

    return disable()


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource_path("icon.svg"))))
    app.setStyleSheet(resource_path("style.qss").read_text(encoding="utf-8"))
    return app


def run_gui(path: Path | None = None, *, demo: bool = False) -> int:
    disable_core_dumps()
    app = make_application()
    from tracker_desktop.ui.unlock_dialog import UnlockDialog

    hint = None
    if demo:
        path = ensure_demo_tracker()
        hint = f'Demo tracker: the password is "{DEMO_PASSWORD}" (typed in for you)'
    elif path is None:
        path = last_file()
    dialog = UnlockDialog(path, password_hint=hint)
    probe = os.environ.get("TRACKER_STARTUP_PROBE")  # bench/bench_startup.py, lazy-import test
    if probe:
        from tracker_desktop.ui import startup_probe

        startup_probe.install(dialog, probe)
    if demo:
        dialog.password.setText(DEMO_PASSWORD)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.vault is None:
        return 0
    remember_file(dialog.vault.path)
    from tracker_desktop.ui.controller import AppController  # after the unlock window: fast start

    controller = AppController(dialog.vault, dialog.staff or "staff")
    controller.window.show()
    return int(app.exec())
