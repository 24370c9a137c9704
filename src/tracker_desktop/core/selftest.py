"""The packaged app's ``self-test``: prove the whole chain works on this machine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from tracker_desktop.core import demo
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault, WrongPasswordOrDamagedError

CANARY_FIRST = "Selftest-Ünïcode-王芳"


class SelfTestError(AssertionError):
    pass


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestError(message)


def run(folder: Path) -> Iterator[str]:
    """Yield one line per step; raise SelfTestError on the first failure."""
    path = folder / "selftest.tracker"
    password = "self-test O'Brien\"; -- é"
    with Vault.create(path, password) as vault:
        yield f"create: ok ({path.stat().st_size} bytes, encrypted)"
    with Vault.open(path, password) as vault:
        repo = Repository(vault, "self-test")
        with repo.transaction() as tx:
            pid = tx.insert(
                "participants",
                {
                    "participant_code": tx.next_participant_code(),
                    "first_name": CANARY_FIRST,
                    "last_name": "Núñez",
                    "created_at": tx.at,
                    "updated_at": tx.at,
                },
            )
            tx.insert(
                "enrollments",
                {"participant_id": pid, "program": "Pipeline", "enrolled_on": date(2024, 1, 3)},
            )
        yield "unlock + write: ok"
        _require(repo.get("participants", pid)["first_name"] == CANARY_FIRST, "read-back differs")
        _require(CANARY_FIRST.encode() not in path.read_bytes(), "plaintext found in the file")
        yield "read: ok (no plaintext on disk)"
        demo.generate(repo, 50)
        _require(repo.count("participants") == 51, "demo generation wrote the wrong count")
        yield "demo data: ok (51 participants)"
        report = vault.check()
        _require(report.ok, f"integrity: {report.summary()}")
        yield "integrity_check + cipher_integrity_check: ok"
        backup = vault.backup(folder / "backups", keep=2)
        yield f"backup: ok ({backup.name})"
    try:
        Vault.open(path, "not the password")
    except WrongPasswordOrDamagedError:
        yield "wrong password refused: ok"
    else:
        raise SelfTestError("a wrong password was accepted")
    with Vault.open(path, password) as vault:
        yield _metrics_step(Repository(vault, "self-test"))
        yield _export_xlsx_step(Repository(vault, "self-test"), folder)
        yield _import_step(Repository(vault, "self-test"), folder)
        yield _journey_step(Repository(vault, "self-test"))
        yield _participants_step(Repository(vault, "self-test"))
    yield _password_and_restore_step(path, password, folder)


def _export_xlsx_step(repo: Repository, folder: Path) -> str:
    """export xlsx: the funder workbook is written, holds the data and live formulas."""
    import zipfile

    from tracker_desktop.core import workbook

    out = folder / "selftest-export.xlsx"
    data = workbook.collect_export_data(repo)
    workbook.write_workbook(data, out)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        text = "".join(
            archive.read(n).decode("utf-8") for n in names if n.startswith("xl/") and ".xml" in n
        )
    _require(CANARY_FIRST in text, "the exported Tracker sheet lacks a participant")
    _require("<f>" in text and "COUNTIFS(" in text, "the Dashboard has no live formulas")
    _require("xl/charts/chart1.xml" in names, "the Dashboard has no charts")
    return f"export xlsx: ok ({data.participant_count} participants, {out.stat().st_size} bytes)"


def _import_step(repo: Repository, folder: Path) -> str:
    """import: a messy CSV (BOM, semicolons, "$14.50", "50%", Yes/No) in one batch, undone."""
    from tracker_desktop.core import importer

    source = folder / "selftest-import.csv"
    source.write_bytes(
        "\ufeffFirst name;Last name;Program;Date of enrollment;Hourly wage;Progress;Employed\n"
        "Imported;One;Pipeline;2024-01-03;$14.50;50%;Yes\n"
        "Imported;Two;Fellows;2024-02-15;15;0.25;No\n".encode()
    )
    before = repo.count("participants")
    preview = importer.prepare(source, repo)
    _require(not preview.blocking, "the import preview found problems in a clean file")
    result = importer.run_import(repo, preview)
    _require(repo.count("participants") == before + 2, "the import wrote the wrong count")
    wages = sorted(j["hourly_wage"] for j in repo.rows("jobs") if j["hourly_wage"] in (14.5, 15.0))
    _require(len(wages) >= 2, "imported wages missing")
    importer.undo_import(repo, result.batch_id)
    _require(repo.count("participants") == before, "undoing the import left records behind")
    source.unlink()
    return "import csv + undo: ok (2 participants, one batch)"


def _journey_step(repo: Repository) -> str:
    """journey: a blocked stage move, an audited override, an exit with its follow-ups."""
    from datetime import timedelta

    from tracker_desktop.core import journey

    with repo.transaction() as tx:
        pid = tx.insert(
            "participants",
            {
                "participant_code": tx.next_participant_code(),
                "first_name": "Journey",
                "last_name": "Selftest",
                "created_at": tx.at,
                "updated_at": tx.at,
            },
        )
        tx.insert(
            "enrollments",
            {"participant_id": pid, "program": "Pipeline", "enrolled_on": date(2024, 1, 3)},
        )
        day = date(2024, 1, 3)
        journey.move_to_next_stage(tx, pid, day)  # Intake
        journey.move_to_next_stage(tx, pid, day + timedelta(days=1))  # Orientation
        journey.move_to_next_stage(tx, pid, day + timedelta(days=8))  # Apprentice Level 1
    try:
        with repo.transaction() as tx:
            journey.move_to_next_stage(tx, pid, date(2024, 6, 1))
    except journey.TriggerNotMetError:
        pass
    else:
        raise SelfTestError("a stage move without passed assessments was allowed")
    with repo.transaction() as tx:
        journey.move_to_next_stage(tx, pid, date(2024, 6, 1), override_reason="self-test")
        journey.exit_participant(tx, pid, date(2024, 9, 30), "Graduated")
    overrides = [e for e in repo.audit_entries(participant_id=pid) if e.action == "override"]
    _require(len(overrides) == 1, "the override was not audited")
    due = [f["due_on"] for f in journey.participant_followups(repo, pid)]
    wanted = [date(2024, 9, 30) + timedelta(days=d) for d in journey.followup_days(repo)]
    _require(due == wanted, f"follow-ups {due} do not match the schedule")
    repo.delete("participants", pid)
    return f"journey: ok (trigger check, audited override, {len(due)} follow-ups)"


def _participants_step(repo: Repository) -> str:
    """participants: a form with a bad GPA is refused whole, a good one is saved in one
    transaction and shows in the tracker table, then archived and deleted."""
    from tracker_desktop.core import participants

    form = participants.ParticipantForm(
        profile={"first_name": "Form", "last_name": "Selftest", "date_of_birth": "1990-05-04"},
        enrollment={"program": "Pipeline", "enrolled_on": "2024-01-03"},
        jobs=[{"employer": "Cafe", "hourly_wage": "$14.50", "started_on": "2024-02-01"}],
        credentials=[{"kind": "degree", "name": "GED", "earned_on": "2024-03-01", "gpa": "7"}],
    )
    before = repo.count("participants")
    try:
        participants.save_participant(repo, form)
    except participants.FormInvalidError as exc:
        _require("GPA must be between 0 and 4 (got 7)" in str(exc), f"wrong message: {exc}")
    else:
        raise SelfTestError("a GPA of 7 was accepted")
    _require(repo.count("participants") == before, "a refused form wrote something")
    form.credentials[0]["gpa"] = "3.5"
    pid = participants.save_participant(repo, form).participant_id
    row = participants.load_tracker(repo, participant_id=pid).row(0)
    _require(row["wage"] == 14.5 and row["degrees"] == "GED", f"tracker row wrong: {row}")
    participants.archive_participant(repo, pid)
    _require(pid not in participants.load_tracker(repo).ids, "an archived participant is listed")
    counts = participants.delete_participant(repo, pid)
    _require(counts.get("jobs") == 1 and counts.get("credentials") == 1, f"deleted {counts}")
    return "participants: ok (form validation, one-transaction save, tracker row, archive, delete)"


def _password_and_restore_step(path: Path, password: str, folder: Path) -> str:
    """change password (rekey), then restore the backup made under the old password."""
    new_password = "self-test new pässword"
    with Vault.open(path, password) as vault:
        before = Repository(vault).count("participants")
        vault.change_password(password, new_password)
    try:
        Vault.open(path, password).close()
    except WrongPasswordOrDamagedError:
        pass
    else:
        raise SelfTestError("the old password still opens the file after a change")
    with Vault.open(path, new_password) as vault:
        _require(vault.check().ok, "integrity after the password change")
        backup = vault.list_backups(folder / "backups")[0].path
        restored = vault.restore(backup, password)
    with restored:
        count = Repository(restored).count("participants")
        _require(restored.check().ok, "integrity after the restore")
    _require(count <= before, "the restored backup holds more than the tracker had")
    return f"change password + restore backup: ok ({count} participants restored)"


def _metrics_step(repo: Repository) -> str:
    """metrics: the dashboard engine counts every participant and never divides by zero."""
    import json

    from tracker_desktop.core import metrics

    dataset = metrics.load_dataset(repo)
    report = metrics.compute(dataset)
    total = report.metrics["participants_total"].value
    _require(total == repo.count("participants"), f"metrics counted {total} participants")
    empty = metrics.compute(dataset, metrics.Filters(program="no such program"))
    _require(empty.metrics["employment_rate"].display == "n/a", "an empty group is not n/a")
    json.dumps(report.to_dict(), allow_nan=False)
    return f"metrics: ok ({len(report.metrics)} metrics over {int(total or 0)} participants)"
