"""Every field rule of core/validation, with the message a person reads."""

from __future__ import annotations

from datetime import date

import pytest

from tracker_desktop.core import validation as v
from tracker_desktop.core.validation import Problem

TODAY = date(2026, 12, 1)


def fields(problems: list[Problem]) -> dict[str, Problem]:
    return {p.field: p for p in problems}


def valid_participant(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "first_name": "Ana",
        "last_name": "Rivera",
        "date_of_birth": "1990-05-04",
        "program": "Pipeline",
        "enrolled_on": "2024-01-03",
        "progress_pct": "50",
    }
    values.update(changes)
    return values


def test_a_complete_participant_has_no_problems() -> None:
    assert v.validate_participant(valid_participant(), {}, TODAY) == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("first_name", "First name is required"),
        ("last_name", "Last name is required"),
        ("enrolled_on", "Date of enrollment is required"),
        ("program", "Program is required"),
    ],
)
def test_required_fields(field: str, message: str) -> None:
    for blank in (None, "", "   "):
        problems = fields(v.validate_participant(valid_participant(**{field: blank}), {}, TODAY))
        assert problems[field].message == message
        assert problems[field].is_error


def test_dates_must_be_real() -> None:
    problems = fields(
        v.validate_participant(valid_participant(date_of_birth="1990-02-30"), {}, TODAY)
    )
    assert problems["date_of_birth"].message.startswith(
        "Date of birth is not a real date (got 1990-02-30)"
    )
    problems = fields(v.validate_participant(valid_participant(enrolled_on="soon"), {}, TODAY))
    assert "not a real date (got soon)" in problems["enrolled_on"].message


def test_dates_accept_iso_and_us_forms() -> None:
    assert v.parse_date("2024-01-03") == date(2024, 1, 3)
    assert v.parse_date("1/3/2024") == date(2024, 1, 3)
    assert v.parse_date("1/3/24") == date(2024, 1, 3)
    assert v.parse_date(" ") is None
    with pytest.raises(ValueError):
        v.parse_date("13/45/2024")


def test_birth_date_not_in_the_future() -> None:
    problems = fields(
        v.validate_participant(valid_participant(date_of_birth="2030-01-01"), {}, TODAY)
    )
    assert problems["date_of_birth"].message == "Date of birth (2030-01-01) is after today"


def test_enrollment_not_before_birth() -> None:
    problems = fields(
        v.validate_participant(
            valid_participant(date_of_birth="2000-01-01", enrolled_on="1999-12-31"), {}, TODAY
        )
    )
    assert problems["enrolled_on"].message == (
        "Date of enrollment (1999-12-31) is before the date of birth (2000-01-01)"
    )


def test_exit_not_before_enrollment() -> None:
    problems = fields(v.validate_participant(valid_participant(exited_on="2023-12-01"), {}, TODAY))
    assert problems["exited_on"].message == (
        "Exit date (2023-12-01) is before the date of enrollment (2024-01-03)"
    )


def test_exit_reason_without_exit_date_is_a_warning() -> None:
    problems = fields(
        v.validate_participant(valid_participant(exit_reason="Moved away"), {}, TODAY)
    )
    assert problems["exited_on"].severity == "warning"


def test_percent_between_0_and_100() -> None:
    assert v.check_percent("100") == []
    assert v.check_percent(0) == []
    assert (
        v.check_percent("120")[0].message == "Program progress must be between 0 and 100% (got 120)"
    )
    assert v.check_percent(-1)[0].is_error
    assert "must be a percentage" in v.check_percent("half")[0].message
    assert v.check_percent("50%") == []


def test_wage_not_negative_and_warn_above_ceiling() -> None:
    assert v.check_wage("14.50", 75) == []
    assert v.check_wage("$14.50", 75) == []
    negative = v.check_wage("-3", 75)[0]
    assert negative.is_error and negative.message == "Hourly wage cannot be negative (got -3)"
    high = v.check_wage(120, 75)[0]
    assert high.severity == "warning"
    assert "$120.00 is above $75.00 an hour" in high.message
    assert v.check_wage(120, 150) == []
    assert "must be an amount" in v.check_wage("lots", 75)[0].message


