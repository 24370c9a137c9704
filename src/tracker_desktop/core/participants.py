"""Participant records: the tracker table's rows, and loading/saving a whole record.

* :func:`load_tracker` reads one row per participant (the sample tracker's columns plus
  stage and status) with ONE aggregate query, into plain per-column lists so a table of
  100k rows stays cheap to sort and filter.
* :class:`ParticipantForm` is everything the record window edits, as JSON-able values
  (text as typed, or typed values).  :func:`save_participant` validates it with
  :mod:`tracker_desktop.core.validation` and writes it in ONE audited transaction.
* Archive (soft delete, undoable) and a real delete with a "what will be removed" summary.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, text, update

from tracker_desktop.core import schema, validation
from tracker_desktop.core.options import CustomField, custom_fields
from tracker_desktop.core.records import GRADUATING_EXIT_REASONS, AuditEntry
from tracker_desktop.core.repository import Repository, Writer
from tracker_desktop.core.validation import Problem

# --- the tracker table ------------------------------------------------------------------
# (key, header, kind); kind drives display and sorting: text, date, money, percent, yesno,
# number.  Order: code, then the sample tracker's columns in its order, then stage/status.
TRACKER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("code", "Code", "text"),
    ("last_name", "Last Name", "text"),
    ("first_name", "First Name", "text"),
    ("enrolled_on", "Date of Enrollment", "date"),
    ("program", "Programs Enrolled", "text"),
    ("progress", "Progress", "percent"),
    ("employed", "Employed", "yesno"),
    ("employed_on", "Date of Employment", "date"),
    ("wage", "Hourly Wage", "money"),
    ("employer_benefits", "Enrolled Benefits", "yesno"),
    ("promotion", "Promotions Earned", "text"),
    ("certifications", "Certifications Earned", "text"),
    ("certified_on", "Date of Certification", "date"),
    ("degrees", "Degrees Completed", "text"),
    ("degree_on", "Date of Degree", "date"),
    ("gpa", "GPA", "number"),
    ("barriers_expunged", "Legal Barriers Expunged", "text"),
    ("stage", "Current Stage", "text"),
    ("status", "Status", "text"),
)
COLUMN_KEYS = tuple(key for key, _header, _kind in TRACKER_COLUMNS)

# One aggregate query.  Each CTE reads one child table once, grouped by participant; the
# "latest" row is picked with SQLite's bare-column rule (``max(key)`` brings the other
# columns of that row), which is much cheaper than window functions on big tables.
# Participants are scanned in rowid order (NOT INDEXED: following the name index costs a
# random page read per row on an encrypted file), then sorted by name.
_TRACKER_SQL = """
WITH
en AS (
  SELECT participant_id, max(enrolled_on || printf('%012d', id)) AS k, enrolled_on, program,
         progress_pct, exited_on, exit_reason
  FROM enrollments {child} GROUP BY participant_id),
jb AS (
  SELECT participant_id,
         max((ended_on IS NULL) || coalesce(started_on, '') || printf('%012d', id)) AS k,
         started_on, ended_on, hourly_wage, employer_benefits
  FROM jobs {child} GROUP BY participant_id),
pr AS (
  SELECT participant_id, max(coalesce(promoted_on, '') || printf('%012d', id)) AS k, title
  FROM promotions {child} GROUP BY participant_id),
ce AS (
  SELECT participant_id,
         group_concat(CASE WHEN kind = 'certification' AND NOT expected THEN name END, ', ')
           AS certs,
         max(CASE WHEN kind = 'certification' AND NOT expected THEN earned_on END) AS cert_on,
         group_concat(CASE WHEN kind = 'degree' AND NOT expected THEN name END, ', ') AS degrees,
         max(CASE WHEN kind = 'degree' AND NOT expected THEN earned_on END) AS degree_on
  FROM credentials {child} GROUP BY participant_id),
gp AS (
  SELECT participant_id, max(coalesce(earned_on, '') || printf('%012d', id)) AS k, gpa
  FROM credentials WHERE gpa IS NOT NULL {child_and} GROUP BY participant_id),
