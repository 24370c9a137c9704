"""Architecture rules that keep the code livable: core is Qt-free, lint is clean."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def test_import_linter_contract_core_never_imports_qt() -> None:
    result = subprocess.run(
        [_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "core never imports Qt or the UI KEPT" in result.stdout


def test_core_modules_import_without_qt() -> None:
    """Importing every core module in a fresh interpreter loads no Qt at all."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import tracker_desktop.core as core\n"
        "for info in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module(f'tracker_desktop.core.{info.name}')\n"
        "qt = ('PySide6', 'shiboken6', 'pyqtgraph')\n"
        "bad = sorted(m for m in sys.modules if m.startswith(qt))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_ruff_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "src", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout
