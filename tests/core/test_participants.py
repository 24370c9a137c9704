"""Participant records on real encrypted files: tracker rows, whole-form save in one
transaction, audit, archive/delete, option lists and custom fields."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from tests.helpers import add_participant
from tracker_desktop.core import options
from tracker_desktop.core import participants as P
from tracker_desktop.core.repository import Repository


def full_form(**profile: object) -> P.ParticipantForm:
    return P.ParticipantForm(
        profile={
            "first_name": "Ana",
            "last_name": "Rivera",
            "date_of_birth": "1990-05-04",
            **profile,
        },
        enrollment={"program": "Pipeline", "enrolled_on": "2024-01-03", "progress_pct": "50"},
        benefits=["SNAP", "Medicaid"],
        jobs=[
            {
                "employer": "Green Table",
                "title": "Prep cook",
                "started_on": "2024-02-01",
                "hourly_wage": "14.50",
                "hours_per_week": "30",
                "employer_benefits": "Yes",
            },
        ],
        promotions=[{"promoted_on": "2024-06-01", "title": "Apprentice Level 2"}],
        credentials=[
            {"kind": "certification", "name": "Paralegal", "earned_on": "2024-01-30"},
            {"kind": "degree", "name": "GED", "earned_on": "2024-03-01", "gpa": "3.5"},
        ],
        barriers=[{"barrier_type": "Eviction", "status": "Expunged", "resolved_on": "2024-04-01"}],
        notes=[{"noted_on": "2024-01-10", "body": "Started strong."}],
    )


def test_save_new_participant_and_read_it_back(repo: Repository) -> None:
    result = P.save_participant(repo, full_form())
    assert result.created and result.participant_code == "P-00001"
    form = P.load_participant(repo, result.participant_id)
    assert form.profile["first_name"] == "Ana"
    assert form.profile["date_of_birth"] == "1990-05-04"
    assert form.enrollment["progress_pct"] == 50.0
    assert sorted(form.benefits) == ["Medicaid", "SNAP"]
    assert form.jobs[0]["hourly_wage"] == 14.5 and form.jobs[0]["employer_benefits"] is True
    assert [c["name"] for c in form.credentials] == ["Paralegal", "GED"]
    assert form.notes[0]["author"] == "Test Staff"

    data = P.load_tracker(repo)
    row = {key: data.columns[key][0] for key in P.COLUMN_KEYS}
    assert row["code"] == "P-00001"
    assert row["enrolled_on"] == "2024-01-03"
    assert row["program"] == "Pipeline"
    assert row["employed"] == "Yes" and row["employed_on"] == "2024-02-01"
    assert row["wage"] == 14.5 and row["employer_benefits"] == "Yes"
    assert row["promotion"] == "Apprentice Level 2"
    assert row["certifications"] == "Paralegal" and row["certified_on"] == "2024-01-30"
    assert row["degrees"] == "GED" and row["degree_on"] == "2024-03-01" and row["gpa"] == 3.5
    assert row["barriers_expunged"] == "Yes"
    assert row["status"] == "Active"
    assert "ana" in data.search_keys[0] and "p-00001" in data.search_keys[0]


def test_edit_updates_rows_in_place_and_audits_old_to_new(repo: Repository) -> None:
    pid = P.save_participant(repo, full_form()).participant_id
    form = P.load_participant(repo, pid)
    job_id = form.jobs[0]["id"]
    form.jobs[0]["hourly_wage"] = "16"
    form.profile["last_name"] = "Rivera-Lopez"
    form.benefits = ["SNAP"]
    form.notes.append({"noted_on": "2024-02-01", "body": "Promoted soon"})
    result = P.save_participant(repo, form)
    assert not result.created and result.changes == 4
    again = P.load_participant(repo, pid)
    assert again.jobs[0]["id"] == job_id and again.jobs[0]["hourly_wage"] == 16.0
    assert again.benefits == ["SNAP"] and len(again.notes) == 2
    history = P.history(repo, pid)
    changes = {(e.table_name, e.field): (e.old_value, e.new_value) for e in history}
    assert changes[("jobs", "hourly_wage")] == ("14.5", "16.0")
    assert changes[("participants", "last_name")] == ("Rivera", "Rivera-Lopez")
    assert any(e.action == "delete" and e.table_name == "participant_benefits" for e in history)
    assert all(e.staff == "Test Staff" for e in history)
    # saving an unchanged form writes nothing
    assert P.save_participant(repo, P.load_participant(repo, pid)).changes == 0


def test_invalid_form_writes_nothing(repo: Repository) -> None:
    form = full_form()
    form.credentials[1]["gpa"] = "7"
    form.jobs[0]["hourly_wage"] = "-2"
    with pytest.raises(P.FormInvalidError) as caught:
        P.save_participant(repo, form)
    messages = {p.field: p.message for p in caught.value.problems}
    assert messages["credentials[1].gpa"] == "GPA must be between 0 and 4 (got 7)"
    assert messages["jobs[0].hourly_wage"] == "Hourly wage cannot be negative (got -2)"
    assert repo.count("participants") == 0 and repo.count("jobs") == 0


def test_save_is_one_transaction(repo: Repository) -> None:
    """A failure half-way (a database constraint) leaves no partial record behind."""
    form = full_form()
    form.credentials[0]["kind"] = "certification"
    form.barriers[0]["barrier_type"] = None  # validation catches it ...
    with pytest.raises(P.FormInvalidError):
        P.save_participant(repo, form)
    form = full_form()
    form.jobs.append({"employer": "Dup", "hourly_wage": "10"})
    form.enrollment["progress_pct"] = 50
    audit_before = repo.count("audit_log")
    # ... and a constraint failure inside the transaction rolls everything back
    form.credentials.append({"kind": "certification", "name": "X", "earned_on": "2024-01-01"})
    original = P._save_custom

    def explode(*args: object) -> None:
        raise RuntimeError("disk full")

    P._save_custom = explode  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            P.save_participant(repo, form)
    finally:
        P._save_custom = original
    assert repo.count("participants") == 0 and repo.count("jobs") == 0
    assert repo.count("audit_log") == audit_before


def test_warnings_do_not_block_saving(repo: Repository) -> None:
    form = full_form()
    form.jobs[0]["hourly_wage"] = "120"
    result = P.save_participant(repo, form)
    assert [w.field for w in result.warnings] == ["jobs[0].hourly_wage"]


def test_exit_date_syncs_followups(repo: Repository) -> None:
    pid = P.save_participant(repo, full_form()).participant_id
    assert repo.count("followups") == 0
    form = P.load_participant(repo, pid)
    form.enrollment["exited_on"] = "2024-12-01"
    form.enrollment["exit_reason"] = "Graduated"
    P.save_participant(repo, form)
    dues = sorted(r["due_on"] for r in repo.rows("followups", pid))
    assert dues[0] == date(2024, 12, 31) and len(dues) == 4
    assert P.load_tracker(repo).columns["status"][0] == "Alumni"


def test_archive_hides_and_undo_brings_back(repo: Repository) -> None:
    keep = add_participant(repo, "Bo", "Keep")
    gone = add_participant(repo, "Cy", "Gone")
    P.archive_participant(repo, gone)
    assert P.load_tracker(repo).ids == [keep]
    assert set(P.load_tracker(repo, include_archived=True).ids) == {keep, gone}
    assert P.load_participant(repo, gone).archived
    P.unarchive_participant(repo, gone)
    assert set(P.load_tracker(repo).ids) == {keep, gone}
    fields = [e.field for e in P.history(repo, gone)]
    assert fields.count("archived_at") == 2


def test_delete_says_what_goes_and_removes_everything(repo: Repository) -> None:
    pid = P.save_participant(repo, full_form()).participant_id
    counts = P.deletion_summary(repo, pid)
    assert counts["jobs"] == 1 and counts["credentials"] == 2 and counts["notes"] == 1
    words = P.describe_deletion(counts)
    assert "1 job" in words and "2 credentials" in words and "1 case note" in words
    P.delete_participant(repo, pid)
    for table in ("participants", "jobs", "credentials", "notes", "participant_benefits"):
        assert repo.count(table) == 0, table
    deleted = [e for e in P.history(repo, pid) if e.action == "delete"]
    assert deleted[0].table_name == "participants" and "2 credentials" in (deleted[0].reason or "")


def test_tracker_on_demo_data(demo_repo: Repository) -> None:
    data = P.load_tracker(demo_repo)
    assert len(data) == 200
    assert set(data.columns["status"]) <= {"Active", "Exited", "Alumni"}
    wages = [w for w in data.columns["wage"] if w is not None]
    assert wages and all(isinstance(w, float) for w in wages)
    with demo_repo.reading() as conn:
        stage = conn.execute(
            text(
                "SELECT stage FROM stage_history WHERE participant_id = :p "
                "ORDER BY started_on DESC, id DESC LIMIT 1"
            ),
            {"p": data.ids[0]},
        ).scalar()
    assert data.columns["stage"][0] == stage


# --- option lists -------------------------------------------------------------------------
def test_rename_option_updates_records_and_audits(repo: Repository) -> None:
    a = add_participant(repo, "Ana", "A", program="Pipeline")
    b = add_participant(repo, "Bo", "B", program="Fellows")
    changed = options.rename_option(repo, "programs", "Pipeline", "Pathways")
    assert changed == 1
    assert options.list_options(repo, "programs") == ["Pathways", "Fellows"]
    programs = dict(
        zip(P.load_tracker(repo).ids, P.load_tracker(repo).columns["program"], strict=True)
    )
    assert programs == {a: "Pathways", b: "Fellows"}
    entry = next(e for e in P.history(repo, a) if e.field == "program")
    assert (entry.old_value, entry.new_value, entry.staff) == ("Pipeline", "Pathways", "Test Staff")
    assert not any(e.field == "program" for e in P.history(repo, b))


def test_rename_benefit_and_credential_propagate(repo: Repository) -> None:
    pid = P.save_participant(repo, full_form()).participant_id
    assert options.rename_option(repo, "benefits", "SNAP", "SNAP (food)") == 1
    assert options.rename_option(repo, "certifications", "Paralegal", "Paralegal cert") == 1
    form = P.load_participant(repo, pid)
    assert "SNAP (food)" in form.benefits
    assert form.credentials[0]["name"] == "Paralegal cert"
    # the degree list is separate: a degree named like a certification is not touched
    assert form.credentials[1]["name"] == "GED"


def test_rename_refuses_existing_or_empty(repo: Repository) -> None:
    with pytest.raises(options.OptionError, match="already in Programs"):
        options.rename_option(repo, "programs", "Pipeline", "Fellows")
    with pytest.raises(options.OptionError, match="cannot be empty"):
        options.rename_option(repo, "programs", "Pipeline", " ")


def test_delete_option_in_use_is_refused(repo: Repository) -> None:
    add_participant(repo, program="Pipeline")
    with pytest.raises(options.OptionInUseError) as caught:
        options.delete_option(repo, "programs", "Pipeline")
    assert str(caught.value).startswith("'Pipeline' cannot be removed: it is used by 1 enrollment")
    assert "Pipeline" in options.list_options(repo, "programs")
    options.add_option(repo, "programs", "Evening")
    options.delete_option(repo, "programs", "Evening")
    assert "Evening" not in options.list_options(repo, "programs")


def test_option_order_active_and_stages(repo: Repository) -> None:
    options.move_option(repo, "programs", "Fellows", -1)
    assert options.list_options(repo, "programs") == ["Fellows", "Pipeline"]
    options.set_option_active(repo, "programs", "Fellows", False)
    assert repo.options("programs") == ["Pipeline"]
    assert options.inactive_options(repo, "programs") == {"Fellows"}
    options.add_option(repo, "stages", "Alumni mentor")
    assert options.list_options(repo, "stages")[-1] == "Alumni mentor"
    with pytest.raises(options.OptionError):
        options.add_option(repo, "stages", "Intake")


def test_custom_fields_round_trip_and_removal_rules(repo: Repository) -> None:
    ref = options.add_custom_field(repo, "Referral source", "choice", ["Court", "Shelter"])
    size = options.add_custom_field(repo, "Shoe size", "number")
    with pytest.raises(options.OptionError):
        options.add_custom_field(repo, "Empty choice", "choice", [])
    form = full_form()
    form.custom = {"referral_source": "Court", "shoe_size": "10.5"}
    pid = P.save_participant(repo, form).participant_id
    assert P.load_participant(repo, pid).custom == {"referral_source": "Court", "shoe_size": "10.5"}
    bad = P.load_participant(repo, pid)
    bad.custom["shoe_size"] = "big"
    with pytest.raises(P.FormInvalidError) as caught:
        P.save_participant(repo, bad)
    assert caught.value.problems[0].field == "custom.shoe_size"
    assert options.rename_custom_choice(repo, ref, "Court", "Court referral") == 1
    assert P.load_participant(repo, pid).custom["referral_source"] == "Court referral"
    with pytest.raises(options.OptionInUseError, match="1 participant has a value"):
        options.delete_custom_field(repo, size)
    options.update_custom_field(repo, size, active=False)
    assert [f.key for f in options.custom_fields(repo)] == ["referral_source"]
    entries = [e for e in P.history(repo, pid) if e.table_name == "custom_values"]
    assert {e.field for e in entries} == {"referral_source", "shoe_size"}


def test_staff_list(repo: Repository) -> None:
    options.add_staff(repo, "Dana Case")
    with pytest.raises(options.OptionError, match="already"):
        options.add_staff(repo, "Dana Case")
    options.set_staff_active(repo, "Dana Case", False)
    assert ("Dana Case", False) in options.staff_list(repo)
    assert "Dana Case" not in repo.staff_names()


def test_form_json_round_trip(repo: Repository) -> None:
    pid = P.save_participant(repo, full_form()).participant_id
    form = P.load_participant(repo, pid)
    import json

    again = P.ParticipantForm.from_json(json.loads(json.dumps(form.to_json())))
    assert again == form
