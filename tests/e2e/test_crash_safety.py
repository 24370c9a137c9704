"""Kill -9 at 200 random moments while saving, backing up and changing the password.

A child process (crash_child.py) saves numbered participants through the repository and
prints each number only after its commit.  After every SIGKILL the file must open (with
the old or the new key, never neither), keep every acknowledged participant, have one
audit row per participant, and pass integrity_check and cipher_integrity_check.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tracker_desktop.core import schema
from tracker_desktop.core.vault import (
    Vault,
    WrongPasswordOrDamagedError,
    derive_key,
    list_backups,
)

pytestmark = pytest.mark.slow

KILLS = 200
OTHER_PASSWORD = "the second password, after a change"
CHILD = Path(__file__).with_name("crash_child.py")
MODES = ("insert", "backup", "rekey", "insert", "backup", "rekey", "insert")
# Longest random wait before the kill, per mode: a verified backup takes 50-500 ms on a
# busy 2-core machine, a save or a rekey of this small file a few dozen.
MAX_DELAY = {"insert": 0.08, "rekey": 0.12, "backup": 0.5}


def read_until_ready(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        raise AssertionError(f"child did not start: {line!r} {err}")


def inspect(path: Path, key: bytes) -> tuple[set[int], int, int, str]:
    """Numbers saved, participant count, participant-insert audit rows, integrity summary."""
    with Vault.open_with_key(path, key) as vault:
        report = vault.check()
        with vault.read() as conn:
            names = conn.execute(select(schema.participants.c.first_name)).scalars().all()
            log = schema.audit_log
            audited = conn.execute(
                select(func.count())
                .select_from(log)
                .where(log.c.table_name == "participants", log.c.action == "insert")
            ).scalar_one()
            enrollments = conn.execute(
                select(func.count()).select_from(schema.enrollments)
            ).scalar_one()
    assert enrollments == len(names), "a participant was saved without its enrollment"
    summary = "ok" if report.ok else report.summary()
    return {int(n) for n in names}, len(names), int(audited), summary


def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20240603")))
    path = tmp_path / "crash.tracker"
    Vault.create(path, PASSWORD).close()
    salt = path.read_bytes()[:16]
    keys = {"A": derive_key(PASSWORD, salt), "B": derive_key(OTHER_PASSWORD, salt)}
    env = {**os.environ, "CRASH_KEY_A": keys["A"].hex(), "CRASH_KEY_B": keys["B"].hex()}
    backups = tmp_path / "crash backups"

    acknowledged: set[int] = set()
    current = "A"
    next_number = 1
    seen = {"during-backup": 0, "during-rekey": 0, "rekeys-done": 0, "other-key": 0}
    started = time.monotonic()
    for kill in range(KILLS):
        mode = MODES[kill % len(MODES)]
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(path), mode, str(next_number), current],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        read_until_ready(proc)
        time.sleep(rng.uniform(0.0, MAX_DELAY[mode]))
        assert proc.poll() is None, f"child died by itself: {proc.stderr.read()}"  # type: ignore[union-attr]
        os.kill(proc.pid, signal.SIGKILL)
        out, _err = proc.communicate()
        lines = out.splitlines()

        rekey_pending = False
        acknowledged_key = current
        for line in lines:
            word, _, arg = line.partition(" ")
            if word == "saved":
                acknowledged.add(int(arg))
            elif word == "rekey-start":
                rekey_pending = True
            elif word == "rekeyed":
                acknowledged_key, rekey_pending = arg, False
                seen["rekeys-done"] += 1
        if lines and lines[-1] == "backup-start":
            seen["during-backup"] += 1
        if rekey_pending:
            seen["during-rekey"] += 1

        # The file opens with the acknowledged key, or - only when killed during a
        # rekey - with the new one.  Never with neither.
        other = "B" if acknowledged_key == "A" else "A"
        opened_with = None
        for name in (acknowledged_key, other):
            try:
                numbers, participants, audited, integrity = inspect(path, keys[name])
            except WrongPasswordOrDamagedError:
                continue
            opened_with = name
            break
        assert opened_with is not None, f"kill {kill} ({mode}): opens with neither key"
        if opened_with != acknowledged_key:
            assert rekey_pending, f"kill {kill}: key changed without a rekey in progress"
            seen["other-key"] += 1
        current = opened_with

        missing = acknowledged - numbers
        assert not missing, f"kill {kill} ({mode}): acknowledged records lost: {sorted(missing)}"
        assert participants == audited, f"kill {kill}: {participants} records, {audited} audits"
        assert integrity == "ok", f"kill {kill} ({mode}): {integrity}"
        next_number = max(numbers, default=0) + 1

    # Every finished backup left behind is a complete, verified copy.
    finished = list_backups(backups, path.stem)
    assert finished, "no backup finished: the kill timing never let one complete"
    for info in finished:
        opened = False
        for key in keys.values():
            try:
                with Vault.open_with_key(info.path, key, migrate=False) as copy:
                    assert copy.check().ok, info.path
                    opened = True
                    break
            except WrongPasswordOrDamagedError:
                continue
        assert opened, f"backup {info.path.name} opens with neither key"

    # The passphrase (not just the raw key) still opens the survivor.
    password = PASSWORD if current == "A" else OTHER_PASSWORD
    with Vault.open(path, password) as final:
        assert final.check().ok
    elapsed = time.monotonic() - started
    print(f"\n{KILLS} kills in {elapsed:.0f}s; {len(acknowledged)} acknowledged; {seen}")
    assert len(acknowledged) > KILLS, "too few saves acknowledged: the test proved little"
    assert seen["during-backup"] >= 5, seen
    assert seen["during-rekey"] >= 5, seen
    assert seen["rekeys-done"] >= 5, seen
