"""The ONE metrics engine (DESIGN.md section 4).  Pure pandas over a :class:`Dataset`.

The dashboard, the funder workbook, the PDF and ``tracker-desktop metrics`` all call
:func:`compute`.  Every definition is written once, in :data:`DEFINITIONS` (and the
templates below it); the UI shows that text and the workbook exports it.

The words used in the definitions mean exactly this:

* **population**: the participants the filters select.  Each participant counts with ONE
  enrollment: their latest enrollment (by enrollment date, then by entry order) that began
  on or before the as-of date.  Archived participants and people with no enrollment on or
  before the as-of date are never counted.  The program filter and the cohort filter
  (enrollment date from/to, inclusive) apply to that enrollment.
* **active**: exit date empty or after the as-of date.  **exited**: exit date on or before
  the as-of date.  **graduates**: exited with reason "Graduated" or "Promoted to Shift Lead".
* **current job**: a job (any job, including one held at intake) that started on or before
  the as-of date and has no end date or ends after it.  When someone has several, the one
  that started last (then the last entered) is "the" current job.  A job with no start date
  counts as started on the participant's enrollment date.
* Records dated after the as-of date are ignored everywhere (stages, jobs, promotions,
  credentials, assessments, measurements, follow-ups completed later count as not done).

Empty denominators give ``value = None``, shown as "n/a" -- never a division error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from tracker_desktop.core.dataset import Dataset, load_dataset, refresh_dataset

__all__ = [
    "DEFINITIONS",
    "Breakdown",
    "Dataset",
    "Filters",
    "MeasureChange",
    "MeasureStat",
    "MetricResult",
    "MetricsReport",
    "compute",
    "definition_for",
    "format_value",
    "load_dataset",
    "participants_behind",
    "refresh_dataset",
]

PERCENT = "percent"
COUNT = "count"
CURRENCY = "currency"
DAYS = "days"
NUMBER = "number"

GRADUATING_REASONS = ("Graduated", "Promoted to Shift Lead")
PROMOTION_WINDOW_DAYS = 365
AMBER_BAND = 0.10  # within 10 percentage points below target -> amber
NA = "n/a"


# --- filters --------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    program: str | None = None
    date_from: date | None = None  # cohort: enrollment date on or after
    date_to: date | None = None  # cohort: enrollment date on or before
    as_of: date | None = None  # None = the dataset's as-of date (load_dataset: today)

    def effective_as_of(self) -> date:
        return self.as_of or date.today()

    def describe(self) -> str:
        parts = [f"program: {self.program or 'all programs'}"]
        if self.date_from or self.date_to:
            start = self.date_from.isoformat() if self.date_from else "the start"
            end = self.date_to.isoformat() if self.date_to else "now"
            parts.append(f"enrolled {start} to {end}")
        parts.append(f"as of {self.effective_as_of().isoformat()}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "program": self.program,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "as_of": self.effective_as_of().isoformat(),
        }


# --- definitions: the ONE place ---------------------------------------------------------
@dataclass(frozen=True)
class Definition:
    label: str
    unit: str
    text: str
    # Funder sentence; {value} {num} {den} formatted; "{extra}" = "; 6 not reached" etc.
    sentence: str
    unknown_word: str = "unknown"
    group: str = "Participants"
    target_key: str | None = None  # which metric_targets row applies (default: own key)


DEFINITIONS: dict[str, Definition] = {
    "participants_total": Definition(
        "Participants",
        COUNT,
        "Participants in the population (see 'population'): everyone whose counted "
        "enrollment began on or before the as-of date and matches the filters.",
        "We have served {value} participants{extra}.",
        group="Participants",
    ),
    "participants_active": Definition(
        "Active participants",
        COUNT,
        "Participants in the population whose counted enrollment has no exit date, or an "
        "exit date after the as-of date.",
        "{value} participants are active in the program{extra}.",
    ),
    "participants_exited": Definition(
        "Exited participants",
        COUNT,
        "Participants in the population whose exit date is on or before the as-of date "
        "(graduates included).",
        "{value} participants have left the program{extra}.",
    ),
    "participants_graduated": Definition(
        "Graduates",
        COUNT,
        "Exited participants whose exit reason is 'Graduated' or 'Promoted to Shift Lead'.",
        "{value} participants have graduated{extra}.",
    ),
    "employment_rate": Definition(
        "Employment rate",
        PERCENT,
        "Active participants with a current job at the as-of date / active participants.  "
        "A job with no start date counts from the participant's enrollment date (a "
        "spreadsheet often says 'Employed: Yes' without a date).  A participant with no job "
        "on record counts as not employed.",
        "{value} of our active participants have a current job ({num} of {den}{extra}).",
        group="Employment",
    ),
    "wage_mean": Definition(
        "Mean hourly wage",
        CURRENCY,
        "Mean hourly wage of the current job of every participant in the population who has "
        "one (active or exited).  Unknown: current jobs with no wage recorded.",
        "Participants in a job earn {value} an hour on average ({den} jobs{extra}).",
        group="Employment",
    ),
    "wage_median": Definition(
        "Median hourly wage",
        CURRENCY,
        "Median hourly wage of the same current jobs as the mean hourly wage.",
        "The median current hourly wage is {value} ({den} jobs{extra}).",
        group="Employment",
    ),
    "earning_power_increased": Definition(
        "Earning power increased",
        PERCENT,
        "Participants whose latest wage is higher than their entry wage / participants with "
        "both.  Entry wage: the wage of the job marked 'held at intake' (the one that started "
        "last).  Latest wage: the wage of the job not held at intake that started last, on or "
        "before the as-of date.  Jobs with no wage are skipped.  Unknown: participants with a "
        "latest wage but no entry wage.",
        "{value} of our participants increased their earning power ({num} of {den}{extra}).",
        unknown_word="without an entry wage",
        group="Employment",
    ),
    "employer_benefits": Definition(
        "Employer benefits",
        PERCENT,
        "Participants whose current job includes enrollment in employer benefits / "
        "participants with a current job where this is known.  Unknown: current jobs with "
        "the benefits box left empty.",
        "{value} of our employed participants are enrolled in employer benefits "
        "({num} of {den}{extra}).",
        group="Employment",
    ),
    "credential_rate": Definition(
        "At least one credential",
        PERCENT,
        "Participants with at least one earned certification or degree / participants in the "
        "population.  Earned: not marked 'expected' and dated on or before the as-of date "
        "(undated counts as earned).",
        "{value} of our participants earned at least one credential ({num} of {den}{extra}).",
        group="Credentials",
    ),
    "credentials_earned": Definition(
        "Credentials earned",
        COUNT,
        "Number of earned certifications and degrees (see 'At least one credential') held by "
        "participants in the population.",
        "Our participants have earned {value} certifications and degrees{extra}.",
        group="Credentials",
    ),
    "gpa_mean": Definition(
        "Mean GPA",
        NUMBER,
        "Mean GPA over earned credentials that have a GPA recorded.",
        "Participants' mean GPA is {value} ({den} credentials with a GPA{extra}).",
        group="Credentials",
    ),
    "promotion_12m": Definition(
        "Promoted within 12 months",
        PERCENT,
        "Participants with a promotion dated within 365 days after their enrollment date / "
        "participants enrolled at least 365 days before the as-of date.  Unknown: such "
        "participants without a dated promotion in that window who have an undated one.",
        "{value} of our participants were promoted within 12 months of enrolling "
        "({num} of {den}{extra}).",
        group="Progression",
    ),
    "followup_reach_rate": Definition(
        "Follow-up reach rate",
        PERCENT,
        "Follow-ups due on or before the as-of date with status 'done' (completed on or "
        "before the as-of date) / follow-ups due on or before the as-of date, for "
        "participants in the population.",
        "We reached alumni for {value} of the follow-ups due ({num} of {den}{extra}).",
        group="Follow-up",
    ),
    "reduced_benefits": Definition(
        "Reduced reliance on public benefits",
        PERCENT,
        "Participants receiving fewer public benefits at their latest completed follow-up "
        "than at entry / participants with at least one benefit at entry and a completed "
        "follow-up.  Benefits at the follow-up: the benefits listed on it, or none when it "
        "says 'not on public benefits'.  Unknown: that follow-up leaves it blank, or says "
        "'on public benefits' without listing them.",
        "{value} of our participants reduced their reliance on public benefits "
        "({num} of {den}{extra}).",
        group="Follow-up",
    ),
    "measure_improved": Definition(
        "Outcome measures improved",
        PERCENT,
        "Over all measures: (participant, measure) pairs whose later value beats the entry "
        "value / pairs with both.  Entry value: the earliest 'entry' measurement.  Later "
        "value: the latest 'exit' measurement, or if there is none, the latest 'during' or "
        "'follow-up' measurement.  Beats: higher (lower for measures where lower is better). "
        "Unknown: exited participants with an entry value but no later value.",
        "{value} of our participants improved on their outcome measures between entry and "
        "exit ({num} of {den}{extra}).",
        unknown_word="without an exit measurement",
        group="Outcomes",
    ),
    "data_during_program": Definition(
        "Data collected during the program",
        PERCENT,
        "Outcome data points collected while the participant was in the program / all dated "
        "outcome data points.  Data points: measurements (any measure, any time point) and "
        "completed follow-ups.  During: measured on or before the exit date (or not exited "
        "by the as-of date).  Completed follow-ups always count as after.  Unknown: "
        "measurements without a date.",
        "{value} of our outcome data is collected during the program, the rest after exit "
        "({num} of {den} data points{extra}).",
        unknown_word="undated",
        group="Data",
    ),
}

RETENTION_TEMPLATE = Definition(
    "Retention at {days} days",
    PERCENT,
    "Follow-ups at {days} days after exit with status 'done' (completed on or before the "
    "as-of date) where the participant was employed / such follow-ups where employment is "
    "known.  Unknown: done with employment left blank, plus follow-ups marked unreachable "
    "or declined (not reached).",
    "{value} of our alumni reached {days} days after exit were employed ({num} of {den}{extra}).",
    unknown_word="not reached",
    group="Follow-up",
)
MEASURE_TEMPLATE = Definition(
    "{name} improved",
    PERCENT,
    "Participants whose later {name} value beats their entry value / participants with "
    "both (entry and later values as in 'Outcome measures improved').  Unknown: exited "
    "participants with an entry value but no later value.",
    "{value} of our participants increased their {lname} ({num} of {den}{extra}).",
    unknown_word="without an exit measurement",
    group="Outcomes",
    target_key="measure_improved",
)
PASS_RATE_TEMPLATE = Definition(
    "Assessment pass rate: {stage}",
    PERCENT,
    "Assessments at {stage} marked passed / all assessments at {stage}, dated on or before "
    "the as-of date, for participants in the population.",
    "{value} of {stage} assessments were passed ({num} of {den}{extra}).",
    group="Progression",
)
STAGE_DAYS_TEMPLATE = Definition(
    "Median days in {stage}",
    DAYS,
    "Median of (end date - start date) over finished {stage} periods (ended on or before "
    "the as-of date) in the stage history of participants in the population.",
    "Participants spend a median of {value} in {stage} ({den} finished periods{extra}).",
    group="Progression",
)

BREAKDOWN_DEFINITIONS: dict[str, tuple[str, str]] = {
    "by_stage": (
        "Participants by current stage",
        "Participants in the population by their current stage: the stage-history entry that "
        "started last on or before the as-of date.",
    ),
    "by_program": ("Participants by program", "Participants in the population by program."),
    "enrollments_by_month": (
        "Enrollments per month",
        "Participants in the population by the month of their enrollment date.",
    ),
    "wage_distribution": (
        "Current hourly wages",
        "Current jobs with a wage (see 'Mean hourly wage'), in $1 bands.",
    ),
    "measure_entry_exit": (
        "Entry vs exit, per measure",
        "Mean entry value and mean later value over participants with both (see 'Outcome "
        "measures improved').",
    ),
    "retention": (
        "Retention after exit",
        "Retention at each follow-up point (see 'Retention at N days').",
    ),
    "followup_reach": (
        "Follow-up reach rate by follow-up point",
        "Per follow-up point: follow-ups due by the as-of date that were done / due.",
    ),
    "data_timing": (
        "Data collected during vs after the program",
        "Outcome data points (see 'Data collected during the program') by when collected.",
    ),
    "credentials_by_type": (
        "Credentials earned by type",
        "Earned certifications and degrees by name.",
    ),
}

TIME_POINTS = ("entry", "during", "exit", "follow_up")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def definition_for(key: str, dataset: Dataset | None = None) -> Definition:
    """The definition of any metric key, including per-measure/stage/follow-up ones."""
    if key in DEFINITIONS:
        return DEFINITIONS[key]
    kind, _, rest = key.partition(".")
    if key.startswith("retention_") and key[len("retention_") :].isdigit():
        days = key[len("retention_") :]
        return _fill(RETENTION_TEMPLATE, days=days)
    if kind == "measure_improved":
        name = rest
        if dataset is not None:
            name = dataset.measure_names().get(rest, rest)
        return _fill(MEASURE_TEMPLATE, name=name, lname=_lower_name(name))
    if kind in ("pass_rate", "days_in_stage"):
        stage = rest
        if dataset is not None:
            stage = next((s for s in dataset.stage_names if slug(s) == rest), rest)
        template = PASS_RATE_TEMPLATE if kind == "pass_rate" else STAGE_DAYS_TEMPLATE
        return _fill(template, stage=stage)
    raise KeyError(key)


def _lower_name(name: str) -> str:
    base = name.split(" (")[0]
    return base[:1].lower() + base[1:]


def _fill(template: Definition, **words: str) -> Definition:
    def sub(text: str) -> str:
        for word, value in words.items():
            text = text.replace("{" + word + "}", value)
        return text

    return Definition(
        sub(template.label),
        template.unit,
        sub(template.text),
        sub(template.sentence),
        template.unknown_word,
        template.group,
        template.target_key,
    )


# --- results ---------------------------------------------------------------------------
def format_value(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NA
    if unit == PERCENT:
        return f"{value:.0%}"
    if unit == CURRENCY:
        return f"${value:,.2f}"
    if unit == COUNT:
        return f"{round(value):,}"
    if unit == DAYS:
        return f"{value:,.0f} {'day' if round(value) == 1 else 'days'}"
    return f"{value:,.2f}"


@dataclass
class MetricResult:
    key: str
    label: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unknown: int
    target: float | None
    statement: str
    definition: str
    unit: str
    group: str
    unknown_word: str = "unknown"
    # participant ids behind the number: "numerator", "denominator", "unknown"
    members: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def display(self) -> str:
        text = format_value(self.value, self.unit)
        if (
            self.unit == PERCENT
            and self.value is not None
            and self.target is not None
            and self.value < self.target - 1e-9
            and round(self.value, 2) >= self.target
        ):
            # 59.75% against a 60% target must not read "60%" beside "close to target".
            return f"{math.floor(self.value * 1000) / 10:.1f}%"
        return text

    @property
    def state(self) -> str:
        """'green' at or above target, 'amber' within 10 points below, 'red' below that;
        'none' without a value or a target."""
        if self.value is None or self.target is None:
            return "none"
        if self.value >= self.target - 1e-9:
            return "green"
        if self.unit == PERCENT and self.value >= self.target - AMBER_BAND:
            return "amber"
        if self.unit != PERCENT and self.value >= self.target * (1 - AMBER_BAND):
            return "amber"
        return "red"

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "display": self.display,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "unknown": self.unknown,
            "target": self.target,
            "state": self.state,
            "unit": self.unit,
            "group": self.group,
            "statement": self.statement,
            "definition": self.definition,
        }


@dataclass
class Breakdown:
    key: str
    label: str
    definition: str
    categories: list[str]
    series: dict[str, list[float | None]]  # series name -> one value per category
    unit: str = COUNT
    members: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "categories": self.categories,
            "series": self.series,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class MeasureStat:
    measure: str
    measure_name: str
    program: str  # a program name, or "All"
    time_point: str
    n: int
    mean: float | None
    median: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "program": self.program,
            "time_point": self.time_point,
            "n": self.n,
            "mean": self.mean,
            "median": self.median,
        }


@dataclass(frozen=True)
class MeasureChange:
    measure: str
    measure_name: str
    program: str
    pairs: int
    improved: int
    pct_improved: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "program": self.program,
            "pairs": self.pairs,
            "improved": self.improved,
            "pct_improved": self.pct_improved,
        }


@dataclass
class Derived:
    """The per-row tables the metrics are counted from (the workbook writes these)."""

    participants: pd.DataFrame  # one row per participant in the population
    followups: pd.DataFrame  # follow-ups of the population, with status_as_of
    measure_pairs: pd.DataFrame  # one row per (participant, measure) with an entry value
    measurements: pd.DataFrame  # measurements of the population, dated by the as-of date
    credentials: pd.DataFrame  # earned credentials of the population


# The columns of MetricsReport.people() after "id": who is behind a number.
PEOPLE_COLUMNS = (
    "participant_code",
    "first_name",
    "last_name",
    "program",
    "enrolled_on",
    "status",
    "current_stage",
)


@dataclass
class MetricsReport:
    filters: Filters
    as_of: date
    metrics: dict[str, MetricResult]
    breakdowns: dict[str, Breakdown]
    measure_stats: list[MeasureStat]
    measure_changes: list[MeasureChange]
    derived: Derived = field(repr=False)
    organisation: str = ""

    def slim(self) -> None:
        """Drop the per-row tables except the participants (enough for every number,
        statement and participants_behind); frees most of the memory at 100k."""
        empty = pd.DataFrame()
        self.derived.followups = empty
        self.derived.measure_pairs = empty
        self.derived.measurements = empty
        self.derived.credentials = empty

    def statements(self, keys: Iterable[str] | None = None) -> list[str]:
        chosen = list(keys) if keys is not None else list(self.metrics)
        return [self.metrics[k].statement for k in chosen if k in self.metrics]

    def to_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.to_dict(),
            "as_of": self.as_of.isoformat(),
            "metrics": {key: m.to_dict() for key, m in self.metrics.items()},
            "measures": {
                "stats": [s.to_dict() for s in self.measure_stats],
                "improved": [c.to_dict() for c in self.measure_changes],
            },
            "breakdowns": {key: b.to_dict() for key, b in self.breakdowns.items()},
        }

    def participants_behind(
        self, key: str, part: str = "numerator", category: str | None = None
    ) -> pd.DataFrame:
        """The participants behind a number: a metric's numerator/denominator/unknown, or
        one bar (``category``) of a breakdown.  Columns: id, then PEOPLE_COLUMNS."""
        ids: np.ndarray
        if key in self.breakdowns:
            members = self.breakdowns[key].members
            ids = members.get(category or "", np.array([], dtype=np.int64))
        elif key in self.metrics:
            ids = self.metrics[key].members.get(part, np.array([], dtype=np.int64))
        else:
            raise KeyError(key)
        people = self.derived.participants
        chosen = people.loc[people.index.intersection(pd.Index(np.unique(ids)))]
        out = chosen[list(PEOPLE_COLUMNS)].copy()
        out.insert(0, "id", out.index.astype(int))
        return out.sort_values("participant_code").reset_index(drop=True)


# --- helpers ---------------------------------------------------------------------------
def _ids(index: Any) -> np.ndarray:
    """Participant ids (may repeat; participants_behind de-duplicates)."""
    return np.asarray(index, dtype=np.int64)


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else float(num) / float(den)


def _sort_keys(frame: pd.DataFrame, order: list[str], missing_first: bool) -> list[np.ndarray]:
    keys = []
    for name in order:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            values = column.to_numpy().view(np.int64).copy()
            if not missing_first:  # NaT is the smallest int64; push it to the end
                values[column.isna().to_numpy()] = np.iinfo(np.int64).max
        else:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            values = np.where(np.isnan(values), -np.inf if missing_first else np.inf, values)
        keys.append(values)
    return keys


def _pick_per(frame: pd.DataFrame, by: str, order: list[str], last: bool) -> pd.DataFrame:
    """One row per ``by``: the last (or first) in ``order``.  Missing dates count as the
    earliest for "last" and as the latest for "first"."""
    if frame.empty:
        return frame.set_index(by)
    group = frame[by].to_numpy()
    keys = _sort_keys(frame, order, missing_first=last)
    positions = np.lexsort([*reversed(keys), group])  # by group, then order
    sorted_group = group[positions]
    if last:
        edge = np.append(sorted_group[1:] != sorted_group[:-1], True)
    else:
        edge = np.insert(sorted_group[1:] != sorted_group[:-1], 0, True)
    return frame.iloc[positions[edge]].set_index(by)


def _last_per(frame: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    """One row per ``by``: the last one in ``order`` (missing values sort first)."""
    return _pick_per(frame, by, order, last=True)


def _first_per(frame: pd.DataFrame, by: str, order: list[str]) -> pd.DataFrame:
    """One row per ``by``: the first one in ``order`` (missing values sort last)."""
    return _pick_per(frame, by, order, last=False)


class _Builder:
    def __init__(self, dataset: Dataset, filters: Filters) -> None:
        if filters.as_of is not None and filters.as_of != dataset.as_of:
            raise ValueError(
                f"The data was loaded as of {dataset.as_of.isoformat()}; load it with "
                f"load_dataset(repo, as_of={filters.as_of.isoformat()!r}) to compute as of "
                "that day."
            )
        self.ds = dataset
        self.filters = replace(filters, as_of=dataset.as_of)
        self.as_of = dataset.as_of
        self.ts = pd.Timestamp(self.as_of)
        self.metrics: dict[str, MetricResult] = {}
        self.breakdowns: dict[str, Breakdown] = {}

    # -- results ------------------------------------------------------------------------
    def target(self, key: str, definition: Definition) -> float | None:
        targets = self.ds.targets
        if key in targets:
            return targets[key]
        if definition.target_key and definition.target_key in targets:
            return targets[definition.target_key]
        return None

    def add(
        self,
        key: str,
        value: float | None,
        numerator: float | None,
        denominator: float | None,
        unknown: int = 0,
        members: dict[str, np.ndarray] | None = None,
        extra: str | None = None,
    ) -> MetricResult:
        definition = definition_for(key, self.ds)
        if value is not None and isinstance(value, float) and math.isnan(value):
            value = None
        words = {
            "value": format_value(value, definition.unit),
            "num": f"{int(numerator):,}" if numerator is not None else "",
            "den": f"{int(denominator):,}" if denominator is not None else "",
        }
        if extra is None:
            extra = f"; {unknown:,} {definition.unknown_word}" if unknown else ""
        if value is None:
            statement = (
                f"{definition.label}: n/a -- no data to count yet ({self.filters.describe()})."
            )
        else:
            statement = definition.sentence.format(extra=extra, **words)
            statement = statement.replace("( of ", "(").replace("(; ", "(")
        result = MetricResult(
            key=key,
            label=definition.label,
            value=value,
            numerator=numerator,
            denominator=denominator,
            unknown=int(unknown),
            target=self.target(key, definition),
            statement=statement,
            definition=definition.text,
            unit=definition.unit,
            group=definition.group,
            unknown_word=definition.unknown_word,
            members=members or {},
        )
        self.metrics[key] = result
        return result

    def rate(
        self,
        key: str,
        numerator: pd.Index,
        denominator: pd.Index,
        unknown: pd.Index | None = None,
        unknown_count: int | None = None,
        numerator_count: int | None = None,
        denominator_count: int | None = None,
        extra: str | None = None,
    ) -> MetricResult:
        num = len(numerator) if numerator_count is None else numerator_count
        den = len(denominator) if denominator_count is None else denominator_count
        unk_index = unknown if unknown is not None else pd.Index([])
        unk = len(unk_index) if unknown_count is None else unknown_count
        return self.add(
            key,
            _ratio(num, den),
            num,
            den,
            unk,
            {
                "numerator": _ids(numerator),
                "denominator": _ids(denominator),
                "unknown": _ids(unk_index),
            },
            extra,
        )

    # -- the population -------------------------------------------------------------------
    def population(self) -> pd.DataFrame:
        ds, ts, flt = self.ds, self.ts, self.filters
        enr = ds.enrollments[ds.enrollments["enrolled_on"] <= ts]
        chosen = _last_per(enr, "participant_id", ["enrolled_on", "id"])
        people = ds.participants.set_index("id")[
            ["participant_code", "first_name", "last_name", "date_of_birth"]
        ]
        pf = people.join(
            chosen[
                ["id", "program", "enrolled_on", "progress_pct", "exited_on", "exit_reason"]
            ].rename(columns={"id": "enrollment_id"}),
            how="inner",
        )
        if flt.program:
            pf = pf[pf["program"] == flt.program]
        if flt.date_from:
            pf = pf[pf["enrolled_on"] >= pd.Timestamp(flt.date_from)]
        if flt.date_to:
            pf = pf[pf["enrolled_on"] <= pd.Timestamp(flt.date_to)]
        pf.index.name = "participant_id"
        exited = pf["exited_on"].notna() & (pf["exited_on"] <= ts)
        graduated = exited & pf["exit_reason"].isin(GRADUATING_REASONS)
        pf["status"] = np.where(graduated, "graduated", np.where(exited, "exited", "active"))
        pf.loc[~exited, ["exited_on", "exit_reason"]] = [pd.NaT, None]
        return pf

    def children(self, frame: pd.DataFrame, pf: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["participant_id"].isin(pf.index)]

    # -- per participant columns ------------------------------------------------------------
    def enrich(self, pf: pd.DataFrame) -> pd.DataFrame:
        ds, ts = self.ds, self.ts
        stages = self.children(ds.stage_history, pf)
        stages = stages[stages["started_on"] <= ts]
        current = _last_per(stages, "participant_id", ["started_on", "id"])
        pf["current_stage"] = current["stage"].astype(object).reindex(pf.index)

        jobs = self.children(ds.jobs, pf)
        # A job with no start date (a spreadsheet row that says "Employed: Yes" and a wage
        # but no date) is known to exist, not when it began: it counts from the enrollment.
        enrolled = pf["enrolled_on"].reindex(jobs["participant_id"].to_numpy()).to_numpy()
        jobs = jobs.assign(
            counted_from=jobs["started_on"].fillna(pd.Series(enrolled, index=jobs.index))
        )
        dated = jobs[jobs["counted_from"].notna() & (jobs["counted_from"] <= ts)]
        running = dated[dated["ended_on"].isna() | (dated["ended_on"] > ts)]
        current_job = _last_per(running, "participant_id", ["counted_from", "id"])
        employed = pd.Series(False, index=pf.index, dtype="boolean")
        employed[employed.index.isin(current_job.index)] = True
        pf["employed"] = employed
        pf["current_employer"] = current_job["employer"].reindex(pf.index)
        pf["current_title"] = current_job["title"].reindex(pf.index)
        pf["current_job_started"] = current_job["started_on"].reindex(pf.index)
        pf["current_wage"] = current_job["hourly_wage"].reindex(pf.index)
        pf["current_benefits"] = current_job["employer_benefits"].reindex(pf.index)

        waged = jobs[jobs["hourly_wage"].notna()]
        entry_jobs = waged[waged["is_entry_job"].fillna(False).astype(bool)]
        later_jobs = waged[
            ~waged["is_entry_job"].fillna(False).astype(bool)
            & waged["counted_from"].notna()
            & (waged["counted_from"] <= ts)
        ]
        pf["entry_wage"] = _last_per(entry_jobs, "participant_id", ["counted_from", "id"])[
            "hourly_wage"
        ].reindex(pf.index)
        pf["latest_wage"] = _last_per(later_jobs, "participant_id", ["counted_from", "id"])[
            "hourly_wage"
        ].reindex(pf.index)
        both = pf["entry_wage"].notna() & pf["latest_wage"].notna()
        increased = pd.Series(pd.NA, index=pf.index, dtype="boolean")
        increased[both] = (pf["latest_wage"] > pf["entry_wage"])[both]
        pf["wage_increased"] = increased

        creds = self.children(ds.credentials, pf)
        earned = creds[
            ~creds["expected"].fillna(False).astype(bool)
            & (creds["earned_on"].isna() | (creds["earned_on"] <= ts))
        ]
        self.earned_credentials = earned
        pf["credentials_earned"] = (
            earned.groupby("participant_id").size().reindex(pf.index, fill_value=0).astype(int)
        )

        eligible = pf["enrolled_on"] <= ts - pd.Timedelta(days=PROMOTION_WINDOW_DAYS)
        promos = self.children(ds.promotions, pf)
        promos = promos.join(pf["enrolled_on"], on="participant_id")
        in_window = promos[
            promos["promoted_on"].notna()
            & (promos["promoted_on"] >= promos["enrolled_on"])
            & (
                promos["promoted_on"]
                <= promos["enrolled_on"] + pd.Timedelta(days=PROMOTION_WINDOW_DAYS)
            )
            & (promos["promoted_on"] <= ts)
        ]
        undated_promo = promos[promos["promoted_on"].isna()]
        promoted = pd.Series(pd.NA, index=pf.index, dtype="boolean")
        promoted[eligible] = False
        promoted[eligible & pf.index.isin(undated_promo["participant_id"])] = pd.NA
        promoted[eligible & pf.index.isin(in_window["participant_id"])] = True
        pf["promotion_eligible"] = eligible
        pf["promoted_12m"] = promoted

        pf["entry_benefits"] = (
            self.children(ds.participant_benefits, pf)
            .groupby("participant_id")
            .size()
            .reindex(pf.index, fill_value=0)
            .astype(int)
        )
        return pf

    # -- metrics ------------------------------------------------------------------------------
    def participant_counts(self, pf: pd.DataFrame) -> None:
        status = pf["status"]
        total = len(pf)
        active = pf.index[status == "active"]
        exited = pf.index[status != "active"]
        graduated = pf.index[status == "graduated"]
        self.add(
            "participants_total",
            float(total),
            total,
            None,
            members={"numerator": _ids(pf.index), "denominator": _ids(pf.index)},
            extra=f" ({len(active):,} active, {len(exited):,} exited)" if total else "",
        )
        for key, ids in (
            ("participants_active", active),
            ("participants_exited", exited),
            ("participants_graduated", graduated),
        ):
            self.add(
                key,
                float(len(ids)),
                len(ids),
                total,
                members={"numerator": _ids(ids), "denominator": _ids(pf.index)},
                extra=f" ({len(ids):,} of {total:,})" if key != "participants_active" else "",
            )

    def employment(self, pf: pd.DataFrame) -> None:
        active = pf[pf["status"] == "active"]
        known = active[active["employed"].notna()]
        self.rate(
            "employment_rate",
            known.index[known["employed"].astype(bool)],
            known.index,
            active.index[active["employed"].isna()],
        )
        employed = pf[pf["employed"].fillna(False).astype(bool)]
        wages = employed["current_wage"].dropna()
        missing = employed.index[employed["current_wage"].isna()]
        n = len(wages)
        members = {
            "numerator": _ids(wages.index),
            "denominator": _ids(wages.index),
            "unknown": _ids(missing),
        }
        self.add(
            "wage_mean",
            float(wages.mean()) if n else None,
            round(float(wages.sum()), 2) if n else 0.0,
            n,
            len(missing),
            members,
        )
        self.add(
            "wage_median",
            float(wages.median()) if n else None,
            None,
            n,
            len(missing),
            members,
        )
        inc = pf["wage_increased"]
        pairs = pf.index[inc.notna()]
        self.rate(
            "earning_power_increased",
            pf.index[inc.fillna(False).astype(bool)],
            pairs,
            pf.index[pf["latest_wage"].notna() & pf["entry_wage"].isna()],
        )
        benefits = employed["current_benefits"]
        self.rate(
            "employer_benefits",
            employed.index[benefits.fillna(False).astype(bool)],
            employed.index[benefits.notna()],
            employed.index[benefits.isna()],
        )
        # wage distribution in $1 bands
        if n:
            low = math.floor(wages.min())
            high = math.floor(wages.max())
            bands = np.floor(wages.to_numpy()).astype(int)
            categories, values, members_by = [], [], {}
            for start in range(low, high + 1):
                mask = bands == start
                label = f"${start}-{start + 1}"
                categories.append(label)
                values.append(float(mask.sum()))
                members_by[label] = _ids(wages.index[mask])
            self.breakdown("wage_distribution", categories, {"Participants": values}, members_by)
        else:
            self.breakdown("wage_distribution", [], {"Participants": []}, {})

    def credentials(self, pf: pd.DataFrame) -> None:
        has = pf.index[pf["credentials_earned"] > 0]
        self.rate("credential_rate", has, pf.index)
        earned = self.earned_credentials
        count = len(earned)
        self.add(
            "credentials_earned",
            float(count),
            count,
            None,
            members={"numerator": _ids(earned["participant_id"])},
        )
        gpa = earned[earned["gpa"].notna()]
        self.add(
            "gpa_mean",
            float(gpa["gpa"].mean()) if len(gpa) else None,
            round(float(gpa["gpa"].sum()), 4) if len(gpa) else 0.0,
            len(gpa),
            0,
            {"numerator": _ids(gpa["participant_id"]), "denominator": _ids(gpa["participant_id"])},
        )
        by_name = earned.groupby("name")["participant_id"]
        names = sorted(by_name.groups, key=lambda n: (-len(by_name.groups[n]), str(n)))
        self.breakdown(
            "credentials_by_type",
            [str(n) for n in names],
            {"Credentials": [float(len(by_name.groups[n])) for n in names]},
            {str(n): _ids(earned.loc[by_name.groups[n], "participant_id"]) for n in names},
        )

    def promotions(self, pf: pd.DataFrame) -> None:
        promoted = pf["promoted_12m"]
        eligible = pf[pf["promotion_eligible"]]
        self.rate(
            "promotion_12m",
            pf.index[promoted.fillna(False).astype(bool)],
            pf.index[promoted.notna()],
            eligible.index[eligible["promoted_12m"].isna()],
        )

    def followups(self, pf: pd.DataFrame) -> pd.DataFrame:
        ts = self.ts
        fu = self.children(self.ds.followups, pf).copy()
        completed_later = fu["done_on"].notna() & (fu["done_on"] > ts)
        fu["status_as_of"] = fu["status"].astype(object).where(~completed_later, "due")
        fu["program"] = pd.Categorical(pf["program"].reindex(fu["participant_id"]).to_numpy())
        # numpy masks: one pass per follow-up point instead of frame copies
        pid = fu["participant_id"].to_numpy(dtype=np.int64)
        status = fu["status_as_of"].to_numpy(dtype=object)
        is_due = (fu["due_on"] <= ts).to_numpy(dtype=bool)
        is_done = status == "done"
        not_reached_all = ((status == "unreachable") | (status == "declined")) & is_due
        employed = fu["employed"]
        emp_known = employed.notna().to_numpy(dtype=bool)
        emp_yes = employed.fillna(False).to_numpy(dtype=bool)
        days_of = fu["days_after_exit"].to_numpy()
        due_done = is_due & is_done
        self.rate(
            "followup_reach_rate",
            pd.Index(pid[due_done]),
            pd.Index(pid[is_due]),
            numerator_count=int(due_done.sum()),
            denominator_count=int(is_due.sum()),
            unknown=pd.Index([]),
        )
        reach_values: list[float | None] = []
        retention_values: list[float | None] = []
        reach_members: dict[str, np.ndarray] = {}
        retention_members: dict[str, np.ndarray] = {}
        categories = []
        for days in self.ds.followup_days:
            label = f"{days} days"
            categories.append(label)
            at = days_of == days
            done = at & is_done
            known = done & emp_known
            yes = known & emp_yes
            not_reached = at & not_reached_all
            blank = done & ~emp_known
            n_not, n_blank = int(not_reached.sum()), int(blank.sum())
            parts = []
            if n_not:
                parts.append(f"{n_not:,} not reached")
            if n_blank:
                parts.append(f"{n_blank:,} employment not recorded")
            extra = "".join(f"; {p}" for p in parts)
            result = self.rate(
                f"retention_{days}",
                pd.Index(pid[yes]),
                pd.Index(pid[known]),
                pd.Index(pid[not_reached | blank]),
                unknown_count=n_not + n_blank,
                numerator_count=int(yes.sum()),
                denominator_count=int(known.sum()),
                extra=extra,
            )
            retention_values.append(result.value)
            retention_members[label] = pid[known]
            at_due = at & is_due
            reach_values.append(_ratio(int((at_due & is_done).sum()), int(at_due.sum())))
            reach_members[label] = pid[at_due]
        self.breakdown(
            "retention", categories, {"Employed": retention_values}, retention_members, PERCENT
        )
        self.breakdown(
            "followup_reach", categories, {"Reached": reach_values}, reach_members, PERCENT
        )
        # reduced reliance on public benefits
        done_all = fu[fu["status_as_of"] == "done"]
        latest = _last_per(done_all, "participant_id", ["done_on", "days_after_exit", "id"])
        latest = latest.reindex(pf.index[pf["entry_benefits"] > 0]).dropna(how="all")
        latest = latest[latest["status"].notna()]
        counts = latest["benefit_count"].astype(float)
        flag = latest["on_public_benefits"]
        known_count = pd.Series(np.nan, index=latest.index)
        known_count[counts > 0] = counts[counts > 0]
        known_count[(counts == 0) & (flag.fillna(True) == False)] = 0.0  # noqa: E712
        entry = pf["entry_benefits"].reindex(latest.index)
        known = known_count.notna()
        self.rate(
            "reduced_benefits",
            latest.index[known & (known_count < entry)],
            latest.index[known],
            latest.index[~known],
        )
        fu["status_as_of"] = fu["status_as_of"].astype("category")
        return fu

    def measures(self, pf: pd.DataFrame, fu: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        ts = self.ts
        ms = self.children(self.ds.measurements, pf)
        ms = ms[ms["measured_on"].isna() | (ms["measured_on"] <= ts)].copy()
        ms["program"] = pd.Categorical(pf["program"].reindex(ms["participant_id"]).to_numpy())
        ms["pair"] = ms["participant_id"].astype("int64") * 1_000_000 + ms["measure_id"].astype(
            "int64"
        )
        entry = _first_per(ms[ms["time_point"] == "entry"], "pair", ["measured_on", "id"])
        exits = _last_per(ms[ms["time_point"] == "exit"], "pair", ["measured_on", "id"])
        others = _last_per(
            ms[ms["time_point"].isin(("during", "follow_up"))], "pair", ["measured_on", "id"]
        )
        later = pd.concat([exits, others[~others.index.isin(exits.index)]])
        pairs = entry[["participant_id", "measure_id", "measure", "program", "value"]].rename(
            columns={"value": "entry_value"}
        )
        pairs["later_value"] = later["value"].reindex(pairs.index)
        lower_better = {
            str(k): not bool(h)
            for k, h in zip(
                self.ds.measures["key"], self.ds.measures["higher_is_better"], strict=False
            )
        }
        flip = pairs["measure"].map(lower_better).fillna(False).astype(bool)
        diff = pairs["later_value"] - pairs["entry_value"]
        diff = diff.where(~flip, -diff)
        improved = pd.Series(pd.NA, index=pairs.index, dtype="boolean")
        has_later = pairs["later_value"].notna()
        improved[has_later] = (diff > 0)[has_later]
        pairs["improved"] = improved
        exited_ids = pf.index[pf["status"] != "active"]
        pairs["missing_exit"] = ~has_later & pairs["participant_id"].isin(exited_ids)
        pairs = pairs.reset_index(drop=True)

        def pair_rate(key: str, subset: pd.DataFrame) -> None:
            both = subset[subset["improved"].notna()]
            yes = both[both["improved"].astype(bool)]
            missing = subset[subset["missing_exit"]]
            self.rate(
                key,
                _pids(yes),
                _pids(both),
                _pids(missing),
                numerator_count=len(yes),
                denominator_count=len(both),
                unknown_count=len(missing),
            )

        pair_rate("measure_improved", pairs)
        names = self.ds.measure_names()
        active_measures = [
            str(k)
            for k, a in zip(self.ds.measures["key"], self.ds.measures["active"], strict=False)
            if a
        ]
        entry_means: list[float | None] = []
        later_means: list[float | None] = []
        categories = []
        members = {}
        for measure in active_measures:
            subset = pairs[pairs["measure"] == measure]
            pair_rate(f"measure_improved.{measure}", subset)
            both = subset[subset["later_value"].notna()]
            label = names.get(measure, measure)
            categories.append(label)
            entry_means.append(float(both["entry_value"].mean()) if len(both) else None)
            later_means.append(float(both["later_value"].mean()) if len(both) else None)
            members[label] = _ids(both["participant_id"])
        self.breakdown(
            "measure_entry_exit",
            categories,
            {"Entry": entry_means, "Exit or latest": later_means},
            members,
            NUMBER,
        )
        self.measure_table(ms, pairs, active_measures, names)

        # data timing
        dated = ms[ms["measured_on"].notna()]
        exit_on = pf["exited_on"].reindex(dated["participant_id"]).to_numpy()
        after_mask = pd.notna(exit_on) & (dated["measured_on"].to_numpy() > exit_on)
        done_fu = fu[fu["status_as_of"] == "done"]
        during_ids = dated["participant_id"][~after_mask]
        after_ids = pd.concat([dated["participant_id"][after_mask], done_fu["participant_id"]])
        during_n = int((~after_mask).sum())
        after_n = int(after_mask.sum()) + len(done_fu)
        undated = ms[ms["measured_on"].isna()]
        self.rate(
            "data_during_program",
            pd.Index(during_ids),
            pd.Index(pd.concat([during_ids, after_ids])),
            pd.Index(undated["participant_id"]),
            numerator_count=during_n,
            denominator_count=during_n + after_n,
            unknown_count=len(undated),
        )
        self.breakdown(
            "data_timing",
            ["During the program", "After exit"],
            {"Data points": [float(during_n), float(after_n)]},
            {"During the program": _ids(during_ids), "After exit": _ids(after_ids)},
        )
        return pairs, ms

    def measure_table(
        self,
        ms: pd.DataFrame,
        pairs: pd.DataFrame,
        measures: list[str],
        names: dict[str, str],
    ) -> None:
        stats: list[MeasureStat] = []
        changes: list[MeasureChange] = []
        programs = ["All", *sorted(str(p) for p in ms["program"].dropna().unique())]
        grouped = ms.groupby(["measure", "time_point"])["value"]
        by_program = ms.groupby(["measure", "program", "time_point"])["value"]
        agg_all = grouped.agg(["count", "mean", "median"])
        agg_prog = by_program.agg(["count", "mean", "median"])
        known_pairs = pairs[pairs["improved"].notna()]
        pair_all = known_pairs.groupby("measure")["improved"].agg(["count", "sum"])
        pair_prog = known_pairs.groupby(["measure", "program"])["improved"].agg(["count", "sum"])
        for measure in measures:
            for program in programs:
                for point in TIME_POINTS:
                    key: tuple[str, ...] = (
                        (measure, point) if program == "All" else (measure, program, point)
                    )
                    table = agg_all if program == "All" else agg_prog
                    if key in table.index:
                        row = table.loc[key]
                        n = int(row["count"])
                        mean = float(row["mean"]) if n else None
                        median = float(row["median"]) if n else None
                    else:
                        n, mean, median = 0, None, None
                    stats.append(
                        MeasureStat(
                            measure, names.get(measure, measure), program, point, n, mean, median
                        )
                    )
                pkey: Any = measure if program == "All" else (measure, program)
                ptable = pair_all if program == "All" else pair_prog
                if pkey in ptable.index:
                    count = int(ptable.loc[pkey, "count"])
                    improved = int(ptable.loc[pkey, "sum"])
                else:
                    count, improved = 0, 0
                changes.append(
                    MeasureChange(
                        measure,
                        names.get(measure, measure),
                        program,
                        count,
                        improved,
                        _ratio(improved, count),
                    )
                )
        self.measure_stats = stats
        self.measure_changes = changes

    def progression(self, pf: pd.DataFrame) -> None:
        ts = self.ts
        totals = self.children(self.ds.assessment_totals, pf)
        history = self.children(self.ds.stage_history, pf)
        finished = history[history["ended_on"].notna() & (history["ended_on"] <= ts)].copy()
        finished["days"] = (finished["ended_on"] - finished["started_on"]).dt.days
        stage_names = self.ds.stage_names
        assessed = set(totals["stage"].dropna().unique())
        for stage in stage_names:
            if stage not in assessed:
                continue
            rows = totals[totals["stage"] == stage]
            passed = rows[rows["passed"] > 0]
            self.rate(
                f"pass_rate.{slug(stage)}",
                _pids(passed),
                _pids(rows),
                numerator_count=int(rows["passed"].sum()),
                denominator_count=int(rows["assessed"].sum()),
            )
        for stage in stage_names:
            rows = finished[finished["stage"] == stage]
            if rows.empty:
                continue
            ids = _ids(rows["participant_id"])
            self.add(
                f"days_in_stage.{slug(stage)}",
                float(rows["days"].median()),
                None,
                len(rows),
                0,
                {"numerator": ids, "denominator": ids},
            )

    def breakdown(
        self,
        key: str,
        categories: list[str],
        series: Mapping[str, Sequence[float | None]],
        members: dict[str, np.ndarray],
        unit: str = COUNT,
    ) -> None:
        label, text = BREAKDOWN_DEFINITIONS[key]
        self.breakdowns[key] = Breakdown(
            key,
            label,
            text,
            categories,
            {name: list(values) for name, values in series.items()},
            unit,
            members,
        )

    def distributions(self, pf: pd.DataFrame) -> None:
        ids = pf.index.to_numpy(dtype=np.int64)

        def groups_of(values: pd.Series) -> dict[str, np.ndarray]:
            positions = values.groupby(values.to_numpy(), sort=False).indices
            return {str(k): ids[v] for k, v in positions.items()}

        stage_names = self.ds.stage_names
        by_stage = groups_of(pf["current_stage"].astype(object).fillna("No stage recorded"))
        extra = sorted(set(by_stage) - set(stage_names) - {"No stage recorded"})
        order = [*stage_names, *extra]
        if "No stage recorded" in by_stage:
            order.append("No stage recorded")
        empty = np.array([], dtype=np.int64)
        self.breakdown(
            "by_stage",
            order,
            {"Participants": [float(len(by_stage.get(n, empty))) for n in order]},
            {n: by_stage.get(n, empty) for n in order},
        )
        by_program = groups_of(pf["program"].astype(object).fillna(""))
        programs = [p for p in self.ds.programs if p in by_program]
        self.breakdown(
            "by_program",
            programs,
            {"Participants": [float(len(by_program[p])) for p in programs]},
            {p: by_program[p] for p in programs},
        )
        enrolled = pf["enrolled_on"]
        month_number = (enrolled.dt.year * 12 + enrolled.dt.month - 1).to_numpy()
        by_month = pd.Series(month_number).groupby(month_number, sort=True).indices
        labels = {m: f"{m // 12:04d}-{m % 12 + 1:02d}" for m in by_month}
        self.breakdown(
            "enrollments_by_month",
            [labels[m] for m in by_month],
            {"Enrollments": [float(len(v)) for v in by_month.values()]},
            {labels[m]: ids[v] for m, v in by_month.items()},
        )


def _pids(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(frame["participant_id"])


# --- entry points ------------------------------------------------------------------------
def compute(dataset: Dataset, filters: Filters | None = None) -> MetricsReport:
    """Every metric of DESIGN.md section 4 over ``dataset`` with ``filters``."""
    builder = _Builder(dataset, filters or Filters())
    pf = builder.enrich(builder.population())
    builder.participant_counts(pf)
    builder.employment(pf)
    builder.credentials(pf)
    builder.promotions(pf)
    fu = builder.followups(pf)
    pairs, ms = builder.measures(pf, fu)
    builder.progression(pf)
    builder.distributions(pf)
    ordered = _ordered(builder.metrics)
    return MetricsReport(
        filters=builder.filters,
        as_of=builder.as_of,
        metrics=ordered,
        breakdowns=builder.breakdowns,
        measure_stats=builder.measure_stats,
        measure_changes=builder.measure_changes,
        derived=Derived(pf, fu, pairs, ms, builder.earned_credentials),
        organisation=dataset.organisation,
    )


_ORDER = (
    "participants_total",
    "participants_active",
    "participants_exited",
    "participants_graduated",
    "employment_rate",
    "wage_mean",
    "wage_median",
    "earning_power_increased",
    "employer_benefits",
    "credential_rate",
    "credentials_earned",
    "gpa_mean",
    "promotion_12m",
    "retention_",
    "followup_reach_rate",
    "reduced_benefits",
    "measure_improved",
    "data_during_program",
    "pass_rate.",
    "days_in_stage.",
)


def _rank(key: str) -> int:
    for position, prefix in enumerate(_ORDER):
        if key == prefix or (prefix.endswith(("_", ".")) and key.startswith(prefix)):
            return position
    return len(_ORDER)


def order_keys(keys: Iterable[str]) -> list[str]:
    """Metric keys in dashboard order (stable within a group)."""
    return sorted(keys, key=_rank)


def _ordered(metrics: dict[str, MetricResult]) -> dict[str, MetricResult]:
    return {key: metrics[key] for key in order_keys(metrics)}


def participants_behind(
    dataset: Dataset,
    filters: Filters,
    metric_key: str,
    part: str = "numerator",
    category: str | None = None,
) -> pd.DataFrame:
    """The participants behind one number (see :meth:`MetricsReport.participants_behind`)."""
    return compute(dataset, filters).participants_behind(metric_key, part, category)


def as_of_minus(days: int, filters: Filters) -> date:
    return filters.effective_as_of() - timedelta(days=days)


def render_text(report: MetricsReport) -> list[str]:
    """A readable table of every metric, then per-measure statistics by program."""
    title = f"Metrics for {report.organisation}" if report.organisation else "Metrics"
    lines = [title, f"Filters: {report.filters.describe()}", ""]
    header = f"{'Metric':<42} {'Value':>12} {'Count':>17} {'Unknown':>8} {'Target':>7}  State"
    lines += [header, "-" * len(header)]
    for metric in report.metrics.values():
        if metric.unit == PERCENT and metric.numerator is not None:
            count = f"{int(metric.numerator):,} / {int(metric.denominator or 0):,}"
        elif metric.denominator is not None:
            count = f"n = {int(metric.denominator):,}"
        else:
            count = ""
        target = format_value(metric.target, metric.unit) if metric.target is not None else ""
        state = "" if metric.state == "none" else metric.state
        lines.append(
            f"{metric.label[:42]:<42} {metric.display:>12} {count:>17} "
            f"{metric.unknown or '':>8} {target:>7}  {state}"
        )
    lines += ["", "Outcome measures (n / mean / median at each time point; % improved)"]
    head = f"{'Measure':<30} {'Program':<12}" + "".join(f" {p:>22}" for p in TIME_POINTS)
    lines += [head + f" {'Improved':>16}", "-" * (len(head) + 17)]
    changes = {(c.measure, c.program): c for c in report.measure_changes}
    rows: dict[tuple[str, str], dict[str, MeasureStat]] = {}
    for stat in report.measure_stats:
        rows.setdefault((stat.measure, stat.program), {})[stat.time_point] = stat
    for (measure, program), points in rows.items():
        name = next(iter(points.values())).measure_name
        cells = []
        for point in TIME_POINTS:
            found = points.get(point)
            if found is None or found.n == 0 or found.mean is None or found.median is None:
                cells.append(f" {'-':>22}")
            else:
                cells.append(f" {f'{found.n} / {found.mean:.2f} / {found.median:.2f}':>22}")
        change = changes.get((measure, program))
        improved = ""
        if change is not None:
            share = format_value(change.pct_improved, PERCENT)
            improved = f"{share} of {change.pairs}"
        lines.append(f"{name[:30]:<30} {program[:12]:<12}" + "".join(cells) + f" {improved:>16}")
    return lines
