"""Defaults seeded into a new tracker, taken from the coaching deck's sample tracker and
journey table.  Everything here is editable in Settings and lives in the file afterwards."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageDefault:
    name: str
    season: str | None
    expected_length: str | None
    min_days: int | None
    max_days: int | None
    shift_hours_cap: float | None
    pd_hours_cap: float | None
    stations: int | None
    trigger: str  # "manual" or "pass_all_assessments"
    is_final: bool = False


SEASON_STABILIZATION = "Stabilization"
SEASON_GROWTH = "Professional Growth"

STAGES: tuple[StageDefault, ...] = (
    StageDefault("Intake", SEASON_STABILIZATION, "1 hour", 0, 30, None, None, None, "manual"),
    StageDefault("Orientation", SEASON_STABILIZATION, "1 week", 5, 7, None, None, None, "manual"),
    StageDefault(
        "Apprentice Level 1",
        SEASON_STABILIZATION,
        "4-6 months",
        120,
        183,
        20,
        5,
        3,
        "pass_all_assessments",
    ),
    StageDefault(
        "Apprentice Level 2",
        SEASON_GROWTH,
        "2-4 months",
        60,
        122,
        25,
        10,
        3,
        "pass_all_assessments",
    ),
    StageDefault(
        "Apprentice Level 3",
        SEASON_GROWTH,
        "2-4 months",
        60,
        122,
        30,
        10,
        5,
        "pass_all_assessments",
    ),
    StageDefault("Graduated", SEASON_GROWTH, None, None, None, None, None, None, "manual", True),
    StageDefault("Shift Lead", SEASON_GROWTH, None, None, None, None, None, None, "manual", True),
)

OPTION_LISTS: dict[str, tuple[str, ...]] = {
    "programs": ("Pipeline", "Fellows"),
    "certifications": ("ServSafe", "Paralegal", "Forklift", "OSHA 10", "CPR / First Aid"),
    "degrees": ("GED", "High school diploma", "Certificate", "AA", "BA", "JD"),
    "benefits": ("SNAP", "TANF", "SSI/SSDI", "Medicaid", "Housing assistance", "Other"),
    "barrier_types": ("Criminal record", "Driver's license suspension", "Eviction", "Other"),
    "barrier_statuses": ("Open", "In progress", "Expunged", "Resolved"),
    "exit_reasons": (
        "Graduated",
        "Promoted to Shift Lead",
        "Hired elsewhere",
        "Moved away",
        "Health",
        "Dismissed",
        "Lost contact",
        "Other",
    ),
    "housing_statuses": (
        "Stable - own or rent",
        "Staying with family or friends",
        "Transitional housing",
        "Shelter",
        "Unsheltered",
    ),
    "age_ranges": ("Under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"),
    "education_levels": (
        "Less than high school",
        "High school / GED",
        "Some college",
        "Associate degree",
        "Bachelor's or higher",
    ),
    "promotion_titles": ("Apprentice Level 2", "Apprentice Level 3", "Shift Lead"),
}

# (key, name, unit, scale_min, scale_max, higher_is_better)
MEASURES: tuple[tuple[str, str, str | None, float | None, float | None, bool], ...] = (
    ("earning_power", "Earning power (hourly wage)", "$/hour", 0, None, True),
    ("capacity_to_aspire", "Capacity to aspire", "score", 1, 5, True),
    ("social_capital", "Social capital", "score", 1, 5, True),
    ("annual_earnings", "Annual earnings", "$", 0, None, True),
)

SURVEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "Engagement": (
        ("I enjoy my job", "1-5"),
        ("I feel supported by my supervisor", "1-5"),
        ("I would recommend this program to a friend", "yesno"),
    ),
}

# Targets from the deck's example statements (editable in Settings).
METRIC_TARGETS: dict[str, float] = {
    "employment_rate": 0.75,
    "earning_power_increased": 0.75,
    "employer_benefits": 0.60,
    "credential_rate": 0.50,
    "promotion_12m": 0.50,
    "retention_30": 0.80,
    "retention_90": 0.75,
    "retention_180": 0.70,
    "retention_365": 0.65,
    "followup_reach_rate": 0.80,
    "reduced_benefits": 0.60,
    "measure_improved": 0.70,
    "data_during_program": 0.75,
}

SETTINGS: dict[str, object] = {
    "organisation_name": "",
    "followup_days": [30, 90, 180, 365],
    "wage_ceiling": 75.0,
    "gpa_scale": 4.0,
    "idle_lock_minutes": 10,
    "backup_keep": 10,
    "backup_dir": "",
    "participant_code_prefix": "P-",
}
