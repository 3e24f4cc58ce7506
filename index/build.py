"""Build the index: chunks -> embeddings (reusing unchanged ones) -> FAISS + BM25 + manifest.

The build writes into a fresh sibling directory and swaps it in with renames, so a failure at
any step leaves the previous index exactly as it was and nothing half-built behind.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from corpus.model import Chunk, Document
from index.errors import IndexBuildError, IndexError_
from index.lexical import LexicalIndex, TokenizerConfig
from index.store import (CHUNKS, DOCUMENT, FORMAT_VERSION, HNSW_THRESHOLD, LEXICAL, MANIFEST, VECTORS,
                         Manifest, all_vectors, as_documents, chunk_to_dict, documents_to_dict, load_index,
                         make_faiss_index, manifest_documents)

if TYPE_CHECKING:  # pragma: no cover
    from corpus import LoadProgress, SourceLimits
    from index.embedder import Embedder

log = logging.getLogger(__name__)

CHUNKING = {"mode": "window", "window": 3}
"""How the outline is cut for the index: windows of three items of one section, no overlap.

Measured on the dev set with the default model and fused retrieval (MRR@10 / hit@1):
section ≤400 chars .927/.875, section ≤200 .938/.900, items one by one .917/.875,
windows of 2 .921/.875, windows of 3 .950/.925, windows of 3 with stride 2 .944/.925.
Small windows keep a cited passage about one thing; three items keep enough context.
"""

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total); stages: "embed", "index"."""


