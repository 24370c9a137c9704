"""The participant journey: stages and their triggers, assessments, weekly hours, exit,
the follow-up schedule, outcome measures and experience surveys.

Qt-free.  Reads take a *source*: the :class:`Repository` (opens its own read) or a
:class:`Writer` (reads inside the open transaction).  Writes take a ``Writer`` so every
change is one audited transaction; a stage move with an override runs with the override
reason on every audit row it writes.

Problems a person can fix raise :class:`JourneyError` with a sentence meant for them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select

from tracker_desktop.core import schema
from tracker_desktop.core.records import AssessmentKind, FollowUpStatus, TimePoint
from tracker_desktop.core.repository import Repository, Row, Writer

DEFAULT_FOLLOWUP_DAYS: tuple[int, ...] = (30, 90, 180, 365)
TRIGGER_MANUAL = "manual"
TRIGGER_PASS_ALL = "pass_all_assessments"
TRIGGERS: dict[str, str] = {
    TRIGGER_MANUAL: "Staff decide",
    TRIGGER_PASS_ALL: "All assessments passed",
}
SURVEY_SCALES: dict[str, str] = {"1-5": "1-5 scale", "yesno": "Yes / No"}
TIME_POINT_LABELS: dict[str, str] = {
    TimePoint.ENTRY: "Entry",
    TimePoint.DURING: "During",
    TimePoint.EXIT: "Exit",
    TimePoint.FOLLOW_UP: "Follow-up",
}
FOLLOWUP_STATUS_LABELS: dict[str, str] = {
    FollowUpStatus.DUE: "Due",
    FollowUpStatus.DONE: "Done",
    FollowUpStatus.UNREACHABLE: "Unreachable",
    FollowUpStatus.DECLINED: "Declined",
}
MAX_WEEK_HOURS = 112.0

Source = Repository | Writer


class JourneyError(ValueError):
    """A journey action that cannot be done as asked; the message is for a person."""


class TriggerNotMetError(JourneyError):
    """Moving on needs something not yet done; ``missing`` lists what, one line each."""

    def __init__(self, stage: str, missing: list[str]) -> None:
        self.stage = stage
        self.missing = list(missing)
        super().__init__(
            f"{stage} is not complete: " + "; ".join(missing) + ". Override with a reason "
            "to move on anyway."
        )


@contextlib.contextmanager
def _reading(source: Source) -> Iterator[Connection]:
    if isinstance(source, Writer):
        yield source.conn
    else:
        with source.reading() as conn:
            yield conn


def _fmt_day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# --- stages ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    id: int | None
    name: str
    position: int
    season: str | None = None
    expected_length: str | None = None
    min_days: int | None = None
    max_days: int | None = None
    shift_hours_cap: float | None = None
    pd_hours_cap: float | None = None
    stations: int | None = None
    trigger: str = TRIGGER_MANUAL
    is_final: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Stage:
        return cls(
            id=row.get("id"),
            name=str(row["name"]),
            position=int(row.get("position") or 0),
            season=row.get("season"),
            expected_length=row.get("expected_length"),
            min_days=row.get("min_days"),
            max_days=row.get("max_days"),
            shift_hours_cap=row.get("shift_hours_cap"),
            pd_hours_cap=row.get("pd_hours_cap"),
            stations=row.get("stations"),
            trigger=str(row.get("trigger") or TRIGGER_MANUAL),
            is_final=bool(row.get("is_final")),
        )

    @property
    def trigger_text(self) -> str:
        if self.trigger == TRIGGER_PASS_ALL:
            return f"Pass all {self.name} knowledge and skill assessments"
        return "Staff decide"


def list_stages(source: Source) -> list[Stage]:
    with _reading(source) as conn:
        rows = conn.execute(
            select(schema.stages).order_by(schema.stages.c.position, schema.stages.c.id)
        ).mappings()
        return [Stage.from_row(dict(r)) for r in rows]


def stage_named(stages: Sequence[Stage], name: str) -> Stage | None:
    return next((s for s in stages if s.name == name), None)


def next_stage_choices(stages: Sequence[Stage], current: str | None) -> list[Stage]:
    """Where someone in ``current`` can move next: the following stage, or - when the
    following stages are final ones (Graduated, Shift Lead) - any of them."""
    ordered = sorted(stages, key=lambda s: s.position)
    if not ordered:
        return []
    if current is None:
        return [ordered[0]]
    index = next((i for i, s in enumerate(ordered) if s.name == current), None)
    if index is None:
        return [ordered[0]]
    if ordered[index].is_final:
        return []
    rest = ordered[index + 1 :]
    if not rest:
        return []
    if not rest[0].is_final:
        return [rest[0]]
    choices = []
    for stage in rest:
        if not stage.is_final:
            break
        choices.append(stage)
    return choices


def _validate_stage(stage: Stage) -> list[str]:
    problems = []
    label = stage.name.strip() or "A stage"
    if not stage.name.strip():
        problems.append("Every stage needs a name.")
    for value, what in (
        (stage.shift_hours_cap, "paid shift hours cap"),
        (stage.pd_hours_cap, "paid personal-development hours cap"),
    ):
        if value is not None and not 0 <= value <= MAX_WEEK_HOURS:
            problems.append(f"{label}: the {what} must be between 0 and {MAX_WEEK_HOURS:g}.")
    if stage.stations is not None and not 0 <= stage.stations <= 50:
        problems.append(f"{label}: stations must be between 0 and 50.")
    if stage.trigger not in TRIGGERS:
        problems.append(f"{label}: unknown trigger {stage.trigger!r}.")
    if (
        stage.min_days is not None
        and stage.max_days is not None
        and stage.min_days > stage.max_days
    ):
        problems.append(f"{label}: the shortest length is longer than the longest.")
    return problems


def save_stages(writer: Writer, wanted: Sequence[Stage]) -> None:
    """Make the stage list equal to ``wanted`` (in that order).  Stages with an ``id`` are
    updated (a rename also renames the stage in every participant's history, assessments
    and hours); new ones are inserted; a stage left out is deleted unless it is in use."""
    problems = [p for s in wanted for p in _validate_stage(s)]
    names = [s.name.strip() for s in wanted]
    duplicates = sorted({n for n in names if names.count(n) > 1 and n})
    if duplicates:
        problems.append("Two stages are called " + ", ".join(repr(d) for d in duplicates) + ".")
    if not wanted:
        problems.append("Keep at least one stage.")
    if problems:
        raise JourneyError(" ".join(problems))
    existing = {s.id: s for s in list_stages(writer)}
    kept_ids = {s.id for s in wanted if s.id is not None}
    for old in existing.values():
        if old.id in kept_ids:
            continue
        used = writer.conn.execute(
            select(func.count())
            .select_from(schema.stage_history)
            .where(schema.stage_history.c.stage == old.name)
        ).scalar_one()
        if used:
            raise JourneyError(
                f"{old.name} cannot be removed: {used} journey entries use it. Rename it instead."
            )
    for old in existing.values():
        if old.id not in kept_ids and old.id is not None:
            writer.delete(schema.stages, old.id)
    # Park the kept rows on temporary positions/names first so unique names can swap.
    for position, stage in enumerate(wanted):
        values = {
            "name": stage.name.strip(),
            "position": position,
            "season": stage.season or None,
            "expected_length": stage.expected_length or None,
            "min_days": stage.min_days,
            "max_days": stage.max_days,
            "shift_hours_cap": stage.shift_hours_cap,
            "pd_hours_cap": stage.pd_hours_cap,
            "stations": stage.stations,
            "trigger": stage.trigger,
            "is_final": stage.is_final,
        }
        if stage.id is not None and stage.id in existing:
            old_name = existing[stage.id].name
            writer.update(schema.stages, stage.id, values)
            if old_name != values["name"]:
                _rename_stage_everywhere(writer, old_name, str(values["name"]))
        else:
            writer.insert(schema.stages, values)


def _rename_stage_everywhere(writer: Writer, old: str, new: str) -> None:
    from tracker_desktop.core.options import rename_in_records

    rename_in_records(writer, "stages", old, new)


# --- timeline and moves ------------------------------------------------------------------
@dataclass(frozen=True)
class StageSpan:
    id: int
    stage: str
    started_on: date
    ended_on: date | None
    days: int
    override_reason: str | None
    season: str | None
    expected_length: str | None
    longer_than_expected: bool

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


def timeline(source: Source, participant_id: int, as_of: date | None = None) -> list[StageSpan]:
    """The participant's stage history, oldest first, with days in each stage (up to
    ``as_of``, default today, for the stage they are in)."""
    as_of = as_of or date.today()
    stages = {s.name: s for s in list_stages(source)}
    history = schema.stage_history
    with _reading(source) as conn:
        rows = list(
            conn.execute(
                select(history)
                .where(history.c.participant_id == participant_id)
                .order_by(history.c.started_on, history.c.id)
            ).mappings()
        )
    enrollment = current_enrollment(source, participant_id)
    if enrollment is not None and enrollment["exited_on"] is not None:
        as_of = min(as_of, enrollment["exited_on"])  # an open stage stops counting at exit
    spans = []
    for row in rows:
        end = row["ended_on"] or max(as_of, row["started_on"])
        days = (end - row["started_on"]).days
        stage = stages.get(row["stage"])
        longer = bool(stage and stage.max_days is not None and days > stage.max_days)
        spans.append(
            StageSpan(
                id=int(row["id"]),
                stage=row["stage"],
                started_on=row["started_on"],
                ended_on=row["ended_on"],
                days=days,
                override_reason=row["override_reason"],
                season=stage.season if stage else None,
                expected_length=stage.expected_length if stage else None,
                longer_than_expected=longer,
            )
        )
    return spans


def current_stage(source: Source, participant_id: int) -> StageSpan | None:
    spans = timeline(source, participant_id)
    open_spans = [s for s in spans if s.ended_on is None]
    if open_spans:
        return open_spans[-1]
    return None


def stage_on(source: Source, participant_id: int, day: date) -> str | None:
    """The stage the participant was in on ``day``."""
    for span in reversed(timeline(source, participant_id, day)):
        if span.started_on <= day and (span.ended_on is None or day < span.ended_on):
            return span.stage
    return None


@dataclass(frozen=True)
class TriggerCheck:
    stage: str
    met: bool
    missing: list[str] = field(default_factory=list)
    explanation: str = ""
    short: list[str] = field(default_factory=list)  # "station 2 skill", one per missing
    required: int = 0  # how many assessments the trigger needs


def check_trigger(source: Source, participant_id: int, stage_name: str) -> TriggerCheck:
    """Has the participant done what ``stage_name`` needs before moving on?"""
    stage = stage_named(list_stages(source), stage_name)
    if stage is None or stage.trigger == TRIGGER_MANUAL:
        return TriggerCheck(stage_name, True, [], "Staff decide when to move on.")
    stations = stage.stations or 1
    table = schema.assessments
    with _reading(source) as conn:
        rows = list(
            conn.execute(
                select(table)
                .where(and_(table.c.participant_id == participant_id, table.c.stage == stage.name))
                .order_by(table.c.assessed_on, table.c.id)
            ).mappings()
        )
    missing = []
    short = []
    for station in range(1, stations + 1):
        for kind in (AssessmentKind.KNOWLEDGE, AssessmentKind.SKILL):
            attempts = [r for r in rows if r["station"] == station and r["kind"] == kind]
            if any(r["passed"] for r in attempts):
                continue
            what = f"{stage.name}, station {station} {kind.value} assessment not passed"
            if attempts:
                last = attempts[-1]
                score = f", score {last['score']:g}" if last["score"] is not None else ""
                what += f" (last attempt {_fmt_day(last['assessed_on'])}{score})"
            else:
                what += " (none recorded)"
            missing.append(what)
            short.append(f"station {station} {kind.value}")
    return TriggerCheck(stage.name, not missing, missing, stage.trigger_text, short, stations * 2)


@dataclass(frozen=True)
class MoveResult:
    from_stage: str | None
    to_stage: str
    started_on: date
    overridden: bool
    missing: list[str]


def move_to_next_stage(
    writer: Writer,
    participant_id: int,
    on: date,
    to_stage: str | None = None,
    override_reason: str | None = None,
) -> MoveResult:
    """Close the current stage on ``on`` and start the next one.

    Checks the current stage's trigger: when something is missing it raises
    :class:`TriggerNotMetError`, unless ``override_reason`` is given - then the move is
    made, the reason is stored on the new stage and written on every audit row.
    """
    stages = list_stages(writer)
    current = current_stage(writer, participant_id)
    choices = next_stage_choices(stages, current.stage if current else None)
    if not choices:
        raise JourneyError(
            f"{current.stage if current else 'This stage'} is the last stage of the journey."
        )
    if to_stage is None:
        target = choices[0]
    else:
        found = next((s for s in choices if s.name == to_stage), None)
        if found is None:
            allowed = ", ".join(s.name for s in choices)
            raise JourneyError(f"From here the next stage is {allowed}, not {to_stage}.")
        target = found
    if current is not None and on < current.started_on:
        raise JourneyError(
            f"The move date {_fmt_day(on)} is before {current.stage} started "
            f"({_fmt_day(current.started_on)})."
        )
    missing: list[str] = []
    if current is not None:
        check = check_trigger(writer, participant_id, current.stage)
        missing = check.missing
    reason = (override_reason or "").strip() or None
    if missing and reason is None:
        raise TriggerNotMetError(current.stage if current else target.name, missing)
    saved_reason = writer.reason
    if missing and reason is not None:
        writer.reason = f"Override: {reason}"
    try:
        if current is not None:
            writer.update(schema.stage_history, current.id, {"ended_on": on})
        new_id = writer.insert(
            schema.stage_history,
            {
                "participant_id": participant_id,
                "stage": target.name,
                "started_on": on,
                "override_reason": reason if missing else None,
            },
        )
        if missing and reason is not None:
            writer.audit(
                "override",
                "stage_history",
                new_id,
                participant_id,
                field="trigger",
                old="; ".join(missing),
                new=target.name,
                reason=f"Override: {reason}",
            )
    finally:
        writer.reason = saved_reason
    return MoveResult(
        current.stage if current else None, target.name, on, bool(missing), list(missing)
    )


def undo_last_move(writer: Writer, participant_id: int) -> None:
    """Remove the latest stage entry and reopen the one before (a move made by mistake)."""
    spans = timeline(writer, participant_id)
    if not spans:
        raise JourneyError("There is no stage to undo.")
    writer.delete(schema.stage_history, spans[-1].id)
    if len(spans) > 1:
        writer.update(schema.stage_history, spans[-2].id, {"ended_on": None})


# --- enrollment, exit, follow-ups --------------------------------------------------------
def current_enrollment(source: Source, participant_id: int) -> Row | None:
    table = schema.enrollments
    with _reading(source) as conn:
        row = (
            conn.execute(
                select(table)
                .where(table.c.participant_id == participant_id)
                .order_by(table.c.enrolled_on.desc(), table.c.id.desc())
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def followup_days(source: Source) -> list[int]:
    """The configured follow-up schedule (days after exit), sorted, without duplicates."""
    if isinstance(source, Writer):
        raw = source.setting("followup_days", list(DEFAULT_FOLLOWUP_DAYS))
    else:
        raw = source.setting("followup_days", list(DEFAULT_FOLLOWUP_DAYS))
    days: set[int] = set()
    if isinstance(raw, list):
        for item in raw:
            try:
                value = int(item)
            except (TypeError, ValueError):
                continue
            if value > 0:
                days.add(value)
    return sorted(days) if days else list(DEFAULT_FOLLOWUP_DAYS)


def parse_followup_days(text: str) -> list[int]:
    """``"30, 90, 180"`` -> [30, 90, 180]; raises JourneyError with what is wrong."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not parts:
        raise JourneyError("Enter at least one number of days, e.g. 30, 90, 180, 365.")
    days = []
    for part in parts:
        if not part.isdigit() or int(part) <= 0:
            raise JourneyError(f"{part!r} is not a whole number of days greater than 0.")
        if int(part) > 3650:
            raise JourneyError(f"{part} days is more than ten years; check the number.")
        days.append(int(part))
    return sorted(set(days))


