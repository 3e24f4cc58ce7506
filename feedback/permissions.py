"""Owner-only files for personal data, whatever the process umask.

The data dir is 0700; the SQLite database (names, emails, the form-token secret) and every export
with personal data are 0600. SQLite creates ``-wal`` and ``-shm`` with the database file's mode,
so the database file is created 0600 *before* SQLite opens it. Existing files and dirs that are
looser (e.g. from before this rule, or a umask of 022) are tightened when opened; when the system
refuses (an administrator gave them to another owner on purpose) a warning is logged and the
application carries on.
"""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def tighten(path: Path | str, mode: int) -> None:
    """``chmod path mode`` when group or others have any access; a warning when not allowed."""
    try:
        current = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if not current & 0o077:
        return
    try:
        os.chmod(path, mode)
    except OSError as exc:
        log.warning("%s is readable by others (mode %o) and could not be made %o: %s; "
                    "it holds personal data, restrict it by hand", path, current, mode, exc.strerror or exc)
    else:
        log.info("restricted %s from mode %o to %o (personal data)", path, current, mode)


def private_dir(path: Path | str) -> Path:
    """Create the directory ``path`` (and its parents) owner-only, or tighten it if it exists."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    tighten(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty and owner-only if it is missing, else tighten it (nothing is written)."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        tighten(path, FILE_MODE)
    return path


def write_private(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` owner-only (an existing file is tightened before it is written)."""
    tighten(path, FILE_MODE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with open(fd, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
