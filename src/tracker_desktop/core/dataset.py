"""The tracker's tables as pandas DataFrames, read in ONE read transaction.

The metrics engine (core/metrics.py) and the exports work from a :class:`Dataset`: a
consistent snapshot of the file.  Reading uses plain SQL on the raw connection and
``pd.DataFrame.from_records`` (no per-row ORM work), and parses each date column once, so
100k participants load in a second or two.

Archived (soft-deleted) participants and everything attached to them are left out.
Date columns are ``datetime64[ns]`` (NaT when empty); yes/no columns are nullable
``boolean``; numbers are ``float64`` (NaN when empty).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from tracker_desktop.core.repository import Repository, audit_high_water, changes_since

_LIVE = "participant_id IN (SELECT id FROM participants WHERE archived_at IS NULL)"

INT = "int"
FLOAT = "float"
DAY = "day"  # a date column, read as whole days since 1970-01-01
FLAG = "flag"  # yes/no (nullable)
TEXT = "text"  # read as Python strings (row mode only)
CODE = "code"  # low-cardinality text, read as category codes (columnar mode)
# Columns the metrics never read: left out by load_dataset(..., details=False) (the
# dashboard) and filled with empty values, so every frame keeps the same columns.
DETAIL_ONLY: dict[str, frozenset[str]] = {
    "participants": frozenset(
        {
            "preferred_name",
            "age_range",
            "phone",
            "email",
            "housing_status",
            "education_at_entry",
            "import_batch_id",
            "date_of_birth",
        }
    ),
    "enrollments": frozenset({"progress_pct"}),
    "jobs": frozenset({"employer", "title", "hours_per_week"}),
    "promotions": frozenset({"id", "title"}),
    "credentials": frozenset({"id", "kind"}),
    "participant_benefits": frozenset({"id", "benefit"}),
    "followups": frozenset({"employer", "hourly_wage", "enrollment_id"}),
    "legal_barriers": frozenset({"barrier_type", "status", "resolved_on", "id"}),
}
SPARSE = "sparse"  # free text in a columnar table: read separately by row id

Column = tuple[str, str, str]  # (frame column, SQL expression, kind)

# Tables with free text (read column-wise too; see _read_columns).
_ROW_TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "participants": (
        "participants WHERE archived_at IS NULL",
        (
            ("id", "id", INT),
            ("participant_code", "participant_code", TEXT),
            ("first_name", "first_name", TEXT),
            ("last_name", "last_name", TEXT),
            ("preferred_name", "preferred_name", TEXT),
            ("date_of_birth", "date_of_birth", DAY),
            ("age_range", "age_range", TEXT),
            ("phone", "phone", TEXT),
            ("email", "email", TEXT),
            ("housing_status", "housing_status", TEXT),
            ("education_at_entry", "education_at_entry", TEXT),
            ("import_batch_id", "import_batch_id", FLOAT),
        ),
    ),
    "enrollments": (
        f"enrollments WHERE {_LIVE}",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("program", "program", CODE),
            ("enrolled_on", "enrolled_on", DAY),
            ("progress_pct", "progress_pct", FLOAT),
            ("exited_on", "exited_on", DAY),
            ("exit_reason", "exit_reason", CODE),
        ),
    ),
    "jobs": (
        f"jobs WHERE {_LIVE}",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("employer", "employer", TEXT),
            ("title", "title", TEXT),
            ("started_on", "started_on", DAY),
            ("ended_on", "ended_on", DAY),
            ("hourly_wage", "hourly_wage", FLOAT),
            ("hours_per_week", "hours_per_week", FLOAT),
            ("employer_benefits", "employer_benefits", FLAG),
            ("is_entry_job", "is_entry_job", FLAG),
        ),
    ),
    "credentials": (
        f"credentials WHERE {_LIVE}",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("kind", "kind", TEXT),
            ("name", "name", TEXT),
            ("earned_on", "earned_on", DAY),
            ("expected", "expected", FLAG),
            ("gpa", "gpa", FLOAT),
        ),
    ),
    "legal_barriers": (
        f"legal_barriers WHERE {_LIVE}",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("barrier_type", "barrier_type", TEXT),
            ("status", "status", TEXT),
            ("resolved_on", "resolved_on", DAY),
        ),
    ),
    "measures": (
        "measures",
        (
            ("id", "id", INT),
            ("key", "key", TEXT),
            ("name", "name", TEXT),
            ("unit", "unit", TEXT),
            ("scale_min", "scale_min", FLOAT),
            ("scale_max", "scale_max", FLOAT),
            ("higher_is_better", "higher_is_better", FLAG),
            ("active", "active", FLAG),
        ),
    ),
    "stages": (
        "stages",
        (
            ("id", "id", INT),
            ("name", "name", TEXT),
            ("position", "position", INT),
            ("season", "season", TEXT),
            ("is_final", "is_final", FLAG),
        ),
    ),
}

# Big, mostly numeric tables: read column-wise (one long text per table, parsed by numpy),
# which is several times faster than building a Python tuple per row.
_COLUMN_TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "stage_history": (
        "stage_history",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("stage", "stage", CODE),
            ("started_on", "started_on", DAY),
            ("ended_on", "ended_on", DAY),
        ),
    ),
    "promotions": (
        "promotions",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("promoted_on", "promoted_on", DAY),
            ("title", "title", CODE),
        ),
    ),
    "measurements": (
        "measurements",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("measure_id", "measure_id", INT),
            ("time_point", "time_point", CODE),
            ("measured_on", "measured_on", DAY),
            ("value", "value", FLOAT),
        ),
    ),
    "followups": (
        "followups f",
        (
            ("id", "f.id", INT),
            ("participant_id", "f.participant_id", INT),
            ("enrollment_id", "f.enrollment_id", FLOAT),
            ("days_after_exit", "f.days_after_exit", INT),
            ("due_on", "f.due_on", DAY),
            ("done_on", "f.done_on", DAY),
            ("status", "f.status", CODE),
            ("employed", "f.employed", FLAG),
            ("hourly_wage", "f.hourly_wage", FLOAT),
            ("on_public_benefits", "f.on_public_benefits", FLAG),
            ("employer", "f.employer", SPARSE),
        ),
    ),
    "participant_benefits": (
        "participant_benefits",
        (
            ("id", "id", INT),
            ("participant_id", "participant_id", INT),
            ("benefit", "benefit", CODE),
        ),
    ),
}


def _assessment_totals(as_of: date) -> tuple[str, tuple[Column, ...]]:
    """Assessments dated on or before ``as_of``, summed per participant and stage (only
    pass rates are computed from the largest table in the file).  The sums kept by
    triggers (schema.DERIVED_DDL) serve every pair last assessed by then; the few pairs
    assessed after a past as-of date are summed from the raw rows."""
    day = as_of.isoformat()
    source = (
        "(SELECT participant_id, stage, assessed, passed FROM assessment_summary "
        f"WHERE last_on <= '{day}' "
        "UNION ALL "
        "SELECT a.participant_id, a.stage, count(*), coalesce(sum(a.passed), 0) "
        "FROM assessment_summary s CROSS JOIN assessments a "  # s outer: few pairs
        "ON a.participant_id = s.participant_id AND a.stage = s.stage "
        f"WHERE s.last_on > '{day}' AND a.assessed_on <= '{day}' "
        "GROUP BY a.participant_id, a.stage)"
    )
    return source, (
        ("participant_id", "participant_id", INT),
        ("stage", "stage", CODE),
        ("assessed", "assessed", INT),
        ("passed", "passed", INT),
    )


def _day_sql(expr: str) -> str:
    return f"CAST(julianday({expr}) - 2440587.5 AS INTEGER)"


def _to_dates(values: Any) -> pd.Series:
    days = pd.Series(values, dtype="float64")
    return pd.to_datetime(days, unit="D").astype("datetime64[ns]")


def _to_flags(values: Any) -> pd.Series:
    return pd.Series(values, dtype="float64").astype("Float64").astype("boolean")


def _field_sql(expr: str, kind: str) -> str:
    """One CSV field: numbers as SQLite prints them, text quoted, NULL as nothing."""
    if kind == DAY:
        return f"coalesce({_day_sql(expr)}, '')"
    if kind in (TEXT, CODE, SPARSE):
        return (
            f"CASE WHEN {expr} IS NULL THEN '' "
            f"ELSE '\"' || replace(CAST({expr} AS TEXT), '\"', '\"\"') || '\"' END"
        )
    return f"coalesce({expr}, '')"


def _read_columns(raw: Any, source: str, columns: tuple[Column, ...]) -> pd.DataFrame:
    """ONE scan of the table returns it as one CSV text (built inside SQLite), parsed by
    pandas' C reader: several times faster than building a Python tuple per row."""
    names = [name for name, _expr, _kind in columns]
    fields = " || ',' || ".join(_field_sql(expr, kind) for _name, expr, kind in columns)
    row = raw.execute(f"SELECT count(*), group_concat({fields}, char(10)) FROM {source}").fetchone()
    count, text = int(row[0]), row[1]
    dtypes: dict[str, Any] = {}
    for name, _expr, kind in columns:
        if kind in (TEXT, SPARSE, CODE):
            dtypes[name] = object  # never inferred: "0042" stays text
        else:
            dtypes[name] = np.float64
    if count and text:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=names,
            dtype=dtypes,
            engine="c",
            keep_default_na=False,
            na_values={n: [""] for n, _e, k in columns if k not in (TEXT, SPARSE, CODE)},
            quotechar='"',
            doublequote=True,
        )
        if len(frame) != count:
            raise ValueError(f"{source}: read {len(frame)} rows of {count}")
    else:
        frame = pd.DataFrame({n: pd.Series(dtype=d) for n, d in dtypes.items()})
    for name, _expr, kind in columns:
        column = frame[name]
        if kind == INT:
            frame[name] = column.to_numpy(dtype=np.float64).astype(np.int64)
        elif kind == DAY:
            frame[name] = _to_dates(column.to_numpy(dtype=np.float64))
        elif kind == FLAG:
            frame[name] = _to_flags(column.to_numpy(dtype=np.float64))
        elif kind in (TEXT, SPARSE, CODE):
            values = column.to_numpy(dtype=object, copy=True)
            values[values == ""] = None  # NULL (or blank): missing
            frame[name] = pd.Categorical(values) if kind == CODE else values
    return frame