def set_followup_days(writer: Writer, days: Sequence[int]) -> int:
    """Save the schedule and bring every exited enrollment's pending follow-ups in line.
    Returns how many enrollments were re-synced."""
    clean = sorted({int(d) for d in days if int(d) > 0})
    if not clean:
        raise JourneyError("The follow-up schedule needs at least one day count.")
    writer.set_setting("followup_days", clean)
    return resync_all_followups(writer)


def resync_all_followups(writer: Writer) -> int:
    """Run :func:`sync_followups` for every exited enrollment (after a schedule change),
    reading the schedule and the follow-ups once.  Returns how many enrollments."""
    e, f = schema.enrollments, schema.followups
    enrollments = [
        dict(r) for r in writer.conn.execute(select(e).where(e.c.exited_on.is_not(None))).mappings()
    ]
    by_enrollment: dict[int, list[dict[str, Any]]] = {}
    for row in writer.conn.execute(
        select(f).where(f.c.enrollment_id.is_not(None)).order_by(f.c.id)
    ).mappings():
        by_enrollment.setdefault(int(row["enrollment_id"]), []).append(dict(row))
    days = followup_days(writer)
    for enrollment in enrollments:
        _sync(writer, enrollment, by_enrollment.get(int(enrollment["id"]), []), days)
    return len(enrollments)


