"""Read outline source files (.txt/.md in UTF-8, UTF-8 with BOM or CP932/Shift_JIS; .pdf) as text.

A file that is empty, binary, undecodable or an unreadable PDF raises :class:`SourceError`
whose message names the file and says what is wrong, in English and Japanese.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SourceError", "SourceText", "read_source", "decode_text", "TEXT_SUFFIXES", "PDF_SUFFIXES"]

TEXT_SUFFIXES = (".txt", ".md", ".text", ".markdown")
PDF_SUFFIXES = (".pdf",)

# Share of control characters above which decoded "text" is really binary data.
_MAX_CONTROL_RATIO = 0.01
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class SourceError(Exception):
    "A source file cannot be read as outline text"

    def __init__(self, path: str | Path, problem: str, problem_ja: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.problem_ja = problem_ja
        super().__init__(f"{self.path}: {problem} / {problem_ja}")


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
        raise SourceError(path, "the file is empty", "ファイルが空です")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise SourceError(path, "the file has a UTF-16 mark but is not valid UTF-16",
                              "UTF-16 の印がありますが正しく読めません") from None
    else:
        if b"\x00" in data:
            raise SourceError(path, "the file is binary (it contains NUL bytes), not text",
                              "バイナリファイルです（テキストではありません）")
        for encoding in ("utf-8-sig", "cp932"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SourceError(
                path,
                "the file is not valid UTF-8 or CP932/Shift_JIS text; save it as UTF-8",
                "UTF-8 でも CP932（Shift_JIS）でも読めません。UTF-8 で保存し直してください",
            )
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
    controls = len(_CONTROL.findall(text))
    if controls > max(2, _MAX_CONTROL_RATIO * len(text)):
        raise SourceError(path, "the file is binary (it is full of control characters), not text",
                          "バイナリファイルです（制御文字が多く含まれています）")
    if not text.strip():
        raise SourceError(path, "the file is empty", "ファイルが空です")
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
        raise SourceError(path, "reading PDF needs the pypdf package (pip install pypdf)",
                          "PDF を読むには pypdf が必要です") from None
    if not data.lstrip().startswith(b"%PDF"):
        raise SourceError(path, "the file is not a PDF (no %PDF header)",
                          "PDF ファイルではありません（%PDF ヘッダがありません）")
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise SourceError(path, "the PDF is encrypted; save an unencrypted copy",
                              "PDF が暗号化されています。暗号化していない版を保存してください")
        pages = [page.extract_text() or "" for page in reader.pages]
    except SourceError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        raise SourceError(path, f"the PDF is damaged or unreadable ({type(exc).__name__}: {exc})",
                          "PDF が壊れているか読めません") from None
    text = "\n".join(pages)
    if not text.strip():
        raise SourceError(path, "the PDF has no extractable text (a scanned image?)",
                          "PDF から文字を取り出せません（画像だけの PDF ではありませんか）")
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
        raise SourceError(path, f"unsupported file type {suffix or '(none)'}; use .txt, .md or .pdf",
                          "対応していない形式です（.txt / .md / .pdf を使ってください）")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(path, "the file does not exist", "ファイルがありません") from None
    except IsADirectoryError:
        raise SourceError(path, "this is a directory, not a file", "ファイルではなくフォルダです") from None
    except OSError as exc:
        raise SourceError(path, f"the file cannot be opened ({exc.strerror})", "ファイルを開けません") from None
    digest = hashlib.sha256(data).hexdigest()
    if suffix in PDF_SUFFIXES:
        if not data.strip():
            raise SourceError(path, "the file is empty", "ファイルが空です")
        return SourceText(path.name, str(path), _read_pdf(path, data), digest, "pdf")
    text, encoding = decode_text(data, path)
    if suffix in (".md", ".markdown"):
        text = _markdown_to_outline(text)
    return SourceText(path.name, str(path), text, digest, encoding)
