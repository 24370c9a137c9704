"""Field rules for participant records, shared by the forms and the spreadsheet importer.

Every function is pure: it takes values (typed, or the text a person typed / a cell
held) and returns a list of :class:`Problem` with a message written for a person, e.g.
"GPA must be between 0 and 4 (got 7)".  An ``error`` blocks saving; a ``warning`` is shown
but the record can still be saved (an unusually high wage may be real).

``settings`` may be a plain mapping (``{"wage_ceiling": 75, "gpa_scale": 4}``), an object
with a ``setting(key, default)`` method (the Repository), or None for the defaults.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

Severity = Literal["error", "warning"]

DEFAULT_WAGE_CEILING = 75.0
DEFAULT_GPA_SCALE = 4.0
MAX_HOURS_PER_WEEK = 112.0

REQUIRED_PARTICIPANT_FIELDS: tuple[tuple[str, str], ...] = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("enrolled_on", "Date of enrollment"),
    ("program", "Program"),
)

LABELS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "preferred_name": "Preferred name",
    "date_of_birth": "Date of birth",
    "email": "Email",
    "phone": "Phone",
    "program": "Program",
    "enrolled_on": "Date of enrollment",
    "exited_on": "Exit date",
    "exit_reason": "Exit reason",
    "progress_pct": "Program progress",
    "hourly_wage": "Hourly wage",
    "hours_per_week": "Hours per week",
    "started_on": "Start date",
    "ended_on": "End date",
    "earned_on": "Date earned",
    "gpa": "GPA",
    "name": "Name",
    "kind": "Kind",
    "title": "Title",
    "promoted_on": "Date of promotion",
    "barrier_type": "Barrier type",
    "status": "Status",
    "resolved_on": "Date resolved",
    "noted_on": "Date",
    "body": "Note",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_GROUPED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")  # 1,234.50
_SLASH_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field."""

    field: str
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def has_errors(problems: list[Problem]) -> bool:
    return any(p.is_error for p in problems)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


def setting(settings: object, key: str, default: Any) -> Any:
    """Read ``key`` from a mapping, a Repository-like object or None."""
    if settings is None:
        return default
    if isinstance(settings, Mapping):
        value = settings.get(key, default)
    elif hasattr(settings, "setting"):
        value = settings.setting(key, default)
    else:
        value = default
    return default if value is None else value


# --- conversion -------------------------------------------------------------------------
def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def show(value: object) -> str:
    """A value as it appears inside a message: 7.0 -> "7", "abc" -> "abc"."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text if len(text) <= 80 else f"{text[:77]}... ({len(text):,} characters)"


def parse_date(value: object) -> date | None:
    """A date from a date, a datetime, "2024-01-03", "1/3/2024" or "1/3/24" (month first).

    Blank gives None; anything else that is not a real calendar date raises ValueError.
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _SLASH_DATE.match(text)
        if not match:
            raise ValueError(text)
        month, day, year = (int(g) for g in match.groups())
        if year < 100:
            year += 2000 if year <= (date.today().year % 100) + 10 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(text) from None