def sync_followups(writer: Writer, enrollment_id: int) -> None:
    """Make the enrollment's pending follow-ups match its exit date and the schedule.

    Idempotent.  With an exit date: one pending follow-up per configured day count, due on
    exit date + days (created if missing, moved if the exit date changed, removed if the
    day count is no longer configured).  Follow-ups already done, unreachable or declined
    are never touched.  Without an exit date: pending follow-ups are deleted.
    """
    enrollment = writer.get(schema.enrollments, enrollment_id)
    table = schema.followups
    rows = [
        dict(r)
        for r in writer.conn.execute(
            # participant_id is indexed; enrollment_id is not.
            select(table)
            .where(table.c.participant_id == enrollment["participant_id"])
            .order_by(table.c.id)
        ).mappings()
        if r["enrollment_id"] == enrollment_id
    ]
    _sync(writer, enrollment, rows, followup_days(writer))


def _sync(
    writer: Writer, enrollment: Mapping[str, Any], rows: list[dict[str, Any]], days: list[int]
) -> None:
    enrollment_id = int(enrollment["id"])
    participant_id = int(enrollment["participant_id"])
    exited_on: date | None = enrollment["exited_on"]
    table = schema.followups
    pending = [r for r in rows if r["status"] == FollowUpStatus.DUE]
    finished_days = {int(r["days_after_exit"]) for r in rows if r["status"] != FollowUpStatus.DUE}
    if exited_on is None:
        for row in pending:
            writer.delete(table, int(row["id"]))
        return
    wanted = [d for d in days if d not in finished_days]
    by_days: dict[int, list[dict[str, Any]]] = {}
    for row in pending:
        by_days.setdefault(int(row["days_after_exit"]), []).append(row)
    for day_count in wanted:
        due = exited_on + timedelta(days=day_count)
        existing = by_days.pop(day_count, [])
        if existing:
            keep, extra = existing[0], existing[1:]
            if keep["due_on"] != due or keep["participant_id"] != participant_id:
                writer.update(table, int(keep["id"]), {"due_on": due})
            for row in extra:
                writer.delete(table, int(row["id"]))
        else:
            writer.insert(
                table,
                {
                    "participant_id": participant_id,
                    "enrollment_id": enrollment_id,
                    "days_after_exit": day_count,
                    "due_on": due,
                    "status": FollowUpStatus.DUE.value,
                },
            )
    for leftovers in by_days.values():
        for row in leftovers:
            writer.delete(table, int(row["id"]))


