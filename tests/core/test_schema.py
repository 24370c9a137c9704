"""Schema: the whole data model, default option lists, and the upgrade from version 1."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from sqlalchemy import inspect

from tests.conftest import PASSWORD
from tracker_desktop.core import schema
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import NewerSchemaError, Vault

V1_DDL = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1.sql"

DATA_MODEL_TABLES = {
    "participants", "participant_benefits", "legal_barriers", "custom_values", "enrollments",
    "stage_history", "assessments", "weekly_hours", "jobs", "promotions", "credentials",
    "measures", "measurements", "surveys", "survey_questions", "survey_responses",
    "survey_answers", "followups", "followup_benefits", "notes", "option_items", "stages",
    "custom_fields", "settings", "staff", "audit_log", "import_batches", "metric_targets",
}  # fmt: skip


def test_new_file_has_every_table_and_the_current_version(vault: Vault) -> None:
    with vault.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert tables >= DATA_MODEL_TABLES
        raw = conn.connection.dbapi_connection
        assert schema.read_version(raw) == schema.SCHEMA_VERSION


def test_defaults_come_from_the_seed_deck(repo: Repository) -> None:
    assert repo.options("programs") == ["Pipeline", "Fellows"]
    assert {"ServSafe", "Paralegal"} <= set(repo.options("certifications"))
    assert {"SNAP", "TANF", "SSI/SSDI", "Medicaid"} <= set(repo.options("benefits"))
    stages = {s["name"]: s for s in repo.stages()}
    assert list(stages)[:5] == [
        "Intake", "Orientation", "Apprentice Level 1", "Apprentice Level 2", "Apprentice Level 3",
    ]  # fmt: skip
    level1 = stages["Apprentice Level 1"]
    assert (level1["shift_hours_cap"], level1["pd_hours_cap"], level1["stations"]) == (20, 5, 3)
    assert level1["season"] == "Stabilization"
    level3 = stages["Apprentice Level 3"]
    assert (level3["shift_hours_cap"], level3["pd_hours_cap"], level3["stations"]) == (30, 10, 5)
    assert level3["season"] == "Professional Growth"
    assert stages["Graduated"]["is_final"] and stages["Shift Lead"]["is_final"]
    assert repo.setting("followup_days") == [30, 90, 180, 365]
    targets = {
        r["metric_key"]: r["target"] for r in repo.rows("metric_targets", order_by="metric_key")
    }
    assert targets["retention_90"] == 0.75


def _write_v1_file(path: Path) -> None:
    conn = sqlcipher3.connect(str(path))
    conn.isolation_level = None
    conn.execute(f"PRAGMA key = '{PASSWORD}'")
    conn.execute("BEGIN")
    for statement in V1_DDL.read_text().split(";\n"):
        body = "\n".join(
            line for line in statement.splitlines() if not line.startswith("--")
        ).strip()
        if body:
            conn.execute(body)
    conn.execute("INSERT INTO settings(key, value) VALUES ('app', '\"participant-tracker\"')")
    conn.execute(
        "INSERT INTO participants(participant_code, first_name, last_name, created_at, "
        "updated_at) VALUES ('P-00001', 'Old', 'Record', '2024-01-03 10:00:00', "
        "'2024-01-03 10:00:00')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()


def test_upgrade_from_version_1(tmp_path: Path) -> None:
    path = tmp_path / "old.tracker"
    _write_v1_file(path)
    with Vault.open(path, PASSWORD) as vault:
        repo = Repository(vault)
        with vault.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("participants")}
            assert schema.read_version(conn.connection.dbapi_connection) == 4
            indexes = {i["name"] for i in inspect(conn).get_indexes("assessments")}
            assert "assessment_summary" in inspect(conn).get_table_names()
        assert "archived_at" in columns
        assert "ix_assessments_totals" in indexes
        assert repo.rows("participants")[0]["first_name"] == "Old"
        assert repo.count("metric_targets") > 0
        assert vault.check().ok
    copies = list(tmp_path.glob(f"old.before-v{schema.SCHEMA_VERSION}-*.tracker"))
    assert len(copies) == 1, "the file is copied before migrating"
    conn = sqlcipher3.connect(str(copies[0]))
    conn.execute(f"PRAGMA key = '{PASSWORD}'")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    conn.close()


def test_upgrade_from_version_2(tmp_path: Path) -> None:
    """A version-2 file is today's schema without the assessment totals index."""
    path = tmp_path / "v2.tracker"
    with Vault.create(path, PASSWORD) as vault:
        with Repository(vault, "Ana").transaction() as tx:
            person = tx.insert(
                "participants",
                {
                    "participant_code": "P-2",
                    "first_name": "Two",
                    "last_name": "Version",
                    "created_at": tx.at,
                    "updated_at": tx.at,
                },
            )
            tx.insert(
                "assessments",
                {"participant_id": person, "stage": "Apprentice Level 1", "kind": "skill",
                 "assessed_on": date(2026, 3, 2), "passed": True},
            )  # fmt: skip
        with vault.engine.begin() as conn:
            _drop_v4_objects(conn)
            conn.exec_driver_sql("DROP INDEX ix_assessments_totals")
            conn.exec_driver_sql("PRAGMA user_version = 2")
    with Vault.open(path, PASSWORD) as vault:
        with vault.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert schema.read_version(raw) == 4
            plan = raw.execute(
                "EXPLAIN QUERY PLAN SELECT participant_id, stage, count(*), sum(passed) "
                "FROM assessments WHERE assessed_on <= '2026-12-01' "
                "GROUP BY participant_id, stage"
            ).fetchall()
        assert "COVERING INDEX ix_assessments_totals" in str(plan)
        assert Repository(vault).rows("assessments")[0]["passed"]
        assert vault.check().ok
    assert len(list(tmp_path.glob("v2.before-v4-*.tracker"))) == 1


