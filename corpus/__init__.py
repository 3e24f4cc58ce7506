"""The outline as a structured corpus: read source files, repair PDF extraction, parse, chunk.

source files -(reader)-> text -(repair)-> logical lines -(parser)-> Document -(chunker)-> Chunks

    >>> from corpus import load_document, load_chunks
    >>> doc = load_document()            # the bundled outline-7th-summary.txt
    >>> chunks = load_chunks(doc)        # or load_chunks(["outline.pdf"], mode="window", window=3)

Only the standard library is imported here (pypdf is imported when a PDF is read).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Union

from corpus.chunker import BREADCRUMB_SEP, DEFAULT_MAX_CHARS, breadcrumb, chunk_document, content_hash
from corpus.model import Chunk, Document, GlossaryEntry, Section
from corpus.parser import OutlineError, parse_sources
from corpus.reader import SourceError, SourceText, read_source
from corpus.repair import nfkc, repair_lines

__all__ = [
    "DEFAULT_SOURCE", "load_document", "load_chunks", "chunk_document", "read_source", "repair_lines",
    "nfkc", "breadcrumb", "content_hash", "BREADCRUMB_SEP", "DEFAULT_MAX_CHARS",
    "Chunk", "Document", "GlossaryEntry", "Section", "SourceText", "SourceError", "OutlineError",
    "CorpusError",
]

DEFAULT_SOURCE = Path(__file__).resolve().parent / "outline-7th-summary.txt"

# Both errors a caller turns into "fix the source file" messages.
CorpusError = (SourceError, OutlineError)

PathLike = Union[str, Path]


def _paths(paths: PathLike | Iterable[PathLike] | None) -> list[Path]:
    if paths is None:
        return [DEFAULT_SOURCE]
    if isinstance(paths, (str, Path)):
        return [Path(paths)]
    out = [Path(p) for p in paths]
    if not out:
        raise ValueError("no source files given")
    return out


def load_document(paths: PathLike | Iterable[PathLike] | None = None) -> Document:
    """Read, repair and parse source files into one :class:`Document`.

    Args:
        paths: one path or several (``.txt``/``.md``/``.pdf``); default the bundled outline.

    Returns:
        The document (title, sources with their sha256, sections, glossary).

    Raises:
        SourceError: a file is missing, empty, binary, undecodable or a damaged PDF.
        OutlineError: a file has no outline content.
    """
    return parse_sources([read_source(p) for p in _paths(paths)])


def load_chunks(paths: PathLike | Iterable[PathLike] | Document | None = None, **kw) -> list[Chunk]:
    """Chunks of source files (or of an already parsed :class:`Document`).

    Args:
        paths: a Document, one path, several paths, or None for the bundled outline.
        **kw: passed to :func:`corpus.chunker.chunk_document` (``mode``, ``max_chars``, ``window`` …).

    Returns:
        The chunks.

    Raises:
        SourceError, OutlineError: as :func:`load_document`.
    """
    doc = paths if isinstance(paths, Document) else load_document(paths)
    return chunk_document(doc, **kw)