def exit_participant(writer: Writer, participant_id: int, exited_on: date, reason: str) -> int:
    """Record the exit on the participant's current enrollment, close the stage they are
    in, and schedule the follow-ups.  Returns the enrollment id."""
    reason = (reason or "").strip()
    if not reason:
        raise JourneyError("Choose an exit reason.")
    enrollment = current_enrollment(writer, participant_id)
    if enrollment is None:
        raise JourneyError("This participant has no enrollment to exit from.")
    if exited_on < enrollment["enrolled_on"]:
        raise JourneyError(
            f"The exit date {_fmt_day(exited_on)} is before the enrollment date "
            f"{_fmt_day(enrollment['enrolled_on'])}."
        )
    enrollment_id = int(enrollment["id"])
    writer.update(
        schema.enrollments, enrollment_id, {"exited_on": exited_on, "exit_reason": reason}
    )
    current = current_stage(writer, participant_id)
    final = {s.name for s in list_stages(writer) if s.is_final}
    # The stage they are in ends with the program - except a final one (Graduated, Shift
    # Lead), which is where they stay.
    if current is not None and current.started_on <= exited_on and current.stage not in final:
        writer.update(schema.stage_history, current.id, {"ended_on": exited_on})
    sync_followups(writer, enrollment_id)
    return enrollment_id


def cancel_exit(writer: Writer, participant_id: int) -> None:
    """Undo an exit recorded by mistake: clear the date and reason, drop pending follow-ups."""
    enrollment = current_enrollment(writer, participant_id)
    if enrollment is None or enrollment["exited_on"] is None:
        raise JourneyError("This participant has not exited.")
    exited_on = enrollment["exited_on"]
    writer.update(
        schema.enrollments, int(enrollment["id"]), {"exited_on": None, "exit_reason": None}
    )
    spans = timeline(writer, participant_id)
    if spans and spans[-1].ended_on == exited_on:
        writer.update(schema.stage_history, spans[-1].id, {"ended_on": None})
    sync_followups(writer, int(enrollment["id"]))


@dataclass(frozen=True)
class FollowUpItem:
    id: int
    participant_id: int
    participant_code: str
    name: str
    phone: str | None
    email: str | None
    program: str | None
    exited_on: date | None
    days_after_exit: int
    due_on: date
    days_overdue: int
    status: str


@dataclass(frozen=True)
class FollowUpLists:
    as_of: date
    week_end: date
    due_this_week: list[FollowUpItem]
    overdue: list[FollowUpItem]


def followups_due(source: Source, as_of: date) -> FollowUpLists:
    """Pending follow-ups due in the 7 days from ``as_of`` and those already overdue
    (due before ``as_of``), with contact details; archived participants are left out."""
    week_end = as_of + timedelta(days=6)
    f, p, e = schema.followups, schema.participants, schema.enrollments
    query = (
        select(
            f.c.id,
            f.c.participant_id,
            f.c.days_after_exit,
            f.c.due_on,
            f.c.status,
            p.c.participant_code,
            p.c.first_name,
            p.c.last_name,
            p.c.preferred_name,
            p.c.phone,
            p.c.email,
            e.c.program,
            e.c.exited_on,
        )
        .join(p, p.c.id == f.c.participant_id)
        .outerjoin(e, e.c.id == f.c.enrollment_id)
        .where(f.c.status == FollowUpStatus.DUE.value)
        .where(f.c.due_on <= week_end)
        .where(p.c.archived_at.is_(None))
        .order_by(f.c.due_on, p.c.last_name, p.c.first_name, f.c.id)
    )
    with _reading(source) as conn:
        rows = list(conn.execute(query).mappings())
    due: list[FollowUpItem] = []
    overdue: list[FollowUpItem] = []
    for row in rows:
        first = row["preferred_name"] or row["first_name"]
        item = FollowUpItem(
            id=int(row["id"]),
            participant_id=int(row["participant_id"]),
            participant_code=row["participant_code"],
            name=f"{first} {row['last_name']}",
            phone=row["phone"],
            email=row["email"],
            program=row["program"],
            exited_on=row["exited_on"],
            days_after_exit=int(row["days_after_exit"]),
            due_on=row["due_on"],
            days_overdue=max(0, (as_of - row["due_on"]).days),
            status=row["status"],
        )
        (overdue if row["due_on"] < as_of else due).append(item)
    return FollowUpLists(as_of, week_end, due, overdue)


