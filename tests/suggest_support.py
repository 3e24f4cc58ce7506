"""A data dir that serves the session's real index (bundled outline, real default model) with its
own feedback database and synonyms file, and a service that reuses the loaded model."""
from __future__ import annotations

from pathlib import Path

REFUSED_PARAPHRASE = "リストラはする？"
"""Everyday wording the outline does not use (it says 組織のスリム化), which no general thesaurus
maps: refused until a synonym line does."""
EXPECTED_LINE = "リストラ => スリム"
"""The start of the line proposed for it (the nearest document term by meaning comes first)."""
ANSWER_WORD = "スリム"


def private_data_dir(real_settings, data_dir: Path) -> Path:
    """``data_dir`` whose ``index`` is the real index (a symlink): writes stay in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "index").symlink_to(real_settings.index_dir, target_is_directory=True)
    return data_dir


def reuse_model(real_qa):
    """An ``open_retriever(settings)`` that opens the current index with ``real_qa``'s loaded model."""
    from index.retriever import open_index_dir
    from index.store import resolve_index_dir

    embedder = real_qa.retriever.embedder

    def opener(settings):
        return open_index_dir(resolve_index_dir(settings.index_dir), embedder)

    return opener
