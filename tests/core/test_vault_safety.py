"""Safety details of the vault: same error for wrong password and damage, crash recovery on
open, drafts kept encrypted, the automatic-backup policy, restore, CLI exit codes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.helpers import add_participant
from tracker_desktop import cli
from tracker_desktop.core import backup_policy, drafts, schema
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import (
    NewerSchemaError,
    Vault,
    WrongPasswordOrDamagedError,
)

SECRET = "Quillon-Draft-5521"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_wrong_password_and_damaged_first_page_are_indistinguishable(
    tmp_path: Path,
) -> None:
    good = tmp_path / "one.tracker"
    damaged = tmp_path / "two.tracker"
    with Vault.create(good, PASSWORD) as vault:
        add_participant(Repository(vault, "t"))
    with Vault.create(damaged, PASSWORD) as vault:
        add_participant(Repository(vault, "t"))
    data = bytearray(damaged.read_bytes())
    data[64:96] = bytes(32)  # inside page 1, after the salt
    damaged.write_bytes(bytes(data))
    hashes = {good: sha256(good), damaged: sha256(damaged)}

    with pytest.raises(WrongPasswordOrDamagedError) as wrong:
        Vault.open(good, "not the password")
    with pytest.raises(WrongPasswordOrDamagedError) as broken:
        Vault.open(damaged, PASSWORD)
    assert type(wrong.value) is type(broken.value)
    assert str(wrong.value).replace("one", "X") == str(broken.value).replace("two", "X")
    assert {p: sha256(p) for p in hashes} == hashes, "opening must never change the file"


CRASHING_WRITER = """
import sys, time
from tracker_desktop.core.vault import Vault
vault = Vault.open(sys.argv[1], sys.argv[2])
with vault.write() as conn:
    conn.exec_driver_sql("DELETE FROM participants")
    for i in range(20000):  # more than the page cache: pages spill into the file
        conn.exec_driver_sql(
            "INSERT INTO settings(key, value) VALUES (?, ?)", (f"junk{i}", "x" * 500)
        )
    print("mid-transaction", flush=True)
    time.sleep(60)