@dataclass
class Dataset:
    """A consistent snapshot of the file, ready for the metrics engine and exports."""

    participants: pd.DataFrame
    enrollments: pd.DataFrame
    stage_history: pd.DataFrame
    assessment_totals: pd.DataFrame  # participant_id, stage, assessed, passed (to as_of)
    jobs: pd.DataFrame
    promotions: pd.DataFrame
    credentials: pd.DataFrame
    measurements: pd.DataFrame
    followups: pd.DataFrame
    participant_benefits: pd.DataFrame
    legal_barriers: pd.DataFrame
    measures: pd.DataFrame
    stages: pd.DataFrame
    as_of: date = field(default_factory=date.today)
    details: bool = True  # False: export-only columns left empty (see DETAIL_ONLY)
    audit_id: int = 0  # the newest audit_log row this snapshot includes
    targets: dict[str, float] = field(default_factory=dict)
    followup_days: list[int] = field(default_factory=lambda: [30, 90, 180, 365])
    programs: list[str] = field(default_factory=list)
    organisation: str = ""
    loaded_at: datetime = field(default_factory=datetime.now)

    @property
    def stage_names(self) -> list[str]:
        return [str(s) for s in self.stages["name"]]

    def measure_names(self) -> dict[str, str]:
        return {
            str(k): str(n)
            for k, n in zip(self.measures["key"], self.measures["name"], strict=False)
        }


