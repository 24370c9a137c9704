"""Multi-row INSERTs run on a thread of their own: the import's bulk writes.

SQLite lets go of the GIL while it runs a statement, so one statement inserting a couple
of hundred rows gives the importing thread (parsing and checking the next rows) a long
stretch to run at the same time.  ``executemany`` would not: it takes the GIL back after
every row, and a busy importing thread makes it wait up to the switch interval (5 ms)
each time.

The thread uses the caller's connection, inside the caller's transaction; the caller
must not use the connection itself until :meth:`InsertThread.wait` has returned.
"""

from __future__ import annotations

import functools
import itertools
import queue
import threading
from collections.abc import Sequence
from typing import Any

# Rows per statement: long enough for the GIL to be of use elsewhere, short enough that
# the SQL text stays small (and well under SQLite's 32,766 bound parameters).
ROWS_PER_STATEMENT = 200

_Job = tuple[str, list[Any]] | threading.Event | None


@functools.lru_cache(maxsize=256)
def _statement(head: str, width: int, count: int) -> str:
    row = "(" + ",".join("?" * width) + ")"
    return head + ",".join([row] * count)


class InsertThread:
    """Writes queued rows with multi-row INSERT statements on a DB-API ``connection``."""

    def __init__(self, connection: Any) -> None:
        self._cursor = connection.cursor()
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self._thread.start()

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Queue ``rows`` (values in ``columns`` order) for ``table``.  The statements and
        their flat parameter lists are made here, in the caller's thread: the insert
        thread then needs the GIL only to bind them."""
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        width = len(columns)
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[start : start + ROWS_PER_STATEMENT]
            values = list(itertools.chain.from_iterable(part))
            self._jobs.put((_statement(head, width, len(part)), values))

    def wait(self) -> None:
        """Return once every queued row is written; raise the first failure, if any."""
        done = threading.Event()
        self._jobs.put(done)
        done.wait()
        if self._failure is not None:
            raise self._failure

    def close(self) -> None:
        """Stop: rows still queued are dropped (the caller is rolling back, or has waited)."""
        self._stopping = True
        self._jobs.put(None)
        self._thread.join()
        self._cursor.close()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            if self._failure is not None or self._stopping:
                continue  # after a failure the batch is rolled back: nothing more to write
            statement, values = job
            try:
                self._cursor.execute(statement, values)
            except BaseException as exc:  # raised again in the caller's thread by wait()
                self._failure = exc
