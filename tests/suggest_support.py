"""A data dir that serves the session's real index (bundled outline, real default model) with its
own feedback database and synonyms file, and a service that reuses the loaded model."""
from __future__ import annotations

from pathlib import Path

REFUSED_PARAPHRASE = "団体へのサポートは？"
"""Everyday wording the outline does not use (it says 支援): refused until a synonym maps it."""
EXPECTED_LINE = "サポート => 支援"


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
