"""bench/run_all.py: finds every bench script and reads back the figures they print."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import common, run_all


def test_figure_lines_round_trip_through_the_summary_parser() -> None:
    text = common.line("unlock + main window ready, 10k", 1.234, "s", "target", 1.5)
    assert text == "unlock + main window ready, 10k: 1.23 s (baseline: target 1.5 s, ratio 0.82x)"
    match = run_all.FIGURE.match(text)
    assert match is not None
    assert match["name"] == "unlock + main window ready, 10k"
    assert (match["value"], match["unit"], match["ratio"]) == ("1.23", "s", "0.82")
    assert match["baseline"] == "target 1.5 s"
    assert run_all.FIGURE.match("pandas loaded when the unlock window shows (dev): no") is None


def test_every_bench_script_is_discovered_and_has_a_main() -> None:
    found = run_all.discover()
    assert {"startup", "open"} <= set(found)
    for topic in found:
        source = (common.BENCH_DIR / f"bench_{topic}.py").read_text(encoding="utf-8")
        assert "def main(" in source, f"bench_{topic}.py has no main()"


def test_results_file_names_the_machine_and_missing_benchmarks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_all, "RESULTS", tmp_path / "results.md")
    outcome = run_all.Outcome(
        "open", seconds=2.0, output="x: 1 s (baseline: target 2 s, ratio 0.5x)"
    )
    outcome.figures.append(run_all.FIGURE.match(outcome.output).groupdict())  # type: ignore[union-attr]
    failed = run_all.Outcome("table", error="exit code 1: boom")
    text = run_all.write_results([outcome, failed], ["dashboard"], 3.0)
    assert text == (tmp_path / "results.md").read_text(encoding="utf-8")
    for key in ("CPU", "cores", "RAM", "OS", "Python"):
        assert f"| {key} |" in text
    assert "| x | 1 s | target 2 s | 0.5x |" in text
    assert "bench_dashboard.py is missing" in text
    assert "bench_table.py failed: exit code 1: boom" in text


def test_readme_table_is_replaced_between_the_markers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\nintro\n\n{run_all.README_START}\nold table\n{run_all.README_END}\n\nafter\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(run_all, "README", readme)
    outcome = run_all.Outcome("open", output="y: 2 MB (baseline: target 4 MB, ratio 0.5x)")
    outcome.figures.append(run_all.FIGURE.match(outcome.output).groupdict())  # type: ignore[union-attr]
    assert run_all.update_readme([outcome], 1.0)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nintro\n\n")
    assert text.endswith(f"{run_all.README_END}\n\nafter\n")
    assert "old table" not in text
    assert "| y | 2 MB | target 4 MB | 0.5x |" in text
    readme.write_text("no markers\n", encoding="utf-8")
    assert not run_all.update_readme([outcome], 1.0)
    assert readme.read_text(encoding="utf-8") == "no markers\n"