# Which frame each audited table feeds (refresh_dataset re-reads only those).
_FRAME_OF_TABLE: dict[str, str] = {
    "participants": "participants",
    "enrollments": "enrollments",
    "stage_history": "stage_history",
    "assessments": "assessment_totals",
    "jobs": "jobs",
    "promotions": "promotions",
    "credentials": "credentials",
    "measurements": "measurements",
    "followups": "followups",
    "followup_benefits": "followups",
    "participant_benefits": "participant_benefits",
    "legal_barriers": "legal_barriers",
}
# Tables the dataset never reads: their changes need no reload.
_UNREAD_TABLES = frozenset(
    {"notes", "weekly_hours", "custom_values", "survey_responses", "survey_answers", "staff"}
)
_READ_SETTINGS = ("followup_days", "organisation_name")
_CHILD_FRAMES = (
    *_COLUMN_TABLES,
    "assessment_totals",
    *(
        n
        for n in _ROW_TABLES
        if n
        not in (
            "participants",
            "measures",
            "stages",
        )
    ),
)


def _read_frame(raw: Any, name: str, as_of: date, details: bool) -> pd.DataFrame:
    if name == "assessment_totals":
        return _read_columns(raw, *_assessment_totals(as_of))
    source, columns = _ROW_TABLES[name] if name in _ROW_TABLES else _COLUMN_TABLES[name]
    skipped = frozenset() if details else DETAIL_ONLY.get(name, frozenset())
    kept = tuple(c for c in columns if c[0] not in skipped)
    if kept and (name != "legal_barriers" or details):
        frame = _read_columns(raw, source, kept)
    else:
        frame = pd.DataFrame({c[0]: pd.Series(dtype=object) for c in kept})
    for column_name, _expr, _kind in columns:
        if column_name in skipped:
            frame[column_name] = None
    frame = frame[[c[0] for c in columns]]
    if name == "followups":
        counts = dict(
            raw.execute(
                "SELECT followup_id, count(*) FROM followup_benefits GROUP BY followup_id"
            ).fetchall()
        )
        frame["benefit_count"] = (
            frame["id"].map(counts).fillna(0).astype(np.int64)
            if counts
            else np.zeros(len(frame), dtype=np.int64)
        )
    return frame


