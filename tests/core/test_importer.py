"""The spreadsheet importer on real files and real encrypted trackers."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.conftest import SAMPLE_TRACKER
from tests.helpers import add_participant
from tracker_desktop.core import importer, schema
from tracker_desktop.core.importer import ImportFileError, ImportProfile
from tracker_desktop.core.repository import Repository

TODAY = date(2026, 12, 3)


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def people(repo: Repository) -> dict[str, dict[str, Any]]:
    """Everything imported per participant, keyed by first name."""
    out: dict[str, dict[str, Any]] = {}
    for person in repo.rows("participants"):
        pid = person["id"]
        out[person["first_name"]] = {
            "person": person,
            "enrollments": repo.rows("enrollments", pid),
            "jobs": repo.rows("jobs", pid),
            "promotions": repo.rows("promotions", pid),
            "credentials": repo.rows("credentials", pid),
            "barriers": repo.rows("legal_barriers", pid),
            "notes": repo.rows("notes", pid),
            "custom": {r["field_id"]: r["value"] for r in repo.rows("custom_values", pid)},
        }
    return out


def import_file(repo: Repository, path: Path, **kwargs: Any) -> importer.ImportResult:
    preview = importer.prepare(path, repo, **kwargs)
    assert not preview.blocking, [p.line() for p in preview.problems()]
    return importer.run_import(repo, preview, today=TODAY)


# --- the sample tracker -------------------------------------------------------------------
def test_sample_tracker_preview_without_a_profile() -> None:
    preview = importer.prepare(SAMPLE_TRACKER, None)
    assert preview.sheet == "Tracker"
    assert preview.profile.header_row == 2
    assert preview.counts == {"create": 4, "update": 0, "skip": 1, "reject": 0}
    targets = {c.display: c.target for c in preview.profile.columns}
    assert targets["E (unnamed)"] == "progress_pct"
    assert targets["H (Hourly wage)"] == "hourly_wage"
    assert targets["K (unnamed)"] == "skip"
    assert targets["Q (Legal Barriers Expunged)"] == "custom:Legal Barriers Expunged"
    lines = [p.line() for p in preview.problems()]
    assert any(
        "row 1: Not imported: above the column names" in line and "K1 = 20" in line
        for line in lines
    )
    assert any(line.startswith("row 3: Skipped") and "placeholder" in line for line in lines)
    assert (
        "row 7, column Q (Legal Barriers Expunged): '5' is not one of the file's dropdown "
        "choices for this column (Option 1, Option 2): imported as written (warning)"
    ) in lines
    rules = {r.row: r.rules for r in preview.rows}
    assert rules[4]["E (unnamed)"].endswith("read as a fraction (0.5 = 50%)")
    assert rules[5]["L (Certifications Earned)"] == "matched to list value 'ServSafe'"


def test_sample_tracker_imports_exact_values(repo: Repository) -> None:
    result = import_file(repo, SAMPLE_TRACKER)
    assert (result.created, result.updated, result.skipped) == (4, 0, 1)
    got = people(repo)
    assert sorted(got) == ["Ana", "Chidi", "Dee", "Linh"]
    assert {p["person"]["last_name"] for p in got.values()} == {
        "Rivera", "Okafor", "Nguyen", "Smith-Jones"
    }  # fmt: skip
    expected_enrollment = {
        "Ana": ("Pipeline", date(2024, 1, 3), 50.0),
        "Chidi": ("Fellows", date(2024, 1, 5), 25.0),
        "Linh": ("Fellows", date(2025, 2, 15), 10.0),
        "Dee": ("Pipeline", date(2025, 2, 21), 30.0),
    }
    for name, (program, enrolled, progress) in expected_enrollment.items():
        [enrollment] = got[name]["enrollments"]
        assert (enrollment["program"], enrollment["enrolled_on"]) == (program, enrolled)
        assert enrollment["progress_pct"] == pytest.approx(progress)
    # Jobs: wage and employer benefits; "Employed: No" is a job that has ended.
    [ana_job] = got["Ana"]["jobs"]
    assert (ana_job["hourly_wage"], ana_job["employer_benefits"], ana_job["ended_on"]) == (
        14.5, True, None
    )  # fmt: skip
    [chidi_job] = got["Chidi"]["jobs"]
    assert chidi_job["hourly_wage"] == 14.5 and chidi_job["employer_benefits"] is True
    assert chidi_job["ended_on"] == TODAY
    [linh_job] = got["Linh"]["jobs"]
    assert linh_job["hourly_wage"] == 14.5 and linh_job["ended_on"] is None
    assert got["Dee"]["jobs"] == []
    assert "Enrolled Benefits" in got["Dee"]["notes"][0]["body"]
    assert "No" in got["Dee"]["notes"][0]["body"]
    # Promotions, credentials with dates and GPAs.
    assert [p["title"] for p in got["Chidi"]["promotions"]] == ["Apprentice Level 2"]
    assert got["Ana"]["promotions"] == []

    def creds(name: str) -> set[tuple[Any, ...]]:
        return {
            (c["kind"], c["name"], c["earned_on"], c["gpa"], c["expected"])
            for c in got[name]["credentials"]
        }

    assert creds("Ana") == {("certification", "Paralegal", date(2024, 1, 30), 2.0, False)}
    assert creds("Chidi") == {("certification", "ServSafe", date(2025, 1, 16), 3.5, False)}
    assert creds("Linh") == {("certification", "ServSafe", date(2025, 3, 10), 4.0, False)}
    assert creds("Dee") == {
        ("certification", "Paralegal", date(2025, 3, 20), None, False),
        ("degree", "JD", date(2026, 3, 15), 3.6, False),
    }
    # Legal-barrier answers are kept verbatim in a custom field.
    [field] = repo.rows("custom_fields")
    assert field["label"] == "Legal Barriers Expunged" and field["field_type"] == "text"
    answers = {name: got[name]["custom"].get(field["id"]) for name in got}
    assert answers == {"Ana": "Option 1", "Chidi": "Option 1", "Linh": None, "Dee": "5"}
    # The batch is recorded, and every audit row of it carries its id.
    [batch] = importer.list_batches(repo)
    assert batch.undo_label == "Undo import of sample_tracker.xlsx, 4 participants"
    assert {p["person"]["import_batch_id"] for p in got.values()} == {batch.id}
    with repo.reading() as conn:
        log = schema.audit_log
        batch_ids = set(conn.execute(select(log.c.import_batch_id)).scalars())
    assert batch_ids == {batch.id}
    assert repo.count("participants") == 4


def test_sample_tracker_dashboard_says_what_the_sheet_says(repo: Repository) -> None:
    """The sheet gives no Date of Employment: Ana's and Linh's "Employed: Yes" jobs still
    count as current (from their enrollment), Chidi's ended one does not."""
    from tracker_desktop.core import metrics

    import_file(repo, SAMPLE_TRACKER)
    as_of = date.today()
    report = metrics.compute(metrics.load_dataset(repo, as_of), metrics.Filters(as_of=as_of))
    employment = report.metrics["employment_rate"]
    assert (employment.numerator, employment.denominator, employment.unknown) == (2, 4, 0)
    assert report.metrics["wage_mean"].value == pytest.approx(14.5)
    assert report.metrics["employer_benefits"].numerator == 2
    assert report.metrics["employer_benefits"].denominator == 2
    tracker = report.derived.participants.set_index("first_name")
    assert list(tracker.loc[["Ana", "Chidi", "Linh", "Dee"], "employed"]) == [
        True, False, True, False
    ]  # fmt: skip
    assert tracker.loc["Ana", "current_wage"] == pytest.approx(14.5)
    assert pd.isna(tracker.loc["Ana", "current_job_started"])  # no date is made up


