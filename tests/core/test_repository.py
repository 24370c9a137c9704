"""Repository: create/read/update/delete for every record type, each write audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy.exc

from tests.helpers import add_participant
from tracker_desktop.core.repository import RecordNotFoundError, Repository


def _samples(repo: Repository, pid: int) -> list[tuple[str, dict[str, Any], str, Any]]:
    """(table, values, field to update, new value) for every participant record type."""
    measure_id = repo.rows("measures")[0]["id"]
    survey_id = repo.rows("surveys")[0]["id"]
    return [
        ("participant_benefits", {"benefit": "SNAP"}, "benefit", "TANF"),
        ("legal_barriers", {"barrier_type": "Criminal record", "status": "Open"}, "status",
         "Expunged"),
        ("enrollments", {"program": "Fellows", "enrolled_on": date(2025, 2, 15),
                         "progress_pct": 10.0}, "exited_on", date(2025, 9, 1)),
        ("stage_history", {"stage": "Intake", "started_on": date(2025, 2, 15)}, "ended_on",
         date(2025, 2, 16)),
        ("assessments", {"stage": "Apprentice Level 1", "station": 2, "kind": "skill",
                         "assessed_on": date(2025, 4, 1), "score": 82.5, "passed": True},
         "passed", False),
        ("weekly_hours", {"week_start": date(2025, 4, 7), "shift_hours": 20.0, "pd_hours": 5.0},
         "shift_hours", 18.5),
        ("jobs", {"employer": "Harbor Kitchen", "title": "Prep cook",
                  "started_on": date(2025, 3, 1), "hourly_wage": 14.5, "hours_per_week": 25.0,
                  "employer_benefits": True}, "hourly_wage", 15.25),
        ("promotions", {"promoted_on": date(2025, 6, 1), "title": "Apprentice Level 2"}, "title",
         "Apprentice Level 3"),
        ("credentials", {"kind": "degree", "name": "JD", "earned_on": date(2026, 3, 15),
                         "expected": True, "gpa": 3.6}, "gpa", 3.7),
        ("measurements", {"measure_id": measure_id, "time_point": "entry",
                          "measured_on": date(2025, 2, 15), "value": 3.0}, "value", 4.0),
        ("survey_responses", {"survey_id": survey_id, "responded_on": date(2025, 5, 1)},
         "responded_on", date(2025, 5, 2)),
        ("followups", {"days_after_exit": 90, "due_on": date(2025, 11, 30), "status": "due"},
         "status", "done"),
        ("notes", {"noted_on": date(2025, 2, 20), "author": "Ana", "body": "Bus pass renewed"},
         "body", "Bus pass renewed; housing referral"),
    ]  # fmt: skip


def test_round_trip_every_participant_record_type(repo: Repository) -> None:
    pid = add_participant(repo, first="Round", last="Trip")
    for table, values, field, new_value in _samples(repo, pid):
        audit_before = len(repo.audit_entries())
        row_id = repo.insert(table, {"participant_id": pid, **values})
        stored = repo.get(table, row_id)
        for key, value in values.items():
            assert stored[key] == value, (table, key)
        changed = repo.update(table, row_id, {field: new_value})
        assert changed == {field: (stored[field], new_value)}
        assert repo.get(table, row_id)[field] == new_value
        assert repo.update(table, row_id, {field: new_value}) == {}  # no-op writes nothing
        repo.delete(table, row_id)
        with pytest.raises(RecordNotFoundError):
            repo.get(table, row_id)
        entries = repo.audit_entries()[: len(repo.audit_entries()) - audit_before]
        assert [e.action for e in reversed(entries)] == ["insert", "update", "delete"], table
        assert all(e.participant_id == pid and e.staff == "Test Staff" for e in entries)
        update = next(e for e in entries if e.action == "update")
        assert update.field == field and update.table_name == table


def test_survey_answers_and_followup_benefits_round_trip(repo: Repository) -> None:
    pid = add_participant(repo)
    survey = repo.rows("surveys")[0]
    question = repo.rows("survey_questions")[0]
    with repo.transaction() as tx:
        response = tx.insert(
            "survey_responses",
            {"participant_id": pid, "survey_id": survey["id"], "responded_on": date(2025, 1, 1)},
        )
        tx.insert(
            "survey_answers", {"response_id": response, "question_id": question["id"], "value": 5.0}
        )
        followup = tx.insert(
            "followups", {"participant_id": pid, "days_after_exit": 30, "due_on": date(2025, 2, 1)}
        )
        tx.insert("followup_benefits", {"followup_id": followup, "benefit": "SNAP"})
    assert repo.rows("survey_answers")[0]["value"] == 5.0
    assert repo.rows("followup_benefits")[0]["benefit"] == "SNAP"
    # deleting the participant removes every child row (ON DELETE CASCADE)
    repo.delete("participants", pid)
    for table in (
        "enrollments",
        "survey_responses",
        "survey_answers",
        "followups",
        "followup_benefits",
    ):
        assert repo.count(table) == 0, table


def test_configuration_records_round_trip(repo: Repository) -> None:
    field_id = repo.insert(
        "custom_fields", {"key": "shoe_size", "label": "Shoe size", "field_type": "number"}
    )
    pid = add_participant(repo)
    repo.insert("custom_values", {"participant_id": pid, "field_id": field_id, "value": "42"})
    assert repo.rows("custom_values")[0]["value"] == "42"
    repo.insert("option_items", {"list_name": "programs", "value": "Bridge", "position": 9})
    assert repo.options("programs")[-1] == "Bridge"
    repo.insert("staff", {"name": "Case Worker", "active": True})
    assert "Case Worker" in repo.staff_names()
    repo.set_setting("organisation_name", "Harbor Kitchen")
    assert repo.setting("organisation_name") == "Harbor Kitchen"
    batch = repo.insert(
        "import_batches",
        {"imported_at": datetime(2025, 1, 1, 9), "source_name": "sample_tracker.xlsx"},
    )
    assert repo.get("import_batches", batch)["status"] == "imported"
    stage_id = repo.stages()[2]["id"]
    repo.update("stages", stage_id, {"shift_hours_cap": 22.0})
    assert repo.get("stages", stage_id)["shift_hours_cap"] == 22.0


def test_transaction_is_all_or_nothing(repo: Repository) -> None:
    with pytest.raises(sqlalchemy.exc.IntegrityError), repo.transaction() as tx:
        pid = tx.insert(
            "participants",
            {
                "participant_code": "P-1",
                "first_name": "A",
                "last_name": "B",
                "created_at": tx.at,
                "updated_at": tx.at,
            },
        )
        tx.insert("jobs", {"participant_id": pid, "hourly_wage": -3.0})  # CHECK fails
    assert repo.count("participants") == 0
    assert repo.count("audit_log") == 0


def test_replace_children_inserts_updates_and_deletes(repo: Repository) -> None:
    pid = add_participant(repo)
    with repo.transaction() as tx:
        tx.replace_children("credentials", pid, [
            {"kind": "certification", "name": "ServSafe", "earned_on": date(2024, 1, 16)},
            {"kind": "certification", "name": "Paralegal", "earned_on": date(2024, 1, 30)},
        ])  # fmt: skip
    first, second = repo.rows("credentials", participant_id=pid)
    with repo.transaction() as tx:
        tx.replace_children("credentials", pid, [
            {"id": first["id"], "kind": "certification", "name": "ServSafe",
             "earned_on": date(2025, 1, 16)},
            {"kind": "degree", "name": "GED", "earned_on": date(2024, 6, 1)},
        ])  # fmt: skip
    rows = repo.rows("credentials", participant_id=pid)
    assert [(r["name"], r["earned_on"]) for r in rows] == [
        ("ServSafe", date(2025, 1, 16)),
        ("GED", date(2024, 6, 1)),
    ]
    actions = [e.action for e in repo.audit_entries(participant_id=pid)[:3]]
    assert sorted(actions) == ["delete", "insert", "update"]
    assert second["id"] not in {r["id"] for r in rows}


def test_participant_codes_are_sequential(repo: Repository) -> None:
    add_participant(repo)
    add_participant(repo, first="Second")
    codes = [r["participant_code"] for r in repo.rows("participants")]
    assert codes == ["P-00001", "P-00002"]


def test_audit_filters(repo: Repository) -> None:
    first = add_participant(repo)
    other = Repository(repo.vault, "Someone Else")
    add_participant(other, first="Other")
    assert {e.staff for e in repo.audit_entries(staff="Someone Else")} == {"Someone Else"}
    assert all(e.participant_id == first for e in repo.audit_entries(participant_id=first))
