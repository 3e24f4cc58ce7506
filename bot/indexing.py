"""The application's side of the engine: build and open the index with what the settings hold.

The engine (``corpus/``, ``index/``) takes source paths, a directory, a model id and limits as
arguments and knows nothing of :class:`bot.settings.Settings`; this module hands it those values.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from bot.settings import Settings
    from corpus import LoadProgress
    from index.build import Progress
    from index.retriever import Retriever
    from index.store import Manifest
    from index.synonyms import SynonymFile
    from index.versions import BuildReport, LockHolder

log = logging.getLogger(__name__)


def build_version_from_settings(settings: "Settings", sources: Sequence[Path] | None = None,
                                progress: "Progress | None" = None, *, switch: bool = True,
                                force: bool = False, load_progress: "LoadProgress | None" = None,
                                on_lock: "Callable[[LockHolder], None] | None" = None) -> "BuildReport":
    """Parse the sources, chunk them, and build a new version in ``settings.index_dir``.

    Each file is held to ``settings.source_limits()`` (size, PDF pages, time).

    Args:
        settings: data dir, model, threads, default sources and source limits.
        sources: source files; default ``settings.sources``.
        progress, switch, force, load_progress, on_lock: see
            :func:`index.versions.build_version_from_sources`.

    Raises:
        As :func:`index.versions.build_version_from_sources`.
    """
    from index.versions import build_version_from_sources

    return build_version_from_sources(
        tuple(Path(p) for p in (sources or settings.sources)), settings.index_dir, settings.embedding_model,
        progress, threads=settings.threads, limits=settings.source_limits(), switch=switch, force=force,
        load_progress=load_progress, on_lock=on_lock)


def build_from_settings(settings: "Settings", sources: Sequence[Path] | None = None,
                        progress: "Progress | None" = None) -> "Manifest":
    """Build a new current version in ``settings.index_dir`` (verified, then switched to).

    Args:
        settings: runtime settings (data dir, model, threads, default sources).
        sources: source files; default ``settings.sources``.
        progress: optional ``progress(stage, done, total)`` callback.

    Returns:
        The :class:`index.store.Manifest` of the new index.

    Raises:
        index.errors.IndexBuildError: the build failed (previous index kept).
        index.embedder.ModelNotAvailable: the model is not on this machine.
        corpus errors: a source file cannot be read (their message names the file).
    """
    return build_version_from_settings(settings, sources, progress).manifest


def open_retriever_from_settings(settings: "Settings") -> "Retriever":
    """The retriever over the current version in ``settings.index_dir``, with the configured model.

    Raises:
        As :func:`index.retriever.open_retriever`.
    """
    from index.retriever import open_retriever

    retriever = open_retriever(settings.index_dir, settings.embedding_model, threads=settings.threads)
    retriever.set_synonyms(read_synonyms_from_settings(settings).rules)
    return retriever


def read_synonyms_from_settings(settings: "Settings") -> "SynonymFile":
    """The admin's synonyms file (``REFORMBOT_SYNONYMS_FILE``), parsed; each skipped line is logged
    as a warning with its line number (a typo never stops the server). An absent file has no rules."""
    from index.synonyms import read_synonyms

    path = settings.synonyms_path
    parsed = read_synonyms(path)
    for problem in parsed.problems:
        log.warning("synonyms file %s: %s (skipped)", path, problem)
    return parsed
