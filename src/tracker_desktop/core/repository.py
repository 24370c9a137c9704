"""Reads and writes.  Every write is one transaction that also writes its audit rows.

Use :meth:`Repository.transaction` to group several writes (a whole participant form, an
import batch) into one all-or-nothing unit; the single-call helpers open their own.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update

from tracker_desktop.core import schema
from tracker_desktop.core.records import AuditEntry
from tracker_desktop.core.vault import Vault

Row = dict[str, Any]

_TABLES: dict[str, Table] = dict(schema.metadata.tables)


def table_named(name: str) -> Table:
    try:
        return _TABLES[name]
    except KeyError:
        raise ValueError(f"Unknown table {name!r}") from None


def _audit_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


# Every saved change writes an audit row, so the audit log is the tracker's change feed: a
# reader remembers the newest row it saw and later asks what was saved since (the
# dashboard's snapshot refresh, an import checking its preview is still current).
def audit_high_water(raw: Any) -> int:
    """The newest audit row's id (0 for none), on a DB-API connection."""
    return int(raw.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])


def changes_since(raw: Any, audit_id: int) -> list[tuple[str, str, str | None]]:
    """Each (table, action, field) saved after audit row ``audit_id``, once."""
    return list(
        raw.execute(
            "SELECT DISTINCT table_name, action, field FROM audit_log WHERE id > ?", (audit_id,)
        ).fetchall()
    )


class RecordNotFoundError(LookupError):
    pass


