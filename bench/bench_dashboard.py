"""Dashboard recompute (DESIGN.md section 8): load the file + compute every metric.

    python -m bench.bench_dashboard                 # 10k and 100k demo participants
    python -m bench.bench_dashboard --sizes 10000

For each size (demo trackers from bench.common, built once and cached) it measures, as
the median of several runs after one warm-up:

* load: ``metrics.load_dataset(..., details=False)`` as the dashboard calls it (one read
  transaction, every table into pandas);
* compute: ``metrics.compute`` over all programs, and with a program filter (what a
  filter change on the dashboard costs: the snapshot is kept, only compute runs);
* after a save: one job saved on a copy of the file, then ``refresh_dataset`` (re-reads
  only the tables the audit log shows as changed) + compute, as the dashboard does;
* recompute: a filter change (compute on the kept snapshot) and after a save (refresh +
  compute), against the targets 0.3 s (10k) and 3 s (100k);
* first open of a session = load + compute, as wall time and as this process's CPU time
  (close to the wall time on an otherwise idle core), against the same targets.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import BENCH_PASSWORD, SIZES, demo_tracker, line, machine

TARGETS = {10_000: 0.3, 100_000: 3.0}
AS_OF = date(2026, 12, 1)  # the demo generator's "today"


def _label(size: int) -> str:
    return f"{size // 1000}k"


def measure(size: int, runs: int = 3) -> dict[str, float]:
    from tracker_desktop.core import metrics
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    path = demo_tracker(size)
    loads: list[float] = []
    computes: list[float] = []
    filtered: list[float] = []
    cpu: list[float] = []
    with Vault.open(path, BENCH_PASSWORD, migrate=False) as vault:
        repo = Repository(vault, "Bench")
        for attempt in range(runs + 1):
            cpu_started = time.process_time()
            started = time.perf_counter()
            dataset = metrics.load_dataset(repo, AS_OF, details=False)
            loaded = time.perf_counter()
            metrics.compute(dataset, metrics.Filters(as_of=AS_OF))
            computed = time.perf_counter()
            cpu_used = time.process_time() - cpu_started
            program = dataset.programs[0] if dataset.programs else None
            metrics.compute(dataset, metrics.Filters(program=program, as_of=AS_OF))
            done = time.perf_counter()
            if attempt == 0:
                continue  # warm-up: imports, first page reads
            loads.append(loaded - started)
            computes.append(computed - loaded)
            filtered.append(done - computed)
            cpu.append(cpu_used)
        # What opening the dashboard costs when the snapshot was read ahead after the
        # unlock (trackers up to ui.session.SNAPSHOT_KEEP_MAX participants).
        ahead: list[float] = []
        for _attempt in range(runs):
            started = time.perf_counter()
            fresh = metrics.refresh_dataset(repo, dataset, AS_OF)
            metrics.compute(fresh, metrics.Filters(as_of=AS_OF))
            ahead.append(time.perf_counter() - started)
    saved = _after_a_save(path, metrics, Repository, Vault)
    load = statistics.median(loads)
    compute = statistics.median(computes)
    return {
        "load_s": load,
        "compute_s": compute,
        "filter_change_s": statistics.median(filtered),
        "recompute_s": statistics.median(a + b for a, b in zip(loads, computes, strict=True)),
        "recompute_cpu_s": statistics.median(cpu),
        "after_save_s": saved,
        "read_ahead_open_s": statistics.median(ahead),
    }


def _after_a_save(path: Any, metrics: Any, repository: Any, vault_class: Any) -> float:
    """On a copy of the file: save one job, then refresh the snapshot + compute (what the
    dashboard does after a save: only the tables the audit log shows as changed)."""
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        copy = Path(folder) / "copy.tracker"
        shutil.copyfile(path, copy)
        with vault_class.open(copy, BENCH_PASSWORD, migrate=False) as vault:
            repo = repository(vault, "Bench")
            dataset = metrics.load_dataset(repo, AS_OF, details=False)
            times = []
            for attempt in range(3):
                with repo.transaction() as tx:
                    tx.insert(
                        "jobs",
                        {"participant_id": 1, "started_on": AS_OF, "hourly_wage": 20.0 + attempt},
                    )
                started = time.perf_counter()
                dataset = metrics.refresh_dataset(repo, dataset)
                metrics.compute(dataset, metrics.Filters(as_of=AS_OF))
                times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"machine": machine()}
    for size in args.sizes:
        figures = measure(size, args.runs)
        results[_label(size)] = figures
        target = TARGETS.get(size, 0.3 * size / 10_000)
        print(
            line(
                f"dashboard filter change (recompute on the kept snapshot), {_label(size)}",
                figures["filter_change_s"],
                "s",
                "target",
                target,
            ),
            flush=True,
        )
        print(
            line(
                f"dashboard recompute after a save (changed tables only), {_label(size)}",
                figures["after_save_s"],
                "s",
                "target",
                target,
            ),
            flush=True,
        )
        if size <= 30_000:  # ui.session.SNAPSHOT_KEEP_MAX (not imported: no Qt here)
            print(
                line(
                    f"dashboard first open, snapshot read ahead after unlock, {_label(size)}",
                    figures["read_ahead_open_s"],
                    "s",
                    "target",
                    target,
                ),
                flush=True,
            )
        # Not a recompute: the first visit of a session decrypts and reads the whole file.
        name = f"dashboard first open of a session (read the whole file + compute), {_label(size)}"
        print(line(name, figures["recompute_s"], "s", "target", target), flush=True)
        print(
            f"  load {figures['load_s']:.3f} s, compute (all programs) "
            f"{figures['compute_s']:.3f} s, recompute CPU time {figures['recompute_cpu_s']:.3f} s "
            f"(wall time suffers when other processes share the cores; CPU time does not)",
            flush=True,
        )
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results["peak_rss_mb"] = peak
        print(f"  peak memory of this process: {peak:.0f} MB", flush=True)
    except ImportError:  # Windows
        pass
    return results


if __name__ == "__main__":
    main()
