"""The Export screen: the funder workbook (.xlsx), the tracker as CSV, or a PDF report.

Filters (program, enrollment dates) apply to every format.  The screen says plainly that
an export holds personal data in plain text, and offers a de-identified export.  The
export runs in the background with a progress bar and a Cancel button.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QSettings, Qt
from PySide6.QtGui import QPageSize
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from tracker_desktop.ui.page import Page
from tracker_desktop.ui.pdf_report import default_page_size
from tracker_desktop.ui.session import Session
from tracker_desktop.ui.tasks import CancelledError, Progress, run_task
from tracker_desktop.ui.widgets import error_label, hint_label, page_title

FORMATS: dict[str, tuple[str, str]] = {
    "xlsx": ("Excel workbook for funders (.xlsx)", "Excel workbook (*.xlsx)"),
    "csv": ("Tracker as CSV (.csv)", "CSV file (*.csv)"),
    "pdf": ("PDF report (.pdf)", "PDF document (*.pdf)"),
}
FORMAT_HINTS = {
    "xlsx": "Tracker, Dashboard with live formulas and charts, detail sheets and definitions. "
    "Edit the Tracker sheet in Excel or LibreOffice and the Dashboard recalculates.",
    "csv": "One row per participant with the Tracker columns (UTF-8, opens in Excel).",
    "pdf": "A printable report: key numbers, charts, statements for funders and definitions.",
}
ALL_PROGRAMS = "All programs"
IDENTIFIED_NOTICE = (
    "⚠ The exported file holds participants' personal data in plain text (names, dates of "
    "birth, phone numbers, email addresses). It is not encrypted: keep it somewhere safe, "
    "share it only with people allowed to see it, and delete it when you are done. "
    "Tick \u201cDe-identified\u201d to leave names and contact details out."
)
DEIDENTIFIED_NOTICE = (
    "De-identified: participants appear by code only (P-00042); no names, phone numbers or "
    "email addresses; dates of birth become age ranges. The numbers are the same. The file "
    "still describes individual participants, so share it with care."
)


def export_to_path(
    repo: Any,
    path: Path,
    fmt: str,
    filters: Any,
    deidentified: bool,
    progress: Any = None,
    page_size: str | None = None,
) -> str:
    """Collect and write one export; returns a one-line summary for the user."""
    from tracker_desktop.core import csv_export, workbook

    data = workbook.collect_export_data(repo, filters, deidentified, progress)
    if fmt == "xlsx":
        workbook.write_workbook(data, path, progress)
    elif fmt == "csv":
        csv_export.write_tracker_csv(data, path, progress)
    elif fmt == "pdf":
        from tracker_desktop.ui.pdf_report import write_pdf_report

        write_pdf_report(data, path, page_size)
    else:
        raise ValueError(f"Unknown export format {fmt!r}")
    people = data.participant_count
    noun = "participant" if people == 1 else "participants"
    return f"Saved {people} {noun} to {path}"


class ExportPage(Page):
    title = "Export"

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.last_path: Path | None = None
        self.running = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(page_title("Export for funders"))
        layout.addWidget(
            hint_label(
                "Export the tracker for a funder or a board: choose a format and which "
                "participants to include."
            )
        )

        fmt_box = QGroupBox("Format")
        fmt_layout = QVBoxLayout(fmt_box)
        self.format_group = QButtonGroup(self)
        self.format_buttons: dict[str, QRadioButton] = {}
        for key, (label, _filter) in FORMATS.items():
            button = QRadioButton(label)
            button.setObjectName(f"format_{key}")
            self.format_group.addButton(button)
            self.format_buttons[key] = button
            fmt_layout.addWidget(button)
        self.format_hint = hint_label()
        self.format_buttons["xlsx"].setChecked(True)
        for button in self.format_buttons.values():
            button.toggled.connect(self._update_hint)
        fmt_layout.addWidget(self.format_hint)
        paper_row = QHBoxLayout()
        self.paper_label = QLabel("Paper &size:")
        self.paper = QComboBox()
        self.paper.addItems(["A4", "Letter"])
        self.paper.setAccessibleName("Paper size")
        self.paper_label.setBuddy(self.paper)
        if default_page_size() == QPageSize.PageSizeId.Letter:
            self.paper.setCurrentText("Letter")
        paper_row.addWidget(self.paper_label)
        paper_row.addWidget(self.paper)
        paper_row.addStretch(1)
        fmt_layout.addLayout(paper_row)
        layout.addWidget(fmt_box)

        scope_box = QGroupBox("Participants")
        grid = QGridLayout(scope_box)
        grid.setColumnStretch(2, 1)
        self.program = QComboBox()
        self.program.setAccessibleName("Program")
        self.program.setMinimumWidth(220)
        program_label = QLabel("&Program:")
        program_label.setBuddy(self.program)
        grid.addWidget(program_label, 0, 0)
        grid.addWidget(self.program, 0, 1)
        self.use_from = QCheckBox("Enrolled on or &after")
        self.date_from = QDateEdit()
        self.use_to = QCheckBox("Enrolled on or &before")
        self.date_to = QDateEdit()
        for row, (check, edit, name) in enumerate(
            (
                (self.use_from, self.date_from, "Enrolled from"),
                (self.use_to, self.date_to, "Enrolled until"),
            ),
            1,
        ):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setAccessibleName(name)
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            grid.addWidget(check, row, 0)
            grid.addWidget(edit, row, 1)
        grid.addWidget(
            hint_label("Leave the dates unticked to include every enrollment."), 3, 0, 1, 3
        )
        self.date_from.setDate(QDate(QDate.currentDate().year(), 1, 1))
        self.date_to.setDate(QDate.currentDate())
        layout.addWidget(scope_box)

        self.deidentified = QCheckBox(
            "&De-identified (codes instead of names, no contact details, age ranges)"
        )
        self.deidentified.toggled.connect(self._update_notice)
        layout.addWidget(self.deidentified)
        self.notice = QLabel()
        self.notice.setObjectName("exportNotice")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Personal data notice")
        layout.addWidget(self.notice)

        buttons = QHBoxLayout()
        self.export_button = QPushButton("&Export…")
        self.export_button.setObjectName("primary")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.choose_and_export)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = hint_label()
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.error = error_label()
        layout.addWidget(self.error)
        layout.addStretch(1)
        self._update_hint()
        self._update_notice()

    # -- state -------------------------------------------------------------------------
    def selected_format(self) -> str:
        for key, button in self.format_buttons.items():
            if button.isChecked():
                return key
        return "xlsx"

    def _update_hint(self) -> None:
        fmt = self.selected_format()
        self.format_hint.setText(FORMAT_HINTS[fmt])
        if hasattr(self, "paper"):
            self.paper.setVisible(fmt == "pdf")
            self.paper_label.setVisible(fmt == "pdf")

    def _update_notice(self) -> None:
        deid = self.deidentified.isChecked()
        self.notice.setText(DEIDENTIFIED_NOTICE if deid else IDENTIFIED_NOTICE)
        color = "#1f5130; background:#e6f4ea" if deid else "#7a2e00; background:#fff4e5"
        self.notice.setStyleSheet(
            f"QLabel#exportNotice {{ color:{color}; border:1px solid #e0c9a6; "
            "border-radius:4px; padding:8px; }"
        )

    def refresh(self) -> None:
        if not self.session.is_open:
            return
        current = self.program.currentText()
        programs = self.session.require_repo().options("programs")
        self.program.blockSignals(True)
        self.program.clear()
        self.program.addItem(ALL_PROGRAMS)
        self.program.addItems(programs)
        index = self.program.findText(current)
        self.program.setCurrentIndex(max(index, 0))
        self.program.blockSignals(False)

    def clear(self) -> None:
        self.program.clear()
        self.status.clear()
        self.error.clear()
        self.last_path = None

    def filters(self) -> Any:
        from tracker_desktop.core.metrics import Filters

        program = self.program.currentText()
        return Filters(
            program=None if program in ("", ALL_PROGRAMS) else program,
            date_from=self.date_from.date().toPython() if self.use_from.isChecked() else None,
            date_to=self.date_to.date().toPython() if self.use_to.isChecked() else None,
        )

    def validation_error(self) -> str | None:
        if self.use_from.isChecked() and self.use_to.isChecked():
            start: date = self.date_from.date().toPython()
            end: date = self.date_to.date().toPython()
            if start > end:
                return "The 'enrolled on or after' date is later than the 'on or before' date."
        return None

    # -- actions -----------------------------------------------------------------------
    def suggested_name(self) -> str:
        fmt = self.selected_format()
        stem = "funder-workbook" if fmt == "xlsx" else "tracker" if fmt == "csv" else "report"
        if self.deidentified.isChecked():
            stem += "-deidentified"
        return f"{stem}-{date.today():%Y-%m-%d}.{fmt}"

    def choose_and_export(self) -> None:
        fmt = self.selected_format()
        settings = QSettings()
        folder = Path(str(settings.value("export/last_folder", "") or Path.home()))
        if not folder.is_dir():
            folder = Path.home()
        start = folder / self.suggested_name()
        chosen, _ = QFileDialog.getSaveFileName(self, "Export to", str(start), FORMATS[fmt][1])
        if chosen:
            settings.setValue("export/last_folder", str(Path(chosen).parent))  # a path only
            self.export_to(Path(chosen))

    def export_to(self, path: Path) -> None:
        """Export in the background to ``path`` (the format comes from the radio buttons)."""
        self.error.clear()
        problem = self.validation_error()
        if problem:
            self.error.setText(problem)
            return
        fmt = self.selected_format()
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        if not path.parent.is_dir():
            self.error.setText(f"The folder {path.parent} does not exist.")
            return
        repo = self.session.require_repo()
        filters = self.filters()
        deid = self.deidentified.isChecked()
        paper = self.paper.currentText()
        self.running = True
        self.export_button.setEnabled(False)
        self.status.setText("Exporting…")

        def work(progress: Progress) -> str:
            return export_to_path(repo, path, fmt, filters, deid, progress, paper)

        def done(summary: object) -> None:
            self.running = False
            self.export_button.setEnabled(True)
            self.last_path = path
            self.status.setText(str(summary))

        def failed(exc: BaseException, _trace: str) -> None:
            self.running = False
            self.export_button.setEnabled(True)
            self.status.clear()
            if isinstance(exc, CancelledError) or type(exc).__name__ == "ExportCancelledError":
                self.status.setText("Export cancelled; no file was written.")
            elif isinstance(exc, OSError):
                self.error.setText(f"Could not write {path.name}: {exc.strerror or exc}.")
            else:
                self.error.setText(f"The export failed: {exc}")

        run_task(work, done, failed, parent=self, label="Exporting…")
