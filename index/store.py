"""The built index on disk: FAISS vectors, chunks (JSONL), BM25 matrices, document, manifest.

Layout of ``<data_dir>/index/``::

    manifest.json     format version, model id, dim, chunk count, hashes, build time, version id
    vectors.faiss     FAISS index (inner product over L2-normalised vectors; flat or HNSW)
    chunks.jsonl      one chunk per line, in FAISS id order
    document.json     title, sources, sections and glossary of the parsed outline; with several
                      documents indexed together {"documents": [one such object each]}
    lexical/          bm25s matrices (numpy) + vocabulary (JSON) + tokenizer settings

Versions (index/versions.py): ``<data_dir>/index/`` may instead hold ``versions/<id>/`` (each a
directory as above) and a ``current`` pointer file naming one of them. :func:`read_manifest` and
:func:`load_index` then read the current version (:func:`resolve_index_dir`).

Nothing is pickled. :func:`load_index` refuses an index that does not match the running program,
model or itself, with an error naming the command that fixes it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from corpus.model import Chunk, Document, GlossaryEntry, Section
from index.errors import BUILD_COMMAND, IndexMismatch, IndexNotBuilt
from index.lexical import LexicalIndex

if TYPE_CHECKING:  # pragma: no cover
    import faiss

# faiss logs each missing CPU-specific build (avx512, avx2) at INFO: noise on every CLI call.
logging.getLogger("faiss.loader").setLevel(logging.WARNING)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
CHUNKS = "chunks.jsonl"
DOCUMENT = "document.json"
LEXICAL = "lexical"

HNSW_THRESHOLD = 100_000
"""Chunk count from which the index is HNSW instead of exact (flat) search.

Measured (benchmarks/bench_index.py, 2 cores, 384 dims, one query at a time): exact search p95
0.3 ms at 10k, 1.3 ms at 25k, 2.8 ms at 50k, 6.0 ms at 100k chunks on a quiet machine (11-15 ms
at 100k with other jobs running) — exact and perfectly accurate, well inside the latency budget,
up to 100k. HNSW (M 32, efSearch 96) answers 100k in p95 0.2 ms with recall@10 1.00 against exact
on clustered synthetic vectors, but costs 12-44 s to build per 100k and is approximate, so it
only takes over from 100k chunks, where exact search keeps growing linearly.
"""
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96


@dataclass(frozen=True)
class Manifest:
    """What was built, from what, with which model: checked before an index is used."""

    format_version: int
    model_id: str
    dim: int
    chunk_count: int
    chunk_hashes: tuple[str, ...]           # content hash of each chunk, in FAISS id order
    source_hashes: dict[str, str]           # source file name -> sha256
    built_at: str                           # ISO 8601 UTC
    index_version: str                      # e.g. "20261127T010203Z-1a2b3c4d"
    faiss_kind: str                         # "flat" | "hnsw"
    lexical: dict = field(default_factory=dict)   # tokenizer settings
    title: str = ""
    sections: int = 0
    glossary_terms: int = 0
    chunking: dict = field(default_factory=dict)   # chunker parameters
    documents: list = field(default_factory=list)  # per document: id, title, sources, period,
                                            # sections, glossary_terms, chunks (in index order)
    embedded: int = 0                       # chunks embedded by this build
    reused: int = 0                         # chunks whose vectors came from the previous index
    build_seconds: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["chunk_hashes"] = list(self.chunk_hashes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Manifest":
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        d["chunk_hashes"] = tuple(d.get("chunk_hashes", ()))
        return cls(**d)


# --- document and chunks as JSON -------------------------------------------------------------

def chunk_to_dict(c: Chunk) -> dict:
    d = asdict(c)
    d["glossary_refs"] = list(c.glossary_refs)
    return d


def chunk_from_dict(d: dict) -> Chunk:
    d = dict(d)
    d["glossary_refs"] = tuple(d.get("glossary_refs", ()))
    return Chunk(**d)


def document_to_dict(doc: Document) -> dict:
    return asdict(doc)


def document_from_dict(d: dict) -> Document:
    def tup(x):
        return tuple(x) if isinstance(x, list) else x

    sections = tuple(Section(**{k: tup(v) for k, v in s.items()}) for s in d.get("sections", ()))
    glossary = tuple(GlossaryEntry(**{k: tup(v) for k, v in g.items()}) for g in d.get("glossary", ()))
    period = d.get("period")
    return Document(title=d.get("title", ""), sources=tuple(d.get("sources", ())),
                    source_hashes=dict(d.get("source_hashes", {})), sections=sections, glossary=glossary,
                    glossary_title=d.get("glossary_title", "用語説明"), id=d.get("id", ""),
                    page_label=d.get("page_label", ""), period=tuple(period) if period else None)


def documents_to_dict(documents: "Document | Sequence[Document]") -> dict:
    """document.json: one document as itself (as before several could be indexed), several as
    ``{"documents": [...]}``."""
    docs = as_documents(documents)
    return document_to_dict(docs[0]) if len(docs) == 1 else {"documents": [document_to_dict(d) for d in docs]}


def documents_from_dict(d: dict) -> tuple[Document, ...]:
    """The documents of a document.json written by :func:`documents_to_dict` (or before it)."""
    if "documents" in d:
        return tuple(document_from_dict(x) for x in d["documents"])
    return (document_from_dict(d),)


def as_documents(documents: "Document | Sequence[Document]") -> tuple[Document, ...]:
    """A tuple of documents from one document or several.

    Raises:
        ValueError: no document.
    """
    docs = (documents,) if isinstance(documents, Document) else tuple(documents)
    if not docs:
        raise ValueError("no document to index")
    return docs


def manifest_documents(documents: Sequence[Document], chunks: Sequence[Chunk]) -> list[dict]:
    """The manifest's summary of each document: id, title, sources, period and counts."""
    counts: dict[str, int] = {}
    for c in chunks:
        counts[c.document] = counts.get(c.document, 0) + 1
    single = len(documents) == 1
    return [{"id": d.id, "title": d.title, "sources": list(d.sources),
             "period": list(d.period) if d.period else None, "sections": len(d.sections),
             "glossary_terms": len(d.glossary), "chunks": len(chunks) if single else counts.get(d.id, 0)}
            for d in documents]


