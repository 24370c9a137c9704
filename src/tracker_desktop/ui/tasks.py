"""Background operations: long work runs off the UI thread with progress and cancel.

Like Anki's QueryOp and Picard's thread pool: a screen hands a plain function to
:func:`run_task`; the function gets a :class:`Progress` to report to and to check for
cancellation.  Tests set ``TaskRunner.synchronous = True`` so work runs inline.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget


class CancelledError(Exception):
    """Raised inside a task when the user pressed Cancel."""


class Progress:
    """Passed to a task: ``progress(done, total, label)`` reports; raises when cancelled."""

    def __init__(self, emit: Callable[[int, int, str], None] | None = None) -> None:
        self._emit = emit
        self.cancelled = False

    def __call__(self, done: int, total: int, label: str = "") -> bool:
        if self.cancelled:
            raise CancelledError()
        if self._emit is not None:
            self._emit(done, total, label)
        return True


class _Signals(QObject):
    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object, str)


class _Runnable(QRunnable):
    def __init__(self, work: Callable[[Progress], Any], signals: _Signals) -> None:
        super().__init__()
        self.work = work
        self.signals = signals
        self.progress = Progress(lambda d, t, label: signals.progressed.emit(d, t, label))

    def run(self) -> None:
        try:
            result = self.work(self.progress)
        except BaseException as exc:
            self.signals.failed.emit(exc, traceback.format_exc())
        else:
            self.signals.finished.emit(result)


class TaskRunner:
    """Where background work runs.  ``synchronous`` is flipped on by the test suite."""

    synchronous = False
    _active: set[_Signals] = set()  # noqa: RUF012 - keeps signal objects alive until done

    @classmethod
    def pool(cls) -> QThreadPool:
        return QThreadPool.globalInstance()

    @classmethod
    def wait_for_all(cls, msecs: int = 30000) -> bool:
        return cls.pool().waitForDone(msecs)


def run_task(
    work: Callable[[Progress], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException, str], None] | None = None,
    *,
    parent: QWidget | None = None,
    label: str | None = None,
    cancellable: bool = True,
) -> Progress:
    """Run ``work(progress)`` in the background, then ``on_done(result)`` on the UI thread.

    With ``label`` a modal progress dialog with a Cancel button is shown.  Cancelling makes
    the next ``progress(...)`` call inside the task raise :class:`CancelledError`, which is
    delivered to ``on_error``.  Work that must not stop half-way (a re-encryption) passes
    ``cancellable=False``: the dialog then shows no Cancel button.
    """
    if TaskRunner.synchronous:
        progress = Progress()
        try:
            result = work(progress)
        except BaseException as exc:
            if on_error is None:
                raise
            on_error(exc, traceback.format_exc())
        else:
            on_done(result)
        return progress

    signals = _Signals()
    runnable = _Runnable(work, signals)
    TaskRunner._active.add(signals)
    dialog: QProgressDialog | None = None
    if label is not None:
        dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
        dialog.setWindowTitle(label)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)

        def cancel() -> None:
            runnable.progress.cancelled = True
            assert dialog is not None
            dialog.setLabelText("Cancelling…")

        dialog.canceled.connect(cancel)
        if not cancellable:
            dialog.setCancelButton(None)

        def show_progress(done: int, total: int, text: str) -> None:
            assert dialog is not None
            dialog.setMaximum(max(total, 0))
            dialog.setValue(min(done, total) if total else 0)
            if text:
                dialog.setLabelText(text)

        signals.progressed.connect(show_progress)

    def finish(result: object) -> None:
        TaskRunner._active.discard(signals)
        if dialog is not None:
            dialog.close()
        on_done(result)

    def fail(exc: object, trace: str) -> None:
        TaskRunner._active.discard(signals)
        if dialog is not None:
            dialog.close()
        if on_error is not None and isinstance(exc, BaseException):
            on_error(exc, trace)

    signals.finished.connect(finish, Qt.ConnectionType.QueuedConnection)
    signals.failed.connect(fail, Qt.ConnectionType.QueuedConnection)
    TaskRunner.pool().start(runnable)
    return runnable.progress
