"""`reformbot index build --watch`: rebuild a new version whenever a source file changes.

The watcher polls the files' size, mtime and sha256 (no inotify dependency; works on network
shares). A change triggers one versioned build (index/versions.py); a failed build is reported
and the current version keeps serving. A running ``reformbot serve`` follows the switch by itself
(bot/service.py watches the ``current`` pointer).
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 2.0
"""Seconds between polls of the source files."""


@dataclass(frozen=True)
class FileState:
    """What is compared between polls."""

    size: int
    mtime_ns: int
    sha256: str


def file_state(path: Path) -> FileState | None:
    """The file's size, mtime and content hash; None when it is missing or unreadable."""
    try:
        st = Path(path).stat()
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
    return FileState(st.st_size, st.st_mtime_ns, digest)


class SourceWatcher:
    """Tells when the content of any source file changed since the last :meth:`poll`.

    Args:
        paths: the source files.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self._last = {p: file_state(p) for p in self.paths}

    def poll(self) -> list[Path]:
        """Files whose content changed (a touch without an edit is not a change)."""
        changed = []
        for p in self.paths:
            now = file_state(p)
            before = self._last.get(p)
            if now is None:          # being rewritten, or deleted: wait for it to come back
                continue
            if before is None or now.sha256 != before.sha256:
                changed.append(p)
            self._last[p] = now
        return changed


def watch(
    sources: Sequence[Path],
    rebuild: Callable[[], object],
    report: Callable[[str, object], None],
    *,
    interval: float = DEFAULT_INTERVAL,
    stop: threading.Event | None = None,
    build_first: bool = False,
) -> None:
    """Poll ``sources`` and call ``rebuild()`` after each change until ``stop`` is set.

    Args:
        sources: files to watch.
        rebuild: builds a new version (returns a BuildReport; raises on failure).
        report: ``report("built" | "failed" | "changed", result_or_error)`` for the CLI to print.
        interval: seconds between polls.
        stop: set it to end the loop (Ctrl-C also ends it).
        build_first: build once before watching.
    """
    stop = stop or threading.Event()
    watcher = SourceWatcher(sources)
    if build_first:
        _run(rebuild, report)
    while not stop.wait(interval):
        changed = watcher.poll()
        if changed:
            report("changed", changed)
            _run(rebuild, report)


def _run(rebuild: Callable[[], object], report: Callable[[str, object], None]) -> None:
    try:
        result = rebuild()
    except Exception as exc:  # keep watching: the current version is still serving
        log.error("rebuild failed: %s", exc)
        report("failed", exc)
    else:
        report("built", result)