def _drop_v4_objects(conn: Any) -> None:
    for kind, name in schema.DERIVED_OBJECTS:
        conn.exec_driver_sql(f"DROP {kind.upper()} {name}")


def _pass_sums(vault: Vault, as_of: date) -> list[tuple[int, str, int, int]]:
    from tracker_desktop.core import dataset

    with vault.read() as conn:
        frame = dataset._read_columns(
            conn.connection.dbapi_connection, *dataset._assessment_totals(as_of)
        )
    return sorted(
        (int(p), str(s), int(a), int(k))
        for p, s, a, k in frame[["participant_id", "stage", "assessed", "passed"]].to_numpy()
    )


def test_upgrade_from_version_3_sums_existing_assessments(tmp_path: Path) -> None:
    """A version-3 file has no assessment_summary: the step builds it from the raw rows,
    and the triggers keep it right for later inserts, updates and deletes."""
    path = tmp_path / "v3.tracker"
    with Vault.create(path, PASSWORD) as vault:
        repo = Repository(vault, "Ana")
        with repo.transaction() as tx:
            person = tx.insert(
                "participants",
                {"participant_code": "P-3", "first_name": "Three", "last_name": "Version",
                 "created_at": tx.at, "updated_at": tx.at},
            )  # fmt: skip
            for day, passed in ((2, True), (9, False), (20, True)):
                tx.insert(
                    "assessments",
                    {"participant_id": person, "stage": "Apprentice Level 1", "kind": "skill",
                     "assessed_on": date(2026, 3, day), "passed": passed},
                )  # fmt: skip
        with vault.engine.begin() as conn:
            _drop_v4_objects(conn)
            conn.exec_driver_sql("PRAGMA user_version = 3")
    with Vault.open(path, PASSWORD) as vault:
        with vault.read() as conn:
            assert schema.read_version(conn.connection.dbapi_connection) == 4
        # Today, and an as-of date between the assessments (summed from the raw rows).
        assert _pass_sums(vault, date(2026, 12, 1)) == [(person, "Apprentice Level 1", 3, 2)]
        assert _pass_sums(vault, date(2026, 3, 10)) == [(person, "Apprentice Level 1", 2, 1)]
        assert _pass_sums(vault, date(2026, 3, 1)) == []
        repo = Repository(vault, "Ana")
        first = min(r["id"] for r in repo.rows("assessments"))
        with repo.transaction() as tx:
            tx.update("assessments", first, {"stage": "Apprentice Level 2"})
        assert _pass_sums(vault, date(2026, 12, 1)) == [
            (person, "Apprentice Level 1", 2, 1),
            (person, "Apprentice Level 2", 1, 1),
        ]
        with repo.transaction() as tx:
            tx.delete("assessments", first)
        assert _pass_sums(vault, date(2026, 12, 1)) == [(person, "Apprentice Level 1", 2, 1)]
        with repo.transaction() as tx:
            tx.delete("participants", person)  # cascades to assessments and their sums
        assert _pass_sums(vault, date(2026, 12, 1)) == []
        assert vault.check().ok
    assert len(list(tmp_path.glob("v3.before-v4-*.tracker"))) == 1


def test_failed_migration_step_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.tracker"
    _write_v1_file(path)

    def broken_step(conn: object) -> None:
        conn.execute("ALTER TABLE participants ADD COLUMN half_done TEXT")  # type: ignore[attr-defined]
        raise RuntimeError("step failed")

    monkeypatch.setitem(schema.MIGRATIONS, 2, broken_step)
    with pytest.raises(RuntimeError):
        Vault.open(path, PASSWORD)
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = '{PASSWORD}'")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in conn.execute("PRAGMA table_info(participants)")]
    assert "half_done" not in columns
    conn.close()


def test_newer_schema_is_refused_with_its_own_message(vault_path: Path, vault: Vault) -> None:
    with vault.engine.connect() as conn:
        conn.connection.dbapi_connection.execute("PRAGMA user_version = 99")
    vault.close()
    with pytest.raises(NewerSchemaError, match="newer Participant Tracker"):
        Vault.open(vault_path, PASSWORD)
