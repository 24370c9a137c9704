"""A deterministic synthetic tracker for ``--demo``, trials and benchmarks.

Same ``participants`` and ``seed`` -> byte-for-byte the same records (dates are relative to
the fixed ``DEMO_TODAY``, not the clock).  Rows are written with bulk inserts in one
transaction and one audit row, so 100k participants stay practical.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from tracker_desktop.core import schema
from tracker_desktop.core.repository import Repository

DEMO_TODAY = date(2026, 12, 1)
FIRST_ENROLLMENT = date(2023, 1, 9)

FIRST_NAMES = (
    "Maria",
    "José",
    "Aaliyah",
    "DeShawn",
    "Keisha",
    "Luis",
    "Ana",
    "Tyrone",
    "Brianna",
    "Marcus",
    "Sofía",
    "Jamal",
    "Emily",
    "Chen",
    "Fatima",
    "Andre",
    "Núria",
    "Kevin",
    "Imani",
    "Carlos",
    "Zoë",
    "Malik",
    "Guadalupe",
    "Darnell",
    "Hannah",
    "Omar",
    "Renée",
    "Jasmine",
    "Tomás",
    "Precious",
    "王芳",
    "李娜",
    "محمد",
    "فاطمة",
    "Oluwaseun",
    "Ngozi",
    "Dmitri",
    "Olga",
    "Nguyễn",
    "Thảo",
    "Amani",
    "Björn",
    "Chloé",
    "Raúl",
    "Aisha",
)
LAST_NAMES = (
    "Garcia",
    "Núñez",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "Washington",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "陈",
    "张",
    "الهاشمي",
    "حداد",
    "Okafor",
    "Adeyemi",
    "Ivanova",
    "Petrov",
    "Trần",
    "Phạm",
    "Müller",
    "Søren",
    "Dubois",
)
EMPLOYERS = (
    "Harbor Kitchen",
    "Riverside Catering",
    "Green Table Café",
    "Metro Legal Aid",
    "City Food Bank",
    "Northside Logistics",
    "Sunrise Bakery",
    "Union Station Deli",
    "Lakeside Hospital Dining",
    "Cornerstone Warehouse",
)
TITLES = (
    "Line cook",
    "Prep cook",
    "Dishwasher",
    "Cashier",
    "Legal assistant",
    "Warehouse associate",
    "Barista",
    "Server",
)
NOTE_TEXTS = (
    "Checked in about transportation; bus pass renewed.",
    "Discussed goals for the next level.",
    "Missed a shift, called in sick.",
    "Great feedback from the station lead.",
    "Referred to housing navigator.",
)


@dataclass
class _Rows:
    by_table: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, **values: Any) -> None:
        self.by_table.setdefault(table, []).append(values)


def _journey(rng: random.Random, enrolled: date, stage_names: list[str]) -> list[tuple[str, date]]:
    """Stage starts from enrollment until DEMO_TODAY, with the deck's typical lengths."""
    lengths = [1, 7, rng.randint(120, 183), rng.randint(60, 122), rng.randint(60, 122)]
    path = [(stage_names[0], enrolled)]
    current = enrolled
    for position, days in enumerate(lengths):
        if position + 1 >= len(stage_names):
            break
        drop_out = position >= 2 and rng.random() < 0.12
        if drop_out:
            break
        current = current + timedelta(days=days)
        if current > DEMO_TODAY:
            break
        nxt = position + 1
        if nxt == 5:  # after Level 3: graduate, or (one in five) Shift Lead
            name = stage_names[6] if rng.random() < 0.2 and len(stage_names) > 6 else stage_names[5]
        else:
            name = stage_names[nxt]
        path.append((name, current))
    return path


