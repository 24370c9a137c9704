"""The journey core on real encrypted files: stage moves and triggers, override audit,
hours caps, exit and the follow-up schedule, follow-up results, measures and surveys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import add_participant
from tracker_desktop.core import journey, schema
from tracker_desktop.core.repository import Repository

L1 = "Apprentice Level 1"


def _start_journey(repo: Repository, pid: int, through: str = L1) -> None:
    """Put the participant through Intake and Orientation into ``through`` (no triggers)."""
    day = date(2024, 1, 3)
    with repo.transaction() as tx:
        journey.move_to_next_stage(tx, pid, day)  # -> Intake
        for stage in ("Orientation", L1, "Apprentice Level 2", "Apprentice Level 3"):
            day += timedelta(days=7)
            if journey.current_stage(tx, pid).stage == through:  # type: ignore[union-attr]
                break
            journey.move_to_next_stage(tx, pid, day, override_reason="setup")
            assert journey.current_stage(tx, pid).stage == stage  # type: ignore[union-attr]


def _pass_level(repo: Repository, pid: int, stage: str, stations: int, skip: tuple = ()) -> None:
    with repo.transaction() as tx:
        for station in range(1, stations + 1):
            for kind in ("knowledge", "skill"):
                if (station, kind) in skip:
                    continue
                journey.save_assessment(
                    tx,
                    pid,
                    {
                        "stage": stage,
                        "station": station,
                        "kind": kind,
                        "assessed_on": date(2024, 3, 1),
                        "score": 88,
                        "passed": True,
                    },
                )


def test_default_stages_mirror_the_journey_table(repo: Repository) -> None:
    stages = journey.list_stages(repo)
    names = [s.name for s in stages]
    assert names[:5] == ["Intake", "Orientation", L1, "Apprentice Level 2", "Apprentice Level 3"]
    level1 = stages[2]
    assert (level1.shift_hours_cap, level1.pd_hours_cap, level1.stations) == (20, 5, 3)
    assert level1.trigger == journey.TRIGGER_PASS_ALL
    # After Level 3 staff choose between the two final stages.
    choices = journey.next_stage_choices(stages, "Apprentice Level 3")
    assert [c.name for c in choices] == ["Graduated", "Shift Lead"]
    assert journey.next_stage_choices(stages, "Graduated") == []


def test_move_blocked_until_all_level_assessments_pass(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid)
    _pass_level(repo, pid, L1, 3, skip=((2, "skill"),))
    with repo.transaction() as tx:
        journey.save_assessment(
            tx,
            pid,
            {
                "stage": L1,
                "station": 2,
                "kind": "skill",
                "assessed_on": date(2024, 3, 5),
                "score": 62,
                "passed": False,
            },
        )
    check = journey.check_trigger(repo, pid, L1)
    assert not check.met
    assert check.missing == [
        "Apprentice Level 1, station 2 skill assessment not passed "
        "(last attempt 5 Mar 2024, score 62)"
    ]
    with pytest.raises(journey.TriggerNotMetError) as raised, repo.transaction() as tx:
        journey.move_to_next_stage(tx, pid, date(2024, 6, 1))
    assert "station 2 skill" in str(raised.value)
    assert journey.current_stage(repo, pid).stage == L1  # type: ignore[union-attr]

    # Pass the retake: the move goes through without an override.
    _pass_level(repo, pid, L1, 2, skip=((1, "knowledge"), (1, "skill"), (2, "knowledge")))
    assert journey.check_trigger(repo, pid, L1).met
    with repo.transaction() as tx:
        result = journey.move_to_next_stage(tx, pid, date(2024, 6, 1))
    assert (result.from_stage, result.to_stage, result.overridden) == (
        L1,
        "Apprentice Level 2",
        False,
    )
    spans = journey.timeline(repo, pid, as_of=date(2024, 6, 11))
    assert [s.stage for s in spans][-2:] == [L1, "Apprentice Level 2"]
    assert spans[-2].ended_on == date(2024, 6, 1)
    assert spans[-1].days == 10
    assert spans[-1].override_reason is None


def test_override_records_reason_in_history_and_audit_log(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid)
    with repo.transaction() as tx:
        result = journey.move_to_next_stage(
            tx, pid, date(2024, 5, 2), override_reason="Assessed verbally by chef"
        )
    assert result.overridden
    assert len(result.missing) == 6  # 3 stations x knowledge/skill, none recorded
    span = journey.timeline(repo, pid)[-1]
    assert span.stage == "Apprentice Level 2"
    assert span.override_reason == "Assessed verbally by chef"
    entries = repo.audit_entries(participant_id=pid)
    overrides = [e for e in entries if e.action == "override"]
    assert len(overrides) == 1
    assert overrides[0].reason == "Override: Assessed verbally by chef"
    assert "station 1 knowledge" in (overrides[0].old_value or "")
    assert overrides[0].staff == "Test Staff"
    # Every row the move wrote carries the reason; later writes do not.
    move_rows = [
        e
        for e in entries
        if e.table_name == "stage_history"
        and (
            (e.action == "insert" and e.row_id == overrides[0].row_id)
            or (e.field == "ended_on" and e.new_value == "2024-05-02")
        )
    ]
    assert len(move_rows) == 2 and all(
        e.reason == "Override: Assessed verbally by chef" for e in move_rows
    )
    with repo.transaction() as tx:
        tx.insert("notes", {"participant_id": pid, "noted_on": date(2024, 5, 3), "body": "x"})
    assert repo.audit_entries(participant_id=pid)[0].reason is None


def test_blank_override_reason_does_not_override(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid)
    with pytest.raises(journey.TriggerNotMetError), repo.transaction() as tx:
        journey.move_to_next_stage(tx, pid, date(2024, 5, 2), override_reason="   ")


def test_move_date_before_stage_start_is_refused(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid, through="Orientation")
    with (
        pytest.raises(journey.JourneyError, match="before Orientation started"),
        repo.transaction() as tx,
    ):
        journey.move_to_next_stage(tx, pid, date(2023, 1, 1))


def test_weekly_hours_cap_warnings(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid)  # Level 1 from 2024-01-17: caps 20 h shift, 5 h PD
    with repo.transaction() as tx:
        ok = journey.log_weekly_hours(tx, pid, date(2024, 2, 7), 20, 5)
        over = journey.log_weekly_hours(tx, pid, date(2024, 2, 14), 22.5, 6)
    assert ok == []
    assert over == [
        "22.5 paid shift hours is over the Apprentice Level 1 cap of 20 h/week",
        "6 paid personal-development hours is over the Apprentice Level 1 cap of 5 h/week",
    ]
    weeks = journey.list_weekly_hours(repo, pid)
    assert [w.week_start for w in weeks] == [date(2024, 2, 12), date(2024, 2, 5)]  # Mondays
    assert weeks[0].stage == L1 and weeks[0].shift_cap == 20 and len(weeks[0].warnings) == 2
    # Correcting the same week updates it instead of adding a row.
    with repo.transaction() as tx:
        assert journey.log_weekly_hours(tx, pid, date(2024, 2, 16), 19, 5) == []
    assert len(journey.list_weekly_hours(repo, pid)) == 2
    with pytest.raises(journey.JourneyError, match="between 0 and 112"), repo.transaction() as tx:
        journey.log_weekly_hours(tx, pid, date(2024, 2, 16), -1, 0)


def _exit(repo: Repository, pid: int, day: date, reason: str = "Graduated") -> int:
    with repo.transaction() as tx:
        return journey.exit_participant(tx, pid, day, reason)


def _due_dates(repo: Repository, pid: int) -> list[tuple[int, date, str]]:
    return [
        (f["days_after_exit"], f["due_on"], f["status"])
        for f in journey.participant_followups(repo, pid)
    ]


def test_exit_schedules_followups_and_closes_stage(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid)
    enrollment_id = _exit(repo, pid, date(2024, 9, 30), "Hired elsewhere")
    enrollment = repo.get("enrollments", enrollment_id)
    assert (enrollment["exited_on"], enrollment["exit_reason"]) == (
        date(2024, 9, 30),
        "Hired elsewhere",
    )
    assert journey.current_stage(repo, pid) is None
    assert _due_dates(repo, pid) == [
        (30, date(2024, 10, 30), "due"),
        (90, date(2024, 12, 29), "due"),
        (180, date(2025, 3, 29), "due"),
        (365, date(2025, 9, 30), "due"),
    ]
    # Idempotent.
    with repo.transaction() as tx:
        journey.sync_followups(tx, enrollment_id)
        journey.sync_followups(tx, enrollment_id)
    assert len(_due_dates(repo, pid)) == 4


def test_exit_needs_reason_and_date_after_enrollment(repo: Repository) -> None:
    pid = add_participant(repo)
    with pytest.raises(journey.JourneyError, match="exit reason"):
        _exit(repo, pid, date(2024, 9, 30), " ")
    with pytest.raises(journey.JourneyError, match="before the enrollment date"):
        _exit(repo, pid, date(2023, 9, 30))
    assert repo.rows("followups") == []


def test_edited_exit_date_moves_pending_followups_only(repo: Repository) -> None:
    pid = add_participant(repo)
    enrollment_id = _exit(repo, pid, date(2024, 9, 30))
    first = journey.participant_followups(repo, pid)[0]
    with repo.transaction() as tx:
        journey.record_followup(
            tx,
            first["id"],
            journey.FollowUpResult("done", date(2024, 11, 2), employed=True, employer="Harbor"),
        )
    # The record form edits the exit date and calls sync_followups.
    with repo.transaction() as tx:
        tx.update("enrollments", enrollment_id, {"exited_on": date(2024, 10, 15)})
        journey.sync_followups(tx, enrollment_id)
    assert _due_dates(repo, pid) == [
        (30, date(2024, 10, 30), "done"),  # already done: untouched
        (90, date(2025, 1, 13), "due"),
        (180, date(2025, 4, 13), "due"),
        (365, date(2025, 10, 15), "due"),
    ]
    # The schedule changes: pending ones follow, the done one stays.
    with repo.transaction() as tx:
        journey.set_followup_days(tx, [30, 60])
    assert _due_dates(repo, pid) == [
        (30, date(2024, 10, 30), "done"),
        (60, date(2024, 12, 14), "due"),
    ]
    # The exit date is removed: pending follow-ups go, the done one stays.
    with repo.transaction() as tx:
        tx.update("enrollments", enrollment_id, {"exited_on": None, "exit_reason": None})
        journey.sync_followups(tx, enrollment_id)
    assert _due_dates(repo, pid) == [(30, date(2024, 10, 30), "done")]


def test_cancel_exit_reopens_stage_and_drops_pending(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid)
    _exit(repo, pid, date(2024, 9, 30))
    with repo.transaction() as tx:
        journey.cancel_exit(tx, pid)
    assert journey.current_stage(repo, pid).stage == L1  # type: ignore[union-attr]
    assert repo.rows("followups") == []


def test_followups_due_this_week_and_overdue(repo: Repository) -> None:
    a = add_participant(repo, "Ana", "Garcia", phone="(555) 201-3344", email="ana@example.org")
    b = add_participant(repo, "José", "Núñez", phone="(555) 909-1000")
    c = add_participant(repo, "Chen", "Li")
    _exit(repo, a, date(2024, 9, 30))  # 30-day due 2024-10-30
    _exit(repo, b, date(2024, 10, 5))  # 30-day due 2024-11-04
    _exit(repo, c, date(2024, 12, 1))  # 30-day due 2024-12-31: not in view
    lists = journey.followups_due(repo, date(2024, 11, 1))
    assert [(i.name, i.due_on, i.days_overdue) for i in lists.overdue] == [
        ("Ana Garcia", date(2024, 10, 30), 2)
    ]
    assert [(i.name, i.phone, i.days_after_exit) for i in lists.due_this_week] == [
        ("José Núñez", "(555) 909-1000", 30)
    ]
    assert lists.overdue[0].email == "ana@example.org"
    assert lists.week_end == date(2024, 11, 7)
    # Once recorded, a follow-up leaves the lists.
    with repo.transaction() as tx:
        journey.record_followup(
            tx,
            lists.overdue[0].id,
            journey.FollowUpResult("unreachable", date(2024, 11, 1), notes="voicemail full"),
        )
    again = journey.followups_due(repo, date(2024, 11, 1))
    assert again.overdue == [] and len(again.due_this_week) == 1


def test_record_followup_compares_benefits_with_entry(repo: Repository) -> None:
    pid = add_participant(repo)
    with repo.transaction() as tx:
        for benefit in ("SNAP", "Medicaid", "TANF"):
            tx.insert("participant_benefits", {"participant_id": pid, "benefit": benefit})
    _exit(repo, pid, date(2024, 9, 30))
    followup_id = journey.participant_followups(repo, pid)[0]["id"]
    assert journey.benefits_comparison(repo, followup_id).reduced is None
    with repo.transaction() as tx:
        journey.record_followup(
            tx,
            followup_id,
            journey.FollowUpResult(
                "done",
                date(2024, 10, 31),
                employed=True,
                employer="Harbor Kitchen",
                hourly_wage=17.25,
                benefits=["Medicaid"],
                notes="Loves the job",
            ),
        )
    row = repo.get("followups", followup_id)
    assert (row["status"], row["employed"], row["employer"], row["hourly_wage"]) == (
        "done",
        True,
        "Harbor Kitchen",
        17.25,
    )
    assert row["on_public_benefits"] is True
    comparison = journey.benefits_comparison(repo, followup_id)
    assert comparison.at_entry == ["Medicaid", "SNAP", "TANF"]
    assert comparison.at_followup == ["Medicaid"]
    assert comparison.stopped == ["SNAP", "TANF"]
    assert comparison.reduced is True
    assert "No longer on SNAP, TANF" in comparison.sentence()
    with (
        pytest.raises(journey.JourneyError, match="before the exit date"),
        repo.transaction() as tx,
    ):
        journey.record_followup(
            tx, followup_id, journey.FollowUpResult("declined", date(2024, 1, 1))
        )
    assert repo.get("followups", followup_id)["status"] == "done"


def test_measures_at_several_time_points(repo: Repository) -> None:
    pid = add_participant(repo)
    measures = {m.key: m for m in journey.list_measures(repo)}
    aspire = measures["capacity_to_aspire"]
    assert aspire.id is not None
    with repo.transaction() as tx:
        for point, day, value in (
            ("exit", date(2024, 9, 30), 4),
            ("entry", date(2024, 1, 3), 2),
            ("during", date(2024, 5, 1), 3),
            ("follow_up", date(2024, 12, 29), 5),
        ):
            journey.record_measurement(tx, pid, aspire.id, point, day, value)
    series = journey.measurement_series(repo, pid)[aspire.id]
    assert [(p.time_point, p.value) for p in series] == [
        ("entry", 2),
        ("during", 3),
        ("exit", 4),
        ("follow_up", 5),
    ]
    assert journey.measure_change(aspire, series) == "improved: 2 → 5"
    with pytest.raises(journey.JourneyError, match="1 to 5"), repo.transaction() as tx:
        journey.record_measurement(tx, pid, aspire.id, "exit", date(2024, 9, 30), 7)
    assert len(journey.measurement_series(repo, pid)[aspire.id]) == 4


def test_custom_measure_with_lower_is_better(repo: Repository) -> None:
    existing = journey.list_measures(repo)
    with repo.transaction() as tx:
        journey.save_measures(
            tx,
            [
                *existing,
                journey.Measure(None, "", "Days late to shift", "days", 0, 31, False),
            ],
        )
    custom = journey.list_measures(repo)[-1]
    assert (custom.key, custom.higher_is_better) == ("days_late_to_shift", False)
    pid = add_participant(repo)
    assert custom.id is not None
    with repo.transaction() as tx:
        journey.record_measurement(tx, pid, custom.id, "entry", date(2024, 1, 3), 6)
        journey.record_measurement(tx, pid, custom.id, "exit", date(2024, 9, 3), 1)
    points = journey.measurement_series(repo, pid)[custom.id]
    assert journey.measure_change(custom, points) == "improved: 6 → 1"
    # A measure with values is deactivated, not deleted, when removed from the list.
    with repo.transaction() as tx:
        journey.save_measures(tx, existing)
    assert custom.key not in {m.key for m in journey.list_measures(repo)}
    assert custom.key in {m.key for m in journey.list_measures(repo, include_inactive=True)}


def test_survey_answers_per_date(repo: Repository) -> None:
    pid = add_participant(repo)
    survey = journey.list_surveys(repo)[0]
    q = {question.text: question.id for question in survey.questions}
    assert survey.id is not None
    with repo.transaction() as tx:
        journey.record_survey_response(
            tx, pid, survey.id, date(2024, 3, 1), {q["I enjoy my job"]: 4}
        )
        journey.record_survey_response(
            tx,
            pid,
            survey.id,
            date(2024, 6, 1),
            {q["I enjoy my job"]: 5, q["I would recommend this program to a friend"]: 1},
        )
    responses = journey.list_survey_responses(repo, pid)
    assert [(r.responded_on, r.answers) for r in responses] == [
        (date(2024, 3, 1), {q["I enjoy my job"]: 4}),
        (
            date(2024, 6, 1),
            {q["I enjoy my job"]: 5, q["I would recommend this program to a friend"]: 1},
        ),
    ]
    with pytest.raises(journey.JourneyError, match="yes or no"), repo.transaction() as tx:
        journey.record_survey_response(
            tx,
            pid,
            survey.id,
            date(2024, 7, 1),
            {q["I would recommend this program to a friend"]: 3},
        )
    assert len(journey.list_survey_responses(repo, pid)) == 2


def test_stage_rename_follows_into_history(repo: Repository) -> None:
    pid = add_participant(repo)
    _start_journey(repo, pid)
    stages = journey.list_stages(repo)
    renamed = [
        journey.Stage(**{**s.__dict__, "name": "Level One"}) if s.name == L1 else s for s in stages
    ]
    with repo.transaction() as tx:
        journey.save_stages(tx, renamed)
    assert journey.current_stage(repo, pid).stage == "Level One"  # type: ignore[union-attr]
    # A stage in use cannot be removed.
    with pytest.raises(journey.JourneyError, match="cannot be removed"), repo.transaction() as tx:
        journey.save_stages(tx, [s for s in renamed if s.name != "Level One"])
    assert schema.stages.name == "stages"


def test_assessment_rules(repo: Repository) -> None:
    pid = add_participant(repo)
    good = {
        "stage": L1,
        "station": 3,
        "kind": "skill",
        "assessed_on": date(2024, 3, 1),
        "score": 75,
        "passed": True,
    }
    assert journey.validate_assessment(repo, good) == []
    problems = journey.validate_assessment(
        repo,
        {**good, "station": 4, "score": 140, "assessed_on": date.today() + timedelta(days=3)},
    )
    assert problems == [
        "Apprentice Level 1 has 3 stations (got station 4).",
        f"The assessment date {journey._fmt_day(date.today() + timedelta(days=3))} is in the "
        "future.",
        "The score must be between 0 and 100 (got 140).",
    ]
    with pytest.raises(journey.JourneyError), repo.transaction() as tx:
        journey.save_assessment(tx, pid, {**good, "kind": "vibes"})
    assert repo.rows("assessments", pid) == []
