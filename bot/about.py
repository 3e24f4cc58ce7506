"""What the surfaces say about the current document, read from the document itself.

Page titles, lead text, help, App Home, the proposal form's goals and the example questions name
the plan that is indexed now: its short title, the kind of plan, the municipality (the
``REFORMBOT_CITY_NAME`` setting, else the title's 市/町/村), its goals and examples from its own
glossary and headings. Without a document every surface uses the neutral wording of
:data:`bot.messages.DOCUMENT_WORDS`.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Mapping

from bot.examples import Example, example_questions
from bot.messages import DOCUMENT_WORDS, KIND_EN
from corpus.goals import Goal, find_goals
from corpus.model import Document
from corpus.titles import place_name, plan_kind, short_title

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{(name|kind|Kind|city|goal_word|example)\}")


@dataclass(frozen=True)
class About:
    """The current document as the surfaces name it."""

    title: str = ""                       # the title as written; "" without a document
    name: str = ""                        # the title without notes on this copy (（案）, 概要版)
    kind: str = ""                        # 大綱, 計画, プラン …; "" when the title names none
    city: str = ""                        # the municipality; "" when neither setting nor title names one
    goals: tuple[Goal, ...] = ()
    examples: Mapping[str, tuple[Example, ...]] = field(default_factory=dict)

    def questions(self, lang: str) -> tuple[str, ...]:
        """The example questions in ``lang`` (may be empty)."""
        return tuple(e.question for e in self.examples.get(lang, ()))

    def words(self, lang: str) -> dict[str, str]:
        """The values of ``{name}``, ``{kind}``, ``{Kind}``, ``{city}``, ``{goal_word}``, ``{example}``
        in ``lang``: the document's own, else the neutral ones."""
        neutral = DOCUMENT_WORDS.get(lang, DOCUMENT_WORDS["ja"])
        if lang == "en":
            kind = KIND_EN.get(self.kind, neutral["kind"]) if self.kind else neutral["kind"]
        else:
            kind = self.kind or neutral["kind"]
        questions = self.questions(lang)
        return {
            "name": self.name or neutral["name"],
            "kind": kind,
            "Kind": kind[:1].upper() + kind[1:],
            "city": self.city or neutral["city"],
            "goal_word": self.goals[0].word if self.goals else neutral["goal_word"],
            "example": questions[0] if questions else "",
        }

    def fill(self, text: str, lang: str) -> str:
        """``text`` with the document placeholders filled in; other ``{…}`` fields are left for later."""
        words = self.words(lang)
        return _PLACEHOLDER.sub(lambda m: words[m.group(1)], text)

    def fill_all(self, table: Mapping[str, str], lang: str) -> dict[str, str]:
        """Every string of ``table`` through :meth:`fill`."""
        return {key: self.fill(text, lang) if isinstance(text, str) else text for key, text in table.items()}


NO_DOCUMENT = About()

_cache: dict[tuple[int, str], tuple[Document, About]] = {}
_cache_lock = threading.Lock()


def describe(document: Document | None, city_name: str = "") -> About:
    """What the surfaces say about ``document``; the same answer for the same document (cached).

    Args:
        document: the current document, or None.
        city_name: the ``REFORMBOT_CITY_NAME`` setting; empty: read from the title.

    Returns:
        An :class:`About`.
    """
    city_name = city_name.strip()
    if document is None:
        return About(city=city_name) if city_name else NO_DOCUMENT
    key = (id(document), city_name)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is document:
            return hit[1]
    goals = find_goals(document)
    about = About(title=document.title, name=short_title(document.title), kind=plan_kind(document.title) or "",
                  city=city_name or place_name(document.title) or "", goals=goals,
                  examples=example_questions(document, goals))
    with _cache_lock:
        if len(_cache) > 8:              # a few versions at most: drop the old ones
            _cache.clear()
        _cache[key] = (document, about)  # holding the document keeps its id from being reused
    return about


def from_title(title: str, city_name: str = "") -> About:
    """What can be said from a title alone (a status line, a stored answer): name, kind, city."""
    if not title:
        return About(city=city_name.strip())
    return About(title=title, name=short_title(title), kind=plan_kind(title) or "",
                 city=city_name.strip() or place_name(title) or "")


def document_on_disk(index_dir) -> Document | None:
    """The current document read from the index files alone, loading no model: for commands that
    only name it (``reformbot --help``, mail and Slack texts written by ``reformbot proposals``).

    The same choice as :meth:`bot.service.QAService.current_document` (the admin's, else the
    newest); None when nothing is built or it cannot be read.
    """
    from index.documents import current_document, read_choice
    from index.store import read_documents

    try:
        documents = read_documents(index_dir)
        return current_document(documents, read_choice(index_dir)) if documents else None
    except Exception as exc:        # not built, damaged: the wording is neutral, the command says nothing
        log.debug("no current document on disk: %s", exc)
        return None


def current(qa, city_name: str = "") -> About:
    """:func:`describe` of ``qa.current_document()``; neutral when ``qa`` has none or it fails (logged)."""
    getter = getattr(qa, "current_document", None)
    document = None
    if getter is not None:
        try:
            document = getter()
        except Exception:
            log.exception("reading the current document failed")
    return describe(document, city_name)
