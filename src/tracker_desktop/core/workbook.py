"""The funder workbook (DESIGN.md section 5), written with XlsxWriter.

Sheets: ``Tracker`` (one row per participant, the sample tracker's columns in its order
plus participant code, current stage and status; typed cells and dropdowns like the
original), ``Dashboard`` (every metric as a live formula over the data sheets, with the
value from :mod:`tracker_desktop.core.metrics` written as the cached result, a funder
sentence per metric and native charts), detail sheets (Jobs, Credentials, Measures,
Follow-ups, Stage history) and ``Definitions``.

Safety: every text cell goes through ``write_string`` and the workbook is opened with
``strings_to_formulas=False``, so a name like ``=HYPERLINK(...)`` is stored as text.  The
file is built in memory (no plaintext temp files) and renamed into place when complete.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

ProgressCallback = Callable[[int, int, str], object]

EXCEL_EPOCH = date(1899, 12, 30)
HEADER_ROW = 1  # zero-based: row 2 in Excel, under the group header row
FIRST_DATA_ROW = 2  # zero-based: row 3 in Excel
SPARE_ROWS = 500  # named ranges reach this far below the data so added rows count too
WORKBOOK_OPTIONS: dict[str, Any] = {
    "in_memory": True,  # never write plaintext temp files
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": True,
}


class ExportCancelledError(Exception):
    """The user cancelled an export; nothing was written."""


def check_progress(progress: ProgressCallback | None, done: int, total: int, label: str) -> None:
    """Report progress; a callback that returns ``False`` (or raises) cancels the export."""
    if progress is None:
        return
    if progress(done, total, label) is False:
        raise ExportCancelledError()


# --- column specs ---------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text | date | money | percent | number | int | yesno
    width: float = 14
    group: str | None = None
    pii: bool = False  # left out of de-identified exports
    choices: str | None = None  # option list offered as a dropdown
    name: str | None = None  # defined name for Dashboard formulas, e.g. "Tracker_Wage"


BASIC = "Basic Information"
EMPLOYMENT = "Employment Information"
CREDENTIALS = "Certifications and Degrees"
JOURNEY = "Journey and Status"
PERSON = "Person (identifying)"

# The sample tracker's columns in its order (A..Q there; its unnamed E and K columns are
# program progress and the promotion date), with the participant code first and the
# journey/status columns the app adds after them.
TRACKER_COLUMNS: tuple[Column, ...] = (
    Column("participant_code", "Participant Code", "text", 12, BASIC, name="Tracker_Code"),
    Column("last_name", "Last Name", "text", 16, BASIC, pii=True),
    Column("first_name", "First Name", "text", 14, BASIC, pii=True),
    Column("enrolled_on", "Date of Enrollment", "date", 12, BASIC, name="Tracker_EnrollmentDate"),
    Column(
        "program",
        "Programs Enrolled",
        "text",
        13,
        BASIC,
        choices="programs",
        name="Tracker_Program",
    ),
    Column("progress_pct", "Program Progress", "percent", 10, BASIC, name="Tracker_Progress"),
    Column(
        "employed", "Employed", "yesno", 10, EMPLOYMENT, choices="yesno", name="Tracker_Employed"
    ),
    Column("job_started_on", "Date of Employment", "date", 12, EMPLOYMENT),
    Column("hourly_wage", "Hourly wage", "money", 11, EMPLOYMENT, name="Tracker_Wage"),
    Column(
        "employer_benefits",
        "Enrolled Benefits",
        "yesno",
        10,
        EMPLOYMENT,
        choices="yesno",
        name="Tracker_EmployerBenefits",
    ),
    Column("promotions", "Promotions Earned", "text", 30, EMPLOYMENT),
    Column("promoted_on", "Date of Promotion", "date", 12, EMPLOYMENT, name="Tracker_PromotedOn"),
    Column("certifications", "Certifications Earned", "text", 18, CREDENTIALS),
    Column("certified_on", "Date of Certification", "date", 12, CREDENTIALS),
    Column("degrees", "Degrees Completed", "text", 14, CREDENTIALS),
    Column("degree_on", "Date of Degree", "date", 12, CREDENTIALS),
    Column("gpa", "GPA", "number", 7, CREDENTIALS, name="Tracker_GPA"),
    Column(
        "barriers_expunged",
        "Legal Barriers Expunged",
        "yesno",
        14,
        CREDENTIALS,
        choices="yesno",
    ),
    Column("stage", "Current Stage", "text", 18, JOURNEY, choices="stages", name="Tracker_Stage"),
    Column("status", "Status", "text", 10, JOURNEY, choices="statuses", name="Tracker_Status"),
    Column("exited_on", "Exit Date", "date", 12, JOURNEY, name="Tracker_ExitDate"),
    Column("exit_reason", "Exit Reason", "text", 18, JOURNEY, choices="exit_reasons"),
    Column("entry_wage", "Entry Wage", "money", 10, JOURNEY, name="Tracker_EntryWage"),
    Column("latest_wage", "Latest Wage", "money", 10, JOURNEY, name="Tracker_LatestWage"),
    Column(
        "promoted_12m",
        "Promoted Within 12 Months",
        "yesno",
        12,
        JOURNEY,
        choices="yesno",
        name="Tracker_Promoted12",
    ),
    Column(
        "credential_count",
        "Credentials Earned (count)",
        "int",
        11,
        JOURNEY,
        name="Tracker_Credentials",
    ),
    Column("benefits_at_entry", "Public Benefits at Entry", "text", 20, JOURNEY),
    Column(
        "entry_benefit_count",
        "Benefits at Entry (count)",
        "int",
        10,
        JOURNEY,
        name="Tracker_EntryBenefits",
    ),
    Column(
        "followup_benefit_count",
        "Benefits at Latest Follow-up (count)",
        "intx",
        12,
        JOURNEY,
        name="Tracker_FUBenefits",
    ),
    Column("age_range", "Age Range", "text", 9, PERSON, choices="age_ranges"),
    Column("date_of_birth", "Date of Birth", "date", 12, PERSON, pii=True),
    Column("housing_status", "Housing Status", "text", 18, PERSON, choices="housing_statuses"),
    Column("education_at_entry", "Education at Entry", "text", 18, PERSON),
    Column("phone", "Phone", "text", 15, PERSON, pii=True),
    Column("email", "Email", "text", 24, PERSON, pii=True),
)


def tracker_columns(deidentified: bool) -> list[Column]:
    return [c for c in TRACKER_COLUMNS if not (deidentified and c.pii)]


@dataclass
class SheetData:
    """One data sheet: its title, columns and rows (a DataFrame keyed by column key)."""

    title: str
    columns: list[Column]
    frame: pd.DataFrame
    note: str = ""


@dataclass
class DashboardRow:
    """One line of the Dashboard: a label, formulas and the engine's cached values."""

    key: str
    section: str
    label: str
    kind: str  # count | percent | money | number | days
    value_formula: str | None
    value: float | None
    numerator_formula: str | None = None
    numerator: float | None = None
    denominator_formula: str | None = None
    denominator: float | None = None
    unknown_formula: str | None = None
    unknown: float | None = None
    target: float | None = None
    statement: str = ""
    array: bool = False  # value_formula is an array (CSE) formula


