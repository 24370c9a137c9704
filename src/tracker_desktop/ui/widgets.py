"""Small widgets and helpers every screen uses (labels with a role, page header, empty state)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


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
