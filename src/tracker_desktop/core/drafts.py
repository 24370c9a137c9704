"""Edits in progress kept across a lock, stored encrypted inside the tracker file.

When the tracker locks (Ctrl+L or idle), each screen hands over its unsaved edit as
JSON-able data.  It is written to the ``settings`` table under ``draft:<staff>`` - inside
the encrypted file, never beside it - and offered back to the same staff member after the
next unlock.  A draft is not a change to the records, so it writes no audit row.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select

from tracker_desktop.core import schema
from tracker_desktop.core.vault import Vault

DRAFT_PREFIX = "draft:"


def draft_key(staff: str) -> str:
    return f"{DRAFT_PREFIX}{staff}"


def save_drafts(vault: Vault, staff: str, pages: dict[str, Any]) -> None:
    """Keep ``pages`` ({page key: draft state}) for ``staff``; an empty dict removes them."""
    key = draft_key(staff)
    settings = schema.settings
    with vault.write() as conn:
        conn.execute(delete(settings).where(settings.c.key == key))
        if pages:
            payload = {"saved_at": datetime.now().isoformat(timespec="seconds"), "pages": pages}
            conn.execute(
                insert(settings).values(
                    key=key, value=json.dumps(payload, ensure_ascii=False, default=str)
                )
            )


def load_drafts(vault: Vault, staff: str) -> dict[str, Any] | None:
    """``{"saved_at": iso time, "pages": {page key: state}}`` or None when nothing is kept."""
    settings = schema.settings
    with vault.read() as conn:
        raw = conn.execute(
            select(settings.c.value).where(settings.c.key == draft_key(staff))
        ).scalar()
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not payload.get("pages"):
        return None
    return payload


def discard_drafts(vault: Vault, staff: str) -> None:
    save_drafts(vault, staff, {})
