"""Spreadsheet -> mapping profile -> validated rows -> one import batch (DESIGN.md section 7).

The steps, each usable on its own (the wizard shows them one by one, the CLI runs them in
a row):

1. :func:`read_table` reads a sheet of an .xlsx (any sheet) or a .csv (UTF-8 with or
   without BOM, or Windows-1252; comma, semicolon or tab) into plain rows.
2. :func:`detect_header_row` finds the real header row, also under a group-header row.
3. :func:`suggest_profile` proposes a target for every column from its header (names and
   synonyms) and its values; an :class:`ImportProfile` is saved/loaded as JSON.
4. :func:`build_preview` parses every cell (:mod:`tracker_desktop.core.parsing`), checks
   every row with :mod:`tracker_desktop.core.validation`, finds suspected duplicates and
   counts what would be created / updated / skipped.  Nothing is written.
5. :func:`run_import` writes the rows in ONE transaction recorded in ``import_batches``
   (every audit row carries the batch id); :func:`undo_import` takes a batch back out.

:func:`import_file` is steps 1-5 in one go (the command line's import): an .xlsx is read
in a child process while the rows already read are checked and written, with the same
result as the steps one by one.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import functools
import gc
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from sqlalchemy import Connection, Date, Select, bindparam, func, insert, select, update

from tracker_desktop.core import parsing, schema, validation
from tracker_desktop.core.parsing import DateOrder, Parsed, ParseError
from tracker_desktop.core.participants import PROFILE_FIELDS
from tracker_desktop.core.repository import (
    Repository,
    Writer,
    audit_high_water,
    changes_since,
)

if TYPE_CHECKING:
    from tracker_desktop.core.insert_thread import InsertThread

ProgressCallback = Callable[[int, int, str], object]
Severity = Literal["error", "warning", "info"]
DuplicateChoice = Literal["merge", "skip", "create"]
DUPLICATE_CHOICES: tuple[DuplicateChoice, ...] = ("merge", "skip", "create")
DUPLICATE_CHOICE_LABELS: dict[str, str] = {
    "merge": "Merge into the existing record",
    "skip": "Skip this row",
    "create": "Create anyway (a new record)",
}
TIME_POINTS = ("entry", "during", "exit", "follow_up")
TIME_POINT_LABELS = {
    "entry": "at entry",
    "during": "during the program",
    "exit": "at exit",
    "follow_up": "at follow-up",
}
SKIP = "skip"
PROFILE_VERSION = 1
HEADER_SEARCH_ROWS = 20
SNIFF_ROWS = 50
MAX_BLANK_RUN = 10_000  # this many empty (formatted) rows in a row end the sheet


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _without_gc(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` with Python's cyclic garbage collector paused.

    A 10,000-row import makes hundreds of thousands of small objects that all stay alive
    until the end (rows, parsed values, row plans), so every automatic collection walks
    all of them again for nothing: about a sixth of the import's time.  Collection
    resumes afterwards (reference counting frees memory as usual in between)."""

    @functools.wraps(function)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():  # already paused by an outer step
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


class ImportFileError(ValueError):
    """A problem with the file or the profile; the message is for a person."""


class ImportCancelledError(Exception):
    """The progress callback asked to stop; nothing was written."""


# --- targets ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    group: str
    kind: str  # text | name | date | money | number | percent | yesno | option | benefits
    synonyms: tuple[str, ...] = ()
    option_list: str | None = None


# fmt: off
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("participant_code", "Participant code", "Person", "text",
              ("participant code", "code", "participant id", "id", "client id")),
    FieldSpec("last_name", "Last name", "Person", "text",
              ("last name", "surname", "family name", "last", "lname")),
    FieldSpec("first_name", "First name", "Person", "text",
              ("first name", "given name", "given", "first", "fname", "forename")),
    FieldSpec("full_name", "Full name (split into first and last)", "Person", "name",
              ("name", "full name", "participant name", "participant", "client name")),
    FieldSpec("preferred_name", "Preferred name", "Person", "text",
              ("preferred name", "nickname", "goes by")),
    FieldSpec("date_of_birth", "Date of birth", "Person", "date",
              ("date of birth", "dob", "birth date", "birthdate", "birthday")),
    FieldSpec("age_range", "Age range", "Person", "option",
              ("age range", "age group"), "age_ranges"),
    FieldSpec("phone", "Phone", "Person", "text",
              ("phone", "phone number", "mobile", "cell", "telephone")),
    FieldSpec("email", "Email", "Person", "text",
              ("email", "e mail", "email address")),
    FieldSpec("housing_status", "Housing status", "Demographics", "option",
              ("housing", "housing status", "housing situation"), "housing_statuses"),
    FieldSpec("education_at_entry", "Education at entry", "Demographics", "option",
              ("education", "education at entry", "education level", "highest education"),
              "education_levels"),
    FieldSpec("public_benefits", "Public benefits at entry (list)", "Demographics", "benefits",
              ("public benefits", "benefits received", "benefits at entry", "public assistance")),
    FieldSpec("barriers_expunged", "Legal barriers expunged (yes/no)", "Demographics", "yesno",
              ("legal barriers expunged", "barriers expunged", "record expunged", "expunged")),
    FieldSpec("barrier_type", "Legal barrier type", "Demographics", "option",
              ("legal barriers", "legal barrier", "barrier type", "legal barrier type"),
              "barrier_types"),
    FieldSpec("barrier_resolved_on", "Date legal barrier resolved", "Demographics", "date",
              ("date expunged", "date resolved", "expunged on")),
    FieldSpec("program", "Program", "Enrollment", "option",
              ("program", "programs", "programs enrolled", "program enrolled",
               "enrolled program"), "programs"),
    FieldSpec("enrolled_on", "Date of enrollment", "Enrollment", "date",
              ("date of enrollment", "enrollment date", "enrolled on", "date enrolled",
               "enrolled", "enrollment", "intake date", "start date")),
    FieldSpec("progress_pct", "Program progress %", "Enrollment", "percent",
              ("progress", "program progress", "percent complete", "complete", "completion",
               "progress pct")),
    FieldSpec("exited_on", "Exit date", "Enrollment", "date",
              ("exit date", "date of exit", "exited on", "date exited", "exited")),
    FieldSpec("exit_reason", "Exit reason", "Enrollment", "option",
              ("exit reason", "reason for exit", "reason exited"), "exit_reasons"),
    FieldSpec("employed", "Employed (yes/no)", "Employment", "yesno",
              ("employed", "currently employed", "employment status", "has job")),
    FieldSpec("job_started_on", "Date of employment", "Employment", "date",
              ("date of employment", "employment date", "hire date", "date hired",
               "job start date", "employed on")),
    FieldSpec("job_ended_on", "Job end date", "Employment", "date",
              ("job end date", "date job ended", "employment end date")),
    FieldSpec("hourly_wage", "Hourly wage", "Employment", "money",
              ("hourly wage", "wage", "pay rate", "hourly rate", "pay", "rate of pay",
               "wage per hour", "hourly pay", "salary per hour")),
    FieldSpec("employer_benefits", "Enrolled in employer benefits (yes/no)", "Employment", "yesno",
              ("enrolled benefits", "employer benefits", "benefits enrolled",
               "enrolled in benefits", "benefits")),
    FieldSpec("employer", "Employer", "Employment", "text",
              ("employer", "company", "employer name", "workplace")),
    FieldSpec("job_title", "Job title", "Employment", "text",
              ("job title", "position", "title", "role")),
    FieldSpec("hours_per_week", "Hours per week", "Employment", "number",
              ("hours per week", "weekly hours", "hours", "hours week")),
    FieldSpec("promotion_title", "Promotion earned", "Employment", "option",
              ("promotions earned", "promotion", "promotions", "promotion earned"),
              "promotion_titles"),
    FieldSpec("promoted_on", "Date of promotion", "Employment", "date",
              ("date of promotion", "promotion date", "promoted on")),
    FieldSpec("certification", "Certification earned", "Credentials", "option",
              ("certifications earned", "certification", "certifications", "certificate",
               "certification earned"), "certifications"),
    FieldSpec("certification_on", "Date of certification", "Credentials", "date",
              ("date of certification", "certification date", "certified on")),
    FieldSpec("degree", "Degree completed", "Credentials", "option",
              ("degrees completed", "degree", "degrees", "degree completed"), "degrees"),
    FieldSpec("degree_on", "Date of degree", "Credentials", "date",
              ("date of degree", "degree date", "graduation date")),
    FieldSpec("gpa", "GPA", "Credentials", "number",
              ("gpa", "grade point average")),
    FieldSpec("note", "Case note", "Notes", "text",
              ("notes", "note", "comments", "comment", "case notes", "remarks")),
)
# fmt: on
FIELD_BY_KEY: dict[str, FieldSpec] = {f.key: f for f in FIELDS}

_MEASURE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "earning_power": ("earning power",),
    "capacity_to_aspire": ("capacity to aspire", "aspiration"),
    "social_capital": ("social capital",),
    "annual_earnings": ("annual earnings", "earnings", "income", "annual income", "re"),
}
_TIME_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("follow_up", ("follow up", "followup", "after exit", "days after", "alumni")),
    ("entry", ("entry", "intake", "baseline", "before", "pre", "start")),
    ("exit", ("exit", "graduation", "end", "post", "after")),
    ("during", ("during", "mid", "midpoint")),
)
CUSTOM_TYPES = ("text", "number", "date", "yesno")


def target_label(target: str, measures: Mapping[str, str] | None = None) -> str:
    """A person-readable name for a target string."""
    if target == SKIP:
        return "Skip this column"
    if target.startswith("custom:"):
        return f"Custom field: {target[7:]}"
    if target.startswith("measure:"):
        key, _, point = target[8:].partition("@")
        name = (measures or {}).get(key, key.replace("_", " ").capitalize())
        return f"{name} {TIME_POINT_LABELS.get(point, point)}"
    spec = FIELD_BY_KEY.get(target)
    return spec.label if spec else target


def _norm(text: str) -> str:
    text = text.lower().replace("%", " pct ").replace("#", " number ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


# --- reading ----------------------------------------------------------------------------
@dataclass
class SheetData:
    """One sheet (or a CSV) as plain values; ``rows[i]`` is sheet row ``i + 1``."""

    source: Path
    sheet: str | None
    rows: list[list[Any]]
    formats: dict[int, list[str]] = field(default_factory=dict)  # col -> formats seen
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    dropdowns: dict[int, list[str]] = field(default_factory=dict)  # col -> list choices
    sheet_xml: str | None = None  # an .xlsx: the sheet's part in the package
    stopped_at: int | None = None  # reading stopped after MAX_BLANK_RUN empty rows here

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def list_sheets(path: Path) -> list[str]:
    """Sheet names of an .xlsx (a CSV has one, unnamed, sheet)."""
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"{path} does not exist")
    if path.suffix.lower() != ".xlsx" and path.suffix.lower() != ".xlsm":
        return []
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(f"{path.name} cannot be opened as an Excel file ({exc})") from None
    try:
        return [ws.title for ws in workbook.worksheets]
    finally:
        workbook.close()


@_without_gc
def read_table(
    path: Path, sheet: str | None = None, progress: ProgressCallback | None = None
) -> SheetData:
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, progress)
    if suffix == ".xls":
        raise ImportFileError(
            f"{path.name} is an old .xls file: open it in Excel or LibreOffice and save it as "
            ".xlsx or .csv first"
        )
    raise ImportFileError(f"{path.name}: only .xlsx and .csv files can be imported")


def _trim(row: Sequence[Any]) -> list[Any]:
    values = [None if (isinstance(v, str) and not v.strip()) else v for v in row]
    while values and values[-1] is None:
        values.pop()
    return values


def _read_xlsx(path: Path, sheet: str | None, progress: ProgressCallback | None) -> SheetData:
    parts = _xlsx_parts(path, sheet)
    data: SheetData = next(parts)
    reported = 0
    for chunk in parts:
        data.rows.extend(chunk)
        if progress is not None and len(data.rows) - reported >= 2000:
            reported = len(data.rows)
            _report(progress, reported, 0, f"Reading row {reported:,}…")
    _drop_trailing_blanks(data.rows)
    return data


def _claimed_rows(ws: Any) -> int | None:
    """The last row the sheet says it uses (its dimension), if it says."""
    try:
        return int(ws.max_row) if ws.max_row else None
    except Exception:  # no dimension in the file: nothing claimed
        return None


