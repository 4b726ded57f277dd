"""One run per output file: an exclusive, advisory lock on ``<output>.lock``.

The lock is ``flock`` on a side file, not on the output itself, because resume replaces the
output by an atomic rename (a lock on the old inode would then guard nothing). The kernel
drops the lock when the holder exits, however it exits (kill -9 included), so a stale lock file
never blocks a run; its content (pid, host, since) only says who holds it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import IO


class OutputLocked(Exception):
    """Another run holds the output file."""


class OutputLock:
    """``with OutputLock(path):`` -- raises :class:`OutputLocked` if another process holds it."""

    def __init__(self, output: Path) -> None:
        real = Path(os.path.realpath(output))  # two spellings of one file share one lock
        self.path = real.with_name(real.name + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        fh = self.path.open("a+", encoding="utf-8")  # OSError here: the caller reports it
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = _describe(fh.read())
            fh.close()
            raise OutputLocked(holder) from None
        except OSError:
            fh.close()  # a file system without flock (some network mounts): run unlocked
            return
        fh.seek(0)
        fh.truncate()
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": since}))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _describe(content: str) -> str:
    try:
        info = json.loads(content)
        return f"pid {info['pid']} on {info['host']}, since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "another process (it left no details)"
