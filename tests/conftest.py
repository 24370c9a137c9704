"""Shared fixtures: offscreen Qt, synchronous background tasks, real encrypted trackers."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

from tracker_desktop.core import demo
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault

PASSWORD = "correct horse battery staple"
# The deck's sample tracker as a real file (a copy of shared/data/sample_tracker.xlsx), kept in
# the repository so a fresh clone runs every test.
SAMPLE_TRACKER = Path(__file__).resolve().parent / "fixtures" / "sample_tracker.xlsx"


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> None:
    # QSettings and QStandardPaths must never touch the real user's folders.
    home = tmp_path_factory.mktemp("home")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    """Like napari: a test that leaves a thread running fails."""
    before = {t.ident for t in threading.enumerate()}
    yield
    leftover = [
        t for t in threading.enumerate() if t.ident not in before and t.is_alive() and not t.daemon
    ]
    for thread in leftover:
        thread.join(timeout=5)
    still = [t.name for t in leftover if t.is_alive()]
    assert not still, f"test left threads running: {still}"


@pytest.fixture
def synchronous_tasks() -> Iterator[None]:
    from tracker_desktop.ui.tasks import TaskRunner

    TaskRunner.synchronous = True
    yield
    TaskRunner.synchronous = False


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "test.tracker"


@pytest.fixture
def vault(vault_path: Path) -> Iterator[Vault]:
    with Vault.create(vault_path, PASSWORD) as opened:
        yield opened


@pytest.fixture
def repo(vault: Vault) -> Repository:
    return Repository(vault, "Test Staff")


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 200-participant demo tracker, built once; copy it before writing to it."""
    path = tmp_path_factory.mktemp("demo") / "demo.tracker"
    with Vault.create(path, PASSWORD) as created:
        demo.generate(Repository(created, "Program Director"), 200)
    return path


@pytest.fixture
def demo_repo(demo_file: Path, tmp_path: Path) -> Iterator[Repository]:
    copy = tmp_path / "demo-copy.tracker"
    copy.write_bytes(demo_file.read_bytes())
    with Vault.open(copy, PASSWORD) as opened:
        yield Repository(opened, "Test Staff")
