"""Unlock + main window ready at 10k and 100k participants, and peak memory at 100k.

    python -m bench.bench_open                  # 10k and 100k, 3 runs each
    python -m bench.bench_open --sizes 10000 --runs 1

Each measurement runs in a fresh child process (headless Qt), like a user starting the
app: from the password being accepted (``Vault.open``: key derivation, checks) through the
main window built, shown and its first screen (the participant list) filled, to an idle
event queue.  Peak memory is the child's peak resident set size (``ru_maxrss``) with
100k participants open, first on the participant list, then after visiting every screen.
Targets (DESIGN.md section 8): 1.5 s at 10k, 5 s at 100k, under 400 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/bench_open.py`

from bench.common import BENCH_PASSWORD, ROOT, demo_tracker, line

TARGET_S = {10_000: 1.5, 100_000: 5.0}
MEMORY_TARGET_MB = 400.0


def peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def child(path: Path, visit_all: bool) -> dict[str, Any]:
    """Runs in the child process: open the tracker like the app does, report JSON."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
    from tracker_desktop.core import backup_policy
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault
    from tracker_desktop.ui.app import make_application
    from tracker_desktop.ui.controller import AppController
    from tracker_desktop.ui.navigation import SCREENS
    from tracker_desktop.ui.tasks import TaskRunner

    app = make_application([])
    # The app writes a backup in the background when none is current; make it beforehand
    # so it neither competes with the measurement nor piles up copies of the cached file.
    with Vault.open(path, BENCH_PASSWORD) as vault:
        repo = Repository(vault, "Bench")
        if backup_policy.backup_due(repo, datetime.now()):
            backup_policy.back_up(repo)

    def settle() -> None:
        for _ in range(5):
            app.processEvents()
            TaskRunner.wait_for_all(120_000)
        app.processEvents()

    started = time.perf_counter()
    vault = Vault.open(path, BENCH_PASSWORD)
    controller = AppController(vault, "Bench")
    controller.window.show()
    settle()
    ready = time.perf_counter() - started
    result: dict[str, Any] = {"ready_s": ready, "rss_ready_mb": peak_rss_mb()}
    if visit_all:
        by_screen = {}
        for screen in SCREENS:
            controller.window.show_screen(screen.key)
            settle()
            by_screen[screen.label] = peak_rss_mb()
        result["rss_by_screen_mb"] = by_screen
        result["rss_all_screens_mb"] = peak_rss_mb()
    for name in ("pandas", "pyqtgraph"):
        result[f"{name}_loaded"] = name in sys.modules
    controller.window.close()
    settle()
    return result


def run_child(path: Path, visit_all: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.bench_open", "--child", str(path)]
    if visit_all:
        command.append("--visit-all")
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"child failed ({out.returncode}): {out.stderr[-1500:]}")
    last = [text for text in out.stdout.splitlines() if text.startswith("{")][-1]
    result: dict[str, Any] = json.loads(last)
    return result


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--visit-all", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.visit_all)))
        return {}

    results: dict[str, float] = {}
    for size in args.sizes:
        path = demo_tracker(size)
        label = f"{size // 1000}k"
        runs = [run_child(path, visit_all=False) for _ in range(args.runs)]
        ready = statistics.median(r["ready_s"] for r in runs)
        target = TARGET_S.get(size, 5.0)
        print(line(f"unlock + main window ready, {label}", ready, "s", "target", target))
        results[f"open_ready_{label}_s"] = ready
        if size == max(args.sizes):
            full = run_child(path, visit_all=True)
            print(
                line(
                    f"peak memory, {label} open (participant list)",
                    full["rss_ready_mb"],
                    "MB",
                    "target",
                    MEMORY_TARGET_MB,
                )
            )
            print(
                line(
                    f"peak memory, {label} open, every screen visited",
                    full["rss_all_screens_mb"],
                    "MB",
                    "target",
                    MEMORY_TARGET_MB,
                )
            )
            steps = ", ".join(f"{k} {v:.0f}" for k, v in full["rss_by_screen_mb"].items())
            print(f"  peak RSS (MB) after opening each screen in turn: {steps}")
            results[f"peak_rss_{label}_mb"] = full["rss_ready_mb"]
            results[f"peak_rss_{label}_all_screens_mb"] = full["rss_all_screens_mb"]
    return results


if __name__ == "__main__":
    main()