@dataclass
class ChartSpec:
    title: str
    kind: str  # column | bar | line
    categories_from: str  # dashboard block key
    series: list[tuple[str, str]]  # (series name, dashboard block column letter)
    y_title: str = ""
    percent: bool = False


@dataclass
class DashboardBlock:
    """A small table on the Dashboard that feeds a chart (e.g. enrollments per month)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[tuple[str | None, Any]]]  # per cell: (formula or None, cached value/label)
    kinds: list[str]


@dataclass
class ExportData:
    """Everything the workbook, CSV and PDF need, collected once from the vault."""

    organisation: str
    period: str
    as_of: date
    deidentified: bool
    tracker_columns: list[Column]
    tracker: pd.DataFrame
    details: list[SheetData] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)
    dashboard: list[DashboardRow] = field(default_factory=list)
    blocks: list[DashboardBlock] = field(default_factory=list)
    charts: list[ChartSpec] = field(default_factory=list)
    definitions: list[tuple[str, str]] = field(default_factory=list)
    filters_text: str = ""
    report: Any = None  # the metrics.MetricsReport the cached values came from

    @property
    def participant_count(self) -> int:
        return len(self.tracker)


# --- value conversion -----------------------------------------------------------------
def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, str | bytes) else False
    except (TypeError, ValueError):
        return False


def excel_serial(value: Any) -> float | None:
    """A date (or datetime / Timestamp / ISO text) as an Excel serial day number."""
    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, date):
        return float((value - EXCEL_EPOCH).days)
    return None


def _yes_no(value: Any) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, str):
        return value
    return "Yes" if bool(value) else "No"


def _number(value: Any) -> float | None:
    if _is_missing(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- formats --------------------------------------------------------------------------
class Formats:
    def __init__(self, wb: Workbook) -> None:
        base = {"font_name": "Calibri", "font_size": 11}
        self.text = wb.add_format(base)
        self.date = wb.add_format({**base, "num_format": "m/d/yy"})
        self.money = wb.add_format({**base, "num_format": '"$"#,##0.00'})
        self.percent = wb.add_format({**base, "num_format": "0.00%"})
        self.percent0 = wb.add_format({**base, "num_format": "0.0%"})
        self.number = wb.add_format({**base, "num_format": "0.00"})
        self.int = wb.add_format({**base, "num_format": "0"})
        self.days = wb.add_format({**base, "num_format": "0.0"})
        self.header = wb.add_format(
            {
                **base,
                "bold": True,
                "bg_color": "#DCE6F1",
                "border": 1,
                "text_wrap": True,
                "valign": "top",
            }
        )
        self.group = wb.add_format(
            {
                **base,
                "bold": True,
                "bg_color": "#1F4E79",
                "font_color": "#FFFFFF",
                "align": "center",
                "border": 1,
            }
        )
        self.title = wb.add_format({**base, "bold": True, "font_size": 16, "font_color": "#1F4E79"})
        self.subtitle = wb.add_format({**base, "italic": True, "font_color": "#595959"})
        self.section = wb.add_format(
            {**base, "bold": True, "font_size": 12, "font_color": "#1F4E79", "bottom": 1}
        )
        self.wrap = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.statement = wb.add_format({**base, "text_wrap": True, "valign": "vcenter"})
        self.bold = wb.add_format({**base, "bold": True})
        self.notice = wb.add_format(
            {**base, "italic": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"}
        )

    def for_kind(self, kind: str) -> Any:
        return {
            "date": self.date,
            "money": self.money,
            "percent": self.percent,
            "number": self.number,
            "int": self.int,
            "count": self.int,
            "days": self.days,
            "intx": self.int,
        }.get(kind, self.text)


# --- data sheets ----------------------------------------------------------------------
def _column_values(frame: pd.DataFrame, key: str) -> list[Any]:
    if key not in frame.columns:
        return [None] * len(frame)
    return frame[key].tolist()


def write_data_sheet(
    wb: Workbook,
    ws: Worksheet,
    fmt: Formats,
    sheet: SheetData,
    options: dict[str, list[str]],
    progress: ProgressCallback | None = None,
    grouped: bool = False,
) -> int:
    """Write a header (optionally under a merged group-header row) and typed cells.

    Writes column by column with the typed XlsxWriter method for that column (no
    per-cell type dispatch); returns the number of data rows.
    """
    columns = sheet.columns
    rows = len(sheet.frame)
    header_row = HEADER_ROW if grouped else 0
    first = header_row + 1
    if grouped:
        start = 0
        while start < len(columns):
            group = columns[start].group or ""
            end = start
            while end + 1 < len(columns) and (columns[end + 1].group or "") == group:
                end += 1
            if end > start:
                ws.merge_range(0, start, 0, end, group, fmt.group)
            else:
                ws.write_string(0, start, group, fmt.group)
            start = end + 1
    for c, col in enumerate(columns):
        ws.write_string(header_row, c, col.header, fmt.header)
        ws.set_column(c, c, col.width, fmt.for_kind(col.kind) if col.kind != "text" else None)
    ws.set_row(header_row, 32)
    ws.freeze_panes(first, 1 if grouped else 0)
    ws.set_landscape()
    ws.repeat_rows(0, header_row)
    ws.fit_to_pages(1, 0)
    last = first + max(rows, 1) - 1
    if rows:
        ws.autofilter(header_row, 0, last, len(columns) - 1)

    for c, col in enumerate(columns):
        values = _column_values(sheet.frame, col.key)
        kind = col.kind
        if kind == "date":
            f = fmt.date
            for r, v in enumerate(values, first):
                serial = excel_serial(v)
                if serial is not None:
                    ws.write_number(r, c, serial, f)
        elif kind in ("money", "percent", "number", "int"):
            f = fmt.for_kind(kind)
            for r, v in enumerate(values, first):
                n = _number(v)
                if n is not None:
                    if kind == "percent" and col.key.endswith("_pct"):
                        n = n / 100.0
                    ws.write_number(r, c, n, f)
        elif kind == "intx":
            for r, v in enumerate(values, first):
                if isinstance(v, str):
                    ws.write_string(r, c, v)
                else:
                    n = _number(v)
                    if n is not None:
                        ws.write_number(r, c, n, fmt.int)
        elif kind == "yesno":
            for r, v in enumerate(values, first):
                s = _yes_no(v)
                if s is not None:
                    ws.write_string(r, c, s)
        else:
            for r, v in enumerate(values, first):
                if not _is_missing(v):
                    ws.write_string(r, c, str(v))
        if col.choices:
            choices = ["Yes", "No"] if col.choices == "yesno" else options.get(col.choices, [])
            if choices:
                _add_list_validation(wb, ws, first, c, first + rows + SPARE_ROWS - 1, choices)
        if col.name:
            wb.define_name(col.name, _range_ref(ws.name, c, first, first + rows + SPARE_ROWS - 1))
        check_progress(progress, c + 1, len(columns), f"Writing {sheet.title}")
    return rows


def _quote_sheet(name: str) -> str:
    if name.replace("_", "").isalnum():
        return name
    return "'" + name.replace("'", "''") + "'"


def _range_ref(sheet: str, col: int, first_row: int, last_row: int) -> str:
    letter = xl_col_to_name(col)
    return f"={_quote_sheet(sheet)}!${letter}${first_row + 1}:${letter}${last_row + 1}"


_LIST_SHEET = "Lists"


def _add_list_validation(
    wb: Workbook, ws: Worksheet, first: int, col: int, last: int, choices: Sequence[str]
) -> None:
    """A dropdown like the sample tracker's; long lists go to the hidden Lists sheet."""
    options: dict[str, Any] = {
        "validate": "list",
        "error_type": "warning",
        "error_title": "Not in the list",
        "error_message": "Pick a value from the list (or keep typing to accept it anyway).",
    }
    if len(",".join(choices)) <= 250 and not any("," in c or '"' in c for c in choices):
        options["source"] = list(choices)
    else:
        lists = wb.get_worksheet_by_name(_LIST_SHEET)
        if lists is None:
            lists = wb.add_worksheet(_LIST_SHEET)
            lists.hide()
            lists._list_next_col = 0
        lcol = lists._list_next_col
        for r, choice in enumerate(choices):
            lists.write_string(r, lcol, choice)
        lists._list_next_col = lcol + 1
        letter = xl_col_to_name(lcol)
        options["source"] = f"={_LIST_SHEET}!${letter}$1:${letter}${len(choices)}"
    ws.data_validation(first, col, last, col, options)


