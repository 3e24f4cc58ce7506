"""Read source files (.txt/.md in UTF-8, UTF-8 with BOM or CP932/Shift_JIS; .pdf; .docx) as text.

The text keeps what the later stages need of the file's layout, in plain-text conventions:

- a PDF's pages are separated by form feeds (``\f``), as ``pdftotext`` does, so running headers,
  footers and page numbers can be found and each line keeps its page (:mod:`corpus.pages`);
- a .docx paragraph in a heading style (Heading N / 見出し N, or with an outline level) becomes a
  Markdown heading (``#`` × N), a list paragraph a ``・`` bullet, a table row its cells' paragraphs
  in order, and a page break (explicit, or where Word last broke the page) a form feed;
- a Markdown file keeps its ``#`` headings; its ``-``/``*``/``+`` list items become ``・`` bullets.

A file that is empty, binary, undecodable, a damaged PDF or .docx, or a PDF without a text layer
raises :class:`SourceError` whose message names the file and says what is wrong and what to do,
in English and Japanese. So does a file over the caller's :class:`SourceLimits` (size, PDF pages,
PDF reading time), found before its text is read, so a wrong or huge file fails in a moment
instead of after minutes.
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
           "over_size_limit", "TEXT_SUFFIXES", "PDF_SUFFIXES", "DOCX_SUFFIXES", "SOURCE_SUFFIXES"]

TEXT_SUFFIXES = (".txt", ".md", ".text", ".markdown")
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
SOURCE_SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES + DOCX_SUFFIXES
"""Every suffix :func:`read_source` reads (anything else is refused as "unsupported")."""

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
    text: str          # decoded text, original characters; pages separated by form feeds
    sha256: str        # hex digest of the file's bytes
    encoding: str      # "utf-8", "utf-8-sig", "cp932", "utf-16", "pdf" or "docx"
    title: str = ""    # the title in the file's metadata (PDF /Title, .docx core properties), if any


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
    # A Markdown copy of a plan: headings keep their # (the parser reads them as headings), list
    # items become ・ bullets.
    return _MD_BULLET.sub("・", _MD_HEADING.sub(lambda m: m.group(0).lstrip(" \t"), text))


def _read_pdf(path: Path, data: bytes, limits: SourceLimits, progress: ReadProgress | None,
              clock: Callable[[], float], start: float) -> tuple[str, str]:
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
    text = "\f".join(pages)
    if not text.strip():
        raise SourceError(path, "pdf_no_text")
    try:
        title = str((reader.metadata or {}).get("/Title") or "").strip()
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError):
        title = ""
    return text, title


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*(?P<level>[1-6])$", re.I)
_LIST_STYLE = re.compile(r"^list", re.I)


def _outline_level(paragraph) -> int | None:
    """The heading level of a .docx paragraph (1-6) from its style or its outline level, else None."""
    style = paragraph.style
    while style is not None:
        m = _HEADING_STYLE.match(style.name or "")
        if m:
            return int(m.group("level"))
        style = style.base_style
    for holder in (paragraph._p, *(s.element for s in [paragraph.style] if s is not None)):
        ppr = holder.find(f"{_W}pPr")
        lvl = ppr.find(f"{_W}outlineLvl") if ppr is not None else None
        if lvl is not None:
            value = int(lvl.get(f"{_W}val", "9"))
            if value < 6:
                return value + 1
    return None


def _is_list(paragraph) -> bool:
    ppr = paragraph._p.find(f"{_W}pPr")
    return bool(_LIST_STYLE.match(paragraph.style.name or "") if paragraph.style is not None else False) or (
        ppr is not None and ppr.find(f"{_W}numPr") is not None)


def _paragraph_text(paragraph, rendered_breaks: bool) -> str:
    """The paragraph's text in document order: tabs, line breaks and page breaks (as form feeds) kept."""
    parts = []
    for el in paragraph._p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}lastRenderedPageBreak"):
        tag = el.tag[len(_W):]
        if tag == "t":
            parts.append(el.text or "")
        elif tag == "tab":
            parts.append("\t")
        elif tag == "br":
            parts.append("\f" if el.get(f"{_W}type") == "page" and not rendered_breaks else "\n")
        elif tag == "cr":
            parts.append("\n")
        elif rendered_breaks:
            parts.append("\f")
    return "".join(parts)


