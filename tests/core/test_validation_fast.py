"""The importer's fast validation paths never hide a problem the full rules report.

``validation.*_ok`` may only say True when the matching ``validate_*`` returns no problem;
every combination of typical and edge values below is checked against the full rules.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from tracker_desktop.core import validation

TODAY = date(2026, 12, 3)
DATES: tuple[Any, ...] = (
    None,
    date(1990, 1, 1),
    date(2024, 1, 3),
    date(2030, 1, 1),
    datetime(2024, 1, 3),
    "2024-01-03",
    "",
)
TEXTS: tuple[Any, ...] = ("Ana", None, "", "  ", 5)


def _agree(ok: bool, problems: list[validation.Problem], case: object) -> int:
    assert not (ok and problems), (case, problems)
    return int(ok)


def test_participant_ok_matches_validate_participant() -> None:
    fast = 0
    for first, program, birth, enrolled, exited, pct, reason, email in itertools.product(
        TEXTS[:3],
        ("Pipeline", None),
        DATES,
        DATES,
        DATES[:4],
        (None, 50.0, 150.0, -1, True, "50"),
        (None, "Completed", " "),
        (None, "a@b.org", "bad"),
    ):
        values = {
            "first_name": first,
            "last_name": "Reyes",
            "program": program,
            "date_of_birth": birth,
            "enrolled_on": enrolled,
            "exited_on": exited,
            "progress_pct": pct,
            "exit_reason": reason,
            "email": email,
        }
        fast += _agree(
            validation.participant_ok(values, TODAY),
            validation.validate_participant(values, None, TODAY),
            values,
        )
    assert fast > 100  # the fast path is taken for clean rows


def test_job_ok_matches_validate_job() -> None:
    fast = 0
    for employer, started, ended, wage, hours, birth in itertools.product(
        TEXTS,
        DATES,
        DATES[:4],
        (None, 14.5, -3.0, 99.0, "14", False),
        (None, 40.0, 200.0, -1),
        DATES[:3],
    ):
        values = {"employer": employer, "started_on": started, "ended_on": ended}
        values |= {"hourly_wage": wage, "hours_per_week": hours}
        ceiling = 75.0
        fast += _agree(
            validation.job_ok(values, ceiling, birth),
            validation.validate_job(values, {"wage_ceiling": ceiling}, birth),
            (values, birth),
        )
    assert fast > 100


def test_credential_promotion_and_barrier_ok_match_the_full_rules() -> None:
    fast = 0
    for name, kind, earned, expected, gpa, birth in itertools.product(
        TEXTS,
        ("certification", "degree", "badge"),
        DATES,
        (False, True, "yes"),
        (None, 3.5, 7.0, -1.0, "3"),
        DATES[:3],
    ):
        values = {"name": name, "kind": kind, "earned_on": earned, "expected": expected}
        values["gpa"] = gpa
        fast += _agree(
            validation.credential_ok(values, 4.0, birth, TODAY),
            validation.validate_credential(values, {"gpa_scale": 4.0}, birth, TODAY),
            (values, birth),
        )
    for title, promoted, birth in itertools.product(TEXTS, DATES, DATES):
        values = {"title": title, "promoted_on": promoted}
        fast += _agree(
            validation.promotion_ok(values, birth),
            validation.validate_promotion(values, birth),
            (values, birth),
        )
    for barrier_type, resolved in itertools.product(TEXTS, DATES):
        values = {"barrier_type": barrier_type, "resolved_on": resolved}
        fast += _agree(
            validation.barrier_ok(values, TODAY),
            validation.validate_barrier(values, TODAY),
            values,
        )
    assert fast > 100