def participant_followups(source: Source, participant_id: int) -> list[Row]:
    table = schema.followups
    with _reading(source) as conn:
        return [
            dict(r)
            for r in conn.execute(
                select(table)
                .where(table.c.participant_id == participant_id)
                .order_by(table.c.due_on, table.c.id)
            ).mappings()
        ]


@dataclass(frozen=True)
class FollowUpResult:
    """What a follow-up call found.  ``benefits`` None means "not asked"; [] means "no
    public benefits any more"."""

    status: str
    done_on: date
    employed: bool | None = None
    employer: str | None = None
    hourly_wage: float | None = None
    benefits: list[str] | None = None
    notes: str | None = None


def record_followup(writer: Writer, followup_id: int, result: FollowUpResult) -> None:
    row = writer.get(schema.followups, followup_id)
    statuses = {s.value for s in FollowUpStatus} - {FollowUpStatus.DUE.value}
    if result.status not in statuses:
        raise JourneyError("Choose what happened: reached, unreachable or declined.")
    enrollment = (
        writer.get(schema.enrollments, int(row["enrollment_id"])) if row["enrollment_id"] else None
    )
    if enrollment and enrollment["exited_on"] and result.done_on < enrollment["exited_on"]:
        raise JourneyError(
            f"The call date {_fmt_day(result.done_on)} is before the exit date "
            f"{_fmt_day(enrollment['exited_on'])}."
        )
    reached = result.status == FollowUpStatus.DONE
    wage = result.hourly_wage if reached and result.employed else None
    if wage is not None and not 0 <= wage <= 1000:
        raise JourneyError(f"The hourly wage must be between 0 and 1000 (got {wage:g}).")
    benefits = result.benefits if reached else None
    values = {
        "status": result.status,
        "done_on": result.done_on,
        "employed": result.employed if reached else None,
        "employer": ((result.employer or "").strip() or None)
        if reached and result.employed
        else None,
        "hourly_wage": wage,
        "on_public_benefits": None if benefits is None else bool(benefits),
        "notes": (result.notes or "").strip() or None,
    }
    writer.update(schema.followups, followup_id, values)
    fb = schema.followup_benefits
    old = {
        str(r["benefit"]): int(r["id"])
        for r in writer.conn.execute(select(fb).where(fb.c.followup_id == followup_id)).mappings()
    }
    new = set(benefits or [])
    for benefit, row_id in old.items():
        if benefit not in new:
            writer.conn.execute(delete(fb).where(fb.c.id == row_id))
            writer.audit(
                "delete",
                "followup_benefits",
                row_id,
                int(row["participant_id"]),
                "benefit",
                benefit,
                None,
            )
    for benefit in sorted(new - set(old)):
        inserted = writer.conn.execute(
            schema.followup_benefits.insert().values(followup_id=followup_id, benefit=benefit)
        ).inserted_primary_key
        row_id = int(inserted[0]) if inserted else 0
        writer.audit(
            "insert",
            "followup_benefits",
            row_id,
            int(row["participant_id"]),
            "benefit",
            None,
            benefit,
        )


def reopen_followup(writer: Writer, followup_id: int) -> None:
    """Put a follow-up back to "due" (a result recorded on the wrong person)."""
    writer.update(
        schema.followups,
        followup_id,
        {
            "status": FollowUpStatus.DUE.value,
            "done_on": None,
            "employed": None,
            "employer": None,
            "hourly_wage": None,
            "on_public_benefits": None,
        },
    )
    participant_id = int(writer.get(schema.followups, followup_id)["participant_id"])
    fb = schema.followup_benefits
    for row in list(
        writer.conn.execute(select(fb).where(fb.c.followup_id == followup_id)).mappings()
    ):
        writer.conn.execute(delete(fb).where(fb.c.id == row["id"]))
        writer.audit(
            "delete", "followup_benefits", int(row["id"]), participant_id, "benefit", row["benefit"]
        )


@dataclass(frozen=True)
class BenefitsComparison:
    at_entry: list[str]
    at_followup: list[str] | None  # None: not asked at this follow-up
    stopped: list[str]
    started: list[str]

    @property
    def reduced(self) -> bool | None:
        if self.at_followup is None:
            return None
        return len(self.at_followup) < len(self.at_entry)

    def sentence(self) -> str:
        entry = ", ".join(self.at_entry) or "none"
        if self.at_followup is None:
            return f"At entry: {entry}. Not asked at this follow-up."
        now = ", ".join(self.at_followup) or "none"
        text = f"At entry: {entry}. Now: {now}."
        if self.stopped:
            text += f" No longer on {', '.join(self.stopped)}."
        if self.started:
            text += f" Newly on {', '.join(self.started)}."
        return text


def entry_benefits(source: Source, participant_id: int) -> list[str]:
    pb = schema.participant_benefits
    with _reading(source) as conn:
        return sorted(
            conn.execute(select(pb.c.benefit).where(pb.c.participant_id == participant_id))
            .scalars()
            .all()
        )


