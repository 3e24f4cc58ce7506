"""What `reformbot index build` shows on stderr while it works (stdout keeps the report or --json).

* Always one line when the build takes the index lock: which process holds it and since when.
* Reading a large source (:data:`LARGE_BYTES` or more, or a PDF of :data:`LARGE_PAGES` pages or
  more): a bar of MB read or PDF pages extracted, then a line before parsing and a bar while the
  text is cut into chunks, and a line before the new version is written and verified.
* Embedding: a bar of chunks whenever any chunk is embedded.

Small sources (the bundled outline reads, parses and chunks in well under a second) show only the
lock line and the embedding bar, so tests and ``make run`` stay quiet. A bar is redrawn on every
page, MB, section or batch of chunks (at most ten times a second), so a large build is never silent
for longer than one of those steps.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from corpus.reader import MB

if TYPE_CHECKING:  # pragma: no cover
    from index.versions import LockHolder

LARGE_BYTES = 2 * MB
"""A source this size or larger shows reading progress (about 700,000 Japanese characters)."""
LARGE_PAGES = 20
"""A PDF with this many pages or more shows reading progress."""


class BuildProgress:
    """Turns the engine's progress callbacks into lines and tqdm bars on ``file`` (default stderr).

    Pass :meth:`load` as ``load_progress``, :meth:`build` as ``progress`` and :meth:`locked` as
    ``on_lock`` to :func:`bot.indexing.build_version_from_settings`; call :meth:`close` after.
    """

    def __init__(self, root: Path, file: TextIO | None = None, *, large_bytes: int = LARGE_BYTES,
                 large_pages: int = LARGE_PAGES) -> None:
        self.root = root
        self._file = file
        self.large_bytes = large_bytes
        self.large_pages = large_pages
        self._large_sources: set[str] = set()
        self._bar = None
        self._key: tuple[str, str] | None = None

    @property
    def large(self) -> bool:
        """A large source was read: parsing, chunking and writing are shown too."""
        return bool(self._large_sources)

    @property
    def file(self) -> TextIO:
        return self._file or sys.stderr      # looked up late: test runners swap sys.stderr

    def _line(self, text: str) -> None:
        self._close_bar()
        print(text, file=self.file, flush=True)

    def _update(self, key: tuple[str, str], done: int, total: int, **bar) -> None:
        if self._key != key:
            self._close_bar()
            from tqdm import tqdm

            self._bar, self._key = tqdm(total=total, file=self.file, **bar), key
        if total != self._bar.total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar, self._key = None, None

    def locked(self, holder: "LockHolder") -> None:
        """The build took the index lock (``on_lock``)."""
        self._line(f"building a new index version in {self.root} (lock held by pid {holder.pid} "
                   f"since {holder.since})")

    def load(self, stage: str, source: str, done: int, total: int) -> None:
        """Reading, parsing and chunking (``load_progress``, see :data:`corpus.LoadProgress`)."""
        if stage in ("bytes", "pages"):
            if total >= (self.large_bytes if stage == "bytes" else self.large_pages):
                self._large_sources.add(source)
            if source not in self._large_sources:
                return
            unit = dict(unit="B", unit_scale=True, unit_divisor=1024) if stage == "bytes" else dict(unit="page")
            self._update((stage, source), done, total, desc=f"reading {Path(source).name}", **unit)
        elif stage == "parse" and self.large:
            self._line(f"parsing {total:,} characters")
        elif stage == "chunk" and self.large:
            self._update(("chunk", ""), done, total, desc="chunking", unit="part")

    def build(self, stage: str, done: int, total: int) -> None:
        """Embedding and writing (``progress``, see :data:`index.build.Progress`)."""
        if stage == "embed" and total:
            self._update(("embed", ""), done, total, desc="embedding chunks", unit="chunk")
        elif stage == "index" and done == 0:
            if self.large:
                self._line("writing and verifying the new version")
            else:
                self._close_bar()

    def close(self) -> None:
        self._close_bar()