def generate(
    repo: Repository,
    participants: int = 300,
    seed: int = 42,
    progress: Callable[[int, int], bool] | None = None,
) -> int:
    """Write ``participants`` synthetic participants; returns how many were written.

    ``progress(done, total)`` may return False to cancel (nothing is written then).
    """
    rng = random.Random(seed)
    stage_names = [s["name"] for s in repo.stages()]
    benefits = repo.options("benefits")
    barrier_types = repo.options("barrier_types")
    housing = repo.options("housing_statuses")
    education = repo.options("education_levels")
    programs = repo.options("programs")
    followup_days = [int(d) for d in repo.setting("followup_days", [30, 90, 180, 365])]
    span_days = (DEMO_TODAY - FIRST_ENROLLMENT).days  # the newest are still in Intake
    created = datetime.combine(DEMO_TODAY, datetime.min.time())

    repo_staff = set(repo.staff_names())
    with repo.transaction(reason=f"demo data ({participants} participants)") as tx:
        measures = {
            row.key: row.id
            for row in tx.conn.execute(select(schema.measures.c.key, schema.measures.c.id))
        }
        survey_id = tx.conn.execute(select(schema.surveys.c.id)).scalars().first()
        question_ids = list(
            tx.conn.execute(
                select(schema.survey_questions.c.id).where(
                    schema.survey_questions.c.survey_id == survey_id
                )
            ).scalars()
        )
        start_id = _max_id(tx.conn, schema.participants)
        ids = _IdBlocks(
            followup=_max_id(tx.conn, schema.followups) + 1,
            response=_max_id(tx.conn, schema.survey_responses) + 1,
            enrollment=_max_id(tx.conn, schema.enrollments) + 1,
            per_participant=len(followup_days),
        )
        for name in ("Program Director", "Case Worker"):
            if name not in repo_staff:
                tx.insert(schema.staff, {"name": name, "active": True})
        chunk = 5000
        for chunk_start in range(0, participants, chunk):
            rows = _Rows()
            for offset in range(chunk_start, min(participants, chunk_start + chunk)):
                pid = start_id + offset + 1
                _one_participant(
                    rng,
                    rows,
                    pid,
                    created,
                    span_days,
                    stage_names,
                    benefits,
                    barrier_types,
                    housing,
                    education,
                    programs,
                    followup_days,
                    measures,
                    survey_id,
                    question_ids,
                    ids.for_offset(offset),
                )
            _bulk_write(tx.conn, rows)
            if progress is not None and not progress(
                min(participants, chunk_start + chunk), participants
            ):
                raise GenerationCancelledError()
        tx.audit("demo", "participants", None, None, new=f"{participants} demo participants")
    return participants


class GenerationCancelledError(Exception):
    pass


def _max_id(conn: Any, table: Any) -> int:
    return int(conn.execute(select(func.max(table.c.id))).scalar() or 0)


@dataclass(frozen=True)
class _IdBlocks:
    """Ids we assign ourselves so children can point at parents inside one bulk insert."""

    followup: int
    response: int
    enrollment: int
    per_participant: int

    def for_offset(self, offset: int) -> tuple[int, int, int]:
        return (
            self.followup + offset * self.per_participant,
            self.response + offset,
            self.enrollment + offset,
        )


def _bulk_write(conn: Any, rows: _Rows) -> None:
    # sorted_tables puts parents before children.
    for table in schema.metadata.sorted_tables:
        batch = rows.by_table.get(table.name)
        if batch:
            conn.execute(insert(table), batch)