def benefits_comparison(source: Source, followup_id: int) -> BenefitsComparison:
    fb = schema.followup_benefits
    with _reading(source) as conn:
        row = (
            conn.execute(select(schema.followups).where(schema.followups.c.id == followup_id))
            .mappings()
            .first()
        )
        if row is None:
            raise JourneyError(f"Follow-up #{followup_id} does not exist.")
        now = sorted(
            conn.execute(select(fb.c.benefit).where(fb.c.followup_id == followup_id)).scalars()
        )
    entry = entry_benefits(source, int(row["participant_id"]))
    if row["on_public_benefits"] is None and not now:
        return BenefitsComparison(entry, None, [], [])
    return BenefitsComparison(
        entry, now, [b for b in entry if b not in now], [b for b in now if b not in entry]
    )


# --- assessments -------------------------------------------------------------------------
def validate_assessment(source: Source, values: Mapping[str, Any]) -> list[str]:
    problems = []
    stage = stage_named(list_stages(source), str(values.get("stage") or ""))
    if stage is None:
        problems.append("Choose the stage (level) the assessment belongs to.")
    station = values.get("station")
    if not isinstance(station, int) or station < 1:
        problems.append("The station must be a number from 1.")
    elif stage is not None and stage.stations and station > stage.stations:
        problems.append(f"{stage.name} has {stage.stations} stations (got station {station}).")
    if values.get("kind") not in {k.value for k in AssessmentKind}:
        problems.append("Choose knowledge or skill.")
    assessed_on = values.get("assessed_on")
    if not isinstance(assessed_on, date):
        problems.append("Enter the date of the assessment.")
    elif assessed_on > date.today():
        problems.append(f"The assessment date {_fmt_day(assessed_on)} is in the future.")
    score = values.get("score")
    if score is not None and not 0 <= float(score) <= 100:
        problems.append(f"The score must be between 0 and 100 (got {float(score):g}).")
    return problems


def save_assessment(
    writer: Writer, participant_id: int, values: Mapping[str, Any], assessment_id: int | None = None
) -> int:
    problems = validate_assessment(writer, values)
    if problems:
        raise JourneyError(" ".join(problems))
    clean = {
        "participant_id": participant_id,
        "stage": values["stage"],
        "station": int(values["station"]),
        "kind": values["kind"],
        "assessed_on": values["assessed_on"],
        "score": None if values.get("score") is None else float(values["score"]),
        "passed": bool(values.get("passed")),
    }
    if assessment_id is None:
        return writer.insert(schema.assessments, clean)
    writer.update(schema.assessments, assessment_id, clean)
    return assessment_id


def list_assessments(source: Source, participant_id: int) -> list[Row]:
    table = schema.assessments
    order = {s.name: s.position for s in list_stages(source)}
    with _reading(source) as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                select(table).where(table.c.participant_id == participant_id)
            ).mappings()
        ]
    rows.sort(key=lambda r: (order.get(r["stage"], 999), r["station"], r["kind"], r["assessed_on"]))
    return rows


# --- weekly hours ------------------------------------------------------------------------
def week_start(day: date) -> date:
    """The Monday of ``day``'s week (hours are logged per Monday-Sunday week)."""
    return day - timedelta(days=day.weekday())


def hours_warnings(stage: Stage | None, shift_hours: float, pd_hours: float) -> list[str]:
    """Sentences for each cap of ``stage`` the week exceeds (empty when within caps)."""
    if stage is None:
        return []
    warnings = []
    if stage.shift_hours_cap is not None and shift_hours > stage.shift_hours_cap:
        warnings.append(
            f"{shift_hours:g} paid shift hours is over the {stage.name} cap of "
            f"{stage.shift_hours_cap:g} h/week"
        )
    if stage.pd_hours_cap is not None and pd_hours > stage.pd_hours_cap:
        warnings.append(
            f"{pd_hours:g} paid personal-development hours is over the {stage.name} cap of "
            f"{stage.pd_hours_cap:g} h/week"
        )
    return warnings


@dataclass(frozen=True)
class HoursWeek:
    id: int
    week_start: date
    stage: str | None
    shift_hours: float
    pd_hours: float
    shift_cap: float | None
    pd_cap: float | None
    warnings: list[str]


def list_weekly_hours(source: Source, participant_id: int) -> list[HoursWeek]:
    stages = {s.name: s for s in list_stages(source)}
    table = schema.weekly_hours
    with _reading(source) as conn:
        rows = list(
            conn.execute(
                select(table)
                .where(table.c.participant_id == participant_id)
                .order_by(table.c.week_start.desc())
            ).mappings()
        )
    weeks = []
    for row in rows:
        stage = stages.get(row["stage"]) if row["stage"] else None
        weeks.append(
            HoursWeek(
                id=int(row["id"]),
                week_start=row["week_start"],
                stage=row["stage"],
                shift_hours=float(row["shift_hours"]),
                pd_hours=float(row["pd_hours"]),
                shift_cap=stage.shift_hours_cap if stage else None,
                pd_cap=stage.pd_hours_cap if stage else None,
                warnings=hours_warnings(stage, float(row["shift_hours"]), float(row["pd_hours"])),
            )
        )
    return weeks


def log_weekly_hours(
    writer: Writer,
    participant_id: int,
    day: date,
    shift_hours: float,
    pd_hours: float,
    stage: str | None = None,
) -> list[str]:
    """Record (or correct) the hours of the week containing ``day``; the stage defaults to
    the one the participant was in that week.  Returns cap warnings (saved anyway: the
    hours were worked and payroll needs them)."""
    for value, what in ((shift_hours, "Paid shift hours"), (pd_hours, "Paid PD hours")):
        if not 0 <= value <= MAX_WEEK_HOURS:
            raise JourneyError(f"{what} must be between 0 and {MAX_WEEK_HOURS:g} (got {value:g}).")
    monday = week_start(day)
    stage_name = stage or stage_on(writer, participant_id, monday + timedelta(days=6))
    stage_name = stage_name or stage_on(writer, participant_id, monday)
    table = schema.weekly_hours
    existing = writer.conn.execute(
        select(table.c.id).where(
            and_(table.c.participant_id == participant_id, table.c.week_start == monday)
        )
    ).scalar()
    values = {
        "participant_id": participant_id,
        "week_start": monday,
        "stage": stage_name,
        "shift_hours": float(shift_hours),
        "pd_hours": float(pd_hours),
    }
    if existing is None:
        writer.insert(table, values)
    else:
        writer.update(table, int(existing), values)
    found = stage_named(list_stages(writer), stage_name) if stage_name else None
    return hours_warnings(found, float(shift_hours), float(pd_hours))