def test_importing_the_sample_twice_merges_instead_of_doubling(repo: Repository) -> None:
    import_file(repo, SAMPLE_TRACKER)
    preview = importer.prepare(SAMPLE_TRACKER, repo)
    assert preview.counts["update"] == 4 and preview.counts["create"] == 0
    assert all(p.duplicate and p.duplicate.participant_id for p in preview.duplicates)
    result = importer.run_import(repo, preview, today=TODAY)
    assert (result.created, result.updated) == (0, 4)
    assert repo.count("participants") == 4
    assert repo.count("credentials") == 5  # identical rows are not added twice
    assert repo.count("jobs") == 3


# --- reading --------------------------------------------------------------------------------
def test_every_sheet_can_be_chosen(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "two.xlsx",
        {
            "Notes": [["just a note"]],
            "People": [["First Name", "Last Name", "Program", "Enrollment date"],
                       ["Ana", "Reyes", "Pipeline", datetime(2024, 5, 1)]],
        },
    )  # fmt: skip
    assert importer.list_sheets(path) == ["Notes", "People"]
    preview = importer.prepare(path, None, sheet="People")
    assert preview.counts["create"] == 1
    with pytest.raises(ImportFileError, match="no sheet called 'Missing'"):
        importer.read_table(path, "Missing")


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [("utf-8", b"", "UTF-8"), ("utf-8", b"\xef\xbb\xbf", "UTF-8 with BOM"),
     ("cp1252", b"", "Windows-1252")],
)  # fmt: skip
def test_csv_encodings(tmp_path: Path, encoding: str, prefix: bytes, detected: str) -> None:
    text = (
        "First name,Last name,Program,Date of enrollment,Hourly wage\r\n"
        'José,Núñez,Pipeline,2024-01-03,"$1,200.00"\r\n'
    )
    path = tmp_path / "people.csv"
    path.write_bytes(prefix + text.encode(encoding))
    data = importer.read_table(path)
    assert data.rows[0][0] == "First name"  # no BOM left on the first header
    preview = importer.build_preview(data, importer.suggest_profile(data))
    [row] = preview.rows
    assert (row.values["first_name"], row.values["last_name"]) == ("José", "Núñez")
    assert row.values["hourly_wage"] == 1200.0
    assert data.encoding == detected