def _assemble(
    raw: Any, frames: dict[str, pd.DataFrame], as_of: date, details: bool, audit_id: int
) -> Dataset:
    """Small tables and settings (always re-read), archived participants left out."""
    targets = {
        str(k): float(v)
        for k, v in raw.execute("SELECT metric_key, target FROM metric_targets").fetchall()
    }
    settings = {
        str(k): v
        for k, v in raw.execute(
            "SELECT key, value FROM settings WHERE key IN (?, ?)", _READ_SETTINGS
        ).fetchall()
    }
    programs = [
        str(r[0])
        for r in raw.execute(
            "SELECT value FROM option_items WHERE list_name = 'programs' ORDER BY position, id"
        ).fetchall()
    ]
    live = frames["participants"]["id"].to_numpy()
    for name in _CHILD_FRAMES:  # leave out everything attached to archived participants
        frame = frames[name]
        kept = frame["participant_id"].isin(live).to_numpy()
        if not kept.all():
            frames[name] = frame[kept].reset_index(drop=True)
    frames["stages"] = (
        frames["stages"].sort_values(["position", "id"], kind="stable").reset_index(drop=True)
    )
    frames["measures"] = frames["measures"].sort_values("id").reset_index(drop=True)
    measure_keys = dict(zip(frames["measures"]["id"], frames["measures"]["key"], strict=True))
    measurements = frames["measurements"]
    measurements["measure"] = measurements["measure_id"].map(measure_keys).astype("category")
    followup_days = [30, 90, 180, 365]
    if "followup_days" in settings:
        try:
            followup_days = sorted(int(d) for d in json.loads(settings["followup_days"]))
        except (TypeError, ValueError):
            pass
    organisation = ""
    if "organisation_name" in settings:
        try:
            organisation = str(json.loads(settings["organisation_name"]) or "")
        except ValueError:
            organisation = ""
    enrolled_programs = [str(p) for p in frames["enrollments"]["program"].dropna().unique()]
    for program in sorted(enrolled_programs):
        if program not in programs:
            programs.append(program)
    return Dataset(
        as_of=as_of,
        targets=targets,
        followup_days=followup_days,
        programs=programs,
        organisation=organisation,
        details=details,
        audit_id=audit_id,
        **frames,
    )


