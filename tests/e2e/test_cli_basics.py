"""The command line: create, demo, check, backup, self-test, exit codes, password handling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault

PASSWORD = "cli pass 'quoted' é"


def run_cli(
    *args: str, password: str | None = PASSWORD, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "TRACKER_PASSWORD"}
    if password is not None:
        environment["TRACKER_PASSWORD"] = password
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "tracker_desktop", *args],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_create_demo_check_backup(tmp_path: Path) -> None:
    vault = tmp_path / "cli.tracker"
    created = run_cli("create", "--vault", str(vault), "--organisation", "Harbor", "--staff", "Ana")
    assert created.returncode == 0, created.stderr
    assert "Created" in created.stdout
    demo = run_cli("demo", "--vault", str(vault), "--participants", "25")
    assert demo.returncode == 0, demo.stderr
    with Vault.open(vault, PASSWORD) as opened:
        repo = Repository(opened)
        assert repo.count("participants") == 25
        assert repo.setting("organisation_name") == "Harbor"
        assert "Ana" in repo.staff_names()
    check = run_cli("check", "--vault", str(vault))
    assert check.returncode == 0, check.stderr
    assert "integrity_check ok; cipher_integrity_check ok" in check.stdout
    assert "Participants: 25" in check.stdout
    backup = run_cli("backup", "--vault", str(vault), "--to", str(tmp_path / "usb"), "--keep", "2")
    assert backup.returncode == 0, backup.stderr
    assert len(list((tmp_path / "usb").glob("cli-*.tracker"))) == 1


def test_wrong_password_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    vault = tmp_path / "cli.tracker"
    assert run_cli("create", "--vault", str(vault)).returncode == 0
    before = vault.read_bytes()
    result = run_cli("check", "--vault", str(vault), password="nope")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: Wrong password")
    assert vault.read_bytes() == before


def test_user_errors_exit_1_with_one_line(tmp_path: Path) -> None:
    missing = run_cli("check", "--vault", str(tmp_path / "missing.tracker"))
    assert missing.returncode == 1
    assert len(missing.stderr.strip().splitlines()) == 1
    no_password = run_cli("check", "--vault", str(tmp_path / "x.tracker"), password=None)
    assert no_password.returncode == 1
    assert "TRACKER_PASSWORD" in no_password.stderr
    vault = tmp_path / "cli.tracker"
    assert run_cli("create", "--vault", str(vault)).returncode == 0
    again = run_cli("create", "--vault", str(vault))
    assert again.returncode == 1 and "already exists" in again.stderr


def test_not_a_tracker_exits_2(tmp_path: Path) -> None:
    sheet = tmp_path / "tracker.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + b"\0" * 4000)
    result = run_cli("check", "--vault", str(sheet))
    assert result.returncode == 2
    assert "not a Participant Tracker file" in result.stderr


def test_password_never_read_from_argv() -> None:
    result = run_cli("create", "--help")
    assert "--password" not in result.stdout


@pytest.mark.slow
def test_self_test_passes() -> None:
    result = run_cli("self-test", password=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("self-test passed")
