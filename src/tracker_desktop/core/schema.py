"""Tables, the schema version and the ordered migration steps.

The tables are SQLAlchemy Core objects (so the same definitions can later run on
PostgreSQL); on SQLCipher we create them from their compiled DDL.  The schema version
lives in ``PRAGMA user_version``.  A migration step is a function that takes the file from
version N-1 to N inside one transaction; the vault copies the file aside first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from tracker_desktop.core import defaults

SCHEMA_VERSION = 4
APP_MARKER = "participant-tracker"

metadata = MetaData()


def _pk() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _participant_fk(nullable: bool = False) -> Column[int]:
    return Column(
        "participant_id",
        Integer,
        ForeignKey("participants.id", ondelete="CASCADE"),
        nullable=nullable,
        index=True,
    )


# --- configuration ------------------------------------------------------------------
settings = Table(
    "settings",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", Text, nullable=False),  # JSON
)

staff = Table(
    "staff",
    metadata,
    _pk(),
    Column("name", String, nullable=False, unique=True),
    Column("active", Boolean, nullable=False, default=True),
)

option_items = Table(
    "option_items",
    metadata,
    _pk(),
    Column("list_name", String, nullable=False),
    Column("value", String, nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    UniqueConstraint("list_name", "value"),
)

stages = Table(
    "stages",
    metadata,
    _pk(),
    Column("name", String, nullable=False, unique=True),
    Column("position", Integer, nullable=False),
    Column("season", String),
    Column("expected_length", String),  # "4-6 months", shown to staff
    Column("min_days", Integer),
    Column("max_days", Integer),
    Column("shift_hours_cap", Float),
    Column("pd_hours_cap", Float),
    Column("stations", Integer),
    Column("trigger", String, nullable=False, default="manual"),  # manual | pass_all_assessments
    Column("is_final", Boolean, nullable=False, default=False),
)

custom_fields = Table(
    "custom_fields",
    metadata,
    _pk(),
    Column("key", String, nullable=False, unique=True),
    Column("label", String, nullable=False),
    Column("field_type", String, nullable=False),  # text | number | date | yesno | choice
    Column("choices", Text),  # JSON list for choice fields
    Column("position", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    CheckConstraint("field_type IN ('text','number','date','yesno','choice')"),
)

measures = Table(
    "measures",
    metadata,
    _pk(),
    Column("key", String, nullable=False, unique=True),
    Column("name", String, nullable=False),
    Column("unit", String),
    Column("scale_min", Float),
    Column("scale_max", Float),
    Column("higher_is_better", Boolean, nullable=False, default=True),
    Column("active", Boolean, nullable=False, default=True),
)

surveys = Table(
    "surveys",
    metadata,
    _pk(),
    Column("name", String, nullable=False, unique=True),
    Column("active", Boolean, nullable=False, default=True),
)

survey_questions = Table(
    "survey_questions",
    metadata,
    _pk(),
    Column("survey_id", Integer, ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("scale", String, nullable=False, default="1-5"),  # 1-5 | yesno
)

metric_targets = Table(  # added in schema version 2
    "metric_targets",
    metadata,
    Column("metric_key", String, primary_key=True),
    Column("target", Float, nullable=False),
)

# --- people -------------------------------------------------------------------------
import_batches = Table(
    "import_batches",
    metadata,
    _pk(),
    Column("imported_at", DateTime, nullable=False),
    Column("staff", String),
    Column("source_name", String, nullable=False),
    Column("sheet", String),
    Column("created_count", Integer, nullable=False, default=0),
    Column("updated_count", Integer, nullable=False, default=0),
    Column("status", String, nullable=False, default="imported"),  # imported | undone
    Column("profile", Text),  # JSON mapping used
)

participants = Table(
    "participants",
    metadata,
    _pk(),
    Column("participant_code", String, nullable=False, unique=True),
    Column("first_name", String, nullable=False),
    Column("last_name", String, nullable=False),
    Column("preferred_name", String),
    Column("date_of_birth", Date),
    Column("age_range", String),
    Column("phone", String),
    Column("email", String),
    Column("housing_status", String),
    Column("education_at_entry", String),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("archived_at", DateTime),  # added in schema version 2 (soft delete)
    Column("import_batch_id", Integer, ForeignKey("import_batches.id"), index=True),
    Index("ix_participants_name", "last_name", "first_name"),
)

participant_benefits = Table(  # public benefits received at entry
    "participant_benefits",
    metadata,
    _pk(),
    _participant_fk(),
    Column("benefit", String, nullable=False),
    UniqueConstraint("participant_id", "benefit"),
)

legal_barriers = Table(
    "legal_barriers",
    metadata,
    _pk(),
    _participant_fk(),
    Column("barrier_type", String, nullable=False),
    Column("status", String, nullable=False, default="open"),  # open | in progress | resolved
    Column("resolved_on", Date),
    Column("notes", Text),
)

custom_values = Table(
    "custom_values",
    metadata,
    _pk(),
    _participant_fk(),
    Column("field_id", Integer, ForeignKey("custom_fields.id", ondelete="CASCADE"), nullable=False),
    Column("value", Text),
    UniqueConstraint("participant_id", "field_id"),
)

enrollments = Table(
    "enrollments",
    metadata,
    _pk(),
    _participant_fk(),
    Column("program", String, nullable=False),
    Column("enrolled_on", Date, nullable=False),
    Column("progress_pct", Float),
    Column("exited_on", Date),
    Column("exit_reason", String),
    CheckConstraint("progress_pct IS NULL OR (progress_pct >= 0 AND progress_pct <= 100)"),
)

stage_history = Table(
    "stage_history",
    metadata,
    _pk(),
    _participant_fk(),
    Column("stage", String, nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("override_reason", Text),
)

assessments = Table(
    "assessments",
    metadata,
    _pk(),
    _participant_fk(),
    Column("stage", String, nullable=False),
    Column("station", Integer, nullable=False, default=1),
    Column("kind", String, nullable=False),  # knowledge | skill
    Column("assessed_on", Date, nullable=False),
    Column("score", Float),
    Column("passed", Boolean, nullable=False),
    # Covers the dashboard's pass-rate sums (core/dataset.py): read in (participant, stage)
    # order without sorting the table, the largest in the file.
    Index("ix_assessments_totals", "participant_id", "stage", "assessed_on", "passed"),
)

weekly_hours = Table(
    "weekly_hours",
    metadata,
    _pk(),
    _participant_fk(),
    Column("week_start", Date, nullable=False),
    Column("stage", String),
    Column("shift_hours", Float, nullable=False, default=0),
    Column("pd_hours", Float, nullable=False, default=0),
    UniqueConstraint("participant_id", "week_start"),
    CheckConstraint("shift_hours >= 0 AND pd_hours >= 0"),
)

jobs = Table(
    "jobs",
    metadata,
    _pk(),
    _participant_fk(),
    Column("employer", String),
    Column("title", String),
    Column("started_on", Date),
    Column("ended_on", Date),
    Column("hourly_wage", Float),
    Column("hours_per_week", Float),
    Column("employer_benefits", Boolean),
    Column("is_entry_job", Boolean, nullable=False, default=False),  # job held at intake
    CheckConstraint("hourly_wage IS NULL OR hourly_wage >= 0"),
)

promotions = Table(
    "promotions",
    metadata,
    _pk(),
    _participant_fk(),
    Column("promoted_on", Date),
    Column("title", String, nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    _pk(),
    _participant_fk(),
    Column("kind", String, nullable=False),  # certification | degree
    Column("name", String, nullable=False),
    Column("earned_on", Date),
    Column("expected", Boolean, nullable=False, default=False),
    Column("gpa", Float),
    CheckConstraint("kind IN ('certification','degree')"),
)

measurements = Table(
    "measurements",
    metadata,
    _pk(),
    _participant_fk(),
    Column("measure_id", Integer, ForeignKey("measures.id"), nullable=False, index=True),
    Column("time_point", String, nullable=False),  # entry | during | exit | follow_up
    Column("measured_on", Date),
    Column("value", Float, nullable=False),
)

survey_responses = Table(
    "survey_responses",
    metadata,
    _pk(),
    _participant_fk(),
    Column("survey_id", Integer, ForeignKey("surveys.id"), nullable=False),
    Column("responded_on", Date, nullable=False),
)

survey_answers = Table(
    "survey_answers",
    metadata,
    _pk(),
    Column(
        "response_id",
        Integer,
        ForeignKey("survey_responses.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("question_id", Integer, ForeignKey("survey_questions.id"), nullable=False),
    Column("value", Float, nullable=False),
)

followups = Table(
    "followups",
    metadata,
    _pk(),
    _participant_fk(),
    Column("enrollment_id", Integer, ForeignKey("enrollments.id", ondelete="CASCADE")),
    Column("days_after_exit", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("done_on", Date),
    Column("status", String, nullable=False, default="due"),  # due|done|unreachable|declined
    Column("employed", Boolean),
    Column("employer", String),
    Column("hourly_wage", Float),
    Column("on_public_benefits", Boolean),
    Column("notes", Text),
    Index("ix_followups_due", "status", "due_on"),
)

followup_benefits = Table(  # public benefits still received at a follow-up
    "followup_benefits",
    metadata,
    _pk(),
    Column(
        "followup_id",
        Integer,
        ForeignKey("followups.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("benefit", String, nullable=False),
)

notes = Table(
    "notes",
    metadata,
    _pk(),
    _participant_fk(),
    Column("noted_on", Date, nullable=False),
    Column("author", String),
    Column("body", Text, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    _pk(),
    Column("at", DateTime, nullable=False),
    Column("staff", String),
    Column("action", String, nullable=False),  # insert | update | delete | archive | ...
    Column("table_name", String, nullable=False),
    Column("row_id", Integer),
    Column("participant_id", Integer, index=True),  # no FK: history outlives the record
    Column("field", String),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("reason", Text),
    Column("import_batch_id", Integer),
)

# Tables whose rows belong to one participant (deleted with them, shown in their record).
PARTICIPANT_CHILD_TABLES = (
    participant_benefits,
    legal_barriers,
    custom_values,
    enrollments,
    stage_history,
    assessments,
    weekly_hours,
    jobs,
    promotions,
    credentials,
    measurements,
    survey_responses,
    followups,
    notes,
)


# Pass-rate sums per (participant, stage), kept by triggers in the same transaction as the
# assessment they count: the dashboard reads ~1 row per participant and stage instead of
# summing the largest table in the file on every load.  Derived data, not a record table
# (no audit rows, not in ``metadata``); ``last_on`` lets a past as-of date fall back to the
# raw rows for the few pairs assessed after it (core/dataset.py).
_SUMMARISE = (  # + an optional WHERE, then the GROUP BY
    "INSERT INTO assessment_summary(participant_id, stage, assessed, passed, last_on) "
    "SELECT participant_id, stage, count(*), coalesce(sum(passed), 0), max(assessed_on) "
    "FROM assessments "
)
_BY_PAIR = "GROUP BY participant_id, stage"
_SUMMARY_OF_PAIR = (
    _SUMMARISE + "WHERE participant_id = {row}.participant_id AND stage = {row}.stage " + _BY_PAIR
)
_FORGET_PAIR = (
    "DELETE FROM assessment_summary "
    "WHERE participant_id = {row}.participant_id AND stage = {row}.stage"
)
DERIVED_DDL: tuple[str, ...] = (
    "CREATE TABLE assessment_summary ("
    "participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE, "
    "stage VARCHAR NOT NULL, assessed INTEGER NOT NULL, passed INTEGER NOT NULL, "
    "last_on DATE NOT NULL, PRIMARY KEY (participant_id, stage)) WITHOUT ROWID",
    "CREATE TRIGGER assessment_summary_insert AFTER INSERT ON assessments BEGIN "
    "INSERT INTO assessment_summary(participant_id, stage, assessed, passed, last_on) "
    "VALUES (NEW.participant_id, NEW.stage, 1, coalesce(NEW.passed, 0), NEW.assessed_on) "
    "ON CONFLICT (participant_id, stage) DO UPDATE SET assessed = assessed + 1, "
    "passed = passed + excluded.passed, last_on = max(last_on, excluded.last_on); END",
    "CREATE TRIGGER assessment_summary_delete AFTER DELETE ON assessments BEGIN "
    f"{_FORGET_PAIR.format(row='OLD')}; {_SUMMARY_OF_PAIR.format(row='OLD')}; END",
    "CREATE TRIGGER assessment_summary_update AFTER UPDATE ON assessments BEGIN "
    f"{_FORGET_PAIR.format(row='OLD')}; {_SUMMARY_OF_PAIR.format(row='OLD')}; "
    f"{_FORGET_PAIR.format(row='NEW')}; {_SUMMARY_OF_PAIR.format(row='NEW')}; END",
)
DERIVED_OBJECTS = (
    ("trigger", "assessment_summary_update"),
    ("trigger", "assessment_summary_delete"),
    ("trigger", "assessment_summary_insert"),
    ("table", "assessment_summary"),
)


def ddl_statements() -> list[str]:
    """CREATE TABLE / INDEX / TRIGGER statements of the current schema, in dependency order."""
    dialect = sqlite.dialect()
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
            statements.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    statements.extend(DERIVED_DDL)
    return statements


# --- version and creation -----------------------------------------------------------
def read_version(conn: Any) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def is_tracker(conn: Any) -> bool:
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='settings'"
    ).fetchone()
    if row is None:
        return False
    marker = conn.execute("SELECT value FROM settings WHERE key='app'").fetchone()
    return marker is not None and json.loads(marker[0]) == APP_MARKER


def create_current(conn: Any) -> None:
    """Create the current schema and seed the defaults, on a raw DB-API connection that
    is already inside a transaction."""
    for statement in ddl_statements():
        conn.execute(statement)
    seed_defaults(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def seed_defaults(conn: Any) -> None:
    def put_setting(key: str, value: object) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)", (key, json.dumps(value))
        )

    put_setting("app", APP_MARKER)
    for key, value in defaults.SETTINGS.items():
        put_setting(key, value)
    for list_name, values in defaults.OPTION_LISTS.items():
        for position, value in enumerate(values):
            conn.execute(
                "INSERT OR IGNORE INTO option_items(list_name, value, position, active) "
                "VALUES (?, ?, ?, 1)",
                (list_name, value, position),
            )
    for position, stage in enumerate(defaults.STAGES):
        conn.execute(
            "INSERT OR IGNORE INTO stages(name, position, season, expected_length, min_days, "
            "max_days, shift_hours_cap, pd_hours_cap, stations, trigger, is_final) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                stage.name,
                position,
                stage.season,
                stage.expected_length,
                stage.min_days,
                stage.max_days,
                stage.shift_hours_cap,
                stage.pd_hours_cap,
                stage.stations,
                stage.trigger,
                stage.is_final,
            ),
        )
    for measure in defaults.MEASURES:
        conn.execute(
            "INSERT OR IGNORE INTO measures(key, name, unit, scale_min, scale_max, "
            "higher_is_better, active) VALUES (?,?,?,?,?,?,1)",
            measure,
        )
    for survey_name, questions in defaults.SURVEYS.items():
        conn.execute("INSERT OR IGNORE INTO surveys(name, active) VALUES (?, 1)", (survey_name,))
        survey_id = conn.execute("SELECT id FROM surveys WHERE name=?", (survey_name,)).fetchone()[
            0
        ]
        for position, (question, scale) in enumerate(questions):
            conn.execute(
                "INSERT INTO survey_questions(survey_id, position, text, scale) VALUES (?,?,?,?)",
                (survey_id, position, question, scale),
            )
    _seed_targets(conn)


def _seed_targets(conn: Any) -> None:
    for metric_key, target in defaults.METRIC_TARGETS.items():
        conn.execute(
            "INSERT OR IGNORE INTO metric_targets(metric_key, target) VALUES (?, ?)",
            (metric_key, target),
        )


# --- migrations -----------------------------------------------------------------------
def _to_v2(conn: Any) -> None:
    """v2: soft delete (participants.archived_at) and editable metric targets."""
    conn.execute("ALTER TABLE participants ADD COLUMN archived_at DATETIME")
    dialect = sqlite.dialect()
    conn.execute(str(CreateTable(metric_targets).compile(dialect=dialect)).strip())
    _seed_targets(conn)


def _to_v3(conn: Any) -> None:
    """v3: an index covering the assessment pass-rate sums (dashboard load ~3x faster)."""
    index = next(i for i in assessments.indexes if i.name == "ix_assessments_totals")
    conn.execute(str(CreateIndex(index).compile(dialect=sqlite.dialect())).strip())


def _to_v4(conn: Any) -> None:
    """v4: assessment pass-rate sums kept by triggers (dashboard load, 100k: ~1 s less)."""
    for statement in DERIVED_DDL:
        conn.execute(statement)
    conn.execute(_SUMMARISE + _BY_PAIR)  # the rows already there


MIGRATIONS: dict[int, Callable[[Any], None]] = {2: _to_v2, 3: _to_v3, 4: _to_v4}


def migrate(conn: Any, from_version: int) -> int:
    """Run every step after ``from_version``, each in its own transaction."""
    version = from_version
    for target in sorted(MIGRATIONS):
        if target <= version:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[target](conn)
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version = target
    return version