lb AS (
  SELECT participant_id, count(*) AS n,
         sum(lower(status) IN ('expunged', 'resolved')) AS done
  FROM legal_barriers {child} GROUP BY participant_id),
st AS (
  SELECT participant_id, max(started_on || printf('%012d', id)) AS k, stage
  FROM stage_history {child} GROUP BY participant_id)
SELECT p.id, p.participant_code, p.last_name, p.first_name, p.preferred_name,
       p.archived_at IS NOT NULL,
       en.enrolled_on, en.program, en.progress_pct, en.exited_on, en.exit_reason,
       jb.participant_id IS NOT NULL, jb.ended_on IS NULL, jb.started_on, jb.hourly_wage,
       jb.employer_benefits,
       pr.title, ce.certs, ce.cert_on, ce.degrees, ce.degree_on, gp.gpa, lb.n, lb.done,
       st.stage
FROM participants p NOT INDEXED
LEFT JOIN en ON en.participant_id = p.id
LEFT JOIN jb ON jb.participant_id = p.id
LEFT JOIN pr ON pr.participant_id = p.id
LEFT JOIN ce ON ce.participant_id = p.id
LEFT JOIN gp ON gp.participant_id = p.id
LEFT JOIN lb ON lb.participant_id = p.id
LEFT JOIN st ON st.participant_id = p.id
{where}
ORDER BY p.last_name, p.first_name, p.id
"""


@dataclass
class TrackerData:
    """The tracker table as plain per-column lists (index i = one participant)."""

    ids: list[int] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=lambda: {key: [] for key in COLUMN_KEYS})
    search_keys: list[str] = field(default_factory=list)  # "p-00042 ana garcia ..." lowercase
    archived: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, index: int) -> dict[str, Any]:
        return {key: self.columns[key][index] for key in COLUMN_KEYS}


def _status(enrolled_on: object, exited_on: object, exit_reason: object) -> str:
    if not enrolled_on:
        return "No enrollment"
    if not exited_on:
        return "Active"
    return "Alumni" if exit_reason in GRADUATING_EXIT_REASONS else "Exited"


def load_tracker(
    repo: Repository, include_archived: bool = False, participant_id: int | None = None
) -> TrackerData:
    """Every participant's tracker row (dates as ISO text, numbers as floats), sorted by
    last name then first name.  With ``participant_id``: just that participant's row."""
    conditions = []
    params: list[Any] = []
    if participant_id is not None:
        child, child_and = "WHERE participant_id = ?", "AND participant_id = ?"
        params = [participant_id] * 7
        conditions.append("p.id = ?")
        params.append(participant_id)
    else:
        child = child_and = ""
    if not include_archived:
        conditions.append("p.archived_at IS NULL")
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    sql = _TRACKER_SQL.format(child=child, child_and=child_and, where=where)
    with repo.reading() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        rows = raw.execute(sql, params).fetchall()
    data = TrackerData()
    if not rows:
        return data
    (
        pid,
        pcode,
        plast,
        pfirst,
        preferred,
        is_archived,
        en_on,
        en_program,
        en_progress,
        ex_on,
        ex_reason,
        has_job,
        job_current,
        job_start,
        job_wage,
        job_benefits,
        p_title,
        c_certs,
        c_on,
        c_degrees,
        d_on,
        c_gpa,
        b_count,
        b_done,
        s_stage,
    ) = zip(*rows, strict=True)
    cols = data.columns
    shared: dict[Any, Any] = {}  # one object per distinct value: dates, programs, stages...

    def pooled(values: tuple[Any, ...]) -> list[Any]:
        keep = shared.setdefault
        return [keep(v, v) for v in values]

    data.ids = list(pid)
    data.archived = [bool(a) for a in is_archived]
    cols["code"] = list(pcode)
    cols["last_name"] = list(plast)
    cols["first_name"] = list(pfirst)
    cols["enrolled_on"] = pooled(en_on)
    cols["program"] = pooled(en_program)
    cols["progress"] = list(en_progress)
    cols["employed"] = [
        "Yes" if has and current else "No"
        for has, current in zip(has_job, job_current, strict=True)
    ]
    cols["employed_on"] = pooled(job_start)
    cols["wage"] = list(job_wage)
    cols["employer_benefits"] = [
        None if not has or b is None else ("Yes" if b else "No")
        for has, b in zip(has_job, job_benefits, strict=True)
    ]
    cols["promotion"] = pooled(p_title)
    cols["certifications"] = pooled(c_certs)
    cols["certified_on"] = pooled(c_on)
    cols["degrees"] = pooled(c_degrees)
    cols["degree_on"] = pooled(d_on)
    cols["gpa"] = list(c_gpa)
    cols["barriers_expunged"] = [
        None if not n else ("Yes" if done == n else "No")
        for n, done in zip(b_count, b_done, strict=True)
    ]
    cols["stage"] = pooled(s_stage)
    cols["status"] = [
        "Archived" if archived else _status(on, off, why)
        for archived, on, off, why in zip(is_archived, en_on, ex_on, ex_reason, strict=True)
    ]
    data.search_keys = [
        f"{code} {first} {last} {pref or ''} | {last} {first}".lower()
        for code, first, last, pref in zip(pcode, pfirst, plast, preferred, strict=True)
    ]
    return data


