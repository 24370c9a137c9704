"""Run every benchmark of DESIGN.md section 8: ``python -m bench.run_all`` (``make bench``).

* creates the 10k and 100k demo trackers once (bench/.cache/, gitignored);
* finds every ``bench/bench_*.py`` and runs its ``main()`` (a missing or failing one is
  noted and the others still run);
* prints each figure next to its baseline as a ratio, and writes bench/results.md with
  the machine it ran on (CPU, cores, RAM, OS, Python).

    python -m bench.run_all                   # everything
    python -m bench.run_all --only startup open
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/run_all.py`

from bench.common import BENCH_DIR, ROOT, SIZES, demo_tracker, machine

RESULTS = BENCH_DIR / "results.md"
# What DESIGN.md section 8 asks for, and the script expected to measure it.
EXPECTED = {
    "startup": "unlock window within 2x of a bare PySide6 window",
    "open": "unlock + main window ready (10k < 1.5 s, 100k < 5 s); peak memory 100k < 400 MB",
    "dashboard": "dashboard recompute, 10k < 0.3 s",
    "table": "table filter keystroke, 100k < 0.1 s",
    "export": "workbook export, 10k within 1.5x of bare XlsxWriter",
    "import": "import of a 10k-row xlsx within 1.5x of the bare read",
}
FIGURE = re.compile(
    r"^(?P<name>[^:\n]+): (?P<value>[-\d.e+]+) ?(?P<unit>[^\s(]*) "
    r"\(baseline: (?P<baseline>.*?),? ratio (?P<ratio>[-\d.e+]+|inf|nan) ?x\)(?P<rest>.*)$"
)


@dataclass
class Outcome:
    topic: str
    seconds: float = 0.0
    output: str = ""
    error: str | None = None
    figures: list[dict[str, str]] = field(default_factory=list)


def discover() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def call_main(topic: str) -> object:
    """Import bench_<topic> and call its main() (argparse-style ones get an empty argv)."""
    module = importlib.import_module(f"bench.bench_{topic}")
    main = module.main
    parameters = list(inspect.signature(main).parameters.values())
    if parameters and parameters[0].name in ("argv", "args"):
        return main([])  # their defaults, not run_all's command line
    return main()


def run_one(topic: str) -> Outcome:
    """Run one benchmark's main() in its own process (a crash or a QApplication of one
    cannot spoil the next), streaming its output live."""
    outcome = Outcome(topic)
    print(f"\n=== bench_{topic} ===", flush=True)
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONUNBUFFERED"] = "1"
    started = time.perf_counter()
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "bench.run_all", "--child", topic],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for text in process.stdout:
            print(text, end="", flush=True)
            lines.append(text)
        code = process.wait()
    if code != 0:
        tail = [t.strip() for t in lines if t.strip()][-1:] or [""]
        outcome.error = f"exit code {code}: {tail[0][:200]}"
    outcome.seconds = time.perf_counter() - started
    outcome.output = "".join(lines)
    for text in lines:
        match = FIGURE.match(text.strip())
        if match:
            outcome.figures.append(match.groupdict())
    return outcome


README = ROOT / "README.md"
README_START = "<!-- bench:start (written by python -m bench.run_all --readme) -->"
README_END = "<!-- bench:end -->"


def tables(outcomes: list[Outcome], total: float) -> list[str]:
    """The machine table and the figure table (markdown lines)."""
    out = [
        f"Measured by `python -m bench.run_all` on {datetime.now():%Y-%m-%d %H:%M} "
        f"({total:.0f} s in all). Demo trackers: "
        + ", ".join(f"{n:,}" for n in SIZES)
        + " participants (core/demo.py, seed 42).",
        "",
        "| machine | |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in machine().items()],
        "",
        "| figure | value | baseline | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for outcome in outcomes:
        for fig in outcome.figures:
            rest = fig["rest"].strip()
            value = f"{fig['value']} {fig['unit']}".strip()
            baseline = fig["baseline"] + (f" ({rest})" if rest else "")
            out.append(f"| {fig['name']} | {value} | {baseline} | {fig['ratio']}x |")
    return out


def update_readme(outcomes: list[Outcome], total: float) -> bool:
    """Replace the table between the bench markers in README.md; False if none."""
    if not README.exists():
        return False
    text = README.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    head, rest = text.split(README_START, 1)
    _old, tail = rest.split(README_END, 1)
    body = "\n".join(tables(outcomes, total))
    README.write_text(f"{head}{README_START}\n{body}\n{README_END}{tail}", encoding="utf-8")
    return True


def write_results(outcomes: list[Outcome], missing: list[str], total: float) -> str:
    out = ["# Benchmark results", "", *tables(outcomes, total)]
    out += ["", "## Notes", ""]
    for topic in missing:
        out.append(f"- bench_{topic}.py is missing: {EXPECTED[topic]} not measured.")
    for outcome in outcomes:
        if outcome.error:
            out.append(f"- bench_{outcome.topic}.py failed: {outcome.error}")
        elif not outcome.figures:
            out.append(f"- bench_{outcome.topic}.py printed no `name: value (baseline...)` line.")
    if out[-1] == "":
        out.append("- every benchmark ran.")
    out += ["", "## Full output", ""]
    for outcome in outcomes:
        out += [f"### bench_{outcome.topic} ({outcome.seconds:.0f} s)", "", "```"]
        out += [outcome.output.rstrip() or "(no output)", "```", ""]
    text = "\n".join(out).rstrip() + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="TOPIC", help="e.g. startup open table")
    parser.add_argument(
        "--readme", action="store_true", help="also put the figure table into README.md"
    )
    parser.add_argument("--child", metavar="TOPIC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        call_main(args.child)
        return 0
    started = time.perf_counter()
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in machine().items()), flush=True)
    for size in SIZES:
        demo_tracker(size)
    found = discover()
    topics = [t for t in found if not args.only or t in args.only]
    missing = [t for t in EXPECTED if t not in found]
    for topic in missing:
        print(f"note: bench_{topic}.py is missing ({EXPECTED[topic]}); skipped")
    outcomes = [run_one(topic) for topic in topics]
    total = time.perf_counter() - started
    write_results(outcomes, missing, total)

    print("\n=== summary (each figure next to its baseline) ===")
    for outcome in outcomes:
        for fig in outcome.figures:
            print(
                f"{fig['name']}: {fig['value']} {fig['unit']}  |  baseline {fig['baseline']}"
                f"  |  ratio {fig['ratio']}x{fig['rest']}"
            )
        if outcome.error:
            print(f"bench_{outcome.topic}: FAILED ({outcome.error})")
    print(f"\nwrote {RESULTS.relative_to(BENCH_DIR.parent)} ({total:.0f} s)")
    if args.readme:
        done = update_readme(outcomes, total)
        print("updated README.md" if done else "README.md has no bench markers; not updated")
    return 1 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
