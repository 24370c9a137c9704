"""Fast start: pandas and pyqtgraph must load only after the unlock window is up.

Runs the development install the way `make run` does, in a child process (this test
process has long imported pandas), with the hidden TRACKER_STARTUP_PROBE hook: at the
unlock window's first show it records which heavy libraries are loaded, then closes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker_desktop.core.vault import Vault

HEAVY = ("pandas", "pyqtgraph")


def _probe(tmp_path: Path, *args: str) -> dict[str, object]:
    probe = tmp_path / "probe.jsonl"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TRACKER_STARTUP_PROBE=str(probe))
    env["XDG_DATA_HOME"] = str(tmp_path / "data")  # the --demo tracker goes here
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env.pop("TRACKER_PASSWORD", None)
    result = subprocess.run(
        [sys.executable, "-m", "tracker_desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert probe.exists(), f"the unlock window never showed\n{result.stderr}"
    state: dict[str, object] = json.loads(probe.read_text(encoding="utf-8").splitlines()[0])
    return state


def test_unlock_window_shows_before_pandas_and_pyqtgraph(tmp_path: Path) -> None:
    path = tmp_path / "lazy.tracker"
    Vault.create(path, "lazy imports 123").close()
    state = _probe(tmp_path, str(path))
    loaded = [name for name in HEAVY if state[name]]
    assert not loaded, f"imported before the unlock window showed: {loaded}"
    assert state["frozen"] is False
    # The storage layer is preloaded in the background once the window is up, not before.
    assert state["sqlalchemy"] is False


@pytest.mark.slow
@pytest.mark.skipif(
    sys.platform != "linux", reason="XDG_DATA_HOME only redirects the demo folder on Linux"
)
def test_demo_start_also_keeps_them_lazy(tmp_path: Path) -> None:
    # `make run` path: the demo tracker is generated first, then the unlock window shows.
    state = _probe(tmp_path, "--demo")
    loaded = [name for name in HEAVY if state[name]]
    assert not loaded, f"imported before the unlock window showed (--demo): {loaded}"
    assert any((tmp_path / "data").rglob("demo.tracker")), "the demo tracker was not created"
