"""Link proposals to the outline and to earlier proposals.

- :func:`link_proposal`: the retriever's top hits for the proposal text give the related sections
  (breadcrumb, page, score) and a vote for one of the document's goals (whatever it calls them:
  重点目標, 基本方針, 柱 …; :mod:`corpus.goals`) — only hits whose breadcrumb lies under a goal
  vote, weighted by their fused score.
- :class:`SimilarFinder`: proposals embedded with the index's embedder (the e5 *query* side for
  both texts: e5's recipe for symmetric similarity), vectors kept in SQLite, cosine by a numpy
  dot product (thousands of proposals, exact search is cheap; no FAISS needed).
- :class:`ProposalPipeline`: runs linking, similarity and the Slack notification in one
  background thread, so a submission returns as soon as the row is stored.
"""
from __future__ import annotations

import hashlib
import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from corpus.goals import Goal, find_goals, goal_of_breadcrumb

from .model import LinkResult, Proposal, SectionLink, Similar
from .store import ProposalStore

if TYPE_CHECKING:
    from corpus.model import Document

log = logging.getLogger(__name__)

LINK_K = 10          # hits that vote for a goal
SECTIONS_KEPT = 3    # related sections stored and shown
QUERY_CHARS = 600    # e5-small reads 512 tokens; the start of a proposal says what it is about


class Searcher(Protocol):
    """Anything with the retriever's ``search(text, k) -> list[Hit]`` (and, to link goals, its
    ``document``)."""

    def search(self, query: str, k: int = 10) -> list: ...


class QueryEmbedder(Protocol):
    model_id: str

    def embed_queries(self, texts: Sequence[str]): ...


def proposal_text(title: str, body: str) -> str:
    """The text linked and embedded for a proposal: title, then the start of the body."""
    return (title.strip() + "\n" + body.strip())[:QUERY_CHARS]


def link_proposal(searcher: Searcher, title: str, body: str, goals: Sequence[Goal] | None = None, *,
                  document: "Document | None" = None) -> LinkResult:
    """Find the sections and the goal of the current document a proposal most likely belongs to.

    Args:
        searcher: the retriever.
        title: proposal title.
        body: proposal body.
        goals: the goals to vote for; default: those of ``document``.
        document: the current document (default: ``searcher.document``); with several documents
            indexed, only its passages vote for its goals.

    Returns:
        :class:`LinkResult`, with the goal's label and text as the document writes them; ``goal``
        is None (わからない) when no hit under a goal shares a content word with the proposal.
    """
    if document is None:
        document = getattr(searcher, "document", None)
    if goals is None:
        goals = find_goals(document)
    own = getattr(document, "id", "") or ""
    hits = [h for h in searcher.search(proposal_text(title, body), LINK_K) if h.chunk.kind != "glossary"]
    votes = {g.key: 0.0 for g in goals}
    for h in hits:
        if own and getattr(h.chunk, "document", "") not in ("", own):
            continue            # another document's passage: its headings are not these goals
        g = goal_of_breadcrumb(h.chunk.section, goals)
        # Only a section that shares a content word with the proposal may vote: with the
        # small e5 model every text is ~0.8 similar to every section, so dense-only hits
        # named a goal for proposals the document has nothing to do with (a park bench).
        if g is not None and h.lexical_score > 0:
            votes[g.key] += float(h.score)
    total = sum(votes.values())
    best = max(goals, key=lambda g: votes[g.key]) if total > 0 else None     # a tie: the first goal
    shares = {g.label: round(votes[g.key] / total, 3) for g in goals} if total > 0 else {}
    sections, seen = [], set()
    for h in hits:
        if h.chunk.section in seen:
            continue
        seen.add(h.chunk.section)
        sections.append(SectionLink(len(sections) + 1, h.chunk.id, h.chunk.section, h.chunk.page,
                                    round(float(h.score), 4)))
        if len(sections) == SECTIONS_KEPT:
            break
    return LinkResult(goal=best.key if best else None, goal_scores=shares, sections=tuple(sections),
                      goal_label=best.label if best else None, goal_text=best.text if best else None)


@dataclass(frozen=True)
class SimilarityPolicy:
    """Cosine thresholds for one embedding model.

    Defaults are for the bundled e5 model, measured by ``benchmarks/calibrate_duplicates.py``
    on hand-written proposal pairs: the same proposal reworded scored 0.923–0.976 (n=10),
    different ideas on the same topic 0.865–0.906 (n=8), unrelated proposals 0.787–0.848 (n=8).
    Each threshold sits midway in the gap between two groups. Another model needs its own values.
    """

    similar: float = 0.856     # shown as "similar" (same topic or closer)
    duplicate: float = 0.915   # flagged as a possible duplicate
    k: int = 5


DEFAULT_POLICY = SimilarityPolicy()