def test_wage_ceiling_comes_from_settings() -> None:
    job = {"employer": "Cafe", "hourly_wage": "60"}
    assert v.validate_job(job, {"wage_ceiling": 75}) == []
    assert fields(v.validate_job(job, {"wage_ceiling": 50}))["hourly_wage"].severity == "warning"


def test_gpa_on_the_configured_scale() -> None:
    assert v.check_gpa("3.5") == []
    assert v.check_gpa(7)[0].message == "GPA must be between 0 and 4 (got 7)"
    assert v.check_gpa(-0.1)[0].is_error
    assert v.check_gpa(4.5, 5.0) == []
    assert v.check_gpa("A+")[0].message == "GPA must be a number (got A+)"
    cred = {"kind": "degree", "name": "AA", "earned_on": "2024-05-01", "gpa": "4.5"}
    assert fields(v.validate_credential(cred, {"gpa_scale": 4}, today=TODAY))["gpa"].message == (
        "GPA must be between 0 and 4 (got 4.5)"
    )
    assert v.validate_credential(cred, {"gpa_scale": 5}, today=TODAY) == []


def test_employment_not_before_birth_and_end_after_start() -> None:
    job = {"employer": "Cafe", "started_on": "1989-01-01", "ended_on": "1988-01-01"}
    problems = fields(v.validate_job(job, {}, birth=date(1990, 5, 4)))
    assert problems["started_on"].message == (
        "Start date (1989-01-01) is before the date of birth (1990-05-04)"
    )
    assert problems["ended_on"].message == (
        "End date (1988-01-01) is before the start date (1989-01-01)"
    )


def test_job_needs_something_and_sane_hours() -> None:
    assert fields(v.validate_job({}, {}))["employer"].is_error
    problems = fields(v.validate_job({"employer": "Cafe", "hours_per_week": "200"}, {}))
    assert (
        problems["hours_per_week"].message == "Hours per week must be between 0 and 112 (got 200)"
    )


def test_degree_date_in_future_only_if_expected() -> None:
    future = {"kind": "degree", "name": "BA", "earned_on": "2027-06-01"}
    problem = fields(v.validate_credential(future, {}, today=TODAY))["earned_on"]
    assert "is in the future" in problem.message and "Expected" in problem.message
    assert v.validate_credential({**future, "expected": True}, {}, today=TODAY) == []
    assert v.validate_credential({**future, "expected": "yes"}, {}, today=TODAY) == []


def test_credential_not_before_birth_and_named() -> None:
    cred = {"kind": "certification", "name": "", "earned_on": "1980-01-01"}
    problems = fields(v.validate_credential(cred, {}, birth=date(1990, 1, 1), today=TODAY))
    assert problems["name"].message == "Credential name is required"
    assert "before the date of birth" in problems["earned_on"].message
    assert fields(v.validate_credential({"name": "X", "kind": "diploma"}, {}, today=TODAY))["kind"]


def test_other_lists() -> None:
    assert v.validate_promotion({"title": "", "promoted_on": "2024-02-30"})
    assert fields(v.validate_barrier({"barrier_type": "Eviction", "resolved_on": "2099-01-01"}))
    assert fields(v.validate_note({"noted_on": "2024-01-01", "body": " "}))["body"].message == (
        "Note text is required"
    )
    assert v.check_email("not an email")[0].severity == "warning"
    assert v.check_email("a@b.org") == []


def test_custom_values_by_type() -> None:
    assert v.validate_custom_value("12", "number", "Shoe size") == []
    assert v.validate_custom_value("big", "number", "Shoe size")[0].message == (
        "Shoe size must be a number (got big)"
    )
    assert v.validate_custom_value("2024-13-01", "date", "Referral date")
    assert v.validate_custom_value("maybe", "yesno", "Veteran")[0].message == (
        "Veteran must be yes or no (got maybe)"
    )


def test_date_order_helper_and_required_helper() -> None:
    assert v.check_date_order("2024-01-01", "2024-01-01", "ended_on", "start date") == []
    assert v.check_date_order(None, "2024-01-01", "ended_on", "start date") == []
    assert v.required("", "first_name")[0].message == "First name is required"
    assert v.setting(None, "gpa_scale", 4) == 4
    assert v.setting({"gpa_scale": 5}, "gpa_scale", 4) == 5