def _stop_notice(data: SheetData) -> RowProblem | None:
    if data.stopped_at is None:
        return None
    return RowProblem(
        None,
        None,
        f"Reading stopped at row {data.stopped_at:,} after {MAX_BLANK_RUN:,} empty rows in a "
        "row (formatting further down?); rows further down, if any, are not imported: move "
        "them up, or delete the empty rows",
        "warning",
    )


def _first_sheet_with_data(path: Path, workbook: Any, names: list[str]) -> str:
    """The first sheet with a row of column names near the top (an empty first sheet, or
    one of instructions, is passed over); the first sheet if none has."""
    if len(names) > 1:
        for name in names:
            try:
                ws = workbook[name]
                top = ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
                head = [_trim(r) for r in top]
                header_row = detect_header_row(SheetData(path, name, head))
                if any(head[header_row:]):  # column names, and something under them
                    return name
            except Exception:  # no header, or a sheet that does not read: try the next
                continue
    return names[0]


def _drop_trailing_blanks(rows: list[list[Any]]) -> None:
    while rows and not rows[-1]:
        rows.pop()


_CHUNK_ROWS = 500


def _xlsx_parts(path: Path, sheet: str | None, dropdowns: bool = True) -> Iterator[Any]:
    """The sheet as :class:`SheetData` with no rows yet (names, formats, dropdowns unless
    ``dropdowns`` is False), then its rows (trimmed, a list of up to ``_CHUNK_ROWS`` at a
    time) down to the last of them or to a run of ``MAX_BLANK_RUN`` empty ones: what
    :func:`_read_xlsx` reads in this process and :func:`import_file` in a child process."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(f"{path.name} cannot be opened as an Excel file ({exc})") from None
    try:
        names = [ws.title for ws in workbook.worksheets]
        if not names:
            raise ImportFileError(f"{path.name} has no sheets")
        if sheet is None:
            sheet = _first_sheet_with_data(path, workbook, names)
        elif sheet not in names:
            raise ImportFileError(
                f"{path.name} has no sheet called {sheet!r} (sheets: {', '.join(names)})"
            )
        ws = workbook[sheet]
        try:
            formats: dict[int, list[str]] = {}
            for row in ws.iter_rows(max_row=SNIFF_ROWS):
                for index, cell in enumerate(row):
                    fmt = getattr(cell, "number_format", None)
                    if fmt and fmt != "General" and getattr(cell, "value", None) is not None:
                        formats.setdefault(index, []).append(str(fmt))
            sheet_xml = getattr(ws, "_worksheet_path", None)
            head = SheetData(
                path,
                sheet,
                [],
                formats,
                names,
                dropdowns=_dropdowns(path, sheet_xml) if dropdowns else {},
                sheet_xml=sheet_xml,
            )
            yield head
            chunk: list[list[Any]] = []
            blank_run = number = 0
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                row = _trim(values)
                chunk.append(row)
                blank_run = 0 if row else blank_run + 1
                if blank_run > MAX_BLANK_RUN:  # formatting down to row 1,048,576: no more data
                    if (_claimed_rows(ws) or 0) > number:
                        head.stopped_at = number
                    break
                if len(chunk) == _CHUNK_ROWS:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
        except ImportFileError:
            raise
        except Exception as exc:  # the sheet's XML or its compressed bytes are broken
            raise ImportFileError(
                f"{path.name} is damaged or incomplete (sheet {sheet!r}: {exc}); open it in "
                "Excel or LibreOffice and save it again"
            ) from None
    finally:
        workbook.close()


_VALIDATION = re.compile(r"<(?:\w+:)?dataValidation\b([^>]*)>(.*?)</(?:\w+:)?dataValidation>", re.S)
_FORMULA1 = re.compile(r"<(?:\w+:)?formula1>(.*?)</(?:\w+:)?formula1>", re.S)
_SQREF = re.compile(r'\bsqref="([^"]*)"')
_CELL_REF = re.compile(r"\$?([A-Z]{1,3})\$?\d*")


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _dropdowns(path: Path, sheet_xml: str | None) -> dict[int, list[str]]:
    """Dropdown (list validation) choices per column, from the sheet's XML: the importer
    warns about values that are not among them ("5" in an "Option 1, Option 2" column)."""
    if not sheet_xml:
        return {}
    import html
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            xml = archive.read(sheet_xml.lstrip("/")).decode("utf-8", errors="replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return {}
    start = xml.find("dataValidations")
    if start < 0:
        return {}
    found: dict[int, list[str]] = {}
    for attrs, body in _VALIDATION.findall(xml, start - 10):
        if 'type="list"' not in attrs:
            continue
        formula = _FORMULA1.search(body)
        sqref = _SQREF.search(attrs)
        if formula is None or sqref is None:
            continue
        text = html.unescape(formula.group(1)).strip()
        if not (text.startswith('"') and text.endswith('"')):
            continue  # a range on another sheet: not followed
        choices = [c.strip() for c in text[1:-1].split(",") if c.strip()]
        for part in sqref.group(1).split():
            ends = [_column_index(m) for m in _CELL_REF.findall(part)]
            for index in range(min(ends), max(ends) + 1) if ends else ():
                found[index] = choices
    return found


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "UTF-8 with BOM"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "Windows-1252"


def _sniff_delimiter(text: str) -> str:
    sample_lines = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", -1
    for delimiter in (",", ";", "\t", "|"):
        try:
            counts = [
                len(row)
                for row in csv.reader(io.StringIO("\n".join(sample_lines)), delimiter=delimiter)
            ]
        except csv.Error:  # e.g. a whole line longer than the csv module's field limit
            continue
        if not counts:
            continue
        width = max(counts)
        consistent = sum(1 for c in counts if c == width)
        score = (width - 1) * consistent if width > 1 else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _looks_binary(raw: bytes) -> bool:
    """NUL bytes or many control characters: a program, image or zip renamed .csv."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NUL bytes
    sample = raw[:65536]
    control = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    return b"\x00" in sample or control > len(sample) // 100


def _read_csv(path: Path) -> SheetData:
    raw = path.read_bytes()
    if _looks_binary(raw):
        raise ImportFileError(
            f"{path.name} is not a text CSV file (it holds binary data): export the sheet "
            "as CSV or .xlsx from your spreadsheet program"
        )
    text, encoding = _decode(raw)
    first, _, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter, text = first.strip()[4], rest  # Excel's "sep=;" line
    else:
        delimiter = _sniff_delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = [_trim(row) for row in reader]
    except csv.Error as exc:
        raise ImportFileError(f"{path.name} cannot be read as a CSV file ({exc})") from None
    while rows and not rows[-1]:
        rows.pop()
    return SheetData(path, None, rows, {}, [], encoding, delimiter)


# --- header row -------------------------------------------------------------------------
_KNOWN_HEADERS: set[str] = {_norm(s) for f in FIELDS for s in (*f.synonyms, f.label)} | {
    _norm(s) for words in _MEASURE_SYNONYMS.values() for s in words
}


def _header_score(row: Sequence[Any]) -> float:
    score = 0.0
    texts = 0
    for value in row:
        if value is None:
            continue
        if isinstance(value, str) and not parsing.numeric_date_parts(value):
            texts += 1
            score += 1
            if _norm(value) in _KNOWN_HEADERS:
                score += 3
        else:
            score -= 1
    return score if texts >= 2 else -1


def detect_header_row(data: SheetData) -> int:
    """The 1-based number of the row that holds the column names."""
    best_row, best_score = 1, -1.0
    for index, row in enumerate(data.rows[:HEADER_SEARCH_ROWS]):
        score = _header_score(row)
        if score > best_score:
            best_row, best_score = index + 1, score
    if best_score < 0:
        sheet = f" of sheet {data.sheet!r}" if data.sheet else ""
        others = (
            " (is the data on another sheet? choose it in the wizard, or --sheet NAME)"
            if len(data.sheets) > 1
            else ""
        )
        raise ImportFileError(
            f"No header row found in the first {HEADER_SEARCH_ROWS} rows{sheet}: the sheet "
            f"needs a row of column names above the data{others}"
        )
    return best_row


# --- profile ----------------------------------------------------------------------------
@dataclass
class ColumnMapping:
    index: int  # 0-based column
    header: str  # text of the header cell ("" for an unnamed column)
    target: str = SKIP  # field key | "measure:<key>@<time point>" | "custom:<label>" | "skip"
    options: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why it was suggested (not saved)

    @property
    def letter(self) -> str:
        return column_letter(self.index)

    @property
    def display(self) -> str:
        return f"{self.letter} ({self.header})" if self.header else f"{self.letter} (unnamed)"

    def to_json(self) -> dict[str, Any]:
        return {
            "column": self.letter,
            "header": self.header,
            "target": self.target,
            "options": dict(self.options),
        }


