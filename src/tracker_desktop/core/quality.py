"""Data-quality findings: required-field completeness, overdue follow-ups, duplicates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text

from tracker_desktop.core.repository import Repository

REQUIRED_FIELDS = ("first_name", "last_name", "enrolled_on", "program")


@dataclass
class QualityReport:
    participants: int
    complete: int
    overdue_followups: int
    duplicate_groups: list[list[str]] = field(default_factory=list)

    @property
    def completeness(self) -> float | None:
        return self.complete / self.participants if self.participants else None

    def lines(self) -> list[str]:
        share = "n/a" if self.completeness is None else f"{self.completeness:.0%}"
        out = [
            f"Participants: {self.participants}",
            f"Required fields complete: {share} ({self.complete} of {self.participants})",
            f"Overdue follow-ups: {self.overdue_followups}",
            f"Suspected duplicates: {len(self.duplicate_groups)} group(s)",
        ]
        out += [f"  - {', '.join(group)}" for group in self.duplicate_groups[:20]]
        return out


def data_quality(repo: Repository, as_of: date | None = None) -> QualityReport:
    today = as_of or date.today()
    with repo.reading() as conn:
        total = conn.execute(
            text("SELECT count(*) FROM participants WHERE archived_at IS NULL")
        ).scalar_one()
        complete = conn.execute(
            text(
                "SELECT count(*) FROM participants p WHERE p.archived_at IS NULL "
                "AND trim(coalesce(p.first_name,'')) <> '' "
                "AND trim(coalesce(p.last_name,'')) <> '' "
                "AND EXISTS (SELECT 1 FROM enrollments e WHERE e.participant_id = p.id "
                "AND e.enrolled_on IS NOT NULL AND trim(coalesce(e.program,'')) <> '')"
            )
        ).scalar_one()
        overdue = conn.execute(
            text(
                "SELECT count(*) FROM followups f JOIN participants p ON p.id = f.participant_id "
                "WHERE p.archived_at IS NULL AND f.status = 'due' AND f.due_on < :today"
            ),
            {"today": today.isoformat()},
        ).scalar_one()
        rows = conn.execute(
            text(
                "SELECT group_concat(p.participant_code, ', ') FROM participants p "
                "LEFT JOIN enrollments e ON e.participant_id = p.id "
                "WHERE p.archived_at IS NULL "
                "GROUP BY lower(trim(p.first_name)), lower(trim(p.last_name)), "
                "coalesce(p.date_of_birth, e.enrolled_on) HAVING count(DISTINCT p.id) > 1"
            )
        ).scalars()
        groups = [str(r).split(", ") for r in rows]
    return QualityReport(int(total), int(complete), int(overdue), groups)
