"""A hidden hook for the start-up benchmark and the lazy-import test.

With ``TRACKER_STARTUP_PROBE=<file>`` in the environment, the first time the unlock window
is shown the app writes one JSON line to ``<file>``:

    {"shown_at": <time.time()>, "pandas": false, "pyqtgraph": false, "modules": 412,
     "frozen": false}

and then closes the window (the app exits 0).  Nothing else changes; without the variable
this module is never imported.  ``bench/bench_startup.py`` compares ``shown_at`` with the
moment it launched the process; ``tests/packaging/test_lazy_imports.py`` checks that pandas
and pyqtgraph are not loaded yet.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

PROBE_ENV = "TRACKER_STARTUP_PROBE"
WATCHED_MODULES = ("pandas", "pyqtgraph", "numpy", "openpyxl", "xlsxwriter", "sqlalchemy")


def snapshot() -> dict[str, object]:
    state: dict[str, object] = {name: name in sys.modules for name in WATCHED_MODULES}
    state["shown_at"] = time.time()
    state["modules"] = len(sys.modules)
    state["frozen"] = bool(getattr(sys, "frozen", False))
    return state


class _FirstShow(QObject):
    def __init__(self, window: QWidget, out: Path) -> None:
        super().__init__(window)
        self.window = window
        self.out = out
        self.done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.done and watched is self.window and event.type() == QEvent.Type.Show:
            self.done = True
            # Let the show (expose + first paint) finish, then record and close.
            QTimer.singleShot(0, self._record)
        return False

    def _record(self) -> None:
        state = snapshot()
        with self.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(state) + "\n")
        self.window.close()


def install(window: QWidget, out: str) -> None:
    """Record the first show of ``window`` into ``out``, then close it."""
    window.installEventFilter(_FirstShow(window, Path(out)))
