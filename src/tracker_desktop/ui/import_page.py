"""The Import screen: a wizard that brings an existing spreadsheet tracker in.

Pick file and sheet -> header row -> map columns (suggested, profile load/save) ->
preview with each row's problems and duplicate choices -> import as one batch (progress,
cancel) -> report with Undo.  Past imports are listed on the first step, each undoable.
All the work is done by :mod:`tracker_desktop.core.importer`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.core import importer
from tracker_desktop.core.importer import ImportPreview, ImportProfile, SheetData
from tracker_desktop.ui.page import Page
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.tasks import CancelledError, run_task
from tracker_desktop.ui.widgets import EmptyState, error_label, hint_label, page_title

STEPS = ("1  Choose a file", "2  Match columns", "3  Check", "4  Done")
DATE_ORDER_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Decide from the file (ask if unclear)", None),
    ("Month/day/year (US: 1/3/24 = January 3)", "MDY"),
    ("Day/month/year (1/3/24 = 1 March)", "DMY"),
    ("Year/month/day", "YMD"),
)
SEVERITY_COLORS = {"error": "#fde7e5", "warning": "#fff4d6", "info": "#eef3f7"}
SEVERITY_WORDS = {"error": "Must fix", "warning": "Check", "info": "Note"}
PREVIEW_ROWS = 8


def _item(text: object, tooltip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem("" if text is None else str(text))
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if tooltip:
        item.setToolTip(tooltip)
    return item


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def target_choices(measures: dict[str, str]) -> list[tuple[str, str]]:
    """(label, target) for every place a column can go, in menu order."""
    choices = [("Skip this column", importer.SKIP)]
    for spec in importer.FIELDS:
        choices.append((f"{spec.group}: {spec.label}", spec.key))
    for key, name in measures.items():
        for point in importer.TIME_POINTS:
            choices.append(
                (f"Outcome: {name} {importer.TIME_POINT_LABELS[point]}", f"measure:{key}@{point}")
            )
    return choices


def _undo_effect(batch: importer.BatchInfo, *, done: bool) -> str:
    """What undoing ``batch`` does (asked before) or did (said after)."""
    people = f"{batch.created} participant{'s' if batch.created != 1 else ''}"
    deleted, restored = ("were deleted", "got") if done else ("are deleted", "get")
    updated = (
        f" and the {batch.updated} it updated {restored} their old values back"
        if batch.updated
        else ""
    )
    return f"The {people} it created {deleted}{updated}."


class ImportPage(Page):
    title = "Import"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.data: SheetData | None = None
        self.profile: ImportProfile | None = None
        self.preview: ImportPreview | None = None
        self.loaded_profile: ImportProfile | None = None
        self.last_result: importer.ImportResult | None = None
        self._pending_undo: int | None = None
        self._target_combos: list[QComboBox] = []
        self._choice_combos: dict[int, QComboBox] = {}
        self._batches: list[importer.BatchInfo] = []

        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Import a spreadsheet"))
        self.step_label = QLabel()
        self.step_label.setObjectName("hint")
        self.step_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.step_label)
        self.message = error_label()
        self.message.hide()
        layout.addWidget(self.message)
        self.confirm_bar = self._build_confirm_bar()
        layout.addWidget(self.confirm_bar)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.stack.addWidget(self._build_file_step())
        self.stack.addWidget(self._build_mapping_step())
        self.stack.addWidget(self._build_preview_step())
        self.stack.addWidget(self._build_done_step())
        self._show_step(0)
        QShortcut(QKeySequence("Alt+Left"), self, activated=self._back)
        # A disabled main button must look disabled (the app style colours #primary).
        self.setStyleSheet(
            "QPushButton#primary:disabled { background: #f0f2f4; color: #9aa5ae; "
            "border-color: #b8c2cc; }"
        )

    # --- step 1: file, sheet, header row ---------------------------------------------
    def _build_file_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            hint_label(
                "Bring in an existing tracker (.xlsx or .csv). Nothing is written until you "
                "have checked the rows and pressed Import; an import can be undone."
            )
        )
        row = QHBoxLayout()
        row.addWidget(QLabel("File"))
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Choose a spreadsheet, or paste its path and press Enter")
        self.path_edit.setAccessibleName("Spreadsheet file")
        self.path_edit.returnPressed.connect(self.open_file)
        row.addWidget(self.path_edit, 1)
        self.browse_button = QPushButton("Choose file…")
        self.browse_button.clicked.connect(self._browse)
        row.addWidget(self.browse_button)
        layout.addLayout(row)

        options = QHBoxLayout()
        options.addWidget(QLabel("Sheet"))
        self.sheet_combo = QComboBox()
        self.sheet_combo.setAccessibleName("Sheet")
        self.sheet_combo.setMinimumWidth(160)
        self.sheet_combo.activated.connect(lambda _i: self._reload_sheet())
        options.addWidget(self.sheet_combo)
        options.addSpacing(12)
        options.addWidget(QLabel("Column names are in row"))
        self.header_spin = QSpinBox()
        self.header_spin.setRange(1, importer.HEADER_SEARCH_ROWS)
        self.header_spin.setAccessibleName("Header row")
        self.header_spin.valueChanged.connect(self._header_changed)
        options.addWidget(self.header_spin)
        options.addSpacing(12)
        options.addWidget(QLabel("Dates"))
        self.date_order_combo = QComboBox()
        self.date_order_combo.setAccessibleName("Date order")
        for label, value in DATE_ORDER_CHOICES:
            self.date_order_combo.addItem(label, value)
        options.addWidget(self.date_order_combo)
        options.addStretch(1)
        self.load_profile_button = QPushButton("Use a saved profile…")
        self.load_profile_button.setToolTip(
            "Reuse the column matching saved from an earlier import"
        )
        self.load_profile_button.clicked.connect(self._choose_profile)
        options.addWidget(self.load_profile_button)
        layout.addLayout(options)
        self.file_info = hint_label()
        layout.addWidget(self.file_info)

        self.raw_table = _table([], "First rows of the sheet")
        self.raw_table.setMinimumHeight(160)
        self.raw_table.hide()
        layout.addWidget(self.raw_table, 2)
        self.no_file = EmptyState(
            "No spreadsheet chosen yet",
            "Choose an .xlsx or .csv file. Its first rows appear here so you can check "
            "which row holds the column names.",
        )
        layout.addWidget(self.no_file, 2)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.to_mapping_button = QPushButton("Next: match columns")
        self.to_mapping_button.setObjectName("primary")
        self.to_mapping_button.setEnabled(False)
        self.to_mapping_button.clicked.connect(self.go_to_mapping)
        buttons.addWidget(self.to_mapping_button)
        layout.addLayout(buttons)

        history = QGroupBox("Past imports")
        history_layout = QVBoxLayout(history)
        self.batches_table = _table(
            ["When", "File", "By", "Created", "Updated", "Status"], "Past imports"
        )
        self.batches_table.itemSelectionChanged.connect(self._batch_selected)
        history_layout.addWidget(self.batches_table)
        self.batches_empty = hint_label("No imports yet.")
        history_layout.addWidget(self.batches_empty)
        undo_row = QHBoxLayout()
        self.undo_batch_button = QPushButton("Undo selected import…")
        self.undo_batch_button.setEnabled(False)
        self.undo_batch_button.clicked.connect(self._ask_undo_selected)
        undo_row.addWidget(self.undo_batch_button)
        undo_row.addStretch(1)
        history_layout.addLayout(undo_row)
        history.setMaximumHeight(230)
        layout.addWidget(history, 1)
        return page

    def _build_confirm_bar(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("tile")
        row = QHBoxLayout(bar)
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        row.addWidget(self.confirm_label, 1)
        self.confirm_undo_button = QPushButton("Yes, undo it")
        self.confirm_undo_button.clicked.connect(self._confirm_undo)
        row.addWidget(self.confirm_undo_button)
        self.cancel_undo_button = QPushButton("Keep it")
        self.cancel_undo_button.clicked.connect(self._cancel_undo)
        row.addWidget(self.cancel_undo_button)
        bar.hide()
        return bar

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Choose a spreadsheet", str(Path.home()), "Spreadsheets (*.xlsx *.csv)"
        )
        if chosen:
            self.path_edit.setText(chosen)
            self.open_file()

    def _choose_profile(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Use a saved import profile", str(Path.home()), "Import profiles (*.json)"
        )
        if chosen:
            self.load_profile(Path(chosen))

    def load_profile(self, path: Path) -> bool:
        try:
            self.loaded_profile = ImportProfile.load(path)
        except (importer.ImportFileError, OSError) as exc:
            self._error(f"That profile cannot be used: {exc}")
            return False
        self._error("")
        index = self.date_order_combo.findData(self.loaded_profile.date_order)
        self.date_order_combo.setCurrentIndex(max(index, 0))
        self.file_info.setText(f"Profile {path.name} will be used for the column matching.")
        if self.data is not None:
            self._reload_sheet()
        return True

    def open_file(self, sheet: str | None = None) -> None:
        text = self.path_edit.text().strip().strip('"')
        if not text:
            self._error("Choose a spreadsheet first.")
            return
        path = Path(text).expanduser()
        if sheet is None and self.loaded_profile is not None:
            sheet = self.loaded_profile.sheet
        self._read(path, sheet)

    def _reload_sheet(self) -> None:
        if self.data is not None:
            self._read(self.data.source, self.sheet_combo.currentText() or None)

    def _read(self, path: Path, sheet: str | None, then: Callable[[], None] | None = None) -> None:
        def work(progress: Any) -> tuple[SheetData, list[str]]:
            sheets = importer.list_sheets(path)
            chosen = sheet if sheet in sheets else None
            return importer.read_table(path, chosen, progress), sheets

        def done(result: tuple[SheetData, list[str]]) -> None:
            data, sheets = result
            self._error("")
            self.data = data
            self.preview = None
            self.sheet_combo.blockSignals(True)
            self.sheet_combo.clear()
            self.sheet_combo.addItems(sheets or ["(the whole file)"])
            self.sheet_combo.setEnabled(bool(sheets))
            if data.sheet:
                self.sheet_combo.setCurrentText(data.sheet)
            self.sheet_combo.blockSignals(False)
            try:
                header = (
                    self.loaded_profile.header_row
                    if self.loaded_profile and self.loaded_profile.header_row
                    else importer.detect_header_row(data)
                )
            except importer.ImportFileError as exc:
                self._error(str(exc))
                self.to_mapping_button.setEnabled(False)
                return
            self.header_spin.blockSignals(True)
            self.header_spin.setValue(header)
            self.header_spin.blockSignals(False)
            details = [f"{len(data.rows):,} rows"]
            if data.encoding:
                sep = {",": "commas", ";": "semicolons", "\t": "tabs"}.get(
                    data.delimiter or ",", "commas"
                )
                details.append(f"{data.encoding}, separated by {sep}")
            self.file_info.setText(
                f"{data.source.name}: {', '.join(details)}. Row {header} holds the column "
                "names (shaded below); change it if that is wrong."
            )
            self._fill_raw_table()
            self.raw_table.show()
            self.no_file.hide()
            self.to_mapping_button.setEnabled(True)
            if then is not None:
                then()

        self._error("")
        run_task(work, done, self._failed, parent=self, label="Reading the spreadsheet…")

    def _header_changed(self, _value: int) -> None:
        if self.data is not None:
            self.preview = None
            self._fill_raw_table()

    def _fill_raw_table(self) -> None:
        assert self.data is not None
        header = self.header_spin.value()
        rows = self.data.rows[: header + PREVIEW_ROWS]
        width = min(max((len(r) for r in rows), default=0), 40)
        table = self.raw_table
        table.clear()
        table.setColumnCount(width)
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels([importer.column_letter(i) for i in range(width)])
        table.setVerticalHeaderLabels([str(i + 1) for i in range(len(rows))])
        table.verticalHeader().setVisible(True)
        shade = QBrush(QColor("#cfe3ee"))
        for r, values in enumerate(rows):
            for c in range(width):
                value = values[c] if c < len(values) else None
                item = _item(importer.parsing.clean_text(value) or "")
                if r + 1 == header:
                    item.setBackground(shade)
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(r, c, item)
        table.resizeColumnsToContents()

    # --- step 2: mapping -------------------------------------------------------------------
    def _build_mapping_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            hint_label(
                "Each column of the spreadsheet and where it goes. The suggestions come from "
                "the column names and values; change any of them. Columns that match nothing "
                "are kept as custom fields — choose “Skip this column” to leave one out."
            )
        )
        self.mapping_table = _table(
            ["Column", "Name in the file", "Example values", "Import as", "Why"],
            "Column matching",
        )
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        layout.addWidget(self.mapping_table, 1)
        buttons = QHBoxLayout()
        self.mapping_back = QPushButton("Back")
        self.mapping_back.clicked.connect(self._back)
        buttons.addWidget(self.mapping_back)
        self.save_profile_button = QPushButton("Save as profile…")
        self.save_profile_button.setToolTip("Save this matching to reuse it next month")
        self.save_profile_button.clicked.connect(self._choose_save_profile)
        buttons.addWidget(self.save_profile_button)
        buttons.addStretch(1)
        self.to_preview_button = QPushButton("Next: check the rows")
        self.to_preview_button.setObjectName("primary")
        self.to_preview_button.clicked.connect(lambda: self.go_to_preview())
        buttons.addWidget(self.to_preview_button)
        layout.addLayout(buttons)
        return page

    def _measures(self) -> dict[str, str]:
        repo = self.session.repo
        if repo is None:
            return {}
        return {r["key"]: r["name"] for r in repo.rows("measures") if r["active"]}

    def go_to_mapping(self) -> None:
        if self.data is None:
            self._error("Choose a spreadsheet first.")
            return
        header = self.header_spin.value()
        if self.loaded_profile is not None:
            base = ImportProfile(**{**self.loaded_profile.__dict__, "header_row": header})
            self.profile = importer.apply_profile(self.data, base)
        else:
            self.profile = importer.suggest_profile(self.data, header, self._measures())
        self.profile.date_order = self.date_order_combo.currentData()
        self._fill_mapping()
        self._show_step(1)

    def _fill_mapping(self) -> None:
        assert self.profile is not None and self.data is not None
        choices = target_choices(self._measures())
        table = self.mapping_table
        table.setRowCount(len(self.profile.columns))
        self._target_combos = []
        header_row = self.profile.header_row or 1
        for r, column in enumerate(self.profile.columns):
            values = [
                importer.parsing.clean_text(v)
                for v in importer._column_values(self.data, header_row, column.index)[:3]
            ]
            table.setItem(r, 0, _item(column.letter))
            table.setItem(r, 1, _item(column.header or "(no name)"))
            table.setItem(r, 2, _item(", ".join(v or "" for v in values) or "(empty)"))
            combo = QComboBox()
            combo.setAccessibleName(f"Import column {column.letter} as")
            for label, target in choices:
                combo.addItem(label, target)
            custom = f"custom:{column.header or 'Column ' + column.letter}"
            combo.addItem(f"Custom field: {custom[7:]}", custom)
            if combo.findData(column.target) < 0:
                combo.addItem(importer.target_label(column.target), column.target)
            combo.setCurrentIndex(combo.findData(column.target))
            combo.currentIndexChanged.connect(
                lambda _i, c=column, box=combo: self._target_changed(c, box)
            )
            table.setCellWidget(r, 3, combo)
            self._target_combos.append(combo)
            table.setItem(r, 4, _item(column.reason))
        table.resizeColumnsToContents()
        table.setColumnWidth(3, max(table.columnWidth(3), 300))
        table.setColumnWidth(2, min(table.columnWidth(2), 260))

    def _target_changed(self, column: importer.ColumnMapping, combo: QComboBox) -> None:
        column.target = str(combo.currentData())
        column.reason = "chosen by you"
        if column.target.startswith("custom:") and "type" not in column.options:
            column.options["type"] = "text"
        self.preview = None

    def set_target(self, letter: str, target: str) -> None:
        """Choose where a column goes (as picking it in the list does)."""
        assert self.profile is not None
        for column, combo in zip(self.profile.columns, self._target_combos, strict=True):
            if column.letter == letter:
                index = combo.findData(target)
                if index < 0:
                    raise ValueError(f"{target} is not offered for column {letter}")
                combo.setCurrentIndex(index)
                return
        raise KeyError(letter)

    def _choose_save_profile(self) -> None:
        start = Path.home() / "import-profile.json"
        if self.data is not None:
            start = self.data.source.with_name(f"{self.data.source.stem}-profile.json")
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save import profile", str(start), "Import profiles (*.json)"
        )
        if chosen:
            self.save_profile(Path(chosen))

    def save_profile(self, path: Path) -> None:
        assert self.profile is not None
        self.profile.date_order = self.date_order_combo.currentData()
        try:
            self.profile.save(path)
        except OSError as exc:
            self._error(f"The profile could not be saved: {exc}")
            return
        self._error("")
        self._info(f"Saved the column matching as {path.name}.")

    # --- step 3: preview -------------------------------------------------------------------
    def _build_preview_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.preview_summary = QLabel()
        self.preview_summary.setObjectName("previewSummary")
        self.preview_summary.setWordWrap(True)
        self.preview_summary.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.preview_summary)

        self.duplicates_box = QGroupBox("Suspected duplicates")
        dup_layout = QVBoxLayout(self.duplicates_box)
        dup_layout.addWidget(
            hint_label("Same name and the same birth date or enrollment date. Choose for each:")
        )
        self.duplicates_table = _table(["Row", "Name", "Looks like", "What to do"], "Duplicates")
        self.duplicates_table.setMaximumHeight(180)
        dup_layout.addWidget(self.duplicates_table)
        layout.addWidget(self.duplicates_box)

        self.found_label = QLabel()
        layout.addWidget(self.found_label)
        self.problems_table = _table(["Row", "Column", "", "Message"], "Problems")
        layout.addWidget(self.problems_table, 1)
        self.skip_invalid_check = QCheckBox("Leave out the rows that must be fixed")
        self.skip_invalid_check.toggled.connect(self._skip_invalid_toggled)
        layout.addWidget(self.skip_invalid_check)
        buttons = QHBoxLayout()
        self.preview_back = QPushButton("Back")
        self.preview_back.clicked.connect(self._back)
        buttons.addWidget(self.preview_back)
        buttons.addStretch(1)
        self.import_button = QPushButton("Import")
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(self.start_import)
        buttons.addWidget(self.import_button)
        layout.addLayout(buttons)
        return page

    def go_to_preview(self, then: Callable[[], None] | None = None) -> None:
        if self.data is None or self.profile is None:
            return
        data, profile = self.data, self.profile
        profile.date_order = self.date_order_combo.currentData()
        repo = self.session.require_repo()

        def work(progress: Any) -> ImportPreview:
            return importer.build_preview(data, profile, repo, progress=progress)

        def done(preview: ImportPreview) -> None:
            self.preview = preview
            self._fill_preview()
            self._show_step(2)
            if then is not None:
                then()

        run_task(work, done, self._failed, parent=self, label="Checking the rows…")

    def _fill_preview(self) -> None:
        preview = self.preview
        assert preview is not None
        self.skip_invalid_check.blockSignals(True)
        self.skip_invalid_check.setChecked(preview.skip_invalid)
        self.skip_invalid_check.blockSignals(False)
        problems = preview.problems()
        self.found_label.setText(
            "<b>What was found</b>"
            if problems
            else "<b>Nothing to report</b>"
            + (": every row reads cleanly." if preview.rows else ".")
        )
        self.problems_table.setRowCount(len(problems))
        for r, problem in enumerate(problems):
            color = QBrush(QColor(SEVERITY_COLORS[problem.severity]))
            cells = [
                "whole file" if problem.row is None else str(problem.row),
                problem.column or "",
                SEVERITY_WORDS[problem.severity],
                problem.message,
            ]
            for c, text in enumerate(cells):
                item = _item(text, problem.message if c == 3 else None)
                item.setBackground(color)
                self.problems_table.setItem(r, c, item)
        self.problems_table.resizeColumnsToContents()
        self.problems_table.horizontalHeader().setSectionResizeMode(
            3, QHeaderView.ResizeMode.Stretch
        )
        duplicates = preview.duplicates
        self.duplicates_box.setVisible(bool(duplicates))
        self.duplicates_table.setRowCount(len(duplicates))
        self._choice_combos = {}
        for r, plan in enumerate(duplicates):
            assert plan.duplicate is not None
            self.duplicates_table.setItem(r, 0, _item(plan.row))
            self.duplicates_table.setItem(r, 1, _item(plan.name))
            self.duplicates_table.setItem(r, 2, _item(plan.duplicate.describe()))
            combo = QComboBox()
            combo.setAccessibleName(f"Duplicate choice for row {plan.row}")
            for choice in importer.DUPLICATE_CHOICES:
                combo.addItem(importer.DUPLICATE_CHOICE_LABELS[choice], choice)
            combo.setCurrentIndex(combo.findData(plan.choice or "merge"))
            combo.currentIndexChanged.connect(
                lambda _i, row=plan.row, box=combo: self._choice_changed(row, box)
            )
            self.duplicates_table.setCellWidget(r, 3, combo)
            self._choice_combos[plan.row] = combo
        self.duplicates_table.resizeColumnsToContents()
        self._update_summary()

    def _choice_changed(self, row: int, combo: QComboBox) -> None:
        assert self.preview is not None
        self.preview.set_choice(row, combo.currentData())
        self._update_summary()

    def choose_duplicate(self, row: int, choice: str) -> None:
        combo = self._choice_combos[row]
        combo.setCurrentIndex(combo.findData(choice))

    def _skip_invalid_toggled(self, checked: bool) -> None:
        if self.preview is not None:
            self.preview.skip_invalid = checked
            self._update_summary()

    def _update_summary(self) -> None:
        preview = self.preview
        assert preview is not None
        counts = preview.counts
        parts = [
            f"<b>{counts['create']}</b> new participant{'s' if counts['create'] != 1 else ''}",
            f"<b>{counts['update']}</b> to update",
            f"<b>{counts['skip']}</b> row{'s' if counts['skip'] != 1 else ''} skipped",
        ]
        if counts["reject"]:
            parts.append(
                f"<span style='color:#b3261e'><b>{counts['reject']}</b> "
                f"row{'s' if counts['reject'] != 1 else ''} must be fixed</span>"
            )
        elif not counts["create"] and not counts["update"]:
            why = "every row is skipped" if preview.rows else "no rows under the column names"
            parts.append(f"<b>nothing to import</b> ({why})")
        where = preview.source_name + (f", sheet “{preview.sheet}”" if preview.sheet else "")
        extra = []
        if preview.empty_rows:
            extra.append(f"{preview.empty_rows} empty rows ignored")
        for list_name, values in preview.new_options.items():
            extra.append(f"new {list_name.replace('_', ' ')}: {', '.join(values)}")
        for label in preview.new_custom_fields:
            extra.append(f"new custom field “{label}”")
        self.preview_summary.setText(
            f"{where}: {' · '.join(parts)}"
            + (f"<br><span style='color:#5b6770'>{'; '.join(extra)}</span>" if extra else "")
        )
        blocking = preview.blocking
        self.skip_invalid_check.setVisible(counts["reject"] > 0 or preview.skip_invalid)
        file_errors = any(n.is_error for n in preview.notices)
        self.import_button.setEnabled(not blocking and (counts["create"] + counts["update"]) > 0)
        if file_errors:
            self.import_button.setToolTip("Fix the problems marked “whole file” first")
        elif blocking:
            self.import_button.setToolTip("Fix the rows marked “Must fix”, or leave them out")
        else:
            self.import_button.setToolTip("")
        total = counts["create"] + counts["update"]
        self.import_button.setText(f"Import {total} row{'s' if total != 1 else ''}")

    # --- step 4: import and report ------------------------------------------------------------
    def _build_done_step(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.report_label = QLabel()
        self.report_label.setObjectName("importReport")
        self.report_label.setWordWrap(True)
        self.report_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.report_label)
        row = QHBoxLayout()
        self.undo_last_button = QPushButton("Undo this import")
        self.undo_last_button.clicked.connect(self._ask_undo_last)
        row.addWidget(self.undo_last_button)
        self.again_button = QPushButton("Import another file")
        self.again_button.clicked.connect(self.restart)
        row.addWidget(self.again_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def start_import(self) -> None:
        preview = self.preview
        if preview is None or preview.blocking:
            return
        repo = self.session.require_repo()

        def work(progress: Any) -> importer.ImportResult:
            return importer.run_import(repo, preview, progress)

        def done(result: importer.ImportResult) -> None:
            if not result.batch_id:  # no row to create or update: no batch was written
                self._info(result.line() + ".")
                return
            self.last_result = result
            self.session.notify("participants")
            batch = importer.get_batch(repo, result.batch_id)
            self.undo_last_button.setText(batch.undo_label)
            self.undo_last_button.setEnabled(True)
            self.report_label.setText(
                f"<h3>Imported {result.source_name}</h3>"
                f"<p>{result.created} participant{'s' if result.created != 1 else ''} created, "
                f"{result.updated} updated, {result.skipped} row"
                f"{'s' if result.skipped != 1 else ''} skipped. Everything was saved as one "
                f"import (#{result.batch_id}): it can be undone here or later from "
                "“Past imports”.</p>"
            )
            self._refresh_batches()
            self._show_step(3)

        run_task(work, done, self._failed, parent=self, label="Importing…")

    def restart(self) -> None:
        self.data = None
        self.profile = None
        self.preview = None
        self.path_edit.clear()
        self.sheet_combo.clear()
        self.raw_table.clear()
        self.raw_table.setRowCount(0)
        self.raw_table.setColumnCount(0)
        self.file_info.setText("")
        self.raw_table.hide()
        self.no_file.show()
        self.to_mapping_button.setEnabled(False)
        self._show_step(0)

    # --- undo -----------------------------------------------------------------------------------
    def _refresh_batches(self) -> None:
        repo = self.session.repo
        batches = importer.list_batches(repo) if repo is not None else []
        self._batches = batches
        table = self.batches_table
        table.setRowCount(len(batches))
        for r, batch in enumerate(batches):
            status = "Imported" if batch.can_undo else "Undone"
            cells = [
                batch.imported_at.strftime("%Y-%m-%d %H:%M"),
                batch.source_name + (f" ({batch.sheet})" if batch.sheet else ""),
                batch.staff or "",
                batch.created,
                batch.updated,
                status,
            ]
            for c, value in enumerate(cells):
                table.setItem(r, c, _item(value))
        table.resizeColumnsToContents()
        table.setVisible(bool(batches))
        self.batches_empty.setVisible(not batches)
        self._batch_selected()

    def _selected_batch(self) -> importer.BatchInfo | None:
        rows = self.batches_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._batches[rows[0].row()]

    def _batch_selected(self) -> None:
        batch = self._selected_batch()
        self.undo_batch_button.setEnabled(batch is not None and batch.can_undo)
        self.undo_batch_button.setText(
            batch.undo_label + "…"
            if batch is not None and batch.can_undo
            else "Undo selected import…"
        )

    def _ask_undo_selected(self) -> None:
        batch = self._selected_batch()
        if batch is not None:
            self._ask_undo(batch.id)

    def _ask_undo_last(self) -> None:
        if self.last_result is not None:
            self._ask_undo(self.last_result.batch_id)

    def _ask_undo(self, batch_id: int) -> None:
        repo = self.session.require_repo()
        batch = importer.get_batch(repo, batch_id)
        edited = importer.edited_since_import(repo, batch_id)
        text = f"{batch.undo_label}? {_undo_effect(batch, done=False)}"
        if edited:
            text += (
                f" <b>{edited} of them {'was' if edited == 1 else 'were'} edited after the "
                "import: those edits are removed too.</b>"
            )
        self.confirm_label.setText(text)
        self._pending_undo = batch_id
        self.confirm_bar.show()
        self.confirm_undo_button.setFocus()

    def _cancel_undo(self) -> None:
        self._pending_undo = None
        self.confirm_bar.hide()

    def _confirm_undo(self) -> None:
        batch_id = self._pending_undo
        if batch_id is None:
            return
        repo = self.session.require_repo()

        def work(progress: Any) -> importer.BatchInfo:
            return importer.undo_import(repo, batch_id, progress)

        def done(batch: importer.BatchInfo) -> None:
            self._pending_undo = None
            self.confirm_bar.hide()
            self.session.notify("participants")
            self._refresh_batches()
            self._info(f"Undone: the import of {batch.source_name} was taken back out.")
            if self.last_result is not None and self.last_result.batch_id == batch_id:
                self.undo_last_button.setEnabled(False)
                self.undo_last_button.setText("Undone")
                # The report no longer says the rows are saved and can be undone.
                self.report_label.setText(
                    f"<h3>Import of {batch.source_name} undone</h3>"
                    f"<p>{_undo_effect(batch, done=True)} Start again to import another file.</p>"
                )

        run_task(work, done, self._failed, parent=self, label="Undoing the import…")

    # --- shared -----------------------------------------------------------------------------
    def _show_step(self, index: int) -> None:
        if self.stack.currentIndex() != index:
            self._error("")
        self.stack.setCurrentIndex(index)
        parts = []
        for i, name in enumerate(STEPS):
            if i == index:
                parts.append(f"<b style='color:#1f3b4d'>{name}</b>")
            else:
                parts.append(f"<span style='color:#8a959e'>{name}</span>")
        self.step_label.setText("  ›  ".join(parts))

    def _back(self) -> None:
        index = self.stack.currentIndex()
        if index in (1, 2):
            self._show_step(index - 1)

    def _error(self, text: str) -> None:
        self.message.setObjectName("error")
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _info(self, text: str) -> None:
        self.message.setObjectName("hint")
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _failed(self, exc: BaseException, _trace: str) -> None:
        if isinstance(exc, CancelledError | importer.ImportCancelledError):
            self._error("Cancelled: nothing was written.")
        elif isinstance(exc, importer.ImportFileError | OSError):
            self._error(str(exc))
        else:
            self._error(f"Something went wrong and nothing was written: {exc}")

    def refresh(self) -> None:
        self._refresh_batches()

    def draft_state(self) -> object | None:
        """The wizard's place (file, sheet, header row, matching, choices) across a lock."""
        step = self.stack.currentIndex()
        if self.data is None or step == 3:
            return None
        state: dict[str, Any] = {
            "path": str(self.data.source),
            "sheet": self.data.sheet,
            "header_row": self.header_spin.value(),
            "date_order": self.date_order_combo.currentData(),
            "step": step,
        }
        if self.profile is not None and step >= 1:
            state["profile"] = self.profile.to_json()
        if self.preview is not None and step == 2:
            state["choices"] = {str(p.row): p.choice for p in self.preview.duplicates}
            state["skip_invalid"] = self.preview.skip_invalid
        return state

    def restore_draft(self, state: object) -> None:
        if not isinstance(state, dict) or not state.get("path"):
            return
        try:
            saved = ImportProfile.from_json(state["profile"]) if state.get("profile") else None
        except importer.ImportFileError:
            saved = None
        self.loaded_profile = saved
        self.date_order_combo.setCurrentIndex(
            max(self.date_order_combo.findData(state.get("date_order")), 0)
        )
        self.path_edit.setText(str(state["path"]))
        step = int(state.get("step") or 0)

        def after_preview() -> None:
            assert self.preview is not None
            for row, choice in (state.get("choices") or {}).items():
                if int(row) in self._choice_combos and choice in importer.DUPLICATE_CHOICES:
                    self.choose_duplicate(int(row), choice)
            if state.get("skip_invalid"):
                self.skip_invalid_check.setChecked(True)

        def after_read() -> None:
            header = state.get("header_row")
            if isinstance(header, int):
                self.header_spin.setValue(header)
            if step >= 1:
                self.go_to_mapping()
            if step >= 2:
                self.go_to_preview(after_preview)

        self._read(Path(str(state["path"])), state.get("sheet"), after_read)

    def clear(self) -> None:
        self.restart()
        self.batches_table.setRowCount(0)
        self.loaded_profile = None
        self.last_result = None
        self.problems_table.setRowCount(0)
        self.duplicates_table.setRowCount(0)
        self.report_label.clear()