class Writer:
    """Writes inside one open transaction, auditing each change."""

    def __init__(
        self,
        conn: Connection,
        staff: str | None,
        reason: str | None = None,
        import_batch_id: int | None = None,
    ) -> None:
        self.conn = conn
        self.staff = staff
        self.reason = reason
        self.import_batch_id = import_batch_id
        self.at = _now()

    # -- audit ---------------------------------------------------------------------------
    def audit(
        self,
        action: str,
        table: str,
        row_id: int | None,
        participant_id: int | None,
        field: str | None = None,
        old: object = None,
        new: object = None,
        reason: str | None = None,
    ) -> None:
        self.conn.execute(
            insert(schema.audit_log).values(
                at=self.at,
                staff=self.staff,
                action=action,
                table_name=table,
                row_id=row_id,
                participant_id=participant_id,
                field=field,
                old_value=_audit_text(old),
                new_value=_audit_text(new),
                reason=reason or self.reason,
                import_batch_id=self.import_batch_id,
            )
        )

    @staticmethod
    def _participant_of(table: Table, row_id: int | None, values: Mapping[str, Any]) -> int | None:
        if table is schema.participants:
            return row_id
        pid = values.get("participant_id")
        return int(pid) if pid is not None else None

    # -- generic CRUD ----------------------------------------------------------------------
    def insert(self, table: Table | str, values: Mapping[str, Any]) -> int:
        table = table_named(table) if isinstance(table, str) else table
        result = self.conn.execute(insert(table).values(**values))
        row_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        row_id = int(row_id) if row_id is not None else None
        summary = {k: _audit_text(v) for k, v in values.items() if v is not None}
        self.audit(
            "insert",
            table.name,
            row_id,
            self._participant_of(table, row_id, values),
            new=json.dumps(summary, ensure_ascii=False),
        )
        return row_id or 0

    def get(self, table: Table | str, row_id: int) -> Row:
        table = table_named(table) if isinstance(table, str) else table
        row = self.conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
        if row is None:
            raise RecordNotFoundError(f"{table.name} #{row_id} does not exist")
        return dict(row)

    def update(self, table: Table | str, row_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
        """Write only the fields that changed; return them as ``{field: (old, new)}``."""
        table = table_named(table) if isinstance(table, str) else table
        current = self.get(table, row_id)
        changed = {
            key: (current.get(key), value)
            for key, value in values.items()
            if key in table.c and current.get(key) != value
        }
        if not changed:
            return {}
        self.conn.execute(
            update(table)
            .where(table.c.id == row_id)
            .values(**{key: new for key, (_old, new) in changed.items()})
        )
        participant_id = self._participant_of(table, row_id, current)
        for key, (old, new) in changed.items():
            self.audit("update", table.name, row_id, participant_id, key, old, new)
        return changed

    def delete(self, table: Table | str, row_id: int) -> Row:
        table = table_named(table) if isinstance(table, str) else table
        current = self.get(table, row_id)
        self.conn.execute(delete(table).where(table.c.id == row_id))
        summary = {k: _audit_text(v) for k, v in current.items() if v is not None}
        self.audit(
            "delete",
            table.name,
            row_id,
            self._participant_of(table, row_id, current),
            old=json.dumps(summary, ensure_ascii=False),
        )
        return current

    def replace_children(
        self,
        table: Table | str,
        participant_id: int,
        rows: Iterable[Mapping[str, Any]],
    ) -> None:
        """Make the child rows of a participant equal to ``rows``: rows with an ``id`` are
        updated, rows without are inserted, existing rows not listed are deleted."""
        table = table_named(table) if isinstance(table, str) else table
        wanted = [dict(r) for r in rows]
        existing_ids = {
            int(r[0])
            for r in self.conn.execute(
                select(table.c.id).where(table.c.participant_id == participant_id)
            )
        }
        kept = set()
        for row in wanted:
            row["participant_id"] = participant_id
            row_id = row.pop("id", None)
            if row_id is not None and int(row_id) in existing_ids:
                kept.add(int(row_id))
                self.update(table, int(row_id), row)
            else:
                self.insert(table, row)
        for row_id in sorted(existing_ids - kept):
            self.delete(table, row_id)

    # -- settings ------------------------------------------------------------------------
    def set_setting(self, key: str, value: object) -> None:
        encoded = json.dumps(value, ensure_ascii=False)
        old = self.conn.execute(
            select(schema.settings.c.value).where(schema.settings.c.key == key)
        ).scalar()
        if old == encoded:
            return
        if old is None:
            self.conn.execute(insert(schema.settings).values(key=key, value=encoded))
        else:
            self.conn.execute(
                update(schema.settings).where(schema.settings.c.key == key).values(value=encoded)
            )
        self.audit("update", "settings", None, None, key, old, encoded)

    def next_participant_code(self) -> str:
        prefix = str(self.setting("participant_code_prefix", "P-"))
        codes = self.conn.execute(
            select(schema.participants.c.participant_code).where(
                schema.participants.c.participant_code.like(f"{prefix}%")
            )
        ).scalars()
        highest = 0
        for code in codes:
            tail = code[len(prefix) :]
            if tail.isdigit():
                highest = max(highest, int(tail))
        return f"{prefix}{highest + 1:05d}"

    def setting(self, key: str, default: object = None) -> Any:
        raw = self.conn.execute(
            select(schema.settings.c.value).where(schema.settings.c.key == key)
        ).scalar()
        return default if raw is None else json.loads(raw)


class Repository:
    """The app's one way in and out of an unlocked vault, on behalf of one staff member."""

    def __init__(self, vault: Vault, staff: str | None = None) -> None:
        self.vault = vault
        self.staff = staff

    @contextlib.contextmanager
    def transaction(
        self, reason: str | None = None, import_batch_id: int | None = None
    ) -> Iterator[Writer]:
        with self.vault.write() as conn:
            yield Writer(conn, self.staff, reason, import_batch_id)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.vault.read() as conn:
            yield conn

    # -- single-call writes ---------------------------------------------------------------
    def insert(self, table: Table | str, values: Mapping[str, Any]) -> int:
        with self.transaction() as tx:
            return tx.insert(table, values)

    def update(self, table: Table | str, row_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
        with self.transaction() as tx:
            return tx.update(table, row_id, values)

    def delete(self, table: Table | str, row_id: int) -> Row:
        with self.transaction() as tx:
            return tx.delete(table, row_id)

    def set_setting(self, key: str, value: object) -> None:
        with self.transaction() as tx:
            tx.set_setting(key, value)

    # -- reads ------------------------------------------------------------------------------
    def get(self, table: Table | str, row_id: int) -> Row:
        with self.vault.read() as conn:
            return Writer(conn, None).get(table, row_id)

    def rows(
        self,
        table: Table | str,
        participant_id: int | None = None,
        order_by: str | None = None,
    ) -> list[Row]:
        table = table_named(table) if isinstance(table, str) else table
        query = select(table)
        if participant_id is not None:
            query = query.where(table.c.participant_id == participant_id)
        query = query.order_by(table.c[order_by] if order_by else next(iter(table.primary_key)))
        with self.vault.read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def count(self, table: Table | str) -> int:
        table = table_named(table) if isinstance(table, str) else table
        with self.vault.read() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def setting(self, key: str, default: object = None) -> Any:
        with self.vault.read() as conn:
            return Writer(conn, None).setting(key, default)

    def options(self, list_name: str, include_inactive: bool = False) -> list[str]:
        items = schema.option_items
        query = select(items.c.value).where(items.c.list_name == list_name)
        if not include_inactive:
            query = query.where(items.c.active.is_(True))
        with self.vault.read() as conn:
            return list(conn.execute(query.order_by(items.c.position, items.c.id)).scalars())

    def staff_names(self) -> list[str]:
        with self.vault.read() as conn:
            return list(
                conn.execute(
                    select(schema.staff.c.name)
                    .where(schema.staff.c.active.is_(True))
                    .order_by(schema.staff.c.name)
                ).scalars()
            )

    def stages(self) -> list[Row]:
        return self.rows(schema.stages, order_by="position")

    def audit_entries(
        self,
        participant_id: int | None = None,
        staff: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 5000,
    ) -> list[AuditEntry]:
        log = schema.audit_log
        query = select(log).order_by(log.c.id.desc()).limit(limit)
        if participant_id is not None:
            query = query.where(log.c.participant_id == participant_id)
        if staff:
            query = query.where(log.c.staff == staff)
        if since is not None:
            query = query.where(log.c.at >= since)
        if until is not None:
            query = query.where(log.c.at <= until)
        with self.vault.read() as conn:
            return [
                AuditEntry(
                    at=r["at"].isoformat(sep=" "),
                    staff=r["staff"],
                    action=r["action"],
                    table_name=r["table_name"],
                    row_id=r["row_id"],
                    participant_id=r["participant_id"],
                    field=r["field"],
                    old_value=r["old_value"],
                    new_value=r["new_value"],
                    reason=r["reason"],
                )
                for r in conn.execute(query).mappings()
            ]
