"""Funder workbook export speed (DESIGN.md section 8): 10k participants.

    python -m bench.bench_export [--participants 10000] [--runs 3]

Baseline: XlsxWriter writing the same Tracker cells bare (the same Python values, one
``write_row`` per participant, no formats, validations, names, formulas or charts, in
memory).  Measured:

* ``tracker sheet``: our Tracker sheet writer (typed cells, number formats, group header,
  dropdowns, named ranges) building a workbook of that one sheet -- the like-for-like
  comparison with the baseline (target 1.5x);
* ``full workbook``: the whole funder workbook (Tracker, seven detail sheets, Dashboard
  with live formulas and native charts, Definitions), also against XlsxWriter writing all
  the same data-sheet cells bare;
* ``collect``: reading the vault, running the metrics engine and preparing the rows.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_PASSWORD, demo_tracker, line


def _bare(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> float:
    import xlsxwriter

    started = time.perf_counter()
    output = io.BytesIO()
    wb = xlsxwriter.Workbook(output, {"in_memory": True})
    for title, headers, rows in sheets:
        ws = wb.add_worksheet(title)
        ws.write_row(0, 0, headers)
        for r, values in enumerate(rows, 1):
            ws.write_row(r, 0, values)
    wb.close()
    return time.perf_counter() - started


def _python_rows(sheet: Any) -> tuple[str, list[str], list[list[Any]]]:
    """The sheet's cells as plain Python values (str, float, datetime or None)."""
    import pandas as pd

    frame = sheet.frame
    columns = []
    for col in sheet.columns:
        values = frame[col.key].tolist() if col.key in frame else [None] * len(frame)
        clean = []
        for v in values:
            if v is None or v is pd.NaT or (isinstance(v, float) and v != v):
                clean.append(None)
            elif isinstance(v, pd.Timestamp):
                clean.append(v.to_pydatetime())
            elif isinstance(v, bool):
                clean.append("Yes" if v else "No")
            else:
                try:
                    if pd.isna(v):
                        clean.append(None)
                        continue
                except (TypeError, ValueError):
                    pass
                clean.append(v if isinstance(v, str | float | int) else str(v))
        columns.append(clean)
    rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
    return sheet.title, [c.header for c in sheet.columns], rows


def _tracker_only(data: Any) -> float:
    import xlsxwriter

    from tracker_desktop.core import workbook as wbmod

    started = time.perf_counter()
    output = io.BytesIO()
    wb = xlsxwriter.Workbook(output, wbmod.WORKBOOK_OPTIONS)
    fmt = wbmod.Formats(wb)
    ws = wb.add_worksheet("Tracker")
    sheet = wbmod.SheetData("Tracker", data.tracker_columns, data.tracker)
    wbmod.write_data_sheet(wb, ws, fmt, sheet, data.options, grouped=True)
    wb.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from tracker_desktop.core import workbook
    from tracker_desktop.core.metrics import Filters
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    path = demo_tracker(args.participants)
    with Vault.open(path, BENCH_PASSWORD) as vault:
        repo = Repository(vault, "Bench")
        started = time.perf_counter()
        data = workbook.collect_export_data(repo, Filters())
        collect = time.perf_counter() - started

    tracker = workbook.SheetData("Tracker", data.tracker_columns, data.tracker)
    tracker_rows = [_python_rows(tracker)]
    all_rows = tracker_rows + [_python_rows(s) for s in data.details]
    cells = sum(len(rows) * len(headers) for _t, headers, rows in tracker_rows)
    all_cells = sum(len(rows) * len(headers) for _t, headers, rows in all_rows)

    def best(fn: Any) -> float:
        return statistics.median(fn() for _ in range(args.runs))

    bare_tracker = best(lambda: _bare(tracker_rows))
    ours_tracker = best(lambda: _tracker_only(data))
    bare_all = best(lambda: _bare(all_rows))

    def full() -> float:
        started = time.perf_counter()
        workbook.build_workbook_bytes(data)
        return time.perf_counter() - started

    ours_full = best(full)
    n = f"{args.participants // 1000}k" if args.participants >= 1000 else str(args.participants)
    lines = [
        line(
            f"export tracker sheet, {n} ({cells:,} cells)",
            ours_tracker,
            "s",
            "bare XlsxWriter, same Tracker cells",
            bare_tracker,
        ),
        line(
            f"export full workbook, {n} ({all_cells:,} data cells + Dashboard)",
            ours_full,
            "s",
            "bare XlsxWriter, same data cells",
            bare_all,
        ),
        line(
            f"export full workbook vs bare Tracker cells, {n}",
            ours_full,
            "s",
            "bare XlsxWriter, same Tracker cells",
            bare_tracker,
        ),
        f"collect (read vault + metrics + rows), {n}: {collect:.3g} s",
    ]
    for text in lines:
        print(text)
    return {
        "participants": args.participants,
        "tracker_cells": cells,
        "all_cells": all_cells,
        "tracker_s": ours_tracker,
        "bare_tracker_s": bare_tracker,
        "tracker_ratio": ours_tracker / bare_tracker,
        "full_s": ours_full,
        "bare_all_s": bare_all,
        "full_ratio": ours_full / bare_all,
        "full_vs_bare_tracker_ratio": ours_full / bare_tracker,
        "collect_s": collect,
    }


if __name__ == "__main__":
    main()
