"""The encrypted tracker file: create, unlock, change password, back up, restore, check.

Every connection is keyed before anything else runs.  We derive SQLCipher's own key
(PBKDF2-HMAC-SHA512, 256,000 iterations, the file's 16-byte salt) once at unlock and key
every later connection with that raw key.  That keeps the passphrase out of SQL text
entirely (no quoting problems with ``O'Brien"; --``), makes extra connections cheap, and
stays byte-compatible with opening the file by passphrase in any SQLCipher 4 tool.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from tracker_desktop import TRACKER_SUFFIX
from tracker_desktop.core import schema

KDF_ITERATIONS = 256_000  # SQLCipher 4 default; pinned by cipher_compatibility = 4
KEY_BYTES = 32
SALT_BYTES = 16
PAGE_SIZE = 4096
BACKUP_KEEP_DEFAULT = 10
_PLAIN_SQLITE_MAGIC = b"SQLite format 3\x00"
# A tracker starts with its random 16-byte salt, so only magics long enough never to be a
# salt by chance are used (a one-byte "{" or "<" would misjudge 1 tracker in 128; the
# shortest here, 3 bytes, 1 in 16 million).  Office/zip, PDF, old Office, UTF-8 text,
# then pictures and archives someone may pick by mistake (PNG, JPEG, GIF, gzip, 7z, RAR).
_OTHER_FILE_MAGICS = (
    b"PK\x03\x04",
    b"%PDF",
    b"\xd0\xcf\x11\xe0",
    b"\xef\xbb\xbf",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"\x1f\x8b\x08",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
)
_TEXT_BYTES = frozenset(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}


def _looks_like_text(head: bytes) -> bool:
    """16 printable ASCII bytes: JSON, XML, CSV... (a random salt: about 1 in 10 million)."""
    return len(head) == 16 and all(byte in _TEXT_BYTES for byte in head)


class VaultError(Exception):
    """Base for every problem opening or handling a tracker file."""


class WrongPasswordOrDamagedError(VaultError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"Wrong password, or the file is damaged: {path.name}")
        self.path = path


class DamagedVaultError(VaultError):
    """The password is right, but pages behind the first fail their integrity check."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path.name} is damaged: parts of it fail their check, so it was not opened"
        )
        self.path = path


class NotATrackerError(VaultError):
    pass


class NewerSchemaError(VaultError):
    pass


class VaultExistsError(VaultError):
    pass


@dataclass(frozen=True)
class IntegrityReport:
    integrity: list[str]
    cipher: list[str]

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not self.cipher

    def summary(self) -> str:
        if self.ok:
            return "integrity_check ok; cipher_integrity_check ok"
        problems = [p for p in self.integrity if p != "ok"] + self.cipher
        return "; ".join(problems[:10])


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created: datetime
    size_bytes: int


def derive_key(password: str, salt: bytes) -> bytes:
    """The key SQLCipher 4 itself derives from ``password`` for a file with ``salt``."""
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, KDF_ITERATIONS, KEY_BYTES)


def _raw_key_literal(key: bytes, salt: bytes | None = None) -> str:
    # Only hex digits ever reach the SQL text: no quoting problem is possible.
    blob = key.hex() + (salt.hex() if salt else "")
    return f"\"x'{blob}'\""


