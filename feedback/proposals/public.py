"""What the public sees of proposals: the city's published answer, search over the public list,
and the Atom feed.

Everything here works on :class:`PublicProposal` — the title and excerpt a staff member approved,
the chosen goal, the status and dates — and never on a proposal's stored text, so nothing of
that text (nor a name or email in it) can reach a search result's order or a feed reader.
"""
from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from .model import PublicProposal

if TYPE_CHECKING:
    from .linking import SimilarFinder
    from .store import ProposalStore

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 200
# Least cosine between a search and a proposal's public text for a match by meaning alone (no word
# in common). For the default model, from benchmarks/calibrate_search.py: searches scored 0.850–0.916
# against the text they were about (n=16) and 0.804–0.881 against the others (n=112); the groups
# overlap, so 0.86 keeps 15 of 16 and lets 8 of 112 others in, ranked below. Another model needs
# its own value.
SEARCH_MIN_SCORE = 0.86


def public_answer(store: "ProposalStore", pid: int) -> Any | None:
    """The city's published answer to proposal ``pid``, or None (no answer yet, a draft only, or a
    store without answers). The one place the citizen pages read answers from the store.

    Returns:
        The store's ``ProposalAnswer`` (``text``, ``status``, ``published``, ``author``,
        ``created_at``) when it is published; its author is staff-only and never shown.
    """
    current = getattr(store, "current_answer", None)
    if current is None:
        return None
    answer = current(pid)
    return answer if answer is not None and getattr(answer, "published", False) else None


def _fold(text: str) -> str:
    """One spelling for substring search: NFKC (full-width, half-width kana), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def words_match(query: str, text: str) -> bool:
    """True when every word of ``query`` (split at spaces, incl. U+3000) appears in ``text``."""
    folded = _fold(text)
    words = _fold(query).split()
    return bool(words) and all(w in folded for w in words)


def public_text_hash(p: PublicProposal) -> str:
    """What a stored public-text vector was computed from (a changed approval re-embeds)."""
    return hashlib.sha256(f"{p.title}\n{p.excerpt}".encode()).hexdigest()


@dataclass(frozen=True)
class SearchResult:
    """Published proposals matching a search, best first."""

    ids: list[int]
    by_meaning: bool        # False: only the plain substring search ran


class PublicSearch:
    """Search the public list: by meaning when an embedder is available, else by substring.

    Proposals whose public title or excerpt contains every word of the query come first; then those
    whose public text is close in meaning (cosine ≥ ``min_score``), best first. The public text is
    embedded with the proposals' own embedder (:class:`SimilarFinder`) and the vectors kept in
    SQLite, re-embedded only when the approved text changes.

    Args:
        store: the proposals store.
        finder: the similar-proposal finder (its embedder); None: substring search only.
        min_score: least cosine for a match by meaning alone.
    """

    def __init__(self, store: "ProposalStore", finder: "SimilarFinder | None",
                 min_score: float = SEARCH_MIN_SCORE):
        self.store = store
        self.finder = finder
        self.min_score = min_score

    def search(self, query: str, *, goal: str | None = None, status: str | None = None,
               by_meaning: bool = True) -> SearchResult:
        """Published proposals (with these filters) matching ``query``, best first.

        Args:
            query: what the citizen typed (cut at :data:`MAX_QUERY_CHARS`).
            goal: only this chosen goal.
            status: only this status.
            by_meaning: False to skip the embedder (e.g. the client searched too often).
        """
        query = query.strip()[:MAX_QUERY_CHARS]
        candidates = self.store.published(goal=goal, status=status)
        literal = [p.id for p in candidates if words_match(query, f"{p.title}\n{p.excerpt}")]
        if self.finder is None or not by_meaning or not candidates:
            return SearchResult(literal, by_meaning=False)
        try:
            scores = self._scores(query, candidates)
        except Exception:
            log.exception("search by meaning failed; substring search only")
            return SearchResult(literal, by_meaning=False)
        first = set(literal)
        picked = [p.id for p in candidates if p.id in first or scores[p.id] >= self.min_score]
        picked.sort(key=lambda pid: (pid in first, scores[pid]), reverse=True)
        return SearchResult(picked, by_meaning=True)

    def _scores(self, query: str, candidates: Sequence[PublicProposal]) -> dict[int, float]:
        import numpy as np

        model = self.finder.model_id
        stored = self.store.public_vectors(model)
        vectors: dict[int, Any] = {}
        missing = []
        for p in candidates:
            h = public_text_hash(p)
            if p.id in stored and stored[p.id][0] == h:
                vectors[p.id] = np.frombuffer(stored[p.id][1], dtype=np.float32)
            else:
                missing.append((p, h))
        if missing:
            mat = self.finder.embed_many([(p.title, p.excerpt) for p, _ in missing])
            self.store.save_public_vectors(model, [(p.id, h, mat[i]) for i, (p, h) in enumerate(missing)])
            vectors.update({p.id: mat[i] for i, (p, _) in enumerate(missing)})
        q = self.finder.embed(query, "")
        return {pid: float(np.dot(vec, q)) for pid, vec in vectors.items()}


# --- Atom 1.0 (RFC 4287) ------------------------------------------------------------------------

ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 cannot carry at all (C0 controls but tab/newline/CR, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedEntry:
    """One entry of the public feed."""

    id: str               # urn:uuid:…, stable for the proposal
    title: str
    link: str             # absolute URL of the proposal's public page
    updated: str          # RFC 3339
    published: str        # RFC 3339
    summary: str          # the approved excerpt
    content: str          # status, goal and the city's answer, as plain text


def entry_id(feed_id: str, receipt_no: str) -> str:
    """An entry's id: a name-based UUID under the database's feed id, so the same proposal keeps the
    same id whichever host name the feed is read under."""
    return f"urn:uuid:{uuid.uuid5(uuid.UUID(feed_id), receipt_no)}"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    el.text = _NOT_XML.sub("", text)
    return el


def atom_feed(*, feed_id: str, title: str, subtitle: str, lang: str, self_url: str, alternate_url: str,
              author: str, updated: str, entries: Sequence[FeedEntry]) -> bytes:
    """The public list as an Atom 1.0 document (UTF-8); every text is escaped by the serializer and
    characters XML cannot hold are dropped.

    Args:
        feed_id: the feed's ``urn:uuid:`` id.
        title: feed title.
        subtitle: one line on what the feed holds.
        lang: ``xml:lang`` of the texts.
        self_url: absolute URL the feed is fetched from (``rel="self"``).
        alternate_url: absolute URL of the public list (``rel="alternate"``).
        author: the feed's author (the city).
        updated: RFC 3339, the latest change of any entry.
        entries: newest first.
    """
    # Plain names under a default xmlns (ElementTree would otherwise invent an "ns0:" prefix).
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": lang})
    _text(feed, "id", feed_id)
    _text(feed, "title", title, type="text")
    _text(feed, "subtitle", subtitle, type="text")
    _text(feed, "updated", updated)
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": self_url})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": alternate_url})
    _text(ET.SubElement(feed, "author"), "name", author)
    for e in entries:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", e.id)
        _text(entry, "title", e.title, type="text")
        _text(entry, "updated", e.updated)
        _text(entry, "published", e.published)
        ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": e.link})
        _text(entry, "summary", e.summary, type="text")
        _text(entry, "content", e.content, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