# --- the record form --------------------------------------------------------------------
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "age_range",
    "phone",
    "email",
    "housing_status",
    "education_at_entry",
)
ENROLLMENT_FIELDS = ("program", "enrolled_on", "progress_pct", "exited_on", "exit_reason")
JOB_FIELDS = (
    "employer",
    "title",
    "started_on",
    "ended_on",
    "hourly_wage",
    "hours_per_week",
    "employer_benefits",
    "is_entry_job",
)
PROMOTION_FIELDS = ("promoted_on", "title")
CREDENTIAL_FIELDS = ("kind", "name", "earned_on", "expected", "gpa")
BARRIER_FIELDS = ("barrier_type", "status", "resolved_on", "notes")
NOTE_FIELDS = ("noted_on", "author", "body")

_DATE_FIELDS = frozenset(
    {
        "date_of_birth",
        "enrolled_on",
        "exited_on",
        "started_on",
        "ended_on",
        "promoted_on",
        "earned_on",
        "resolved_on",
        "noted_on",
    }
)
_NUMBER_FIELDS = frozenset({"progress_pct", "hourly_wage", "hours_per_week", "gpa"})
_BOOL_FIELDS = frozenset({"employer_benefits", "is_entry_job", "expected"})
_NOT_NULL_BOOLS = frozenset({"is_entry_job", "expected"})

# Sections of the form holding lists of child rows: form attribute -> (table, fields)
CHILD_SECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "jobs": ("jobs", JOB_FIELDS),
    "promotions": ("promotions", PROMOTION_FIELDS),
    "credentials": ("credentials", CREDENTIAL_FIELDS),
    "barriers": ("legal_barriers", BARRIER_FIELDS),
    "notes": ("notes", NOTE_FIELDS),
}


@dataclass
class ParticipantForm:
    """A whole participant record as the form edits it (JSON-serialisable)."""

    id: int | None = None
    participant_code: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    enrollment: dict[str, Any] = field(default_factory=dict)  # may hold "id"
    benefits: list[str] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    promotions: list[dict[str, Any]] = field(default_factory=list)
    credentials: list[dict[str, Any]] = field(default_factory=list)
    barriers: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)  # custom field key -> value
    archived: bool = False

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    @classmethod
    def from_json(cls, state: Mapping[str, Any]) -> ParticipantForm:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in state.items() if k in known})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


