"""The PyInstaller executable: built once per session, then driven like a user would.

It runs its own self-test headless, opens an encrypted file written by the development
install, and writes one the development install opens (same SQLCipher settings), and its
unlock window comes up before pandas or pyqtgraph are loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3

from tests.helpers import add_participant
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault
from tracker_desktop.ui.selfcheck import registered_modules

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "packaging" / "build.py"
PASSWORD = "frozen O'Brien\"; -- é 王芳"
# Both variants come out of one PyInstaller analysis; set TRACKER_TEST_BUILD_MODE=onedir to
# skip the one-file variant on a slow machine.
BUILD_MODE = os.environ.get("TRACKER_TEST_BUILD_MODE", "both")


def _load_build_module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("tracker_build", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the executable(s) once per test session into a temporary folder."""
    folder = tmp_path_factory.mktemp("pyinstaller")
    result = subprocess.run(
        [
            sys.executable,
            str(BUILD_SCRIPT),
            "--mode",
            BUILD_MODE,
            "--dist",
            str(folder / "dist"),
            "--work",
            str(folder / "work"),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    executables: dict[str, Path] = _load_build_module().executables(folder / "dist", BUILD_MODE)
    for path in executables.values():
        assert path.is_file(), f"missing {path}\n{result.stdout[-2000:]}"
    return executables


@pytest.fixture(scope="session")
def onedir(built: dict[str, Path]) -> Path:
    return built["onedir"]


def run_exe(
    exe: Path, *args: str, password: str | None = PASSWORD, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_PASSWORD", "PYTHONPATH")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if password is not None:
        env["TRACKER_PASSWORD"] = password
    env.update(extra)
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
        cwd=exe.parent,
    )


@pytest.fixture
def dev_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "from-dev.tracker"
    with Vault.create(path, PASSWORD) as vault:
        add_participant(Repository(vault, "Dev Install"), first="José", last="Núñez")
    yield path


def _check_self_test(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "self-test passed", result.stdout
    for step in ("create: ok", "unlock + write: ok", "read: ok", "wrong password refused: ok"):
        assert any(line.startswith(step) for line in lines), f"{step!r} missing:\n{result.stdout}"
    for step in (
        "qt: ok",
        "sqlcipher: ok",
        "unlock window renders: ok",
        "pdf report: ok",
        "main window: ok",
        "libraries: ok",
    ):
        assert any(line.startswith(step) for line in lines), f"{step!r} missing:\n{result.stdout}"
    # Every screen registered in the development tree imports inside the executable.
    expected = f"screens: ok ({len(registered_modules())} screen modules import)"
    assert expected in lines, result.stdout


def test_onedir_self_test_headless(onedir: Path) -> None:
    _check_self_test(run_exe(onedir, "self-test", password=None))


def test_onefile_self_test_headless(built: dict[str, Path]) -> None:
    if "onefile" not in built:
        pytest.skip("TRACKER_TEST_BUILD_MODE=onedir: the one-file variant was not built")
    _check_self_test(run_exe(built["onefile"], "self-test", password=None))


def test_resources_ship_inside_the_build(onedir: Path) -> None:
    internal = onedir.parent / "_internal" / "tracker_desktop" / "resources"
    source = ROOT / "src" / "tracker_desktop" / "resources"
    shipped = sorted(p.name for p in internal.iterdir())
    assert shipped == sorted(p.name for p in source.iterdir())
    heavy = [n for n in ("QtWebEngineCore", "QtQuick", "QtQml", "Qt3DCore") if _ships(onedir, n)]
    assert not heavy, f"unused Qt modules were bundled: {heavy}"


def _ships(exe: Path, module: str) -> bool:
    pyside = exe.parent / "_internal" / "PySide6"
    return any(pyside.glob(f"{module}.*")) or any(pyside.parent.glob(f"*Qt6{module[2:]}.*"))


def test_executable_opens_a_file_written_by_the_dev_install(
    onedir: Path, dev_file: Path, tmp_path: Path
) -> None:
    checked = run_exe(onedir, "check", "--vault", str(dev_file))
    assert checked.returncode == 0, checked.stderr
    assert "integrity_check ok; cipher_integrity_check ok" in checked.stdout
    sheet = tmp_path / "three.csv"  # the executable writes too (demo refuses a used file)
    sheet.write_text(
        "First Name,Last Name,Programs Enrolled,Date of Enrollment\n"
        "Ana,Reyes,Pipeline,2025-01-06\nBen,Okafor,Fellows,2025-02-03\n"
        "Wen,Li,Pipeline,2025-03-03\n",
        encoding="utf-8",
    )
    wrote = run_exe(onedir, "import", str(sheet), "--vault", str(dev_file))
    assert wrote.returncode == 0, wrote.stdout + wrote.stderr
    with Vault.open(dev_file, PASSWORD) as vault:
        repo = Repository(vault)
        assert repo.count("participants") == 4
        names = {row["first_name"] for row in repo.rows("participants")}
    assert "José" in names
    wrong = run_exe(onedir, "check", "--vault", str(dev_file), password="not it")
    assert wrong.returncode == 2
    assert "Wrong password, or the file is damaged" in wrong.stderr


def test_dev_install_opens_a_file_written_by_the_executable(onedir: Path, tmp_path: Path) -> None:
    path = tmp_path / "from-exe.tracker"
    created = run_exe(onedir, "create", "--vault", str(path), "--staff", "Frozen Staff")
    assert created.returncode == 0, created.stderr
    assert run_exe(onedir, "demo", "--vault", str(path), "--participants", "5").returncode == 0
    with Vault.open(path, PASSWORD) as vault:
        repo = Repository(vault)
        assert repo.count("participants") == 5
        assert "Frozen Staff" in repo.staff_names()
        assert vault.check().ok
    # Plain SQLCipher 4 defaults, keyed with the passphrase itself: any SQLCipher tool opens it.
    conn = sqlcipher3.connect(str(path))
    try:
        quoted = PASSWORD.replace("'", "''")
        conn.execute(f"PRAGMA key = '{quoted}'")
        conn.execute("PRAGMA cipher_compatibility = 4")
        assert conn.execute("SELECT count(*) FROM participants").fetchone()[0] == 5
    finally:
        conn.close()


def test_frozen_unlock_window_comes_before_pandas_and_pyqtgraph(
    onedir: Path, dev_file: Path, tmp_path: Path
) -> None:
    probe = tmp_path / "probe.jsonl"
    result = run_exe(onedir, str(dev_file), password=None, TRACKER_STARTUP_PROBE=str(probe))
    assert result.returncode == 0, result.stderr
    state = json.loads(probe.read_text(encoding="utf-8").splitlines()[0])
    assert state["frozen"] is True
    assert state["pandas"] is False, "pandas was imported before the unlock window showed"
    assert state["pyqtgraph"] is False, "pyqtgraph was imported before the unlock window showed"