def test_csv_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "eu.csv",
        "Nom;First name;Last name;Program;Enrollment date;Wage;Progress\n"
        ";Ana;Reyes;Fellows;25/03/2024;14,50;50%\n"
        ";Ben;Ode;Fellows;1/3/2024;15,00;0,5\n",
    )
    data = importer.read_table(path)
    assert data.delimiter == ";"
    profile = importer.suggest_profile(data)
    assert profile.decimal == ","
    preview = importer.build_preview(data, profile)
    assert preview.date_order == "DMY"  # 25/03/2024 only works day-first
    ana, ben = preview.rows
    assert ana.values["hourly_wage"] == 14.5 and ben.values["hourly_wage"] == 15.0
    assert ben.values["enrolled_on"] == date(2024, 3, 1)
    assert ana.values["progress_pct"] == 50.0


def test_ambiguous_dates_are_flagged_until_an_order_is_stated(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "us.csv",
        "First name,Last name,Program,Enrollment date\nAna,Reyes,Pipeline,1/3/24\n"
        "Ben,Ode,Pipeline,2/4/24\n",
    )
    preview = importer.prepare(path, None)
    assert preview.blocking
    assert any("could be" in p.message for p in preview.problems())
    assert all(r.has_errors for r in preview.rows)
    stated = importer.prepare(path, None, date_order="DMY")
    assert not stated.blocking
    assert stated.rows[0].values["enrolled_on"] == date(2024, 3, 1)
    month_first = importer.prepare(path, None, date_order="MDY")
    assert month_first.rows[0].values["enrolled_on"] == date(2024, 1, 3)


def test_a_few_dates_that_decide_the_order_for_many_are_a_warning(tmp_path: Path) -> None:
    rows = "".join(f"P{i},Person,Pipeline,{i % 9 + 1}/3/24\n" for i in range(40))
    path = write_csv(
        tmp_path / "one-proof.csv",
        "First name,Last name,Program,Enrollment date\n" + rows + "Zed,Zulu,Pipeline,25/3/24\n",
    )
    preview = importer.prepare(path, None)
    [notice] = [n for n in preview.notices if n.message.startswith("Dates read as")]
    assert notice.severity == "warning"
    assert "1 date(s) only work that way (e.g. 25/3/24)" in notice.message
    assert "35 that could be either" in notice.message  # the five 3/3/24 read the same
    assert not preview.blocking and preview.date_order == "DMY"


def test_an_unreadable_date_is_one_problem_not_also_missing(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "typo.csv",
        "First name,Last name,Program,Enrollment date\nAna,Reyes,Pipeline,2024-02-31\n",
    )
    [plan] = importer.prepare(path, None).rows
    assert [p.message for p in plan.problems if p.is_error] == [
        next(p.message for p in plan.problems if "2024-02-31" in p.message)
    ]