# --- outcome measures --------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    id: int | None
    key: str
    name: str
    unit: str | None = None
    scale_min: float | None = None
    scale_max: float | None = None
    higher_is_better: bool = True
    active: bool = True

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Measure:
        return cls(
            id=row.get("id"),
            key=str(row["key"]),
            name=str(row["name"]),
            unit=row.get("unit"),
            scale_min=row.get("scale_min"),
            scale_max=row.get("scale_max"),
            higher_is_better=bool(row.get("higher_is_better", True)),
            active=bool(row.get("active", True)),
        )

    def range_text(self) -> str:
        if self.scale_min is not None and self.scale_max is not None:
            return f"{self.scale_min:g} to {self.scale_max:g}"
        if self.scale_min is not None:
            return f"at least {self.scale_min:g}"
        if self.scale_max is not None:
            return f"at most {self.scale_max:g}"
        return "any number"

    def check_value(self, value: float) -> str | None:
        if self.scale_min is not None and value < self.scale_min:
            return f"{self.name} must be {self.range_text()} (got {value:g})."
        if self.scale_max is not None and value > self.scale_max:
            return f"{self.name} must be {self.range_text()} (got {value:g})."
        return None


def list_measures(source: Source, include_inactive: bool = False) -> list[Measure]:
    table = schema.measures
    query = select(table).order_by(table.c.id)
    if not include_inactive:
        query = query.where(table.c.active.is_(True))
    with _reading(source) as conn:
        return [Measure.from_row(dict(r)) for r in conn.execute(query).mappings()]


def measure_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return key or "measure"


def save_measures(writer: Writer, wanted: Sequence[Measure]) -> None:
    """Make the measure definitions equal to ``wanted``.  A measure that has recorded
    values is never deleted: leaving it out makes it inactive."""
    problems = []
    names = [m.name.strip() for m in wanted]
    for measure in wanted:
        if not measure.name.strip():
            problems.append("Every measure needs a name.")
        if (
            measure.scale_min is not None
            and measure.scale_max is not None
            and measure.scale_min >= measure.scale_max
        ):
            problems.append(f"{measure.name}: the lowest value must be below the highest.")
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        problems.append("Two measures are called " + ", ".join(duplicates) + ".")
    if problems:
        raise JourneyError(" ".join(problems))
    existing = {m.id: m for m in list_measures(writer, include_inactive=True)}
    used_keys = {m.key for m in existing.values()}
    kept = {m.id for m in wanted if m.id is not None}
    for old in existing.values():
        if old.id is None or old.id in kept:
            continue
        count = writer.conn.execute(
            select(func.count())
            .select_from(schema.measurements)
            .where(schema.measurements.c.measure_id == old.id)
        ).scalar_one()
        if count:
            writer.update(schema.measures, old.id, {"active": False})
        else:
            writer.delete(schema.measures, old.id)
            used_keys.discard(old.key)
    for measure in wanted:
        values = {
            "name": measure.name.strip(),
            "unit": (measure.unit or "").strip() or None,
            "scale_min": measure.scale_min,
            "scale_max": measure.scale_max,
            "higher_is_better": measure.higher_is_better,
            "active": measure.active,
        }
        if measure.id is not None and measure.id in existing:
            writer.update(schema.measures, measure.id, values)
        else:
            key = measure.key or measure_key(measure.name)
            base, n = key, 2
            while key in used_keys:
                key, n = f"{base}_{n}", n + 1
            used_keys.add(key)
            writer.insert(schema.measures, {"key": key, **values})


@dataclass(frozen=True)
class MeasurementPoint:
    id: int
    measure_id: int
    time_point: str
    measured_on: date | None
    value: float


def record_measurement(
    writer: Writer,
    participant_id: int,
    measure_id: int,
    time_point: str,
    measured_on: date | None,
    value: float,
    measurement_id: int | None = None,
) -> int:
    measure = next((m for m in list_measures(writer, True) if m.id == measure_id), None)
    if measure is None:
        raise JourneyError("Choose a measure.")
    if time_point not in {t.value for t in TimePoint}:
        raise JourneyError("Choose when it was measured: entry, during, exit or follow-up.")
    problem = measure.check_value(float(value))
    if problem:
        raise JourneyError(problem)
    values = {
        "participant_id": participant_id,
        "measure_id": measure_id,
        "time_point": time_point,
        "measured_on": measured_on,
        "value": float(value),
    }
    if measurement_id is None:
        return writer.insert(schema.measurements, values)
    writer.update(schema.measurements, measurement_id, values)
    return measurement_id


_TIME_ORDER: dict[str, int] = {
    TimePoint.ENTRY: 0,
    TimePoint.DURING: 1,
    TimePoint.EXIT: 2,
    TimePoint.FOLLOW_UP: 3,
}


def measurement_series(source: Source, participant_id: int) -> dict[int, list[MeasurementPoint]]:
    """Each measure's values for the participant in time order (dated ones by date;
    undated ones placed by time point)."""
    table = schema.measurements
    with _reading(source) as conn:
        rows = list(
            conn.execute(select(table).where(table.c.participant_id == participant_id)).mappings()
        )
    series: dict[int, list[MeasurementPoint]] = {}
    for row in rows:
        series.setdefault(int(row["measure_id"]), []).append(
            MeasurementPoint(
                int(row["id"]),
                int(row["measure_id"]),
                row["time_point"],
                row["measured_on"],
                float(row["value"]),
            )
        )
    for points in series.values():
        points.sort(
            key=lambda p: (p.measured_on or date.max, _TIME_ORDER.get(p.time_point, 9), p.id)
        )
    return series


