"""The encrypted file: create, unlock, passwords, errors, backups, integrity, no plaintext."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import sqlcipher3

from tests.conftest import PASSWORD
from tests.helpers import add_participant
from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import (
    DamagedVaultError,
    NotATrackerError,
    Vault,
    VaultExistsError,
    WrongPasswordOrDamagedError,
    restore_backup,
)

CANARY = "Zebulon-Canary-7731"

HARD_PASSWORDS = [
    "O'Brien\"; --",
    "'; DROP TABLE participants; --",
    "Ünïcödé pässwörd ñ",
    "emoji 🔐🙂 key",
    "x" * 200,
    "a'b\"c`d\\e",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("password", HARD_PASSWORDS)
def test_hard_passwords_create_and_reopen(tmp_path: Path, password: str) -> None:
    path = tmp_path / "hard.tracker"
    with Vault.create(path, password) as vault:
        add_participant(Repository(vault, "t"), first=CANARY)
    with Vault.open(path, password) as vault:
        assert Repository(vault).rows("participants")[0]["first_name"] == CANARY
    with pytest.raises(WrongPasswordOrDamagedError):
        Vault.open(path, password + "x")


@pytest.mark.parametrize("password", HARD_PASSWORDS[:3])
def test_file_opens_with_plain_passphrase_in_sqlcipher(tmp_path: Path, password: str) -> None:
    """Our raw-key derivation equals SQLCipher 4's own: any SQLCipher tool opens the file."""
    path = tmp_path / "interop.tracker"
    Vault.create(path, password).close()
    conn = sqlcipher3.connect(str(path))
    escaped = password.replace("'", "''")
    conn.execute(f"PRAGMA key = '{escaped}'")
    conn.execute("PRAGMA cipher_compatibility = 4")
    assert conn.execute("SELECT value FROM settings WHERE key='app'").fetchone()[0]
    conn.close()


def test_connection_pragmas(vault: Vault) -> None:
    with vault.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert raw.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
        settings = {row[0] for row in raw.execute("PRAGMA cipher_settings").fetchall()}
        assert "PRAGMA kdf_iter = 256000;" in settings
        assert "PRAGMA cipher_page_size = 4096;" in settings
        assert "PRAGMA cipher_hmac_algorithm = HMAC_SHA512;" in settings
        assert raw.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")


def test_wrong_password_same_error_and_file_untouched(vault_path: Path, vault: Vault) -> None:
    add_participant(Repository(vault, "t"))
    vault.close()
    before = sha256(vault_path)
    with pytest.raises(WrongPasswordOrDamagedError) as caught:
        Vault.open(vault_path, "not it")
    assert "Wrong password, or the file is damaged" in str(caught.value)
    assert sha256(vault_path) == before


def test_damaged_first_page_gives_the_same_error_and_is_not_changed(
    vault_path: Path, vault: Vault
) -> None:
    vault.close()
    data = bytearray(vault_path.read_bytes())
    data[100:140] = bytes(40)  # scribble over page 1
    vault_path.write_bytes(bytes(data))
    before = sha256(vault_path)
    with pytest.raises(WrongPasswordOrDamagedError):
        Vault.open(vault_path, PASSWORD)
    assert sha256(vault_path) == before


def test_not_a_tracker_messages(tmp_path: Path) -> None:
    sheet = tmp_path / "tracker.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + b"\0" * 5000)
    with pytest.raises(NotATrackerError, match="not a Participant Tracker file"):
        Vault.open(sheet, PASSWORD)
    import sqlite3

    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t(x)")
    with pytest.raises(NotATrackerError, match="unencrypted SQLite"):
        Vault.open(plain, PASSWORD)
    empty = tmp_path / "empty.tracker"
    empty.write_bytes(b"")
    with pytest.raises(NotATrackerError, match="empty"):
        Vault.open(empty, PASSWORD)


