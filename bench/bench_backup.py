"""Backup, integrity check, password change and unlock on a demo tracker.

    python -m bench.bench_backup [--participants 10000] [--runs 3]

* backup: ``Vault.backup`` = sqlcipher_export to a temp file, fsync, integrity_check +
  cipher_integrity_check of the copy, atomic rename, rotation.  Baseline: copying the
  file's bytes and fsyncing (the least any backup must do).
* integrity: both checks on the open tracker (run on every backup).
* change password: ``PRAGMA rekey`` re-encrypts every page in one journaled transaction
  (plus two key derivations).  Baseline: the same bare copy.
* unlock: key derivation (PBKDF2-HMAC-SHA512, 256,000 iterations) + the open checks.
  Baseline: the key derivation alone - the deliberate cost of a password guess.

Works on a copy in a temporary folder: the cached demo tracker is never changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_PASSWORD, demo_tracker, line

NEW_PASSWORD = "bench-password-2"


def _best(samples: list[float]) -> float:
    return statistics.median(samples)


def _bare_copy(source: Path, target: Path) -> float:
    started = time.perf_counter()
    shutil.copyfile(source, target)
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from tracker_desktop.core.vault import Vault, derive_key

    source = demo_tracker(args.participants)
    size_mb = source.stat().st_size / 1024 / 1024
    label = f"{args.participants // 1000}k" if args.participants >= 1000 else str(args.participants)
    results: dict[str, Any] = {"participants": args.participants, "file_mb": round(size_mb, 1)}
    with tempfile.TemporaryDirectory(prefix="bench-backup-", dir=source.parent) as folder:
        work = Path(folder) / "bench.tracker"
        shutil.copyfile(source, work)
        bare = _best([_bare_copy(work, Path(folder) / "bare.copy") for _ in range(args.runs)])

        vault = Vault.open(work, BENCH_PASSWORD)
        try:
            backups = Path(folder) / "backups"
            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                vault.backup(backups, keep=2)
                samples.append(time.perf_counter() - started)
            backup = _best(samples)

            samples = []
            for _ in range(args.runs):
                started = time.perf_counter()
                report = vault.check()
                samples.append(time.perf_counter() - started)
                assert report.ok, report.summary()
            check = _best(samples)

            samples = []
            passwords = [BENCH_PASSWORD, NEW_PASSWORD]
            for run in range(args.runs):
                old, new = passwords[run % 2], passwords[(run + 1) % 2]
                started = time.perf_counter()
                vault.change_password(old, new)
                samples.append(time.perf_counter() - started)
            rekey = _best(samples)
            current = passwords[args.runs % 2]
        finally:
            vault.close()

        salt = work.read_bytes()[:16]
        samples_kdf, samples_open = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            derive_key(current, salt)
            samples_kdf.append(time.perf_counter() - started)
            started = time.perf_counter()
            Vault.open(work, current).close()
            samples_open.append(time.perf_counter() - started)
        kdf, unlock = _best(samples_kdf), _best(samples_open)

    print(f"tracker: {args.participants:,} participants, {size_mb:.0f} MB")
    print(line(f"backup (export + fsync + both checks), {label}", backup, "s", "bare copy", bare))
    print(line(f"integrity + cipher integrity check, {label}", check, "s", "bare copy", bare))
    print(line(f"change password (rekey), {label}", rekey, "s", "bare copy", bare))
    print(line(f"unlock (key derivation + open checks), {label}", unlock, "s", "KDF alone", kdf))
    results.update(
        backup_s=backup, check_s=check, rekey_s=rekey, unlock_s=unlock, kdf_s=kdf, bare_copy_s=bare
    )
    return results


if __name__ == "__main__":
    main()
