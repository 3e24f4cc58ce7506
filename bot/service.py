"""The question-answering service every surface shares (web page, JSON API, CLI, Slack).

It owns the loaded index and hands out answers in the shared contract. Loading is lazy and
thread-safe; :meth:`QAService.refresh` lets a running server pick up a newly built index.
"""
from __future__ import annotations

import logging
import threading
import unicodedata
from typing import TYPE_CHECKING, Callable, Sequence

from bot.contract import Answer

if TYPE_CHECKING:  # heavy imports stay off the start-up path
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500


class EmptyQuestion(ValueError):
    "The question is empty or whitespace only."


class QuestionTooLong(ValueError):
    "The question is longer than MAX_QUESTION_CHARS."


def clean_question(text: str | None) -> str:
    """Strip control characters and surrounding space; refuse empty or over-long questions.

    Raises:
        EmptyQuestion: nothing left to ask.
        QuestionTooLong: over :data:`MAX_QUESTION_CHARS` characters.
    """
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = " ".join(text.split())
    if not text:
        raise EmptyQuestion("empty question")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionTooLong(f"question has {len(text)} characters; at most {MAX_QUESTION_CHARS}")
    return text


class QAService:
    """Answers questions from the current index.

    Args:
        settings: runtime settings (data dir, model, threads).
        open_retriever: callable returning a retriever for the settings; defaults to the
            on-disk index. Tests pass their own.
    """

    def __init__(self, settings: "Settings", open_retriever: Callable[["Settings"], object] | None = None):
        self.settings = settings
        self._open = open_retriever or _open_default_retriever
        self._retriever = None
        self._lock = threading.Lock()

    @property
    def retriever(self):
        """The loaded retriever (loads on first use)."""
        r = self._retriever
        if r is None:
            with self._lock:
                if self._retriever is None:
                    self._retriever = self._open(self.settings)
                r = self._retriever
        return r

    def refresh(self) -> bool:
        """Reload when the index on disk changed; returns True when a new version was loaded."""
        current = self._retriever
        if current is None:
            _ = self.retriever
            return True
        changed = getattr(current, "changed_on_disk", None)
        if changed is None or not changed():
            return False
        fresh = self._open(self.settings)
        with self._lock:
            self._retriever = fresh
        log.info("switched to index version %s", getattr(fresh, "version", "?"))
        return True

    def ask(self, question: str, *, history: Sequence[str] = (), k: int = 3) -> Answer:
        """Answer ``question`` from the outline.

        Args:
            question: the user's question (cleaned here).
            history: earlier questions in the same conversation, oldest first.
            k: number of sources to return.

        Returns:
            An :class:`Answer` in the shared contract.

        Raises:
            EmptyQuestion, QuestionTooLong: see :func:`clean_question`.
        """
        from bot.answer import compose

        question = clean_question(question)
        return compose(question, self.retriever, k=k, history=tuple(history))

    def status(self) -> dict:
        """What the bot knows: title, index version, build time, counts."""
        r = self.retriever
        info = dict(r.info()) if hasattr(r, "info") else {}
        return {
            "title": info.get("title", ""),
            "index_version": info.get("index_version", ""),
            "built_at": info.get("built_at", ""),
            "sections": info.get("sections", 0),
            "glossary_terms": info.get("glossary_terms", 0),
            "chunks": info.get("chunks", 0),
            "model": info.get("model", ""),
        }


def _open_default_retriever(settings: "Settings"):
    from index.retriever import open_retriever

    return open_retriever(settings)
