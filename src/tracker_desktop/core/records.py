"""Typed vocabulary shared by the core: enums for coded columns and small record types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    EXITED = "exited"
    ALUMNI = "alumni"  # exited as a graduate (or promoted to Shift Lead)


class TimePoint(StrEnum):
    ENTRY = "entry"
    DURING = "during"
    EXIT = "exit"
    FOLLOW_UP = "follow_up"


class FollowUpStatus(StrEnum):
    DUE = "due"
    DONE = "done"
    UNREACHABLE = "unreachable"
    DECLINED = "declined"


class CredentialKind(StrEnum):
    CERTIFICATION = "certification"
    DEGREE = "degree"


class AssessmentKind(StrEnum):
    KNOWLEDGE = "knowledge"
    SKILL = "skill"


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    YESNO = "yesno"
    CHOICE = "choice"


# Exit reasons that make someone an alumnus/alumna rather than just "exited".
GRADUATING_EXIT_REASONS = frozenset({"Graduated", "Promoted to Shift Lead"})


def participant_status(exited_on: date | None, exit_reason: str | None) -> ParticipantStatus:
    if exited_on is None:
        return ParticipantStatus.ACTIVE
    if exit_reason in GRADUATING_EXIT_REASONS:
        return ParticipantStatus.ALUMNI
    return ParticipantStatus.EXITED


AGE_RANGE_BOUNDS: tuple[tuple[str, int, int], ...] = (
    ("Under 18", 0, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65+", 65, 200),
)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_range(birth: date | None, on: date) -> str | None:
    """The age range a date of birth falls in on ``on`` (de-identified exports use this)."""
    if birth is None:
        return None
    age = age_on(birth, on)
    for label, low, high in AGE_RANGE_BOUNDS:
        if low <= age <= high:
            return label
    return None


@dataclass(frozen=True)
class AuditEntry:
    at: str
    staff: str | None
    action: str
    table_name: str
    row_id: int | None
    participant_id: int | None
    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
