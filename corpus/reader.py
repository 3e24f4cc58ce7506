"""Read outline source files (.txt/.md in UTF-8, UTF-8 with BOM or CP932/Shift_JIS; .pdf) as text.

A file that is empty, binary, undecodable or an unreadable PDF raises :class:`SourceError`
whose message names the file and says what is wrong, in English and Japanese. So does a file
over the caller's :class:`SourceLimits` (size, PDF pages, PDF reading time), found before its
text is read, so a wrong or huge file fails in a moment instead of after minutes.
"""
from __future__ import annotations

import hashlib
import math
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from corpus.messages import SOURCE_PROBLEMS, describe

__all__ = ["SourceError", "SourceLimits", "SourceText", "ReadProgress", "read_source", "decode_text",
           "TEXT_SUFFIXES", "PDF_SUFFIXES"]

TEXT_SUFFIXES = (".txt", ".md", ".text", ".markdown")
PDF_SUFFIXES = (".pdf",)

# Share of control characters above which decoded "text" is really binary data.
_MAX_CONTROL_RATIO = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

MB = 1024 * 1024
"""A megabyte as file managers count it (the unit of :attr:`SourceLimits.max_mb`)."""
_BLOCK = MB   # bytes read between progress reports

ReadProgress = Callable[[str, int, int], None]
"""progress(unit, done, total) while one source is read: "bytes" of the file, then "pages" of a PDF."""


@dataclass(frozen=True)
class SourceLimits:
    """Bounds on one source file; ``None`` or 0 is no bound.

    The size is checked on the file's size before it is opened, a PDF's page count before any text
    is extracted, and the time after each PDF page. The ``*_setting`` names say in the error what
    raises each bound (the caller's setting, e.g. an environment variable): the corpus reads no
    configuration itself.
    """

    max_mb: float | None = None
    max_pages: int | None = None
    max_seconds: float | None = None
    mb_setting: str = "max_mb"
    pages_setting: str = "max_pages"
    seconds_setting: str = "max_seconds"


NO_LIMITS = SourceLimits()


class SourceError(Exception):
    "A source file cannot be read as outline text"

    def __init__(self, path: str | Path, reason: str, **fields: str) -> None:
        self.path = str(path)
        self.reason = reason                       # a key of corpus.messages.SOURCE_PROBLEMS
        self.fields = dict(fields)                 # what filled the message (size, limit, setting …)
        self.problem, self.problem_ja = describe(SOURCE_PROBLEMS, reason, **fields)
        super().__init__(f"{self.path}: {self.problem} / {self.problem_ja}")


@dataclass(frozen=True)
class SourceText:
    """The text of one source file and where it came from."""

    name: str          # file name as given (shown in Document.sources)
    path: str          # the path read
    text: str          # decoded text, original characters
    sha256: str        # hex digest of the file's bytes
    encoding: str      # "utf-8", "utf-8-sig", "cp932", "utf-16" or "pdf"


def decode_text(data: bytes, path: str | Path = "<bytes>") -> tuple[str, str]:
    """Decode the bytes of a text source.

    Tries UTF-16 (only with a BOM), then UTF-8 (with or without BOM) strictly, then CP932
    (the Windows superset of Shift_JIS, common in city offices).

    Args:
        data: the file's bytes.
        path: the file, named in errors.

    Returns:
        ``(text, encoding)``.

    Raises:
        SourceError: empty, binary (NUL/control bytes) or undecodable data.
    """
    if not data.strip():
        raise SourceError(path, "empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise SourceError(path, "bad_utf16") from None
    else:
        if b"\x00" in data:
            raise SourceError(path, "binary", detail="it contains NUL bytes")
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SourceError(path, "undecodable")
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
    controls = len(_CONTROL.findall(text))
    if controls > max(2, _MAX_CONTROL_RATIO * len(text)):
        raise SourceError(path, "binary", detail="it is full of control characters")
    if not text.strip():
        raise SourceError(path, "empty")
    return text, encoding


_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.M)
_MD_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+", re.M)


def _markdown_to_outline(text: str) -> str:
    # A Markdown copy of the outline: headings lose their #, list items become ・ bullets.
    text = _MD_HEADING.sub("", text)
    return _MD_BULLET.sub("・", text)