# --- whole workbook -------------------------------------------------------------------
DETAIL_ORDER = ("Jobs", "Credentials", "Measures", "Follow-ups", "Stage history")


def build_workbook_bytes(data: ExportData, progress: ProgressCallback | None = None) -> bytes:
    """The complete .xlsx as bytes (built in memory)."""
    output = io.BytesIO()
    wb = xlsxwriter.Workbook(output, WORKBOOK_OPTIONS)
    wb.set_properties(
        {
            "title": f"{data.organisation or 'Participant Tracker'} - funder workbook",
            "subject": data.period,
            "comments": "Exported by Participant Tracker. Holds personal data unless "
            "de-identified.",
        }
    )
    fmt = Formats(wb)
    tracker_ws = wb.add_worksheet("Tracker")
    dashboard_ws = wb.add_worksheet("Dashboard")
    detail_ws = {sheet.title: wb.add_worksheet(sheet.title) for sheet in data.details}
    definitions_ws = wb.add_worksheet("Definitions")

    steps = 2 + len(data.details) + 1
    check_progress(progress, 0, steps, "Writing the Tracker sheet")
    write_data_sheet(
        wb,
        tracker_ws,
        fmt,
        SheetData("Tracker", data.tracker_columns, data.tracker),
        data.options,
        grouped=True,
    )
    for index, sheet in enumerate(data.details, 1):
        check_progress(progress, index, steps, f"Writing the {sheet.title} sheet")
        write_data_sheet(wb, detail_ws[sheet.title], fmt, sheet, data.options)
    check_progress(progress, steps - 2, steps, "Writing the Dashboard")
    write_dashboard(wb, dashboard_ws, fmt, data)
    _write_definitions(definitions_ws, fmt, data)
    dashboard_ws.activate()
    dashboard_ws.set_first_sheet()
    check_progress(progress, steps - 1, steps, "Compressing the workbook")
    wb.close()
    check_progress(progress, steps, steps, "Workbook ready")
    return output.getvalue()


def _write_definitions(ws: Worksheet, fmt: Formats, data: ExportData) -> None:
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 110, fmt.wrap)
    ws.write_string(0, 0, "Definitions", fmt.title)
    ws.write_string(1, 0, data.period, fmt.subtitle)
    ws.write_string(3, 0, "Metric", fmt.header)
    ws.write_string(3, 1, "How it is counted", fmt.header)
    for r, (name, text) in enumerate(data.definitions, 4):
        ws.write_string(r, 0, name, fmt.bold)
        ws.write_string(r, 1, text, fmt.wrap)


