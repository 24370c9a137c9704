"""The Settings screen: organisation, staff, option lists, custom fields, plus the tabs
other modules register in :mod:`tracker_desktop.ui.settings_tabs`."""

from __future__ import annotations

import importlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import options, validation
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.settings_tabs import SETTINGS_TABS
from tracker_desktop.ui.widgets import error_label, hint_label, page_title, set_invalid

OK_STYLE = "color: #1d6b35; font-weight: 600;"


def _say(label: QLabel, text: str, ok: bool) -> None:
    label.setStyleSheet(OK_STYLE if ok else "")
    label.setText(text)


class GeneralTab(QWidget):
    """Organisation name and the limits validation uses."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        box = QGroupBox("Organisation")
        form = QFormLayout(box)
        self.organisation = QLineEdit()
        self.organisation.setPlaceholderText("e.g. Harbor Community Kitchen")
        self.organisation.setAccessibleName("Organisation name")
        form.addRow("Organisation name", self.organisation)
        self.wage_ceiling = QLineEdit()
        self.wage_ceiling.setMaximumWidth(120)
        self.wage_ceiling.setAccessibleName("Wage warning above")
        form.addRow("Warn when an hourly wage is above ($)", self.wage_ceiling)
        self.gpa_scale = QLineEdit()
        self.gpa_scale.setMaximumWidth(120)
        self.gpa_scale.setAccessibleName("GPA scale")
        form.addRow("GPA scale (highest possible GPA)", self.gpa_scale)
        self.code_prefix = QLineEdit()
        self.code_prefix.setMaximumWidth(120)
        self.code_prefix.setAccessibleName("Participant code prefix")
        form.addRow("Participant code prefix", self.code_prefix)
        layout.addWidget(box)
        row = QHBoxLayout()
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        self.message = error_label()
        row.addWidget(self.message, 1)
        layout.addLayout(row)
        layout.addStretch(1)

    def refresh(self) -> None:
        repo = self.session.require_repo()
        self.organisation.setText(str(repo.setting("organisation_name", "") or ""))
        self.wage_ceiling.setText(
            validation.show(float(repo.setting("wage_ceiling", validation.DEFAULT_WAGE_CEILING)))
        )
        self.gpa_scale.setText(
            validation.show(float(repo.setting("gpa_scale", validation.DEFAULT_GPA_SCALE)))
        )
        self.code_prefix.setText(str(repo.setting("participant_code_prefix", "P-")))

    def save(self) -> bool:
        problems = validation.check_number(
            self.wage_ceiling.text(), "wage_ceiling", "The wage limit", low=1
        )
        set_invalid(self.wage_ceiling, bool(problems))
        gpa_problems = validation.check_number(
            self.gpa_scale.text(), "gpa_scale", "The GPA scale", low=1, high=100
        )
        set_invalid(self.gpa_scale, bool(gpa_problems))
        problems += gpa_problems
        for field, name in ((self.wage_ceiling, "The wage limit"), (self.gpa_scale, "GPA scale")):
            if not field.text().strip():
                problems.append(validation.Problem("", f"{name} is required"))
                set_invalid(field, True)
        if not self.code_prefix.text().strip():
            problems.append(validation.Problem("", "The participant code prefix is required"))
        if problems:
            _say(self.message, "Not saved: " + "; ".join(p.message for p in problems), False)
            return False
        with self.session.require_repo().transaction() as tx:
            tx.set_setting("organisation_name", self.organisation.text().strip())
            tx.set_setting("wage_ceiling", validation.parse_number(self.wage_ceiling.text()))
            tx.set_setting("gpa_scale", validation.parse_number(self.gpa_scale.text()))
            tx.set_setting("participant_code_prefix", self.code_prefix.text().strip())
        _say(self.message, "Saved.", True)
        self.session.notify("settings")
        return True


class StaffTab(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        layout.addWidget(
            hint_label(
                "Staff pick their name when they unlock the tracker; every change is recorded "
                "under it. Mark people who left as inactive: their name stays in the history."
            )
        )
        self.list = QListWidget()
        self.list.setAccessibleName("Staff")
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("New staff member's name")
        self.name.returnPressed.connect(self.add)
        row.addWidget(self.name, 1)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add)
        row.addWidget(self.add_button)
        self.toggle_button = QPushButton("Mark inactive / active")
        self.toggle_button.clicked.connect(self.toggle)
        row.addWidget(self.toggle_button)
        layout.addLayout(row)
        self.message = error_label()
        layout.addWidget(self.message)

    def refresh(self) -> None:
        self.list.clear()
        for name, active in options.staff_list(self.session.require_repo()):
            item = QListWidgetItem(name if active else f"{name}  (inactive)")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setData(Qt.ItemDataRole.UserRole + 1, active)
            if not active:
                item.setForeground(QBrush(QColor("#7a848c")))
            self.list.addItem(item)

    def add(self) -> None:
        try:
            options.add_staff(self.session.require_repo(), self.name.text())
        except options.OptionError as exc:
            _say(self.message, str(exc), False)
            return
        _say(self.message, f"Added {self.name.text().strip()}.", True)
        self.name.clear()
        self.refresh()

    def toggle(self) -> None:
        item = self.list.currentItem()
        if item is None:
            _say(self.message, "Select a name first.", False)
            return
        name = str(item.data(Qt.ItemDataRole.UserRole))
        active = bool(item.data(Qt.ItemDataRole.UserRole + 1))
        options.set_staff_active(self.session.require_repo(), name, not active)
        _say(self.message, f"{name} is now {'inactive' if active else 'active'}.", True)
        self.refresh()


class OptionListsTab(QWidget):
    """Edit the dropdowns: add, rename (updates records), remove (only when unused), order."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QHBoxLayout(self)
        self.lists = QListWidget()
        self.lists.setAccessibleName("Option lists")
        self.lists.setMaximumWidth(230)
        for name, (label, _help) in options.OPTION_LISTS.items():
            if name == "stages":
                continue  # stages have caps, seasons and triggers: edited under Journey stages
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.lists.addItem(item)
        self.lists.currentRowChanged.connect(lambda _r: self._show_values())
        layout.addWidget(self.lists)
        right = QVBoxLayout()
        self.help = hint_label()
        right.addWidget(self.help)
        self.values = QListWidget()
        self.values.setAccessibleName("Values")
        self.values.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.values.currentItemChanged.connect(self._value_selected)
        right.addWidget(self.values, 1)
        edit_row = QHBoxLayout()
        self.value_edit = QLineEdit()
        self.value_edit.setPlaceholderText("Type a new value, or a new name for the selected one")
        self.value_edit.setAccessibleName("Value")
        edit_row.addWidget(self.value_edit, 1)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self.add)
        self.rename_button = QPushButton("Rename")
        self.rename_button.setToolTip("Rename the selected value here and in every record")
        self.rename_button.clicked.connect(self.rename)
        edit_row.addWidget(self.add_button)
        edit_row.addWidget(self.rename_button)
        right.addLayout(edit_row)
        buttons = QHBoxLayout()
        self.up_button = QPushButton("Move up")
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.clicked.connect(lambda: self.move(1))
        self.active_button = QPushButton("Mark inactive / active")
        self.active_button.setToolTip("Inactive values stay on old records but are not offered")
        self.active_button.clicked.connect(self.toggle_active)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        for button in (self.up_button, self.down_button, self.active_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        right.addLayout(buttons)
        self.message = error_label()
        right.addWidget(self.message)
        layout.addLayout(right, 1)
        self.lists.setCurrentRow(0)

    @property
    def list_name(self) -> str:
        item = self.lists.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else "programs"

    def select_list(self, list_name: str) -> None:
        for row in range(self.lists.count()):
            if self.lists.item(row).data(Qt.ItemDataRole.UserRole) == list_name:
                self.lists.setCurrentRow(row)

    def select_value(self, value: str) -> None:
        for row in range(self.values.count()):
            if self.values.item(row).data(Qt.ItemDataRole.UserRole) == value:
                self.values.setCurrentRow(row)

    def selected_value(self) -> str | None:
        item = self.values.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def refresh(self) -> None:
        self._show_values(self.selected_value())

    def _show_values(self, keep: str | None = None) -> None:
        if not self.session.is_open:
            return
        name = self.list_name
        self.help.setText(options.OPTION_LISTS[name][1])
        repo = self.session.require_repo()
        inactive = options.inactive_options(repo, name)
        self.values.clear()
        for value in options.list_options(repo, name):
            item = QListWidgetItem(value + ("  (inactive)" if value in inactive else ""))
            item.setData(Qt.ItemDataRole.UserRole, value)
            if value in inactive:
                item.setForeground(QBrush(QColor("#7a848c")))
            self.values.addItem(item)
        self.active_button.setEnabled(name != "stages")
        if keep:
            self.select_value(keep)

    def _value_selected(self) -> None:
        value = self.selected_value()
        if value is not None:
            self.value_edit.setText(value)

    def _run(self, action: str, work: object, keep: str | None) -> None:
        try:
            result = work() if callable(work) else None
        except options.OptionError as exc:
            _say(self.message, str(exc), False)
            return
        _say(self.message, action.format(result=result), True)
        self._show_values(keep)
        self.session.notify("settings")

    def add(self) -> None:
        value = self.value_edit.text().strip()
        self._run(
            f"Added {value!r}.",
            lambda: options.add_option(self.session.require_repo(), self.list_name, value),
            value,
        )

    def rename(self) -> None:
        old = self.selected_value()
        new = self.value_edit.text().strip()
        if old is None:
            _say(self.message, "Select the value to rename first.", False)
            return

        def work() -> int:
            return options.rename_option(self.session.require_repo(), self.list_name, old, new)

        self._run(f"Renamed {old!r} to {new!r} in {{result}} record(s).", work, new)
        self.session.notify("participants")

    def remove(self) -> None:
        value = self.selected_value()
        if value is None:
            _say(self.message, "Select the value to remove first.", False)
            return
        self._run(
            f"Removed {value!r}.",
            lambda: options.delete_option(self.session.require_repo(), self.list_name, value),
            None,
        )

    def move(self, offset: int) -> None:
        value = self.selected_value()
        if value is None:
            return
        self._run(
            f"Moved {value!r}.",
            lambda: options.move_option(self.session.require_repo(), self.list_name, value, offset),
            value,
        )

    def toggle_active(self) -> None:
        value = self.selected_value()
        if value is None:
            return
        repo = self.session.require_repo()
        active = value in options.inactive_options(repo, self.list_name)
        self._run(
            f"{value!r} is now {'active' if active else 'inactive'}.",
            lambda: options.set_option_active(repo, self.list_name, value, active),
            value,
        )


class CustomFieldsTab(QWidget):
    """Fields an organisation adds to every record (text, number, date, yes/no, choice)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.fields: list[options.CustomField] = []
        layout = QVBoxLayout(self)
        layout.addWidget(
            hint_label(
                "Custom fields appear on every participant record under “Custom fields”. "
                "A field that holds data cannot be removed; mark it inactive to hide it."
            )
        )
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Field", "Type", "Choices", "Shown"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        box = QGroupBox("Field")
        form = QFormLayout(box)
        self.label = QLineEdit()
        self.label.setPlaceholderText("e.g. Referral source")
        self.label.setAccessibleName("Field name")
        form.addRow("Name", self.label)
        self.kind = QComboBox()
        for key, text in options.FIELD_TYPES.items():
            self.kind.addItem(text, key)
        form.addRow("Type", self.kind)
        self.choices = QPlainTextEdit()
        self.choices.setPlaceholderText("For a choice field: one choice per line")
        self.choices.setMaximumHeight(90)
        self.choices.setTabChangesFocus(True)
        form.addRow("Choices", self.choices)
        layout.addWidget(box)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add field")
        self.add_button.clicked.connect(self.add)
        self.update_button = QPushButton("Save changes to selected")
        self.update_button.clicked.connect(self.update_selected)
        self.active_button = QPushButton("Hide / show")
        self.active_button.clicked.connect(self.toggle_active)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        for button in (
            self.add_button,
            self.update_button,
            self.active_button,
            self.remove_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message = error_label()
        layout.addWidget(self.message)

    def refresh(self) -> None:
        self.fields = options.custom_fields(self.session.require_repo(), include_inactive=True)
        self.table.setRowCount(len(self.fields))
        for row, field in enumerate(self.fields):
            values = (
                field.label,
                options.FIELD_TYPES.get(field.field_type, field.field_type),
                ", ".join(field.choices),
                "Yes" if field.active else "Hidden",
            )
            for column, text in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def selected(self) -> options.CustomField | None:
        rows = self.table.selectionModel().selectedRows()
        return self.fields[rows[0].row()] if rows else None

    def _selected(self) -> None:
        field = self.selected()
        if field is None:
            return
        self.label.setText(field.label)
        self.kind.setCurrentIndex(self.kind.findData(field.field_type))
        self.choices.setPlainText("\n".join(field.choices))

    def _choices(self) -> list[str]:
        return [line.strip() for line in self.choices.toPlainText().splitlines() if line.strip()]

    def add(self) -> None:
        try:
            options.add_custom_field(
                self.session.require_repo(),
                self.label.text(),
                str(self.kind.currentData()),
                self._choices(),
            )
        except options.OptionError as exc:
            _say(self.message, str(exc), False)
            return
        _say(self.message, f"Added the field {self.label.text().strip()!r}.", True)
        self.label.clear()
        self.choices.clear()
        self.refresh()
        self.session.notify("settings")

    def update_selected(self) -> None:
        field = self.selected()
        if field is None:
            _say(self.message, "Select a field first.", False)
            return
        try:
            repo = self.session.require_repo()
            new_choices = self._choices()
            if field.field_type == "choice" and len(new_choices) == len(field.choices):
                for old, new in zip(field.choices, new_choices, strict=True):
                    if old != new:
                        options.rename_custom_choice(repo, field.id, old, new)
            options.update_custom_field(
                repo,
                field.id,
                label=self.label.text(),
                choices=new_choices if field.field_type == "choice" else None,
            )
        except options.OptionError as exc:
            _say(self.message, str(exc), False)
            return
        _say(self.message, "Saved.", True)
        self.refresh()
        self.session.notify("settings")

    def toggle_active(self) -> None:
        field = self.selected()
        if field is None:
            return
        options.update_custom_field(self.session.require_repo(), field.id, active=not field.active)
        self.refresh()

    def remove(self) -> None:
        field = self.selected()
        if field is None:
            _say(self.message, "Select a field first.", False)
            return
        try:
            options.delete_custom_field(self.session.require_repo(), field.id)
        except options.OptionError as exc:
            _say(self.message, str(exc), False)
            return
        _say(self.message, f"Removed {field.label!r}.", True)
        self.refresh()


class SettingsPage(Page):
    title = "Settings"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Settings"))
        self.tabs = QTabWidget()
        self.general = GeneralTab(session)
        self.staff = StaffTab(session)
        self.option_lists = OptionListsTab(session)
        self.custom = CustomFieldsTab(session)
        self.tabs.addTab(self.general, "Organisation")
        self.tabs.addTab(self.staff, "Staff")
        self.tabs.addTab(self.option_lists, "Option lists")
        self.tabs.addTab(self.custom, "Custom fields")
        self.extra: list[QWidget] = []
        for label, target in SETTINGS_TABS:
            module_name, class_name = target.split(":")
            try:
                tab_class = getattr(importlib.import_module(module_name), class_name)
                tab = tab_class(session, self)
            except Exception as exc:  # one broken tab must not take Settings down
                tab = error_label(f"{label} could not be shown: {exc}")
            self.extra.append(tab)
            self.tabs.addTab(tab, label)
        self.tabs.currentChanged.connect(lambda _i: self._refresh_current())
        layout.addWidget(self.tabs, 1)

    def _refresh_current(self) -> None:
        if not self.session.is_open:
            return
        tab = self.tabs.currentWidget()
        refresh = getattr(tab, "refresh", None)
        if callable(refresh):
            refresh()

    def refresh(self) -> None:
        if not self.session.is_open:
            return
        for tab in (self.general, self.staff, self.option_lists, self.custom):
            tab.refresh()
        if self.tabs.currentWidget() in self.extra:
            self._refresh_current()

    def clear(self) -> None:
        self.general.organisation.clear()
        self.staff.list.clear()
        self.option_lists.values.clear()
        self.custom.table.setRowCount(0)
        for tab in self.extra:
            clear = getattr(tab, "clear", None)
            if callable(clear):
                clear()
