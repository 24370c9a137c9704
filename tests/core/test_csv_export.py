"""The tracker CSV: UTF-8 with BOM, names in any script, formula text neutralised."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from tests.helpers import add_participant
from tracker_desktop.core import csv_export, workbook
from tracker_desktop.core.metrics import Filters
from tracker_desktop.core.repository import Repository

NAMES = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "José", "王芳", "محمد"]


@pytest.fixture
def rows(repo: Repository, tmp_path: Path) -> tuple[bytes, list[dict[str, str]]]:
    for i, name in enumerate(NAMES):
        add_participant(
            repo, first=name, last="Núñez", enrolled_on=date(2024, 1, 3 + i), phone="555-0101"
        )
    data = workbook.collect_export_data(repo, Filters(as_of=date(2026, 12, 1)))
    path = tmp_path / "tracker.csv"
    assert csv_export.write_tracker_csv(data, path) == len(NAMES)
    raw = path.read_bytes()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return raw, list(csv.DictReader(handle))


def test_utf8_with_bom_and_unicode_names(rows: tuple[bytes, list[dict[str, str]]]) -> None:
    raw, records = rows
    assert raw.startswith(b"\xef\xbb\xbf")
    firsts = {r["First Name"] for r in records}
    assert {"José", "王芳", "محمد"} <= firsts
    assert {r["Last Name"] for r in records} == {"Núñez"}


def test_formula_text_is_prefixed(rows: tuple[bytes, list[dict[str, str]]]) -> None:
    _raw, records = rows
    firsts = {r["First Name"] for r in records}
    for name in NAMES[:4]:
        assert name not in firsts
        assert "'" + name in firsts
    for record in records:
        for value in record.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_typed_values(rows: tuple[bytes, list[dict[str, str]]]) -> None:
    _raw, records = rows
    first = min(records, key=lambda r: r["Date of Enrollment"])
    assert first["Date of Enrollment"] == "2024-01-03"
    assert first["Programs Enrolled"] == "Pipeline"
    assert first["Status"] == "Active"
    assert first["Phone"] == "555-0101"


def test_deidentified_csv_drops_names_and_contacts(repo: Repository, tmp_path: Path) -> None:
    add_participant(repo, first="Canaryname", last="Zzyzx", phone="555-0199", email="c@x.org")
    data = workbook.collect_export_data(repo, Filters(), deidentified=True)
    path = tmp_path / "deid.csv"
    csv_export.write_tracker_csv(data, path)
    text = path.read_text(encoding="utf-8-sig")
    for secret in ("Canaryname", "Zzyzx", "555-0199", "c@x.org"):
        assert secret not in text
    assert "P-00001" in text


def test_safe_csv_text() -> None:
    assert csv_export.safe_csv_text("=1+1") == "'=1+1"
    assert csv_export.safe_csv_text("\t=x") == "'\t=x"
    assert csv_export.safe_csv_text("Ana") == "Ana"
