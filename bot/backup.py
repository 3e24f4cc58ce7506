"""Backups of a data dir, and restoring one: the database and the current index version.

``reformbot backup DIR`` writes (owner-only: the database holds names and emails)::

    DIR/                              0700
      manifest.json                   reformbot version, time, index version id, the database's
                                      migrations and row counts, and the sha256 of every file
      reformbot.db                    SQLite's online backup of <data dir>/reformbot.db: one
                                      consistent snapshot, taken while the server runs and writes
      index/versions/<ID>/...         the current index version as built (its checksums.json too)
      index/current-document          the admin's choice of current document, when one was made
      synonyms.txt                    the admin's synonyms (``REFORMBOT_SYNONYMS_FILE``'s default
                                      place), when present

Every file is 0600, every directory 0700. The backup is written beside ``DIR`` under a dot name
and renamed to ``DIR`` only once complete and checked (``PRAGMA integrity_check`` on the copy, the
index version's own checksums and a full load), so a ``DIR`` that exists is a whole backup.

``reformbot restore DIR`` checks every file against the manifest before it writes anything and
refuses a damaged backup (a file missing or changed, a manifest that does not parse) and a data
dir that is not empty, unless ``--force``. It copies the database in (its old ``-wal``/``-shm``
removed, so SQLite cannot replay them into it) and makes the index version current through
:func:`index.versions.switch_to`, which verifies it again.

Only the application's side of the index is used here: :func:`index.versions.read_pointer`,
:func:`~index.versions.verify` and :func:`~index.versions.switch_to`.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from feedback.clock import JST, SYSTEM_CLOCK, Clock
from feedback.permissions import DIR_MODE, FILE_MODE, private_dir
from index.versions import _fsync_dir, _sha256   # one fsync and one checksum for index versions and backups

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "reformbot.db"
INDEX = "index"
VERSIONS = "versions"
ADMIN_FILES = ("index/current-document", "synonyms.txt")
"""Small files an admin edits in the data dir: backed up and restored as they are, when present."""


class BackupError(Exception):
    "A backup cannot be written or restored; the message says why and what to do."


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds (``manifest.json``)."""

    format: int
    reformbot_version: str
    created_at: str                       # ISO 8601 UTC, when it was taken (the clock it was given)
    index_version: str | None             # the index version copied (None: no index was built)
    migrations: dict[str, list[str]] = field(default_factory=dict)   # migration set -> names applied
    rows: dict[str, int] = field(default_factory=dict)               # table -> rows in the copy
    files: dict[str, str] = field(default_factory=dict)              # relative path -> sha256

    @property
    def has_database(self) -> bool:
        return DATABASE in self.files

    def taken(self) -> str:
        """When the backup was taken, in Japan time (``2026-11-27 03:00 JST``)."""
        try:
            dt = datetime.strptime(self.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return self.created_at
        return f"{dt.astimezone(JST):%Y-%m-%d %H:%M} JST"


def reformbot_version() -> str:
    """The installed reformbot's version ("unknown" when run from a tree that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reformbot")
    except PackageNotFoundError:
        return "unknown"


# --- writing a backup -------------------------------------------------------------------------

def backup(data_dir: Path, target: Path, *, clock: Clock = SYSTEM_CLOCK) -> BackupManifest:
    """Back up ``data_dir``'s database and current index version into the new directory ``target``.

    Safe while the server runs: the database is copied with SQLite's online backup API from a
    connection of its own, which sees one committed state; submissions go on meanwhile (WAL).

    Args:
        data_dir: the data dir (``REFORMBOT_DATA_DIR``).
        target: where to write; must not exist, or be an empty directory.
        clock: the time recorded in the manifest.

    Returns:
        The manifest written.

    Raises:
        BackupError: nothing to back up, ``target`` not empty, the database or index damaged or
            changed while copied, or a write failed (nothing is left at ``target`` then).
    """
    data_dir, target = Path(data_dir), Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not empty: give a new directory for each backup, "
                          f"e.g. {target.parent / clock.now().astimezone(JST).strftime('%Y-%m-%d')}")
    database = data_dir / DATABASE
    index_version = _current_index_version(data_dir / INDEX)
    if not database.is_file() and index_version is None:
        raise BackupError(f"nothing to back up in {data_dir}: it has no {DATABASE} and no index "
                          "(is REFORMBOT_DATA_DIR the server's data dir?)")
    staging = target.parent / f".{target.name}.partial-{os.getpid()}"
    taken = clock.now()                              # the moment of the snapshot, not of the last write
    try:
        _make_dirs(target.parent)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=DIR_MODE)
        os.chmod(staging, DIR_MODE)                  # whatever the umask
        migrations: dict[str, list[str]] = {}
        rows: dict[str, int] = {}
        if database.is_file():
            migrations, rows = _backup_database(database, staging / DATABASE)
        if index_version is not None:
            _backup_index(data_dir / INDEX, index_version, staging / INDEX / VERSIONS / index_version)
        for rel in ADMIN_FILES:
            if (data_dir / rel).is_file():
                _make_dirs((staging / rel).parent)
                _copy_file(data_dir / rel, staging / rel)
        manifest = BackupManifest(FORMAT, reformbot_version(), _iso(taken), index_version,
                                  migrations, rows, _checksums(staging))
        _write_new(staging / MANIFEST, (json.dumps(asdict(manifest), ensure_ascii=False, indent=1) + "\n").encode())
        _fsync_tree(staging)
        if target.exists():
            target.rmdir()                           # empty (checked above): the rename takes its place
        os.rename(staging, target)
        _fsync_dir(target.parent)
    except BackupError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"writing the backup to {target} failed ({exc.strerror or exc}"
                          f"{': ' + str(exc.filename) if exc.filename else ''}); nothing was kept there") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _current_index_version(index_root: Path) -> str | None:
    from index.errors import IndexError_
    from index.versions import read_pointer

    try:
        pointer = read_pointer(index_root)
    except IndexError_ as exc:
        raise BackupError(f"the index cannot be backed up: {exc}") from None
    return pointer.version if pointer else None


def _backup_database(source: Path, dest: Path) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Copy the database with the online backup API; the copy is checked and left in rollback
    (``DELETE``) journal mode, so it is one self-contained file."""
    _write_new(dest, b"")                            # 0600 before SQLite opens it
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(dest))
        try:
            src.backup(dst)                          # all pages in one step: one snapshot
            dst.execute("PRAGMA journal_mode = DELETE")
            problems = [r[0] for r in dst.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{source} fails SQLite's integrity check ({problems[0]}): it was not backed up; "
                                  "restore the last good backup or repair the database with the sqlite3 `.recover` command")
            return _migrations(dst), _row_counts(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot back up {source} ({exc}): is it the server's database?") from None
    finally:
        src.close()


def _migrations(conn: sqlite3.Connection) -> dict[str, list[str]]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'").fetchone():
        return {}
    out: dict[str, list[str]] = {}
    for migration_set, name in conn.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY rowid"):
        out.setdefault(migration_set, []).append(name)
    return out


def _row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                         " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def _backup_index(index_root: Path, version: str, dest: Path) -> None:
    """Copy one index version and check the copy as the server would load it."""
    from index.errors import IndexError_
    from index.versions import verify, version_dir

    try:
        source = version_dir(index_root, version)
    except IndexError_ as exc:
        raise BackupError(f"the current index version cannot be backed up: {exc}") from None
    _make_dirs(dest.parent)
    _copy_tree(source, dest)
    try:
        verify(dest)
    except IndexError_ as exc:
        raise BackupError(f"the current index version {version} changed or is damaged ({exc}); "
                          "run the backup again, or rebuild the index first") from None


# --- reading and restoring ----------------------------------------------------------------------

def read_backup(source: Path) -> BackupManifest:
    """The manifest of the backup in ``source``, after every file was checked against it.

    Raises:
        BackupError: not a backup, the manifest does not parse, or a file is missing or changed.
    """
    source = Path(source)
    if not source.is_dir():
        raise BackupError(f"no backup at {source}: give the directory `reformbot backup` wrote")
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a complete backup: it has no {MANIFEST}; "
                          "restore another backup")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        manifest = BackupManifest(
            format=int(raw["format"]), reformbot_version=str(raw["reformbot_version"]),
            created_at=str(raw["created_at"]), index_version=raw["index_version"],
            migrations={str(k): [str(n) for n in v] for k, v in raw["migrations"].items()},
            rows={str(k): int(v) for k, v in raw["rows"].items()},
            files={str(k): str(v) for k, v in raw["files"].items()})
        if manifest.index_version is not None and not isinstance(manifest.index_version, str):
            raise ValueError("index_version is not a string")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{path} does not parse ({type(exc).__name__}: {exc}): the backup is damaged; "
                          "restore another backup") from None
    if manifest.format != FORMAT:
        raise BackupError(f"{source} is a backup of format {manifest.format}; this reformbot reads format {FORMAT}: "
                          f"restore it with the reformbot that wrote it ({manifest.reformbot_version})")
    if not manifest.has_database and manifest.index_version is None:
        raise BackupError(f"{path} lists neither a database nor an index: the backup is damaged; restore another backup")
    for rel, digest in sorted(manifest.files.items()):
        if not _safe(rel):
            raise BackupError(f"{path} names {rel!r}, which is outside the backup: the backup is damaged; "
                              "restore another backup")
        f = source / rel
        if not f.is_file():
            raise BackupError(f"backup {source} is damaged: {rel} is missing; restore another backup")
        if _sha256(f) != digest:
            raise BackupError(f"backup {source} is damaged: {rel} does not match its sha256 in {MANIFEST}; "
                              "restore another backup")
    if manifest.index_version is not None:
        prefix = f"{INDEX}/{VERSIONS}/{manifest.index_version}/"
        if not _safe(prefix + "x") or not any(rel.startswith(prefix) for rel in manifest.files):
            raise BackupError(f"{path} names index version {manifest.index_version!r} but lists none of its files: "
                              "the backup is damaged; restore another backup")
    return manifest


