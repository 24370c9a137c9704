"""Auto-lock after a stretch without keyboard or mouse input.

Idle time is measured on the WALL clock (``time.time``), not a monotonic timer: a
laptop that slept with the tracker open for longer than the limit wakes up locked,
because the first check after waking sees that the limit has passed.  (Qt timers and
``time.monotonic`` on Linux both stand still while the machine sleeps.)
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication

IDLE_SETTING = "idle_lock_minutes"
IDLE_DEFAULT_MINUTES = 10
IDLE_MIN_MINUTES = 1
IDLE_MAX_MINUTES = 240
CHECK_INTERVAL_MS = 5_000

_ACTIVITY_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
        QEvent.Type.Shortcut,
    }
)


def clamp_minutes(value: object) -> int:
    try:
        minutes = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return IDLE_DEFAULT_MINUTES
    return max(IDLE_MIN_MINUTES, min(IDLE_MAX_MINUTES, minutes))


class IdleWatcher(QObject):
    """Emits ``idle`` once when no user input arrived for ``minutes`` of wall-clock time.

    ``clock`` returns seconds since the epoch; tests pass a fake one.  Call
    :meth:`start` after unlocking and :meth:`stop` while locked.
    """

    idle = Signal()

    def __init__(
        self,
        minutes: int = IDLE_DEFAULT_MINUTES,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.minutes = clamp_minutes(minutes)
        self.last_activity = clock()
        self.active = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
            # Check at once when the app comes back to the front (e.g. after waking).
            if isinstance(app, QApplication):
                app.applicationStateChanged.connect(self._state_changed)

    @property
    def limit_seconds(self) -> float:
        return self.minutes * 60.0

    def set_minutes(self, minutes: object) -> None:
        self.minutes = clamp_minutes(minutes)

    def start(self) -> None:
        self.active = True
        self.touch()
        self.timer.start()

    def stop(self) -> None:
        self.active = False
        self.timer.stop()

    def touch(self) -> None:
        """Count now as activity."""
        self.last_activity = self.clock()

    def idle_seconds(self) -> float:
        return self.clock() - self.last_activity

    def check(self) -> bool:
        """Lock if the limit has passed; True when ``idle`` was emitted."""
        if not self.active:
            return False
        elapsed = self.idle_seconds()
        if elapsed < 0:  # the clock was set back: start counting again from now
            self.touch()
            return False
        if elapsed >= self.limit_seconds:
            self.stop()
            self.idle.emit()
            return True
        return False

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.check()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.active and event.type() in _ACTIVITY_EVENTS:
            # Input after the limit (the first key press on waking) must not postpone
            # the lock: check before counting it as activity.
            if self.check():
                return True  # the input that found the limit passed goes nowhere
            self.touch()
        return False

    def dispose(self) -> None:
        self.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