def _read_pdf(path: Path, data: bytes, limits: SourceLimits, progress: ReadProgress | None,
              clock: Callable[[], float], start: float) -> str:
    from io import BytesIO

    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - pypdf is a declared dependency
        raise SourceError(path, "pdf_no_library") from None
    if not data.lstrip().startswith(b"%PDF"):
        raise SourceError(path, "not_pdf")
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise SourceError(path, "pdf_encrypted")
        total = len(reader.pages)      # from the page tree: nothing is extracted yet
        if limits.max_pages and total > limits.max_pages:
            raise SourceError(path, "too_many_pages", pages=str(total), limit=str(limits.max_pages),
                              setting=limits.pages_setting)
        pages = []
        for number, page in enumerate(reader.pages, 1):
            pages.append(page.extract_text() or "")
            if progress:
                progress("pages", number, total)
            elapsed = clock() - start
            if limits.max_seconds and elapsed > limits.max_seconds and number < total:
                # What the whole file would need at this pace, with a margin.
                suggest = math.ceil(elapsed / number * total * 1.2)
                raise SourceError(path, "too_slow", limit=f"{limits.max_seconds:g}", page=str(number),
                                  pages=str(total), setting=limits.seconds_setting, suggest=str(suggest))
    except SourceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        raise SourceError(path, "pdf_damaged", detail=f"{type(exc).__name__}: {exc}") from None
    text = "\n".join(pages)
    if not text.strip():
        raise SourceError(path, "pdf_no_text")
    return text


def _too_large(path: Path, size: int, limits: SourceLimits) -> SourceError:
    return SourceError(path, "too_large", size=f"{size / MB:.1f}", limit=f"{limits.max_mb:g}",
                       setting=limits.mb_setting, suggest=str(math.ceil(size / MB)))


def _read_bytes(path: Path, fh: BinaryIO, size: int, limits: SourceLimits,
                progress: ReadProgress | None) -> bytes:
    """The file's bytes, read in blocks with progress; stops if it grew past the size limit."""
    max_bytes = limits.max_mb * MB if limits.max_mb else None
    blocks, done = [], 0
    while True:
        block = fh.read(_BLOCK)
        if not block:
            break
        blocks.append(block)
        done += len(block)
        if max_bytes is not None and done > max_bytes:      # still being written when stat() ran
            raise _too_large(path, done, limits)
        if progress:
            progress("bytes", done, max(size, done))
    return b"".join(blocks)


def read_source(path: str | Path, *, limits: SourceLimits | None = None,
                progress: ReadProgress | None = None,
                clock: Callable[[], float] | None = None) -> SourceText:
    """Read one source file as text.

    Args:
        path: a ``.txt``/``.md`` (UTF-8, UTF-8 with BOM, CP932) or ``.pdf`` file.
        limits: size, page and time bounds (default: none), checked before the text is read.
        progress: ``progress(unit, done, total)``: "bytes" read, then "pages" extracted from a PDF.
        clock: monotonic seconds, for the time bound (default ``time.monotonic``).

    Returns:
        The decoded text with the file's sha256 and the encoding used.

    Raises:
        SourceError: missing, unsupported, empty, binary, undecodable or damaged file, or one over
            a limit (``reason`` "too_large", "too_many_pages", "too_slow").
    """
    path = Path(path)
    limits = limits or NO_LIMITS
    clock = clock or time.monotonic
    start = clock()
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES + PDF_SUFFIXES:
        raise SourceError(path, "unsupported", suffix=suffix or "(none)")
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        # The size is known before a byte is read: a huge file is refused at once.
        if limits.max_mb and st.st_size > limits.max_mb * MB:
            raise _too_large(path, st.st_size, limits)
        with path.open("rb") as fh:
            data = _read_bytes(path, fh, st.st_size, limits, progress)
    except FileNotFoundError:
        raise SourceError(path, "missing") from None
    except IsADirectoryError:
        raise SourceError(path, "directory") from None
    except OSError as exc:
        raise SourceError(path, "unreadable", detail=str(exc.strerror)) from None
    digest = hashlib.sha256(data).hexdigest()
    if suffix in PDF_SUFFIXES:
        if not data.strip():
            raise SourceError(path, "empty")
        return SourceText(path.name, str(path), _read_pdf(path, data, limits, progress, clock, start), digest, "pdf")
    text, encoding = decode_text(data, path)
    if suffix in (".md", ".markdown"):
        text = _markdown_to_outline(text)
    return SourceText(path.name, str(path), text, digest, encoding)