def measure_change(measure: Measure, points: Sequence[MeasurementPoint]) -> str | None:
    """ "Improved from 2 to 4" style summary from entry to the latest later value."""
    entry = [p for p in points if p.time_point == TimePoint.ENTRY]
    later = [p for p in points if p.time_point != TimePoint.ENTRY]
    if not entry or not later:
        return None
    first, last = entry[0].value, later[-1].value
    if first == last:
        return f"no change ({first:g})"
    better = (last > first) == measure.higher_is_better
    return f"{'improved' if better else 'worse'}: {first:g} → {last:g}"


# --- surveys -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    id: int | None
    text: str
    scale: str = "1-5"


@dataclass(frozen=True)
class Survey:
    id: int | None
    name: str
    active: bool = True
    questions: tuple[Question, ...] = ()


def list_surveys(source: Source, include_inactive: bool = False) -> list[Survey]:
    s, q = schema.surveys, schema.survey_questions
    with _reading(source) as conn:
        query = select(s).order_by(s.c.id)
        if not include_inactive:
            query = query.where(s.c.active.is_(True))
        surveys = list(conn.execute(query).mappings())
        questions = list(conn.execute(select(q).order_by(q.c.survey_id, q.c.position)).mappings())
    return [
        Survey(
            int(row["id"]),
            row["name"],
            bool(row["active"]),
            tuple(
                Question(int(x["id"]), x["text"], x["scale"])
                for x in questions
                if x["survey_id"] == row["id"]
            ),
        )
        for row in surveys
    ]


def save_survey(writer: Writer, survey: Survey) -> int:
    """Create or update a survey and its questions (in order).  Questions already answered
    are kept when left out; their text can still be edited."""
    name = survey.name.strip()
    if not name:
        raise JourneyError("The survey needs a name.")
    questions = [q for q in survey.questions if q.text.strip()]
    if not questions:
        raise JourneyError(f"{name}: add at least one question.")
    for question in questions:
        if question.scale not in SURVEY_SCALES:
            raise JourneyError(f"Unknown answer scale {question.scale!r}.")
    if survey.id is None:
        survey_id = writer.insert(schema.surveys, {"name": name, "active": survey.active})
    else:
        survey_id = survey.id
        writer.update(schema.surveys, survey_id, {"name": name, "active": survey.active})
    q = schema.survey_questions
    existing = set(writer.conn.execute(select(q.c.id).where(q.c.survey_id == survey_id)).scalars())
    kept = set()
    for position, question in enumerate(questions):
        values = {
            "survey_id": survey_id,
            "position": position,
            "text": question.text.strip(),
            "scale": question.scale,
        }
        if question.id is not None and question.id in existing:
            kept.add(question.id)
            writer.update(q, question.id, values)
        else:
            writer.insert(q, values)
    for question_id in existing - kept:
        answered = writer.conn.execute(
            select(func.count())
            .select_from(schema.survey_answers)
            .where(schema.survey_answers.c.question_id == question_id)
        ).scalar_one()
        if answered:
            raise JourneyError(
                "A question that already has answers cannot be removed; make the survey "
                "inactive and create a new one instead."
            )
        writer.delete(q, int(question_id))
    return survey_id


def check_answer(question: Question, value: float) -> str | None:
    if question.scale == "yesno":
        return None if value in (0, 1) else f"{question.text!r} takes yes or no."
    if not 1 <= value <= 5 or value != int(value):
        return f"{question.text!r} takes a whole number from 1 to 5 (got {value:g})."
    return None


def record_survey_response(
    writer: Writer,
    participant_id: int,
    survey_id: int,
    responded_on: date,
    answers: Mapping[int, float],
) -> int:
    """Save one response (a date and the answers given; unanswered questions are left out)."""
    survey = next((s for s in list_surveys(writer, True) if s.id == survey_id), None)
    if survey is None:
        raise JourneyError("Choose a survey.")
    by_id = {q.id: q for q in survey.questions}
    problems = []
    for question_id, value in answers.items():
        question = by_id.get(question_id)
        if question is None:
            problems.append("An answer belongs to a question that is not in this survey.")
            continue
        problem = check_answer(question, float(value))
        if problem:
            problems.append(problem)
    if not answers:
        problems.append("Answer at least one question.")
    if problems:
        raise JourneyError(" ".join(problems))
    response_id = writer.insert(
        schema.survey_responses,
        {"participant_id": participant_id, "survey_id": survey_id, "responded_on": responded_on},
    )
    for question_id, value in answers.items():
        writer.insert(
            schema.survey_answers,
            {"response_id": response_id, "question_id": question_id, "value": float(value)},
        )
    return response_id


@dataclass(frozen=True)
class SurveyResponse:
    id: int
    survey_id: int
    survey: str
    responded_on: date
    answers: dict[int, float]


def list_survey_responses(source: Source, participant_id: int) -> list[SurveyResponse]:
    r, a, s = schema.survey_responses, schema.survey_answers, schema.surveys
    with _reading(source) as conn:
        responses = list(
            conn.execute(
                select(r.c.id, r.c.survey_id, r.c.responded_on, s.c.name)
                .join(s, s.c.id == r.c.survey_id)
                .where(r.c.participant_id == participant_id)
                .order_by(r.c.responded_on, r.c.id)
            ).mappings()
        )
        ids = [row["id"] for row in responses]
        answers = (
            list(conn.execute(select(a).where(a.c.response_id.in_(ids))).mappings()) if ids else []
        )
    return [
        SurveyResponse(
            int(row["id"]),
            int(row["survey_id"]),
            row["name"],
            row["responded_on"],
            {
                int(x["question_id"]): float(x["value"])
                for x in answers
                if x["response_id"] == row["id"]
            },
        )
        for row in responses
    ]


def delete_survey_response(writer: Writer, response_id: int) -> None:
    a = schema.survey_answers
    for answer_id in list(
        writer.conn.execute(select(a.c.id).where(a.c.response_id == response_id)).scalars()
    ):
        writer.delete(a, int(answer_id))
    writer.delete(schema.survey_responses, response_id)