def embedding_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: its breadcrumb and its text, NFKC (the chunk's ``match_text``).

    The breadcrumb carries the topic that short bullets omit ("(2) 計画の位置付け・計画期間"); it is
    added here when the chunker's ``match_text`` does not already start with it.
    """
    import unicodedata

    text = chunk.match_text or unicodedata.normalize("NFKC", chunk.text)
    crumb = unicodedata.normalize("NFKC", chunk.section or "")
    return text if not crumb or crumb in text else f"{crumb}\n{text}"


def lexical_text(chunk: Chunk) -> str:
    """What BM25 indexes for a chunk: breadcrumb + text, like the embedding."""
    return embedding_text(chunk)


def _previous_vectors(previous: Path | None, model_id: str, dim: int) -> dict[str, np.ndarray]:
    """content hash -> vector from an earlier index built with the same model, else empty."""
    if previous is None:
        return {}
    try:
        old = load_index(Path(previous), model_id=model_id, dim=dim)
    except IndexError_ as exc:
        log.info("not reusing vectors from %s: %s", previous, exc)
        return {}
    vecs = all_vectors(old.vectors)
    return {h: vecs[i] for i, h in enumerate(old.manifest.chunk_hashes)}


def _version_id(built_at: datetime, model_id: str, hashes: Sequence[str]) -> str:
    h = hashlib.sha256(model_id.encode())
    for x in hashes:
        h.update(x.encode())
    return built_at.strftime("%Y%m%dT%H%M%SZ") + "-" + h.hexdigest()[:8]


def build_index(
    chunks: Sequence[Chunk],
    document: "Document | Sequence[Document]",
    out_dir: Path,
    embedder: "Embedder",
    previous: Path | None = None,
    progress: Progress | None = None,
    *,
    tokenizer: TokenizerConfig = TokenizerConfig(),
    hnsw_threshold: int = HNSW_THRESHOLD,
    batch_size: int = 32,
    chunking: dict | None = None,
    _fail_after_write: bool = False,
) -> Manifest:
    """Build the index for ``chunks`` into ``out_dir``, replacing what was there atomically.

    Args:
        chunks: the chunks, in the order they get FAISS ids.
        document: the parsed outline (title, sections, glossary), or several documents indexed
            side by side (chunks from :func:`corpus.chunk_documents`).
        out_dir: the index directory (``<data_dir>/index``).
        embedder: the embedding model.
        previous: an existing index directory whose vectors may be reused (same content hash and
            model id); usually ``out_dir`` itself.
        progress: optional ``progress(stage, done, total)`` callback.
        tokenizer: BM25 tokenizer settings.
        hnsw_threshold: chunk count from which FAISS uses HNSW.
        batch_size: embedding batch size.
        chunking: the chunker parameters used, recorded in the manifest.

    Returns:
        The written :class:`Manifest`; ``embedded``/``reused`` count the chunks embedded now and
        those whose vectors were taken over from ``previous``.

    Raises:
        IndexBuildError: anything failed; the previous index is untouched.
    """
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    documents = as_documents(document)
    ids = [c.id for c in chunks]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise IndexBuildError(f"duplicate chunk ids {dup}; the chunker must give unique ids")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.build-", dir=out_dir.parent))
    try:
        dim = embedder.dim
        reuse = _previous_vectors(previous, embedder.model_id, dim)
        vectors = np.zeros((len(chunks), dim), dtype=np.float32)
        todo = []
        for i, c in enumerate(chunks):
            v = reuse.get(c.content_hash)
            if v is not None:
                vectors[i] = v
            else:
                todo.append(i)
        total = len(todo)
        if progress:
            progress("embed", 0, total)
        for start in range(0, total, batch_size):
            batch = todo[start:start + batch_size]
            vectors[batch] = embedder.embed_documents([embedding_text(chunks[i]) for i in batch],
                                                      batch_size=batch_size)
            if progress:
                progress("embed", min(start + batch_size, total), total)
        if progress:
            progress("index", 0, 1)
        index, kind = make_faiss_index(vectors, hnsw_threshold)
        import faiss

        faiss.write_index(index, str(tmp / VECTORS))
        with (tmp / CHUNKS).open("w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(chunk_to_dict(c), ensure_ascii=False) + "\n")
        (tmp / DOCUMENT).write_text(json.dumps(documents_to_dict(documents), ensure_ascii=False), encoding="utf-8")
        LexicalIndex.build([lexical_text(c) for c in chunks], tokenizer).save(tmp / LEXICAL)
        built_at = datetime.now(timezone.utc).replace(microsecond=0)
        hashes = tuple(c.content_hash for c in chunks)
        manifest = Manifest(
            format_version=FORMAT_VERSION, model_id=embedder.model_id, dim=dim, chunk_count=len(chunks),
            chunk_hashes=hashes, source_hashes={k: v for d in documents for k, v in d.source_hashes.items()},
            built_at=built_at.isoformat().replace("+00:00", "Z"),
            index_version=_version_id(built_at, embedder.model_id, hashes), faiss_kind=kind,
            lexical=tokenizer.to_dict(), title=documents[0].title, sections=sum(len(d.sections) for d in documents),
            glossary_terms=sum(len(d.glossary) for d in documents), chunking=dict(chunking or {}),
            documents=manifest_documents(documents, chunks), embedded=total, reused=len(chunks) - total,
            build_seconds=round(time.perf_counter() - t0, 3),
        )
        # The manifest is written last: a directory without one is never a usable index.
        (tmp / MANIFEST).write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        if _fail_after_write:  # lets tests prove that a late failure leaves the old index
            raise RuntimeError("simulated failure after writing the new index")
        _swap_in(tmp, out_dir)
        if progress:
            progress("index", 1, 1)
        log.info("built index %s: %d chunks (%d embedded, %d reused) in %.1fs",
                 manifest.index_version, len(chunks), manifest.embedded, manifest.reused, manifest.build_seconds)
        return manifest
    except IndexBuildError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexBuildError(f"building the index failed ({type(exc).__name__}: {exc}); "
                              f"the previous index in {out_dir} was left as it was") from exc
    except BaseException:      # Ctrl-C: leave no half-written directory behind either
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with ``tmp``: two renames on one file system, old copy removed last."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}-{time.time_ns()}")
        os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except OSError:
        if old is not None:
            os.rename(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def load_corpus(paths: Sequence[Path], *, limits: "SourceLimits | None" = None,
                progress: "LoadProgress | None" = None) -> tuple[tuple[Document, ...], list[Chunk]]:
    """The parsed documents, one per source file, and their chunks (corpus package defaults).

    Args:
        paths: the source files; each is a document of its own (indexed side by side).
        limits: size, page and time bounds on each file (default: none).
        progress: optional ``progress(stage, source, done, total)`` while the files are read,
            parsed and chunked (see :data:`corpus.LoadProgress`).

    Raises:
        corpus.SourceError, corpus.OutlineError: a source file cannot be used (message names it).
    """
    from corpus import chunk_documents, load_documents

    documents = tuple(load_documents(list(paths), limits=limits, progress=progress))
    return documents, chunk_documents(documents, progress=progress, **CHUNKING)
