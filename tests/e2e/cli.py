"""Run the real command line in a child process, as a user's shell would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PASSWORD


def run_cli(
    *args: str, password: str | None = PASSWORD, timeout: float = 180, **env: str
) -> subprocess.CompletedProcess[str]:
    """``tracker-desktop ARGS`` with the password in TRACKER_PASSWORD (none: unset), stdin
    closed, and ``env`` added to the environment."""
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_PASSWORD"}
    environment.setdefault("QT_QPA_PLATFORM", "offscreen")  # the PDF export draws with Qt
    if password is not None:
        environment["TRACKER_PASSWORD"] = password
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "tracker_desktop", *args],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def write_demo(path: Path, participants: int, password: str = PASSWORD) -> Path:
    """A demo tracker written by the CLI itself."""
    result = run_cli("demo", "--vault", str(path), "--participants", str(participants),
                     password=password)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return path