def test_with_no_sheet_named_the_first_sheet_with_a_table_is_read(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "instructions.xlsx",
        {
            "Read me": [["How to fill this in"], ["One row per person"]],
            "Empty": [],
            "People": [["First name", "Last name", "Program"], ["Ana", "Reyes", "Pipeline"]],
        },
    )
    data = importer.read_table(path)
    assert data.sheet == "People" and data.rows[1] == ["Ana", "Reyes", "Pipeline"]
    with pytest.raises(ImportFileError, match=r"sheet 'Read me'.*--sheet NAME"):
        importer.suggest_profile(importer.read_table(path, "Read me"))


def test_unknown_file_types_get_a_clear_message(tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ImportFileError, match=r"save it as \.xlsx or \.csv"):
        importer.read_table(old)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ImportFileError, match="cannot be opened as an Excel file"):
        importer.read_table(broken)


# --- mapping ---------------------------------------------------------------------------------
@pytest.mark.parametrize("header", ["Hourly wage", "Wage", "Pay rate", "pay  rate ", "WAGE"])
def test_wage_synonyms(tmp_path: Path, header: str) -> None:
    path = write_csv(tmp_path / "w.csv", f"First name,Last name,{header}\nA,B,$14.50\n")
    profile = importer.suggest_profile(importer.read_table(path))
    assert profile.columns[2].target == "hourly_wage"


def test_measures_at_time_points_and_custom_fields(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "lalonde.csv",
        "First name,Last name,Program,Enrollment date,Earnings 1974,Earnings 1975,"
        "Earnings 1978,Favourite colour,Social capital at exit\n"
        'Ana,Reyes,Pipeline,2024-01-03,0,"1,200.50",9930.05,green,4\n',
    )
    data = importer.read_table(path)
    profile = importer.suggest_profile(data)
    targets = [c.target for c in profile.columns]
    assert targets[4:] == [
        "measure:annual_earnings@entry",
        "measure:annual_earnings@during",
        "measure:annual_earnings@follow_up",
        "custom:Favourite colour",
        "measure:social_capital@exit",
    ]
    assert importer.target_label(targets[6]) == "Annual earnings at follow-up"


def test_any_column_can_map_anywhere_and_the_profile_round_trips(
    tmp_path: Path, repo: Repository
) -> None:
    path = write_csv(
        tmp_path / "odd.csv",
        "Who,Cohort,Started,Pay\nAna Reyes,Fellows,2024-01-03,14.5\n",
    )
    data = importer.read_table(path)
    profile = importer.suggest_profile(data)
    profile.columns[0].target = "full_name"
    profile.columns[1].target = "program"
    profile.columns[2].target = "enrolled_on"
    profile.columns[3].target = "measure:earning_power@entry"
    saved = tmp_path / "profile.json"
    profile.save(saved)
    raw = json.loads(saved.read_text())
    assert raw["header_row"] == 1
    assert raw["columns"][3] == {
        "column": "D", "header": "Pay", "target": "measure:earning_power@entry", "options": {}
    }  # fmt: skip
    loaded = ImportProfile.load(saved)
    result = import_file(repo, path, profile=loaded)
    assert result.created == 1
    [person] = repo.rows("participants")
    assert (person["first_name"], person["last_name"]) == ("Ana", "Reyes")
    [measurement] = repo.rows("measurements")
    assert (measurement["time_point"], measurement["value"]) == ("entry", 14.5)


def test_a_profile_follows_columns_by_header_when_they_move(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", "Surname,Given,Cohort\nReyes,Ana,Fellows\n")
    data = importer.read_table(first)
    profile = importer.suggest_profile(data)
    profile.columns[2].target = "program"
    moved = write_csv(tmp_path / "b.csv", "Cohort,Given,Surname\nFellows,Ana,Reyes\n")
    applied = importer.apply_profile(importer.read_table(moved), profile)
    assert [c.target for c in applied.columns] == ["program", "first_name", "last_name"]


def test_a_profile_follows_the_header_row_when_a_group_header_is_deleted(
    tmp_path: Path,
) -> None:
    profile = importer.suggest_profile(importer.read_table(SAMPLE_TRACKER))
    assert profile.header_row == 2  # under the sample's group-header row
    workbook = openpyxl.load_workbook(SAMPLE_TRACKER)
    workbook.active.delete_rows(1)  # someone deletes the group-header row
    moved = tmp_path / "no-group-header.xlsx"
    workbook.save(moved)
    preview = importer.prepare(moved, None, profile)
    assert preview.profile.header_row == 1
    assert preview.counts["create"] == 4


def test_bad_profiles_are_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"columns": [{"column": "A", "target": "shoe_size"}]}')
    with pytest.raises(ImportFileError, match="Unknown import target 'shoe_size'"):
        ImportProfile.load(path)
    path.write_text("{nope")
    with pytest.raises(ImportFileError, match="not valid JSON"):
        ImportProfile.load(path)