@dataclass
class ImportProfile:
    """How to read one kind of spreadsheet: header row, per-column target and parsing."""

    columns: list[ColumnMapping] = field(default_factory=list)
    header_row: int | None = None
    sheet: str | None = None
    date_order: DateOrder | None = None  # None: decide from the file, flag if ambiguous
    on_duplicate: DuplicateChoice = "merge"
    yes_words: list[str] = field(default_factory=lambda: list(parsing.DEFAULT_YES_WORDS))
    no_words: list[str] = field(default_factory=lambda: list(parsing.DEFAULT_NO_WORDS))
    decimal: str = "."

    def to_json(self) -> dict[str, Any]:
        return {
            "version": PROFILE_VERSION,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "date_order": self.date_order,
            "decimal": self.decimal,
            "on_duplicate": self.on_duplicate,
            "yes_words": self.yes_words,
            "no_words": self.no_words,
            "columns": [c.to_json() for c in self.columns],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportProfile:
        if not isinstance(data, Mapping) or not isinstance(data.get("columns"), list):
            raise ImportFileError('This is not an import profile (no "columns" list)')
        order = data.get("date_order")
        if order is not None and order not in parsing.DATE_ORDERS:
            raise ImportFileError(f"date_order must be one of MDY, DMY, YMD (got {order!r})")
        duplicate = data.get("on_duplicate", "merge")
        if duplicate not in DUPLICATE_CHOICES:
            raise ImportFileError(f"on_duplicate must be merge, skip or create (got {duplicate!r})")
        columns = []
        for item in data["columns"]:
            letter = str(item.get("column", "")).strip().upper()
            if not re.fullmatch(r"[A-Z]{1,3}", letter):
                raise ImportFileError(f"Column {letter!r} in the profile is not a column letter")
            index = 0
            for ch in letter:
                index = index * 26 + (ord(ch) - 64)
            target = str(item.get("target", SKIP))
            _check_target(target)
            columns.append(
                ColumnMapping(
                    index - 1,
                    str(item.get("header") or ""),
                    target,
                    dict(item.get("options") or {}),
                )
            )
        return cls(
            columns=columns,
            header_row=data.get("header_row"),
            sheet=data.get("sheet"),
            date_order=order,
            on_duplicate=duplicate,
            yes_words=list(data.get("yes_words") or parsing.DEFAULT_YES_WORDS),
            no_words=list(data.get("no_words") or parsing.DEFAULT_NO_WORDS),
            decimal=str(data.get("decimal") or "."),
        )

    def save(self, path: Path) -> None:
        Path(path).write_text(
            json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    @classmethod
    def load(cls, path: Path) -> ImportProfile:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"{Path(path).name} is not valid JSON ({exc})") from None
        return cls.from_json(data)

    def mapping_for(self, index: int) -> ColumnMapping | None:
        for column in self.columns:
            if column.index == index:
                return column
        return None


def _check_target(target: str) -> None:
    if target == SKIP or target in FIELD_BY_KEY:
        return
    if target.startswith("custom:") and target[7:].strip():
        return
    if target.startswith("measure:"):
        _key, _, point = target[8:].partition("@")
        if point in TIME_POINTS:
            return
    raise ImportFileError(f"Unknown import target {target!r}")


def _header_text(value: object) -> str:
    return parsing.clean_text(value) or ""


def _column_values(data: SheetData, header_row: int, index: int) -> list[Any]:
    return [
        row[index] for row in data.rows[header_row:] if index < len(row) and row[index] is not None
    ]


def _sniff_kind(values: list[Any], formats: list[str]) -> str:
    """What a column's values look like: percent, date, yesno, number or text."""
    sample = values[:200]
    if not sample:
        return "empty"
    if any("%" in f for f in formats) or all(
        isinstance(v, str) and v.strip().endswith("%") for v in sample
    ):
        return "percent"
    if all(isinstance(v, datetime | date) for v in sample):
        return "date"
    yes_no = 0
    for value in sample:
        try:
            if parsing.parse_yes_no(value).value is not None and not isinstance(value, int | float):
                yes_no += 1
        except ParseError:
            pass
    if yes_no == len(sample):
        return "yesno"
    try:
        for value in sample:
            parsing.parse_number(value)
        return "number"
    except ParseError:
        pass
    return "text"


def _suggest_for_header(header: str) -> tuple[str | None, str]:
    norm = _norm(header)
    if not norm:
        return None, ""
    for spec in FIELDS:
        if norm in {_norm(s) for s in spec.synonyms} or norm == _norm(spec.label):
            return spec.key, "the column name matches"
    best, best_ratio = None, 0.0
    for spec in FIELDS:
        for synonym in spec.synonyms:
            ratio = difflib.SequenceMatcher(None, norm, _norm(synonym)).ratio()
            if ratio > best_ratio:
                best, best_ratio = spec, ratio
    if best is not None and best_ratio >= 0.86:
        return best.key, f"the column name is close to “{best.label}”"
    return None, ""


def _measure_for_header(header: str) -> tuple[str, str | None, int | None] | None:
    """(measure key, time point from words or None, year in the header or None)."""
    norm = _norm(header)
    year_match = re.search(r"\b(19|20)(\d{2})\b", norm)
    year = int(year_match.group(0)) if year_match else None
    words = re.sub(r"\b(19|20)\d{2}\b", " ", norm)
    short = re.fullmatch(r"re ?(\d{2})", norm)  # LaLonde-style re74 / re78
    if short:
        return "annual_earnings", None, 1900 + int(short.group(1))
    for key, synonyms in _MEASURE_SYNONYMS.items():
        for synonym in synonyms:
            if synonym == "re":
                continue
            if re.search(rf"\b{re.escape(synonym)}\b", words):
                point = None
                for candidate, time_words in _TIME_WORDS:
                    if any(re.search(rf"\b{re.escape(w)}\b", words) for w in time_words):
                        point = candidate
                        break
                return key, point, year
    return None


@_without_gc
def suggest_profile(
    data: SheetData,
    header_row: int | None = None,
    measures: Mapping[str, str] | None = None,
) -> ImportProfile:
    """A suggested mapping for every column of the sheet (nothing is decided for good)."""
    header_row = header_row or detect_header_row(data)
    headers = data.rows[header_row - 1] if header_row - 1 < len(data.rows) else []
    width = max(len(headers), *(len(r) for r in data.rows[header_row:]), 0)
    profile = ImportProfile(header_row=header_row, sheet=data.sheet)
    if data.delimiter == ";" and _looks_decimal_comma(data, header_row):
        profile.decimal = ","
    used: set[str] = set()
    measure_columns: list[tuple[ColumnMapping, str, str | None, int | None]] = []
    by_column = list(itertools.zip_longest(*data.rows[header_row:]))  # one pass, in C
    for index in range(width):
        header = _header_text(headers[index]) if index < len(headers) else ""
        values = [v for v in by_column[index] if v is not None] if index < len(by_column) else []
        kind = _sniff_kind(values, data.formats.get(index, []))
        column = ColumnMapping(index, header)
        key, reason = _suggest_for_header(header)
        if key == "barriers_expunged" and kind not in ("yesno", "empty"):
            key, reason = None, ""  # answers are not yes/no: keep them verbatim below
        if key is not None and key not in used:
            column.target, column.reason = key, reason
            used.add(key)
            if key == "progress_pct":
                column.options["percent"] = _percent_scale(values, kind)
        elif (measure := _measure_for_header(header)) is not None:
            measure_columns.append((column, *measure))
        elif not values:
            column.reason = "empty column"
        elif not header and kind == "percent" and "progress_pct" not in used:
            column.target = "progress_pct"
            column.options["percent"] = _percent_scale(values, kind)
            column.reason = "no name, but holds percentages: program progress"
            used.add("progress_pct")
        else:
            label = header or f"Column {column.letter}"
            if f"custom:{label}" in used:  # two columns with the same name
                label = f"{label} ({column.letter})"
            used.add(f"custom:{label}")
            column.target = f"custom:{label}"
            column.options["type"] = kind if kind in CUSTOM_TYPES else "text"
            column.reason = "matches no field: kept as a custom field"
        profile.columns.append(column)
    _assign_measure_time_points(measure_columns)
    return profile


def _assign_measure_time_points(
    found: list[tuple[ColumnMapping, str, str | None, int | None]],
) -> None:
    by_measure: dict[str, list[tuple[ColumnMapping, str | None, int | None]]] = {}
    for column, key, point, year in found:
        by_measure.setdefault(key, []).append((column, point, year))
    for key, columns in by_measure.items():
        years = sorted({y for _c, _p, y in columns if y is not None})
        taken: set[str] = set()
        for column, point, year in columns:
            if point is None and year is not None and len(years) > 1:
                point = (
                    "entry" if year == years[0] else "follow_up" if year == years[-1] else "during"
                )
            point = point or ("entry" if "entry" not in taken else "exit")
            target = f"measure:{key}@{point}"
            if point in taken:
                column.target = f"custom:{column.header or 'Column ' + column.letter}"
                column.options["type"] = "number"
                column.reason = "a second column for the same measure and time: custom field"
                continue
            taken.add(point)
            column.target = target
            if year is not None:
                column.options["year"] = year
            column.reason = f"header {column.header!r} names a measure"


def _percent_scale(values: list[Any], kind: str) -> str:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if kind == "percent" and numbers:
        return "fraction"
    if numbers and all(-1 <= v <= 1 for v in numbers):
        return "fraction"
    return "auto" if not numbers else "points"


def _looks_decimal_comma(data: SheetData, header_row: int) -> bool:
    hits = 0
    for row in data.rows[header_row : header_row + 50]:
        for value in row:
            if isinstance(value, str) and re.fullmatch(r"\$?\s*\d+,\d{1,2}\s*\$?%?", value.strip()):
                hits += 1
    return hits > 0


@_without_gc
def apply_profile(data: SheetData, profile: ImportProfile) -> ImportProfile:
    """``profile`` matched to this sheet's columns: by header text first, then by letter.

    Columns the profile does not mention get a fresh suggestion.  The header row too
    follows the headers: when the profile's row no longer holds them (a group-header row
    above it was deleted, or added) the row that does is used."""
    header_row = profile.header_row or detect_header_row(data)
    saved_headers = {_norm(c.header) for c in profile.columns if c.header}
    if profile.header_row and saved_headers:

        def matches(number: int) -> int:
            row = data.rows[number - 1] if 0 < number <= len(data.rows) else []
            return len(saved_headers & {_norm(_header_text(v)) for v in row if v is not None})

        try:
            detected = detect_header_row(data)
        except ImportFileError:
            detected = header_row
        if matches(detected) > matches(header_row):
            header_row = detected
    suggested = suggest_profile(data, header_row)
    headers = {_norm(c.header): c for c in suggested.columns if c.header}
    by_index = {c.index: c for c in suggested.columns}
    result = ImportProfile(
        columns=[],
        header_row=header_row,
        sheet=data.sheet,
        date_order=profile.date_order,
        on_duplicate=profile.on_duplicate,
        yes_words=profile.yes_words,
        no_words=profile.no_words,
        decimal=profile.decimal,
    )
    placed: dict[int, ColumnMapping] = {}
    for saved in profile.columns:
        match = headers.get(_norm(saved.header)) if saved.header else None
        if match is None and saved.index in by_index:
            current = by_index[saved.index]
            if (
                not saved.header
                or not current.header
                or _norm(current.header) == _norm(saved.header)
            ):
                match = current
        if match is None or match.index in placed:
            continue
        placed[match.index] = ColumnMapping(
            match.index, match.header, saved.target, dict(saved.options), "from the profile"
        )
    for column in suggested.columns:
        result.columns.append(placed.get(column.index, column))
    return result


# --- preview ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RowProblem:
    row: int | None  # sheet row number, None for the whole file
    column: str | None  # "H (Hourly wage)"
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def line(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}" + (" (warning)" if self.severity == "warning" else "")


@dataclass
class Duplicate:
    participant_id: int | None  # an existing record in the tracker
    row: int | None  # an earlier row of the same sheet
    name: str
    matched_on: str  # "birth date 1990-01-01" / "enrollment date 2024-01-03"
    code: str | None = None

    def describe(self) -> str:
        where = f"{self.code} in the tracker" if self.participant_id else f"row {self.row}"
        return f"same name and {self.matched_on} as {self.name} ({where})"


@dataclass
class RowPlan:
    row: int
    values: dict[str, Any] = field(default_factory=dict)  # field key -> parsed value
    measures: list[tuple[str, str, float, int | None]] = field(default_factory=list)
    custom: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (type, text)
    rules: dict[str, str] = field(default_factory=dict)  # column display -> rule used
    problems: list[RowProblem] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # values kept in a note
    duplicate: Duplicate | None = None
    choice: DuplicateChoice | None = None  # for duplicates
    skip_reason: str | None = None
    # The rows this one adds under the participant, as checked (set by _validate; the
    # write takes copies of them):
    job: dict[str, Any] | None = None
    credentials: list[dict[str, Any]] = field(default_factory=list)
    barrier: dict[str, Any] | None = None

    @property
    def has_errors(self) -> bool:
        return bool(self.problems) and any(p.is_error for p in self.problems)

    @property
    def name(self) -> str:
        return f"{self.values.get('first_name') or ''} {self.values.get('last_name') or ''}".strip()

    def action(self, skip_invalid: bool = False) -> str:
        """create | update | skip | reject"""
        if self.skip_reason:
            return "skip"
        if self.has_errors:
            return "skip" if skip_invalid else "reject"
        if self.duplicate is not None:
            choice = self.choice or "merge"
            if choice == "skip":
                return "skip"
            if choice == "merge":
                return "update"
        return "create"


@dataclass
class ImportPreview:
    source: Path
    sheet: str | None
    profile: ImportProfile
    rows: list[RowPlan]
    notices: list[RowProblem]  # about the whole file
    empty_rows: int
    date_order: DateOrder | None
    new_options: dict[str, list[str]] = field(default_factory=dict)  # list -> values to add
    new_custom_fields: dict[str, str] = field(default_factory=dict)  # label -> type
    skip_invalid: bool = False
    measure_names: dict[str, str] = field(default_factory=dict)
    audit_id: int | None = None  # the tracker as checked (see _changed_since_preview)

    @property
    def source_name(self) -> str:
        return self.source.name

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action(self.skip_invalid) == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("create", "update", "skip", "reject")}

    @property
    def duplicates(self) -> list[RowPlan]:
        return [r for r in self.rows if r.duplicate is not None]

    @property
    def blocking(self) -> bool:
        return self.count("reject") > 0 or any(n.is_error for n in self.notices)

    @property
    def rejected_rows(self) -> list[RowPlan]:
        return [r for r in self.rows if r.action(self.skip_invalid) == "reject"]

    def problems(self) -> list[RowProblem]:
        out = list(self.notices)
        for row in self.rows:
            out.extend(row.problems)
        return out

    def set_choice(self, row: int, choice: DuplicateChoice) -> None:
        for plan in self.rows:
            if plan.row == row:
                plan.choice = choice
                return
        raise KeyError(row)

    def summary_lines(self) -> list[str]:
        counts = self.counts
        where = f"{self.source_name}" + (f", sheet {self.sheet!r}" if self.sheet else "")
        lines = [
            f"{where}: header row {self.profile.header_row}, {len(self.rows)} data rows",
            f"To create: {counts['create']}   to update: {counts['update']}   "
            f"to skip: {counts['skip']}   rejected: {counts['reject']}",
        ]
        if self.empty_rows:
            lines.append(f"Empty rows ignored: {self.empty_rows}")
        if self.duplicates:
            lines.append(f"Suspected duplicates: {len(self.duplicates)}")
            for plan in self.duplicates:
                assert plan.duplicate is not None
                lines.append(
                    f"  row {plan.row} {plan.name}: {plan.duplicate.describe()} -> "
                    f"{plan.choice or 'merge'}"
                )
        for list_name, values in self.new_options.items():
            lines.append(f"New values for the {list_name} list: {', '.join(values)}")
        for label, kind in self.new_custom_fields.items():
            lines.append(f"New custom field: {label} ({kind})")
        return lines