def _classify_unreadable(path: Path) -> VaultError:
    """Why a file did not open.  The first 16 bytes of a tracker are its random salt:
    anything else there (empty, plain SQLite, a document's magic, text) is another kind of
    file.  Random-looking bytes there mean a tracker, opened with the wrong password or
    damaged, also when the size is not whole pages (a copy cut short: the last page half
    written, an interrupted copy to a USB stick)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
        size = path.stat().st_size
    except OSError as exc:
        return VaultError(f"Cannot read {path}: {exc.strerror}")
    if size == 0:
        return NotATrackerError(f"{path.name} is empty: it is not a Participant Tracker file.")
    if head.startswith(_PLAIN_SQLITE_MAGIC):
        return NotATrackerError(
            f"{path.name} is an unencrypted SQLite database, not a Participant Tracker file."
        )
    if len(head) < SALT_BYTES or head.startswith(_OTHER_FILE_MAGICS) or _looks_like_text(head):
        return NotATrackerError(
            f"{path.name} is not a Participant Tracker file (maybe a spreadsheet or document?)."
        )
    return WrongPasswordOrDamagedError(path)  # also when size % PAGE_SIZE: a copy cut short


def _connect_raw(path: Path, key: bytes, *, readonly: bool = False) -> sqlcipher3.Connection:
    # '%', '?' and '#' are URI syntax: escaped, so "a#b.tracker" does not open a file "a".
    escaped = str(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    uri = f"file:{escaped}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlcipher3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
    conn.execute(f"PRAGMA key = {_raw_key_literal(key)}")  # always the first statement
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute("PRAGMA cipher_compatibility = 4")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails on a wrong key
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _read_salt(path: Path) -> bytes:
    with path.open("rb") as handle:
        salt = handle.read(SALT_BYTES)
    if len(salt) < SALT_BYTES:
        raise _classify_unreadable(path)
    return salt


def _has_hot_journal(path: Path) -> bool:
    journal = path.with_name(path.name + "-journal")
    try:
        return journal.stat().st_size > 0
    except OSError:
        return False


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can fsync a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_connection(conn: Any) -> IntegrityReport:
    """Both checks; a check that cannot even run reports its error instead of raising."""

    def pragma_rows(statement: str) -> list[str]:
        try:
            return [str(row[0]) for row in conn.execute(statement).fetchall()]
        except sqlcipher3.DatabaseError as exc:
            return [f"{statement.split()[1]} failed: {exc}"]

    return IntegrityReport(
        integrity=pragma_rows("PRAGMA integrity_check"),
        cipher=pragma_rows("PRAGMA cipher_integrity_check"),
    )


class Vault:
    """An unlocked tracker file.  Create with :meth:`create` or :meth:`open`."""

    def __init__(self, path: Path, key: bytes, salt: bytes) -> None:
        self.path = path
        self._key = key
        self._salt = salt
        self.engine: Engine = self._make_engine()

    # -- opening ---------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike[str], password: str) -> Vault:
        target = Path(path)
        if target.is_dir():
            raise VaultError(f"{target} is a folder, not a tracker file.")
        if target.exists() and target.stat().st_size > 0:
            raise VaultExistsError(f"{target.name} already exists; choose another name.")
        if not password:
            raise VaultError("A password is required.")
        target.parent.mkdir(parents=True, exist_ok=True)
        salt = secrets.token_bytes(SALT_BYTES)
        key = derive_key(password, salt)
        conn = sqlcipher3.connect(str(target), timeout=30)
        try:
            conn.isolation_level = None
            # Key + explicit salt: the file gets this salt, so the passphrase opens it too.
            conn.execute(f"PRAGMA key = {_raw_key_literal(key, salt)}")
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute("PRAGMA cipher_compatibility = 4")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("BEGIN IMMEDIATE")
            schema.create_current(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            with contextlib.suppress(OSError):
                target.unlink()
            raise
        conn.close()
        return cls(target, key, salt)

    @classmethod
    def open(cls, path: str | os.PathLike[str], password: str, *, migrate: bool = True) -> Vault:
        target = Path(path)
        if not target.exists():
            raise VaultError(f"No tracker file at {target}")
        if target.is_dir():
            raise VaultError(f"{target} is a folder, not a tracker file.")
        salt = _read_salt(target)
        return cls.open_with_key(target, derive_key(password, salt), migrate=migrate)

    @classmethod
    def unlock(cls, path: str | os.PathLike[str], password: str) -> Vault:
        """:meth:`open`, then refuse a file with damaged pages (``cipher_integrity_check``,
        ~80 ms for 10,000 participants) before any screen or command reads it: a page
        damaged behind the first is otherwise only found when something reads that page."""
        vault = cls.open(path, password)
        try:
            failing = vault.failing_pages()
        except sqlcipher3.DatabaseError:
            failing = ["unreadable"]
        except BaseException:
            vault.close()
            raise
        if failing:
            vault.close()
            raise DamagedVaultError(vault.path)
        return vault

    @classmethod
    def open_with_key(
        cls, path: str | os.PathLike[str], key: bytes, *, migrate: bool = True
    ) -> Vault:
        """Like :meth:`open` with the raw key (from :func:`derive_key`) instead of the
        passphrase: used to open a backup made with the current password."""
        target = Path(path)
        if not target.exists():
            raise VaultError(f"No tracker file at {target}")
        if target.is_dir():
            raise VaultError(f"{target} is a folder, not a tracker file.")
        salt = _read_salt(target)
        try:
            conn = _connect_raw(target, key, readonly=True)
        except sqlcipher3.DatabaseError:
            if not _has_hot_journal(target):
                raise _classify_unreadable(target) from None
            # A crash (kill -9, power cut) mid-write left a rollback journal: a read-only
            # connection cannot replay it and fails even with the right key.  A writable
            # one first restores the last committed state (a raw page copy that does not
            # need the key), exactly what SQLite does on any open, then reads.
            try:
                conn = _connect_raw(target, key)
            except sqlcipher3.DatabaseError:
                raise _classify_unreadable(target) from None
        try:
            version = schema.read_version(conn)
            if not schema.is_tracker(conn):
                raise NotATrackerError(
                    f"{target.name} is an encrypted database, but not a Participant Tracker file."
                )
        except sqlcipher3.DatabaseError:
            raise WrongPasswordOrDamagedError(target) from None
        finally:
            conn.close()
        if version > schema.SCHEMA_VERSION:
            raise NewerSchemaError(
                f"{target.name} was saved by a newer Participant Tracker (file version "
                f"{version}, this app knows up to {schema.SCHEMA_VERSION}). Update the app."
            )
        if version < schema.SCHEMA_VERSION:
            if not migrate:
                raise VaultError(f"{target.name} needs an upgrade from version {version}.")
            cls._migrate(target, key, version)
        return cls(target, key, salt)

    @staticmethod
    def _migrate(path: Path, key: bytes, version: int) -> Path:
        """Copy the file aside, then upgrade it one step (one transaction) at a time."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        copy = path.with_name(f"{path.stem}.before-v{schema.SCHEMA_VERSION}-{stamp}{path.suffix}")
        shutil.copy2(path, copy)
        conn = _connect_raw(path, key)
        try:
            schema.migrate(conn, version)
        finally:
            conn.close()
        return copy

    def _make_engine(self) -> Engine:
        engine = create_engine(
            "sqlite+pysqlite://",
            module=sqlcipher3,
            creator=lambda: _connect_raw(self.path, self._key),
            poolclass=QueuePool,
            pool_size=2,
            max_overflow=4,
        )

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql(conn.get_execution_options().get("tracker_begin", "BEGIN"))

        return engine

    # -- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction.  Committed (and fsynced) when the block exits."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(tracker_begin="BEGIN IMMEDIATE")
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- password --------------------------------------------------------------------
    def verify_password(self, password: str) -> bool:
        return secrets.compare_digest(derive_key(password, self._salt), self._key)

    def change_password(self, old_password: str, new_password: str) -> None:
        """Re-encrypt every page with a new key.  PRAGMA rekey runs in one journaled
        transaction, so a crash leaves the file under the old key or the new, never neither."""
        if not self.verify_password(old_password):
            raise WrongPasswordOrDamagedError(self.path)
        if not new_password:
            raise VaultError("The new password cannot be empty.")
        self.rekey(derive_key(new_password, self._salt))

    def rekey(self, new_key: bytes) -> None:
        """Re-encrypt the file under ``new_key`` (a key from :func:`derive_key` with this
        file's salt).  One journaled transaction: old key or new key, never neither."""
        if len(new_key) != KEY_BYTES:
            raise VaultError("A raw key must be 32 bytes.")
        self.engine.dispose()
        conn = _connect_raw(self.path, self._key)
        try:
            conn.execute(f"PRAGMA rekey = {_raw_key_literal(new_key)}")
        finally:
            conn.close()
        self._key = new_key
        self.engine = self._make_engine()

    @property
    def salt(self) -> bytes:
        return self._salt

    # -- checks ----------------------------------------------------------------------
    def check(self) -> IntegrityReport:
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            return check_connection(raw)

    def failing_pages(self) -> list[str]:
        """What ``cipher_integrity_check`` reports (empty for a sound file): a page damaged
        behind the first one is otherwise only found when a screen reads it.  Reads every
        page once (~80 ms for 10,000 participants); an unreadable file raises."""
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
            return [str(row[0]) for row in rows]

    # -- backups ---------------------------------------------------------------------
    def default_backup_dir(self) -> Path:
        return self.path.parent / f"{self.path.stem} backups"

    def backup(
        self,
        directory: str | os.PathLike[str] | None = None,
        keep: int = BACKUP_KEEP_DEFAULT,
        checkpoint: Callable[[], object] | None = None,
    ) -> Path:
        """Write an encrypted, verified copy; keep only the newest ``keep`` backups.

        The copy is one consistent snapshot (saves made meanwhile wait for it).
        ``checkpoint`` is called between the steps; it may raise to cancel the backup,
        which then leaves nothing behind."""
        step = checkpoint or (lambda: None)
        folder = Path(directory) if directory else self.default_backup_dir()
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(folder)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        final = folder / f"{self.path.stem}-{stamp}{TRACKER_SUFFIX}"
        fd, tmp_name = tempfile.mkstemp(prefix=".partial-", suffix=TRACKER_SUFFIX, dir=folder)
        os.close(fd)
        os.unlink(tmp_name)  # SQLCipher must create the file itself
        tmp = Path(tmp_name)
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                version = schema.read_version(raw)
                raw.execute(
                    f"ATTACH DATABASE ? AS backup KEY {_raw_key_literal(self._key, self._salt)}",
                    (str(tmp),),
                )
                try:
                    step()
                    raw.execute("BEGIN")  # one snapshot of every table
                    try:
                        raw.execute("SELECT sqlcipher_export('backup')")
                        raw.execute(f"PRAGMA backup.user_version = {int(version)}")
                        raw.execute("COMMIT")
                    except BaseException:
                        raw.execute("ROLLBACK")
                        raise
                finally:
                    raw.execute("DETACH DATABASE backup")
            with tmp.open("rb+") as handle:
                os.fsync(handle.fileno())
            step()
            report = self._check_file(tmp)
            step()
            if not report.ok:
                raise VaultError(f"The backup failed its integrity check: {report.summary()}")
            os.replace(tmp, final)
            _fsync_dir(folder)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        rotate_backups(folder, self.path.stem, keep)
        return final

    def _check_file(self, path: Path) -> IntegrityReport:
        conn = _connect_raw(path, self._key, readonly=True)
        try:
            return check_connection(conn)
        finally:
            conn.close()

    def list_backups(self, directory: str | os.PathLike[str] | None = None) -> list[BackupInfo]:
        folder = Path(directory) if directory else self.default_backup_dir()
        return list_backups(folder, self.path.stem)

    def backup_participant_count(self, backup: Path) -> int:
        conn = _connect_raw(backup, self._key, readonly=True)
        try:
            row = conn.execute("SELECT count(*) FROM participants").fetchone()
            return int(row[0])
        finally:
            conn.close()

    def restore(self, backup: Path, password: str | None = None) -> Vault:
        """Close this file and replace it with ``backup``; returns the reopened tracker.

        Without ``password`` the backup must open with the current password.  Nothing is
        replaced when the backup does not open or fails its integrity checks.
        """
        key = None if password is not None else self._key
        if password is None:
            probe = Vault.open_with_key(backup, self._key, migrate=False)
        else:
            probe = Vault.open(backup, password, migrate=False)
        probe.close()
        self.close()
        return restore_backup(backup, self.path, password, key=key)

    def backup_opens(self, backup: Path) -> bool:
        """Whether ``backup`` opens with this file's current password."""
        try:
            self.backup_participant_count(backup)
        except sqlcipher3.DatabaseError:
            return False
        return True

    def last_change_id(self) -> int:
        """The newest audit row id: every saved change writes one, so it marks the state."""
        with self.read() as conn:
            raw = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM audit_log").scalar()
        return int(raw or 0)

    def backup_is_current(self, backup: Path) -> bool:
        """True when ``backup`` (made with the current password) already holds every change,
        so an automatic backup now would only push an older, different one out of rotation."""
        try:
            conn = _connect_raw(backup, self._key, readonly=True)
        except sqlcipher3.DatabaseError:
            return False
        try:
            row = conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()
        except sqlcipher3.DatabaseError:
            return False
        finally:
            conn.close()
        return int(row[0]) == self.last_change_id()