def _docx_lines(paragraph, rendered_breaks: bool) -> list[str]:
    text = _paragraph_text(paragraph, rendered_breaks)
    body = text.replace("\f", "")
    lead, trail = text[: len(text) - len(text.lstrip("\f"))], text[len(text.rstrip("\f")):]
    if not body.strip():
        return ["\f" * text.count("\f")] if "\f" in text else []
    level = _outline_level(paragraph)
    if level is not None:
        body = "#" * level + " " + " ".join(body.split())
    elif _is_list(paragraph) and not body.lstrip()[:1] in ("・", "●", "○", "◆", "■", "※"):
        body = "・" + body.lstrip()
    return [lead + body + trail]


def _read_docx(path: Path, data: bytes) -> tuple[str, str]:
    from io import BytesIO
    from zipfile import BadZipFile

    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from docx.table import Table
    except ImportError:  # pragma: no cover - python-docx is a declared dependency
        raise SourceError(path, "docx_no_library") from None
    try:
        document = docx.Document(BytesIO(data))
        body = document.element.body
        # Where Word last broke the pages, when it recorded them; else the explicit page breaks.
        rendered = next(body.iter(f"{_W}lastRenderedPageBreak"), None) is not None
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    seen = set()
                    for cell in row.cells:
                        if id(cell._tc) in seen:      # a merged cell repeats in every column it spans
                            continue
                        seen.add(id(cell._tc))
                        for paragraph in cell.paragraphs:
                            lines.extend(_docx_lines(paragraph, rendered))
            else:
                lines.extend(_docx_lines(block, rendered))
        title = (document.core_properties.title or "").strip()
    except SourceError:
        raise
    except (PackageNotFoundError, BadZipFile, KeyError, ValueError, TypeError, AttributeError, OSError) as exc:
        raise SourceError(path, "docx_damaged", detail=f"{type(exc).__name__}: {exc}") from None
    text = "\n".join(lines)
    if not text.replace("\f", "").strip():
        raise SourceError(path, "empty")
    return text, title


def _too_large(path: Path, size: int, limits: SourceLimits) -> SourceError:
    return SourceError(path, "too_large", size=f"{size / MB:.1f}", limit=f"{limits.max_mb:g}",
                       setting=limits.mb_setting, suggest=str(math.ceil(size / MB)))


def over_size_limit(path: str | Path, size: int, limits: SourceLimits | None) -> SourceError | None:
    """The error :func:`read_source` would raise for a file of ``size`` bytes, or None when it fits.

    For callers that learn a file's size before they have the file (a download), so the refusal
    reads exactly as the build's.
    """
    if limits is not None and limits.max_mb and size > limits.max_mb * MB:
        return _too_large(Path(path), size, limits)
    return None


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
        path: a ``.txt``/``.md`` (UTF-8, UTF-8 with BOM, CP932), ``.pdf`` or ``.docx`` file.
        limits: size, page and time bounds (default: none), checked before the text is read.
        progress: ``progress(unit, done, total)``: "bytes" read, then "pages" extracted from a PDF.
        clock: monotonic seconds, for the time bound (default ``time.monotonic``).

    Returns:
        The decoded text with the file's sha256 and the encoding used.

    Raises:
        SourceError: missing, unsupported, empty, binary, undecodable or damaged file, a PDF without
            a text layer (a scan: it names OCR as the fix), or one over
            a limit (``reason`` "too_large", "too_many_pages", "too_slow").
    """
    path = Path(path)
    limits = limits or NO_LIMITS
    clock = clock or time.monotonic
    start = clock()
    suffix = path.suffix.lower()
    if suffix not in SOURCE_SUFFIXES:
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
        text, title = _read_pdf(path, data, limits, progress, clock, start)
        return SourceText(path.name, str(path), text, digest, "pdf", title)
    if suffix in DOCX_SUFFIXES:
        if not data.strip():
            raise SourceError(path, "empty")
        text, title = _read_docx(path, data)
        return SourceText(path.name, str(path), text, digest, "docx", title)
    text, encoding = decode_text(data, path)
    if suffix in (".md", ".markdown"):
        text = _markdown_to_outline(text)
    return SourceText(path.name, str(path), text, digest, encoding)