class _Context:
    """What a preview needs from the tracker: option lists, measures, custom fields,
    existing participants (for duplicates) and settings."""

    def __init__(self, repo: Repository | None) -> None:
        self.options: dict[str, list[str]] = {}
        self.measures: dict[str, tuple[str, str | None]] = {
            key: (name, unit) for key, name, unit, *_ in _default_measures()
        }
        self.custom: dict[str, tuple[int, str]] = {}  # label lower -> (id, type)
        self.by_name: dict[tuple[str, str], list[tuple[int, str, date | None, set[date]]]] = {}
        # participant code -> (id, name key, the name as the tracker spells it)
        self.codes: dict[str, tuple[int, tuple[str, str], str]] = {}
        self.audit_id: int | None = None  # the newest change the preview was checked against
        self.settings: dict[str, Any] = {}
        self._matches: dict[tuple[str, str], Parsed[str]] = {}
        self._checks: dict[str, Any] | None = None
        self.wage_ceiling = validation.DEFAULT_WAGE_CEILING
        self.gpa_scale = validation.DEFAULT_GPA_SCALE
        if repo is None:
            from tracker_desktop.core import defaults

            self.options = {k: list(v) for k, v in defaults.OPTION_LISTS.items()}
            return
        with repo.reading() as conn:
            for list_name, value in conn.execute(
                select(schema.option_items.c.list_name, schema.option_items.c.value).order_by(
                    schema.option_items.c.position, schema.option_items.c.id
                )
            ):
                self.options.setdefault(list_name, []).append(value)
            self.measures = {
                r.key: (r.name, r.unit)
                for r in conn.execute(
                    select(schema.measures.c.key, schema.measures.c.name, schema.measures.c.unit)
                )
            }
            for r in conn.execute(
                select(
                    schema.custom_fields.c.id,
                    schema.custom_fields.c.label,
                    schema.custom_fields.c.field_type,
                )
            ):
                self.custom[r.label.lower()] = (r.id, r.field_type)
            enrolled: dict[int, set[date]] = {}
            for pid, day in conn.execute(
                select(schema.enrollments.c.participant_id, schema.enrollments.c.enrolled_on)
            ):
                if day is not None:
                    enrolled.setdefault(pid, set()).add(day)
            p = schema.participants
            for person in conn.execute(
                select(
                    p.c.id,
                    p.c.participant_code,
                    p.c.first_name,
                    p.c.last_name,
                    p.c.date_of_birth,
                    p.c.archived_at,
                )
            ):
                name = (_name_key(person.first_name), _name_key(person.last_name))
                spelled = f"{person.first_name or ''} {person.last_name or ''}".strip()
                self.codes[person.participant_code] = (person.id, name, spelled)
                if person.archived_at is not None:
                    continue
                self.by_name.setdefault(name, []).append(
                    (
                        person.id,
                        person.participant_code,
                        person.date_of_birth,
                        enrolled.get(person.id, set()),
                    )
                )
            for setting_key in ("wage_ceiling", "gpa_scale"):
                self.settings[setting_key] = Writer(conn, None).setting(setting_key)
            self.audit_id = audit_high_water(conn.connection.dbapi_connection)

    @property
    def checks(self) -> dict[str, Any]:
        """The settings the validation rules read (the ones that are set)."""
        if self._checks is None:
            self._checks = {k: v for k, v in self.settings.items() if v is not None}
            self.wage_ceiling = float(
                validation.setting(self._checks, "wage_ceiling", validation.DEFAULT_WAGE_CEILING)
            )
            self.gpa_scale = float(
                validation.setting(self._checks, "gpa_scale", validation.DEFAULT_GPA_SCALE)
            )
        return self._checks

    def match(self, list_name: str, text: str) -> Parsed[str]:
        """``text`` matched to an option list (cached: the same few values repeat)."""
        key = (list_name, text)
        found = self._matches.get(key)
        if found is None:
            found = parsing.match_option(text, self.options.get(list_name, []))
            self._matches[key] = found
        return found


# What a preview's duplicates, codes and new list values are checked against: a table's
# rows coming or going, or these fields changing (None: any field).
_PREVIEW_INPUTS: dict[str, frozenset[str] | None] = {
    "participants": frozenset(
        {"first_name", "last_name", "date_of_birth", "participant_code", "archived_at"}
    ),
    "enrollments": frozenset({"enrolled_on"}),
    "option_items": None,
    "custom_fields": None,
}


def _changed_since_preview(conn: Connection, audit_id: int) -> bool:
    """True when something the preview was checked against was saved after audit row
    ``audit_id``.  The write asks in its BEGIN IMMEDIATE transaction (nobody else writes
    meanwhile): two imports started together would otherwise both create the same people."""
    raw = conn.connection.dbapi_connection
    for table, action, field_name in changes_since(raw, audit_id):
        if table not in _PREVIEW_INPUTS:
            continue
        fields = _PREVIEW_INPUTS[table]
        if action != "update" or fields is None or field_name is None or field_name in fields:
            return True
    return False


def _default_measures() -> Iterable[tuple[Any, ...]]:
    from tracker_desktop.core import defaults

    return defaults.MEASURES


def _name_key(text: object) -> str:
    return " ".join(str(text or "").lower().split())


_DATE_FIELDS = {f.key for f in FIELDS if f.kind == "date"}


@_without_gc
def build_preview(
    data: SheetData,
    profile: ImportProfile,
    repo: Repository | None = None,
    today: date | None = None,
    progress: ProgressCallback | None = None,
) -> ImportPreview:
    """Parse and check every row; nothing is written."""
    builder = _PreviewBuilder(data, profile, repo, today or date.today())
    if (stop := _stop_notice(data)) is not None:
        builder.preview.notices.append(stop)
    header_row = builder.header_row
    data_rows = data.rows[header_row:]
    total = len(data_rows)
    for offset, row in enumerate(data_rows):
        if progress is not None and offset % 500 == 0:
            _report(progress, offset, total, f"Checking row {offset + 1:,} of {total:,}…")
        builder.add(header_row + offset + 1, row)
    return builder.preview


class _PreviewBuilder:
    """An :class:`ImportPreview` built row by row, in sheet order.

    What concerns the whole file (the header row, the mapping, the date order) is settled
    from ``data`` when the builder is made: :func:`build_preview` passes the whole sheet;
    :func:`import_file` passes the rows read so far and checks at the end that the whole
    sheet settles them the same way (:func:`_file_notices`)."""

    def __init__(
        self,
        data: SheetData,
        profile: ImportProfile,
        repo: Repository | None,
        today: date,
        context: _Context | None = None,
    ) -> None:
        self.today = today
        self.profile = profile
        self.context = context = context or _Context(repo)
        self.header_row = profile.header_row or detect_header_row(data)
        columns = [c for c in profile.columns if c.target != SKIP]
        notices, order = _file_notices(data, profile, self.header_row)
        self.order = order
        self.readers = [_compile(c, profile, order, context, data.dropdowns) for c in columns]
        self.preview = ImportPreview(
            source=data.source,
            sheet=data.sheet,
            profile=profile,
            rows=[],
            notices=notices,
            empty_rows=0,
            date_order=order,
            measure_names={k: v[0] for k, v in context.measures.items()},
            audit_id=context.audit_id,
        )
        self.seen: dict[tuple[str, str], list[RowPlan]] = {}
        self.codes_seen: dict[str, tuple[RowPlan, tuple[str, str]]] = {}  # code -> row, key
        self.code_column = next(
            (r.display for r in self.readers if r.target == "participant_code"), None
        )

    def add(self, number: int, row: list[Any]) -> RowPlan | None:
        """Plan sheet row ``number``; None for an empty row."""
        preview = self.preview
        if not row or all(v is None for v in row):
            preview.empty_rows += 1
            return None
        plan = _plan_row(
            number, row, self.readers, self.profile, self.order, self.context, preview, self.today
        )
        if plan is None:
            preview.empty_rows += 1
            return None
        preview.rows.append(plan)
        if plan.skip_reason or plan.has_errors:
            return plan
        key = (_name_key(plan.values.get("first_name")), _name_key(plan.values.get("last_name")))
        code = plan.values.get("participant_code")
        if code and not self._same_code(plan, str(code), key):
            return plan  # the code belongs to someone else: an error on the row
        if plan.duplicate is None:
            _find_duplicate(plan, self.context, self.seen, key)
        if plan.duplicate is not None:
            plan.choice = self.profile.on_duplicate
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = [plan]
        else:
            earlier.append(plan)
        return plan

    def _same_code(self, plan: RowPlan, code: str, key: tuple[str, str]) -> bool:
        """A participant code already in the tracker or on an earlier row: the same person
        (same name) is a duplicate to merge; another name is an error on this row.  False
        for the error."""
        owner = self.context.codes.get(code)
        earlier = self.codes_seen.setdefault(code, (plan, key))
        if owner is not None:
            pid, their_key, their_name = owner
            if their_key == key:
                plan.duplicate = Duplicate(pid, None, plan.name, f"participant code {code}", code)
                return True
            message = f"belongs to {their_name} in the tracker"
        elif earlier[0] is not plan:
            earlier_plan, earlier_key = earlier
            if earlier_key == key:
                plan.duplicate = Duplicate(
                    None, earlier_plan.row, plan.name, f"participant code {code}"
                )
                return True
            message = f"is already on row {earlier_plan.row} ({earlier_plan.name})"
        else:
            return True
        plan.problems.append(
            RowProblem(
                plan.row,
                self.code_column,
                f"Participant code {code} {message}, not {plan.name}: fix the code or the name",
            )
        )
        return False


def _file_notices(
    data: SheetData, profile: ImportProfile, header_row: int
) -> tuple[list[RowProblem], DateOrder | None]:
    """The notices about the whole file, and the date order the rows are read with."""
    columns = [c for c in profile.columns if c.target != SKIP]
    notices: list[RowProblem] = []
    _check_mapping(columns, notices)

    # Group-header rows and stray values above the header row are not data.
    for number, row in enumerate(data.rows[: header_row - 1], start=1):
        cells = [
            f"{column_letter(i)}{number} = {parsing.clean_text(v)}"
            for i, v in enumerate(row)
            if v is not None
        ]
        if cells:
            notices.append(
                RowProblem(
                    number,
                    None,
                    f"Not imported: above the column names ({'; '.join(cells[:8])})",
                    "info",
                )
            )

    # Day/month order: stated in the profile, proven by the file, or asked for.
    date_columns = [c.index for c in columns if c.target in _DATE_FIELDS]
    order: DateOrder | None = profile.date_order
    if order is None:
        evidence = parsing.date_order_evidence(
            row[i] for row in data.rows[header_row:] for i in date_columns if i < len(row)
        )
        if evidence.conflicting:
            notices.append(
                RowProblem(
                    None,
                    None,
                    "The dates mix day/month/year and month/day/year: choose the order; rows "
                    "that do not fit it are shown as problems",
                    "warning",
                )
            )
        elif evidence.order is not None:
            order = evidence.order
            proving = evidence.day_first + evidence.month_first
            label = parsing.DATE_ORDER_LABELS[order]
            if evidence.ambiguous:  # the few that prove it decide how the rest are read
                notices.append(
                    RowProblem(
                        None,
                        None,
                        f"Dates read as {label}: {proving:,} date(s) only work that way (e.g. "
                        f"{evidence.proof}), so {evidence.ambiguous:,} that could be either "
                        f"(e.g. {evidence.example}) are read that way too. If those are typos, "
                        "choose the date order",
                        "warning",
                    )
                )
            else:
                notices.append(
                    RowProblem(
                        None,
                        None,
                        f"Dates read as {label}: other dates in the file only work that way",
                        "info",
                    )
                )
        if evidence.needs_choice:
            notices.append(
                RowProblem(
                    None,
                    None,
                    f"Dates like {evidence.example} could be day/month or month/day: choose the "
                    "date order (the wizard's Date order box, --date-order MDY or DMY on the "
                    'command line, or "date_order" in the profile)',
                    "error",
                )
            )
    notices.extend(_mixed_percent_notices(data, columns, header_row))
    return notices, order


def _mixed_percent_notices(
    data: SheetData, columns: list[ColumnMapping], header_row: int
) -> Iterator[RowProblem]:
    """A percent column holding both fractions (0.5) and points (50) is read one way only:
    say so, as for dates whose order a few cells decide."""
    for column in columns:
        spec = FIELD_BY_KEY.get(column.target)
        scale = column.options.get("percent", "auto")
        if spec is None or spec.kind != "percent" or scale == "auto":
            continue
        index = column.index
        numbers = [
            float(row[index])
            for row in data.rows[header_row:]
            if index < len(row) and type(row[index]) in (int, float)
        ]
        fraction = next((n for n in numbers if 0 < n < 1), None)
        points = next((n for n in numbers if n > 1), None)
        if fraction is None or points is None:
            continue
        if scale == "points":
            reading = f"{fraction:g} is read as {fraction:g}%, not {fraction * 100:g}%"
        else:
            reading = f"{points:g} is read as {points * 100:g}%, not {points:g}%"
        yield RowProblem(
            None,
            column.display,
            f"The column mixes fractions (e.g. {fraction:g}) and percentages (e.g. "
            f"{points:g}): {reading}. Check those cells, or write them as 50%",
            "warning",
        )