def _one_participant(
    rng: random.Random,
    rows: _Rows,
    pid: int,
    created: datetime,
    span_days: int,
    stage_names: list[str],
    benefits: list[str],
    barrier_types: list[str],
    housing: list[str],
    education: list[str],
    programs: list[str],
    followup_days: list[int],
    measures: dict[str, int],
    survey_id: int | None,
    question_ids: list[int],
    own_ids: tuple[int, int, int],
) -> None:
    followup_base, response_id, enrollment_id = own_ids
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    enrolled = FIRST_ENROLLMENT + timedelta(days=int(span_days * rng.random() ** 0.8))
    birth = enrolled - timedelta(days=rng.randint(18 * 365, 58 * 365))
    program = programs[0] if rng.random() < 0.6 or len(programs) == 1 else rng.choice(programs[1:])
    rows.add(
        "participants",
        id=pid,
        participant_code=f"P-{pid:05d}",
        first_name=first,
        last_name=last,
        preferred_name=None,
        date_of_birth=birth,
        phone=f"(555) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        email=f"participant{pid}@example.org",
        housing_status=rng.choice(housing),
        education_at_entry=rng.choice(education),
        created_at=created,
        updated_at=created,
    )
    entry_benefits = rng.sample(benefits[:5], k=rng.choice((0, 1, 1, 2, 2, 3)))
    for benefit in entry_benefits:
        rows.add("participant_benefits", participant_id=pid, benefit=benefit)
    if rng.random() < 0.3:
        resolved = rng.random() < 0.4
        rows.add(
            "legal_barriers",
            participant_id=pid,
            barrier_type=rng.choice(barrier_types),
            status="Expunged" if resolved else rng.choice(("Open", "In progress")),
            resolved_on=enrolled + timedelta(days=rng.randint(30, 300)) if resolved else None,
        )

    path = _journey(rng, enrolled, stage_names)
    last_stage, last_start = path[-1]
    final_stages = set(stage_names[5:])
    exited_on = None
    exit_reason = None
    if last_stage in final_stages:
        exited_on = last_start
        exit_reason = "Promoted to Shift Lead" if last_stage == "Shift Lead" else "Graduated"
    elif len(path) >= 3 and rng.random() < 0.15:
        exited_on = min(DEMO_TODAY, last_start + timedelta(days=rng.randint(10, 90)))
        exit_reason = rng.choice(("Hired elsewhere", "Moved away", "Health", "Lost contact"))
    for index, (stage, started) in enumerate(path):
        ended = path[index + 1][1] if index + 1 < len(path) else None
        if ended is None and exited_on is not None and stage not in final_stages:
            ended = exited_on  # someone who left mid-level: that stage closes at the exit
        rows.add(
            "stage_history", participant_id=pid, stage=stage, started_on=started, ended_on=ended
        )
        if stage.startswith("Apprentice"):
            stations = 5 if stage.endswith("3") else 3
            done = ended is not None and (index + 1 < len(path))  # moved on: all passed
            latest = min(DEMO_TODAY, ended or DEMO_TODAY)
            for station in range(1, stations + 1):
                for kind in ("knowledge", "skill"):
                    if not done and rng.random() < 0.5:
                        continue
                    score = rng.uniform(70, 100) if done else rng.uniform(55, 100)
                    rows.add(
                        "assessments",
                        participant_id=pid,
                        stage=stage,
                        station=station,
                        kind=kind,
                        assessed_on=min(latest, started + timedelta(days=rng.randint(20, 60))),
                        score=round(score, 1),
                        passed=score >= 70,
                    )
    total_days = max(1, ((exited_on or DEMO_TODAY) - enrolled).days)
    progress = 100.0 if exit_reason == "Graduated" else min(95.0, round(total_days / 3.65, 0))
    rows.add(
        "enrollments",
        id=enrollment_id,
        participant_id=pid,
        program=program,
        enrolled_on=enrolled,
        progress_pct=progress,
        exited_on=exited_on,
        exit_reason=exit_reason,
    )

    # Weekly hours: the last few weeks of the current (or last) apprentice stage.
    cap = {
        "Apprentice Level 1": (20, 5),
        "Apprentice Level 2": (25, 10),
        "Apprentice Level 3": (30, 10),
    }
    if last_stage in cap or (len(path) > 2 and path[-2][0] in cap):
        stage, started = path[-1] if last_stage in cap else path[-2]
        shift_cap, pd_cap = cap[stage]
        week = started - timedelta(days=started.weekday())
        for _ in range(3):
            week += timedelta(days=7)
            if week > DEMO_TODAY:
                break
            rows.add(
                "weekly_hours",
                participant_id=pid,
                week_start=week,
                stage=stage,
                shift_hours=float(
                    rng.randint(shift_cap - 8, shift_cap + (1 if rng.random() < 0.05 else 0))
                ),
                pd_hours=float(rng.randint(max(0, pd_cap - 4), pd_cap)),
            )

    # Jobs: maybe an entry job, the program job, maybe a job after exit.
    # Entry wages overlap program wages: not everyone earns more afterwards.
    entry_wage = round(rng.uniform(7.25, 16.5), 2) if rng.random() < 0.45 else None
    if entry_wage is not None:
        rows.add(
            "jobs",
            participant_id=pid,
            employer=rng.choice(EMPLOYERS),
            title=rng.choice(TITLES),
            started_on=enrolled - timedelta(days=rng.randint(60, 700)),
            ended_on=enrolled,
            hourly_wage=entry_wage,
            hours_per_week=float(rng.choice((15, 20, 25, 30))),
            employer_benefits=False,
            is_entry_job=True,
        )
    employed_now = len(path) >= 3 and rng.random() < 0.8
    program_wage = round(rng.uniform(14.0, 19.0), 2)
    if employed_now:
        job_start = path[2][1]
        job_end = exited_on if exited_on and rng.random() < 0.5 else None
        rows.add(
            "jobs",
            participant_id=pid,
            employer=rng.choice(EMPLOYERS),
            title=rng.choice(TITLES),
            started_on=job_start,
            ended_on=job_end,
            hourly_wage=program_wage,
            hours_per_week=float(rng.choice((20, 25, 30, 35))),
            employer_benefits=rng.random() < 0.55,
            is_entry_job=False,
        )
        if job_end is not None:
            rows.add(
                "jobs",
                participant_id=pid,
                employer=rng.choice(EMPLOYERS),
                title=rng.choice(TITLES),
                started_on=job_end + timedelta(days=rng.randint(3, 40)),
                ended_on=None,
                hourly_wage=round(program_wage + rng.uniform(0.5, 4.0), 2),
                hours_per_week=float(rng.choice((30, 35, 40))),
                employer_benefits=rng.random() < 0.7,
                is_entry_job=False,
            )
    for stage, started in path[3:]:
        if stage in ("Apprentice Level 2", "Apprentice Level 3", "Shift Lead"):
            rows.add("promotions", participant_id=pid, promoted_on=started, title=stage)

    # Credentials.
    if len(path) >= 3 and rng.random() < 0.55:
        cert = "ServSafe" if program == programs[0] else rng.choice(("Paralegal", "ServSafe"))
        rows.add(
            "credentials",
            participant_id=pid,
            kind="certification",
            name=cert,
            earned_on=path[2][1] + timedelta(days=rng.randint(10, 90)),
            expected=False,
            gpa=None,
        )
    if rng.random() < 0.18:
        degree = rng.choice(("GED", "GED", "AA", "Certificate", "JD"))
        expected = rng.random() < 0.2
        rows.add(
            "credentials",
            participant_id=pid,
            kind="degree",
            name=degree,
            earned_on=enrolled + timedelta(days=rng.randint(60, 900)),
            expected=expected,
            gpa=round(rng.uniform(2.0, 4.0), 2) if degree != "GED" else None,
        )

    # Outcome measures at entry, exit and follow-up.
    aspire_entry = rng.randint(1, 4)
    social_entry = rng.randint(1, 4)
    for key, value in (
        ("capacity_to_aspire", aspire_entry),
        ("social_capital", social_entry),
        ("earning_power", entry_wage or 0.0),
    ):
        if key in measures and (key != "earning_power" or entry_wage is not None):
            rows.add(
                "measurements",
                participant_id=pid,
                measure_id=measures[key],
                time_point="entry",
                measured_on=enrolled,
                value=float(value),
            )
    if exited_on is not None:
        for key, entry_value in (
            ("capacity_to_aspire", aspire_entry),
            ("social_capital", social_entry),
        ):
            if key in measures and rng.random() < 0.9:
                rows.add(
                    "measurements",
                    participant_id=pid,
                    measure_id=measures[key],
                    time_point="exit",
                    measured_on=exited_on,
                    value=float(min(5, max(1, entry_value + rng.choice((-1, 0, 1, 1, 2))))),
                )
        if "earning_power" in measures and employed_now:
            rows.add(
                "measurements",
                participant_id=pid,
                measure_id=measures["earning_power"],
                time_point="exit",
                measured_on=exited_on,
                value=program_wage,
            )

    # Engagement survey during the program.
    if survey_id is not None and len(path) >= 3 and rng.random() < 0.6:
        rows.add(
            "survey_responses",
            id=response_id,
            participant_id=pid,
            survey_id=survey_id,
            responded_on=path[2][1] + timedelta(days=45),
        )
        for question_id in question_ids:
            rows.add(
                "survey_answers",
                response_id=response_id,
                question_id=question_id,
                value=float(rng.choice((2, 3, 4, 4, 5, 5))),
            )

    # Follow-ups after exit.
    if exited_on is not None:
        for days in followup_days:
            due = exited_on + timedelta(days=days)
            followup_id = followup_base + followup_days.index(days)
            values: dict[str, Any] = dict(
                id=followup_id,
                participant_id=pid,
                enrollment_id=enrollment_id,
                days_after_exit=days,
                due_on=due,
                done_on=None,
                status="due",
                employed=None,
                employer=None,
                hourly_wage=None,
                on_public_benefits=None,
                notes=None,
            )
            if due <= DEMO_TODAY - timedelta(days=7) or (due <= DEMO_TODAY and rng.random() < 0.5):
                roll = rng.random()
                if roll < 0.72:
                    employed = rng.random() < 0.78
                    still = [b for b in entry_benefits if rng.random() < 0.5]
                    values.update(
                        status="done",
                        done_on=due + timedelta(days=rng.randint(0, 10)),
                        employed=employed,
                        employer=rng.choice(EMPLOYERS) if employed else None,
                        hourly_wage=round(program_wage + rng.uniform(0, 3), 2)
                        if employed
                        else None,
                        on_public_benefits=bool(still),
                    )
                    for benefit in still:
                        rows.add("followup_benefits", followup_id=followup_id, benefit=benefit)
                    if days == 365 and "annual_earnings" in measures and employed:
                        rows.add(
                            "measurements",
                            participant_id=pid,
                            measure_id=measures["annual_earnings"],
                            time_point="follow_up",
                            measured_on=values["done_on"],
                            value=round(program_wage * 35 * 50, 0),
                        )
                elif roll < 0.92:
                    values.update(status="unreachable", done_on=due + timedelta(days=14))
                else:
                    values.update(status="declined", done_on=due + timedelta(days=3))
                if values["done_on"] and values["done_on"] > DEMO_TODAY:
                    values["done_on"] = DEMO_TODAY
            rows.add("followups", **values)

    if rng.random() < 0.5:
        rows.add(
            "notes",
            participant_id=pid,
            noted_on=enrolled + timedelta(days=14),
            author="Demo",
            body=rng.choice(NOTE_TEXTS),
        )