# --- problems ---------------------------------------------------------------------------------
def test_row_problems_name_row_and_column(tmp_path: Path, repo: Repository) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        "First name,Last name,Program,Date of enrollment,Hourly wage,Degree,GPA,Date of birth\n"
        "Ana,Reyes,Pipeline,2024-01-03,-3,GED,7,1990-01-01\n"
        "Ben,,Pipeline,2/30/2024,14,,,\n"
        "Cy,Po,Pipeline,2024-01-03,14,,,2030-01-01\n"
        "Di,Lu,Welding,2024-01-03,=1+2,,,\n",
    )
    preview = importer.prepare(path, repo)
    lines = [p.line() for p in preview.problems()]
    assert "row 2, column E (Hourly wage): Hourly wage cannot be negative (got -3)" in lines
    assert "row 2, column G (GPA): GPA must be between 0 and 4 (got 7)" in lines
    assert "row 3: Last name is required" in lines
    assert any(
        line.startswith("row 3, column D (Date of enrollment): '2/30/2024'") for line in lines
    )
    assert any(line.startswith("row 4, column H (Date of birth)") for line in lines)
    assert any("row 5, column E (Hourly wage): '=1+2' is not an amount" in line for line in lines)
    assert any("'Welding' is not in the programs list: it will be added" in line for line in lines)
    assert preview.blocking and preview.counts["reject"] == 4
    with pytest.raises(ImportFileError, match="block the import"):
        importer.run_import(repo, preview)
    assert repo.count("participants") == 0
    preview.skip_invalid = True
    assert not preview.blocking and preview.counts["skip"] == 4


def test_formula_like_text_is_stored_as_text(tmp_path: Path, repo: Repository) -> None:
    path = write_csv(
        tmp_path / "f.csv",
        "First name,Last name,Program,Date of enrollment,Notes\n"
        'Ana,=HYPERLINK("x"),Pipeline,2024-01-03,@SUM(A1)\n',
    )
    import_file(repo, path)
    [person] = repo.rows("participants")
    assert person["last_name"] == '=HYPERLINK("x")'
    assert repo.rows("notes")[0]["body"] == "@SUM(A1)"


# --- duplicates ------------------------------------------------------------------------------
def test_duplicates_within_the_sheet_and_against_the_tracker(
    tmp_path: Path, repo: Repository
) -> None:
    add_participant(repo, "Ana", "Reyes", enrolled_on=date(2024, 1, 3))
    path = write_csv(
        tmp_path / "dups.csv",
        "First name,Last name,Program,Date of enrollment,Date of birth,Hourly wage\n"
        "ana ,REYES,Pipeline,2024-01-03,,15\n"
        "Ben,Ode,Fellows,2024-02-01,1990-05-05,\n"
        "Ben,Ode,Fellows,2024-06-01,1990-05-05,16\n"
        "Cy,Po,Fellows,2024-02-01,,\n",
    )
    preview = importer.prepare(path, repo)
    dups = {p.row: p.duplicate for p in preview.duplicates}
    assert set(dups) == {2, 4}
    assert dups[2] is not None and dups[2].participant_id is not None
    assert "enrollment date 2024-01-03" in dups[2].describe()
    assert dups[4] is not None and dups[4].row == 3 and "birth date" in dups[4].matched_on
    assert preview.counts == {"create": 2, "update": 2, "skip": 0, "reject": 0}

    preview.set_choice(2, "skip")
    preview.set_choice(4, "create")
    assert preview.counts == {"create": 3, "update": 0, "skip": 1, "reject": 0}
    result = importer.run_import(repo, preview, today=TODAY)
    assert (result.created, result.skipped) == (3, 1)
    assert repo.count("participants") == 4
    names = sorted(p["first_name"] for p in repo.rows("participants"))
    assert names == ["Ana", "Ben", "Ben", "Cy"]


