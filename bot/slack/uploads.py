"""A file sent to the bot in Slack, fetched as a source: described, checked, downloaded, kept owner-only.

``files.info`` (the event's file object may be a stub: Slack marks some ``check_file_info``) ->
kind (by the name's suffix) and size checked against the source limits before a byte is fetched ->
``url_private_download`` with ``Authorization: Bearer xoxb-…`` (the bot token; the app needs
``files:read``), at most the size limit read -> ``<uploads>/<UTC time>-<file id>/<name>``, the
directory 0700 and the file 0600 (the name stays the admin's, so it is what a version's manifest
and announcement name as its source).

A file that cannot be used raises :class:`corpus.SourceError` (kind, size: the same wording as
``reformbot index build``) or :class:`DownloadError`; nothing is left on disk then.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath, PureWindowsPath

from corpus.reader import SOURCE_SUFFIXES, SourceError, SourceLimits, over_size_limit

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT = 60.0
"""Seconds without progress before a download is given up."""
_BLOCK = 1 << 16
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class DownloadError(Exception):
    "Slack did not hand over a shared file; ``reason`` is ``info_failed``, ``no_url``, ``signin`` or ``failed``."

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SharedFile:
    """What ``files.info`` says of a file someone shared."""

    id: str
    name: str
    size: int
    url: str          # url_private_download
    filetype: str = ""

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


@dataclass(frozen=True)
class Upload:
    """A downloaded file, kept under the uploads directory."""

    path: Path
    key: str          # its directory's name under the uploads directory ("<time>-<file id>")

    @property
    def name(self) -> str:
        return self.path.name


def describe(client, file_id: str) -> SharedFile:
    """``files.info`` for ``file_id``.

    Raises:
        DownloadError: Slack answered with an error (``info_failed``) or gave no download URL (``no_url``).
    """
    try:
        f = client.files_info(file=file_id)["file"]
    except Exception as exc:
        response = getattr(exc, "response", None)
        raise DownloadError("info_failed", _error_code(response) or f"{type(exc).__name__}: {exc}") from None
    url = f.get("url_private_download") or f.get("url_private") or ""
    if not url:
        raise DownloadError("no_url", f.get("mode") or "")
    return SharedFile(id=str(f.get("id") or file_id), name=str(f.get("name") or f.get("title") or file_id),
                      size=int(f.get("size") or 0), url=url, filetype=str(f.get("filetype") or ""))


def _error_code(response) -> str:
    try:
        return str(response.get("error") or "") if response is not None else ""
    except Exception:
        return ""


def check(shared: SharedFile, limits: SourceLimits | None) -> None:
    """Refuse what the build would refuse, before the download: the kind of file and its size.

    Raises:
        SourceError: ``unsupported`` or ``too_large`` (its message names the setting that raises the limit).
    """
    if shared.suffix not in SOURCE_SUFFIXES:
        raise SourceError(shared.name, "unsupported", suffix=shared.suffix or "(none)")
    error = over_size_limit(shared.name, shared.size, limits)
    if error is not None:
        raise error


def safe_name(name: str, fallback: str) -> str:
    """``name`` as one plain file name (no directories, no control or reserved characters)."""
    base = PureWindowsPath(PurePosixPath(name).name).name          # "a/b.txt", "C:\\x\\b.txt" -> "b.txt"
    base = _UNSAFE.sub("_", base).strip().lstrip(".")
    stem, suffix = os.path.splitext(base)
    if not stem:
        return fallback + suffix
    return stem[:100] + suffix[:16]


def download(shared: SharedFile, token: str, uploads: Path, limits: SourceLimits | None = None, *,
             timeout: float = DOWNLOAD_TIMEOUT, now: datetime | None = None) -> Upload:
    """Fetch ``shared`` with the bot token into a new owner-only directory under ``uploads``.

    The token is sent to the file's URL only, never to a URL it redirects to: Slack redirects a
    request it does not accept to its sign-in page.

    Raises:
        SourceError: over the size limit while downloading (``files.info`` said less).
        DownloadError: ``signin`` (Slack answered with a sign-in page: the token lacks ``files:read``)
            or ``failed`` (HTTP error, network error, timeout).
    """
    from feedback.permissions import FILE_MODE, private_dir

    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    key = safe_name(f"{stamp}-{shared.id}", "upload")
    directory = private_dir(Path(uploads)) / key
    directory.mkdir(mode=0o700)
    path = directory / safe_name(shared.name, shared.id)
    request = urllib.request.Request(shared.url, method="GET")
    request.add_unredirected_header("Authorization", f"Bearer {token}")
    max_bytes = limits.max_mb * 1024 * 1024 if limits is not None and limits.max_mb else None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if response.geturl() != shared.url or (kind == "text/html" and shared.suffix not in (".html", ".htm")):
                raise DownloadError("signin", f"{kind or 'a page'} from {response.geturl()}")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                done = 0
                while True:
                    block = response.read(_BLOCK)
                    if not block:
                        break
                    done += len(block)
                    if max_bytes is not None and done > max_bytes:
                        raise over_size_limit(shared.name, done, limits)
                    out.write(block)
    except (SourceError, DownloadError):
        shutil.rmtree(directory, ignore_errors=True)
        raise
    except urllib.error.HTTPError as exc:
        shutil.rmtree(directory, ignore_errors=True)
        raise DownloadError("failed", f"HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:     # refused, reset, timed out, bad URL
        shutil.rmtree(directory, ignore_errors=True)
        reason = getattr(exc, "reason", None) or exc
        raise DownloadError("failed", f"{type(exc).__name__}: {reason}") from None
    log.info("downloaded Slack file %s (%d bytes) to %s", shared.id, done, path)
    return Upload(path=path, key=key)


def remove(uploads: Path, key: str) -> None:
    """Delete the upload ``key`` (a directory name under ``uploads``; anything else is ignored)."""
    if not key or key != safe_name(key, "") or key.startswith("."):
        log.warning("not removing upload %r: not an upload directory name", key)
        return
    shutil.rmtree(Path(uploads) / key, ignore_errors=True)
