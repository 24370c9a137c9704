"""The baseline for bench_startup.py: a bare PySide6 window, nothing else.

Started exactly like the app (``python bench/bare_window.py``, or frozen by PyInstaller into
a one-folder build), it writes the same JSON line as the app's TRACKER_STARTUP_PROBE hook at
its first show, then quits.
"""

import json
import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget


class FirstShow(QObject):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.done and watched is self.window and event.type() == QEvent.Type.Show:
            self.done = True
            QTimer.singleShot(0, self.record)
        return False

    def record(self) -> None:
        out = os.environ.get("TRACKER_STARTUP_PROBE")
        if out:
            state = {"shown_at": time.time(), "modules": len(sys.modules)}
            with open(out, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(state) + "\n")
        self.window.close()


def main() -> int:
    app = QApplication(sys.argv)
    window = QWidget()
    window.setWindowTitle("Bare PySide6 window")
    layout = QVBoxLayout(window)
    layout.addWidget(QLabel("Hello"))
    window.installEventFilter(FirstShow(window))
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
