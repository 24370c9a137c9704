"""`tracker-desktop metrics`: JSON equal to the engine's own output, filters, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.conftest import PASSWORD
from tests.core.test_metrics import AS_OF, build
from tests.e2e.cli import run_cli
from tracker_desktop.core import metrics
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault


def engine_report(path: Path, **filters: object) -> dict[str, object]:
    with Vault.open(path, PASSWORD) as vault:
        dataset = metrics.load_dataset(Repository(vault), AS_OF)
    report = metrics.compute(dataset, metrics.Filters(as_of=AS_OF, **filters))  # type: ignore[arg-type]
    return json.loads(json.dumps(report.to_dict()))


def test_json_equals_engine_output(vault: Vault, repo: Repository) -> None:
    build(repo)
    path = vault.path
    vault.close()
    result = run_cli("metrics", "--vault", str(path), "--as-of", AS_OF.isoformat(), "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == engine_report(path)
    employment = printed["metrics"]["employment_rate"]
    # Ana and Eve (an undated job, counted from her enrollment) of Ana, Cara and Eve.
    assert (employment["value"], employment["numerator"], employment["denominator"]) == (
        2 / 3,
        2,
        3,
    )
    assert employment["unknown"] == 0
    assert printed["metrics"]["retention_90"]["value"] is None  # n/a -> null
    stats = printed["measures"]["stats"]
    programs = {s["program"] for s in stats}
    assert programs == {"All", "Pipeline", "Fellows"}
    assert {s["time_point"] for s in stats} == {"entry", "during", "exit", "follow_up"}
    assert all({"n", "mean", "median"} <= set(s) for s in stats)
    assert any(c["pct_improved"] == 0.5 for c in printed["measures"]["improved"])

    filtered = run_cli(
        "metrics",
        "--vault",
        str(path),
        "--as-of",
        AS_OF.isoformat(),
        "--program",
        "Pipeline",
        "--from",
        "2024-01-01",
        "--to",
        "2024-06-30",
        "--json",
    )
    assert filtered.returncode == 0, filtered.stderr
    expected = engine_report(
        path, program="Pipeline", date_from=date(2024, 1, 1), date_to=date(2024, 6, 30)
    )
    assert json.loads(filtered.stdout) == expected
    assert expected["metrics"]["participants_total"]["value"] == 2  # type: ignore[index]


def test_readable_table_and_errors(vault: Vault, repo: Repository) -> None:
    build(repo)
    path = vault.path
    vault.close()
    table = run_cli("metrics", "--vault", str(path), "--as-of", AS_OF.isoformat())
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    employment = next(line for line in lines if line.startswith("Employment rate"))
    assert "67%" in employment and "2 / 3" in employment and "75%" in employment
    assert any(line.startswith("Retention at 90 days") and "n/a" in line for line in lines)
    assert "Outcome measures" in table.stdout

    unknown = run_cli("metrics", "--vault", str(path), "--program", "Nope")
    assert unknown.returncode == 1
    assert "No program called 'Nope'" in unknown.stderr
    backwards = run_cli(
        "metrics", "--vault", str(path), "--from", "2025-01-01", "--to", "2024-01-01"
    )
    assert backwards.returncode == 1
    assert "--from must be on or before --to" in backwards.stderr
    wrong = run_cli("metrics", "--vault", str(path), password="wrong password")
    assert wrong.returncode == 2