def list_backups(folder: Path, stem: str) -> list[BackupInfo]:
    """Backups of the tracker called ``stem`` in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"{stem}-*{TRACKER_SUFFIX}"):
        stat = path.stat()
        found.append(BackupInfo(path, datetime.fromtimestamp(stat.st_mtime), stat.st_size))
    found.sort(key=lambda info: info.path.name, reverse=True)
    return found


STALE_PARTIAL_SECONDS = 3600


def remove_stale_partials(folder: Path, max_age: float = STALE_PARTIAL_SECONDS) -> list[Path]:
    """Delete ``.partial-*`` files (and their journals) left by a backup that was killed.

    They hold encrypted pages only; anything younger than ``max_age`` may belong to a
    backup still being written by another process and is left alone."""
    removed = []
    now = datetime.now().timestamp()
    for path in folder.glob(".partial-*"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > max_age:
                path.unlink()
                removed.append(path)
    return removed


def rotate_backups(folder: Path, stem: str, keep: int) -> list[Path]:
    removed = []
    for info in list_backups(folder, stem)[max(keep, 1) :]:
        info.path.unlink()
        removed.append(info.path)
    return removed


def restore_backup(
    backup: Path, target: Path, password: str | None = None, *, key: bytes | None = None
) -> Vault:
    """Replace ``target`` with ``backup`` (after checking the backup opens with ``password``,
    or the raw ``key``, and passes both integrity checks).

    The current file is kept beside it as ``<name>.before-restore-<time>.tracker``.
    """
    if key is None:
        if password is None:
            raise VaultError("A password is needed to open the backup.")
        key = derive_key(password, _read_salt(backup))
    probe = Vault.open_with_key(backup, key, migrate=False)
    try:
        report = probe.check()
    finally:
        probe.close()
    if not report.ok:
        raise VaultError(f"That backup is damaged: {report.summary()}")
    if target.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        shutil.copy2(
            target, target.with_name(f"{target.stem}.before-restore-{stamp}{TRACKER_SUFFIX}")
        )
    fd, tmp_name = tempfile.mkstemp(prefix=".restoring-", dir=target.parent)
    os.close(fd)
    shutil.copyfile(backup, tmp_name)
    with open(tmp_name, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp_name, target)
    _fsync_dir(target.parent)
    return Vault.open_with_key(target, key)
