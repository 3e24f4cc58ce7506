"""A plan as a structured corpus: read source files, repair PDF extraction, parse, chunk.

source files (.txt/.md/.pdf/.docx) -(reader)-> text, pages split by form feeds
  -(pages, normalize)-> lines in canonical characters, page furniture removed, each with its page
  -(repair)-> logical lines -(parser, schemes)-> Document -(chunker)-> Chunks

:mod:`corpus.inspect` reports how a file is read (``reformbot index inspect FILE``).

    >>> from corpus import load_document, load_chunks
    >>> doc = load_document()            # the bundled outline-7th-summary.txt
    >>> chunks = load_chunks(doc)        # or load_chunks(["outline.pdf"], mode="window", window=3)

Only the standard library is imported here (pypdf is imported when a PDF is read).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Union

from corpus.chunker import BREADCRUMB_SEP, DEFAULT_MAX_CHARS, breadcrumb, chunk_document, content_hash
from corpus.model import Chunk, Document, GlossaryEntry, Section
from corpus.parser import OutlineError, parse_sources
from corpus.reader import SourceError, SourceLimits, SourceText, read_source
from corpus.repair import nfkc, repair_lines

__all__ = [
    "DEFAULT_SOURCE", "load_document", "load_chunks", "chunk_document", "read_source", "repair_lines",
    "nfkc", "breadcrumb", "content_hash", "BREADCRUMB_SEP", "DEFAULT_MAX_CHARS",
    "Chunk", "Document", "GlossaryEntry", "Section", "SourceText", "SourceError", "SourceLimits", "OutlineError",
    "CorpusError", "LoadProgress",
]

DEFAULT_SOURCE = Path(__file__).resolve().parent / "outline-7th-summary.txt"

# Both errors a caller turns into "fix the source file" messages.
CorpusError = (SourceError, OutlineError)

PathLike = Union[str, Path]

LoadProgress = Callable[[str, str, int, int], None]
"""progress(stage, source, done, total) while sources are loaded: "bytes" and "pages" while the file
``source`` is read (see :data:`corpus.reader.ReadProgress`), "parse" once before the texts are
parsed (0 of ``total`` characters, ``source`` empty), "chunk" after each section or glossary entry
is cut into chunks."""


def _paths(paths: PathLike | Iterable[PathLike] | None) -> list[Path]:
    if paths is None:
        return [DEFAULT_SOURCE]
    if isinstance(paths, (str, Path)):
        return [Path(paths)]
    out = [Path(p) for p in paths]
    if not out:
        raise ValueError("no source files given")
    return out


def load_document(paths: PathLike | Iterable[PathLike] | None = None, *, limits: SourceLimits | None = None,
                  progress: LoadProgress | None = None) -> Document:
    """Read, repair and parse source files into one :class:`Document`.

    Args:
        paths: one path or several (``.txt``/``.md``/``.pdf``/``.docx``); default the bundled outline.
        limits: size, page and time bounds on each file (default: none).
        progress: optional ``progress(stage, source, done, total)`` (see :data:`LoadProgress`).

    Returns:
        The document (title, sources with their sha256, sections, glossary).

    Raises:
        SourceError: a file is missing, empty, binary, undecodable, a damaged PDF or over a limit.
        OutlineError: a file has no outline content.
    """
    texts = []
    for path in _paths(paths):
        report = None
        if progress:
            def report(unit: str, done: int, total: int, _source: str = str(path)) -> None:
                progress(unit, _source, done, total)
        texts.append(read_source(path, limits=limits, progress=report))
    if progress:
        progress("parse", "", 0, sum(len(t.text) for t in texts))
    return parse_sources(texts)


def load_chunks(paths: PathLike | Iterable[PathLike] | Document | None = None, *,
                progress: LoadProgress | None = None, **kw) -> list[Chunk]:
    """Chunks of source files (or of an already parsed :class:`Document`).

    Args:
        paths: a Document, one path, several paths, or None for the bundled outline.
        progress: optional ``progress("chunk", "", done, total)`` per section and glossary entry.
        **kw: passed to :func:`corpus.chunker.chunk_document` (``mode``, ``max_chars``, ``window`` …).

    Returns:
        The chunks.

    Raises:
        SourceError, OutlineError: as :func:`load_document`.
    """
    doc = paths if isinstance(paths, Document) else load_document(paths)
    report = None
    if progress:
        def report(done: int, total: int) -> None:
            progress("chunk", "", done, total)
    return chunk_document(doc, progress=report, **kw)