# --- FAISS ------------------------------------------------------------------------------------

def make_faiss_index(vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD) -> tuple["faiss.Index", str]:
    """Index unit vectors for inner-product search: exact below the threshold, HNSW above.

    Returns:
        (faiss index, "flat" | "hnsw")
    """
    import faiss

    n, dim = vectors.shape
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if n >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if n:
        index.add(vectors)
    return index, kind


def all_vectors(index: "faiss.Index") -> np.ndarray:
    """Every stored vector, in id order (flat and HNSW-flat both keep them)."""
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return index.reconstruct_n(0, index.ntotal)


# --- the loaded index -------------------------------------------------------------------------

@dataclass
class StoredIndex:
    """A loaded, verified index."""

    directory: Path
    manifest: Manifest
    chunks: list[Chunk]
    documents: tuple[Document, ...]   # one, or several indexed side by side, in build order
    vectors: Any               # faiss.Index
    lexical: LexicalIndex

    @property
    def document(self) -> Document:
        """The first document (the only one of a single-document index)."""
        return self.documents[0]


CURRENT_POINTER = "current"
VERSIONS_DIR = "versions"


def resolve_index_dir(directory: Path) -> Path:
    """The directory that holds the index files: the current version when ``directory`` is a
    versions root (has a ``current`` pointer), else ``directory`` itself.

    Raises:
        IndexMismatch: the pointer is unreadable or names a version that is not there.
    """
    directory = Path(directory)
    pointer = directory / CURRENT_POINTER
    if not pointer.is_file():
        return directory
    try:
        version = json.loads(pointer.read_text(encoding="utf-8"))["version"]
        if not isinstance(version, str) or not version or "/" in version or version.startswith("."):
            raise ValueError(f"bad version id {version!r}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexMismatch(f"index pointer {pointer} is unreadable ({exc}): run `reformbot index rollback ID` "
                            f"with an id from `reformbot index versions`, or `{BUILD_COMMAND}`") from None
    target = directory / VERSIONS_DIR / version
    if not target.is_dir():
        raise IndexMismatch(f"the current index version {version} is missing from {directory / VERSIONS_DIR}: "
                            f"run `reformbot index rollback ID` or `{BUILD_COMMAND}`")
    return target


# A damaged current version need not wait for a rebuild: the previous one can serve meanwhile.
_OR_ROLLBACK = ", or `reformbot index rollback` to serve the previous version"