class FormInvalidError(ValueError):
    """The form has errors; ``problems`` says which (fields like "jobs[0].hourly_wage")."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems if p.is_error))
        self.problems = problems


def load_participant(repo: Repository, participant_id: int) -> ParticipantForm:
    participant = repo.get("participants", participant_id)
    enrollments = repo.rows("enrollments", participant_id, order_by="enrolled_on")
    enrollment: dict[str, Any] = {}
    if enrollments:
        latest = enrollments[-1]
        enrollment = {"id": latest["id"], **{f: latest[f] for f in ENROLLMENT_FIELDS}}

    def children(table: str, fields: tuple[str, ...], order: str) -> list[dict[str, Any]]:
        return [
            {"id": r["id"], **{f: r[f] for f in fields}}
            for r in repo.rows(table, participant_id, order_by=order)
        ]

    values = {
        int(r["field_id"]): r["value"]
        for r in _custom_value_rows(repo, participant_id)
        if r["value"] is not None
    }
    custom = {f.key: values[f.id] for f in custom_fields(repo, True) if f.id in values}
    form = ParticipantForm(
        id=participant_id,
        participant_code=participant["participant_code"],
        profile={f: participant[f] for f in PROFILE_FIELDS},
        enrollment=enrollment,
        benefits=[r["benefit"] for r in repo.rows("participant_benefits", participant_id)],
        jobs=children("jobs", JOB_FIELDS, "started_on"),
        promotions=children("promotions", PROMOTION_FIELDS, "promoted_on"),
        credentials=children("credentials", CREDENTIAL_FIELDS, "earned_on"),
        barriers=children("legal_barriers", BARRIER_FIELDS, "id"),
        notes=children("notes", NOTE_FIELDS, "noted_on"),
        custom=custom,
        archived=participant["archived_at"] is not None,
    )
    return ParticipantForm.from_json(form.to_json())


def _custom_value_rows(repo: Repository, participant_id: int) -> list[dict[str, Any]]:
    values = schema.custom_values
    with repo.reading() as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(values).where(values.c.participant_id == participant_id)
            ).mappings()
        ]


def _prefixed(problems: list[Problem], prefix: str) -> list[Problem]:
    return [Problem(f"{prefix}.{p.field}", p.message, p.severity) for p in problems]


def validate_form(
    form: ParticipantForm,
    settings: object = None,
    fields: list[CustomField] | None = None,
    today: date | None = None,
) -> list[Problem]:
    """Every problem of the form.  Profile/enrollment problems carry the plain field name;
    list rows carry "jobs[0].hourly_wage"; custom fields "custom.<key>"."""
    values = {**form.profile, **{k: v for k, v in form.enrollment.items() if k != "id"}}
    problems = validation.validate_participant(values, settings, today)
    try:
        birth: date | None = validation.parse_date(form.profile.get("date_of_birth"))
    except ValueError:
        birth = None
    for index, job in enumerate(form.jobs):
        problems += _prefixed(validation.validate_job(job, settings, birth), f"jobs[{index}]")
    for index, promo in enumerate(form.promotions):
        problems += _prefixed(validation.validate_promotion(promo, birth), f"promotions[{index}]")
    for index, cred in enumerate(form.credentials):
        problems += _prefixed(
            validation.validate_credential(cred, settings, birth, today), f"credentials[{index}]"
        )
    for index, barrier in enumerate(form.barriers):
        problems += _prefixed(validation.validate_barrier(barrier, today), f"barriers[{index}]")
    for index, note in enumerate(form.notes):
        problems += _prefixed(validation.validate_note(note), f"notes[{index}]")
    for custom in fields or []:
        for problem in validation.validate_custom_value(
            form.custom.get(custom.key), custom.field_type, custom.label
        ):
            problems.append(Problem(f"custom.{custom.key}", problem.message, problem.severity))
    return problems


def _coerce(name: str, value: Any) -> Any:
    if name in _DATE_FIELDS:
        return validation.parse_date(value)
    if name in _NUMBER_FIELDS:
        return validation.parse_number(value)
    if name in _BOOL_FIELDS:
        parsed = validation.parse_yes_no(value)
        return bool(parsed) if name in _NOT_NULL_BOOLS else parsed
    if isinstance(value, str):
        return value.strip() or None
    return value


def _coerced(values: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: _coerce(f, values.get(f)) for f in fields}


@dataclass(frozen=True)
class SaveResult:
    participant_id: int
    participant_code: str
    created: bool
    changes: int  # audit rows written
    warnings: list[Problem]


def save_participant(
    repo: Repository, form: ParticipantForm, today: date | None = None
) -> SaveResult:
    """Validate and write the whole form in ONE transaction (all or nothing)."""
    fields = custom_fields(repo, include_inactive=True)
    problems = validate_form(form, repo, [f for f in fields if f.active], today)
    if validation.has_errors(problems):
        raise FormInvalidError(problems)
    profile = _coerced(form.profile, PROFILE_FIELDS)
    enrollment = _coerced(form.enrollment, ENROLLMENT_FIELDS)
    with repo.transaction() as tx:
        audit_before = _audit_count(tx)
        created = form.id is None
        if form.id is None:
            code = tx.next_participant_code()
            pid = tx.insert(
                "participants",
                {**profile, "participant_code": code, "created_at": tx.at, "updated_at": tx.at},
            )
        else:
            pid = form.id
            code = str(tx.get("participants", pid)["participant_code"])
            tx.update("participants", pid, profile)
        exit_changed, enrollment_id = _save_enrollment(tx, pid, form.enrollment, enrollment)
        _save_benefits(tx, pid, form.benefits)
        for attribute, (table, table_fields) in CHILD_SECTIONS.items():
            rows = []
            for row in getattr(form, attribute):
                values = _coerced(row, table_fields)
                if attribute == "notes" and not values.get("author"):
                    values["author"] = tx.staff
                if row.get("id") is not None:
                    values["id"] = int(row["id"])
                rows.append(values)
            tx.replace_children(table, pid, rows)
        _save_custom(tx, pid, form.custom, fields)
        changes = _audit_count(tx) - audit_before
        if changes and not created:
            tx.conn.execute(
                update(schema.participants)
                .where(schema.participants.c.id == pid)
                .values(updated_at=tx.at)
            )
        if exit_changed and enrollment_id is not None:
            _sync_followups(tx, enrollment_id)
    return SaveResult(pid, code, created, changes, [p for p in problems if not p.is_error])


def _audit_count(tx: Writer) -> int:
    return int(tx.conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())


def _save_enrollment(
    tx: Writer, pid: int, raw: Mapping[str, Any], values: dict[str, Any]
) -> tuple[bool, int | None]:
    """Write the (latest) enrollment; returns (exit date changed, enrollment id)."""
    if all(v is None for v in values.values()):
        return False, None
    enrollment_id = raw.get("id")
    if enrollment_id is None:
        new_id = tx.insert("enrollments", {**values, "participant_id": pid})
        return values.get("exited_on") is not None, new_id
    changed = tx.update("enrollments", int(enrollment_id), values)
    return "exited_on" in changed, int(enrollment_id)


def _sync_followups(tx: Writer, enrollment_id: int) -> None:
    """Let the journey module match pending follow-ups to the new exit date (if present)."""
    try:
        journey = importlib.import_module("tracker_desktop.core.journey")
    except ImportError:
        return
    sync: Callable[[Writer, int], object] | None = getattr(journey, "sync_followups", None)
    if sync is not None:
        sync(tx, enrollment_id)


def _save_benefits(tx: Writer, pid: int, benefits: list[str]) -> None:
    table = schema.participant_benefits
    existing = {
        str(r.benefit): int(r.id)
        for r in tx.conn.execute(
            select(table.c.id, table.c.benefit).where(table.c.participant_id == pid)
        )
    }
    wanted = list(dict.fromkeys(b.strip() for b in benefits if b and b.strip()))
    rows: list[dict[str, Any]] = []
    for benefit in wanted:
        row: dict[str, Any] = {"benefit": benefit}
        if benefit in existing:
            row["id"] = existing[benefit]
        rows.append(row)
    tx.replace_children(table, pid, rows)


def _save_custom(
    tx: Writer, pid: int, values: Mapping[str, Any], fields: list[CustomField]
) -> None:
    table = schema.custom_values
    current = {
        int(r.field_id): r.value
        for r in tx.conn.execute(
            select(table.c.field_id, table.c.value).where(table.c.participant_id == pid)
        )
    }
    for custom in fields:
        if custom.key not in values and custom.id not in current:
            continue
        raw = values.get(custom.key)
        new = None if validation.is_blank(raw) else _custom_text(raw, custom.field_type)
        old = current.get(custom.id)
        if new == old:
            continue
        if custom.id in current:
            if new is None:
                tx.conn.execute(
                    delete(table).where(
                        table.c.participant_id == pid, table.c.field_id == custom.id
                    )
                )
            else:
                tx.conn.execute(
                    update(table)
                    .where(table.c.participant_id == pid, table.c.field_id == custom.id)
                    .values(value=new)
                )
        else:
            tx.conn.execute(insert(table).values(participant_id=pid, field_id=custom.id, value=new))
        tx.audit("update", "custom_values", custom.id, pid, custom.key, old, new)


def _custom_text(raw: Any, field_type: str) -> str:
    if field_type == "date":
        parsed = validation.parse_date(raw)
        return parsed.isoformat() if parsed else ""
    if field_type == "number":
        return validation.show(validation.parse_number(raw))
    if field_type == "yesno":
        return "yes" if validation.parse_yes_no(raw) else "no"
    return str(raw).strip()


# --- archive and delete -----------------------------------------------------------------
def archive_participant(repo: Repository, participant_id: int) -> None:
    """Soft delete: hidden from the tracker and metrics, kept in the file; undoable."""
    with repo.transaction(reason="archived") as tx:
        tx.update("participants", participant_id, {"archived_at": tx.at})


def unarchive_participant(repo: Repository, participant_id: int) -> None:
    with repo.transaction(reason="archive undone") as tx:
        tx.update("participants", participant_id, {"archived_at": None})


# child table -> (singular, plural) for the deletion summary
_SUMMARY_WORDS: dict[str, tuple[str, str]] = {
    "enrollments": ("enrollment", "enrollments"),
    "jobs": ("job", "jobs"),
    "promotions": ("promotion", "promotions"),
    "credentials": ("credential", "credentials"),
    "legal_barriers": ("legal barrier", "legal barriers"),
    "notes": ("case note", "case notes"),
    "participant_benefits": ("public benefit", "public benefits"),
    "stage_history": ("stage record", "stage records"),
    "assessments": ("assessment", "assessments"),
    "weekly_hours": ("week of hours", "weeks of hours"),
    "measurements": ("outcome measurement", "outcome measurements"),
    "survey_responses": ("survey response", "survey responses"),
    "followups": ("follow-up", "follow-ups"),
    "custom_values": ("custom field value", "custom field values"),
}


def deletion_summary(repo: Repository, participant_id: int) -> dict[str, int]:
    """How many rows of each kind deleting this participant removes (non-zero only)."""
    counts: dict[str, int] = {}
    with repo.reading() as conn:
        for table in schema.PARTICIPANT_CHILD_TABLES:
            count = int(
                conn.execute(
                    text(f"SELECT count(*) FROM {table.name} WHERE participant_id = :pid"),
                    {"pid": participant_id},
                ).scalar_one()
            )
            if count:
                counts[table.name] = count
    return counts


def describe_deletion(counts: Mapping[str, int]) -> str:
    """ "3 jobs, 1 credential and 2 case notes" (or "no other records")."""
    parts = []
    for table, count in counts.items():
        singular, plural = _SUMMARY_WORDS.get(table, (table, table))
        parts.append(f"{count} {singular if count == 1 else plural}")
    if not parts:
        return "no other records"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def delete_participant(repo: Repository, participant_id: int) -> dict[str, int]:
    """Delete the participant and everything recorded about them; returns what went.

    The audit log keeps a row saying who deleted whom and what went with them."""
    counts = deletion_summary(repo, participant_id)
    with repo.transaction(reason=f"deleted with {describe_deletion(counts)}") as tx:
        tx.delete("participants", participant_id)
    return counts


def history(repo: Repository, participant_id: int, limit: int = 5000) -> list[AuditEntry]:
    """The audit trail of one participant, newest first."""
    return repo.audit_entries(participant_id=participant_id, limit=limit)