def test_a_merge_keeps_the_trackers_spelling_of_the_name(tmp_path: Path, repo: Repository) -> None:
    pid = add_participant(repo, "Ana", "Reyes", enrolled_on=date(2024, 1, 3))
    path = write_csv(
        tmp_path / "lower.csv",
        "First name,Last name,Program,Date of enrollment,Date of birth\n"
        "ana ,REYES,Pipeline,2024-01-03,1990-05-05\n",
    )
    preview = importer.prepare(path, repo)
    assert preview.counts["update"] == 1
    importer.run_import(repo, preview, today=TODAY)
    person = repo.get("participants", pid)
    assert (person["first_name"], person["last_name"]) == ("Ana", "Reyes")
    assert person["date_of_birth"] == date(1990, 5, 5)  # what the row adds is merged


def test_merge_within_the_sheet_adds_to_the_earlier_row(tmp_path: Path, repo: Repository) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        "First name,Last name,Program,Date of enrollment,Certification\n"
        "Ben,Ode,Fellows,2024-02-01,ServSafe\n"
        "Ben,Ode,Fellows,2024-02-01,Forklift\n",
    )
    result = import_file(repo, path)
    assert (result.created, result.updated) == (1, 1)
    assert sorted(c["name"] for c in repo.rows("credentials")) == ["Forklift", "ServSafe"]
    assert repo.count("enrollments") == 1


# --- one batch, cancel, undo --------------------------------------------------------------
def test_cancel_writes_nothing(repo: Repository, tmp_path: Path) -> None:
    lines = ["First name,Last name,Program,Date of enrollment"] + [
        f"P{i},Person,Pipeline,2024-01-03" for i in range(600)
    ]
    path = write_csv(tmp_path / "many.csv", "\n".join(lines) + "\n")
    preview = importer.prepare(path, repo)
    calls: list[int] = []

    def progress(done: int, total: int, label: str) -> bool:
        calls.append(done)
        return done < 500  # press Cancel half-way

    with pytest.raises(importer.ImportCancelledError):
        importer.run_import(repo, preview, progress)
    assert calls and max(calls) >= 500
    assert repo.count("participants") == 0
    assert repo.count("import_batches") == 0
    assert repo.count("audit_log") == 0


def test_a_participant_code_already_used_is_a_duplicate_or_an_error(
    repo: Repository, tmp_path: Path
) -> None:
    with repo.transaction() as tx:
        tx.insert(
            "participants",
            {"participant_code": "X-1", "first_name": "Ana", "last_name": "Reyes",
             "created_at": tx.at, "updated_at": tx.at},
        )  # fmt: skip
    path = write_csv(
        tmp_path / "codes.csv",
        "Participant code,First name,Last name,Program,Date of enrollment\n"
        "X-1,Ana,Reyes,Pipeline,2024-01-03\n"  # the same person: merge
        "X-1,Ben,Ode,Pipeline,2024-01-03\n"  # someone else with her code: an error
        "X-7,Cy,Lam,Pipeline,2024-01-03\nX-7,Dee,Ray,Pipeline,2024-01-03\n",
    )
    preview = importer.prepare(path, repo)
    assert [(p.row, p.action()) for p in preview.rows] == [
        (2, "update"), (3, "reject"), (4, "create"), (5, "reject")
    ]  # fmt: skip
    messages = [p.line() for p in preview.problems() if p.is_error]
    assert messages == [
        "row 3, column A (Participant code): Participant code X-1 belongs to Ana Reyes in the "
        "tracker, not Ben Ode: fix the code or the name",
        "row 5, column A (Participant code): Participant code X-7 is already on row 4 (Cy Lam), "
        "not Dee Ray: fix the code or the name",
    ]
    # "Create anyway" on the same person: a new record, with a new code.
    preview.skip_invalid = True
    preview.set_choice(2, "create")
    result = importer.run_import(repo, preview, today=TODAY)
    assert (result.created, result.updated, result.skipped) == (2, 0, 2)
    codes = sorted(r["participant_code"] for r in repo.rows("participants"))
    assert codes == ["P-00001", "X-1", "X-7"]  # Ana again as P-00001; Cy keeps X-7


