"""Fast start (DESIGN.md section 8): the unlock window against a bare PySide6 window.

    python -m bench.bench_startup            # dev install + packaged one-folder build
    python -m bench.bench_startup --no-frozen

Each pair is started the same way, side by side (interleaved runs), headless
(``QT_QPA_PLATFORM=offscreen`` unless already set): time from launching the process to the
window's first show, median of several runs.

* packaged: the one-folder PyInstaller build of the app (built into bench/.cache/ if it is
  missing or older than the sources) vs bare_window.py frozen the same way;
* dev install: ``python -m tracker_desktop FILE`` vs ``python bench/bare_window.py``.

The app reports its first show through the hidden TRACKER_STARTUP_PROBE hook
(ui/startup_probe.py), which also records whether pandas / pyqtgraph were already loaded
(they must not be).  Target: within 2x of the bare window.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/bench_startup.py`

from bench.common import BENCH_DIR, CACHE, ROOT, line

TARGET_RATIO = 2.0
EXE_SUFFIX = ".exe" if sys.platform == "win32" else ""
PASSWORD = "startup bench"


def _newest_source_mtime() -> float:
    sources = [*(ROOT / "src").rglob("*.py"), *(ROOT / "src").rglob("resources/*")]
    sources += [ROOT / "packaging" / "tracker_desktop.spec"]
    return max(p.stat().st_mtime for p in sources)


def frozen_app(rebuild: bool = False) -> tuple[Path, Path | None]:
    """The packaged app, one-folder and one-file (bench/.cache/app/), rebuilt when the
    sources changed."""
    dist = CACHE / "app" / "dist"
    exe = dist / "tracker-desktop" / f"tracker-desktop{EXE_SUFFIX}"
    singles = sorted(dist.glob(f"tracker-desktop-[0-9]*{EXE_SUFFIX}"))
    stale = not exe.exists() or not singles or exe.stat().st_mtime < _newest_source_mtime()
    if rebuild or stale:
        print("(building the app, one-folder and one-file, for the start-up benchmark)")
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "packaging" / "build.py"),
                "--mode",
                "both",
                "--dist",
                str(dist),
                "--work",
                str(CACHE / "app" / "work"),
                "--quiet",
            ],
            check=True,
            capture_output=True,
        )
        singles = sorted(dist.glob(f"tracker-desktop-[0-9]*{EXE_SUFFIX}"))
    cli_singles = [p for p in singles if "-cli-" not in p.name]
    return exe, (cli_singles[-1] if cli_singles else None)


def frozen_bare(rebuild: bool = False) -> Path:
    """bare_window.py frozen as a one-folder build with the same PyInstaller."""
    folder = CACHE / "bare"
    exe = folder / "dist" / "bare_window" / f"bare_window{EXE_SUFFIX}"
    script = BENCH_DIR / "bare_window.py"
    if rebuild or not exe.exists() or exe.stat().st_mtime < script.stat().st_mtime:
        print("(building the frozen bare window)", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                str(script),
                "--onedir",
                "--noconfirm",
                "--clean",
                "--log-level",
                "WARN",
                "--distpath",
                str(folder / "dist"),
                "--workpath",
                str(folder / "work"),
                "--specpath",
                str(folder),
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
    return exe


def time_to_window(command: list[str], workdir: Path) -> dict[str, object]:
    """Launch ``command``; return its probe record plus ``seconds`` from launch to show."""
    probe = workdir / f"probe-{time.monotonic_ns()}.jsonl"
    env = dict(os.environ, TRACKER_STARTUP_PROBE=str(probe))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["XDG_CONFIG_HOME"] = str(workdir / "config")  # no recent-files from the real user
    started = time.time()
    result = subprocess.run(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 or not probe.exists():
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-800:]}")
    record: dict[str, object] = json.loads(probe.read_text(encoding="utf-8").splitlines()[0])
    record["seconds"] = float(record["shown_at"]) - started  # type: ignore[arg-type]
    probe.unlink()
    return record


def side_by_side(
    app: list[str], bare: list[str], runs: int, workdir: Path
) -> tuple[float, float, dict[str, object]]:
    """Median seconds (app, bare) over ``runs`` interleaved runs, after one warm-up each."""
    time_to_window(app, workdir)  # warm the OS file cache for both: we compare warm starts
    time_to_window(bare, workdir)
    app_times, bare_times = [], []
    last: dict[str, object] = {}
    for _ in range(runs):
        last = time_to_window(app, workdir)
        app_times.append(float(last["seconds"]))  # type: ignore[arg-type]
        bare_times.append(float(time_to_window(bare, workdir)["seconds"]))  # type: ignore[arg-type]
    return statistics.median(app_times), statistics.median(bare_times), last


def main(runs: int = 5, frozen: bool = True) -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        workdir = Path(tmp)
        tracker = workdir / "startup.tracker"
        from tracker_desktop.core.vault import Vault

        Vault.create(tracker, PASSWORD).close()

        app_s, bare_s, state = side_by_side(
            [sys.executable, "-m", "tracker_desktop", str(tracker)],
            [sys.executable, str(BENCH_DIR / "bare_window.py")],
            runs,
            workdir,
        )
        print(line("unlock window shown, dev install", app_s, "s", "bare PySide6 window", bare_s))
        results["startup_dev_s"] = app_s
        results["startup_dev_bare_s"] = bare_s
        results["startup_dev_ratio"] = app_s / bare_s
        for lib in ("pandas", "pyqtgraph"):
            loaded = bool(state.get(lib))
            print(f"{lib} loaded when the unlock window shows (dev): {'YES' if loaded else 'no'}")
            results[f"{lib}_loaded_at_unlock_dev"] = float(loaded)

        if frozen:
            try:
                (app_exe, single_exe), bare_exe = frozen_app(), frozen_bare()
            except (subprocess.CalledProcessError, OSError) as exc:
                print(f"packaged build: skipped, the build failed ({exc})")
            else:
                app_s, bare_s, state = side_by_side(
                    [str(app_exe), str(tracker)], [str(bare_exe)], runs, workdir
                )
                print(
                    line(
                        "unlock window shown, packaged one-folder",
                        app_s,
                        "s",
                        "bare PySide6 window, frozen the same way",
                        bare_s,
                    )
                    + f" target <= {TARGET_RATIO:g}x"
                )
                results["startup_frozen_s"] = app_s
                results["startup_frozen_bare_s"] = bare_s
                results["startup_frozen_ratio"] = app_s / bare_s
                for lib in ("pandas", "pyqtgraph"):
                    loaded = bool(state.get(lib))
                    print(
                        f"{lib} loaded when the unlock window shows (packaged): "
                        f"{'YES' if loaded else 'no'}"
                    )
                    results[f"{lib}_loaded_at_unlock_frozen"] = float(loaded)
                if single_exe is not None:
                    one_s, dir_s, _state = side_by_side(
                        [str(single_exe), str(tracker)], [str(app_exe), str(tracker)], 3, workdir
                    )
                    print(
                        line(
                            "unlock window shown, packaged one-file (unpacks itself first)",
                            one_s,
                            "s",
                            "the one-folder build",
                            dir_s,
                        )
                    )
                    results["startup_onefile_s"] = one_s
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-frozen", action="store_true", help="dev install only")
    options = parser.parse_args()
    main(runs=options.runs, frozen=not options.no_frozen)
