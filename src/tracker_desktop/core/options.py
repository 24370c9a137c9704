"""Option lists (the dropdowns), custom fields and the staff list, as edited in Settings.

Renaming an option rewrites every record that uses the old value (one transaction, one
audit row per changed record).  Deleting an option that records still use is refused with
a message saying how many use it; it can be renamed or marked inactive instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text, update

from tracker_desktop.core import schema
from tracker_desktop.core.repository import Repository, Writer

# list name -> (label shown in Settings, what it is used for)
OPTION_LISTS: dict[str, tuple[str, str]] = {
    "programs": ("Programs", "Programs a participant can enroll in"),
    "stages": ("Stages", "Journey stages, in order (details under Journey settings)"),
    "certifications": ("Certifications", "Certifications participants earn"),
    "degrees": ("Degrees", "Degrees and diplomas"),
    "benefits": ("Public benefits", "Public benefits received at entry and at follow-ups"),
    "barrier_types": ("Legal barrier types", "Kinds of legal barriers"),
    "barrier_statuses": ("Legal barrier statuses", "Where a legal barrier stands"),
    "exit_reasons": ("Exit reasons", "Why a participant left the program"),
    "housing_statuses": ("Housing statuses", "Housing situation at entry"),
    "age_ranges": ("Age ranges", "Used when the date of birth is not known"),
    "education_levels": ("Education at entry", "Highest education at entry"),
    "promotion_titles": ("Promotion titles", "Titles of promotions"),
}

# list name -> (table, column, extra condition, participant id expression)
_USAGE: dict[str, tuple[tuple[str, str, str | None, str], ...]] = {
    "programs": (("enrollments", "program", None, "participant_id"),),
    "stages": (
        ("stage_history", "stage", None, "participant_id"),
        ("assessments", "stage", None, "participant_id"),
        ("weekly_hours", "stage", None, "participant_id"),
    ),
    "certifications": (("credentials", "name", "kind = 'certification'", "participant_id"),),
    "degrees": (("credentials", "name", "kind = 'degree'", "participant_id"),),
    "benefits": (
        ("participant_benefits", "benefit", None, "participant_id"),
        (
            "followup_benefits",
            "benefit",
            None,
            "(SELECT f.participant_id FROM followups f WHERE f.id = followup_id)",
        ),
    ),
    "barrier_types": (("legal_barriers", "barrier_type", None, "participant_id"),),
    "barrier_statuses": (("legal_barriers", "status", None, "participant_id"),),
    "exit_reasons": (("enrollments", "exit_reason", None, "participant_id"),),
    "housing_statuses": (("participants", "housing_status", None, "id"),),
    "age_ranges": (("participants", "age_range", None, "id"),),
    "education_levels": (("participants", "education_at_entry", None, "id"),),
    "promotion_titles": (("promotions", "title", None, "participant_id"),),
}

_TABLE_WORDS = {
    "enrollments": "enrollment",
    "stage_history": "stage record",
    "assessments": "assessment",
    "weekly_hours": "week of hours",
    "credentials": "credential",
    "participant_benefits": "participant",
    "followup_benefits": "follow-up",
    "legal_barriers": "legal barrier",
    "participants": "participant",
    "promotions": "promotion",
    "custom_values": "participant",
}

FIELD_TYPES: dict[str, str] = {
    "text": "Text",
    "number": "Number",
    "date": "Date",
    "yesno": "Yes / no",
    "choice": "Choice from a list",
}


class OptionError(ValueError):
    """A change to an option list or custom field that cannot be made; says why."""


class OptionInUseError(OptionError):
    pass


@dataclass(frozen=True)
class CustomField:
    id: int
    key: str
    label: str
    field_type: str
    choices: list[str]
    position: int
    active: bool


def _check_list(list_name: str) -> None:
    if list_name not in OPTION_LISTS:
        raise OptionError(f"There is no option list called {list_name!r}")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- option lists -----------------------------------------------------------------------
def list_options(repo: Repository, list_name: str, include_inactive: bool = True) -> list[str]:
    _check_list(list_name)
    if list_name == "stages":
        return [str(s["name"]) for s in repo.stages()]
    return repo.options(list_name, include_inactive=include_inactive)


def inactive_options(repo: Repository, list_name: str) -> set[str]:
    if list_name == "stages":
        return set()
    items = schema.option_items
    with repo.reading() as conn:
        return set(
            conn.execute(
                select(items.c.value).where(
                    items.c.list_name == list_name, items.c.active.is_(False)
                )
            ).scalars()
        )


def _usage_in(conn: Any, list_name: str, value: str) -> list[tuple[str, int]]:
    found = []
    for table, column, condition, _pid in _USAGE.get(list_name, ()):
        where = f"{column} = :value" + (f" AND {condition}" if condition else "")
        count = int(
            conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE {where}"), {"value": value}
            ).scalar_one()
        )
        if count:
            found.append((table, count))
    return found


def option_usage(repo: Repository, list_name: str, value: str) -> int:
    """How many records use ``value`` of ``list_name``."""
    _check_list(list_name)
    with repo.reading() as conn:
        return sum(count for _table, count in _usage_in(conn, list_name, value))


def add_option(repo: Repository, list_name: str, value: str) -> None:
    _check_list(list_name)
    value = value.strip()
    if not value:
        raise OptionError("Type the new value first")
    if value in list_options(repo, list_name):
        raise OptionError(f"{value!r} is already in {OPTION_LISTS[list_name][0]}")
    with repo.transaction() as tx:
        if list_name == "stages":
            position = tx.conn.execute(select(func.max(schema.stages.c.position))).scalar()
            tx.insert(
                schema.stages,
                {"name": value, "position": int(position or 0) + 1, "trigger": "manual"},
            )
            return
        items = schema.option_items
        position = tx.conn.execute(
            select(func.max(items.c.position)).where(items.c.list_name == list_name)
        ).scalar()
        tx.insert(
            items,
            {
                "list_name": list_name,
                "value": value,
                "position": int(position if position is not None else -1) + 1,
                "active": True,
            },
        )


def _item_id(tx: Writer, list_name: str, value: str) -> int:
    if list_name == "stages":
        table = schema.stages
        row = tx.conn.execute(select(table.c.id).where(table.c.name == value)).scalar()
    else:
        items = schema.option_items
        row = tx.conn.execute(
            select(items.c.id).where(items.c.list_name == list_name, items.c.value == value)
        ).scalar()
    if row is None:
        raise OptionError(f"{value!r} is not in {OPTION_LISTS[list_name][0]}")
    return int(row)


def rename_option(repo: Repository, list_name: str, old: str, new: str) -> int:
    """Rename ``old`` to ``new`` in the list and in every record; returns records changed."""
    _check_list(list_name)
    new = new.strip()
    if not new:
        raise OptionError("The new name cannot be empty")
    if new == old:
        return 0
    if new in list_options(repo, list_name):
        raise OptionError(
            f"{new!r} is already in {OPTION_LISTS[list_name][0]}: choose another name"
        )
    with repo.transaction(reason=f"renamed option {old!r} to {new!r}") as tx:
        item_id = _item_id(tx, list_name, old)
        if list_name == "stages":
            tx.update(schema.stages, item_id, {"name": new})
        else:
            tx.update(schema.option_items, item_id, {"value": new})
        changed = rename_in_records(tx, list_name, old, new)
        if list_name == "programs":
            _rename_in_program_settings(tx, old, new)
    return changed


def rename_in_records(tx: Writer, list_name: str, old: str, new: str) -> int:
    """Rename a value in every record column that holds it (one audit row per record).

    Set-based SQL, so renaming a program used by 100k enrollments stays quick."""
    changed = 0
    params = {"old": old, "new": new, "at": tx.at, "staff": tx.staff, "reason": tx.reason}
    for table, column, condition, pid in _USAGE.get(list_name, ()):
        where = f"{column} = :old" + (f" AND {condition}" if condition else "")
        tx.conn.execute(
            text(
                "INSERT INTO audit_log(at, staff, action, table_name, row_id, participant_id,"
                " field, old_value, new_value, reason) "
                f"SELECT :at, :staff, 'update', '{table}', id, {pid}, '{column}', :old, :new,"
                f" :reason FROM {table} WHERE {where}"
            ),
            params,
        )
        result = tx.conn.execute(text(f"UPDATE {table} SET {column} = :new WHERE {where}"), params)
        changed += int(result.rowcount or 0)
    return changed


def _rename_in_program_settings(tx: Writer, old: str, new: str) -> None:
    """Settings that name programs (none by default) follow a rename too."""
    for key in ("default_program",):
        if tx.setting(key) == old:
            tx.set_setting(key, new)


def delete_option(repo: Repository, list_name: str, value: str) -> None:
    """Remove ``value`` from the list; refused (OptionInUseError) while records use it."""
    _check_list(list_name)
    with repo.transaction(reason=f"removed option {value!r}") as tx:
        used = _usage_in(tx.conn, list_name, value)
        if used:
            where = ", ".join(_plural(n, _TABLE_WORDS.get(t, "record")) for t, n in used)
            raise OptionInUseError(
                f"{value!r} cannot be removed: it is used by {where}. Rename it, or mark it "
                "inactive so it is no longer offered."
            )
        item_id = _item_id(tx, list_name, value)
        tx.delete(schema.stages if list_name == "stages" else schema.option_items, item_id)


def set_option_active(repo: Repository, list_name: str, value: str, active: bool) -> None:
    _check_list(list_name)
    if list_name == "stages":
        raise OptionError("Stages cannot be made inactive; rename or remove unused ones")
    with repo.transaction() as tx:
        tx.update(schema.option_items, _item_id(tx, list_name, value), {"active": active})


def move_option(repo: Repository, list_name: str, value: str, offset: int) -> None:
    """Move ``value`` up (offset -1) or down (+1) in its list."""
    values = list_options(repo, list_name)
    if value not in values:
        raise OptionError(f"{value!r} is not in {OPTION_LISTS[list_name][0]}")
    index = values.index(value)
    target = max(0, min(len(values) - 1, index + offset))
    if target == index:
        return
    values.insert(target, values.pop(index))
    with repo.transaction() as tx:
        for position, name in enumerate(values):
            table = schema.stages if list_name == "stages" else schema.option_items
            tx.update(table, _item_id(tx, list_name, name), {"position": position})


# --- custom fields ----------------------------------------------------------------------
def custom_fields(repo: Repository, include_inactive: bool = False) -> list[CustomField]:
    table = schema.custom_fields
    query = select(table).order_by(table.c.position, table.c.id)
    if not include_inactive:
        query = query.where(table.c.active.is_(True))
    with repo.reading() as conn:
        return [
            CustomField(
                id=int(r["id"]),
                key=str(r["key"]),
                label=str(r["label"]),
                field_type=str(r["field_type"]),
                choices=list(json.loads(r["choices"])) if r["choices"] else [],
                position=int(r["position"] or 0),
                active=bool(r["active"]),
            )
            for r in conn.execute(query).mappings()
        ]


def _slug(label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return slug or "field"


def add_custom_field(
    repo: Repository, label: str, field_type: str, choices: list[str] | None = None
) -> int:
    label = label.strip()
    if not label:
        raise OptionError("Give the field a name")
    if field_type not in FIELD_TYPES:
        raise OptionError(f"Unknown field type {field_type!r}")
    clean = [c.strip() for c in (choices or []) if c.strip()]
    if field_type == "choice" and not clean:
        raise OptionError("A choice field needs at least one choice (one per line)")
    existing = custom_fields(repo, include_inactive=True)
    if any(f.label.lower() == label.lower() for f in existing):
        raise OptionError(f"There is already a custom field called {label!r}")
    keys = {f.key for f in existing}
    key = base = _slug(label)
    number = 2
    while key in keys:
        key = f"{base}_{number}"
        number += 1
    with repo.transaction() as tx:
        return tx.insert(
            schema.custom_fields,
            {
                "key": key,
                "label": label,
                "field_type": field_type,
                "choices": json.dumps(clean, ensure_ascii=False) if clean else None,
                "position": max((f.position for f in existing), default=-1) + 1,
                "active": True,
            },
        )


def update_custom_field(
    repo: Repository,
    field_id: int,
    *,
    label: str | None = None,
    choices: list[str] | None = None,
    active: bool | None = None,
) -> None:
    values: dict[str, Any] = {}
    if label is not None:
        if not label.strip():
            raise OptionError("Give the field a name")
        values["label"] = label.strip()
    if choices is not None:
        values["choices"] = json.dumps([c.strip() for c in choices if c.strip()])
    if active is not None:
        values["active"] = active
    with repo.transaction() as tx:
        tx.update(schema.custom_fields, field_id, values)


def custom_field_usage(repo: Repository, field_id: int) -> int:
    values = schema.custom_values
    with repo.reading() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(values)
                .where(values.c.field_id == field_id, values.c.value.is_not(None))
            ).scalar_one()
        )


def delete_custom_field(repo: Repository, field_id: int) -> None:
    """Remove a custom field; refused while participants have a value in it."""
    used = custom_field_usage(repo, field_id)
    if used:
        raise OptionInUseError(
            f"This field cannot be removed: {_plural(used, 'participant')} "
            f"{'has' if used == 1 else 'have'} a value in it. Mark it inactive to hide it."
        )
    with repo.transaction() as tx:
        tx.conn.execute(
            schema.custom_values.delete().where(schema.custom_values.c.field_id == field_id)
        )
        tx.delete(schema.custom_fields, field_id)


def rename_custom_choice(repo: Repository, field_id: int, old: str, new: str) -> int:
    """Rename a choice of a choice field, in the field and in every participant's value."""
    new = new.strip()
    field = next((f for f in custom_fields(repo, True) if f.id == field_id), None)
    if field is None:
        raise OptionError("That custom field no longer exists")
    if not new or new in field.choices:
        raise OptionError(f"{new!r} is empty or already a choice")
    choices = [new if c == old else c for c in field.choices]
    values = schema.custom_values
    with repo.transaction(reason=f"renamed choice {old!r} to {new!r}") as tx:
        tx.update(schema.custom_fields, field_id, {"choices": json.dumps(choices)})
        pids = list(
            tx.conn.execute(
                select(values.c.participant_id).where(
                    values.c.field_id == field_id, values.c.value == old
                )
            ).scalars()
        )
        for pid in pids:
            tx.audit("update", "custom_values", field_id, int(pid), field.key, old, new)
        tx.conn.execute(
            update(values)
            .where(values.c.field_id == field_id, values.c.value == old)
            .values(value=new)
        )
    return len(pids)


# --- staff ------------------------------------------------------------------------------
def staff_list(repo: Repository) -> list[tuple[str, bool]]:
    table = schema.staff
    with repo.reading() as conn:
        return [
            (str(r.name), bool(r.active))
            for r in conn.execute(select(table.c.name, table.c.active).order_by(table.c.name))
        ]


def add_staff(repo: Repository, name: str) -> None:
    name = name.strip()
    if not name:
        raise OptionError("Type the staff member's name")
    if name in {n for n, _active in staff_list(repo)}:
        raise OptionError(f"{name!r} is already on the staff list")
    with repo.transaction() as tx:
        tx.conn.execute(insert(schema.staff).values(name=name, active=True))
        tx.audit("insert", "staff", None, None, "name", None, name)


def set_staff_active(repo: Repository, name: str, active: bool) -> None:
    with repo.transaction() as tx:
        row = tx.conn.execute(select(schema.staff.c.id).where(schema.staff.c.name == name)).scalar()
        if row is None:
            raise OptionError(f"{name!r} is not on the staff list")
        tx.update(schema.staff, int(row), {"active": active})