def _check_mapping(columns: list[ColumnMapping], notices: list[RowProblem]) -> None:
    targets: dict[str, list[str]] = {}
    for column in columns:
        targets.setdefault(column.target, []).append(column.display)
    for target, where in targets.items():
        if len(where) > 1:
            notices.append(
                RowProblem(
                    None,
                    None,
                    f"{target_label(target)} is mapped from {len(where)} columns "
                    f"({', '.join(where)}): map only one",
                    "error",
                )
            )
    mapped = set(targets)
    if not ({"first_name", "last_name"} <= mapped or "full_name" in mapped):
        notices.append(
            RowProblem(
                None,
                None,
                "Map the first and last name columns (or one full-name column): every "
                "participant needs a name",
                "error",
            )
        )


def _memoized(
    parse: Callable[[Any], Parsed[Any]], limit: int = 1000
) -> Callable[[Any], Parsed[Any]]:
    seen: dict[tuple[type, Any], Parsed[Any]] = {}

    def cached(value: Any) -> Parsed[Any]:
        key = (type(value), value)
        found = seen.get(key)
        if found is None:
            found = parse(value)  # a ParseError is not cached: it is raised every time
            if len(seen) < limit:
                seen[key] = found
        return found

    return cached


_FIELD, _OPTION, _BENEFITS, _OTHER = range(4)  # what a column's values go to


@dataclass(frozen=True, slots=True)
class _Reader:
    """One mapped column, ready to read cells: its parser and where the value goes."""

    index: int
    display: str
    target: str
    spec: FieldSpec | None
    kind: str
    parse: Callable[[Any], Parsed[Any]]
    options: Mapping[str, Any]
    choices: tuple[str, ...] = ()  # the column's dropdown list in the file, if any
    # Decided once per column rather than per cell:
    option_list: str | None = None  # an option field: the list its values are matched to
    benefits: bool = False  # a list of public benefits in one cell
    measure: tuple[str, str, Any] | None = None  # (measure key, time point, year)
    custom: str | None = None  # a custom field: its label
    custom_type: str = "text"  # the custom field's type as requested by the profile
    mode: int = 0  # _FIELD, _OPTION, _BENEFITS or _OTHER (a measure or a custom field)


def _compile(
    column: ColumnMapping,
    profile: ImportProfile,
    order: DateOrder | None,
    context: _Context,
    dropdowns: Mapping[int, list[str]],
) -> _Reader:
    target = column.target
    spec = FIELD_BY_KEY.get(target)
    if spec is not None:
        kind = spec.kind
    elif target.startswith("measure:"):
        unit = context.measures.get(target[8:].partition("@")[0], ("", None))[1] or ""
        kind = "money" if "$" in unit else "number"
    else:
        kind = str(column.options.get("type", "text"))
    decimal = profile.decimal
    parse: Callable[[Any], Parsed[Any]]
    if kind == "date":
        parse = functools.partial(parsing.parse_date, order=order)
    elif kind == "money":
        parse = functools.partial(parsing.parse_money, decimal=decimal)
    elif kind == "number":
        parse = functools.partial(parsing.parse_number, decimal=decimal)
    elif kind == "percent":
        parse = functools.partial(
            parsing.parse_percent, scale=column.options.get("percent", "auto")
        )
    elif kind == "yesno":
        yes = frozenset(
            w.strip().lower() for w in column.options.get("yes_words", profile.yes_words)
        )
        no = frozenset(w.strip().lower() for w in column.options.get("no_words", profile.no_words))
        parse = functools.partial(parsing.parse_yes_no, yes_words=yes, no_words=no)
    else:
        parse = parsing.parse_text
    # Parsers are pure: a value met before (a program, a Yes, a date, a first name) is
    # answered from the column's memo instead of being parsed again.  Dates and amounts
    # repeat over a few thousand values; free text may never repeat, so its memo stays
    # small (memory stays bounded on wide files of notes or e-mails).
    parse = _memoized(parse, 20_000 if kind in ("date", "money") else 2_000)
    measure: tuple[str, str, Any] | None = None
    custom: str | None = None
    option_list = spec.option_list if spec is not None and spec.kind == "option" else None
    mode = _OTHER
    if spec is not None:
        mode = _OPTION if option_list else _BENEFITS if spec.kind == "benefits" else _FIELD
    if spec is None and target.startswith("measure:"):
        key, _, point = target[8:].partition("@")
        measure = (key, point, column.options.get("year"))
    elif spec is None:
        custom = target[7:].strip()
    return _Reader(
        column.index,
        column.display,
        target,
        spec,
        kind,
        parse,
        column.options,
        tuple(dropdowns.get(column.index, ())) if kind in ("text", "option") else (),
        option_list=option_list,
        benefits=spec is not None and spec.kind == "benefits",
        measure=measure,
        custom=custom,
        custom_type=str(column.options.get("type", "text")),
        mode=mode,
    )


def _plan_row(
    number: int,
    row: list[Any],
    columns: list[_Reader],
    profile: ImportProfile,
    order: DateOrder | None,
    context: _Context,
    preview: ImportPreview,
    today: date,
) -> RowPlan | None:
    plan = RowPlan(number)
    values = plan.values
    rules = plan.rules
    where: dict[str, str] = {}  # field -> column display
    unreadable: set[str] = set()  # fields whose cell could not be parsed
    any_value = False
    width = len(row)
    for column in columns:
        index = column.index
        if index >= width:
            continue
        raw = row[index]
        if raw is None:
            continue
        any_value = True
        try:
            parsed = column.parse(raw)
        except ParseError as exc:
            plan.problems.append(RowProblem(number, column.display, str(exc)))
            unreadable.add(column.target)
            continue
        value: Any = parsed.value
        if value is None:
            continue
        display = column.display
        choices = column.choices
        if choices and str(value) not in choices:
            plan.problems.append(
                RowProblem(
                    number,
                    display,
                    f"{value!r} is not one of the file's dropdown choices for this column "
                    f"({', '.join(choices)}): imported as written",
                    "warning",
                )
            )
        rules[display] = parsed.rule
        mode = column.mode
        if mode == _FIELD:
            target = column.target
            values[target] = value
            where[target] = display
        elif mode == _OPTION:
            option_list = column.option_list or ""
            matched = context.match(option_list, str(value))
            value = matched.value
            if matched.rule != "list value":
                rules[display] = matched.rule
            if matched.rule == "not in the list":
                new = preview.new_options.setdefault(option_list, [])
                if value not in new:
                    new.append(value)
                plan.problems.append(
                    RowProblem(
                        number,
                        display,
                        f"{value!r} is not in the {option_list.replace('_', ' ')} "
                        "list: it will be added",
                        "warning",
                    )
                )
            target = column.target
            values[target] = value
            where[target] = display
        elif mode == _BENEFITS:
            names = [n.strip() for n in re.split(r"[,;/]", str(value)) if n.strip()]
            target = column.target
            values[target] = [
                parsing.match_option(n, context.options.get("benefits", [])).value for n in names
            ]
            where[target] = display
        elif column.measure is not None:
            key, point, year = column.measure
            plan.measures.append((key, point, float(value), year))
        else:
            label = column.custom or ""
            field_type = column.custom_type
            existing = context.custom.get(label.lower())
            if existing is None:
                preview.new_custom_fields.setdefault(label, field_type)
            else:
                field_type = existing[1]
            plan.custom[label] = (field_type, _custom_text(value, field_type))
    if not any_value:
        return None
    if "full_name" in values:
        first, last, rule = _split_name(str(values.pop("full_name")))
        values.setdefault("first_name", first)
        values.setdefault("last_name", last)
        where.setdefault("first_name", where.get("full_name", ""))
        where.setdefault("last_name", where.get("full_name", ""))
        rules[where.get("full_name", "name")] = rule
    if not (values.get("first_name") or values.get("last_name") or values.get("participant_code")):
        shown = [parsing.clean_text(v) for v in row if v is not None]
        plan.skip_reason = (
            "no name, looks like an example or placeholder row"
            f" ({', '.join(str(s) for s in shown[:5])})"
        )
        plan.problems = [RowProblem(number, None, f"Skipped: {plan.skip_reason}", "info")]
        return plan
    _validate(plan, where, context, today, unreadable)
    return plan


def _split_name(text: str) -> tuple[str, str, str]:
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip(), "name split as 'Last, First'"
    parts = text.split()
    if len(parts) == 1:
        return parts[0], "", "one word: used as the first name"
    return " ".join(parts[:-1]), parts[-1], "name split as 'First Last'"


def _custom_text(value: Any, field_type: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return validation.show(value)
    return str(value)


_PARTICIPANT_CHECKED = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "email",
    "program",
    "enrolled_on",
    "exited_on",
    "exit_reason",
    "progress_pct",
)


