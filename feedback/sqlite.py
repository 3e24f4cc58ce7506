"""SQLite set-up shared by the feedback and proposal stores."""
from __future__ import annotations

import sqlite3
import time

from sqlite_utils import Database


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