def parse_number(value: object) -> float | None:
    """A number from a number or text like "14.50", "$1,234.5", "50%"; blank gives None."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(str(value))
    if isinstance(value, int | float):
        if value != value:  # NaN: a missing spreadsheet cell
            return None
        number = float(value)
    else:
        text = str(value).strip().replace("$", "").replace("%", "").strip()
        if "," in text and not _GROUPED_THOUSANDS.match(text):
            raise ValueError(str(value).strip())  # "1,5" is not 15 (nor surely 1.5)
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise ValueError(str(value).strip()) from None
    if not math.isfinite(number):  # "inf", "nan", "1e400"
        raise ValueError(show(value))
    return number


YES_WORDS = frozenset({"yes", "y", "true", "1", "x"})
NO_WORDS = frozenset({"no", "n", "false", "0"})


def parse_yes_no(value: object) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise ValueError(str(value).strip())


# --- single-field rules -----------------------------------------------------------------
def required(value: object, field: str, field_label: str | None = None) -> list[Problem]:
    if is_blank(value):
        return [Problem(field, f"{field_label or label(field)} is required")]
    return []


def check_date(
    value: object,
    field: str,
    field_label: str | None = None,
    *,
    not_after: date | None = None,
    not_after_label: str = "today",
) -> list[Problem]:
    """A real date (and, with ``not_after``, not later than it)."""
    name = field_label or label(field)
    try:
        parsed = parse_date(value)
    except ValueError:
        return [
            Problem(
                field,
                f"{name} is not a real date (got {show(value)}); use YYYY-MM-DD or MM/DD/YYYY",
            )
        ]
    if parsed is not None and not_after is not None and parsed > not_after:
        return [Problem(field, f"{name} ({parsed.isoformat()}) is after {not_after_label}")]
    return []


def check_date_order(
    earlier: object,
    later: object,
    later_field: str,
    earlier_label: str,
    later_label: str | None = None,
) -> list[Problem]:
    """``later`` must not be before ``earlier``; the problem is reported on ``later_field``.

    Unparseable or blank dates are left to :func:`check_date` / :func:`required`.
    """
    try:
        first = parse_date(earlier)
        second = parse_date(later)
    except ValueError:
        return []
    if first is None or second is None or second >= first:
        return []
    name = later_label or label(later_field)
    return [
        Problem(
            later_field,
            f"{name} ({second.isoformat()}) is before the {earlier_label} ({first.isoformat()})",
        )
    ]


def check_number(
    value: object,
    field: str,
    field_label: str | None = None,
    *,
    low: float | None = None,
    high: float | None = None,
    unit: str = "",
) -> list[Problem]:
    name = field_label or label(field)
    try:
        number = parse_number(value)
    except ValueError:
        return [Problem(field, f"{name} must be a number (got {show(value)})")]
    if number is None:
        return []
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            rule = f"between {show(float(low))} and {show(float(high))}{unit}"
        elif low is not None:
            rule = f"at least {show(float(low))}{unit}"
        else:
            rule = f"at most {show(float(high or 0))}{unit}"
        return [Problem(field, f"{name} must be {rule} (got {show(number)})")]
    return []


def check_wage(
    value: object, ceiling: float | None = DEFAULT_WAGE_CEILING, field: str = "hourly_wage"
) -> list[Problem]:
    """Wage >= 0 (error) and not above ``ceiling`` (a warning: it may be real)."""
    name = label(field) if field in LABELS else "Hourly wage"
    try:
        wage = parse_number(value)
    except ValueError:
        return [Problem(field, f"{name} must be an amount like 14.50 (got {show(value)})")]
    if wage is None:
        return []
    if wage < 0:
        return [Problem(field, f"{name} cannot be negative (got {show(wage)})")]
    if ceiling is not None and wage > float(ceiling):
        return [
            Problem(
                field,
                f"{name} ${wage:,.2f} is above ${float(ceiling):,.2f} an hour: please check it"
                " (the limit is set in Settings)",
                "warning",
            )
        ]
    return []


def check_gpa(value: object, scale: float = DEFAULT_GPA_SCALE, field: str = "gpa") -> list[Problem]:
    try:
        gpa = parse_number(value)
    except ValueError:
        return [Problem(field, f"GPA must be a number (got {show(value)})")]
    if gpa is None:
        return []
    if not 0 <= gpa <= float(scale):
        return [Problem(field, f"GPA must be between 0 and {show(float(scale))} (got {show(gpa)})")]
    return []


def check_percent(
    value: object, field: str = "progress_pct", field_label: str | None = None
) -> list[Problem]:
    name = field_label or label(field)
    try:
        number = parse_number(value)
    except ValueError:
        return [Problem(field, f"{name} must be a percentage from 0 to 100 (got {show(value)})")]
    if number is None:
        return []
    if not 0 <= number <= 100:
        return [Problem(field, f"{name} must be between 0 and 100% (got {show(number)})")]
    return []


def check_email(value: object, field: str = "email") -> list[Problem]:
    if is_blank(value) or _EMAIL.match(str(value).strip()):
        return []
    return [Problem(field, f"Email does not look like an address (got {show(value)})", "warning")]


def check_choice(
    value: object, options: list[str] | None, field: str, field_label: str | None = None
) -> list[Problem]:
    """A value from an option list (a warning: the importer may add it to the list)."""
    if is_blank(value) or options is None or str(value).strip() in options:
        return []
    name = field_label or label(field)
    return [
        Problem(
            field,
            f"{name} {show(value)!r} is not in the list ({', '.join(options[:6])}"
            f"{', ...' if len(options) > 6 else ''})",
            "warning",
        )
    ]


# --- record rules -----------------------------------------------------------------------
def validate_participant(
    values: Mapping[str, Any], settings: object = None, today: date | None = None
) -> list[Problem]:
    """Profile + enrollment fields of one participant (keys as in the tables)."""
    today = today or date.today()
    problems: list[Problem] = []
    for field, name in REQUIRED_PARTICIPANT_FIELDS:
        problems += required(values.get(field), field, name)
    birth = values.get("date_of_birth")
    problems += check_date(birth, "date_of_birth", not_after=today)
    for field in ("enrolled_on", "exited_on"):
        if field in values:
            problems += check_date(values.get(field), field)
    problems += check_date_order(birth, values.get("enrolled_on"), "enrolled_on", "date of birth")
    problems += check_date_order(
        values.get("enrolled_on"), values.get("exited_on"), "exited_on", "date of enrollment"
    )
    if "progress_pct" in values:
        problems += check_percent(values.get("progress_pct"))
    if not is_blank(values.get("exit_reason")) and is_blank(values.get("exited_on")):
        problems.append(
            Problem("exited_on", "An exit reason is set: add the exit date too", "warning")
        )
    problems += check_email(values.get("email"))
    return _first_per_field(problems)


def validate_job(
    values: Mapping[str, Any], settings: object = None, birth: object = None
) -> list[Problem]:
    ceiling = setting(settings, "wage_ceiling", DEFAULT_WAGE_CEILING)
    problems: list[Problem] = []
    if all(is_blank(values.get(f)) for f in ("employer", "title", "started_on", "hourly_wage")):
        problems.append(Problem("employer", "Give the employer, the job title or a start date"))
    problems += check_date(values.get("started_on"), "started_on")
    problems += check_date(values.get("ended_on"), "ended_on")
    problems += check_date_order(birth, values.get("started_on"), "started_on", "date of birth")
    problems += check_date_order(
        values.get("started_on"), values.get("ended_on"), "ended_on", "start date"
    )
    problems += check_wage(values.get("hourly_wage"), float(ceiling))
    problems += check_number(
        values.get("hours_per_week"), "hours_per_week", low=0, high=MAX_HOURS_PER_WEEK
    )
    return _first_per_field(problems)


def validate_credential(
    values: Mapping[str, Any],
    settings: object = None,
    birth: object = None,
    today: date | None = None,
) -> list[Problem]:
    """A certification or degree; a date in the future needs the "expected" flag."""
    today = today or date.today()
    scale = setting(settings, "gpa_scale", DEFAULT_GPA_SCALE)
    problems = required(values.get("name"), "name", "Credential name")
    kind = values.get("kind")
    if kind not in ("certification", "degree"):
        problems.append(Problem("kind", f"Kind must be certification or degree (got {kind})"))
    problems += check_date(values.get("earned_on"), "earned_on")
    problems += check_date_order(birth, values.get("earned_on"), "earned_on", "date of birth")
    try:
        earned = parse_date(values.get("earned_on"))
    except ValueError:
        earned = None
    expected = bool(parse_yes_no(values.get("expected")) if "expected" in values else False)
    if earned is not None and earned > today and not expected:
        problems.append(
            Problem(
                "earned_on",
                f'Date earned ({earned.isoformat()}) is in the future: tick "Expected" '
                "if it is not earned yet",
            )
        )
    problems += check_gpa(values.get("gpa"), float(scale))
    return _first_per_field(problems)


def validate_promotion(values: Mapping[str, Any], birth: object = None) -> list[Problem]:
    problems = required(values.get("title"), "title", "Promotion title")
    problems += check_date(values.get("promoted_on"), "promoted_on")
    problems += check_date_order(birth, values.get("promoted_on"), "promoted_on", "date of birth")
    return _first_per_field(problems)


def validate_barrier(values: Mapping[str, Any], today: date | None = None) -> list[Problem]:
    problems = required(values.get("barrier_type"), "barrier_type")
    problems += check_date(
        values.get("resolved_on"), "resolved_on", not_after=today or date.today()
    )
    return _first_per_field(problems)


def validate_note(values: Mapping[str, Any]) -> list[Problem]:
    problems = required(values.get("body"), "body", "Note text")
    problems += required(values.get("noted_on"), "noted_on", "Note date")
    problems += check_date(values.get("noted_on"), "noted_on")
    return _first_per_field(problems)


def validate_custom_value(value: object, field_type: str, field_label: str) -> list[Problem]:
    if is_blank(value):
        return []
    if field_type == "number":
        return check_number(value, "custom", field_label)
    if field_type == "date":
        return check_date(value, "custom", field_label)
    if field_type == "yesno":
        try:
            parse_yes_no(value)
        except ValueError:
            return [Problem("custom", f"{field_label} must be yes or no (got {show(value)})")]
    return []


# --- fast paths for many typed rows (the spreadsheet importer) ---------------------------
# Each ``*_ok`` answers True only when the matching ``validate_*`` would find no problem at
# all, for values that are already typed (dates as ``date``, numbers as int/float).  False
# means "not sure": call ``validate_*`` for the messages.  Anything unusual (text, a
# datetime, a bool where a number goes) answers False, so the messages always come from
# the functions above.
def _date_ok(value: object) -> bool:
    return value is None or type(value) is date


def _number_in(value: object, low: float, high: float) -> bool:
    return value is None or (type(value) in (float, int) and low <= value <= high)  # type: ignore[operator]


def _filled(value: object) -> bool:
    """Not blank, for values whose blankness needs no parsing (else False: not sure)."""
    if type(value) is str:
        return bool(value.strip())
    return value is not None


def _in_order(earlier: object, later: object) -> bool:
    return earlier is None or later is None or later >= earlier  # type: ignore[operator]


def participant_ok(values: Mapping[str, Any], today: date) -> bool:
    """True only when :func:`validate_participant` (with ``today``) finds nothing."""
    get = values.get
    birth, enrolled, exited = get("date_of_birth"), get("enrolled_on"), get("exited_on")
    if not (
        _filled(get("first_name"))
        and _filled(get("last_name"))
        and _filled(get("program"))
        and type(enrolled) is date
        and _date_ok(birth)
        and _date_ok(exited)
        and (birth is None or (birth <= today and enrolled >= birth))
        and _in_order(enrolled, exited)
        and _number_in(get("progress_pct"), 0, 100)
        and get("email") is None
    ):
        return False
    reason = get("exit_reason")
    return reason is None or exited is not None or (type(reason) is str and not reason.strip())


def job_ok(values: Mapping[str, Any], wage_ceiling: float, birth: object = None) -> bool:
    """True only when :func:`validate_job` (wage ceiling given) finds nothing."""
    get = values.get
    started, ended = get("started_on"), get("ended_on")
    return (
        (
            _filled(get("employer"))
            or _filled(get("title"))
            or started is not None
            or get("hourly_wage") is not None
        )
        and _date_ok(started)
        and _date_ok(ended)
        and _date_ok(birth)
        and _in_order(birth, started)
        and _in_order(started, ended)
        and _number_in(get("hourly_wage"), 0, wage_ceiling)
        and _number_in(get("hours_per_week"), 0, MAX_HOURS_PER_WEEK)
    )


def credential_ok(
    values: Mapping[str, Any], gpa_scale: float, birth: object = None, today: date | None = None
) -> bool:
    """True only when :func:`validate_credential` (GPA scale given) finds nothing."""
    get = values.get
    earned = get("earned_on")
    expected = get("expected", False)
    return (
        _filled(get("name"))
        and get("kind") in ("certification", "degree")
        and _date_ok(earned)
        and _date_ok(birth)
        and _in_order(birth, earned)
        and type(expected) is bool
        and (expected or earned is None or earned <= (today or date.today()))
        and _number_in(get("gpa"), 0, gpa_scale)
    )


def promotion_ok(values: Mapping[str, Any], birth: object = None) -> bool:
    """True only when :func:`validate_promotion` finds nothing."""
    promoted = values.get("promoted_on")
    return (
        _filled(values.get("title"))
        and _date_ok(promoted)
        and _date_ok(birth)
        and _in_order(birth, promoted)
    )


def barrier_ok(values: Mapping[str, Any], today: date) -> bool:
    """True only when :func:`validate_barrier` (with ``today``) finds nothing."""
    resolved = values.get("resolved_on")
    return (
        _filled(values.get("barrier_type"))
        and _date_ok(resolved)
        and (resolved is None or resolved <= today)
    )


def _first_per_field(problems: list[Problem]) -> list[Problem]:
    """Keep one problem per field (errors before warnings) so messages stay readable."""
    seen: dict[str, Problem] = {}
    for problem in problems:
        current = seen.get(problem.field)
        if current is None or (problem.is_error and not current.is_error):
            seen[problem.field] = problem
    return list(seen.values())
