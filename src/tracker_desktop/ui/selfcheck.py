"""The Qt half of ``tracker-desktop self-test``: proves the packaged app is complete.

``core/selftest.py`` proves storage, metrics and export; this proves what PyInstaller could
have left out: Qt plugins (platform, SVG icon engine), the bundled resources, every lazily
imported screen module, and the libraries those screens load later (pandas, pyqtgraph).
Runs headless (``QT_QPA_PLATFORM=offscreen`` unless a platform is already chosen).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from typing import Any

# Said by the offscreen (and minimal) platform plugin for every window shown: harmless, and
# an uncategorised qWarning, so QT_LOGGING_RULES (qt.qpa.*) cannot switch it off.
_PLATFORM_NOISE = frozenset({"This plugin does not support propagateSizeHints()"})


def registered_modules() -> list[str]:
    """Every "module:Class" named by the screen, record-tab and settings-tab registries."""
    from tracker_desktop.ui.navigation import SCREENS
    from tracker_desktop.ui.record_tabs import RECORD_TABS
    from tracker_desktop.ui.settings_tabs import SETTINGS_TABS

    entries = [s.page for s in SCREENS if s.page]
    entries += [target for _label, target in RECORD_TABS]
    entries += [target for _label, target in SETTINGS_TABS]
    return sorted({entry.split(":")[0] for entry in entries})


@contextlib.contextmanager
def _without_platform_noise() -> Iterator[None]:
    """Drop the messages in ``_PLATFORM_NOISE``; every other Qt message still reaches
    stderr, formatted as Qt would (``QT_MESSAGE_PATTERN``), and the rules the user set in
    ``QT_LOGGING_RULES`` still apply (Qt filters before calling the handler)."""
    from PySide6.QtCore import qFormatLogMessage, qInstallMessageHandler

    def handler(mode: Any, context: Any, message: str) -> None:
        if message not in _PLATFORM_NOISE and sys.stderr is not None:
            sys.stderr.write(qFormatLogMessage(mode, context, message) + "\n")
            sys.stderr.flush()

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


def run() -> Iterator[str]:
    """Yield one line per step; raise on the first failure."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with _without_platform_noise():  # installed before the QApplication exists
        yield from _steps()


def _steps() -> Iterator[str]:
    import sqlcipher3
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication

    from tracker_desktop.ui.app import make_application
    from tracker_desktop.ui.resources import resource_path

    app = make_application([])
    icon = app.windowIcon()
    if icon.isNull() or icon.pixmap(64, 64).isNull():
        raise RuntimeError("the application icon did not load (SVG icon plugin missing?)")
    if not resource_path("style.qss").read_text(encoding="utf-8").strip():
        raise RuntimeError("the style sheet is empty")
    platform = QApplication.platformName()
    yield f"qt: ok (PySide6 {pyside_version}, platform {platform}, icon and style sheet)"

    conn = sqlcipher3.connect(":memory:")
    try:
        version = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    if not version or not version[0]:
        raise RuntimeError("sqlcipher3 is not linked against SQLCipher")
    yield f"sqlcipher: ok ({version[0]})"

    from tracker_desktop.ui.unlock_dialog import UnlockDialog

    dialog = UnlockDialog(None)
    if dialog.grab().isNull():
        raise RuntimeError("the unlock window did not render")
    dialog.deleteLater()
    yield "unlock window renders: ok"

    yield _pdf_step()
    yield _main_window_step()

    modules = registered_modules()
    for name in modules:
        importlib.import_module(name)
    yield f"screens: ok ({len(modules)} screen modules import)"

    import openpyxl
    import pandas
    import pyqtgraph
    import xlsxwriter

    yield (
        f"libraries: ok (pandas {pandas.__version__}, pyqtgraph {pyqtgraph.__version__}, "
        f"XlsxWriter {xlsxwriter.__version__}, openpyxl {openpyxl.__version__})"
    )


def _pdf_step() -> str:
    """The PDF report (Qt's PDF writer, fonts, charts) from a small demo tracker."""
    import tempfile
    from pathlib import Path

    from tracker_desktop.core import demo, workbook
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault
    from tracker_desktop.ui.pdf_report import write_pdf_report

    with tempfile.TemporaryDirectory(prefix="tracker-selftest-pdf-") as tmp:
        folder = Path(tmp)
        with Vault.create(folder / "pdf.tracker", "self-test pdf") as vault:
            repo = Repository(vault, "self-test")
            demo.generate(repo, 30)
            out = write_pdf_report(workbook.collect_export_data(repo), folder / "report.pdf")
        data = out.read_bytes()
    if not data.startswith(b"%PDF") or len(data) < 5000:
        raise RuntimeError(f"the PDF report looks wrong ({len(data)} bytes)")
    return f"pdf report: ok ({len(data)} bytes)"


def _main_window_step() -> str:
    """The main window on a small demo tracker: every screen is built, filled and drawn."""
    import tempfile
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from tracker_desktop.core import demo
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault
    from tracker_desktop.ui.main_window import MainWindow
    from tracker_desktop.ui.navigation import SCREENS
    from tracker_desktop.ui.session import Session
    from tracker_desktop.ui.tasks import TaskRunner

    with tempfile.TemporaryDirectory(prefix="tracker-selftest-ui-") as tmp:
        vault = Vault.create(Path(tmp) / "ui.tracker", "self-test ui")
        demo.generate(Repository(vault, "self-test"), 40)
        session = Session()  # no controller: nothing is written to the user's settings
        window = MainWindow(session)
        session.open(vault, "self-test")
        window.show()
        try:
            for screen in SCREENS:
                window.show_screen(screen.key)
                QApplication.processEvents()
                TaskRunner.wait_for_all(60_000)
                QApplication.processEvents()
                if window.grab().isNull():
                    raise RuntimeError(f"the {screen.label} screen did not render")
        finally:
            window.hide()
            TaskRunner.wait_for_all(60_000)
            session.lock()
            window.deleteLater()
            QApplication.processEvents()
    return f"main window: ok ({len(SCREENS)} screens built and drawn)"
