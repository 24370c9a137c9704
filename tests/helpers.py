"""Small test helpers shared by several test modules."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker_desktop.core.repository import Repository


def add_participant(
    repo: Repository,
    first: str = "Ana",
    last: str = "Garcia",
    program: str = "Pipeline",
    enrolled_on: date = date(2024, 1, 3),
    **extra: Any,
) -> int:
    """Insert one participant with an enrollment; returns the participant id."""
    with repo.transaction() as tx:
        pid = tx.insert(
            "participants",
            {
                "participant_code": tx.next_participant_code(),
                "first_name": first,
                "last_name": last,
                "created_at": tx.at,
                "updated_at": tx.at,
                **extra,
            },
        )
        tx.insert(
            "enrollments", {"participant_id": pid, "program": program, "enrolled_on": enrolled_on}
        )
    return pid
