"""Run a generator in a forked child process and take what it yields while this process
does other work.

The one-shot import reads an .xlsx this way: openpyxl parses in pure Python, so a reading
thread would only take turns with the rows being checked and written (the GIL); a child
process reads on the other core.  Items travel pickled through a pipe; a small thread here
drains the pipe as items arrive, so the child never waits for this process to be free.

Only where ``fork`` is safe (:func:`available`): Linux, and no other Python thread running.
A child forked while another thread runs can deadlock on a lock that thread held.  Native
threads that merely wait (importing openpyxl imports numpy, whose BLAS starts a pool of
idle workers) hold nothing the child touches: it runs openpyxl, zipfile and pickle, then
``os._exit``.  Starting a fresh interpreter instead (``spawn``) costs more than it saves.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import struct
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

_ITEM, _END, _ERROR = 0, 1, 2
_HEADER = struct.Struct("<BQ")  # message kind, length of the pickled payload


class ChildStreamError(RuntimeError):
    """The child process stopped without finishing (killed, out of memory, unpicklable item)."""


def available() -> bool:
    """True where a child can be forked safely: Linux, and no other Python thread here."""
    return sys.platform == "linux" and threading.active_count() == 1


class ForkedStream:
    """``produce(*args)`` run in a child process; iterate over this to get what it yields.

    An exception raised by ``produce`` is raised again here, from the iteration.  Use it as
    a context manager: leaving early stops the child (SIGKILL) and waits for it."""

    def __init__(self, produce: Callable[..., Iterator[Any]], *args: Any) -> None:
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking with native threads about: see the module
            # docstring for why this child is safe from them.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child(write_fd, produce, args)
        os.close(write_fd)
        self.pid = pid
        self._pipe = os.fdopen(read_fd, "rb")
        self._items: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
        self._done = False
        self._drain = threading.Thread(target=self._receive, name="forked-stream", daemon=True)
        self._drain.start()

    def _receive(self) -> None:
        # Only reads bytes (the GIL is free while waiting on the pipe); the items are
        # unpickled by the iterating thread, which needs them anyway.
        pipe = self._pipe
        try:
            while True:
                header = pipe.read(_HEADER.size)
                if len(header) < _HEADER.size:
                    raise EOFError
                kind, size = _HEADER.unpack(header)
                body = pipe.read(size)
                if len(body) < size:
                    raise EOFError
                self._items.put((kind, body))
                if kind != _ITEM:
                    return
        except (OSError, ValueError, EOFError):  # the child died mid-way, or close() closed it
            self._items.put((_ERROR, b""))

    def __iter__(self) -> Iterator[Any]:
        while not self._done:
            kind, body = self._items.get()
            if kind == _ITEM:
                yield pickle.loads(body)
                continue
            self._done = True
            if kind == _ERROR:
                error = pickle.loads(body) if body else None
                if isinstance(error, BaseException):
                    raise error
                raise ChildStreamError("the reading process stopped before the end")

    def close(self) -> None:
        """Stop the child if it is still running, and wait for it and the drain thread."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = 0
        self._drain.join()
        self._pipe.close()

    def __enter__(self) -> ForkedStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _child(write_fd: int, produce: Callable[..., Iterator[Any]], args: tuple[Any, ...]) -> None:
    code = 0
    try:
        with os.fdopen(write_fd, "wb", buffering=0) as pipe:

            def send(kind: int, payload: Any) -> None:
                body = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.write(_HEADER.pack(kind, len(body)) + body)

            try:
                for item in produce(*args):
                    send(_ITEM, item)
                send(_END, None)
            except Exception as exc:
                code = 1
                try:
                    send(_ERROR, exc)
                except Exception:  # an exception that does not pickle: say so plainly
                    send(_ERROR, ChildStreamError(f"{type(exc).__name__}: {exc}"))
    except BaseException:
        code = 2
    finally:
        # Straight out: no atexit handlers, no finalizers for the parent's connections and
        # temporary files, which the child inherited but does not own.
        os._exit(code)
