"""Shared helpers for the bench_*.py scripts: cached demo trackers and result lines.

    from bench.common import BENCH_PASSWORD, demo_tracker, line
    path = demo_tracker(10_000)         # bench/.cache/demo-10000.tracker, built once
    print(line("dashboard recompute, 10k", 0.21, "s", "target", 0.3))

Demo trackers are deterministic (seed 42) and cached under bench/.cache/ (gitignored),
named after a hash of core/demo.py and core/schema.py so a changed generator rebuilds them;
delete the folder to reclaim the space.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
CACHE = Path(os.environ.get("TRACKER_BENCH_CACHE", BENCH_DIR / ".cache"))
BENCH_PASSWORD = "bench-password"
SIZES = (10_000, 100_000)


def demo_tracker(participants: int, *, quiet: bool = False) -> Path:
    """A demo tracker with ``participants`` participants (password BENCH_PASSWORD)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"demo-{participants}-{generator_version()}.tracker"
    if path.exists():
        return path
    partial = CACHE / f".partial-demo-{participants}-{os.getpid()}.tracker"
    partial.unlink(missing_ok=True)
    if not quiet:
        print(f"(creating {path.name}: {participants:,} demo participants, once)", flush=True)
    started = time.perf_counter()
    from tracker_desktop.core import demo
    from tracker_desktop.core.repository import Repository
    from tracker_desktop.core.vault import Vault

    with Vault.create(partial, BENCH_PASSWORD) as vault:
        demo.generate(Repository(vault, "Bench"), participants)
    os.replace(partial, path)  # atomic: a parallel run never sees half a file
    if not quiet:
        print(f"(created in {time.perf_counter() - started:.0f} s)", flush=True)
    return path


def generator_version() -> str:
    """Short hash of the demo generator and the schema: a changed generator means new
    cached trackers (the old ones are simply no longer used)."""
    import hashlib

    core = ROOT / "src" / "tracker_desktop" / "core"
    digest = hashlib.sha256()
    for name in ("demo.py", "schema.py"):
        digest.update((core / name).read_bytes())
    return digest.hexdigest()[:8]


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("inf")


def line(name: str, value: float, unit: str, baseline_label: str, baseline: float) -> str:
    """``name: value unit (baseline: label baseline unit, ratio r x)``."""
    return (
        f"{name}: {value:.3g} {unit} (baseline: {baseline_label} {baseline:.3g} {unit}, "
        f"ratio {ratio(value, baseline):.2f}x)"
    )


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True
            )
            if out.stdout.strip():
                return out.stdout.strip()
        except OSError:
            pass
    return platform.processor() or platform.machine()


def ram_gb() -> float:
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal:"):
                return int(text.split()[1]) / 1024 / 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (ValueError, OSError, AttributeError):
        return 0.0


def machine() -> dict[str, str]:
    return {
        "CPU": cpu_model(),
        "cores": str(os.cpu_count() or "?"),
        "RAM": f"{ram_gb():.1f} GB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
    }
