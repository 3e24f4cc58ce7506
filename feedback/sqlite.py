"""SQLite set-up shared by the feedback and proposal stores."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from feedback.permissions import FILE_MODE, private_dir, private_file, tighten


def enable_wal(db: Database, timeout_seconds: float = 30.0) -> None:
    """Switch ``db`` to WAL, waiting while another connection holds the file.

    SQLite does not call the busy handler for a journal-mode change, so when several
    connections open a new file at once (two stores at server start, several processes) the
    switch can fail at once with "database is locked"; it is retried here until the timeout.
    """
    deadline = time.monotonic() + timeout_seconds
    delay = 0.005
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def connect_private(path: Path | str, timeout: float) -> sqlite3.Connection:
    """Connect to the SQLite file ``path`` with personal data: the directory is made 0700 and the
    file 0600 before SQLite opens it, so its ``-wal``/``-shm`` are 0600 too (SQLite copies the mode)."""
    path = Path(path)
    private_dir(path.parent)
    private_file(path)
    return sqlite3.connect(str(path), check_same_thread=False, timeout=timeout)


def tighten_sidecars(path: Path | str) -> None:
    """Make ``-wal``/``-shm``/``-journal`` files left by an older, looser set-up owner-only."""
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(f"{path}{suffix}", FILE_MODE)