def _load_all(raw: Any, as_of: date, details: bool) -> Dataset:
    audit_id = audit_high_water(raw)
    names = [*_ROW_TABLES, *_COLUMN_TABLES, "assessment_totals"]
    frames = {name: _read_frame(raw, name, as_of, details) for name in names}
    return _assemble(raw, frames, as_of, details, audit_id)


def load_dataset(repo: Repository, as_of: date | None = None, *, details: bool = True) -> Dataset:
    """Read every table the metrics and exports need in one read transaction.

    ``as_of`` (default today) only matters for ``assessment_totals``, which are summed in
    SQL up to that day; compute metrics for the same as-of date.  ``details=False`` skips
    the columns only exports show (contact details, employers, legal barriers, ...;
    see DETAIL_ONLY): faster and lighter, same metrics.
    """
    with repo.reading() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        return _load_all(raw, as_of or date.today(), details)


def changed_frames(raw: Any, since_audit_id: int) -> set[str] | None:
    """The frames that saved changes since ``since_audit_id`` touch, from the audit log;
    None when a change cannot be pinned to tables (bulk work, settings, option lists...)."""
    frames: set[str] = set()
    for table, action, field_name in changes_since(raw, since_audit_id):
        if table in _UNREAD_TABLES:
            continue
        if table in ("settings", "metric_targets"):
            continue  # drafts and other settings; the ones read are re-read every time
        if table == "participants" and field_name == "archived_at":
            return None  # a restored participant brings back rows the snapshot dropped
        if action not in ("insert", "update", "delete") or table not in _FRAME_OF_TABLE:
            return None
        frames.add(_FRAME_OF_TABLE[table])
    return frames


def refresh_dataset(repo: Repository, dataset: Dataset, as_of: date | None = None) -> Dataset:
    """``dataset`` brought up to date in one read transaction: only the tables the audit
    log shows as changed since it was read are read again (everything when in doubt).
    A different ``as_of`` re-sums the assessments up to that day too."""
    as_of = as_of or dataset.as_of
    with repo.reading() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        audit_id = audit_high_water(raw)
        if audit_id == dataset.audit_id and as_of == dataset.as_of:
            return dataset
        changed = changed_frames(raw, dataset.audit_id)
        if changed is None or audit_id < dataset.audit_id:
            return _load_all(raw, as_of, dataset.details)
        if as_of != dataset.as_of:
            changed.add("assessment_totals")
        frames = {name: getattr(dataset, name) for name in (*_ROW_TABLES, *_COLUMN_TABLES)}
        frames["assessment_totals"] = dataset.assessment_totals
        for name in changed:
            frames[name] = _read_frame(raw, name, as_of, dataset.details)
        frames = {
            name: frame.copy() if name == "measurements" else frame
            for name, frame in frames.items()
        }
        return _assemble(raw, frames, as_of, dataset.details, audit_id)


def to_timestamp(day: date | None) -> pd.Timestamp | None:
    return None if day is None else pd.Timestamp(day)
