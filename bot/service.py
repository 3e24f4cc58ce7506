"""The question-answering service every surface shares (web page, JSON API, CLI, Slack).

It owns the loaded index and hands out answers in the shared contract. Loading is lazy and
thread-safe; :meth:`QAService.refresh` (called by :class:`IndexWatcher` in a running server) swaps
in a newly current index version without a restart and without failing requests in flight.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import unicodedata
from typing import TYPE_CHECKING, Callable, Sequence

from bot.contract import Answer

if TYPE_CHECKING:  # heavy imports stay off the start-up path
    from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 200
"""Longest question answered. Answer time grows with length (query embedding), measured by
benchmarks/bench_question_length.py: ~13 ms at 10 characters, ~36 ms at 50 (typical: the 353
written test questions have median 39, max 78), ~145 ms at 200, ~0.5 s at 400-500, ~1.4 s at
1,000. At 200 the worst case stays within ~4x a typical question while leaving 2.5x the longest
real one; 500 allowed ~15x, which let a few visitors saturate the CPU."""
MAX_HISTORY = 10
"""Earlier turns of a conversation a question is read with (the newest); surfaces bound theirs too."""
WATCH_INTERVAL = 1.0
"""Seconds between checks of the index ``current`` pointer by a running server."""


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


def read_question(question: str, history: Sequence = (), corpus_text: str = ""):
    """``(asked, reading)``: the question without its chat phrasing (:func:`bot.chat.read_message`)
    and how it reads after the earlier turns (:func:`bot.conversation.read_follow_up`).
    ``corpus_text`` (the index's text, NFKC, no whitespace) tells which words the documents know.

    A reading longer than :data:`MAX_QUESTION_CHARS` falls back to the question on its own.
    """
    from bot.chat import read_message
    from bot.conversation import Reading, read_follow_up

    known = (lambda word: word in corpus_text) if corpus_text else None
    message = read_message(question, known)
    asked = message.question
    earlier = [_asked_turn(h) for h in list(history)[-MAX_HISTORY:]]
    reading = read_follow_up(asked, [h for h in earlier if h], new_topic=message.new_topic)
    if len(reading.searched) > MAX_QUESTION_CHARS or not reading.searched.strip():
        reading = Reading(asked)
    return asked, reading


def _usable(answer: Answer, reading) -> bool:
    """Found, and naming the item the reading asks about (when it names one)."""
    return answer.found and (not reading.names or _names(answer, reading.names))


def _names(answer: Answer, item: str) -> bool:
    """Whether the answer's first passage (text or heading path) names ``item`` (NFKC, no spaces)."""
    def squash(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split())

    first = answer.sources[0] if answer.sources else None
    return bool(first) and squash(item) in squash(first.text + first.section)


def _corpus_text(retriever) -> str:
    try:
        text = getattr(retriever, "corpus_text", "")
    except Exception:      # a retriever of tests without chunks
        return ""
    return text if isinstance(text, str) else ""


def _asked_turn(item):
    """An earlier turn with its chat phrasing left out (a string, a Turn or a mapping)."""
    from bot.chat import read_message
    from bot.conversation import Turn

    if isinstance(item, str):
        return read_message(item).question if item.strip() else ""
    if isinstance(item, Turn):
        return Turn(read_message(item.question).question, item.section) if item.question.strip() else ""
    if isinstance(item, dict):
        q = str(item.get("question") or "")
        return Turn(read_message(q).question, str(item.get("section") or "")) if q.strip() else ""
    return ""


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
        self._default_open = open_retriever is None
        self._retriever = None
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()     # one reload at a time (watcher, callers)
        self._failed_pointer: tuple | None = None  # pointer state whose version failed to load
        self._load_error: str | None = None         # why the first load failed (logged once)
        self._switch_listeners: list[Callable[[str | None, str], None]] = []
        # The found/not-found model is read (and validated) at start-up, not on the first question.
        from bot.answer import THRESHOLDS
        from bot.decision import load_model

        if THRESHOLDS.learned:
            load_model(THRESHOLDS.model)

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

    def add_switch_listener(self, listener: Callable[[str | None, str], None]) -> None:
        """Call ``listener(old_version, new_version)`` after each switch to another index version
        (on the thread that refreshed; errors are logged). Slack announcements hook in here."""
        self._switch_listeners.append(listener)

    def refresh(self) -> bool:
        """Load the current index version if it is not the one serving; returns True on a switch.

        The new version is loaded completely while the old one keeps answering; the swap is one
        reference assignment, so a request in flight finishes on the version it started with. A
        version that fails to load is logged and skipped (the old one keeps serving) until the
        ``current`` pointer changes again.
        """
        with self._refresh_lock:
            current = self._retriever
            if current is None:
                try:
                    _ = self.retriever
                except Exception as exc:  # nothing to serve yet: the next request says why
                    # The watcher retries every second; say it once (again only if the cause
                    # changes), not 3,600 identical lines an hour while nobody has built it.
                    if str(exc) != self._load_error:
                        log.error("index not loaded: %s", exc)
                        self._load_error = str(exc)
                    return False
                if self._load_error is not None:
                    log.info("index version %s loaded", getattr(self._retriever, "version", "?"))
                    self._load_error = None
                return True
            pointer = _pointer_state(self.settings)
            if pointer is None:   # no versions layout (tests with their own opener)
                changed = getattr(current, "changed_on_disk", None)
                if changed is None or not changed():
                    return False
            elif pointer[0] == getattr(current, "version", None) or pointer == self._failed_pointer:
                return False
            old_version = getattr(current, "version", None)
            try:
                fresh = self._open_next(current)
            except Exception as exc:
                self._failed_pointer = pointer
                log.error("index version %s not loaded; still serving %s: %s",
                          pointer[0] if pointer else "?", old_version, exc)
                return False
            with self._lock:
                self._retriever = fresh
            self._failed_pointer = None
            new_version = getattr(fresh, "version", "?")
            log.info("switched to index version %s (was %s)", new_version, old_version)
        for listener in list(self._switch_listeners):
            try:
                listener(old_version, new_version)
            except Exception:
                log.exception("switch listener %r failed", listener)
        return True

    def _open_next(self, current):
        """Open the current version, reusing the loaded embedding model when it is the same."""
        embedder = getattr(current, "embedder", None)
        if self._default_open and embedder is not None:
            from index.retriever import open_index_dir
            from index.store import read_manifest, resolve_index_dir

            directory = resolve_index_dir(self.settings.index_dir)
            if read_manifest(directory).model_id == embedder.model_id:
                return open_index_dir(directory, embedder)
        return self._open(self.settings)

    def ask(self, question: str, *, history: Sequence = (), k: int = 3) -> Answer:
        """Answer ``question`` from the outline.

        The chat phrasing around the question (greetings, preambles, sign-offs, mentions, links,
        emoji: :mod:`bot.chat`) is left out of the search, and a follow-up is read with the earlier
        turns as far as it needs them (:mod:`bot.conversation`).

        Args:
            question: the user's message (cleaned here); the answer's ``question`` stays it.
            history: earlier turns of the same conversation, oldest first: questions as strings,
                or :class:`bot.conversation.Turn` / ``{"question", "section"}`` with the section
                that answered them. At most :data:`MAX_HISTORY` are used.
            k: number of sources to return.

        Returns:
            An :class:`Answer` in the shared contract; ``searched_as`` says how a follow-up was
            read, ``meta["asked"]`` is the question without its chat phrasing.

        Raises:
            EmptyQuestion, QuestionTooLong: see :func:`clean_question`.
        """
        from bot.answer import compose
        from bot.revisions import is_revision_question

        question = clean_question(question)
        retriever = self.retriever        # one version for the whole request, even across a switch
        asked, reading = read_question(question, history, _corpus_text(retriever))
        searched = reading.searched
        if is_revision_question(asked):   # 「改訂で何が変わった？」: the diff, not a search
            from bot.revisions import revision_answer

            changes = revision_answer(asked, self.settings.index_dir, serving=getattr(retriever, "version", None))
            return dataclasses.replace(changes, question=question)
        current = self._chosen_document()
        answer = compose(searched, retriever, k=k, current=current)
        if (answer.found and reading.not_section and answer.sources
                and answer.sources[0].section == reading.not_section):
            # Something new about the previous answer's topic: not that passage again, when another answers.
            other = compose(searched, retriever, k=k, current=current, not_sections=frozenset({reading.not_section}))
            if other.found:
                answer = other
        if not _usable(answer, reading):
            # The first reading found nothing, or not the item asked (「それって誰が点検するの？」,
            # 「令和７年度は？」): the next reading; the first answer stands when none does better.
            from bot.conversation import Reading

            for fallback in reading.fallbacks:
                other = compose(fallback, retriever, k=k, current=current)
                if _usable(other, reading):
                    # A fallback made of the question's own words used no context (「誰が点検するの？」).
                    answer, reading = other, Reading(fallback, fallback not in asked, reading.how)
                    break
        meta = {**answer.meta, "asked": asked, "context": reading.how}
        return dataclasses.replace(answer, question=question, meta=meta,
                                   searched_as=reading.searched if reading.context_used else "")

    def _chosen_document(self) -> str | None:
        """The admin's choice of current document (``reformbot index current-document``), read on
        every use: a tiny file, and a running server follows a new choice at once."""
        from index.documents import read_choice

        return read_choice(self.settings.index_dir)

    def current_document(self):
        """The :class:`corpus.model.Document` questions go to by default: the admin's choice, else
        the newest indexed document; None when no index can be loaded (or it knows no documents).

        Loads the index on first use (like :meth:`ask`); for titles and wording, so a missing index
        gives None here while :meth:`ask` and :meth:`status` say why.
        """
        from index.documents import current_document

        documents = self._documents()
        return current_document(documents, self._chosen_document()) if documents else None

    def documents(self) -> list[tuple[str, str]]:
        """``(id, title)`` of every indexed document, in index order; empty when no index can be loaded."""
        return [(d.id, d.title) for d in self._documents()]

    def _documents(self) -> tuple:
        try:
            retriever = self.retriever
        except Exception as exc:   # not built, damaged, model missing: ask() and status() report it
            log.debug("no documents: the index is not loaded (%s)", exc)
            return ()
        return tuple(getattr(retriever, "documents", ()))

    def status(self) -> dict:
        """What the bot knows: title, index version, build time, counts, and its documents.

        With several documents, ``title`` is the current document's and ``documents`` lists each
        (``{"id", "title", "current"}``).
        """
        r = self.retriever
        info = dict(r.info()) if hasattr(r, "info") else {}
        status = {
            "title": info.get("title", ""),
            "index_version": info.get("index_version", ""),
            "built_at": info.get("built_at", ""),
            "sections": info.get("sections", 0),
            "glossary_terms": info.get("glossary_terms", 0),
            "chunks": info.get("chunks", 0),
            "model": info.get("model", ""),
        }
        current = self.current_document()
        if current is not None:
            if len(self._documents()) > 1:
                status["title"] = current.title
            status["current_document"] = current.id
            status["documents"] = [{"id": i, "title": t, "current": i == current.id} for i, t in self.documents()]
        return status


class IndexWatcher:
    """Background thread that keeps a running server on the current index version.

    Every ``interval`` seconds it calls :meth:`QAService.refresh` (which reads the small
    ``current`` pointer file and loads a new version only when it changed). Started and stopped
    by the server's lifespan.

    Args:
        qa: the service to refresh.
        interval: seconds between checks.
    """

    def __init__(self, qa: QAService, interval: float | None = None) -> None:
        self.qa = qa
        self.interval = WATCH_INTERVAL if interval is None else interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="index-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.qa.refresh()
            except Exception:  # never let the watcher die: the next tick tries again
                log.exception("index refresh failed")


def _pointer_state(settings: "Settings") -> tuple | None:
    """(version, switched_at) of the ``current`` pointer, or None when there is none/unreadable."""
    from index.versions import read_pointer

    try:
        p = read_pointer(settings.index_dir)
    except Exception as exc:
        log.error("index pointer unreadable: %s", exc)
        return None
    return (p.version, p.switched_at) if p else None


def _open_default_retriever(settings: "Settings"):
    from bot.indexing import open_retriever_from_settings

    return open_retriever_from_settings(settings)
