"""Participants table speed (DESIGN.md section 8): load and a filter keystroke at 100k.

    python -m bench.bench_table [--participants 100000] [--vault PATH] [--runs 5]

With ``--vault`` the password comes from TRACKER_PASSWORD; otherwise the cached demo
tracker of bench/common.py is used (built once).

* load: the ONE aggregate tracker query into per-column lists (``load_tracker``) plus the
  model reset, against the bare baseline of fetching id/code/first/last of every
  participant (the least any list of participants must read);
* keystroke: typing in the search box of the real ParticipantsPage (offscreen), timed from
  the key event to the count label being updated, for a first letter (full scan), a second
  letter (narrowing), a participant code, then a program filter change and a click-sort by
  hourly wage.  Target: under 0.1 s per keystroke at 100k.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_PASSWORD, demo_tracker, line, machine

KEYSTROKE_TARGET = 0.1


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--vault", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from sqlalchemy import text

    from tracker_desktop.core import participants as core
    from tracker_desktop.core.vault import Vault
    from tracker_desktop.ui.app import make_application
    from tracker_desktop.ui.participants_page import ParticipantsPage, TrackerTableModel
    from tracker_desktop.ui.session import Session

    if args.vault:
        path, password = args.vault, os.environ.get("TRACKER_PASSWORD", "")
    else:
        path, password = demo_tracker(args.participants), BENCH_PASSWORD
    app = make_application([])
    vault = Vault.open(path, password)
    session = Session()
    session.open(vault, "Bench")
    repo = session.require_repo()
    results: dict[str, Any] = {"machine": machine(), "vault": str(path)}

    bare = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with repo.reading() as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, participant_code, first_name, last_name FROM participants"
            ).fetchall()
        bare.append(time.perf_counter() - started)
    count = len(rows)
    query = []
    for _ in range(args.runs):
        started = time.perf_counter()
        core.load_tracker(repo)
        query.append(time.perf_counter() - started)
    label = f"{count // 1000}k" if count >= 1000 else str(count)

    from tracker_desktop.ui.tasks import TaskRunner

    TaskRunner.synchronous = True  # time the load itself (the app runs it in the background)
    page = ParticipantsPage(session)
    page.resize(1280, 800)
    page.show()
    app.processEvents()
    loads = []
    for _ in range(args.runs):
        started = time.perf_counter()
        page.reload()
        app.processEvents()
        loads.append(time.perf_counter() - started)
    reset = []
    for _ in range(args.runs):
        started = time.perf_counter()
        page.model.set_tracker(page.model.data_)
        app.processEvents()
        reset.append(time.perf_counter() - started)

    def keystrokes(texts: list[str]) -> list[float]:
        times = []
        page.search.clear()
        app.processEvents()
        for chunk in texts:
            started = time.perf_counter()
            QTest.keyClicks(page.search, chunk)
            app.processEvents()
            times.append(time.perf_counter() - started)
        return times

    first, second, code_key = [], [], []
    for _ in range(args.runs):
        one, two = keystrokes(["a", "n"])
        first.append(one)
        second.append(two)
        code_key.append(keystrokes(["p-0004"])[0] / len("p-0004"))
    page.search.clear()
    program = []
    for index in (1, 0) * args.runs:
        started = time.perf_counter()
        page.program_filter.setCurrentIndex(index)
        app.processEvents()
        program.append(time.perf_counter() - started)
    sort = []
    order = Qt.SortOrder.AscendingOrder
    for _ in range(args.runs):
        page.model._orders.clear()  # the first sort by a column builds its order
        started = time.perf_counter()
        page.table.sortByColumn(TrackerTableModel.COL_WAGE, order)
        app.processEvents()
        sort.append(time.perf_counter() - started)
    resort = []
    for index in range(args.runs):
        started = time.perf_counter()
        page.table.sortByColumn(
            TrackerTableModel.COL_WAGE,
            Qt.SortOrder.DescendingOrder if index % 2 == 0 else Qt.SortOrder.AscendingOrder,
        )
        app.processEvents()
        resort.append(time.perf_counter() - started)
    assert page.proxy.data(page.proxy.index(0, TrackerTableModel.COL_WAGE), 0)
    with repo.reading() as conn:
        total = conn.execute(text("SELECT count(*) FROM participants")).scalar_one()

    figures = {
        "participants": int(total),
        "bare_read_s": _median(bare),
        "tracker_query_s": _median(query),
        "page_reload_s": _median(loads),
        "model_reset_s": _median(reset),
        "keystroke_first_s": _median(first),
        "keystroke_narrowing_s": _median(second),
        "keystroke_code_s": _median(code_key),
        "program_filter_s": _median(program),
        "sort_wage_uncached_s": _median(sort),
        "sort_wage_cached_s": _median(resort),
    }
    import resource

    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.update(figures)
    print(f"machine: {results['machine']}")
    base = figures["bare_read_s"]
    print(
        line(f"tracker query, {label}", figures["tracker_query_s"], "s", "bare id/name read", base)
    )
    print(
        line(
            f"page load (query + model), {label}",
            figures["page_reload_s"],
            "s",
            "bare id/name read",
            base,
        )
    )
    print(line(f"model reset, {label}", figures["model_reset_s"], "s", "target", 0.1))
    for key, name in (
        ("keystroke_first_s", "filter keystroke (first letter)"),
        ("keystroke_narrowing_s", "filter keystroke (second letter)"),
        ("keystroke_code_s", "filter keystroke (typing a code)"),
        ("program_filter_s", "program filter change"),
        ("sort_wage_uncached_s", "sort by wage (first time)"),
        ("sort_wage_cached_s", "sort by wage (reverse)"),
    ):
        print(line(f"{name}, {label}", figures[key], "s", "target", KEYSTROKE_TARGET))
    print(
        line(f"peak memory (whole process), {label}", figures["peak_rss_mb"], "MB", "target", 400)
    )
    page.clear()
    session.lock()
    return results


if __name__ == "__main__":
    main()