def _validate(
    plan: RowPlan,
    where: dict[str, str],
    context: _Context,
    today: date,
    unreadable: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    values = plan.values
    settings = context.checks

    def add(problems: list[validation.Problem], targets: Mapping[str, str] | None = None) -> None:
        for problem in problems:
            target = (targets or {}).get(problem.field, problem.field)
            if target in unreadable:
                continue  # its cell's parse error says it already ("... is required" would not)
            column = where.get(target)
            if problem.field == "name" and targets:
                column = where.get(targets.get("name", ""))
            plan.problems.append(RowProblem(plan.row, column, problem.message, problem.severity))

    # The validation.*_ok fast paths say "nothing to report" for the common clean row;
    # otherwise the full rules run and give the messages.
    if not validation.participant_ok(values, today):  # reads only _PARTICIPANT_CHECKED keys
        participant = {k: values.get(k) for k in _PARTICIPANT_CHECKED}
        add(validation.validate_participant(participant, settings, today))
    birth = values.get("date_of_birth")

    job = plan.job = job_values(values)
    if job is not None and validation.job_ok(job, context.wage_ceiling, birth):
        pass
    elif job is not None:
        job_problems = validation.validate_job(job, settings, birth)
        if values.get("employed") is True or "employer_benefits" in job:
            job_problems = [p for p in job_problems if p.field != "employer"]
        add(
            job_problems,
            {"started_on": "job_started_on", "ended_on": "job_ended_on", "title": "job_title"},
        )
    if job is not None:
        if values.get("employed") is False:
            plan.problems.append(
                RowProblem(
                    plan.row,
                    where.get("employed"),
                    "Employed is No but job details are filled in: the job is recorded as "
                    "ended (end date: the day of the import)",
                    "warning",
                )
            )
    else:
        leftover = [
            f"{where.get(k, FIELD_BY_KEY[k].label)}: {'Yes' if values[k] else 'No'}"
            for k in ("employer_benefits",)
            if k in values
        ]
        if leftover:
            plan.leftovers.extend(leftover)
            plan.problems.append(
                RowProblem(
                    plan.row,
                    where.get("employer_benefits"),
                    "No job on this row (Employed is not Yes and there is no wage, date or "
                    "employer): the answer is kept in a case note",
                    "warning",
                )
            )
    credentials = 0
    for kind, name_key, date_key in (
        ("certification", "certification", "certification_on"),
        ("degree", "degree", "degree_on"),
    ):
        credential = credential_values(values, kind)
        credentials += credential is not None
        if credential is None:
            if date_key in values:
                plan.problems.append(
                    RowProblem(
                        plan.row,
                        where.get(date_key),
                        f"A {kind} date without a {kind} name",
                        "error",
                    )
                )
            continue
        plan.credentials.append(credential)
        earned = credential.get("earned_on")
        if isinstance(earned, date) and earned > today:
            credential["expected"] = True
            plan.problems.append(
                RowProblem(
                    plan.row,
                    where.get(date_key),
                    f"{credential['name']} on {earned.isoformat()} is in the future: "
                    "recorded as expected",
                    "warning",
                )
            )
        if not validation.credential_ok(credential, context.gpa_scale, birth, today):
            add(
                validation.validate_credential(credential, settings, birth, today),
                {"name": name_key, "earned_on": date_key},
            )
    if "gpa" in values and not credentials:
        add(validation.check_gpa(values["gpa"], float(settings.get("gpa_scale", 4.0))))
        plan.leftovers.append(f"GPA: {validation.show(values['gpa'])}")
        plan.problems.append(
            RowProblem(
                plan.row,
                where.get("gpa"),
                "A GPA without a degree or certification: kept in a case note",
                "warning",
            )
        )
    if "promotion_title" in values or "promoted_on" in values:
        promotion = {
            "title": values.get("promotion_title"),
            "promoted_on": values.get("promoted_on"),
        }
        if not validation.promotion_ok(promotion, birth):
            add(
                validation.validate_promotion(promotion, birth),
                {"title": "promotion_title", "promoted_on": "promoted_on"},
            )
    barrier = plan.barrier = barrier_values(values)
    if barrier is not None and not validation.barrier_ok(barrier, today):
        add(
            validation.validate_barrier(barrier, today),
            {"barrier_type": "barrier_type", "resolved_on": "barrier_resolved_on"},
        )


_JOB_FIELDS = (  # job column <- row field
    ("employer", "employer"),
    ("title", "job_title"),
    ("started_on", "job_started_on"),
    ("ended_on", "job_ended_on"),
    ("hourly_wage", "hourly_wage"),
    ("hours_per_week", "hours_per_week"),
)


def job_values(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The job a row describes, or None when it describes none."""
    job: dict[str, Any] = {}
    for key, source in _JOB_FIELDS:
        value = values.get(source)
        if value is not None:
            job[key] = value
    if not job and values.get("employed") is not True:
        return None
    if "employer_benefits" in values:
        job["employer_benefits"] = values["employer_benefits"]
    return job


def credential_values(values: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    name = values.get(kind)
    if not name:
        return None
    credential: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "earned_on": values.get(f"{kind}_on"),
        "expected": False,
    }
    has_degree = bool(values.get("degree"))
    if "gpa" in values and (kind == "degree" or not has_degree):
        credential["gpa"] = values["gpa"]
    return credential


def barrier_values(values: Mapping[str, Any]) -> dict[str, Any] | None:
    expunged = values.get("barriers_expunged")
    if "barrier_type" not in values and expunged is None:
        return None
    status = "Expunged" if expunged is True else "Open"
    if expunged is None:
        status = "Resolved" if values.get("barrier_resolved_on") else "Open"
    return {
        "barrier_type": values.get("barrier_type") or "Other",
        "status": status,
        "resolved_on": values.get("barrier_resolved_on"),
    }


def _find_duplicate(
    plan: RowPlan,
    context: _Context,
    seen: dict[tuple[str, str], list[RowPlan]],
    key: tuple[str, str],
) -> None:
    if key not in context.by_name and key not in seen:
        return  # the common case: a name met for the first time
    birth = plan.values.get("date_of_birth")
    enrolled = plan.values.get("enrolled_on")
    name = plan.name
    for pid, code, their_birth, their_enrolled in context.by_name.get(key, []):
        if birth is not None and birth == their_birth:
            plan.duplicate = Duplicate(pid, None, name, f"birth date {birth}", code)
            return
        if enrolled is not None and enrolled in their_enrolled:
            plan.duplicate = Duplicate(pid, None, name, f"enrollment date {enrolled}", code)
            return
    for earlier in seen.get(key, []):
        if birth is not None and birth == earlier.values.get("date_of_birth"):
            plan.duplicate = Duplicate(None, earlier.row, name, f"birth date {birth}")
            return
        if enrolled is not None and enrolled == earlier.values.get("enrolled_on"):
            plan.duplicate = Duplicate(None, earlier.row, name, f"enrollment date {enrolled}")
            return


# --- writing ----------------------------------------------------------------------------
@dataclass
class ImportResult:
    batch_id: int
    created: int
    updated: int
    skipped: int
    source_name: str

    def line(self) -> str:
        if not self.batch_id:
            return (
                f"Nothing to import from {self.source_name}: no rows to create or update "
                f"({self.skipped} skipped); nothing was written"
            )
        return (
            f"Imported {self.source_name}: {self.created} created, {self.updated} updated, "
            f"{self.skipped} skipped (import #{self.batch_id}; undo it on the Import screen or "
            f"with tracker-desktop undo-import {self.batch_id})"
        )


def _report(progress: ProgressCallback, done: int, total: int, label: str) -> None:
    if progress(done, total, label) is False:
        raise ImportCancelledError()


@functools.cache
def _table_order() -> tuple[str, ...]:
    """Table names, parents before children (``sorted_tables`` sorts anew on every call).
    Plain str: SQLAlchemy's quoted_name (a str subclass) binds slowly."""
    return tuple(str(t.name) for t in schema.metadata.sorted_tables)


class _Bulk:
    """Collects inserts per table with ids assigned up front, then hands each table's rows
    to an :class:`InsertThread` (the import's fast path: SQLite writes them while this
    thread plans the next rows).  Call :meth:`sync` before using the connection directly.

    Audit: a participant created by the import gets ONE audit row holding the whole record
    (its fields and every row added under it); a row added to an existing record gets its
    own audit row, as :meth:`Writer.insert` would write.  Every one carries the batch id.
    """

    def __init__(self, tx: Writer, inserts: InsertThread) -> None:
        self.tx = tx
        self.inserts = inserts
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.next_id: dict[str, int] = {}
        self.created: dict[int, dict[str, Any]] = {}  # participant id -> audit summary
        self.dialect = tx.conn.dialect

    def sync(self) -> None:
        """Wait until everything handed over is written (raises what failed)."""
        self.inserts.wait()

    def add(self, table: str, values: dict[str, Any]) -> int:
        """Queue ``values`` (a fresh dict, taken over: its id is set here) for ``table``."""
        row_id = self.next_id.get(table)
        if row_id is None:
            t = schema.metadata.tables[table]
            self.sync()
            highest = self.tx.conn.execute(select(func.max(t.c.id))).scalar()
            row_id = int(highest or 0) + 1
        self.next_id[table] = row_id + 1
        values["id"] = row_id
        rows = self.rows.get(table)
        if rows is None:
            rows = self.rows[table] = []
        rows.append(values)
        if table == "participants":
            self.created[row_id] = {}
        return row_id

    def _write(self, name: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
        """Insert ``rows``; return the column names and the values as stored (dates as
        ISO text, booleans as 1/0), which the audit summaries reuse."""
        table = schema.metadata.tables[name]
        # Column names in first-seen order; most rows share one of a few shapes.
        shapes = dict.fromkeys(tuple(row) for row in rows)
        keys = list(dict.fromkeys(key for shape in shapes for key in shape))
        if len(shapes) == 1:
            params = [list(row.values()) for row in rows]
        else:
            params = [[row.get(k) for k in keys] for row in rows]
        for position, key in enumerate(keys):
            column_type = table.c[key].type
            proc = column_type._cached_bind_processor(self.dialect)
            if proc is None:
                continue
            if type(column_type) is Date:  # ISO text, as the dialect stores a date
                for values in params:
                    value = values[position]
                    if value is not None:
                        values[position] = value.isoformat() if type(value) is date else proc(value)
                continue
            last: Any = None
            stored: Any = None
            for values in params:
                value = values[position]
                if value is not None:
                    if value is not last:  # timestamps and flags repeat row after row
                        last, stored = value, proc(value)
                    values[position] = stored
        self.inserts.insert(name, keys, params)
        return keys, params

    def flush(self) -> None:
        order = [name for name in _table_order() if name in self.rows]
        audit: list[tuple[Any, ...]] = []
        batch_id = self.tx.import_batch_id
        to_db = schema.audit_log.c.at.type._cached_bind_processor(self.dialect)
        at = to_db(self.tx.at) if to_db is not None else self.tx.at
        own: list[tuple[str, int, int | None, dict[str, Any]]] = []
        created = self.created
        for name in order:
            keys, stored = self._write(name, self.rows.pop(name))
            skip = {"id", "participant_id"}
            id_at = keys.index("id")
            kept = [(i, k) for i, k in enumerate(keys) if k not in skip]
            if name == "participants":
                for values in stored:
                    row_id = values[id_at]
                    record = created[row_id]
                    record.update((k, values[i]) for i, k in kept if values[i] is not None)
                    own.append((name, row_id, row_id, record))
                continue
            owner_at = keys.index("participant_id") if "participant_id" in keys else None
            for values in stored:
                summary = {k: values[i] for i, k in kept if values[i] is not None}
                owner = values[owner_at] if owner_at is not None else None
                holder = created.get(owner) if owner is not None else None
                if holder is not None:
                    children = holder.get(name)
                    if children is None:
                        holder[name] = [summary]
                    else:
                        children.append(summary)
                else:
                    own.append((name, values[id_at], owner, summary))
        staff, reason, encode = self.tx.staff, self.tx.reason, _audit_json
        audit = [
            (at, staff, "insert", name, row_id, owner, encode(summary), reason, batch_id)
            for name, row_id, owner, summary in own
        ]
        self.created = {}
        self.inserts.insert("audit_log", _AUDIT_COLUMNS, audit)


_AUDIT_COLUMNS = (
    "at",
    "staff",
    "action",
    "table_name",
    "row_id",
    "participant_id",
    "new_value",
    "reason",
    "import_batch_id",
)


def _audit_json_encoder() -> Callable[[Any], str]:
    """The audit summaries' JSON encoder: orjson, which encodes a created participant's
    record in 0.6 µs where ``json.dumps`` takes 7 µs (0.06 s of a 10k-row import); the
    standard library's encoder (the same JSON, spaced) if orjson is missing."""
    try:
        import orjson
    except ImportError:
        return json.JSONEncoder(ensure_ascii=False, default=str).encode
    dumps = orjson.dumps
    # Like json.dumps(default=str): datetimes as str() gives them, int keys as text.
    option = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def encode(value: Any) -> str:
        return dumps(value, default=str, option=option).decode()

    return encode


_audit_json = _audit_json_encoder()


@_without_gc
def run_import(
    repo: Repository,
    preview: ImportPreview,
    progress: ProgressCallback | None = None,
    today: date | None = None,
) -> ImportResult:
    """Write the previewed rows as ONE batch: all of them or, on any failure or cancel,
    none.  Refuses while rows are rejected (fix them, or set ``skip_invalid``)."""
    if preview.blocking:
        raise ImportFileError(
            f"{preview.count('reject')} row(s) have problems that block the import; fix them or "
            "choose to skip them"
        )
    plans = preview.rows
    total = sum(1 for plan in plans if plan.action(preview.skip_invalid) in ("create", "update"))
    if not total:  # a sheet of headers only, or every row skipped: no empty batch to undo
        return _nothing_imported(preview)
    with (
        repo.transaction(reason=f"import of {preview.source_name}") as tx,
        _roomy_cache(tx),
        _BatchWriter(tx, preview, today or date.today()) as writer,
    ):
        for start in range(0, len(plans), 250):
            if progress is not None:
                done = writer.created + writer.updated
                _report(progress, done, total, f"Importing row {done + 1:,} of {total:,}…")
            writer.write(plans[start : start + 250])
        if progress is not None:
            _report(progress, total, total, "Saving…")
        return writer.finish()


# Page cache while an import batch is written (KiB, SQLite's negative cache_size): a 10k-row
# batch (~8 MB of pages) then stays in memory until the commit, instead of spilling pages
# half-way (each spill encrypts and writes them, and pages spilled early are written again).
# Measured on 10,000 rows: the write 0.47 -> 0.38 s CPU.  Put back to the connection's own
# size once the batch is written.
_IMPORT_CACHE_KIB = 32_768


@contextlib.contextmanager
def _roomy_cache(tx: Writer) -> Iterator[None]:
    raw = tx.conn.exec_driver_sql
    usual = raw("PRAGMA cache_size").scalar()
    raw(f"PRAGMA cache_size = -{_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        raw(f"PRAGMA cache_size = {int(usual or -2000)}")


class _BatchWriter:
    """Writes planned rows into one open transaction as one import batch.

    :func:`run_import` hands it every row of a finished preview; :func:`import_file` hands
    it rows while the rest of the sheet is still being read.  Either way the rows go in
    sheet order, so both write the same records.  Use it as a context manager, inside the
    transaction: leaving it stops its insert thread (before a commit or a rollback)."""

    def __init__(self, tx: Writer, preview: ImportPreview, today: date) -> None:
        from tracker_desktop.core.insert_thread import InsertThread

        self.tx = tx
        self.preview = preview
        self.today = today
        if preview.audit_id is not None and _changed_since_preview(tx.conn, preview.audit_id):
            raise ImportFileError(
                "The tracker changed after the file was checked (another import, or someone "
                "saving names, enrollments or list values): nothing was imported. Check the "
                "file again, then import."
            )
        self.batch_id = batch_id = int(
            tx.conn.execute(
                insert(schema.import_batches).values(
                    imported_at=tx.at,
                    staff=tx.staff,
                    source_name=preview.source_name,
                    sheet=preview.sheet,
                    created_count=0,
                    updated_count=0,
                    status="imported",
                    profile=json.dumps(preview.profile.to_json(), ensure_ascii=False),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        tx.import_batch_id = batch_id
        tx.audit("insert", "import_batches", batch_id, None, new=preview.source_name)
        self.custom_ids = _ensure_custom_fields(tx, preview)
        self.measure_ids = {
            r.key: r.id
            for r in tx.conn.execute(select(schema.measures.c.key, schema.measures.c.id))
        }
        self.prefix = str(tx.setting("participant_code_prefix", "P-"))
        self.next_code = int(tx.next_participant_code()[len(self.prefix) :])
        self.row_to_pid: dict[int, int] = {}
        self.created = self.updated = self.skipped = 0
        # Last: nothing above may fail with the thread started (__exit__ would not run).
        self.inserts = InsertThread(tx.conn.connection.dbapi_connection)
        self.bulk = _Bulk(tx, self.inserts)

    def write(self, plans: Iterable[RowPlan]) -> None:
        """Write ``plans`` (rows to skip are counted, never written)."""
        tx, bulk, preview, today = self.tx, self.bulk, self.preview, self.today
        custom_ids = self.custom_ids
        for plan in plans:
            action = plan.action(preview.skip_invalid)
            if action not in ("create", "update"):
                self.skipped += action == "skip"
                continue
            if plan.custom:  # custom fields first seen in the rows read since the last call
                custom_ids = self._custom_ids()
            target_pid: int | None = None
            if action == "update" and plan.duplicate is not None:
                target_pid = plan.duplicate.participant_id or self.row_to_pid.get(
                    plan.duplicate.row or -1
                )
            if target_pid is None:
                profile_values = {k: plan.values[k] for k in _PROFILE_KEYS if k in plan.values}
                code = profile_values.pop("participant_code", None)
                if plan.duplicate is not None:  # created anyway: its code is taken
                    code = None if plan.duplicate.matched_on.startswith("participant") else code
                if not code:
                    code = f"{self.prefix}{self.next_code:05d}"
                    self.next_code += 1
                pid = bulk.add(
                    "participants",
                    {
                        "participant_code": code,
                        "created_at": tx.at,
                        "updated_at": tx.at,
                        "import_batch_id": self.batch_id,
                        **profile_values,
                    },
                )
                self.created += 1
                _add_children(bulk, pid, plan, preview, custom_ids, self.measure_ids, today, None)
                if self.created % _FLUSH_EVERY == 0:
                    bulk.flush()  # in small batches: see _FLUSH_EVERY
            else:
                bulk.flush()  # the record may have been created earlier in this batch
                bulk.sync()
                pid = target_pid
                _merge(tx, pid, plan)
                _add_children(bulk, pid, plan, preview, custom_ids, self.measure_ids, today, tx)
                bulk.flush()
                self.updated += 1
            self.row_to_pid[plan.row] = pid

    def _custom_ids(self) -> dict[str, int]:
        """Custom field ids by lower-case label, with the preview's new fields created."""
        if any(label.lower() not in self.custom_ids for label in self.preview.new_custom_fields):
            self.bulk.sync()
            self.custom_ids = _ensure_custom_fields(self.tx, self.preview)
        return self.custom_ids

    def finish(self) -> ImportResult:
        """Write what is still queued, the new list values and the batch's counts."""
        tx, preview = self.tx, self.preview
        self.bulk.flush()
        self._custom_ids()  # also the ones seen only on skipped rows
        self.bulk.sync()
        for list_name, values in preview.new_options.items():
            start = tx.conn.execute(
                select(func.coalesce(func.max(schema.option_items.c.position), -1)).where(
                    schema.option_items.c.list_name == list_name
                )
            ).scalar_one()
            for offset, value in enumerate(values, start=1):
                tx.insert(
                    schema.option_items,
                    {
                        "list_name": list_name,
                        "value": value,
                        "position": int(start) + offset,
                        "active": True,
                    },
                )
        tx.conn.execute(
            update(schema.import_batches)
            .where(schema.import_batches.c.id == self.batch_id)
            .values(created_count=self.created, updated_count=self.updated)
        )
        return ImportResult(
            self.batch_id, self.created, self.updated, self.skipped, preview.source_name
        )

    def __enter__(self) -> _BatchWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.inserts.close()


# Created participants are written (with every row under them and their audit rows) every
# this many rows.  Measured on 10,000 rows: one flush at the end 0.40 s, every 250 rows
# 0.35 s.  SQLite's share stays the same (0.13 s); the flush's own Python work (binding
# values, audit summaries) drops from 0.16 to 0.11 s, most likely because it runs on rows built
# moments before, still in the CPU cache.  Every 50 rows is slower again (more statements).
_FLUSH_EVERY = 250

_PROFILE_KEYS = ("participant_code", *PROFILE_FIELDS)


def _ensure_custom_fields(tx: Writer, preview: ImportPreview) -> dict[str, int]:
    """Ids of the custom fields by lower-case label, with the preview's new ones created."""
    fields = schema.custom_fields
    new = preview.new_custom_fields
    existing = {r.label.lower(): r.id for r in tx.conn.execute(select(fields.c.id, fields.c.label))}
    keys = {r[0] for r in tx.conn.execute(select(fields.c.key))}
    position = int(
        tx.conn.execute(select(func.coalesce(func.max(fields.c.position), -1))).scalar_one()
    )
    for label, field_type in new.items():
        if label.lower() in existing:
            continue
        key = base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "field"
        number = 2
        while key in keys:
            key, number = f"{base}_{number}", number + 1
        keys.add(key)
        position += 1
        existing[label.lower()] = tx.insert(
            fields,
            {
                "key": key,
                "label": label,
                "field_type": field_type,
                "position": position,
                "active": True,
            },
        )
    return existing


def _merge(tx: Writer, pid: int, plan: RowPlan) -> None:
    values = {
        k: plan.values[k]
        for k in _PROFILE_KEYS
        if k in plan.values and k != "participant_code" and plan.values[k] is not None
    }
    p = schema.participants
    current = tx.conn.execute(select(p.c.first_name, p.c.last_name).where(p.c.id == pid)).one()
    for key, theirs in (("first_name", current.first_name), ("last_name", current.last_name)):
        if key in values and _name_key(values[key]) == _name_key(theirs):
            del values[key]  # "ana RIVERA" matched Ana Rivera: keep the tracker's spelling
    if values:
        changed = tx.update(p, pid, values)
        if changed:
            tx.update(p, pid, {"updated_at": tx.at})


def _existing(tx: Writer | None, table: str, pid: int) -> list[dict[str, Any]]:
    if tx is None:
        return []
    return [dict(r) for r in tx.conn.execute(_rows_of(table), {"pid": pid}).mappings()]


@functools.cache
def _custom_value_of() -> Select[Any]:
    t = schema.custom_values
    return select(t.c.id, t.c.value).where(
        t.c.participant_id == bindparam("pid"), t.c.field_id == bindparam("field")
    )


@functools.cache
def _rows_of(table: str) -> Select[Any]:
    """SELECT a participant's rows of ``table`` (built once; the merge path runs it for
    every row it merges)."""
    t = schema.metadata.tables[table]
    return select(t).where(t.c.participant_id == bindparam("pid"))


def _already(existing: list[dict[str, Any]], row: Mapping[str, Any], keys: Sequence[str]) -> bool:
    return any(all(e.get(k) == row.get(k) for k in keys) for e in existing)


def _add_children(
    bulk: _Bulk,
    pid: int,
    plan: RowPlan,
    preview: ImportPreview,
    custom_ids: Mapping[str, int],
    measure_ids: Mapping[str, int],
    today: date,
    merging: Writer | None,
) -> None:
    values = plan.values

    def add(table: str, row: dict[str, Any], keys: Sequence[str]) -> None:
        row["participant_id"] = pid
        if merging is not None and _already(_existing(merging, table, pid), row, keys):
            return
        bulk.add(table, row)

    if values.get("program") or values.get("enrolled_on"):
        add(
            "enrollments",
            {
                "program": values.get("program"),
                "enrolled_on": values.get("enrolled_on"),
                "progress_pct": values.get("progress_pct"),
                "exited_on": values.get("exited_on"),
                "exit_reason": values.get("exit_reason"),
            },
            ("program", "enrolled_on"),
        )
    job = plan.job
    if job is not None:
        row = {"is_entry_job": False, **job}
        if values.get("employed") is False and row.get("ended_on") is None:
            row["ended_on"] = today
        add("jobs", row, ("started_on", "hourly_wage", "employer", "title"))
    if values.get("promotion_title"):
        add(
            "promotions",
            {"title": values["promotion_title"], "promoted_on": values.get("promoted_on")},
            ("title", "promoted_on"),
        )
    for checked in plan.credentials:
        credential = dict(checked)
        earned = credential.get("earned_on")
        if isinstance(earned, date) and earned > today:
            credential["expected"] = True
        add("credentials", credential, ("kind", "name", "earned_on"))
    for benefit in values.get("public_benefits") or []:
        add("participant_benefits", {"benefit": benefit}, ("benefit",))
    if plan.barrier is not None:
        add("legal_barriers", dict(plan.barrier), ("barrier_type", "status", "resolved_on"))
    for key, point, number, year in plan.measures:
        if key not in measure_ids:
            continue
        add(
            "measurements",
            {
                "measure_id": measure_ids[key],
                "time_point": point,
                "measured_on": date(year, 12, 31) if year else None,
                "value": number,
            },
            ("measure_id", "time_point"),
        )
    for label, (_type, text) in plan.custom.items():
        field_id = custom_ids.get(label.lower())
        if field_id is None:
            continue
        if merging is not None:
            t = schema.custom_values
            current = merging.conn.execute(
                _custom_value_of(), {"pid": pid, "field": field_id}
            ).first()
            if current is not None:
                if current.value != text:
                    merging.update(t, int(current.id), {"value": text})
                continue
        bulk.add("custom_values", {"participant_id": pid, "field_id": field_id, "value": text})
    note_lines = list(plan.leftovers)
    if values.get("note"):
        note_lines.insert(0, str(values["note"]))
    if note_lines:
        body = "\n".join(note_lines)
        if plan.leftovers:
            body += f"\n(imported from {preview.source_name}, row {plan.row})"
        add(
            "notes",
            {"noted_on": today, "author": bulk.tx.staff, "body": body},
            ("body",),
        )


# --- batches and undo -------------------------------------------------------------------
@dataclass(frozen=True)
class BatchInfo:
    id: int
    imported_at: datetime
    staff: str | None
    source_name: str
    sheet: str | None
    created: int
    updated: int
    status: str

    @property
    def undo_label(self) -> str:
        people = self.created + self.updated
        return (
            f"Undo import of {self.source_name}, {people} participant{'s' if people != 1 else ''}"
        )

    @property
    def can_undo(self) -> bool:
        return self.status == "imported"


def list_batches(repo: Repository) -> list[BatchInfo]:
    b = schema.import_batches
    with repo.reading() as conn:
        return [
            BatchInfo(
                r.id,
                r.imported_at,
                r.staff,
                r.source_name,
                r.sheet,
                r.created_count,
                r.updated_count,
                r.status,
            )
            for r in conn.execute(select(b).order_by(b.c.id.desc()))
        ]


def get_batch(repo: Repository, batch_id: int) -> BatchInfo:
    for batch in list_batches(repo):
        if batch.id == batch_id:
            return batch
    raise ImportFileError(f"There is no import #{batch_id}")


def edited_since_import(repo: Repository, batch_id: int) -> int:
    """How many of the batch's participants were changed after the import."""
    log = schema.audit_log
    with repo.reading() as conn:
        last = conn.execute(
            select(func.max(log.c.id)).where(log.c.import_batch_id == batch_id)
        ).scalar()
        if last is None:
            return 0
        pids = select(schema.participants.c.id).where(
            schema.participants.c.import_batch_id == batch_id
        )
        return int(
            conn.execute(
                select(func.count(func.distinct(log.c.participant_id))).where(
                    log.c.id > last, log.c.participant_id.in_(pids)
                )
            ).scalar_one()
        )


def undo_import(
    repo: Repository, batch_id: int, progress: ProgressCallback | None = None
) -> BatchInfo:
    """Take a batch back out in one transaction: participants it created are deleted
    (with everything under them), rows it added to existing records are deleted and the
    fields it changed get their old values back."""
    batch = get_batch(repo, batch_id)
    if not batch.can_undo:
        raise ImportFileError(f"Import #{batch_id} ({batch.source_name}) was already undone")
    log = schema.audit_log
    with repo.transaction(reason=f"undo import of {batch.source_name}") as tx:
        tx.import_batch_id = batch_id
        conn: Connection = tx.conn
        entries = list(
            conn.execute(
                select(log.c.action, log.c.table_name, log.c.row_id, log.c.field, log.c.old_value)
                .where(log.c.import_batch_id == batch_id, log.c.action.in_(("insert", "update")))
                .order_by(log.c.id.desc())
            )
        )
        created = [
            int(r[0])
            for r in conn.execute(
                select(schema.participants.c.id).where(
                    schema.participants.c.import_batch_id == batch_id
                )
            )
        ]
        created_set = set(created)
        settings_rows: list[tuple[Any, dict[str, Any]]] = []
        total = len(entries)
        for done, entry in enumerate(entries):
            if progress is not None and done % 500 == 0:
                _report(progress, done, total, f"Undoing {done + 1:,} of {total:,}…")
            table = schema.metadata.tables.get(entry.table_name)
            if table is None or entry.row_id is None or table.name == "import_batches":
                continue
            if table.name == "participants" and entry.action == "insert":
                continue  # deleted below, all at once
            exists = (
                conn.execute(select(table).where(table.c.id == entry.row_id)).mappings().first()
            )
            if exists is None:
                continue
            owner = exists.get("participant_id")
            if owner in created_set:
                continue  # goes with its participant
            if entry.action == "insert":
                if table.name in ("custom_fields", "option_items"):
                    settings_rows.append((table, dict(exists)))
                    continue
                tx.delete(table, int(entry.row_id))
            elif entry.field:
                tx.update(
                    table,
                    int(entry.row_id),
                    {entry.field: _from_audit(table, entry.field, entry.old_value)},
                )
        p = schema.participants
        if created:
            audit_rows = [
                {
                    "at": tx.at,
                    "staff": tx.staff,
                    "action": "delete",
                    "table_name": "participants",
                    "row_id": pid,
                    "participant_id": pid,
                    "field": None,
                    "old_value": None,
                    "new_value": None,
                    "reason": tx.reason,
                    "import_batch_id": batch_id,
                }
                for pid in created
            ]
            conn.execute(insert(log), audit_rows)
            for start in range(0, len(created), 500):
                chunk = created[start : start + 500]
                conn.execute(p.delete().where(p.c.id.in_(chunk)))
        for table, row in settings_rows:  # new custom fields go if nothing uses them now
            if not _in_use(conn, table.name, row):
                tx.delete(table, int(row["id"]))
        conn.execute(
            update(schema.import_batches)
            .where(schema.import_batches.c.id == batch_id)
            .values(status="undone")
        )
    return get_batch(repo, batch_id)


def _in_use(conn: Connection, table: str, row: Mapping[str, Any]) -> bool:
    if table == "custom_fields":
        values = schema.custom_values
        return bool(
            conn.execute(
                select(func.count()).select_from(values).where(values.c.field_id == row["id"])
            ).scalar_one()
        )
    return True  # list values stay in Settings (other records may use them)


def _from_audit(table: Any, field_name: str, text: str | None) -> Any:
    if text is None:
        return None
    column_type = type(table.c[field_name].type).__name__
    if column_type == "Date":
        return date.fromisoformat(text)
    if column_type == "DateTime":
        return datetime.fromisoformat(text)
    if column_type == "Boolean":
        return text == "yes"
    if column_type == "Float":
        return float(text)
    if column_type == "Integer":
        return int(text)
    return text


# --- one call for the CLI ---------------------------------------------------------------
@_without_gc
def prepare(
    path: Path,
    repo: Repository | None,
    profile: ImportProfile | None = None,
    sheet: str | None = None,
    date_order: DateOrder | None = None,
    progress: ProgressCallback | None = None,
    today: date | None = None,
) -> ImportPreview:
    """Read, map (the profile, or suggestions) and preview in one go."""
    data = read_table(path, sheet or (profile.sheet if profile else None), progress)
    mapped = _mapping_for(data, profile, date_order)
    return build_preview(data, mapped, repo, today, progress)


def _mapping_for(
    data: SheetData, profile: ImportProfile | None, date_order: DateOrder | None
) -> ImportProfile:
    mapped = apply_profile(data, profile) if profile is not None else suggest_profile(data)
    if date_order is not None:
        mapped.date_order = date_order
    return mapped


# --- one-shot import ----------------------------------------------------------------------
# Rows read before the mapping and the date order are settled for the streamed import
# (the suggestions look at up to 200 values of a column); the whole sheet is checked
# against them at the end.
_SETTLE_ROWS = _CHUNK_ROWS


@_without_gc
def import_file(
    path: Path,
    repo: Repository,
    profile: ImportProfile | None = None,
    sheet: str | None = None,
    date_order: DateOrder | None = None,
    progress: ProgressCallback | None = None,
    today: date | None = None,
    streamed: bool | None = None,
    skip_invalid: bool = False,
) -> tuple[ImportPreview, ImportResult | None]:
    """:func:`prepare`, then :func:`run_import` unless the preview blocks: the command
    line's import.  Returns the preview and the result (None when nothing was written).

    An .xlsx is read in a child process (:mod:`forked_stream`) while this one checks and
    writes, in the batch's transaction, the rows already read: the import then takes
    little longer than reading the file.  What depends on the whole sheet (the header row,
    the mapping, the date order) is settled from the first rows and checked against the
    whole sheet at the end; where the whole sheet says otherwise, or a row blocks the
    import, the transaction is rolled back and the sheet already read is previewed (and
    written) as :func:`prepare` and :func:`run_import` would.  ``streamed``: None = where a
    child can be forked (:func:`forked_stream.available`).  ``skip_invalid``: leave out the
    rows with errors instead of refusing the file."""
    from tracker_desktop.core import forked_stream

    path = Path(path)
    today = today or date.today()
    if streamed is None:
        streamed = forked_stream.available()
    if streamed and path.suffix.lower() in (".xlsx", ".xlsm") and path.exists():
        try:
            return _streamed_import(
                path, repo, profile, sheet, date_order, progress, today, skip_invalid
            )
        except forked_stream.ChildStreamError:
            pass  # the child died (rolled back): read in this process instead
    preview = prepare(path, repo, profile, sheet, date_order, progress, today)
    return _write_unless_blocked(repo, preview, skip_invalid, progress, today)


def _write_unless_blocked(
    repo: Repository,
    preview: ImportPreview,
    skip_invalid: bool,
    progress: ProgressCallback | None,
    today: date,
) -> tuple[ImportPreview, ImportResult | None]:
    """The step-by-step end of :func:`import_file`: write the preview unless it blocks."""
    preview.skip_invalid = skip_invalid
    if preview.blocking:
        return preview, None
    return preview, run_import(repo, preview, progress, today)


def _nothing_imported(preview: ImportPreview) -> ImportResult:
    skipped = sum(1 for plan in preview.rows if plan.action(preview.skip_invalid) == "skip")
    return ImportResult(0, 0, 0, skipped, preview.source_name)


class _Unsettled(Exception):
    """Raised in the streamed import's transaction to roll it back."""


def _streamed_import(
    path: Path,
    repo: Repository,
    profile: ImportProfile | None,
    sheet: str | None,
    date_order: DateOrder | None,
    progress: ProgressCallback | None,
    today: date,
    skip_invalid: bool,
) -> tuple[ImportPreview, ImportResult | None]:
    from tracker_desktop.core.forked_stream import ForkedStream

    sheet = sheet or (profile.sheet if profile else None)
    with ForkedStream(_xlsx_parts_settled, path, sheet, profile, date_order) as stream:
        context = _Context(repo)  # while the child opens the workbook
        parts = iter(stream)
        data: SheetData = next(parts)
        data.dropdowns = _dropdowns(path, data.sheet_xml)  # while the child reads rows
        rows = data.rows
        verdict: _Verdict | None = None
        for item in parts:  # the rows to settle on (the same ones the child settles on)
            if isinstance(item, _Verdict):
                verdict = item
                break
            rows.extend(item)
            if len(rows) >= _SETTLE_ROWS:
                break
        mapped = _mapping_for(data, profile, date_order)
        builder = _PreviewBuilder(data, mapped, repo, today, context)
        preview = builder.preview
        preview.skip_invalid = skip_invalid
        planned = builder.header_row  # rows[planned:] are still to plan
        settled = False
        nothing: ImportResult | None = None
        try:
            with (
                repo.transaction(reason=f"import of {preview.source_name}") as tx,
                _roomy_cache(tx),
                _BatchWriter(tx, preview, today) as writer,
            ):
                blocked = preview.blocking  # a notice that blocks: only check the rows

                def plan_and_write() -> None:
                    nonlocal planned, blocked
                    end = len(rows)
                    while end > planned and not rows[end - 1]:
                        end -= 1  # trailing empty rows count only when data follows them
                    start = len(preview.rows)
                    for number in range(planned, end):
                        builder.add(number + 1, rows[number])
                    planned = max(planned, end)
                    new = preview.rows[start:]
                    skip_invalid = preview.skip_invalid
                    blocked = blocked or any(p.action(skip_invalid) == "reject" for p in new)
                    if not blocked:  # once a row blocks the import the rest is only checked
                        writer.write(new)
                    if progress is not None:
                        _report(progress, len(rows), 0, f"Importing row {len(rows):,}…")

                plan_and_write()
                while verdict is None:
                    item = next(parts)
                    if isinstance(item, _Verdict):
                        verdict = item
                    else:
                        rows.extend(item)
                        plan_and_write()
                _drop_trailing_blanks(rows)
                data.stopped_at = verdict.stopped_at
                if (stop := _stop_notice(data)) is not None:
                    preview.notices.append(stop)
                settled = verdict.settled
                if not settled or blocked:
                    raise _Unsettled()
                if not writer.created and not writer.updated:
                    nothing = _nothing_imported(preview)
                    raise _Unsettled()
                if progress is not None:
                    _report(progress, len(rows), len(rows), "Saving…")
                return preview, writer.finish()
        except _Unsettled:
            pass  # rolled back
    if nothing is not None:
        return preview, nothing
    if settled:  # and blocked: nothing written, the preview says why
        return preview, None
    # The whole sheet settles the mapping or the date order differently: start again from
    # the rows already read, as prepare() would have.
    preview = build_preview(data, _mapping_for(data, profile, date_order), repo, today, progress)
    return _write_unless_blocked(repo, preview, skip_invalid, progress, today)


@dataclass(frozen=True)
class _Verdict:
    """The reading process's last word: does the whole sheet settle the mapping and the
    date order as the first rows did?"""

    settled: bool
    stopped_at: int | None = None  # see SheetData.stopped_at


def _settled(
    data: SheetData, profile: ImportProfile | None, date_order: DateOrder | None
) -> tuple[ImportProfile, list[RowProblem], DateOrder | None]:
    """The mapping, the file's notices and the date order that ``data`` settles."""
    mapping = _mapping_for(data, profile, date_order)
    notices, order = _file_notices(data, mapping, mapping.header_row or detect_header_row(data))
    return mapping, notices, order


def _xlsx_parts_settled(
    path: Path, sheet: str | None, profile: ImportProfile | None, date_order: DateOrder | None
) -> Iterator[Any]:
    """:func:`_xlsx_parts`, then a :class:`_Verdict`: worked out in the reading process,
    which is idle by then while the importing one still writes the last rows."""
    parts = _xlsx_parts(path, sheet, dropdowns=False)  # the importing process reads those
    data: SheetData = next(parts)
    yield data
    first = None
    for chunk in parts:
        data.rows.extend(chunk)
        yield chunk
        if first is None and len(data.rows) >= _SETTLE_ROWS:
            first = _settled(data, profile, date_order)
    if first is None:  # a short sheet: settled on all of it, as it came
        first = _settled(data, profile, date_order)
    _drop_trailing_blanks(data.rows)
    yield _Verdict(_settled(data, profile, date_order) == first, data.stopped_at)
