"""The tracker as CSV: one row per participant, the workbook's Tracker columns.

UTF-8 with a byte-order mark so Excel opens accented, CJK and Arabic names correctly.
Text that a spreadsheet would run as a formula (starting with ``= + - @``, or a tab /
carriage return) is prefixed with an apostrophe, so a name like ``=HYPERLINK(...)`` stays
text (OWASP "CSV injection").  Numbers are written as numbers, dates as ISO dates.
"""

from __future__ import annotations

import csv
import math
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tracker_desktop.core.workbook import (
    ExportCancelledError,
    ExportData,
    ProgressCallback,
    check_progress,
)

FORMULA_STARTERS = ("=", "+", "-", "@", "\t", "\r")


def safe_csv_text(text: str) -> str:
    """``text`` made inert for spreadsheets: a leading formula character gets a ``'``."""
    if text.startswith(FORMULA_STARTERS):
        return "'" + text
    return text


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, datetime) and value != value:  # pandas NaT (a datetime): blank
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if kind == "percent" and isinstance(value, int | float):
        return f"{float(value):.4f}".rstrip("0").rstrip(".")
    if kind == "money" and isinstance(value, int | float):
        return f"{float(value):.2f}"
    if isinstance(value, int | float):
        return (
            repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
        )
    return safe_csv_text(str(value))


def write_tracker_csv(
    data: ExportData, path: Path, progress: ProgressCallback | None = None
) -> int:
    """Write the Tracker rows of ``data`` to ``path``; returns the number of rows.

    The file is written next to ``path`` and renamed into place, so a cancelled or failed
    export never leaves a half-written CSV behind.
    """
    columns = data.tracker_columns
    frame = data.tracker
    total = len(frame)
    partial = path.with_name(path.name + ".partial")
    kinds = [col.kind for col in columns]
    try:
        with partial.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
            writer.writerow([safe_csv_text(col.header) for col in columns])
            values = [
                frame[col.key].tolist() if col.key in frame else [None] * total for col in columns
            ]
            for index in range(total):
                writer.writerow([_cell(values[c][index], kinds[c]) for c in range(len(columns))])
                if index % 2000 == 0:
                    check_progress(progress, index, total, "Writing CSV rows")
            handle.flush()
            os.fsync(handle.fileno())
        check_progress(progress, total, total, "CSV written")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return total


__all__ = ["ExportCancelledError", "safe_csv_text", "write_tracker_csv"]