def test_two_imports_checked_at_once_cannot_both_write(repo: Repository, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        "First name,Last name,Program,Date of enrollment\nAna,Reyes,Pipeline,2024-01-03\n",
    )
    first, second = importer.prepare(path, repo), importer.prepare(path, repo)
    importer.run_import(repo, first)
    with pytest.raises(ImportFileError, match="changed after the file was checked"):
        importer.run_import(repo, second)  # it would create Ana a second time
    assert repo.count("participants") == 1 and repo.count("import_batches") == 1
    again = importer.prepare(path, repo)  # checked again: Ana is now a duplicate to merge
    assert again.counts["update"] == 1
    # A phone number saved meanwhile changes nothing the check looked at; a name does.
    pid = repo.rows("participants")[0]["id"]
    repo.update("participants", pid, {"phone": "555-0100"})
    importer.run_import(repo, again, today=TODAY)
    stale = importer.prepare(path, repo)
    repo.update("participants", pid, {"first_name": "Anna"})
    with pytest.raises(ImportFileError, match="changed after the file was checked"):
        importer.run_import(repo, stale)


def test_a_failure_mid_batch_writes_nothing(repo: Repository, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "people.csv",
        "First name,Last name,Program,Date of enrollment\n"
        "Ana,Reyes,Pipeline,2024-01-03\nBen,Ode,Pipeline,2024-01-03\n",
    )
    preview = importer.prepare(path, repo)
    assert not preview.blocking
    with repo.transaction() as tx:  # the file refuses the second row (as a full disk would)
        tx.conn.exec_driver_sql(
            "CREATE TRIGGER refuse_ben BEFORE INSERT ON participants WHEN NEW.first_name = 'Ben' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(Exception, match="refused"):
        importer.run_import(repo, preview)
    assert repo.count("participants") == 0
    assert repo.count("import_batches") == 0


def test_undo_removes_created_records_and_restores_merged_ones(
    repo: Repository, tmp_path: Path
) -> None:
    pid = add_participant(repo, "Ana", "Reyes", enrolled_on=date(2024, 1, 3))
    path = write_csv(
        tmp_path / "u.csv",
        "First name,Last name,Program,Date of enrollment,Email,Certification\n"
        "Ana,Reyes,Pipeline,2024-01-03,ana@example.org,ServSafe\n"
        "Ben,Ode,Fellows,2024-02-01,,\n",
    )
    result = import_file(repo, path)
    assert (result.created, result.updated) == (1, 1)
    assert repo.get("participants", pid)["email"] == "ana@example.org"
    [batch] = importer.list_batches(repo)
    assert batch.undo_label == "Undo import of u.csv, 2 participants"
    undone = importer.undo_import(repo, batch.id)
    assert undone.status == "undone" and not undone.can_undo
    assert [p["first_name"] for p in repo.rows("participants")] == ["Ana"]
    assert repo.get("participants", pid)["email"] is None
    assert repo.rows("credentials") == []
    assert repo.count("enrollments") == 1
    with pytest.raises(ImportFileError, match="already undone"):
        importer.undo_import(repo, batch.id)


def test_undo_of_the_sample_tracker(repo: Repository) -> None:
    result = import_file(repo, SAMPLE_TRACKER)
    assert importer.edited_since_import(repo, result.batch_id) == 0
    ana = next(p for p in repo.rows("participants") if p["first_name"] == "Ana")
    repo.update("participants", ana["id"], {"phone": "555-0100"})
    assert importer.edited_since_import(repo, result.batch_id) == 1
    importer.undo_import(repo, result.batch_id)
    for table in ("participants", "enrollments", "jobs", "credentials", "custom_values", "notes"):
        assert repo.count(table) == 0, table
    assert repo.count("custom_fields") == 0


def test_excel_sep_line_and_formatted_empty_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sep.csv", "sep=;\nFirst name;Last name\nAna;Reyes, Jr.\n\n\n")
    data = importer.read_table(path)
    assert data.delimiter == ";" and data.rows == [
        ["First name", "Last name"],
        ["Ana", "Reyes, Jr."],
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["First name", "Last name", "Program", "Date of enrollment"])
    sheet.append(["Ana", "Reyes", "Pipeline", datetime(2024, 1, 3)])
    for row in range(3, 400):  # formatted but empty, like a template's dropdown rows
        sheet.cell(row, 3).number_format = "0.00%"
        sheet.cell(row, 3).value = None
        sheet.cell(row, 1).value = "  "
    workbook.save(tmp_path / "formatted.xlsx")
    preview = importer.prepare(tmp_path / "formatted.xlsx", None)
    assert preview.counts == {"create": 1, "update": 0, "skip": 0, "reject": 0}


def test_percent_out_of_range_is_reported_once(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        "First name,Last name,Program,Date of enrollment,Progress\n"
        "Ana,Reyes,Pipeline,2024-01-03,150%\n",
    )
    [row] = importer.prepare(path, None).rows
    assert [p.message for p in row.problems] == [
        "Program progress must be between 0 and 100% (got 150)"
    ]
    assert row.problems[0].column == "E (Progress)"


def test_repeated_unknown_headers_become_separate_custom_fields(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", "First name,Last name,Shoe,Shoe\nAna,Reyes,38,39\n")
    profile = importer.suggest_profile(importer.read_table(path))
    assert [c.target for c in profile.columns[2:]] == ["custom:Shoe", "custom:Shoe (D)"]


def test_a_large_import_written_in_batches_keeps_every_row_and_its_audit(
    repo: Repository, tmp_path: Path
) -> None:
    """Over _FLUSH_EVERY rows the import writes in several batches inside ONE transaction:
    every record keeps its rows, one audit row each, a later in-sheet duplicate merges into
    a record written in an earlier batch, and undo takes all of it back out."""
    count = importer._FLUSH_EVERY * 2 + 7
    lines = ["First name,Last name,Program,Date of enrollment,Certification"] + [
        f"P{i},Person,Pipeline,2024-01-03,{'ServSafe' if i % 2 else ''}" for i in range(count)
    ]
    lines.append("P3,Person,Pipeline,2024-01-03,Forklift")  # same person as row 5
    path = write_csv(tmp_path / "many.csv", "\n".join(lines) + "\n")
    result = import_file(repo, path)
    assert (result.created, result.updated) == (count, 1)
    assert repo.count("participants") == count
    assert repo.count("enrollments") == count
    everyone = people(repo)
    assert sorted(c["name"] for c in everyone["P3"]["credentials"]) == ["Forklift", "ServSafe"]
    assert [c["name"] for c in everyone[f"P{count - 2}"]["credentials"]] == ["ServSafe"]
    audit = schema.audit_log
    with repo.reading() as conn:
        rows = conn.execute(
            select(audit.c.row_id, audit.c.new_value, audit.c.import_batch_id).where(
                audit.c.table_name == "participants", audit.c.action == "insert"
            )
        ).all()
        enrollment_rows = conn.execute(
            select(func.count()).where(audit.c.table_name == "enrollments")
        ).scalar_one()
    assert len(rows) == count
    assert enrollment_rows == 0  # each created record's audit row holds its enrollment
    assert {r.import_batch_id for r in rows} == {result.batch_id}
    for row in rows:  # also the records at each batch's edge
        summary = json.loads(row.new_value)
        assert [e["program"] for e in summary["enrollments"]] == ["Pipeline"], summary
        number = int(summary["first_name"][1:])
        expected = ["ServSafe"] if number % 2 else []
        assert [c["name"] for c in summary.get("credentials", [])] == expected, summary
    importer.undo_import(repo, result.batch_id)
    assert repo.count("participants") == 0
    assert repo.count("credentials") == 0


def test_a_percent_column_mixing_fractions_and_points_is_a_warning(tmp_path: Path) -> None:
    rows = [["First name", "Last name", "Program", "Progress"]]
    rows += [[f"P{i}", "Person", "Pipeline", 0.5] for i in range(20)]
    rows += [[f"Q{i}", "Person", "Pipeline", 50] for i in range(5)]
    preview = importer.prepare(write_xlsx(tmp_path / "pct.xlsx", {"T": rows}), None)
    [notice] = [n for n in preview.notices if "mixes fractions" in n.message]
    assert notice.severity == "warning" and "D (Progress)" in (notice.column or "")
    assert "0.5 is read as 0.5%, not 50%" in notice.message
