"""A plan as a structured corpus: read source files, repair PDF extraction, parse, chunk.

source files (.txt/.md/.pdf/.docx) -(reader)-> text, pages split by form feeds
  -(pages, normalize)-> lines in canonical characters, page furniture removed, each with its page
  -(repair)-> logical lines -(parser, schemes)-> Document -(chunker)-> Chunks

:mod:`corpus.inspect` reports how a file is read (``reformbot index inspect FILE``).

    >>> from corpus import load_document, load_chunks
    >>> doc = load_document()            # the bundled outline-7th-summary.txt
    >>> chunks = load_chunks(doc)        # or load_chunks(["outline.pdf"], mode="window", window=3)

Several documents side by side (the 7th and the next outline, an outline and its implementation
plan): :func:`load_documents` reads each file as its own :class:`Document` with an id from its
file name, and :func:`chunk_documents` cuts them into chunks whose ids stay unique across them.

Only the standard library is imported here (pypdf is imported when a PDF is read).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence, Union

from corpus.chunker import BREADCRUMB_SEP, DEFAULT_MAX_CHARS, breadcrumb, chunk_document, content_hash
from corpus.model import Chunk, Document, GlossaryEntry, Section
from corpus.parser import OutlineError, parse_sources
from corpus.reader import SourceError, SourceLimits, SourceText, read_source
from corpus.repair import nfkc, repair_lines

__all__ = [
    "DEFAULT_SOURCE", "load_document", "load_documents", "load_chunks", "chunk_document", "chunk_documents",
    "document_id", "CHUNK_ID_SEP", "read_source", "repair_lines",
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
        The document (title, sources with their sha256, sections, glossary); its ``id`` is left
        empty (:func:`load_documents` gives each document of an index its id).

    Raises:
        SourceError: a file is missing, empty, binary, undecodable, a damaged PDF or over a limit.
        OutlineError: a file has no outline content.
    """
    paths = _paths(paths)
    texts = _read(paths, limits, progress)
    if progress:
        progress("parse", "", 0, sum(len(t.text) for t in texts))
    return parse_sources(texts)


def load_documents(paths: PathLike | Iterable[PathLike] | None = None, *, limits: SourceLimits | None = None,
                   progress: LoadProgress | None = None) -> list[Document]:
    """Read, repair and parse each source file into its own :class:`Document`.

    Every file is read before any is parsed, so one bad file fails the whole load early.

    Args:
        paths: as :func:`load_document`.
        limits: size, page and time bounds on each file (default: none).
        progress: optional ``progress(stage, source, done, total)`` (see :data:`LoadProgress`).

    Returns:
        The documents in the order given, ids from their file names (:func:`document_id`), unique.

    Raises:
        SourceError, OutlineError: as :func:`load_document`.
    """
    paths = _paths(paths)
    texts = _read(paths, limits, progress)
    if progress:
        progress("parse", "", 0, sum(len(t.text) for t in texts))
    taken: set[str] = set()
    return [parse_sources([text], id=document_id(path, taken)) for path, text in zip(paths, texts)]


def _read(paths: Sequence[Path], limits: SourceLimits | None, progress: LoadProgress | None) -> list[SourceText]:
    texts = []
    for path in paths:
        report = None
        if progress:
            def report(unit: str, done: int, total: int, _source: str = str(path)) -> None:
                progress(unit, _source, done, total)
        texts.append(read_source(path, limits=limits, progress=report))
    return texts


def document_id(path: PathLike, taken: set[str] | None = None) -> str:
    """A document's id from its file name: the stem, NFKC, lower case, other characters than
    letters, digits, ``.``, ``_`` and ``-`` replaced by ``-`` ("outline-7th-summary", "第8次大綱").
    With ``taken``, made unique against it ("plan", "plan-2") and added to it."""
    stem = unicodedata.normalize("NFKC", Path(path).stem).lower()
    base = re.sub(r"[^\w.-]+", "-", stem).strip("-.") or "document"
    ident, n = base, 2
    while taken is not None and ident in taken:
        ident, n = f"{base}-{n}", n + 1
    if taken is not None:
        taken.add(ident)
    return ident


CHUNK_ID_SEP = ":"
"""Between a document's id and a chunk's own id when several documents are indexed together."""


def chunk_documents(documents: Sequence[Document], *, progress: LoadProgress | None = None, **kw) -> list[Chunk]:
    """Chunks of several documents, in order, each carrying its document's id.

    With one document the chunk ids are the chunker's own (``s5-2/w1``, ``g-ppp``); with several,
    each id is prefixed with its document's id (``midori-plan:s4-1/w1``) so that ids stay unique
    across documents and a glossary entry's chunk (``g-rpa`` in two plans) is its document's.

    Args:
        documents: the documents, with distinct ids when there are several.
        progress: optional ``progress("chunk", "", done, total)`` per section and glossary entry.
        **kw: passed to :func:`corpus.chunker.chunk_document`.

    Raises:
        ValueError: two documents share an id.
    """
    ids = [d.id for d in documents]
    if len(documents) > 1 and len(set(ids)) != len(ids):
        raise ValueError(f"documents need distinct ids to be indexed together, got {ids}")
    total = sum(len(d.sections) + len(d.glossary) for d in documents)
    out: list[Chunk] = []
    before = 0
    for doc in documents:
        report = None
        if progress:
            def report(done: int, _total: int, _before: int = before) -> None:
                progress("chunk", "", _before + done, total)
        chunks = chunk_document(doc, progress=report, **kw)
        prefix = f"{doc.id}{CHUNK_ID_SEP}" if len(documents) > 1 else ""
        out += [replace(c, id=prefix + c.id, document=doc.id) for c in chunks]
        before += len(doc.sections) + len(doc.glossary)
    return out


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
