"""The metrics engine on a small hand-built tracker with hand-computed expected values.

Every record is written through the repository into a real encrypted file.  As of
2025-06-30 the file holds (P6 enrolled later, P7 is archived: neither ever counts):

P1 Ana  Pipeline 2024-01-10 active    entry job $10 -> program job $15 (benefits yes)
P2 Ben  Pipeline 2024-02-01 graduated 2024-12-31; new job $18 from 2025-01-15 (benefits blank)
P3 Cara Fellows  2025-03-01 active    no job
P4 Dev  Fellows  2024-05-01 exited 2025-01-31 (moved away)
P5 Eve  Pipeline 2024-09-01 active    a job without a start date or wage (counts from enrollment)
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from tracker_desktop.core import metrics
from tracker_desktop.core.metrics import Filters
from tracker_desktop.core.repository import Repository

AS_OF = date(2025, 6, 30)
D = date


def _measure_ids(repo: Repository) -> dict[str, int]:
    return {row["key"]: row["id"] for row in repo.rows("measures")}


def _person(tx: Any, first: str, program: str, enrolled: date, **enrollment: Any) -> int:
    pid = tx.insert(
        "participants",
        {
            "participant_code": tx.next_participant_code(),
            "first_name": first,
            "last_name": "Test",
            "created_at": tx.at,
            "updated_at": tx.at,
        },
    )
    tx.insert(
        "enrollments",
        {"participant_id": pid, "program": program, "enrolled_on": enrolled, **enrollment},
    )
    return pid


def build(repo: Repository) -> dict[str, int]:
    m = _measure_ids(repo)
    ids: dict[str, int] = {}
    with repo.transaction() as tx:
        # P1 Ana
        p1 = ids["P1"] = _person(tx, "Ana", "Pipeline", D(2024, 1, 10))
        for stage, start, end in (
            ("Intake", D(2024, 1, 10), D(2024, 1, 11)),
            ("Orientation", D(2024, 1, 11), D(2024, 1, 18)),
            ("Apprentice Level 1", D(2024, 1, 18), D(2024, 6, 17)),
            ("Apprentice Level 2", D(2024, 6, 17), None),
        ):
            tx.insert(
                "stage_history",
                {"participant_id": p1, "stage": stage, "started_on": start, "ended_on": end},
            )
        tx.insert(
            "jobs",
            {
                "participant_id": p1,
                "employer": "Old Diner",
                "started_on": D(2023, 1, 1),
                "ended_on": D(2024, 1, 10),
                "hourly_wage": 10.0,
                "is_entry_job": True,
            },
        )
        tx.insert(
            "jobs",
            {
                "participant_id": p1,
                "employer": "Harbor Kitchen",
                "started_on": D(2024, 1, 18),
                "hourly_wage": 15.0,
                "employer_benefits": True,
            },
        )
        tx.insert(
            "promotions",
            {"participant_id": p1, "promoted_on": D(2024, 6, 17), "title": "Apprentice Level 2"},
        )
        tx.insert(
            "credentials",
            {
                "participant_id": p1,
                "kind": "certification",
                "name": "ServSafe",
                "earned_on": D(2024, 3, 1),
            },
        )
        tx.insert(
            "credentials",
            {"participant_id": p1, "kind": "degree", "name": "GED", "expected": True},
        )
        for benefit in ("SNAP", "TANF"):
            tx.insert("participant_benefits", {"participant_id": p1, "benefit": benefit})
        for point, day, value in (("entry", D(2024, 1, 10), 2), ("during", D(2024, 5, 1), 3)):
            tx.insert(
                "measurements",
                {
                    "participant_id": p1,
                    "measure_id": m["capacity_to_aspire"],
                    "time_point": point,
                    "measured_on": day,
                    "value": value,
                },
            )
        for passed in (True, True, False):
            tx.insert(
                "assessments",
                {
                    "participant_id": p1,
                    "stage": "Apprentice Level 1",
                    "kind": "skill",
                    "assessed_on": D(2024, 3, 1),
                    "passed": passed,
                },
            )
        tx.insert(  # after the as-of date: never counted
            "assessments",
            {
                "participant_id": p1,
                "stage": "Apprentice Level 2",
                "kind": "skill",
                "assessed_on": D(2025, 7, 15),
                "passed": True,
            },
        )

        # P2 Ben
        p2 = ids["P2"] = _person(
            tx,
            "Ben",
            "Pipeline",
            D(2024, 2, 1),
            exited_on=D(2024, 12, 31),
            exit_reason="Graduated",
        )
        tx.insert(
            "stage_history",
            {
                "participant_id": p2,
                "stage": "Intake",
                "started_on": D(2024, 2, 1),
                "ended_on": D(2024, 2, 3),
            },
        )
        tx.insert(
            "stage_history",
            {"participant_id": p2, "stage": "Graduated", "started_on": D(2024, 12, 31)},
        )
        tx.insert(
            "jobs",
            {
                "participant_id": p2,
                "started_on": D(2024, 3, 1),
                "ended_on": D(2024, 12, 31),
                "hourly_wage": 16.0,
                "employer_benefits": False,
            },
        )
        tx.insert(
            "jobs",
            {"participant_id": p2, "started_on": D(2025, 1, 15), "hourly_wage": 18.0},
        )
        tx.insert(
            "credentials",
            {
                "participant_id": p2,
                "kind": "certification",
                "name": "Paralegal",
                "earned_on": D(2024, 10, 1),
                "gpa": 3.5,
            },
        )
        tx.insert(
            "credentials",
            {
                "participant_id": p2,
                "kind": "degree",
                "name": "AA",
                "earned_on": D(2024, 12, 1),
                "gpa": 3.0,
            },
        )
        tx.insert("participant_benefits", {"participant_id": p2, "benefit": "SNAP"})
        for key, point, day, value in (
            ("capacity_to_aspire", "entry", D(2024, 2, 1), 3),
            ("capacity_to_aspire", "exit", D(2024, 12, 31), 3),
            ("social_capital", "entry", D(2024, 2, 1), 2),
            ("social_capital", "exit", D(2024, 12, 31), 4),
            ("social_capital", "follow_up", D(2025, 2, 2), 5),
        ):
            tx.insert(
                "measurements",
                {
                    "participant_id": p2,
                    "measure_id": m[key],
                    "time_point": point,
                    "measured_on": day,
                    "value": value,
                },
            )
        tx.insert(
            "assessments",
            {
                "participant_id": p2,
                "stage": "Apprentice Level 2",
                "kind": "knowledge",
                "assessed_on": D(2024, 8, 1),
                "passed": True,
            },
        )
        for days, due, done, status, employed, on_benefits in (
            (30, D(2025, 1, 30), D(2025, 2, 2), "done", True, False),
            (90, D(2025, 3, 31), D(2025, 4, 14), "unreachable", None, None),
            (180, D(2025, 6, 29), None, "due", None, None),
            (365, D(2025, 12, 31), None, "due", None, None),
        ):
            tx.insert(
                "followups",
                {
                    "participant_id": p2,
                    "days_after_exit": days,
                    "due_on": due,
                    "done_on": done,
                    "status": status,
                    "employed": employed,
                    "on_public_benefits": on_benefits,
                },
            )

        # P3 Cara
        p3 = ids["P3"] = _person(tx, "Cara", "Fellows", D(2025, 3, 1))
        tx.insert(
            "stage_history", {"participant_id": p3, "stage": "Intake", "started_on": D(2025, 3, 1)}
        )
        tx.insert(
            "measurements",
            {
                "participant_id": p3,
                "measure_id": m["social_capital"],
                "time_point": "entry",
                "measured_on": D(2025, 3, 1),
                "value": 3,
            },
        )
        tx.insert(  # undated: "unknown" in data timing
            "measurements",
            {
                "participant_id": p3,
                "measure_id": m["capacity_to_aspire"],
                "time_point": "entry",
                "measured_on": None,
                "value": 2,
            },
        )

        # P4 Dev
        p4 = ids["P4"] = _person(
            tx,
            "Dev",
            "Fellows",
            D(2024, 5, 1),
            exited_on=D(2025, 1, 31),
            exit_reason="Moved away",
        )
        tx.insert("promotions", {"participant_id": p4, "promoted_on": None, "title": "Shift Lead"})
        for benefit in ("Medicaid", "SNAP"):
            tx.insert("participant_benefits", {"participant_id": p4, "benefit": benefit})
        tx.insert(
            "measurements",
            {
                "participant_id": p4,
                "measure_id": m["social_capital"],
                "time_point": "entry",
                "measured_on": D(2024, 5, 1),
                "value": 4,
            },
        )
        f30 = tx.insert(
            "followups",
            {
                "participant_id": p4,
                "days_after_exit": 30,
                "due_on": D(2025, 3, 2),
                "done_on": D(2025, 3, 5),
                "status": "done",
                "employed": False,
                "on_public_benefits": True,
            },
        )
        tx.insert("followup_benefits", {"followup_id": f30, "benefit": "Medicaid"})
        tx.insert(
            "followups",
            {
                "participant_id": p4,
                "days_after_exit": 90,
                "due_on": D(2025, 5, 1),
                "done_on": D(2025, 5, 3),
                "status": "done",
            },
        )

        # P5 Eve
        p5 = ids["P5"] = _person(tx, "Eve", "Pipeline", D(2024, 9, 1))
        tx.insert("jobs", {"participant_id": p5, "employer": "Somewhere", "started_on": None})

        # P6 enrolled after the as-of date; P7 archived
        ids["P6"] = _person(tx, "Fay", "Pipeline", D(2025, 8, 1))
        p7 = ids["P7"] = _person(tx, "Gus", "Pipeline", D(2024, 1, 1))
        tx.insert("jobs", {"participant_id": p7, "started_on": D(2024, 1, 1), "hourly_wage": 99.0})
        tx.update("participants", p7, {"archived_at": tx.at})
    return ids


@pytest.fixture
def built(repo: Repository) -> tuple[Repository, dict[str, int]]:
    return repo, build(repo)


def report_for(repo: Repository, **filters: Any) -> metrics.MetricsReport:
    as_of = filters.pop("as_of", AS_OF)
    dataset = metrics.load_dataset(repo, as_of)
    return metrics.compute(dataset, Filters(as_of=as_of, **filters))


def check(
    report: metrics.MetricsReport,
    key: str,
    value: float | None,
    numerator: float | None,
    denominator: float | None,
    unknown: int,
) -> None:
    result = report.metrics[key]
    if value is None:
        assert result.value is None, (key, result)
        assert result.display == "n/a"
    else:
        assert result.value == pytest.approx(value), (key, result)
    assert result.numerator == numerator, (key, result)
    assert result.denominator == denominator, (key, result)
    assert result.unknown == unknown, (key, result)


def codes(report: metrics.MetricsReport, key: str, part: str = "numerator") -> list[str]:
    return list(report.participants_behind(key, part)["first_name"])


def test_participant_counts(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0])
    check(report, "participants_total", 5, 5, None, 0)
    check(report, "participants_active", 3, 3, 5, 0)
    check(report, "participants_exited", 2, 2, 5, 0)
    check(report, "participants_graduated", 1, 1, 5, 0)
    assert report.metrics["participants_total"].statement == (
        "We have served 5 participants (3 active, 2 exited)."
    )
    stages = report.breakdowns["by_stage"]
    counts = dict(zip(stages.categories, stages.series["Participants"], strict=True))
    assert counts["Intake"] == 1
    assert counts["Apprentice Level 2"] == 1
    assert counts["Graduated"] == 1
    assert counts["No stage recorded"] == 2
    months = report.breakdowns["enrollments_by_month"]
    assert months.categories == ["2024-01", "2024-02", "2024-05", "2024-09", "2025-03"]
    programs = report.breakdowns["by_program"]
    assert dict(zip(programs.categories, programs.series["Participants"], strict=True)) == {
        "Pipeline": 3,
        "Fellows": 2,
    }


def test_employment_and_wages(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0])
    # Active: Ana employed, Cara no job, Eve's undated job counts from her enrollment.
    check(report, "employment_rate", 2 / 3, 2, 3, 0)
    assert codes(report, "employment_rate") == ["Ana", "Eve"]
    assert codes(report, "employment_rate", "denominator") == ["Ana", "Cara", "Eve"]
    assert codes(report, "employment_rate", "unknown") == []
    assert report.metrics["employment_rate"].statement == (
        "67% of our active participants have a current job (2 of 3)."
    )
    # Current jobs: Ana $15, Ben $18, Eve's without a wage (the archived participant's
    # $99 never counts).
    check(report, "wage_mean", 16.5, 33.0, 2, 1)
    check(report, "wage_median", 16.5, None, 2, 1)
    # Ana $10 -> $15; Ben has a latest wage but no entry wage.
    check(report, "earning_power_increased", 1.0, 1, 1, 1)
    assert codes(report, "earning_power_increased", "unknown") == ["Ben"]
    # Ana's job has benefits; Ben's and Eve's benefits boxes are blank.
    check(report, "employer_benefits", 1.0, 1, 1, 2)


def test_credentials_and_promotions(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0])
    check(report, "credential_rate", 0.4, 2, 5, 0)  # Ana, Ben (Ana's GED is only expected)
    check(report, "credentials_earned", 3, 3, None, 0)
    check(report, "gpa_mean", 3.25, 6.5, 2, 0)
    creds = report.breakdowns["credentials_by_type"]
    assert sorted(creds.categories) == ["AA", "Paralegal", "ServSafe"]
    # Eligible (enrolled by 2024-06-30): Ana promoted in time, Ben not, Dev undated.
    check(report, "promotion_12m", 0.5, 1, 2, 1)
    assert codes(report, "promotion_12m", "unknown") == ["Dev"]


def test_followups_retention_and_benefits(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0])
    # Due by the as-of date: Ben 30/90/180, Dev 30/90; done: Ben 30, Dev 30, Dev 90.
    check(report, "followup_reach_rate", 0.6, 3, 5, 0)
    check(report, "retention_30", 0.5, 1, 2, 0)
    assert report.metrics["retention_30"].statement == (
        "50% of our alumni reached 30 days after exit were employed (1 of 2)."
    )
    # 90 days: Dev done with employment blank, Ben unreachable -> n/a, 2 unknown.
    check(report, "retention_90", None, 0, 0, 2)
    assert "n/a" in report.metrics["retention_90"].statement
    check(report, "retention_180", None, 0, 0, 0)
    check(report, "retention_365", None, 0, 0, 0)
    # Ben: 1 benefit at entry, none at his latest follow-up -> reduced.
    # Dev: 2 at entry, latest completed follow-up leaves benefits blank -> unknown.
    check(report, "reduced_benefits", 1.0, 1, 1, 1)
    assert codes(report, "reduced_benefits") == ["Ben"]
    assert codes(report, "reduced_benefits", "unknown") == ["Dev"]
    reach = report.breakdowns["followup_reach"]
    assert reach.series["Reached"][:2] == [1.0, pytest.approx(0.5)]


def test_measures_and_data_timing(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0])
    # Pairs: Ana aspire 2->3 (during), Ben aspire 3->3, Ben social 2->4 (exit wins over
    # follow-up 5).  Dev exited with a social entry value only -> unknown.
    check(report, "measure_improved", 2 / 3, 2, 3, 1)
    check(report, "measure_improved.capacity_to_aspire", 0.5, 1, 2, 0)
    check(report, "measure_improved.social_capital", 1.0, 1, 1, 1)
    check(report, "measure_improved.earning_power", None, 0, 0, 0)
    assert report.metrics["measure_improved.social_capital"].target == 0.70  # falls back
    # Dated measurements: 8 during (exit-day values count as during), Ben's follow-up
    # measurement after; plus 3 completed follow-ups after.  Cara's undated one: unknown.
    check(report, "data_during_program", 8 / 12, 8, 12, 1)
    timing = report.breakdowns["data_timing"]
    assert timing.series["Data points"] == [8, 4]
    stats = {
        (s.measure, s.program, s.time_point): s
        for s in report.measure_stats
        if s.measure == "social_capital"
    }
    entry_all = stats[("social_capital", "All", "entry")]
    assert (entry_all.n, entry_all.mean, entry_all.median) == (3, 3.0, 3.0)
    entry_fellows = stats[("social_capital", "Fellows", "entry")]
    assert (entry_fellows.n, entry_fellows.mean) == (2, 3.5)
    assert stats[("social_capital", "Pipeline", "exit")].n == 1
    changes = {(c.measure, c.program): c for c in report.measure_changes}
    assert changes[("capacity_to_aspire", "Pipeline")].pct_improved == 0.5
    assert changes[("social_capital", "Fellows")].pct_improved is None


def test_progression(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0])
    check(report, "pass_rate.apprentice_level_1", 2 / 3, 2, 3, 0)
    check(report, "pass_rate.apprentice_level_2", 1.0, 1, 1, 0)  # Ana's July one excluded
    check(report, "days_in_stage.intake", 1.5, None, 2, 0)
    check(report, "days_in_stage.apprentice_level_1", 151, None, 1, 0)
    assert report.metrics["days_in_stage.apprentice_level_1"].display == "151 days"


def test_program_filter(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0], program="Pipeline")
    check(report, "participants_total", 3, 3, None, 0)
    check(report, "employment_rate", 1.0, 2, 2, 0)  # Ana and Eve (undated job)
    check(report, "followup_reach_rate", 1 / 3, 1, 3, 0)  # Ben only
    fellows = report_for(built[0], program="Fellows")
    check(fellows, "participants_total", 2, 2, None, 0)
    check(fellows, "retention_30", 0.0, 0, 1, 0)


def test_cohort_filter(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0], date_from=D(2024, 2, 1), date_to=D(2024, 12, 31))
    check(report, "participants_total", 3, 3, None, 0)  # Ben, Dev, Eve (bounds inclusive)
    assert set(report.derived.participants["first_name"]) == {"Ben", "Dev", "Eve"}


def test_as_of_filter(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0], as_of=D(2024, 12, 1))
    # Ana, Ben, Dev, Eve enrolled by then; nobody had exited yet.
    check(report, "participants_total", 4, 4, None, 0)
    check(report, "participants_active", 4, 4, 4, 0)
    # Ana, Ben (program job until 2024-12-31) and Eve (undated job, enrolled 2024-09-01)
    # employed, Dev no job.
    check(report, "employment_rate", 3 / 4, 3, 4, 0)
    check(report, "followup_reach_rate", None, 0, 0, 0)
    check(report, "credentials_earned", 3, 3, None, 0)  # the AA dated 2024-12-01 counts
    with pytest.raises(ValueError, match="loaded as of"):
        metrics.compute(metrics.load_dataset(built[0], AS_OF), Filters(as_of=D(2024, 1, 1)))


def test_empty_population_is_na_never_an_error(built: tuple[Repository, dict[str, int]]) -> None:
    report = report_for(built[0], program="Fellows", date_from=D(2030, 1, 1))
    check(report, "participants_total", 0, 0, None, 0)
    for key, result in report.metrics.items():
        if result.unit != metrics.COUNT:
            assert result.value is None, key
            assert result.display == "n/a"
            assert "n/a" in result.statement
    assert report.breakdowns["by_stage"].categories  # stage names still listed
    assert report.participants_behind("employment_rate").empty


def test_empty_file(repo: Repository) -> None:
    report = metrics.compute(metrics.load_dataset(repo))
    assert report.metrics["participants_total"].value == 0
    assert report.metrics["employment_rate"].display == "n/a"
    json.dumps(report.to_dict(), allow_nan=False)


def test_targets_and_states(built: tuple[Repository, dict[str, int]]) -> None:
    repo = built[0]
    with repo.transaction() as tx:
        tx.conn.execute(
            text("UPDATE metric_targets SET target = 0.75 WHERE metric_key = 'employment_rate'")
        )
        tx.conn.execute(
            text("UPDATE metric_targets SET target = 0.40 WHERE metric_key = 'credential_rate'")
        )
    report = report_for(repo)
    assert report.metrics["employment_rate"].target == 0.75
    assert report.metrics["employment_rate"].state == "amber"  # 67% is within 10 points
    assert report.metrics["credential_rate"].state == "green"  # exactly on target
    assert report.metrics["promotion_12m"].target == 0.50
    assert report.metrics["retention_90"].state == "none"  # n/a never red
    assert report.metrics["wage_mean"].state == "none"  # no target


def test_every_metric_has_definition_and_json_is_clean(
    built: tuple[Repository, dict[str, int]],
) -> None:
    dataset = metrics.load_dataset(built[0], AS_OF)
    report = metrics.compute(dataset, Filters(as_of=AS_OF))
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    for key, result in report.metrics.items():
        assert result.definition
        assert result.definition == metrics.definition_for(key, dataset).text
        assert data["metrics"][key]["numerator"] == result.numerator
        if result.value is not None:
            assert not math.isnan(result.value)
    assert set(metrics.DEFINITIONS) <= set(report.metrics)
    statements = report.statements()
    assert len(statements) == len(report.metrics)


def test_lean_dataset_gives_the_same_numbers(built: tuple[Repository, dict[str, int]]) -> None:
    repo = built[0]
    full = metrics.compute(metrics.load_dataset(repo, AS_OF), Filters(as_of=AS_OF))
    lean_data = metrics.load_dataset(repo, AS_OF, details=False)
    lean = metrics.compute(lean_data, Filters(as_of=AS_OF))
    assert lean.to_dict() == full.to_dict()
    assert lean_data.participants["phone"].isna().all()
    assert list(lean_data.jobs.columns) == list(metrics.load_dataset(repo, AS_OF).jobs.columns)


def test_dataset_reads_awkward_text_exactly(repo: Repository) -> None:
    awkward = 'Ana "Nana", O\'Brien\nJr \x1f王芳'
    with repo.transaction() as tx:
        pid = _person(tx, awkward, "2024", D(2024, 1, 3))
        tx.update("participants", pid, {"last_name": "0042", "phone": ""})
        tx.insert("jobs", {"participant_id": pid, "employer": 'Café, "Le" Bon', "title": None})
    dataset = metrics.load_dataset(repo, AS_OF)
    person = dataset.participants.set_index("id").loc[pid]
    assert person["first_name"] == awkward
    assert person["last_name"] == "0042"  # text stays text
    assert person["phone"] is None  # blank counts as missing
    assert list(dataset.enrollments["program"]) == ["2024"]
    assert dataset.programs[-1] == "2024"
    job = dataset.jobs.iloc[0]
    assert job["employer"] == 'Café, "Le" Bon'
    assert job["title"] is None
    report = metrics.compute(dataset, Filters(program="2024", as_of=AS_OF))
    assert report.metrics["participants_total"].value == 1


def _same_numbers(repo: Repository, refreshed: metrics.Dataset) -> None:
    full = metrics.load_dataset(repo, AS_OF)
    expected = metrics.compute(full, Filters(as_of=AS_OF)).to_dict()
    assert metrics.compute(refreshed, Filters(as_of=AS_OF)).to_dict() == expected


def test_refresh_reads_only_what_changed(built: tuple[Repository, dict[str, int]]) -> None:
    repo, ids = built
    before = metrics.load_dataset(repo, AS_OF)
    assert metrics.refresh_dataset(repo, before) is before  # nothing saved since
    with repo.transaction() as tx:  # Cara gets a job
        tx.insert(
            "jobs",
            {"participant_id": ids["P3"], "started_on": D(2025, 4, 1), "hourly_wage": 16.0},
        )
    after = metrics.refresh_dataset(repo, before)
    assert after.jobs is not before.jobs
    assert after.stage_history is before.stage_history  # untouched tables are kept
    _same_numbers(repo, after)
    assert metrics.compute(after, Filters(as_of=AS_OF)).metrics["employment_rate"].value == 1.0

    with repo.transaction() as tx:  # a new target: no table re-read, new target used
        tx.conn.execute(
            text("UPDATE metric_targets SET target = 0.9 WHERE metric_key = 'employment_rate'")
        )
        tx.audit("update", "metric_targets", None, None, "employment_rate", 0.75, 0.9)
    again = metrics.refresh_dataset(repo, after)
    assert again.jobs is after.jobs and again.targets["employment_rate"] == 0.9
    _same_numbers(repo, again)


def test_refresh_after_archive_delete_and_bulk_work(
    built: tuple[Repository, dict[str, int]],
) -> None:
    repo, ids = built
    data = metrics.load_dataset(repo, AS_OF)
    with repo.transaction() as tx:
        tx.update("participants", ids["P1"], {"archived_at": tx.at})  # archive: full reload
    data = metrics.refresh_dataset(repo, data)
    _same_numbers(repo, data)
    with repo.transaction() as tx:
        tx.update("participants", ids["P1"], {"archived_at": None})  # restore
    data = metrics.refresh_dataset(repo, data)
    _same_numbers(repo, data)
    assert "Ana" in set(data.participants["first_name"])
    repo.delete("participants", ids["P2"])  # children go by cascade, unaudited
    data = metrics.refresh_dataset(repo, data)
    _same_numbers(repo, data)
    assert not data.followups["participant_id"].isin([ids["P2"]]).any()
    from tracker_desktop.core import demo

    demo.generate(repo, 20)  # bulk inserts with one "demo" audit row: full reload
    data = metrics.refresh_dataset(repo, data)
    _same_numbers(repo, data)
    assert len(data.participants) == 6 - 1 + 20


def test_refresh_to_another_as_of_date(built: tuple[Repository, dict[str, int]]) -> None:
    repo = built[0]
    data = metrics.load_dataset(repo, AS_OF)
    later = D(2025, 8, 1)  # Ana's July assessment now counts
    moved = metrics.refresh_dataset(repo, data, later)
    assert moved.as_of == later and moved.jobs is data.jobs
    expected = metrics.compute(metrics.load_dataset(repo, later), Filters(as_of=later))
    assert metrics.compute(moved, Filters(as_of=later)).to_dict() == expected.to_dict()
    assert expected.metrics["pass_rate.apprentice_level_2"].denominator == 2


def test_display_never_rounds_up_to_a_missed_target() -> None:
    def result(value: float, target: float | None, unit: str = metrics.PERCENT) -> Any:
        return metrics.MetricResult(
            "employer_benefits", "Employer benefits", value, None, None, 0, target, "", "",
            unit, "Employment",
        )  # fmt: skip

    close = result(0.5975, 0.60)
    assert (close.display, close.state) == ("59.7%", "amber")  # not "60%" and amber
    assert result(0.60, 0.60).display == "60%"
    assert result(0.5975, None).display == "60%"  # no target: plain rounding
    assert result(0.5975, 0.75).display == "60%"
    assert metrics.format_value(1.0, metrics.DAYS) == "1 day"
    assert metrics.format_value(12.0, metrics.DAYS) == "12 days"