class SimilarFinder:
    """Earlier proposals close in meaning, from vectors stored in SQLite."""

    def __init__(self, store: ProposalStore, embedder: QueryEmbedder,
                 policy: SimilarityPolicy = DEFAULT_POLICY, lock: threading.Lock | None = None):
        self.store = store
        self.embedder = embedder
        self.policy = policy
        self._lock = lock or threading.Lock()

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    def embed(self, title: str, body: str):
        """Unit vector of a proposal (e5 query side)."""
        import numpy as np

        with self._lock:
            vec = self.embedder.embed_queries([proposal_text(title, body)])
        return np.asarray(vec, dtype=np.float32)[0]

    def embed_many(self, pairs: Sequence[tuple[str, str]]):
        """Unit vectors (n x dim) of several ``(title, text)`` pairs, in one batch."""
        import numpy as np

        if not pairs:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:
            vecs = self.embedder.embed_queries([proposal_text(t, b) for t, b in pairs])
        return np.asarray(vecs, dtype=np.float32)

    def remember(self, p: Proposal):
        """Embed ``p`` and store its vector; returns the vector."""
        vec = self.embed(p.title, p.body)
        text_hash = hashlib.sha256(proposal_text(p.title, p.body).encode()).hexdigest()
        self.store.save_vector(p.id, self.model_id, vec, text_hash)
        return vec

    def nearest(self, vec, *, published_only: bool, exclude: int | None = None,
                before: int | None = None) -> list[Similar]:
        """Stored proposals with cosine ≥ ``policy.similar`` to ``vec``, best first.

        Args:
            vec: query vector.
            published_only: only proposals staff published (what citizens may see).
            exclude: a proposal id to leave out (the proposal itself).
            before: only proposals with a smaller id (earlier ones).
        """
        import numpy as np

        ids, mat = self.store.vectors(self.model_id, published_only=published_only, exclude=exclude)
        if not ids:
            return []
        scores = mat @ np.asarray(vec, dtype=np.float32)
        order = np.argsort(-scores)
        picked = []
        for i in order:
            s = float(scores[i])
            if s < self.policy.similar:
                break
            if before is not None and ids[i] >= before:
                continue
            picked.append((ids[i], s))
            if len(picked) == self.policy.k:
                break
        out = []
        for pid, s in picked:
            p = self.store.get(pid)
            out.append(Similar(pid, p.receipt_no, p.title, round(s, 4), s >= self.policy.duplicate))
        return out


class ProposalPipeline:
    """After a proposal is stored: link it, find similar ones, notify Slack — in the background.

    Args:
        store: the proposals store.
        searcher: outline retriever (None: no outline links).
        similar: similarity finder (None: no similar proposals).
        notifier: object with ``proposal_created(proposal)`` (None: no notification).
        document: the current document, whose goals proposals are linked to (e.g.
            ``QAService.current_document``; default: the searcher's).
    """

    def __init__(self, store: ProposalStore, searcher: Searcher | None = None,
                 similar: SimilarFinder | None = None, notifier=None,
                 document: "Callable[[], Document | None] | None" = None):
        self.store = store
        self.document = document
        self.searcher = searcher
        self.similar = similar
        self.notifier = notifier
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def process(self, pid: int) -> Proposal:
        """Link, compare and notify one proposal now (in the calling thread)."""
        p = self.store.get(pid)
        if p.link_state == "pending":
            link, similar = None, []
            try:
                if self.searcher is not None:
                    link = link_proposal(self.searcher, p.title, p.body,
                                         document=self.document() if self.document is not None else None)
                else:
                    link = LinkResult(goal=None, goal_scores={}, sections=())
                if self.similar is not None:
                    vec = self.similar.remember(p)
                    similar = self.similar.nearest(vec, published_only=False, exclude=p.id, before=p.id)
            except Exception:
                log.exception("linking proposal %s to the outline failed", p.receipt_no)
                link = None
            self.store.save_link(p.id, link, similar)
            p = self.store.get(pid)
        if self.notifier is not None and not p.slack_ts:
            try:
                self.notifier.proposal_created(p)
            except Exception:
                log.exception("posting proposal %s to Slack failed", p.receipt_no)
            p = self.store.get(pid)
        return p

    def submit(self, pid: int) -> None:
        """Queue ``pid`` for background processing (starts the worker on first use)."""
        self.start()
        self._queue.put(pid)

    def start(self) -> None:
        """Start the worker thread and queue anything left over from a previous run."""
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="proposal-pipeline", daemon=True)
            self._thread.start()
            leftovers = self.store.pending_links() + (self.store.unposted() if self.notifier else [])
            for pid in sorted(set(leftovers)):
                self._queue.put(pid)

    def join(self) -> None:
        """Block until every queued proposal has been processed (tests, shutdown)."""
        if self._thread is not None:
            self._queue.join()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while True:
            pid = self._queue.get()
            try:
                if pid is None:
                    return
                self.process(pid)
            except Exception:
                log.exception("proposal pipeline failed on %s", pid)
            finally:
                self._queue.task_done()