def read_manifest(directory: Path) -> Manifest:
    """The manifest of the index in ``directory`` (its current version for a versions root).

    Raises:
        IndexNotBuilt: no index there.
        IndexMismatch: unreadable manifest or another format version.
    """
    path = resolve_index_dir(Path(directory)) / MANIFEST
    if not path.is_file():
        raise IndexNotBuilt(f"no search index in {Path(directory)}: run `{BUILD_COMMAND}`")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatch(f"index manifest {path} is unreadable ({exc}): run `{BUILD_COMMAND}`{_OR_ROLLBACK}") from None
    if raw.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(
            f"index in {Path(directory)} has format {raw.get('format_version')!r}, this program reads "
            f"format {FORMAT_VERSION}: run `{BUILD_COMMAND}`")
    try:
        return Manifest.from_dict(raw)
    except TypeError as exc:
        raise IndexMismatch(f"index manifest {path} is incomplete ({exc}): run `{BUILD_COMMAND}`{_OR_ROLLBACK}") from None


def read_documents(directory: Path) -> tuple[Document, ...]:
    """The documents of the index in ``directory`` (its current version for a versions root),
    without loading vectors or a model.

    Raises:
        IndexNotBuilt: no index there.
        IndexMismatch: its document.json is missing or unreadable.
    """
    read_manifest(directory)
    path = resolve_index_dir(Path(directory)) / DOCUMENT
    try:
        return documents_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexMismatch(f"index documents {path} are unreadable ({type(exc).__name__}: {exc}): "
                            f"run `{BUILD_COMMAND}`{_OR_ROLLBACK}") from None


def load_index(directory: Path, model_id: str | None = None, dim: int | None = None) -> StoredIndex:
    """Load and verify the index in ``directory``.

    Args:
        directory: the index directory (``<data_dir>/index``).
        model_id: the embedding model the caller will query with; must equal the manifest's.
        dim: the caller's embedding dimension, if known.

    Returns:
        The :class:`StoredIndex`.

    Raises:
        IndexNotBuilt: nothing built there.
        IndexMismatch: format, model id, dimension, chunk count or content hashes disagree.
    """
    import faiss

    directory = resolve_index_dir(Path(directory))   # resolved once: a switch meanwhile is not mixed in
    m = read_manifest(directory)
    fix = f"run `{BUILD_COMMAND}`"
    if model_id is not None and m.model_id != model_id:
        raise IndexMismatch(
            f"index was built with embedding model {m.model_id!r} but {model_id!r} is configured: {fix} "
            "(or set REFORMBOT_EMBEDDING_MODEL back)")
    if dim is not None and m.dim != dim:
        raise IndexMismatch(f"index has {m.dim}-dimensional vectors, the model gives {dim}: {fix}")
    for name in (VECTORS, CHUNKS, DOCUMENT, LEXICAL):
        if not (directory / name).exists():
            raise IndexMismatch(f"index in {directory} lacks {name}: {fix}")
    try:
        vectors = faiss.read_index(str(directory / VECTORS))
    except RuntimeError as exc:
        raise IndexMismatch(f"cannot read {directory / VECTORS} ({exc}): {fix}") from None
    try:
        with (directory / CHUNKS).open(encoding="utf-8") as fh:
            chunks = [chunk_from_dict(json.loads(line)) for line in fh if line.strip()]
        documents = documents_from_dict(json.loads((directory / DOCUMENT).read_text(encoding="utf-8")))
        lexical = LexicalIndex.load(directory / LEXICAL)
    except (OSError, ValueError, TypeError, KeyError) as exc:   # damaged JSON / matrices
        raise IndexMismatch(f"index files in {directory} are damaged ({type(exc).__name__}: {exc}): {fix}") from None
    counts = {"manifest": m.chunk_count, "vectors": vectors.ntotal, "chunks": len(chunks),
              "lexical": lexical.n_docs, "hashes": len(m.chunk_hashes)}
    if len(set(counts.values())) != 1:
        raise IndexMismatch(f"index files disagree on the chunk count {counts}: {fix}")
    if vectors.d != m.dim:
        raise IndexMismatch(f"vectors have dimension {vectors.d}, manifest says {m.dim}: {fix}")
    for i, c in enumerate(chunks):
        if c.content_hash != m.chunk_hashes[i]:
            raise IndexMismatch(f"chunk {c.id} does not match its content hash in the manifest: {fix}")
    if m.faiss_kind == "hnsw":
        faiss.downcast_index(vectors).hnsw.efSearch = HNSW_EF_SEARCH
    return StoredIndex(directory, m, chunks, documents, vectors, lexical)
