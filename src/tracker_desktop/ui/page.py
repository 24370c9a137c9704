"""The base of every main-window screen."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from tracker_desktop.ui.session import Session
from tracker_desktop.ui.widgets import EmptyState, page_title


class Page(QWidget):
    """A screen in the main window.  Built lazily on first visit.

    ``refresh()`` reloads from the session (called on show and after data changes);
    ``clear()`` forgets every participant detail (called on lock).
    """

    title = ""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session

    def refresh(self) -> None:
        """Reload what the page shows."""

    def clear(self) -> None:
        """Drop everything shown; the tracker is being locked."""

    def has_unsaved_changes(self) -> bool:
        return False

    def confirm_discard(self) -> bool:
        """Ask about unsaved changes before leaving; True means it is fine to go on."""
        return True

    def draft_state(self) -> object | None:
        """An edit in progress, as JSON-able data, taken just before the tracker locks.

        It is stored encrypted inside the tracker and handed back to :meth:`restore_draft`
        after the next unlock (if the user accepts).  ``None`` means nothing to keep.
        """
        return None

    def restore_draft(self, state: object) -> None:
        """Put back an edit in progress returned earlier by :meth:`draft_state`."""


class PlaceholderPage(Page):
    """Stands in for a screen that a later version brings."""

    def __init__(self, session: Session, title: str, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.title = title
        layout = QVBoxLayout(self)
        layout.addWidget(page_title(title))
        layout.addWidget(
            EmptyState(f"{title} is coming soon", "This screen is not available in this version.")
        )