def test_encrypted_but_foreign_database_is_not_a_tracker(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = '{PASSWORD}'")
    conn.execute("CREATE TABLE something(x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotATrackerError, match="not a Participant Tracker"):
        Vault.open(path, PASSWORD)


def test_create_refuses_to_overwrite(vault_path: Path, vault: Vault) -> None:
    with pytest.raises(VaultExistsError):
        Vault.create(vault_path, "another password")


def test_no_plaintext_in_file_journal_or_backup(vault_path: Path, vault: Vault) -> None:
    repo = Repository(vault, "t")
    for index in range(30):
        add_participant(repo, first=f"{CANARY}-{index}", last="Núñez 王芳")
    backup = vault.backup()
    vault.close()
    side_files = [*vault_path.parent.glob("*-journal"), *vault_path.parent.glob("*-wal")]
    files = [vault_path, backup, *side_files]
    for path in files:
        raw = path.read_bytes()
        assert CANARY.encode() not in raw, path
        assert "王芳".encode() not in raw, path
        assert b"SQLite format 3" not in raw[:16], path


def test_change_password(vault_path: Path, vault: Vault) -> None:
    add_participant(Repository(vault, "t"), first=CANARY)
    with pytest.raises(WrongPasswordOrDamagedError):
        vault.change_password("wrong old", "new pass 'quoted'")
    vault.change_password(PASSWORD, "new pass 'quoted'")
    # still usable without reopening
    assert Repository(vault).count("participants") == 1
    vault.close()
    with pytest.raises(WrongPasswordOrDamagedError):
        Vault.open(vault_path, PASSWORD)
    with Vault.open(vault_path, "new pass 'quoted'") as reopened:
        assert Repository(reopened).rows("participants")[0]["first_name"] == CANARY
        assert reopened.check().ok


def test_backup_is_verified_rotated_and_restorable(vault_path: Path, vault: Vault) -> None:
    repo = Repository(vault, "t")
    add_participant(repo, first="Before")
    folder = vault_path.parent / "usb"
    made = [vault.backup(folder, keep=3) for _ in range(5)]
    backups = vault.list_backups(folder)
    assert [b.path for b in backups] == sorted(made[-3:], reverse=True)
    assert vault.backup_participant_count(backups[0].path) == 1
    add_participant(repo, first="After")
    assert repo.count("participants") == 2
    vault.close()
    restored = restore_backup(backups[0].path, vault_path, PASSWORD)
    with restored:
        names = [r["first_name"] for r in Repository(restored).rows("participants")]
        assert names == ["Before"]
        assert restored.check().ok
    # the replaced file was kept aside
    assert list(vault_path.parent.glob("test.before-restore-*.tracker"))


def test_integrity_check_reports_ok_and_detects_damage(vault_path: Path, vault: Vault) -> None:
    repo = Repository(vault, "t")
    for index in range(200):
        add_participant(repo, first=f"Person {index}", last="X" * 200)
    assert vault.check().ok
    vault.close()
    data = bytearray(vault_path.read_bytes())
    page = 4096 * 5 + 200  # a page in the middle, not page 1
    data[page : page + 64] = bytes(64)
    vault_path.write_bytes(bytes(data))
    with Vault.open(vault_path, PASSWORD) as damaged:
        report = damaged.check()
    assert not report.ok
    assert report.cipher  # cipher_integrity_check names the bad page


@pytest.mark.parametrize("where", ["middle", "last"])
def test_unlock_refuses_damaged_pages_and_changes_nothing(
    vault_path: Path, vault: Vault, where: str
) -> None:
    repo = Repository(vault, "t")
    for index in range(200):
        add_participant(repo, first=f"Person {index}", last="X" * 200)
    vault.close()
    with Vault.unlock(vault_path, PASSWORD) as sound:  # a sound file unlocks
        assert sound.check().ok
    data = bytearray(vault_path.read_bytes())
    # The last page may be one nothing reads (a free page): only the check finds it.
    start = 4096 * 5 if where == "middle" else len(data) - 4096
    data[start : start + 4096] = bytes(b ^ 0x55 for b in data[start : start + 4096])
    vault_path.write_bytes(bytes(data))
    before = hashlib.sha256(vault_path.read_bytes()).hexdigest()
    with pytest.raises(DamagedVaultError, match="is damaged"):
        Vault.unlock(vault_path, PASSWORD)
    assert hashlib.sha256(vault_path.read_bytes()).hexdigest() == before


def test_sqlcipher_stderr_noise_is_silenced(vault_path: Path, vault: Vault) -> None:
    vault.close()
    code = (
        "import sys\n"
        "from tracker_desktop.core.vault import Vault, WrongPasswordOrDamagedError\n"
        "try:\n"
        f"    Vault.open({str(vault_path)!r}, 'wrong')\n"
        "except WrongPasswordOrDamagedError:\n"
        "    print('refused')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "refused"
    assert "hmac check failed" not in result.stderr
    assert "ERROR CORE" not in result.stderr


@pytest.mark.parametrize("keep", [4096 + 1000, 3 * 4096 - 1, 2 * 4096 + 1024])
def test_a_tracker_cut_short_is_damaged_not_a_document(
    vault_path: Path, vault: Vault, keep: int
) -> None:
    """An interrupted copy (``head -c``) keeps the salt but not whole 4096-byte pages: the
    unlock window must offer the backup ("damaged"), not say "maybe a spreadsheet"."""
    repo = Repository(vault, "t")
    for index in range(40):
        add_participant(repo, first=f"{CANARY}-{index}", last="Núñez")
    vault.close()
    data = vault_path.read_bytes()
    assert len(data) > keep
    vault_path.write_bytes(data[:keep])
    before = sha256(vault_path)
    for password in (PASSWORD, "not the password"):
        with pytest.raises(WrongPasswordOrDamagedError, match="Wrong password, or the file is"):
            Vault.open(vault_path, password)
    assert sha256(vault_path) == before
    assert sorted(p.name for p in vault_path.parent.iterdir()) == [vault_path.name]


@pytest.mark.parametrize(
    "magic",
    [
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff\xe0",
        b"GIF89a",
        b"\x1f\x8b\x08\x00",
        b"7z\xbc\xaf\x27\x1c",
    ],
)
def test_pictures_and_archives_are_not_trackers(tmp_path: Path, magic: bytes) -> None:
    """Binary files that are not whole pages used to be "not a tracker" by their size alone;
    the pictures and archives someone may pick by mistake still are, by their magic."""
    path = tmp_path / "photo.tracker"
    path.write_bytes(magic + bytes(range(256)) * 7)
    with pytest.raises(NotATrackerError, match="not a Participant Tracker file"):
        Vault.open(path, PASSWORD)


def test_a_file_shorter_than_a_salt_is_not_a_tracker(tmp_path: Path) -> None:
    path = tmp_path / "tiny.tracker"
    path.write_bytes(b"\x01\x02\x03\x04\x05")
    with pytest.raises(NotATrackerError, match="not a Participant Tracker file"):
        Vault.open(path, PASSWORD)
