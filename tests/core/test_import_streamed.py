"""The one-shot import (importer.import_file): an .xlsx read in a forked child process
while the rows already read are checked and written must leave exactly what the
step-by-step path (prepare + run_import) leaves, on real files and encrypted trackers."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, SAMPLE_TRACKER
from tests.core.test_importer import write_xlsx
from tracker_desktop.core import forked_stream, importer, repository, schema
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault

TODAY = date(2026, 12, 3)
NOW = datetime(2026, 12, 3, 9, 30)
HEADER = ["First name", "Last name", "Program", "Date of enrollment", "Hourly wage", "Notes"]


@pytest.fixture(autouse=True)
def _clock_stands_still(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both ways must write the same timestamps too (audit rows hold them in their JSON).
    monkeypatch.setattr(repository, "_now", lambda: NOW)


def tracker_contents(repo: Repository) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ids included."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with repo.reading() as conn:
        for table in schema.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.c))
            out[table.name] = [tuple(r) for r in rows]
    return out


def both_ways(
    tmp_path: Path, path: Path, **kwargs: Any
) -> tuple[tuple[importer.ImportPreview, importer.ImportResult | None], ...]:
    """``path`` imported streamed and step by step into two new trackers; asserts that both
    wrote the same and said the same."""
    outcomes = []
    contents = []
    for streamed in (True, False):
        with Vault.create(tmp_path / f"streamed-{streamed}.tracker", PASSWORD) as vault:
            repo = Repository(vault, "Test Staff")
            preview, result = importer.import_file(
                path, repo, today=TODAY, streamed=streamed, **kwargs
            )
            outcomes.append((preview, result))
            contents.append(tracker_contents(repo))
    (streamed_preview, streamed_result), (plain_preview, plain_result) = outcomes
    assert contents[0] == contents[1]
    assert streamed_preview.summary_lines() == plain_preview.summary_lines()
    assert [p.line() for p in streamed_preview.problems()] == [
        p.line() for p in plain_preview.problems()
    ]
    assert (streamed_result is None) == (plain_result is None)
    if streamed_result is not None and plain_result is not None:
        assert streamed_result.line() == plain_result.line()
    return tuple(outcomes)


def sheet_rows(count: int, start: date = date(2024, 1, 1)) -> list[list[Any]]:
    return [
        [
            f"Name{i}",
            f"Family{i % 97}",
            "Pipeline" if i % 3 else "Fellows",
            datetime.combine(start + timedelta(days=i % 700), datetime.min.time()),
            14.5 + (i % 9) if i % 4 else None,
            None,
        ]
        for i in range(count)
    ]


def test_the_sample_tracker_streamed_gives_the_same_tracker(tmp_path: Path) -> None:
    (preview, result), _plain = both_ways(tmp_path, SAMPLE_TRACKER)
    assert result is not None and result.created == 4
    assert "Not imported: above the column names" in " ".join(p.message for p in preview.notices)


def test_many_chunks_with_duplicates_and_trailing_empty_rows(tmp_path: Path) -> None:
    rows = sheet_rows(2_300)
    rows[1_700] = list(rows[40])  # same name and enrollment date as row 42: a duplicate
    rows[900] = [None] * 6  # an empty row inside the data counts as empty
    rows += [[None] * 6] * 30  # formatted empty rows at the end are not rows at all
    path = write_xlsx(tmp_path / "big.xlsx", {"Tracker": [HEADER, *rows]})
    (preview, result), _plain = both_ways(tmp_path, path)
    assert result is not None
    assert preview.empty_rows == 1
    assert result.updated == 1 and result.created == 2_298
    assert [plan.row for plan in preview.duplicates] == [1_702]


def test_a_column_that_fills_in_only_after_the_first_rows(tmp_path: Path) -> None:
    # The first rows leave "Mentor" empty (suggested: skip, an empty column); the whole
    # sheet has mentors (a custom field), so the mapping is settled again from the whole
    # sheet, as prepare() would.
    rows = sheet_rows(1_400)
    for row in rows[1_000:]:
        row[5] = "Dee"
    path = write_xlsx(tmp_path / "late.xlsx", {"Tracker": [[*HEADER[:5], "Mentor"], *rows]})
    (preview, result), _plain = both_ways(tmp_path, path)
    assert result is not None and result.created == 1_400
    mentor = next(c for c in preview.profile.columns if c.header == "Mentor")
    assert mentor.target == "custom:Mentor"


def test_dates_that_prove_the_order_only_late_in_the_sheet(tmp_path: Path) -> None:
    rows = sheet_rows(1_200)
    for number, row in enumerate(rows):
        row[3] = f"3/{number % 12 + 1}/24"  # day/month or month/day: cannot tell ...
    rows[1_100][3] = "25/3/24"  # ... until row 1,102 shows day/month/year
    path = write_xlsx(tmp_path / "dmy.xlsx", {"Tracker": [HEADER, *rows]})
    (preview, result), _plain = both_ways(tmp_path, path)
    assert result is not None and preview.date_order == "DMY"


def test_a_second_import_merges_into_the_tracker_as_step_by_step(tmp_path: Path) -> None:
    contents = []
    for streamed in (True, False):
        with Vault.create(tmp_path / f"twice-{streamed}.tracker", PASSWORD) as vault:
            repo = Repository(vault, "Test Staff")
            for _ in range(2):  # the monthly re-import: every row merges into its record
                _preview, result = importer.import_file(
                    SAMPLE_TRACKER, repo, today=TODAY, streamed=streamed
                )
            assert result is not None and (result.created, result.updated) == (0, 4)
            assert repo.count("participants") == 4
            contents.append(tracker_contents(repo))
    assert contents[0] == contents[1]


def test_a_late_row_that_blocks_the_import_writes_nothing(tmp_path: Path) -> None:
    rows = sheet_rows(1_500)
    rows[1_300][4] = -3  # a negative wage
    path = write_xlsx(tmp_path / "bad.xlsx", {"Tracker": [HEADER, *rows]})
    (preview, result), _plain = both_ways(tmp_path, path)
    assert result is None
    assert [plan.row for plan in preview.rejected_rows] == [1_302]
    with Vault.open(tmp_path / "streamed-True.tracker", PASSWORD) as vault:
        repo = Repository(vault, "Test Staff")
        assert repo.count("participants") == 0
        assert repo.count("import_batches") == 0
        assert repo.count("audit_log") == 0
    # Leaving it out (--skip-rejected) imports the other 1,499, the same both ways.
    (_preview, result), _plain = both_ways(tmp_path / "skip", path, skip_invalid=True)
    assert result is not None and (result.created, result.skipped) == (1_499, 1)


def test_cancel_stops_the_reader_and_writes_nothing(tmp_path: Path, repo: Repository) -> None:
    path = write_xlsx(tmp_path / "many.xlsx", {"Tracker": [HEADER, *sheet_rows(3_000)]})
    seen: list[int] = []

    def progress(done: int, total: int, label: str) -> bool:
        seen.append(done)
        return done < 1_000  # Cancel once a thousand rows are in

    with pytest.raises(importer.ImportCancelledError):
        importer.import_file(path, repo, progress=progress, today=TODAY, streamed=True)
    assert seen and max(seen) >= 1_000
    assert repo.count("participants") == 0
    assert repo.count("import_batches") == 0
    assert not [t for t in threading.enumerate() if t.name == "forked-stream"]
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind, not even a zombie


def test_a_missing_sheet_says_the_same_as_the_plain_read(tmp_path: Path, repo: Repository) -> None:
    with pytest.raises(importer.ImportFileError, match="has no sheet called 'Nope'"):
        importer.import_file(SAMPLE_TRACKER, repo, sheet="Nope", streamed=True)


def test_a_reader_that_dies_falls_back_to_reading_here(
    tmp_path: Path, repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_parts = importer._xlsx_parts
    this_process = os.getpid()

    def dies_after_the_first_rows(path: Path, sheet: str | None, **options: Any) -> Any:
        parts = real_parts(path, sheet, **options)
        if os.getpid() == this_process:  # the read here, after the fallback
            yield from parts
            return
        yield next(parts)
        yield next(parts)
        os._exit(9)  # the reading process is killed mid-file

    monkeypatch.setattr(importer, "_xlsx_parts", dies_after_the_first_rows)
    path = write_xlsx(tmp_path / "big.xlsx", {"Tracker": [HEADER, *sheet_rows(1_600)]})
    _preview, result = importer.import_file(path, repo, today=TODAY, streamed=True)
    assert result is not None and result.created == 1_600
    assert repo.count("participants") == 1_600
    assert repo.count("import_batches") == 1


def test_forked_stream_passes_items_and_errors_through() -> None:
    def produce(count: int) -> Any:
        yield from range(count)
        raise importer.ImportFileError("the file ends in the middle of a row")

    got: list[int] = []
    with (
        forked_stream.ForkedStream(produce, 3) as stream,
        pytest.raises(importer.ImportFileError, match="ends in the middle"),
    ):
        got.extend(stream)
    assert got == [0, 1, 2]
    assert not [t for t in threading.enumerate() if t.name == "forked-stream"]


def test_rows_after_a_long_run_of_empty_rows_are_reported(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in sheet_rows(100):
        sheet.append(row)
    for number in range(102, 102 + importer.MAX_BLANK_RUN + 1):  # formatted, but empty
        sheet.cell(row=number, column=1).number_format = "0.00"
    for row in sheet_rows(50, start=date(2025, 1, 1)):
        sheet.append(row)
    path = tmp_path / "gap.xlsx"
    workbook.save(path)
    (preview, result), _plain = both_ways(tmp_path, path)
    assert result is not None and result.created == 100
    assert any(
        n.severity == "warning" and n.message.startswith("Reading stopped at row 10,102")
        for n in preview.notices
    ), [n.message for n in preview.notices]