def restore(source: Path, data_dir: Path, *, force: bool = False) -> BackupManifest:
    """Restore the backup in ``source`` into ``data_dir``.

    Args:
        source: a directory written by :func:`backup`.
        data_dir: the data dir to restore into; must be empty or missing unless ``force``.
        force: replace the database and the current index version of a data dir in use (stop
            the server first); other index versions stay.

    Returns:
        The backup's manifest.

    Raises:
        BackupError: the backup is damaged (nothing is written), the data dir is not empty and
            ``force`` is False, or a write failed.
    """
    from index.errors import IndexError_
    from index.versions import switch_to

    source, data_dir = Path(source), Path(data_dir)
    manifest = read_backup(source)
    if data_dir.exists() and not force:
        present = sorted(p.name for p in data_dir.iterdir()) if data_dir.is_dir() else [data_dir.name]
        if present:
            raise BackupError(f"{data_dir} is not empty ({', '.join(present[:4])}{', …' if len(present) > 4 else ''}): "
                              "restore into an empty data dir, or add --force to replace its database and index "
                              "(stop the server first)")
    tmp_db = data_dir / f".{DATABASE}.restore-{os.getpid()}"
    try:
        private_dir(data_dir)
        if manifest.has_database:
            _copy_file(source / DATABASE, tmp_db)
            _check_restored_database(tmp_db, manifest)
        if manifest.index_version is not None:
            _restore_index(source, data_dir / INDEX, manifest)
            try:
                switch_to(data_dir / INDEX, manifest.index_version, reason="restore")
            except IndexError_ as exc:
                raise BackupError(f"the restored index version could not be made current: {exc}") from None
        for rel in ADMIN_FILES:
            if rel in manifest.files:               # checked against the manifest by read_backup
                _make_dirs((data_dir / rel).parent)
                partial = data_dir / f"{rel}.restore-{os.getpid()}"
                _copy_file(source / rel, partial)
                os.replace(partial, data_dir / rel)
        if manifest.has_database:
            database = data_dir / DATABASE
            for suffix in ("-wal", "-shm", "-journal"):   # SQLite would replay an old WAL into the restored file
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            os.replace(tmp_db, database)
            _fsync_dir(data_dir)
    except OSError as exc:
        raise BackupError(f"restoring into {data_dir} failed ({exc.strerror or exc}"
                          f"{': ' + str(exc.filename) if exc.filename else ''})") from exc
    finally:
        tmp_db.unlink(missing_ok=True)
    return manifest


