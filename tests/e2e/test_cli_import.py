"""`tracker-desktop import`: preview summary, problems, dry-run, profiles and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, SAMPLE_TRACKER
from tracker_desktop import cli
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault


@pytest.fixture
def empty_vault(tmp_path: Path) -> Path:
    path = tmp_path / "cli.tracker"
    Vault.create(path, PASSWORD).close()
    return path


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_PASSWORD", PASSWORD)


def count(vault: Path, table: str) -> int:
    with Vault.open(vault, PASSWORD) as opened:
        return Repository(opened).count(table)


def test_import_the_sample_tracker_in_a_real_process(empty_vault: Path) -> None:
    environment = {**os.environ, "TRACKER_PASSWORD": PASSWORD}
    result = subprocess.run(
        [sys.executable, "-m", "tracker_desktop", "import", str(SAMPLE_TRACKER),
         "--vault", str(empty_vault)],
        capture_output=True, text=True, env=environment, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "To create: 4   to update: 0   to skip: 1   rejected: 0" in result.stdout
    assert "row 3: Skipped: no name" in result.stdout
    assert "Imported sample_tracker.xlsx: 4 created, 0 updated, 1 skipped" in result.stdout
    assert count(empty_vault, "participants") == 4


def test_dry_run_writes_nothing_and_saves_the_profile(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = empty_vault.read_bytes()
    profile = tmp_path / "tracker-profile.json"
    code = cli.main(
        ["import", str(SAMPLE_TRACKER), "--vault", str(empty_vault), "--dry-run",
         "--save-profile", str(profile)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "Dry run: nothing was written." in out
    assert empty_vault.read_bytes() == before
    saved = json.loads(profile.read_text())
    assert saved["header_row"] == 2
    assert {"column": "H", "header": "Hourly wage", "target": "hourly_wage", "options": {}} in (
        saved["columns"]
    )
    # The saved profile drives the next import.
    assert cli.main(
        ["import", str(SAMPLE_TRACKER), "--vault", str(empty_vault), "--profile", str(profile)]
    ) == 0  # fmt: skip
    assert count(empty_vault, "participants") == 4


def test_rejected_rows_exit_1_and_nothing_is_imported(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "First name,Last name,Program,Date of enrollment,GPA,Degree\n"
        "Ana,Reyes,Pipeline,2024-01-03,3.1,GED\n"
        "Ben,Ode,Pipeline,2024-01-05,7,GED\n",
        encoding="utf-8",
    )
    code = cli.main(["import", str(path), "--vault", str(empty_vault)])
    captured = capsys.readouterr()
    assert code == 1
    assert "rejected: 1" in captured.out
    assert "row 3, column E (GPA): GPA must be between 0 and 4 (got 7)" in captured.out
    assert "Nothing imported: 1 row(s) rejected" in captured.err
    assert count(empty_vault, "participants") == 0
    assert cli.main(["import", str(path), "--vault", str(empty_vault), "--dry-run"]) == 1
    capsys.readouterr()
    # Leaving the rejected row out imports the rest.
    assert cli.main(["import", str(path), "--vault", str(empty_vault), "--skip-rejected"]) == 0
    assert "Imported bad.csv: 1 created, 0 updated, 1 skipped" in capsys.readouterr().out
    assert count(empty_vault, "participants") == 1


def test_ambiguous_dates_need_a_date_order(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dates.csv"
    path.write_text(
        "First name;Last name;Program;Date of enrollment\nAna;Reyes;Pipeline;1/3/24\n",
        encoding="cp1252",
    )
    assert cli.main(["import", str(path), "--vault", str(empty_vault)]) == 1
    assert "choose the date order" in capsys.readouterr().out
    assert cli.main(["import", str(path), "--vault", str(empty_vault), "--date-order", "DMY"]) == 0
    with Vault.open(empty_vault, PASSWORD) as opened:
        [enrollment] = Repository(opened).rows("enrollments")
    assert enrollment["enrolled_on"].isoformat() == "2024-03-01"


def test_user_errors_are_one_line_with_exit_1(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["import", str(tmp_path / "missing.xlsx"), "--vault", str(empty_vault)]) == 1
    assert "missing.xlsx does not exist" in capsys.readouterr().err
    bad_profile = tmp_path / "p.json"
    bad_profile.write_text('{"columns": "no"}')
    code = cli.main(
        ["import", str(SAMPLE_TRACKER), "--vault", str(empty_vault), "--profile", str(bad_profile)]
    )
    assert code == 1
    assert "not an import profile" in capsys.readouterr().err
    code = cli.main(["import", str(SAMPLE_TRACKER), "--vault", str(empty_vault), "--sheet", "Nope"])
    assert code == 1
    assert "no sheet called 'Nope'" in capsys.readouterr().err


def test_save_profile_never_overwrites_the_tracker_or_the_spreadsheet(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "copy.xlsx"
    sheet.write_bytes(SAMPLE_TRACKER.read_bytes())
    notes = tmp_path / "notes.json"
    notes.write_text('{"meeting": "Tuesday"}')
    before = {path: path.read_bytes() for path in (empty_vault, sheet, notes)}
    refusals = {
        str(empty_vault): "a profile is saved as a .json file",
        str(sheet): "a profile is saved as a .json file",
        str(notes): "exists and is not an import profile",
        str(tmp_path / "no-such-folder" / "p.json"): "is not a folder",
    }
    for target, message in refusals.items():
        for dry_run in ([], ["--dry-run"]):
            code = cli.main(
                ["import", str(sheet), "--vault", str(empty_vault), "--save-profile", target,
                 *dry_run]
            )  # fmt: skip
            assert code == 1
            assert message in capsys.readouterr().err
    assert {path: path.read_bytes() for path in before} == before
    assert count(empty_vault, "participants") == 0  # refused before anything was written


def test_a_damaged_sheet_inside_the_xlsx_is_a_message(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zipfile

    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(SAMPLE_TRACKER) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the sheet's XML cut in the middle
            target.writestr(item, data)
    for dry_run in ([], ["--dry-run"]):
        code = cli.main(["import", str(damaged), "--vault", str(empty_vault), *dry_run])
        err = capsys.readouterr().err
        assert code == 1
        assert "damaged.xlsx is damaged or incomplete" in err and "save it again" in err
        assert "Traceback" not in err
    assert count(empty_vault, "participants") == 0


def test_the_saved_import_comes_first_and_a_repeated_problem_once(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "culinary.csv"
    path.write_text(
        "First name,Last name,Program,Date of enrollment\n"
        + "".join(f"P{i},Person,Culinary,2024-01-03\n" for i in range(30)),
        encoding="utf-8",
    )
    assert cli.main(["import", str(path), "--vault", str(empty_vault)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Imported culinary.csv: 30 created")
    assert (
        "  rows 2-31 (30 rows), column C (Program): 'Culinary' is not in the programs list: it "
        "will be added" in lines
    )
    assert sum("Culinary" in line for line in lines) == 2  # the summary line and that one


def test_a_file_of_headers_only_writes_no_batch(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "headers.csv"
    path.write_text("First name,Last name,Program,Date of enrollment\n", encoding="utf-8")
    assert cli.main(["import", str(path), "--vault", str(empty_vault)]) == 0
    assert "Nothing to import from headers.csv" in capsys.readouterr().out
    assert count(empty_vault, "import_batches") == 0


def test_list_and_undo_imports_on_the_command_line(
    empty_vault: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["import", str(SAMPLE_TRACKER), "--vault", str(empty_vault)]) == 0
    assert "undo-import 1" in capsys.readouterr().out
    assert cli.main(["imports", "--vault", str(empty_vault)]) == 0
    assert "#1  " in (listed := capsys.readouterr().out)
    assert "sample_tracker.xlsx: 4 created, 0 updated" in listed and "(undone)" not in listed
    with Vault.open(empty_vault, PASSWORD) as opened:  # someone edits an imported record
        repo = Repository(opened, "Staff")
        pid = repo.rows("participants")[0]["id"]
        repo.update("participants", pid, {"phone": "555-0100"})
    assert cli.main(["undo-import", "1", "--vault", str(empty_vault)]) == 1
    assert "1 participant(s) of import #1 were edited" in capsys.readouterr().err
    assert count(empty_vault, "participants") == 4
    assert cli.main(["undo-import", "1", "--vault", str(empty_vault), "--force"]) == 0
    assert "Undone: import of sample_tracker.xlsx, 4 participants" in capsys.readouterr().out
    assert count(empty_vault, "participants") == 0
    assert cli.main(["imports", "--vault", str(empty_vault)]) == 0
    assert "(undone)" in capsys.readouterr().out
    assert cli.main(["undo-import", "1", "--vault", str(empty_vault)]) == 1
    assert "already undone" in capsys.readouterr().err
    assert cli.main(["undo-import", "9", "--vault", str(empty_vault)]) == 1
    assert "There is no import #9" in capsys.readouterr().err


def test_a_write_the_file_refuses_is_not_called_damage(
    empty_vault: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Vault.open(empty_vault, PASSWORD) as opened, opened.write() as conn:
        conn.exec_driver_sql(  # a rule of the file refuses one row, as a constraint would
            "CREATE TRIGGER refuse_ben BEFORE INSERT ON participants WHEN NEW.first_name = 'Ben' "
            "BEGIN SELECT RAISE(ABORT, 'refused by a rule'); END"
        )
    path = tmp_path / "people.csv"
    path.write_text(
        "First name,Last name,Program,Date of enrollment\n"
        "Ana,Reyes,Pipeline,2024-01-03\nBen,Ode,Pipeline,2024-01-03\n",
        encoding="utf-8",
    )
    assert cli.main(["import", str(path), "--vault", str(empty_vault)]) == 1
    err = capsys.readouterr().err
    assert "could not be saved (refused by a rule). Nothing was changed." in err
    assert "damaged" not in err
    assert count(empty_vault, "participants") == 0