"""


def test_file_killed_mid_write_opens_with_the_right_password(tmp_path: Path) -> None:
    """A crash leaves a hot journal; a read-only probe alone would call that a wrong password."""
    path = tmp_path / "crashed.tracker"
    with Vault.create(path, PASSWORD) as vault:
        add_participant(Repository(vault, "t"), first="Kept")
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(path), PASSWORD],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "mid-transaction"
    child.kill()
    child.wait()
    journal = path.with_name(path.name + "-journal")
    assert journal.exists() and journal.stat().st_size > 0

    with pytest.raises(WrongPasswordOrDamagedError):
        Vault.open(path, "a wrong password")
    with Vault.open(path, PASSWORD) as reopened:
        repo = Repository(reopened)
        assert [r["first_name"] for r in repo.rows("participants")] == ["Kept"]
        assert repo.setting("junk1") is None
        assert reopened.check().ok


def test_drafts_are_encrypted_per_staff_and_not_audited(vault_path: Path, vault: Vault) -> None:
    repo = Repository(vault, "Maria")
    audits_before = len(repo.audit_entries())
    drafts.save_drafts(vault, "Maria", {"participants": {"note": SECRET}})
    assert drafts.load_drafts(vault, "Sam") is None
    kept = drafts.load_drafts(vault, "Maria")
    assert kept is not None and kept["pages"] == {"participants": {"note": SECRET}}
    datetime.fromisoformat(kept["saved_at"])
    assert len(repo.audit_entries()) == audits_before
    assert SECRET.encode() not in vault_path.read_bytes()
    drafts.discard_drafts(vault, "Maria")
    assert drafts.load_drafts(vault, "Maria") is None


def test_automatic_backup_only_when_something_changed(vault: Vault) -> None:
    repo = Repository(vault, "t")
    now = datetime.now()
    assert backup_policy.backup_due(repo, now), "no backup yet"
    first = backup_policy.back_up(repo)
    assert not backup_policy.backup_due(repo, now), "nothing changed since"
    assert not backup_policy.backup_due(repo, now + timedelta(days=3), backup_policy.DAILY)
    add_participant(repo)
    assert backup_policy.backup_due(repo, now), "on close: a change is not backed up yet"
    assert not backup_policy.backup_due(repo, now + timedelta(hours=2), backup_policy.DAILY)
    assert backup_policy.backup_due(repo, now + timedelta(hours=25), backup_policy.DAILY)
    second = backup_policy.back_up(repo)
    assert [b.path for b in backup_policy.backups(repo)] == [second, first]


def test_backup_folder_and_keep_come_from_settings(vault: Vault, tmp_path: Path) -> None:
    repo = Repository(vault, "t")
    assert backup_policy.backup_folder(repo) == vault.default_backup_dir()
    assert backup_policy.backup_keep(repo) == 10
    usb = tmp_path / "usb"
    repo.set_setting("backup_dir", str(usb))
    repo.set_setting("backup_keep", 2)
    for _ in range(4):
        add_participant(repo)
        backup_policy.back_up(repo)
    assert len(list(usb.glob("*.tracker"))) == 2
    repo.set_setting("backup_keep", "nonsense")
    assert backup_policy.backup_keep(repo) == 10


def test_restore_with_the_current_password(vault_path: Path, vault: Vault) -> None:
    repo = Repository(vault, "t")
    add_participant(repo, first="Before")
    backup = vault.backup()
    add_participant(repo, first="After")
    restored = vault.restore(backup)
    with restored:
        assert [r["first_name"] for r in Repository(restored).rows("participants")] == ["Before"]
    assert list(vault_path.parent.glob("test.before-restore-*.tracker"))


def test_restore_refuses_a_damaged_backup_and_changes_nothing(
    vault_path: Path, vault: Vault
) -> None:
    repo = Repository(vault, "t")
    for index in range(60):
        add_participant(repo, first=f"P{index}", last="X" * 300)
    backup = vault.backup()
    data = bytearray(backup.read_bytes())
    data[4096 * 3 + 100 : 4096 * 3 + 164] = bytes(64)
    backup.write_bytes(bytes(data))
    before = sha256(vault_path)
    with pytest.raises(Exception, match="damaged"):
        vault.restore(backup)
    assert sha256(vault_path) == before
    assert Repository(vault).count("participants") == 60  # still usable


def test_cli_newer_schema_and_wrong_password_exit_2(
    vault_path: Path,
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with vault.write() as conn:
        conn.exec_driver_sql(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 5}")
    vault.close()
    with pytest.raises(NewerSchemaError):
        Vault.open(vault_path, PASSWORD)
    monkeypatch.setenv("TRACKER_PASSWORD", PASSWORD)
    assert cli.main(["backup", "--vault", str(vault_path)]) == 2
    assert "newer Participant Tracker" in capsys.readouterr().err
    monkeypatch.setenv("TRACKER_PASSWORD", "wrong")
    assert cli.main(["check", "--vault", str(vault_path)]) == 2
    assert "Wrong password, or the file is damaged" in capsys.readouterr().err


def test_cli_backup_uses_the_chosen_folder(
    vault_path: Path, vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usb = tmp_path / "stick"
    Repository(vault, "t").set_setting("backup_dir", str(usb))
    vault.close()
    monkeypatch.setenv("TRACKER_PASSWORD", PASSWORD)
    assert cli.main(["backup", "--vault", str(vault_path)]) == 0
    made = list(usb.glob("test-*.tracker"))
    assert len(made) == 1
    with Vault.open(made[0], PASSWORD) as copy:
        assert copy.check().ok


@pytest.mark.parametrize("where", ["tracker_desktop.ui.app", "tracker_desktop.core.hardening"])
def test_gui_and_cli_disable_core_dumps(where: str) -> None:
    code = (
        "import resource\n"
        f"from {where} import disable_core_dumps\n"
        "assert disable_core_dumps()\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(0, 0)"


def test_cli_command_runs_without_core_dumps(tmp_path: Path) -> None:
    code = (
        "import resource, sys\n"
        "from tracker_desktop import cli\n"
        "cli.main(['check', '--vault', sys.argv[1]])\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "missing.tracker")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TRACKER_PASSWORD": "x"},
    )
    assert done.stdout.strip().endswith("(0, 0)"), done.stderr


def test_backup_clears_old_partials_left_by_a_killed_backup(vault: Vault, tmp_path: Path) -> None:
    import os
    import time

    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / ".partial-abc123.tracker"
    stale_journal = folder / ".partial-abc123.tracker-journal"
    fresh = folder / ".partial-def456.tracker"
    for path in (stale, stale_journal, fresh):
        path.write_bytes(b"\x01" * 4096)
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    os.utime(stale_journal, (old, old))
    made = vault.backup(folder)
    assert not stale.exists() and not stale_journal.exists()
    assert fresh.exists(), "may belong to a backup still being written"
    assert made.exists()


@pytest.mark.parametrize("first_bytes", [b"{", b"<"])
def test_a_salt_that_looks_like_a_document_still_means_wrong_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_bytes: bytes
) -> None:
    """The salt is random: it starts with '{' or '<' in 1 tracker of 128."""
    from tracker_desktop.core import vault as vault_module

    def salt(count: int) -> bytes:
        return first_bytes + os.urandom(count - len(first_bytes))

    monkeypatch.setattr(vault_module.secrets, "token_bytes", salt)
    path = tmp_path / "unlucky.tracker"
    Vault.create(path, PASSWORD).close()
    assert path.read_bytes().startswith(first_bytes)
    with pytest.raises(WrongPasswordOrDamagedError):
        Vault.open(path, "not the password")


@pytest.mark.parametrize(
    "content", [b'{"participants": [' + b" " * 4076 + b"]}", b"<?xml " + b"x" * 4090]
)
def test_text_documents_are_not_trackers(tmp_path: Path, content: bytes) -> None:
    from tracker_desktop.core.vault import NotATrackerError

    path = tmp_path / "export.tracker"
    path.write_bytes(content)
    assert len(content) % 1024 == 0
    with pytest.raises(NotATrackerError):
        Vault.open(path, PASSWORD)


def test_backup_is_one_snapshot_while_saves_go_on(vault: Vault, tmp_path: Path) -> None:
    import threading

    repo = Repository(vault, "t")
    with repo.transaction() as tx:  # big enough that copying a table takes a while
        for index in range(3000):
            pid = tx.insert(
                "participants",
                {
                    "participant_code": f"B-{index:05d}",
                    "first_name": "Bulk",
                    "last_name": "Row" * 20,
                    "created_at": tx.at,
                    "updated_at": tx.at,
                },
            )
            tx.insert(
                "enrollments",
                {"participant_id": pid, "program": "Pipeline", "enrolled_on": date(2024, 1, 3)},
            )
    stop = threading.Event()

    def keep_saving() -> None:
        while not stop.is_set():
            add_participant(repo)

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        made = [vault.backup(tmp_path / "b", keep=10) for _ in range(4)]
    finally:
        stop.set()
        writer.join()
    for path in made:
        with Vault.open(path, PASSWORD) as copy:
            copy_repo = Repository(copy)
            people = copy_repo.count("participants")
            assert people == copy_repo.count("enrollments"), "a save was cut in half"
            with copy.read() as conn:
                audited = conn.exec_driver_sql(
                    "SELECT count(*) FROM audit_log WHERE table_name = 'participants'"
                ).scalar()
            assert audited == people


def test_cancelled_backup_leaves_nothing(vault: Vault, tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    calls = []

    def checkpoint() -> None:
        calls.append(1)
        if len(calls) == 2:  # after the export, before the check
            raise Cancelled

    folder = tmp_path / "b"
    with pytest.raises(Cancelled):
        vault.backup(folder, checkpoint=checkpoint)
    assert list(folder.iterdir()) == []
    assert vault.backup(folder).exists()  # the connection is still fine
