"""The main window: navigation on the left, the current screen, a status bar, Lock."""

from __future__ import annotations

import importlib

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from tracker_desktop import APP_NAME
from tracker_desktop.ui.navigation import SCREENS, Screen
from tracker_desktop.ui.page import Page, PlaceholderPage
from tracker_desktop.ui.session import Session


class MainWindow(QMainWindow):
    lock_requested = Signal()
    about_to_close = Signal()  # the user confirmed closing; the tracker is still open

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 800)
        self.pages: dict[str, Page] = {}

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(190)
        self.navigation.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.navigation.setAccessibleName("Screens")
        for screen in SCREENS:
            item = QListWidgetItem(screen.label)
            item.setData(Qt.ItemDataRole.UserRole, screen.key)
            item.setToolTip(f"{screen.label} ({screen.shortcut})")
            self.navigation.addItem(item)
        layout.addWidget(self.navigation)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.navigation.currentRowChanged.connect(self._show_row)

        self.file_label = QLabel()
        self.staff_label = QLabel()
        self.statusBar().addWidget(self.file_label, 1)
        self.statusBar().addPermanentWidget(self.staff_label)

        self.lock_action = QAction("Lock", self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setToolTip("Lock the tracker now (Ctrl+L)")
        self.lock_action.triggered.connect(self.lock_requested.emit)
        self.addAction(self.lock_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.addAction(self.lock_action)
        for index, screen in enumerate(SCREENS):
            action = QAction(screen.label, self)
            action.setShortcut(QKeySequence(screen.shortcut))
            action.triggered.connect(lambda _=False, row=index: self.navigation.setCurrentRow(row))
            self.addAction(action)

        session.unlocked.connect(self._on_unlocked)
        session.locked.connect(self._on_locked)
        session.data_changed.connect(self._on_data_changed)

    # -- pages -------------------------------------------------------------------------
    def page(self, key: str) -> Page:
        """The page for ``key``, built on first use."""
        if key not in self.pages:
            screen = next(s for s in SCREENS if s.key == key)
            page = self._build(screen)
            self.pages[key] = page
            self.stack.addWidget(page)
        return self.pages[key]

    def _build(self, screen: Screen) -> Page:
        if screen.page is None:
            return PlaceholderPage(self.session, screen.label)
        module_name, class_name = screen.page.split(":")
        page_class = getattr(importlib.import_module(module_name), class_name)
        page: Page = page_class(self.session)
        return page

    def show_screen(self, key: str) -> Page:
        row = next(i for i, s in enumerate(SCREENS) if s.key == key)
        self.navigation.setCurrentRow(row)
        return self.pages[key]

    def _show_row(self, row: int) -> None:
        if row < 0 or not self.session.is_open:
            return
        page = self.page(SCREENS[row].key)
        self.stack.setCurrentWidget(page)
        page.refresh()

    # -- session -----------------------------------------------------------------------
    def _on_unlocked(self) -> None:
        path = self.session.path
        self.file_label.setText(f"File: {path}  (encrypted)" if path else "")
        self.staff_label.setText(f"Working as: {self.session.staff}")
        self.setWindowTitle(f"{path.name if path else ''} - {APP_NAME}")
        self.centralWidget().setEnabled(True)
        if self.navigation.currentRow() < 0:
            self.navigation.setCurrentRow(0)
        else:
            self._show_row(self.navigation.currentRow())

    def _on_locked(self) -> None:
        for page in self.pages.values():
            page.clear()
        self.file_label.setText("Locked")
        self.staff_label.setText("")
        self.centralWidget().setEnabled(False)

    def _on_data_changed(self, _what: str) -> None:
        current = self.stack.currentWidget()
        if isinstance(current, Page) and self.session.is_open:
            current.refresh()

    def has_unsaved_changes(self) -> bool:
        return any(page.has_unsaved_changes() for page in self.pages.values())

    def closeEvent(self, event: QCloseEvent) -> None:
        for page in self.pages.values():
            if page.has_unsaved_changes() and not page.confirm_discard():
                event.ignore()
                return
        self.about_to_close.emit()
        self.session.lock()
        event.accept()
