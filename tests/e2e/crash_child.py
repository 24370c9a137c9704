"""Child process of test_crash_safety: save numbered participants until killed.

Usage: python crash_child.py VAULT MODE FIRST_NUMBER CURRENT_KEY_NAME
Keys come hex-encoded in the environment (CRASH_KEY_A, CRASH_KEY_B) so the child does not
spend time on key derivation.  MODE is "insert", "backup" (a verified backup after every
save) or "rekey" (re-encrypt with the other key after every save).

Every line is printed only AFTER the operation returned, i.e. after the commit: the parent
treats a printed "saved N" as acknowledged and requires N to survive a SIGKILL.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

from tracker_desktop.core.repository import Repository
from tracker_desktop.core.vault import Vault


def main() -> None:
    path = Path(sys.argv[1])
    mode = sys.argv[2]
    number = int(sys.argv[3])
    current = sys.argv[4]
    keys = {name: bytes.fromhex(os.environ[f"CRASH_KEY_{name}"]) for name in ("A", "B")}
    salt = path.read_bytes()[:16]
    vault = Vault(path, keys[current], salt)
    repo = Repository(vault, "crash child")
    backups = path.parent / "crash backups"
    print("ready", flush=True)
    while True:
        with repo.transaction() as tx:
            pid = tx.insert(
                "participants",
                {
                    "participant_code": f"C-{number:07d}",
                    "first_name": str(number),
                    "last_name": "Crash",
                    "created_at": tx.at,
                    "updated_at": tx.at,
                },
            )
            tx.insert(
                "enrollments",
                {"participant_id": pid, "program": "Pipeline", "enrolled_on": date(2024, 1, 3)},
            )
        print(f"saved {number}", flush=True)
        number += 1
        if mode == "backup":
            print("backup-start", flush=True)
            vault.backup(backups, keep=3)
            print("backup-done", flush=True)
        elif mode == "rekey":
            other = "B" if current == "A" else "A"
            print(f"rekey-start {other}", flush=True)
            vault.rekey(keys[other])
            current = other
            print(f"rekeyed {current}", flush=True)


if __name__ == "__main__":
    main()
