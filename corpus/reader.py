"""Read outline source files (.txt/.md in UTF-8, UTF-8 with BOM or CP932/Shift_JIS; .pdf) as text.

A file that is empty, binary, undecodable or an unreadable PDF raises :class:`SourceError`
whose message names the file and says what is wrong, in English and Japanese.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from corpus.messages import SOURCE_PROBLEMS, describe

__all__ = ["SourceError", "SourceText", "read_source", "decode_text", "TEXT_SUFFIXES", "PDF_SUFFIXES"]

TEXT_SUFFIXES = (".txt", ".md", ".text", ".markdown")
PDF_SUFFIXES = (".pdf",)

# Share of control characters above which decoded "text" is really binary data.
_MAX_CONTROL_RATIO = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class SourceError(Exception):
    "A source file cannot be read as outline text"

    def __init__(self, path: str | Path, reason: str, **fields: str) -> None:
        self.path = str(path)
        self.reason = reason                       # a key of corpus.messages.SOURCE_PROBLEMS
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


def _read_pdf(path: Path, data: bytes) -> str:
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
        pages = [page.extract_text() or "" for page in reader.pages]
    except SourceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        raise SourceError(path, "pdf_damaged", detail=f"{type(exc).__name__}: {exc}") from None
    text = "\n".join(pages)
    if not text.strip():
        raise SourceError(path, "pdf_no_text")
    return text


def read_source(path: str | Path) -> SourceText:
    """Read one source file as text.

    Args:
        path: a ``.txt``/``.md`` (UTF-8, UTF-8 with BOM, CP932) or ``.pdf`` file.

    Returns:
        The decoded text with the file's sha256 and the encoding used.

    Raises:
        SourceError: missing, unsupported, empty, binary, undecodable or damaged file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES + PDF_SUFFIXES:
        raise SourceError(path, "unsupported", suffix=suffix or "(none)")
    try:
        data = path.read_bytes()
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
        return SourceText(path.name, str(path), _read_pdf(path, data), digest, "pdf")
    text, encoding = decode_text(data, path)
    if suffix in (".md", ".markdown"):
        text = _markdown_to_outline(text)
    return SourceText(path.name, str(path), text, digest, encoding)
