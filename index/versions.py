"""Index versions: build beside the current one, verify, switch atomically, list, roll back.

Layout of ``<data_dir>/index/``::

    current                 pointer: {"version": ID, "previous": ID, "switched_at", "reason"}
                            (replaced with os.replace: readers see the old or the new, never half)
    history.jsonl           one line per switch (build, rollback), oldest first
    .build.lock             held (flock) by the one build or switch running; holds its pid, what it
                            does and since when, so whoever finds it held can say who holds it
    versions/<ID>/          a complete index (see index/store.py) + checksums.json
    versions/.staging-*     a build in progress; removed by the next build if a crash left it

A version is switched to only after :func:`verify` loaded it completely and its checksums
matched; any failure before that leaves ``current`` exactly as it was and raises an error that
says why. Serving code reads the pointer through :func:`index.store.resolve_index_dir`.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from corpus.model import Chunk, Document
from index.errors import BUILD_COMMAND, IndexBuildError, IndexError_, IndexMismatch, IndexNotBuilt
from index.store import (CHUNKS, CURRENT_POINTER, DOCUMENT, MANIFEST, VERSIONS_DIR, Manifest, as_documents,
                         documents_to_dict, load_index, read_manifest, resolve_index_dir)

if TYPE_CHECKING:  # pragma: no cover
    from corpus import LoadProgress, SourceLimits
    from index.build import Progress
    from index.embedder import Embedder

log = logging.getLogger(__name__)

CHECKSUMS = "checksums.json"
HISTORY = "history.jsonl"
LOCK = ".build.lock"
STAGING_PREFIX = ".staging-"
KEEP_VERSIONS = 5
"""Versions kept on disk after a build (the current and the previous one are always kept)."""


class VersionError(IndexError_):
    "A version cannot be built, found or switched to; the current version was left as it was."


class VersionNotFound(VersionError):
    "No version with that id in the versions directory."


class BuildInProgress(VersionError):
    "Another build or switch holds the index lock."

    def __init__(self, message: str, holder: "LockHolder | None" = None) -> None:
        super().__init__(message)
        self.holder = holder          # who holds the lock, when it recorded itself


@dataclass(frozen=True)
class LockHolder:
    """Who holds the index lock: written into the lock file by the holder, read by whoever finds it held."""

    pid: int
    since: str                # UTC, ISO 8601 with Z
    what: str                 # "build", "use", "rollback", "discard"
    host: str = ""

    def to_dict(self) -> dict:
        return {"pid": self.pid, "since": self.since, "what": self.what, "host": self.host}

    def describe(self) -> str:
        """``pid 1234 (build) since 2026-11-27T04:02:11Z`` (the host too when it is another machine)."""
        host = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"pid {self.pid}{host} ({self.what}) since {self.since}"


@dataclass(frozen=True)
class Pointer:
    """The content of the ``current`` file."""

    version: str
    previous: str | None = None
    switched_at: str = ""
    reason: str = ""          # "build" | "rollback" | "use"

    def to_dict(self) -> dict:
        return {"version": self.version, "previous": self.previous, "switched_at": self.switched_at,
                "reason": self.reason}


@dataclass(frozen=True)
class VersionInfo:
    """One directory under ``versions/``, as listed by ``reformbot index versions``."""

    id: str
    directory: Path
    manifest: Manifest | None     # None when the manifest cannot be read
    current: bool = False
    previous: bool = False
    problem: str = ""             # why it cannot be used ("" when its manifest reads)


@dataclass(frozen=True)
class BuildReport:
    """What a versioned build did."""

    manifest: Manifest            # of the new version (or of the current one when unchanged)
    version: str
    previous: str | None          # the version current before this build
    switched: bool                # current now points at ``version``
    unchanged: bool = False       # same text and model as the current version: nothing built
    model_changed: tuple[str, str] | None = None   # (old model, new model): full rebuild
    embedded: int = 0
    reused: int = 0
    removed_versions: tuple[str, ...] = ()


# --- paths and the pointer --------------------------------------------------------------------

def versions_dir(root: Path) -> Path:
    return Path(root) / VERSIONS_DIR


def version_dir(root: Path, version: str) -> Path:
    """The directory of ``version``; refuses ids that are not plain names.

    Raises:
        VersionNotFound: no such version.
    """
    if not version or "/" in version or "\\" in version or version.startswith("."):
        raise VersionNotFound(f"{version!r} is not a version id: see `reformbot index versions`")
    d = versions_dir(root) / version
    if not d.is_dir():
        raise VersionNotFound(f"no index version {version!r} in {versions_dir(root)}: see `reformbot index versions`")
    return d


def read_pointer(root: Path) -> Pointer | None:
    """The ``current`` pointer, or None when nothing was ever switched to.

    Raises:
        IndexMismatch: the pointer file is damaged.
    """
    path = Path(root) / CURRENT_POINTER
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Pointer(version=str(raw["version"]), previous=raw.get("previous"),
                       switched_at=raw.get("switched_at", ""), reason=raw.get("reason", ""))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexMismatch(f"index pointer {path} is unreadable ({exc}): run `reformbot index rollback ID`") from None


def _pointer_or_none(root: Path) -> Pointer | None:
    """The pointer, or None (logged) when it is damaged: a build or switch then repairs it."""
    try:
        return read_pointer(root)
    except IndexMismatch as exc:
        log.warning("%s; it will be replaced", exc)
        return None


def current_version(root: Path) -> str | None:
    """The id of the current version, or None (never switched, or pointer unreadable)."""
    try:
        p = read_pointer(root)
    except IndexMismatch:
        return None
    return p.version if p else None


def _write_pointer(root: Path, pointer: Pointer) -> None:
    """Replace ``current`` atomically: write a temp file, fsync, os.replace, fsync the dir."""
    root = Path(root)
    tmp = root / f".{CURRENT_POINTER}.{os.getpid()}.{time.time_ns()}.tmp"
    data = json.dumps(pointer.to_dict(), ensure_ascii=False).encode()
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.replace(tmp, root / CURRENT_POINTER)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(root)
    with (root / HISTORY).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(pointer.to_dict(), ensure_ascii=False) + "\n")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _locked(root: Path, what: str = "build") -> Iterator[LockHolder]:
    """Hold the index lock: one build or switch at a time (across processes).

    The holder writes its pid, ``what`` and the time into the lock file, so that a second build
    that finds the lock held says who holds it and since when instead of just failing.

    Yields:
        This process's :class:`LockHolder`.

    Raises:
        BuildInProgress: another process holds the lock (the message names it when it could be read).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    fh = open(root / LOCK, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = lock_holder(root)
            raise BuildInProgress(_held_message(root, holder), holder) from None
        me = LockHolder(pid=os.getpid(), since=_now(), what=what, host=socket.gethostname())
        _record_holder(fh, me)
        try:
            yield me
        finally:
            _record_holder(fh, None)     # released: whoever reads it next finds nobody
    finally:
        fh.close()


def _record_holder(fh, holder: LockHolder | None) -> None:
    try:
        fh.seek(0)
        fh.truncate()
        if holder is not None:
            fh.write(json.dumps(holder.to_dict()))
        fh.flush()
    except OSError as exc:       # a full disk must not stop a build or a rollback: the lock itself holds
        log.warning("could not record the index lock holder: %s", exc)


def lock_holder(root: Path) -> LockHolder | None:
    """Who recorded itself in the index lock file, or None (nobody, or not readable yet).

    Only meaningful while the lock is held (``flock`` says so); a record whose process is gone on
    this machine is ignored.
    """
    try:
        d = json.loads((Path(root) / LOCK).read_text(encoding="utf-8"))
        holder = LockHolder(pid=int(d["pid"]), since=str(d["since"]), what=str(d["what"]), host=str(d.get("host", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if holder.host in ("", socket.gethostname()):
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass                   # alive, another user's
    return holder


def _held_message(root: Path, holder: LockHolder | None) -> str:
    if holder is None:
        who = " (it has not recorded its pid yet)"
    else:
        who = f": the lock is held by {holder.describe()}{_ago(holder.since)}"
    return (f"another `reformbot index` build or switch is running on {root}{who}; "
            "wait for it to finish, then run this command again")


def _ago(since: str) -> str:
    try:
        start = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = int((datetime.now(timezone.utc) - start).total_seconds())
    if seconds < 0:
        return ""
    if seconds < 120:
        return f" ({seconds} s ago)"
    if seconds < 7200:
        return f" ({seconds // 60} min ago)"
    return f" ({seconds // 3600} h {seconds % 3600 // 60} min ago)"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- checksums and verification ---------------------------------------------------------------

def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != CHECKSUMS)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_checksums(directory: Path) -> dict[str, str]:
    """Record the sha256 of every file of a version (``checksums.json``)."""
    sums = {p.relative_to(directory).as_posix(): _sha256(p) for p in _files(directory)}
    (directory / CHECKSUMS).write_text(json.dumps(sums, indent=1, sort_keys=True), encoding="utf-8")
    return sums


def verify(directory: Path, model_id: str | None = None, dim: int | None = None) -> Manifest:
    """Check a version completely before it may serve: checksums, then a full load.

    Args:
        directory: the version directory.
        model_id, dim: the embedding model that will query it, if known.

    Returns:
        Its manifest.

    Raises:
        IndexMismatch: a file is missing, changed since the build, or does not load; the message
            names the file.
    """
    directory = Path(directory)
    fix = "rebuild it with `reformbot index build` or choose another with `reformbot index rollback ID`"
    path = directory / CHECKSUMS
    try:
        sums = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(sums, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise IndexMismatch(f"index version {directory.name} has no readable {CHECKSUMS} ({exc}): {fix}") from None
    for rel, digest in sorted(sums.items()):
        f = directory / rel
        if not f.is_file():
            raise IndexMismatch(f"index version {directory.name} lacks {rel}: {fix}")
        if _sha256(f) != digest:
            raise IndexMismatch(f"index version {directory.name}: {rel} is damaged (its checksum changed "
                                f"since the build): {fix}")
    extra = [p.relative_to(directory).as_posix() for p in _files(directory)
             if p.relative_to(directory).as_posix() not in sums]
    if extra:
        raise IndexMismatch(f"index version {directory.name} has files the build did not write {extra[:3]}: {fix}")
    try:
        stored = load_index(directory, model_id=model_id, dim=dim)
    except IndexMismatch as exc:
        raise IndexMismatch(f"index version {directory.name} refused: {exc}") from None
    except IndexNotBuilt as exc:
        raise IndexMismatch(f"index version {directory.name} is incomplete: {exc}") from None
    return stored.manifest


# --- listing ------------------------------------------------------------------------------------

def list_versions(root: Path) -> list[VersionInfo]:
    """Every version on disk, oldest first (by build time)."""
    root = Path(root)
    pointer = None
    try:
        pointer = read_pointer(root)
    except IndexMismatch:
        pass
    out = []
    vd = versions_dir(root)
    if not vd.is_dir():
        return []
    for d in vd.iterdir():
        if not d.is_dir() or d.name.startswith("."):
            continue
        manifest, problem = None, ""
        try:
            manifest = read_manifest(d)
        except IndexError_ as exc:
            problem = str(exc)
        out.append(VersionInfo(
            id=d.name, directory=d, manifest=manifest,
            current=bool(pointer and pointer.version == d.name),
            previous=bool(pointer and pointer.previous == d.name), problem=problem))
    out.sort(key=lambda v: ((v.manifest.built_at if v.manifest else ""), _written_ns(v.directory), v.id))
    return out


def _written_ns(directory: Path) -> int:
    """When the build finished writing (checksums.json is written last): orders builds within a second."""
    try:
        return (directory / CHECKSUMS).stat().st_mtime_ns
    except OSError:
        return 0


# --- switching ----------------------------------------------------------------------------------

def switch_to(root: Path, version: str, *, reason: str = "use", model_id: str | None = None,
              dim: int | None = None) -> Pointer:
    """Make ``version`` current after verifying it; the current pointer is untouched on failure.

    Args:
        root: the versions root (``<data_dir>/index``).
        version: the version id.
        reason: recorded in the pointer and history ("build", "rollback", "use").
        model_id, dim: the configured embedding model, checked against the version's manifest.

    Returns:
        The new pointer.

    Raises:
        VersionNotFound: no such version.
        IndexMismatch: the version failed verification (message says which file and why).
        BuildInProgress: a build holds the lock.
    """
    with _locked(root, reason):
        return _switch(Path(root), version, reason=reason, model_id=model_id, dim=dim)


def _switch(root: Path, version: str, *, reason: str, model_id: str | None, dim: int | None) -> Pointer:
    d = version_dir(root, version)
    verify(d, model_id=model_id, dim=dim)
    old = _pointer_or_none(root)
    previous = old.version if old and old.version != version else (old.previous if old else None)
    pointer = Pointer(version=version, previous=previous, switched_at=_now(), reason=reason)
    _write_pointer(root, pointer)
    log.info("index version %s is now current (%s; previous %s)", version, reason, previous)
    return pointer


def rollback(root: Path, version: str | None = None, *, model_id: str | None = None,
             dim: int | None = None) -> Pointer:
    """Make an earlier version current again (default: the previous one).

    Raises:
        VersionError: there is no previous version to go back to.
        VersionNotFound, IndexMismatch, BuildInProgress: as :func:`switch_to`.
    """
    with _locked(root, "rollback"):
        root = Path(root)
        pointer = _pointer_or_none(root)
        if version is None:
            if pointer is None or not pointer.previous:
                raise VersionError("there is no previous index version to roll back to: "
                                   "see `reformbot index versions` and name one")
            version = pointer.previous
        if pointer is not None and pointer.version == version:
            raise VersionError(f"index version {version} is already current")
        return _switch(root, version, reason="rollback", model_id=model_id, dim=dim)


# --- building -----------------------------------------------------------------------------------

def _same_content(cur: Path, chunks: Sequence[Chunk], document: "Document | Sequence[Document]",
                  model_id: str) -> bool:
    """True when the version in ``cur`` was built from the same chunks, documents and model."""
    try:
        m = read_manifest(cur)
        if m.model_id != model_id or list(m.chunk_hashes) != [c.content_hash for c in chunks]:
            return False
        with (cur / CHUNKS).open(encoding="utf-8") as fh:
            ids = [json.loads(line)["id"] for line in fh if line.strip()]
        if ids != [c.id for c in chunks]:
            return False
        old_doc = json.loads((cur / DOCUMENT).read_text(encoding="utf-8"))
    except (IndexError_, OSError, ValueError, KeyError):
        return False
    new_doc = json.loads(json.dumps(documents_to_dict(document), ensure_ascii=False))
    old_docs, new_docs = old_doc.get("documents", [old_doc]), new_doc.get("documents", [new_doc])
    # A lone document's id (its file name) is no content: the same text saved as another file is
    # unchanged. Among several, ids tell the documents apart (citations, the current-document choice).
    keys = ("title", "sections", "glossary", "glossary_title", "page_label", "period")
    keys += ("id",) if len(new_docs) > 1 else ()
    return len(old_docs) == len(new_docs) and all(
        o.get(k) == n.get(k) for o, n in zip(old_docs, new_docs) for k in keys)


def _manifest_or_none(directory: Path) -> Manifest | None:
    """The manifest of a version directory, or None when it does not read."""
    try:
        return read_manifest(directory)
    except IndexError_:
        return None


def _lost_most_sections(old: Manifest | None, document: "Document | Sequence[Document]", old_id: str) -> str | None:
    """Why publishing ``document`` looks like a mistake, or None.

    A revision edits, adds and removes sections; a new text with less than half of the current
    sections (or glossary terms) is far more often the wrong file, a truncated export or a half-saved edit (``--watch``)
    than a real revision, and publishing it would silently take most answers away.
    """
    if old is None:
        return None
    docs = as_documents(document)
    sections, terms = sum(len(d.sections) for d in docs), sum(len(d.glossary) for d in docs)
    if not any(before >= 4 and after * 2 < before for before, after in (
            (old.sections, sections), (old.glossary_terms, terms))):
        return None
    sources = ", ".join(Path(p).name for d in docs for p in d.source_hashes) or "the new text"
    return (f"{sources} has {sections} sections and {terms} glossary terms, "
            f"where the current version {old_id} has {old.sections} and {old.glossary_terms}: is it the whole "
            "outline (not another document, a cut-off copy or a file still being saved)? "
            "If the outline really shrank, run the build again with --force")


def _clean_staging(root: Path) -> None:
    """Remove what an interrupted build left (only called while holding the lock)."""
    vd = versions_dir(root)
    if not vd.is_dir():
        return
    for d in vd.iterdir():
        if d.name.startswith("."):
            log.info("removing %s left by an interrupted build", d)
            shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink(missing_ok=True)


def prune(root: Path, keep: int = KEEP_VERSIONS) -> tuple[str, ...]:
    """Delete the oldest versions beyond ``keep``; never the current or the previous one."""
    versions = list_versions(root)
    removable = [v for v in versions if not (v.current or v.previous)]
    excess = len(versions) - keep
    gone = []
    for v in removable:
        if excess <= 0:
            break
        shutil.rmtree(v.directory, ignore_errors=True)
        gone.append(v.id)
        excess -= 1
    return tuple(gone)


def discard(root: Path, version: str) -> None:
    """Delete a version that was built but will not be published (``build --no-switch``).

    Raises:
        VersionNotFound: no such version.
        VersionError: it is the current version, or the previous one (what a rollback returns to).
        BuildInProgress: a build or switch holds the lock.
    """
    with _locked(root, "discard"):
        root = Path(root)
        d = version_dir(root, version)
        pointer = _pointer_or_none(root)
        if pointer is not None and version in (pointer.version, pointer.previous):
            role = "current" if version == pointer.version else "previous"
            raise VersionError(f"index version {version} is the {role} version and cannot be discarded: "
                               "see `reformbot index versions`")
        shutil.rmtree(d)
        log.info("index version %s discarded", version)


def build_version(
    chunks: Sequence[Chunk],
    document: "Document | Sequence[Document]",
    root: Path,
    embedder: "Embedder",
    progress: "Progress | None" = None,
    *,
    switch: bool = True,
    force: bool = False,
    keep: int = KEEP_VERSIONS,
    on_lock: Callable[[LockHolder], None] | None = None,
) -> BuildReport:
    """Build a new version beside the current one, verify it, then switch ``current`` to it.

    Vectors of chunks whose content hash is unchanged are reused from the current version when
    it was built with the same model; a different model means every chunk is embedded again.

    Args:
        chunks: the new chunks.
        document: the new parsed outline, or several documents indexed side by side.
        root: the versions root (``<data_dir>/index``).
        embedder: the embedding model.
        progress: ``progress(stage, done, total)`` callback (see index/build.py).
        switch: make the new version current (False: build and verify only; switch later with
            :func:`switch_to`).
        force: build a new version even when nothing changed, or when the new text has less than
            half of the current version's sections or glossary terms (refused otherwise as a likely
            wrong file).
        keep: versions kept on disk (see :func:`prune`).
        on_lock: called once the build holds the index lock, with this process's
            :class:`LockHolder` (the CLI says so: a build never holds the lock silently).

    Returns:
        A :class:`BuildReport`.

    Raises:
        IndexBuildError: the build failed; ``current`` is untouched and nothing half-built stays.
        IndexMismatch: the new version failed verification (it is removed; current untouched).
        BuildInProgress: another build is running.
    """
    from index.build import build_index

    root = Path(root)
    with _locked(root, "build") as holder:
        if on_lock:
            on_lock(holder)
        _clean_staging(root)
        pointer = _pointer_or_none(root)
        cur = None
        if pointer is not None:
            try:
                cur = resolve_index_dir(root)
            except IndexMismatch as exc:
                log.warning("current version unusable, building without reuse: %s", exc)
        model_changed = None
        if cur is not None and not force:
            shrink = _lost_most_sections(_manifest_or_none(cur), document, cur.name)
            if shrink:
                raise IndexBuildError(shrink)
        if cur is not None:
            try:
                old_model = read_manifest(cur).model_id
                if old_model != embedder.model_id:
                    model_changed = (old_model, embedder.model_id)
            except IndexError_:
                pass
            if not force and model_changed is None and _same_content(cur, chunks, document, embedder.model_id):
                m = read_manifest(cur)
                return BuildReport(manifest=replace(m, embedded=0, reused=m.chunk_count), version=cur.name,
                                   previous=pointer.previous if pointer else None, switched=False,
                                   unchanged=True, embedded=0, reused=m.chunk_count)
        vd = versions_dir(root)
        vd.mkdir(parents=True, exist_ok=True)
        staging = vd / f"{STAGING_PREFIX}{os.getpid()}-{time.time_ns()}"
        try:
            manifest = build_index(chunks, document, staging, embedder,
                                   previous=cur if model_changed is None else None, progress=progress)
            write_checksums(staging)
            final = vd / manifest.index_version
            n = 2
            while final.exists():
                final = vd / f"{manifest.index_version}.{n}"
                n += 1
            os.rename(staging, final)
        except IndexError_:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        except Exception as exc:       # disk full, permissions …: say so, leave nothing behind
            shutil.rmtree(staging, ignore_errors=True)
            raise IndexBuildError(f"writing the new index version failed ({type(exc).__name__}: {exc}); "
                                  "the current version was left as it was") from exc
        except BaseException:          # Ctrl-C: clean up, then stop
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            verify(final, model_id=embedder.model_id, dim=embedder.dim)
        except IndexMismatch:
            shutil.rmtree(final, ignore_errors=True)
            raise
        switched = False
        if switch:
            _switch(root, final.name, reason="build", model_id=embedder.model_id, dim=embedder.dim)
            switched = True
        removed = prune(root, keep)
        return BuildReport(manifest=manifest, version=final.name, previous=pointer.version if pointer else None,
                           switched=switched, model_changed=model_changed, embedded=manifest.embedded,
                           reused=manifest.reused, removed_versions=removed)


def build_version_from_sources(
    sources: Sequence[Path],
    root: Path,
    model_id: str,
    progress: "Progress | None" = None,
    *,
    threads: int = 2,
    limits: "SourceLimits | None" = None,
    switch: bool = True,
    force: bool = False,
    load_progress: "LoadProgress | None" = None,
    on_lock: Callable[[LockHolder], None] | None = None,
) -> BuildReport:
    """Parse the source files (each a document of its own), chunk them, and build a new version in ``root``.

    The sources are read before the lock is taken: a slow or refused file never blocks another
    build or a rollback.

    Args:
        sources: the source files (.txt, .md, .pdf).
        root: the versions root (see the module docstring).
        model_id: the embedding model (see :func:`index.embedder.load_embedder`).
        progress: ``progress(stage, done, total)`` while embedding and writing (index/build.py).
        threads: CPU threads for the embedding model.
        limits: size, PDF page and time bounds on each source file (default: none).
        switch, force: see :func:`build_version`.
        load_progress: ``progress(stage, source, done, total)`` while reading, parsing and chunking.
        on_lock: see :func:`build_version`.

    Raises:
        IndexBuildError, IndexMismatch, BuildInProgress: see :func:`build_version`.
        index.embedder.ModelNotAvailable: the model is not on this machine.
        corpus.SourceError, corpus.OutlineError: a source file cannot be used or is over a limit
            (nothing was built).
    """
    from index.build import load_corpus
    from index.embedder import load_embedder

    paths = tuple(Path(p) for p in sources)
    # a bad or oversized file fails here, before anything is written
    document, chunks = load_corpus(paths, limits=limits, progress=load_progress)
    embedder = load_embedder(model_id, threads)
    return build_version(chunks, document, root, embedder, progress, switch=switch, force=force,
                         on_lock=on_lock)


def has_index(root: Path) -> bool:
    """True when a current version exists and its manifest reads (for ``build --if-missing``)."""
    try:
        read_manifest(root)
        return (Path(root) / CURRENT_POINTER).is_file()
    except IndexError_:
        return False


__all__ = [
    "BUILD_COMMAND", "BuildInProgress", "BuildReport", "IndexBuildError", "LockHolder", "Pointer", "VersionError",
    "VersionInfo", "VersionNotFound", "build_version", "build_version_from_sources", "current_version", "discard",
    "list_versions", "lock_holder", "prune", "read_pointer", "rollback", "switch_to", "verify", "version_dir",
    "write_checksums", "MANIFEST",
]