def _check_restored_database(path: Path, manifest: BackupManifest) -> None:
    conn = sqlite3.connect(str(path))
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        rows = _row_counts(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database in the backup does not open ({exc}); restore another backup") from None
    finally:
        conn.close()
    if problems != ["ok"]:
        raise BackupError(f"the database in the backup fails SQLite's integrity check ({problems[0]}); "
                          "restore another backup")
    if rows != manifest.rows:
        raise BackupError("the database in the backup does not hold the rows its manifest lists; restore another backup")


def _restore_index(source: Path, index_root: Path, manifest: BackupManifest) -> None:
    """Put the backup's index version under ``versions/`` (reusing an identical one already there)."""
    version = manifest.index_version
    prefix = f"{INDEX}/{VERSIONS}/{version}/"
    wanted = {rel[len(prefix):]: digest for rel, digest in manifest.files.items() if rel.startswith(prefix)}
    versions = private_dir(index_root / VERSIONS)
    final = versions / version
    if final.is_dir() and _same_files(final, wanted):
        return
    staging = versions / f".staging-restore-{os.getpid()}"       # skipped by listings, cleaned by builds
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _make_dirs(staging)
        for rel in sorted(wanted):                   # only what the manifest lists and checked
            _make_dirs((staging / rel).parent)
            _copy_file(source / prefix / rel, staging / rel)
        if final.exists():
            old = versions / f".staging-replaced-{os.getpid()}"
            os.rename(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _same_files(directory: Path, wanted: dict[str, str]) -> bool:
    have = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}
    return have == set(wanted) and all(_sha256(directory / rel) == d for rel, d in wanted.items())


# --- files ----------------------------------------------------------------------------------

def _safe(rel: str) -> bool:
    """A path inside the backup: relative, no ``..``, not the manifest itself."""
    p = PurePosixPath(rel)
    return bool(rel) and not p.is_absolute() and ".." not in p.parts and "\\" not in rel and rel != MANIFEST


def _checksums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): _sha256(p)
            for p in sorted(root.rglob("*")) if p.is_file() and p != root / MANIFEST}


def _make_dirs(path: Path) -> None:
    """Create ``path`` and its missing parents owner-only; existing ones are left as they are (a
    backup under /tmp must not make /tmp private)."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=DIR_MODE)
        os.chmod(d, DIR_MODE)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with open(fd, "wb") as fh:
        fh.write(data)


def _copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to a new owner-only file ``dst``, flushed to disk."""
    dst.unlink(missing_ok=True)
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with open(src, "rb") as fin, open(fd, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy a directory tree: directories 0700, files 0600."""
    dst.mkdir(mode=DIR_MODE, parents=False)
    os.chmod(dst, DIR_MODE)
    for p in sorted(src.iterdir()):
        if p.is_dir():
            _copy_tree(p, dst / p.name)
        elif p.is_file():
            _copy_file(p, dst / p.name)


def _fsync_tree(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
    for d in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        _fsync_dir(d)




def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
