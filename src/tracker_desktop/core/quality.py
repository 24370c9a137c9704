"""Data-quality findings: required-field completeness, overdue follow-ups, duplicates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text

from tracker_desktop.core.repository import Repository

REQUIRED_FIELDS = ("first_name", "last_name", "enrolled_on", "program")
LIST_LIMIT = 20  # entries per list that ``tracker-desktop check`` prints before "... and N more"


# --- the findings and the records behind each (Data quality screen, `check`) ------------
@dataclass(frozen=True)
class PersonRef:
    participant_id: int
    code: str
    name: str
    detail: str = ""


@dataclass
class FieldCheck:
    """How many of the records a field applies to have it filled in."""

    label: str
    description: str
    required: bool
    applies_to: int
    missing: list[PersonRef] = field(default_factory=list)

    @property
    def complete(self) -> int:
        return self.applies_to - len(self.missing)

    @property
    def share(self) -> float | None:
        return self.complete / self.applies_to if self.applies_to else None


@dataclass(frozen=True)
class OverdueFollowup:
    person: PersonRef
    days_after_exit: int
    due_on: date
    days_overdue: int


@dataclass
class QualityDetails:
    as_of: date
    participants: int
    checks: list[FieldCheck]
    overdue: list[OverdueFollowup]
    duplicates: list[list[PersonRef]]

    @property
    def required_complete(self) -> int:
        missing: set[int] = set()
        for check in self.checks:
            if check.required:
                missing.update(p.participant_id for p in check.missing)
        return self.participants - len(missing)

    @property
    def required_share(self) -> float | None:
        return self.required_complete / self.participants if self.participants else None

    def lines(self, limit: int = LIST_LIMIT) -> list[str]:
        """The findings as text for ``tracker-desktop check``: every field check with its
        count, overdue follow-ups and suspected duplicates (participant codes, not names:
        a terminal's scroll-back is not encrypted), each list cut at ``limit`` entries."""
        share = "n/a" if self.required_share is None else f"{self.required_share:.0%}"
        out = [
            f"Participants: {self.participants}",
            f"Required fields complete: {share} ({self.required_complete} of {self.participants})",
        ]
        for check in self.checks:
            kind = "Required" if check.required else "Recommended"
            name = check.label[:1].lower() + check.label[1:]
            if check.applies_to:
                count = f"{len(check.missing)} of {check.applies_to} missing"
            else:
                count = "applies to no participant yet"
            out.append(f"{kind} field '{name}': {count}")
            if check.missing:  # the codes on one line, not one line per person
                codes = [p.code for p in check.missing]
                more = f" ... and {len(codes) - limit} more" if len(codes) > limit else ""
                out.append(f"    {', '.join(codes[:limit])}{more}")
        out.append(f"Overdue follow-ups: {len(self.overdue)}")
        out += _listed(
            [
                f"{o.person.code}: {o.days_after_exit}-day follow-up due {o.due_on.isoformat()} "
                f"({o.days_overdue} day{'s' if o.days_overdue != 1 else ''} overdue)"
                for o in self.overdue
            ],
            limit,
            "follow-ups",
        )
        out.append(f"Suspected duplicates: {len(self.duplicates)} group(s)")
        out += _listed(
            [
                ", ".join(p.code for p in group)
                + (f" ({group[0].detail})" if group[0].detail else "")
                for group in self.duplicates
            ],
            limit,
            "groups",
        )
        return out


def _listed(items: list[str], limit: int, noun: str) -> list[str]:
    """``items`` as "  - item" lines, at most ``limit``, then "  ... and N more <noun>"."""
    out = [f"  - {item}" for item in items[:limit]]
    if len(items) > limit:
        out.append(f"  ... and {len(items) - limit} more {noun}")
    return out


_LIVE_PEOPLE = "p.archived_at IS NULL"
_BLANK = "trim(coalesce({col}, '')) = ''"

# (label, description, required, SQL selecting the participants it applies to, SQL
# condition that is true when the value is missing).  Each query returns
# id, code, first, last, detail.
_FIELD_CHECKS: tuple[tuple[str, str, bool, str, str], ...] = (
    (
        "First name",
        "Every participant needs a first name.",
        True,
        "",
        _BLANK.format(col="p.first_name"),
    ),
    (
        "Last name",
        "Every participant needs a last name.",
        True,
        "",
        _BLANK.format(col="p.last_name"),
    ),
    (
        "Program and enrollment date",
        "Every participant needs an enrollment with a program and a date; without it they "
        "are left out of every metric.",
        True,
        "",
        "NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.participant_id = p.id "
        "AND e.enrolled_on IS NOT NULL AND trim(coalesce(e.program, '')) <> '')",
    ),
    (
        "Date of birth or age range",
        "Funders ask for ages; a date of birth or an age range is enough.",
        False,
        "",
        "p.date_of_birth IS NULL AND " + _BLANK.format(col="p.age_range"),
    ),
    (
        "Phone or email",
        "Alumni follow-up needs a way to reach the participant.",
        False,
        "",
        _BLANK.format(col="p.phone") + " AND " + _BLANK.format(col="p.email"),
    ),
    (
        "Housing status",
        "Housing status at entry (demographics).",
        False,
        "",
        _BLANK.format(col="p.housing_status"),
    ),
    (
        "Education at entry",
        "Education level at entry (demographics).",
        False,
        "",
        _BLANK.format(col="p.education_at_entry"),
    ),
    (
        "Exit reason",
        "Participants who exited need an exit reason (it decides who counts as a graduate).",
        False,
        "EXISTS (SELECT 1 FROM enrollments e WHERE e.participant_id = p.id "
        "AND e.exited_on IS NOT NULL AND e.exited_on <= :as_of)",
        "EXISTS (SELECT 1 FROM enrollments e WHERE e.participant_id = p.id "
        "AND e.exited_on IS NOT NULL AND e.exited_on <= :as_of "
        "AND trim(coalesce(e.exit_reason, '')) = '')",
    ),
    (
        "Hourly wage of jobs",
        "Every job needs an hourly wage for the wage metrics.",
        False,
        "EXISTS (SELECT 1 FROM jobs j WHERE j.participant_id = p.id)",
        "EXISTS (SELECT 1 FROM jobs j WHERE j.participant_id = p.id AND j.hourly_wage IS NULL)",
    ),
    (
        "Employed? on completed follow-ups",
        "A completed follow-up without 'employed yes/no' is left out of retention.",
        False,
        "EXISTS (SELECT 1 FROM followups f WHERE f.participant_id = p.id AND f.status = 'done')",
        "EXISTS (SELECT 1 FROM followups f WHERE f.participant_id = p.id "
        "AND f.status = 'done' AND f.employed IS NULL)",
    ),
)


def _ref(row: Any, detail: str = "") -> PersonRef:
    name = f"{(row[2] or '').strip()} {(row[3] or '').strip()}".strip()
    return PersonRef(int(row[0]), str(row[1]), name, detail)


def quality_details(repo: Repository, as_of: date | None = None) -> QualityDetails:
    """Every finding with the participants behind it (one read transaction)."""
    today = as_of or date.today()
    params = {"as_of": today.isoformat()}
    with repo.reading() as conn:
        total = int(
            conn.execute(
                text(f"SELECT count(*) FROM participants p WHERE {_LIVE_PEOPLE}")
            ).scalar_one()
        )
        checks = []
        for label, description, required, applies, missing in _FIELD_CHECKS:
            scope = f"{_LIVE_PEOPLE}" + (f" AND {applies}" if applies else "")
            applies_to = int(
                conn.execute(
                    text(f"SELECT count(*) FROM participants p WHERE {scope}"), params
                ).scalar_one()
            )
            rows = conn.execute(
                text(
                    "SELECT p.id, p.participant_code, p.first_name, p.last_name "
                    f"FROM participants p WHERE {scope} AND ({missing}) "
                    "ORDER BY p.participant_code"
                ),
                params,
            ).all()
            checks.append(
                FieldCheck(label, description, required, applies_to, [_ref(r) for r in rows])
            )
        overdue_rows = conn.execute(
            text(
                "SELECT p.id, p.participant_code, p.first_name, p.last_name, "
                "f.days_after_exit, f.due_on FROM followups f "
                "JOIN participants p ON p.id = f.participant_id "
                f"WHERE {_LIVE_PEOPLE} AND f.status = 'due' AND f.due_on < :as_of "
                "ORDER BY f.due_on, p.participant_code"
            ),
            params,
        ).all()
        overdue = []
        for row in overdue_rows:
            due = date.fromisoformat(str(row[5])[:10])
            overdue.append(OverdueFollowup(_ref(row), int(row[4]), due, (today - due).days))
        dup_rows = conn.execute(
            text(
                "SELECT p.id, p.participant_code, p.first_name, p.last_name, "
                "lower(trim(p.first_name)) || '|' || lower(trim(p.last_name)) AS who, "
                "p.date_of_birth, min(e.enrolled_on) AS enrolled "
                "FROM participants p LEFT JOIN enrollments e ON e.participant_id = p.id "
                f"WHERE {_LIVE_PEOPLE} GROUP BY p.id"
            )
        ).all()
    groups: dict[tuple[str, str, str], list[PersonRef]] = {}
    for row in dup_rows:  # same name and same birth date, or same name and enrollment date
        for position, word in ((5, "born"), (6, "enrolled")):
            if row[position] is not None:
                key = (str(row[4]), word, str(row[position])[:10])
                groups.setdefault(key, []).append(_ref(row, f"{word} {key[2]}"))
    seen: set[tuple[int, ...]] = set()
    duplicates = []
    for group in sorted(groups.values(), key=lambda g: g[0].code):
        ids = tuple(sorted(p.participant_id for p in group))
        if len(group) > 1 and ids not in seen:
            seen.add(ids)
            duplicates.append(group)
    return QualityDetails(today, total, checks, overdue, duplicates)