def write_file_atomically(path: Path, payload: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_workbook(data: ExportData, path: Path, progress: ProgressCallback | None = None) -> Path:
    """Write the funder workbook to ``path``; a cancel leaves no file behind."""
    payload = build_workbook_bytes(data, progress)
    write_file_atomically(path, payload)
    return path


# --- the Dashboard sheet --------------------------------------------------------------
DASH_HEADER_ROW = 6  # zero-based row of the metrics table header
AS_OF_CELL = "Dashboard!$B$4"
STATEMENT_WIDTH = 120
BLOCK_COL = 9  # column J: the small tables that feed the charts


def _write_cached(
    ws: Worksheet,
    row: int,
    col: int,
    formula: str | None,
    value: Any,
    cell_format: Any,
    array: bool = False,
) -> None:
    """A live formula with its cached result (so viewers that never recalculate still show
    the engine's number); a missing value is cached as an empty string."""
    cached: Any = "" if value is None or _is_missing(value) else value
    if formula is None:
        if cached != "":
            if isinstance(cached, str):
                ws.write_string(row, col, cached, cell_format)
            else:
                ws.write_number(row, col, float(cached), cell_format)
        return
    if array:
        ws.write_array_formula(row, col, row, col, "{" + formula + "}", cell_format, cached)
    else:
        ws.write_formula(row, col, formula, cell_format, cached)


def dashboard_layout(sections: Sequence[str]) -> tuple[list[int], dict[int, str]]:
    """Sheet rows (zero-based) of each metric line, and of each section heading, for
    metric lines in ``sections`` order (one section name per line)."""
    rows: list[int] = []
    headings: dict[int, str] = {}
    row = DASH_HEADER_ROW + 1
    current: str | None = None
    for section in sections:
        if section != current:
            if current is not None:
                row += 1
            headings[row] = section
            current = section
            row += 1
        rows.append(row)
        row += 1
    return rows, headings


def write_dashboard(wb: Workbook, ws: Worksheet, fmt: Formats, data: ExportData) -> None:
    ws.hide_gridlines(2)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 5, 12.5)
    ws.set_column(6, 6, 9)
    ws.set_column(7, 7, STATEMENT_WIDTH + 4, fmt.wrap)
    ws.set_column(8, 8, 3)
    ws.set_column(BLOCK_COL, BLOCK_COL, 22)
    ws.set_column(BLOCK_COL + 1, BLOCK_COL + 3, 13)
    title = f"{data.organisation} — " if data.organisation else ""
    ws.set_row(0, 26)
    ws.write_string(0, 0, f"{title}Participant outcomes dashboard", fmt.title)
    ws.write_string(1, 0, data.period, fmt.subtitle)
    ws.write_string(2, 0, data.filters_text, fmt.subtitle)
    ws.write_string(3, 0, "As of (formulas count up to this date)", fmt.bold)
    ws.write_number(3, 1, excel_serial(data.as_of) or 0, fmt.date)
    wb.define_name("AsOf", "=" + AS_OF_CELL)
    notice = (
        "De-identified: participant codes instead of names; no contact details; ages as ranges."
        if data.deidentified
        else "This workbook holds personal data in plain text. Store and share it securely."
    )
    ws.write_string(4, 0, notice, fmt.notice)
    headers = [
        "Metric",
        "Value",
        "Numerator",
        "Denominator",
        "Unknown",
        "Target",
        "",
        "Statement for funders",
    ]
    for c, text in enumerate(headers):
        if text:
            ws.write_string(DASH_HEADER_ROW, c, text, fmt.header)
    ws.write_string(
        DASH_HEADER_ROW - 1,
        7,
        "Sentences are written at export; the numbers to the left recalculate when the data "
        "sheets change.",
        fmt.subtitle,
    )
    ws.freeze_panes(DASH_HEADER_ROW + 1, 1)
    line_rows, headings = dashboard_layout([item.section for item in data.dashboard])
    for heading_row, section in headings.items():
        ws.write_string(heading_row, 0, section, fmt.section)
    for item, row in zip(data.dashboard, line_rows, strict=True):
        value_fmt = fmt.percent0 if item.kind == "percent" else fmt.for_kind(item.kind)
        ws.write_string(row, 0, item.label)
        _write_cached(ws, row, 1, item.value_formula, item.value, value_fmt, item.array)
        sum_fmt = fmt.for_kind(item.kind) if item.kind in ("money", "number") else fmt.int
        _write_cached(ws, row, 2, item.numerator_formula, item.numerator, sum_fmt)
        _write_cached(ws, row, 3, item.denominator_formula, item.denominator, fmt.int)
        _write_cached(ws, row, 4, item.unknown_formula, item.unknown, fmt.int)
        if item.target is not None:
            ws.write_number(row, 5, float(item.target), fmt.percent0)
        if item.statement:
            ws.write_string(row, 7, item.statement, fmt.statement)
            if len(item.statement) > STATEMENT_WIDTH:
                ws.set_row(row, 15 * (1 + len(item.statement) // STATEMENT_WIDTH))
    row = (line_rows[-1] + 1) if line_rows else DASH_HEADER_ROW + 1
    data_end = row

    # Tables feeding the charts, then the charts under the metrics list.
    block_row = DASH_HEADER_ROW
    block_ranges: dict[str, tuple[int, int, int]] = {}
    for block in data.blocks:
        ws.write_string(block_row, BLOCK_COL, block.title, fmt.section)
        for c, text in enumerate(block.headers):
            ws.write_string(block_row + 1, BLOCK_COL + c, text, fmt.header)
        first = block_row + 2
        for r, cells in enumerate(block.rows, first):
            for c, (formula, value) in enumerate(cells):
                kind = block.kinds[c]
                cell_fmt = fmt.percent0 if kind == "percent" else fmt.for_kind(kind)
                if formula is None:
                    if isinstance(value, str):
                        ws.write_string(r, BLOCK_COL + c, value, cell_fmt)
                    elif not _is_missing(value):
                        ws.write_number(r, BLOCK_COL + c, float(value), cell_fmt)
                else:
                    _write_cached(ws, r, BLOCK_COL + c, formula, value, cell_fmt)
        last = first + max(len(block.rows), 1) - 1
        block_ranges[block.key] = (first, last, len(block.headers))
        block_row = last + 3

    chart_row = max(data_end + 2, 0)
    for index, spec in enumerate(data.charts):
        if spec.categories_from not in block_ranges:
            continue
        first, last, _ncols = block_ranges[spec.categories_from]
        chart = wb.add_chart({"type": spec.kind})
        assert chart is not None
        for series_name, letter_offset in spec.series:
            col = BLOCK_COL + int(letter_offset)
            chart.add_series(
                {
                    "name": series_name,
                    "categories": ["Dashboard", first, BLOCK_COL, last, BLOCK_COL],
                    "values": ["Dashboard", first, col, last, col],
                    "data_labels": {"value": len(spec.series) == 1 and last - first < 12},
                }
            )
        chart.set_title({"name": spec.title, "name_font": {"size": 12}})
        chart.set_legend({"position": "bottom"} if len(spec.series) > 1 else {"none": True})
        y_axis: dict[str, Any] = {
            "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}
        }
        if spec.y_title:
            y_axis["name"] = spec.y_title
        if spec.percent:
            y_axis["num_format"] = "0%"
            y_axis["min"] = 0
            y_axis["max"] = 1
        if spec.kind == "bar":
            chart.set_x_axis(y_axis)
            chart.set_y_axis({"reverse": True})
        else:
            chart.set_y_axis(y_axis)
        chart.set_size({"width": 620, "height": 300})
        col = 0 if index % 2 == 0 else 5
        ws.insert_chart(chart_row + (index // 2) * 16, col, chart, {"x_offset": 4, "y_offset": 4})


# --- collecting the rows from the metrics engine's tables ------------------------------
STATUS_LABELS = {"active": "Active", "exited": "Exited", "graduated": "Graduated"}
TIME_POINT_LABELS = {"entry": "Entry", "during": "During", "exit": "Exit", "follow_up": "Follow-up"}
FOLLOWUP_STATUS_LABELS = {
    "due": "Due",
    "done": "Done",
    "unreachable": "Unreachable",
    "declined": "Declined",
}
DURING, AFTER, UNDATED = "During program", "After exit", "Undated"


def _join(values: Sequence[Any]) -> str | None:
    items = [str(v) for v in values if not _is_missing(v) and str(v)]
    return "; ".join(items) if items else None


def _flag(value: Any) -> str | None:
    return None if _is_missing(value) else ("Yes" if bool(value) else "No")


def _by_participant(frame: pd.DataFrame, column: str, how: str, index: pd.Index) -> pd.Series:
    if frame.empty:
        return pd.Series([None] * len(index), index=index, dtype=object)
    grouped = frame.groupby("participant_id")[column]
    if how == "join":
        result = grouped.agg(lambda s: _join(list(s)))
    elif how == "min":
        result = grouped.min()
    elif how == "max":
        result = grouped.max()
    else:
        result = grouped.last()
    return result.reindex(index)


def _latest_followup_benefits(fu: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Per participant, public benefits still received at the latest completed follow-up:
    the count listed, 0 when it says 'not on public benefits', "Unknown" otherwise (the
    same reading as the metric 'Reduced reliance on public benefits')."""
    done = fu[fu["status_as_of"] == "done"]
    out = pd.Series([None] * len(index), index=index, dtype=object)
    if done.empty:
        return out
    order = [c for c in ("participant_id", "done_on", "days_after_exit", "id") if c in done]
    ordered = done.sort_values(order, na_position="first", kind="stable").drop_duplicates(
        "participant_id", keep="last"
    )
    for pid, count, on_benefits in zip(
        ordered["participant_id"],
        ordered["benefit_count"],
        ordered["on_public_benefits"],
        strict=False,
    ):
        if pid not in out.index:
            continue
        n = 0.0 if _is_missing(count) else float(count)
        if n > 0:
            out[pid] = n
        elif not _is_missing(on_benefits) and not bool(on_benefits):
            out[pid] = 0.0
        else:
            out[pid] = "Unknown"
    return out


def build_tracker_frame(ds: Any, report: Any) -> pd.DataFrame:
    """One row per participant the metrics count, with the Tracker sheet's columns.

    Employment, wage, stage and status columns are the engine's own per-participant facts
    (``report.derived.participants``), so the Dashboard formulas count what the app counts.
    """
    from tracker_desktop.core.records import age_range

    pf = report.derived.participants
    index = pf.index
    people = ds.participants.set_index("id").reindex(index)
    ts = pd.Timestamp(report.as_of)
    out = pd.DataFrame(index=index)
    for key in ("participant_code", "last_name", "first_name", "date_of_birth"):
        out[key] = pf[key]
    for key in ("housing_status", "education_at_entry", "phone", "email"):
        out[key] = people[key]
    for key in ("enrolled_on", "program", "progress_pct", "exited_on", "exit_reason"):
        out[key] = pf[key]
    out["status"] = pf["status"].map(lambda s: STATUS_LABELS.get(str(s), str(s)))
    out["stage"] = pf["current_stage"]
    out["employed"] = [_flag(v) for v in pf["employed"]]
    out["job_started_on"] = pf["current_job_started"]
    out["hourly_wage"] = pf["current_wage"]
    out["employer_benefits"] = [
        _flag(b) if not _is_missing(e) and bool(e) else None
        for e, b in zip(pf["employed"], pf["current_benefits"], strict=False)
    ]
    out["entry_wage"] = pf["entry_wage"]
    out["latest_wage"] = pf["latest_wage"]
    out["promoted_12m"] = [_flag(v) for v in pf["promoted_12m"]]

    promos = ds.promotions[ds.promotions["participant_id"].isin(index)]
    promos = promos[promos["promoted_on"].isna() | (promos["promoted_on"] <= ts)]
    promos = promos.sort_values(
        [c for c in ("participant_id", "promoted_on", "id") if c in promos.columns], kind="stable"
    )
    out["promotions"] = _by_participant(promos, "title", "join", index)
    enrolled = pf["enrolled_on"].reindex(promos["participant_id"]).to_numpy()
    since = promos[promos["promoted_on"].notna() & (promos["promoted_on"].to_numpy() >= enrolled)]
    out["promoted_on"] = _by_participant(since, "promoted_on", "min", index)

    creds = report.derived.credentials
    creds = creds.sort_values(
        [c for c in ("participant_id", "earned_on", "id") if c in creds.columns], kind="stable"
    )
    certs = creds[creds["kind"] == "certification"]
    degrees = creds[creds["kind"] == "degree"]
    out["certifications"] = _by_participant(certs, "name", "join", index)
    out["certified_on"] = _by_participant(certs, "earned_on", "max", index)
    out["degrees"] = _by_participant(degrees, "name", "join", index)
    out["degree_on"] = _by_participant(degrees, "earned_on", "max", index)
    out["gpa"] = _by_participant(creds[creds["gpa"].notna()], "gpa", "last", index)
    out["credential_count"] = pf["credentials_earned"]

    barriers = ds.legal_barriers[ds.legal_barriers["participant_id"].isin(index)]
    if barriers.empty:
        out["barriers_expunged"] = None
    else:
        resolved = barriers["status"].astype("string").str.lower().isin(["expunged", "resolved"])
        any_resolved = resolved.groupby(barriers["participant_id"]).any().reindex(index)
        out["barriers_expunged"] = [_flag(v) for v in any_resolved]
    benefits = ds.participant_benefits[ds.participant_benefits["participant_id"].isin(index)]
    out["benefits_at_entry"] = (
        benefits.groupby("participant_id")["benefit"].agg(lambda s: _join(sorted(s))).reindex(index)
        if not benefits.empty
        else None
    )
    out["entry_benefit_count"] = pf["entry_benefits"]
    out["followup_benefit_count"] = _latest_followup_benefits(report.derived.followups, index)
    out["age_range"] = [
        (age_range(dob.date(), report.as_of) if not _is_missing(dob) else None)
        or (None if _is_missing(stored) else stored)
        for dob, stored in zip(pf["date_of_birth"], people["age_range"], strict=False)
    ]
    return out.sort_values("participant_code", kind="stable").reset_index(drop=True)


JOB_COLUMNS = [
    Column("participant_code", "Participant Code", "text", 12),
    Column("employer", "Employer", "text", 22),
    Column("title", "Job Title", "text", 18),
    Column("started_on", "Start Date", "date", 11),
    Column("ended_on", "End Date", "date", 11),
    Column("hourly_wage", "Hourly Wage", "money", 11),
    Column("hours_per_week", "Hours per Week", "number", 9),
    Column("employer_benefits", "Employer Benefits", "yesno", 10, choices="yesno"),
    Column("entry_job", "Held at Entry", "yesno", 9, choices="yesno"),
]
CREDENTIAL_COLUMNS = [
    Column("participant_code", "Participant Code", "text", 12),
    Column("kind_label", "Kind", "text", 13),
    Column("name", "Credential", "text", 20, name="Cred_Name"),
    Column("earned_on", "Date Earned", "date", 11, name="Cred_Date"),
    Column(
        "expected_label",
        "Expected (not yet earned)",
        "yesno",
        12,
        choices="yesno",
        name="Cred_Expected",
    ),
    Column("gpa", "GPA", "number", 7, name="Cred_GPA"),
]
MEASURE_COLUMNS = [
    Column("participant_code", "Participant Code", "text", 12),
    Column("measure_name", "Measure", "text", 26),
    Column("time_point_label", "Time Point", "text", 11, choices="time_points"),
    Column("measured_on", "Date", "date", 11, name="Meas_Date"),
    Column("value", "Value", "number", 10),
    Column("collected", "Collected", "text", 15, choices="collected", name="Meas_Collected"),
]
PAIR_COLUMNS = [
    Column("participant_code", "Participant Code", "text", 12),
    Column("measure_name", "Measure", "text", 26, name="MC_Measure"),
    Column("higher_is_better", "Higher Is Better", "yesno", 10, choices="yesno", name="MC_Better"),
    Column("entry_value", "Entry Value", "number", 10, name="MC_Entry"),
    Column("later_value", "Exit or Latest Value", "number", 11, name="MC_Later"),
    Column("status", "Participant Status", "text", 11, choices="statuses", name="MC_Status"),
]
FOLLOWUP_COLUMNS = [
    Column("participant_code", "Participant Code", "text", 12),
    Column("days_after_exit", "Days After Exit", "int", 9, name="FU_Days"),
    Column("due_on", "Due Date", "date", 11, name="FU_Due"),
    Column("done_on", "Date Done", "date", 11),
    Column("status_label", "Status", "text", 11, choices="followup_statuses", name="FU_Status"),
    Column("employed", "Employed", "yesno", 9, choices="yesno", name="FU_Employed"),
    Column("employer", "Employer", "text", 22),
    Column("hourly_wage", "Hourly Wage", "money", 11),
    Column("on_public_benefits", "On Public Benefits", "yesno", 10, choices="yesno"),
    Column("benefit_count", "Benefits Still Received", "int", 10),
]
STAGE_COLUMNS = [
    Column("participant_code", "Participant Code", "text", 12),
    Column("stage", "Stage", "text", 20, choices="stages", name="SH_Stage"),
    Column("started_on", "Started", "date", 11, name="SH_Start"),
    Column("ended_on", "Ended", "date", 11, name="SH_End"),
]
ASSESSMENT_COLUMNS = [
    Column("participant_code", "Participant Code", "text", 12),
    Column("stage", "Stage", "text", 20, choices="stages", name="AS_Stage"),
    Column("assessed", "Assessments Taken", "int", 11, name="AS_Taken"),
    Column("passed", "Assessments Passed", "int", 11, name="AS_Passed"),
]


def _with_codes(frame: pd.DataFrame, codes: pd.Series, sort: Sequence[str]) -> pd.DataFrame:
    kept = frame[frame["participant_id"].isin(codes.index)].copy()
    kept["participant_code"] = codes.reindex(kept["participant_id"]).to_numpy()
    order = ["participant_code", *(c for c in sort if c in kept.columns)]
    return kept.sort_values(order, kind="stable").reset_index(drop=True)


def build_detail_sheets(ds: Any, report: Any) -> list[SheetData]:
    derived = report.derived
    pf = derived.participants
    codes = pf["participant_code"]
    names = ds.measure_names()
    higher = {
        str(k): bool(h)
        for k, h in zip(ds.measures["key"], ds.measures["higher_is_better"], strict=False)
    }

    jobs = _with_codes(ds.jobs, codes, ["started_on", "id"])
    jobs["entry_job"] = jobs["is_entry_job"].fillna(False).astype(bool)
    creds = _with_codes(ds.credentials, codes, ["earned_on", "id"])
    creds["kind_label"] = creds["kind"].map({"certification": "Certification", "degree": "Degree"})
    creds["expected_label"] = creds["expected"].fillna(False).astype(bool)

    ms = _with_codes(derived.measurements, codes, ["measure_id", "measured_on", "id"])
    ms["measure_name"] = ms["measure"].map(lambda k: names.get(str(k), str(k)))
    ms["time_point_label"] = ms["time_point"].map(lambda t: TIME_POINT_LABELS.get(str(t), str(t)))
    exit_on = pf["exited_on"].reindex(ms["participant_id"]).to_numpy()
    after = pd.notna(exit_on) & (ms["measured_on"].to_numpy() > exit_on)
    ms["collected"] = np.where(ms["measured_on"].isna(), UNDATED, np.where(after, AFTER, DURING))

    pairs = _with_codes(derived.measure_pairs, codes, ["measure_id"])
    pairs["measure_name"] = pairs["measure"].map(lambda k: names.get(str(k), str(k)))
    pairs["higher_is_better"] = pairs["measure"].map(lambda k: higher.get(str(k), True))
    pairs["status"] = (
        pf["status"].reindex(pairs["participant_id"]).map(lambda s: STATUS_LABELS.get(str(s)))
    ).to_numpy()

    fu = _with_codes(derived.followups, codes, ["days_after_exit", "id"])
    fu["status_label"] = fu["status_as_of"].map(
        lambda s: FOLLOWUP_STATUS_LABELS.get(str(s), str(s))
    )
    stages = _with_codes(ds.stage_history, codes, ["started_on", "id"])
    assessments = _with_codes(ds.assessment_totals, codes, ["stage"])
    return [
        SheetData("Jobs", JOB_COLUMNS, jobs),
        SheetData("Credentials", CREDENTIAL_COLUMNS, creds),
        SheetData("Measures", MEASURE_COLUMNS, ms),
        SheetData("Measure changes", PAIR_COLUMNS, pairs),
        SheetData("Follow-ups", FOLLOWUP_COLUMNS, fu),
        SheetData("Stage history", STAGE_COLUMNS, stages),
        SheetData(
            "Assessments",
            ASSESSMENT_COLUMNS,
            assessments,
            note="Assessments per participant and stage, dated on or before the as-of date.",
        ),
    ]


# --- the Dashboard formulas -------------------------------------------------------------
def xl_text(text: str) -> str:
    """A string literal for a formula (double quotes doubled): data never becomes code."""
    return '"' + str(text).replace('"', '""') + '"'


def _cell(row: int, col: int) -> str:
    return f"{xl_col_to_name(col)}{row + 1}"


CREDITED = '(Cred_Expected="No")*(Cred_Date<=AsOf)'


def _metric_formulas(key: str, ds: Any, row: int) -> dict[str, str | None] | None:
    """value / numerator / denominator / unknown formulas for one metric on ``row``.

    Column C holds the numerator, D the denominator; the value usually divides them.
    """
    num, den = _cell(row, 2), _cell(row, 3)
    ratio = f'=IF({den}=0,"",{num}/{den})'
    if key == "participants_total":
        return {"value": f"={num}", "num": "=COUNTA(Tracker_Code)", "den": None, "unk": None}
    counts = {
        "participants_active": 'COUNTIFS(Tracker_Status,"Active")',
        "participants_exited": (
            'COUNTIFS(Tracker_Status,"Exited")+COUNTIFS(Tracker_Status,"Graduated")'
        ),
        "participants_graduated": 'COUNTIFS(Tracker_Status,"Graduated")',
    }
    if key in counts:
        return {
            "value": f"={num}",
            "num": "=" + counts[key],
            "den": "=COUNTA(Tracker_Code)",
            "unk": None,
        }
    if key == "employment_rate":
        yes = 'COUNTIFS(Tracker_Status,"Active",Tracker_Employed,"Yes")'
        no = 'COUNTIFS(Tracker_Status,"Active",Tracker_Employed,"No")'
        return {
            "value": ratio,
            "num": f"={yes}",
            "den": f"={yes}+{no}",
            "unk": f'=COUNTIFS(Tracker_Status,"Active")-{den}',
        }
    wage_rows = '(Tracker_Employed="Yes")*ISNUMBER(Tracker_Wage)'
    if key == "wage_mean":
        return {
            "value": f'=IF({den}=0,"",SUMPRODUCT({wage_rows},Tracker_Wage)/{den})',
            "num": f"=ROUND(SUMPRODUCT({wage_rows},Tracker_Wage),2)",
            "den": f"=SUMPRODUCT({wage_rows})",
            "unk": f'=COUNTIFS(Tracker_Employed,"Yes")-{den}',
        }
    if key == "wage_median":
        return {
            "value": f'=IF({den}=0,"",MEDIAN(IF({wage_rows},Tracker_Wage)))',
            "array": "1",
            "num": None,
            "den": f"=SUMPRODUCT({wage_rows})",
            "unk": f'=COUNTIFS(Tracker_Employed,"Yes")-{den}',
        }
    if key == "earning_power_increased":
        both = "ISNUMBER(Tracker_EntryWage)*ISNUMBER(Tracker_LatestWage)"
        return {
            "value": ratio,
            "num": f"=SUMPRODUCT({both}*(Tracker_LatestWage>Tracker_EntryWage))",
            "den": f"=SUMPRODUCT({both})",
            "unk": "=SUMPRODUCT(ISNUMBER(Tracker_LatestWage)*(1-ISNUMBER(Tracker_EntryWage)))",
        }
    if key == "employer_benefits":
        yes = 'COUNTIFS(Tracker_Employed,"Yes",Tracker_EmployerBenefits,"Yes")'
        no = 'COUNTIFS(Tracker_Employed,"Yes",Tracker_EmployerBenefits,"No")'
        return {
            "value": ratio,
            "num": f"={yes}",
            "den": f"={yes}+{no}",
            "unk": f'=COUNTIFS(Tracker_Employed,"Yes")-{den}',
        }
    if key == "credential_rate":
        return {
            "value": ratio,
            "num": '=COUNTIFS(Tracker_Credentials,">0")',
            "den": "=COUNTA(Tracker_Code)",
            "unk": None,
        }
    if key == "credentials_earned":
        return {"value": f"={num}", "num": f"=SUMPRODUCT({CREDITED})", "den": None, "unk": None}
    if key == "gpa_mean":
        rows = f"{CREDITED}*ISNUMBER(Cred_GPA)"
        return {
            "value": f'=IF({den}=0,"",SUMPRODUCT({rows},Cred_GPA)/{den})',
            "num": f"=ROUND(SUMPRODUCT({rows},Cred_GPA),4)",
            "den": f"=SUMPRODUCT({rows})",
            "unk": None,
        }
    if key == "promotion_12m":
        yes = 'COUNTIFS(Tracker_Promoted12,"Yes")'
        return {
            "value": ratio,
            "num": f"={yes}",
            "den": f'={yes}+COUNTIFS(Tracker_Promoted12,"No")',
            "unk": f'=COUNTIFS(Tracker_EnrollmentDate,"<="&(AsOf-365))-{den}',
        }
    if key.startswith("retention_") and key[len("retention_") :].isdigit():
        days = int(key[len("retention_") :])
        at = f"FU_Days,{days}"
        yes = f'COUNTIFS({at},FU_Status,"Done",FU_Employed,"Yes")'
        no = f'COUNTIFS({at},FU_Status,"Done",FU_Employed,"No")'
        not_reached = "+".join(
            f'COUNTIFS({at},FU_Status,"{s}",FU_Due,"<="&AsOf)' for s in ("Unreachable", "Declined")
        )
        return {
            "value": ratio,
            "num": f"={yes}",
            "den": f"={yes}+{no}",
            "unk": f'={not_reached}+COUNTIFS({at},FU_Status,"Done")-{den}',
        }
    if key == "followup_reach_rate":
        return {
            "value": ratio,
            "num": '=COUNTIFS(FU_Due,"<="&AsOf,FU_Status,"Done")',
            "den": '=COUNTIFS(FU_Due,"<="&AsOf)',
            "unk": "=0",
        }
    if key == "reduced_benefits":
        known = "ISNUMBER(Tracker_FUBenefits)*(Tracker_EntryBenefits>0)"
        return {
            "value": ratio,
            "num": f"=SUMPRODUCT({known}*(Tracker_FUBenefits<Tracker_EntryBenefits))",
            "den": f"=SUMPRODUCT({known})",
            "unk": '=COUNTIFS(Tracker_EntryBenefits,">0",Tracker_FUBenefits,"Unknown")',
        }
    if key == "measure_improved" or key.startswith("measure_improved."):
        measure = key.partition(".")[2]
        only = ""
        if measure:
            only = f"(MC_Measure={xl_text(ds.measure_names().get(measure, measure))})*"
        both = f"{only}ISNUMBER(MC_Entry)*ISNUMBER(MC_Later)"
        beats = '((MC_Better="Yes")*(MC_Later>MC_Entry)+(MC_Better="No")*(MC_Later<MC_Entry))'
        return {
            "value": ratio,
            "num": f"=SUMPRODUCT({both}*{beats})",
            "den": f"=SUMPRODUCT({both})",
            "unk": f"=SUMPRODUCT({only}ISNUMBER(MC_Entry)*(1-ISNUMBER(MC_Later))"
            f'*(MC_Status<>"Active")*(MC_Status<>""))',
        }
    if key == "data_during_program":
        during = f'COUNTIFS(Meas_Collected,"{DURING}",Meas_Date,"<="&AsOf)'
        after = f'COUNTIFS(Meas_Collected,"{AFTER}",Meas_Date,"<="&AsOf)'
        return {
            "value": ratio,
            "num": f"={during}",
            "den": f'={during}+{after}+COUNTIFS(FU_Status,"Done")',
            "unk": f'=COUNTIFS(Meas_Collected,"{UNDATED}")',
        }
    kind, _, rest = key.partition(".")
    stage = next((s for s in ds.stage_names if _slug(s) == rest), None)
    if kind == "pass_rate" and stage is not None:
        at = f"--(AS_Stage={xl_text(stage)})"
        return {
            "value": ratio,
            "num": f"=SUMPRODUCT({at},AS_Passed)",
            "den": f"=SUMPRODUCT({at},AS_Taken)",
            "unk": "=0",
        }
    if kind == "days_in_stage" and stage is not None:
        rows = f"(SH_Stage={xl_text(stage)})*ISNUMBER(SH_End)*(SH_End<=AsOf)"
        return {
            "value": f'=IF({den}=0,"",MEDIAN(IF({rows},SH_End-SH_Start)))',
            "array": "1",
            "num": None,
            "den": f"=SUMPRODUCT({rows})",
            "unk": "=0",
        }
    return None


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _dashboard_rows(ds: Any, report: Any) -> list[DashboardRow]:
    """One Dashboard line per metric, grouped by section (in the engine's order)."""
    order: dict[str, int] = {}
    for m in report.metrics.values():
        order.setdefault(m.group, len(order))
    items = sorted(report.metrics.items(), key=lambda kv: order[kv[1].group])
    line_rows, _headings = dashboard_layout([m.group for _k, m in items])
    rows: list[DashboardRow] = []
    for (key, m), row in zip(items, line_rows, strict=True):
        formulas = _metric_formulas(key, ds, row) or {}
        kind = {"currency": "money", "percent": "percent", "count": "count", "days": "days"}.get(
            m.unit, "number"
        )
        rows.append(
            DashboardRow(
                key=key,
                section=m.group,
                label=m.label,
                kind=kind,
                value_formula=formulas.get("value"),
                value=m.value,
                numerator_formula=formulas.get("num"),
                numerator=m.numerator,
                denominator_formula=formulas.get("den"),
                denominator=m.denominator,
                unknown_formula=formulas.get("unk"),
                unknown=m.unknown if formulas.get("unk") else (m.unknown or None),
                target=m.target,
                statement=m.statement,
                array=bool(formulas.get("array")),
            )
        )
    return rows


def _row_of(rows: list[DashboardRow], key: str) -> int | None:
    line_rows, _headings = dashboard_layout([item.section for item in rows])
    for item, row in zip(rows, line_rows, strict=True):
        if item.key == key:
            return row
    return None


def _month_bounds(label: str) -> tuple[int, int]:
    year, month = label.split("-")
    return int(year), int(month)


def _blocks(ds: Any, report: Any, rows: list[DashboardRow]) -> list[DashboardBlock]:
    blocks: list[DashboardBlock] = []
    b = report.breakdowns
    if "by_stage" in b:
        bd = b["by_stage"]
        cells = []
        for name, value in zip(bd.categories, bd.series["Participants"], strict=False):
            if name == "No stage recorded":
                formula = '=SUMPRODUCT((Tracker_Code<>"")*(Tracker_Stage=""))'
            else:
                formula = f"=SUMPRODUCT(--(Tracker_Stage={xl_text(name)}))"
            cells.append([(None, name), (formula, value)])
        blocks.append(
            DashboardBlock(
                "by_stage", bd.label, ["Stage", "Participants"], cells, ["text", "count"]
            )
        )
    if "enrollments_by_month" in b:
        bd = b["enrollments_by_month"]
        cells = []
        for label, value in zip(bd.categories, bd.series["Enrollments"], strict=False):
            y, mo = _month_bounds(label)
            formula = (
                f'=COUNTIFS(Tracker_EnrollmentDate,">="&DATE({y},{mo},1),'
                f'Tracker_EnrollmentDate,"<"&DATE({y},{mo + 1},1))'
            )
            cells.append([(None, label), (formula, value)])
        blocks.append(
            DashboardBlock(
                "enrollments_by_month", bd.label, ["Month", "Enrollments"], cells, ["text", "count"]
            )
        )
    if "retention" in b:
        bd = b["retention"]
        cells = []
        for label, value in zip(bd.categories, bd.series["Employed"], strict=False):
            days = label.split()[0]
            r = _row_of(rows, f"retention_{days}")
            ref = f"={_cell(r, 1)}" if r is not None else None
            cells.append([(None, label), (ref, value)])
        blocks.append(
            DashboardBlock(
                "retention", bd.label, ["After exit", "Employed"], cells, ["text", "percent"]
            )
        )
    if "measure_entry_exit" in b:
        bd = b["measure_entry_exit"]
        names = {v: k for k, v in ds.measure_names().items()}
        cells = []
        for i, label in enumerate(bd.categories):
            both = f"(MC_Measure={xl_text(label)})*ISNUMBER(MC_Entry)*ISNUMBER(MC_Later)"
            entry = f'=IFERROR(SUMPRODUCT({both},MC_Entry)/SUMPRODUCT({both}),"")'
            later = f'=IFERROR(SUMPRODUCT({both},MC_Later)/SUMPRODUCT({both}),"")'
            cells.append(
                [
                    (None, label),
                    (entry, bd.series["Entry"][i]),
                    (later, bd.series["Exit or latest"][i]),
                ]
            )
        del names
        blocks.append(
            DashboardBlock(
                "measure_entry_exit",
                bd.label,
                ["Measure", "Entry", "Exit or latest"],
                cells,
                ["text", "number", "number"],
            )
        )
    if "credentials_by_type" in b:
        bd = b["credentials_by_type"]
        cells = [
            [(None, name), (f"=SUMPRODUCT((Cred_Name={xl_text(name)})*{CREDITED})", value)]
            for name, value in zip(bd.categories, bd.series["Credentials"], strict=False)
        ]
        blocks.append(
            DashboardBlock(
                "credentials_by_type", bd.label, ["Credential", "Earned"], cells, ["text", "count"]
            )
        )
    if "by_program" in b:
        bd = b["by_program"]
        cells = [
            [(None, name), (f"=SUMPRODUCT(--(Tracker_Program={xl_text(name)}))", value)]
            for name, value in zip(bd.categories, bd.series["Participants"], strict=False)
        ]
        blocks.append(
            DashboardBlock(
                "by_program", bd.label, ["Program", "Participants"], cells, ["text", "count"]
            )
        )
    return blocks


CHARTS = [
    ChartSpec("Participants by current stage", "bar", "by_stage", [("Participants", "1")]),
    ChartSpec("Enrollments per month", "column", "enrollments_by_month", [("Enrollments", "1")]),
    ChartSpec(
        "Retention after exit (employed at follow-up)",
        "column",
        "retention",
        [("Employed", "1")],
        percent=True,
    ),
    ChartSpec(
        "Outcome measures: entry vs exit (mean)",
        "column",
        "measure_entry_exit",
        [("Entry", "1"), ("Exit or latest", "2")],
    ),
]


def _definitions(ds: Any, report: Any) -> list[tuple[str, str]]:
    from tracker_desktop.core import metrics

    out = [
        (
            "Population",
            "Everyone counted: participants whose latest enrollment on or before "
            "the as-of date matches the filters (program, enrollment dates). Archived records "
            "are left out.",
        ),
    ]
    out += [(m.label, m.definition) for m in report.metrics.values()]
    out += [(label, text) for label, text in metrics.BREAKDOWN_DEFINITIONS.values()]
    return out


def _options(ds: Any, repo: Any) -> dict[str, list[str]]:
    options = {
        name: list(repo.options(name))
        for name in ("exit_reasons", "housing_statuses", "age_ranges")
    }
    options["programs"] = list(ds.programs)
    options["stages"] = ds.stage_names
    options["statuses"] = list(STATUS_LABELS.values())
    options["time_points"] = list(TIME_POINT_LABELS.values())
    options["followup_statuses"] = list(FOLLOWUP_STATUS_LABELS.values())
    options["collected"] = [DURING, AFTER, UNDATED]
    return options


def collect_export_data(
    repo: Any,
    filters: Any = None,
    deidentified: bool = False,
    progress: ProgressCallback | None = None,
) -> ExportData:
    """Read the vault once, run the metrics engine, and prepare every sheet."""
    from tracker_desktop.core import metrics

    filters = filters or metrics.Filters()
    check_progress(progress, 0, 3, "Reading the tracker")
    ds = metrics.load_dataset(repo, filters.effective_as_of())
    check_progress(progress, 1, 3, "Computing the metrics")
    report = metrics.compute(ds, filters)
    check_progress(progress, 2, 3, "Preparing the rows")
    tracker = build_tracker_frame(ds, report)
    details = build_detail_sheets(ds, report)
    rows = _dashboard_rows(ds, report)
    period = f"Data as of {report.as_of:%d %B %Y}"
    if filters.date_from or filters.date_to:
        start = f"{filters.date_from:%d %b %Y}" if filters.date_from else "the start"
        end = f"{filters.date_to:%d %b %Y}" if filters.date_to else "today"
        period += f"; participants enrolled {start} to {end}"
    return ExportData(
        organisation=ds.organisation,
        period=period,
        as_of=report.as_of,
        deidentified=deidentified,
        tracker_columns=tracker_columns(deidentified),
        tracker=tracker,
        details=details,
        options=_options(ds, repo),
        dashboard=rows,
        blocks=_blocks(ds, report, rows),
        charts=list(CHARTS),
        definitions=_definitions(ds, report),
        filters_text="Filters: "
        + filters.describe()
        + (" · de-identified" if deidentified else ""),
        report=report,
    )
