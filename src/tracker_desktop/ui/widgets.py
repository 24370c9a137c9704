"""Small widgets and helpers every screen uses (labels with a role, page header, empty state)."""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


def _pin_singletons() -> None:
    """Work around a PySide6 6.12 reference-count bug on Python < 3.12.

    There, every call of a Qt method returning void drops one reference to ``None`` and
    every ``Signal.emit()`` one to ``True`` without taking it first; after enough calls
    (a few hundred keystrokes in a form) the interpreter aborts with "Fatal Python error:
    none_dealloc".  Python 3.12+ makes these singletons immortal; we do the same by giving
    them a reference count that can never reach zero.  constraints.txt pins 6.11.3, which
    does not have the bug; this guard covers installs that follow pyproject's ">=6.6".
    """
    if sys.version_info >= (3, 12):
        return
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40


_pin_singletons()


def hint_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


def error_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("error")
    label.setWordWrap(True)
    label.setAccessibleName("Error message")
    return label


def page_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("pageTitle")
    return label


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Flag a field red (style sheet rule on the ``invalid`` property)."""
    widget.setProperty("invalid", invalid)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


class EmptyState(QWidget):
    """A centred message that teaches what to do next, shown when a screen has no data."""

    def __init__(self, title: str, body: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        heading = QLabel(f"<h2>{title}</h2>")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(heading)
        self.body = QLabel(body)
        self.body.setObjectName("emptyState")
        self.body.setWordWrap(True)
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.body)
        layout.addStretch(2)
