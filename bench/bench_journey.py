"""Journey and follow-up speed on a 10k-participant demo tracker.

    python -m bench.bench_journey [--participants 10000] [--runs 5]

Measured (median of ``--runs``):

* ``follow-ups due/overdue``: ``journey.followups_due`` (the Follow-ups screen's query with
  contact details), against a bare SQL count of the same pending rows;
* ``journey tab data``: what the Journey tab reads for one participant (timeline, trigger
  check, assessments, weekly hours with cap warnings), against a bare read of that
  participant's stage_history rows;
* ``exit + follow-up schedule``: ``journey.exit_participant`` in one transaction (update,
  stage close, four follow-ups, audit rows), against a bare one-row update in a
  transaction;
* ``re-sync all follow-ups``: ``journey.set_followup_days`` re-syncing every exited
  enrollment's pending follow-ups (run on a copy, rolled back), against a bare read of
  those enrollments.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_PASSWORD, demo_tracker, line


def _median(work: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class _Rollback(Exception):
    pass


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from sqlalchemy import func, select, text

    from tracker_desktop.core import demo, journey, schema
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    source = demo_tracker(args.participants)
    size = f"{args.participants // 1000}k"
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench.tracker"
        shutil.copy(source, copy)
        with Vault.open(copy, BENCH_PASSWORD) as vault:
            repo = Repository(vault, "Bench")
            as_of = demo.DEMO_TODAY

            def bare_due() -> None:
                f = schema.followups
                with repo.reading() as conn:
                    conn.execute(
                        select(func.count())
                        .select_from(f)
                        .where(f.c.status == "due", f.c.due_on <= as_of)
                    ).scalar()

            lists = journey.followups_due(repo, as_of)
            results["followups_due_s"] = _median(
                lambda: journey.followups_due(repo, as_of), args.runs
            )
            base = _median(bare_due, args.runs)
            print(
                line(
                    f"follow-ups due/overdue, {size} ({len(lists.overdue)} overdue)",
                    results["followups_due_s"] * 1000,
                    "ms",
                    "bare SQL count",
                    base * 1000,
                )
            )

            with repo.reading() as conn:
                pid = int(
                    conn.execute(select(schema.weekly_hours.c.participant_id).limit(1)).scalar_one()
                )

            def journey_tab() -> None:
                spans = journey.timeline(repo, pid)
                if spans:
                    journey.check_trigger(repo, pid, spans[-1].stage)
                journey.list_assessments(repo, pid)
                journey.list_weekly_hours(repo, pid)

            def bare_history() -> None:
                with repo.reading() as conn:
                    conn.execute(
                        text("SELECT * FROM stage_history WHERE participant_id = :p"), {"p": pid}
                    ).all()

            results["journey_tab_s"] = _median(journey_tab, args.runs)
            base = _median(bare_history, args.runs)
            print(
                line(
                    f"journey tab data for one participant, {size}",
                    results["journey_tab_s"] * 1000,
                    "ms",
                    "bare stage_history read",
                    base * 1000,
                )
            )

            with repo.reading() as conn:
                active = list(
                    conn.execute(
                        select(schema.enrollments.c.participant_id)
                        .where(schema.enrollments.c.exited_on.is_(None))
                        .limit(args.runs * 2)
                    ).scalars()
                )
            people = iter(active)

            def exit_one() -> None:
                with repo.transaction() as tx:
                    journey.exit_participant(tx, next(people), date(2026, 11, 30), "Graduated")

            def bare_update() -> None:
                with repo.transaction() as tx:
                    tx.conn.execute(text("UPDATE settings SET value = value WHERE key = 'app'"))

            results["exit_s"] = _median(exit_one, args.runs)
            base = _median(bare_update, args.runs)
            print(
                line(
                    f"exit + follow-up schedule, {size}",
                    results["exit_s"] * 1000,
                    "ms",
                    "bare one-row write transaction",
                    base * 1000,
                )
            )

            def resync() -> None:
                try:
                    with repo.transaction() as tx:
                        journey.set_followup_days(tx, [30, 60, 180, 365])
                        raise _Rollback()
                except _Rollback:
                    pass

            def bare_enrollments() -> None:
                with repo.reading() as conn:
                    conn.execute(
                        text("SELECT * FROM followups WHERE enrollment_id IN "
                             "(SELECT id FROM enrollments WHERE exited_on IS NOT NULL)")
                    ).all()  # fmt: skip

            results["resync_s"] = _median(resync, max(1, args.runs // 2))
            base = _median(bare_enrollments, args.runs)
            print(
                line(
                    f"re-sync all pending follow-ups after a schedule change, {size}",
                    results["resync_s"],
                    "s",
                    "bare read of those follow-ups",
                    base,
                )
            )
    return results


if __name__ == "__main__":
    main()
