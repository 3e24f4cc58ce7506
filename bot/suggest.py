"""Learning from staff: synonym lines proposed for questions the bot could not answer.

question -> its content words (Sudachi, :func:`index.lexical.content_word_spans`) -> the words
that match no document term and no lexicon or synonyms rule -> for each, the nearest document
terms by meaning (the index's embedder) and by characters (shared kanji, character bigrams) ->
one synonym line per word, ``question_word => document_term``.

Why one way (``=>``) and not equivalents (``a, b``): the question's word occurs in no document,
so searching it when someone asks with the document's own term finds nothing more; an
equivalence would only widen those questions, and a wrong pairing would then disturb questions
that are answered today. One way changes exactly the questions that use the new word: they
search the document term too and count as asking for it when passages are judged.

Pure functions over a :class:`Vocabulary`; :func:`document_vocabulary` builds one from a loaded
retriever (the only place that touches the index and the embedder).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from index.lexical import content_word_spans, nfkc

MAX_TARGETS = 2
"""Document terms on one line: the nearest by meaning and the nearest by characters."""
MIN_CHARACTER_SCORE = 0.3
"""Least character similarity (Dice over characters and bigrams) worth proposing: one shared
kanji of two two-kanji words is 0.33 (寄付/寄附); 市 shared by 市役所 and 市民 is 0.25, too little."""
NEAREST = 3
"""Candidates kept per word and per method (shown by ``--json`` for the admin's choice)."""

_HIRAGANA = re.compile(r"[\u3040-\u309f]")
_KANJI_OR_KANA = re.compile(r"[\u30a0-\u30ff\u3400-\u9fff]")
_NUMBER = re.compile(r"^[0-9.,]+$")
_TERM_POS = ("名詞", "動詞", "形容詞", "形状詞")


@dataclass(frozen=True)
class TermMatch:
    """A document term near a question word, with how near (cosine or Dice, 0..1)."""

    term: str
    score: float


@dataclass(frozen=True)
class WordProposal:
    """A question word no document uses, and the document terms nearest to it."""

    word: str
    by_embedding: tuple[TermMatch, ...] = ()
    by_characters: tuple[TermMatch, ...] = ()

    def targets(self) -> tuple[str, ...]:
        """The document terms the line maps the word to: nearest by meaning, then by characters."""
        out: list[str] = []
        for matches, floor in ((self.by_embedding, -1.0), (self.by_characters, MIN_CHARACTER_SCORE)):
            if matches and matches[0].score >= floor and matches[0].term not in out:
                out.append(matches[0].term)
        return tuple(out[:MAX_TARGETS])

    def line(self) -> str:
        """``word => term, term`` (empty when no document term is near)."""
        targets = self.targets()
        return f"{self.word} => {', '.join(targets)}" if targets else ""

    def to_dict(self) -> dict:
        return {
            "word": self.word,
            "line": self.line(),
            "by_embedding": [{"term": m.term, "score": round(m.score, 3)} for m in self.by_embedding],
            "by_characters": [{"term": m.term, "score": round(m.score, 3)} for m in self.by_characters],
        }


@dataclass(frozen=True)
class Proposal:
    """The synonym lines proposed for one question (one per word the documents do not use)."""

    question: str
    words: tuple[WordProposal, ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(w.line() for w in self.words if w.line())


@dataclass
class Vocabulary:
    """The indexed documents' words.

    Args:
        terms: document terms that may be proposed (NFKC display form), most frequent first.
        known: every form a document word takes (surfaces, Sudachi normalized forms, BM25 tokens).
        text: all document text, NFKC, without spaces (a word inside it is not unknown).
        counts: how often each term occurs (ties between equally near terms go to the commoner).
        embed: ``embed(texts) -> unit vectors`` (the index's embedder), or None for characters only.
    """

    terms: tuple[str, ...]
    known: frozenset[str]
    text: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    embed: Callable[[Sequence[str]], np.ndarray] | None = None
    _vectors: np.ndarray | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def vectors(self) -> np.ndarray | None:
        """Unit vectors of :attr:`terms` (computed once, on first use)."""
        if self.embed is None or not self.terms:
            return None
        with self._lock:
            if self._vectors is None:
                self._vectors = _unit(np.asarray(self.embed(list(self.terms)), dtype=np.float32))
        return self._vectors

    def is_known(self, surface: str, norm: str, parts: Sequence[str] = ()) -> bool:
        """True when a document uses the word: as a term, a normalized form, inside its text, or
        every short unit of it (a compound of document words)."""
        s = nfkc(surface)
        if s in self.known or norm in self.known or (len(s) >= 2 and s in self.text):
            return True
        return bool(parts) and all(p in self.known for p in parts)


def _unit(m: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return m / n


def _grams(word: str) -> set[str]:
    """Characters and bigrams, except hiragana-only ones (okurigana and particles say little)."""
    w = nfkc(word)
    grams = set(w) | {w[i:i + 2] for i in range(len(w) - 1)}
    return {g for g in grams if not all(_HIRAGANA.match(c) for c in g)}


def _telling(shared: set[str]) -> bool:
    """Shared grams that say something: a kanji, or a kana bigram without ー/ッ (サポート and
    スマート share ト and ート, which says nothing)."""
    return any(re.search(r"[\u3400-\u9fff]", g) or (len(g) == 2 and not re.search(r"[ーッっ]", g)) for g in shared)


def character_similarity(a: str, b: str) -> float:
    """Dice coefficient over :func:`_grams`: 寄付/寄附 0.4, 点検/点検結果 0.67, 残業/時間外勤務 0."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    return 2 * len(ga & gb) / (len(ga) + len(gb))


def nearest_by_characters(word: str, vocabulary: Vocabulary, k: int = NEAREST) -> tuple[TermMatch, ...]:
    """Document terms sharing characters with ``word`` (a shared kanji, katakana or bigram), nearest first."""
    w = nfkc(word)
    scored = []
    for term in vocabulary.terms:
        if term == w:
            continue
        s = character_similarity(w, term)
        if s > 0 and _telling(_grams(w) & _grams(term)):
            scored.append((-s, -vocabulary.counts.get(term, 0), len(term), term))
    scored.sort()
    return tuple(TermMatch(t, -s) for s, _, _, t in scored[:k])


def nearest_by_embedding(word: str, vocabulary: Vocabulary, k: int = NEAREST) -> tuple[TermMatch, ...]:
    """Document terms nearest to ``word`` by the embedder's cosine similarity (none without one)."""
    vectors = vocabulary.vectors()
    if vectors is None or vocabulary.embed is None:
        return ()
    q = _unit(np.asarray(vocabulary.embed([word]), dtype=np.float32))[0]
    sims = vectors @ q
    w = nfkc(word)
    order = np.argsort(-sims, kind="stable")
    out = []
    for i in order:
        term = vocabulary.terms[int(i)]
        if term == w:
            continue
        out.append(TermMatch(term, float(sims[int(i)])))
        if len(out) == k:
            break
    return tuple(out)


def unmatched_words(question: str, vocabulary: Vocabulary, handled: Iterable[str] = ()) -> list[str]:
    """The question's content words that match no document term, in question order; verbs and
    adjectives in their dictionary form (払う, not 払っ: the form a synonym line lists).

    Args:
        question: the question as asked.
        vocabulary: the documents' words.
        handled: spans of the question the lexicon or the synonyms file already maps (their
            words are not unknown: a rule exists).
    """
    from sudachipy import SplitMode

    from index.lexical import _keep, _sudachi

    spans = [nfkc(h) for h in handled if h]
    out: list[str] = []
    for m in _sudachi().tokenize(nfkc(question), SplitMode.C):
        pos = m.part_of_speech()
        norm = _keep(m.surface(), m.normalized_form(), *pos[:2])
        s = m.surface().strip()
        # One character is too ambiguous for a rule (数 would fire inside 人数 and 数値).
        if not norm or len(s) < 2 or _NUMBER.match(s):
            continue
        if any(s in h or h in s for h in spans):
            continue
        parts = [k for a in m.split(SplitMode.A)
                 if (k := _keep(a.surface(), a.normalized_form(), *a.part_of_speech()[:2]))]
        if vocabulary.is_known(s, norm, parts if len(parts) > 1 else ()):
            continue
        word = m.dictionary_form() if pos[0] in ("動詞", "形容詞") else s
        if word not in out:
            out.append(word)
    return out


def propose(question: str, vocabulary: Vocabulary, handled: Iterable[str] = ()) -> Proposal:
    """The synonym lines for one question: each unmatched word with its nearest document terms.

    Args:
        question: the question as asked.
        vocabulary: the documents' words (with the embedder, for nearest by meaning).
        handled: spans the lexicon or synonyms file already maps (see :func:`unmatched_words`).

    Returns:
        A :class:`Proposal`; no words when every word of the question is a document word.
    """
    words = []
    for w in unmatched_words(question, vocabulary, handled):
        words.append(WordProposal(w, nearest_by_embedding(w, vocabulary), nearest_by_characters(w, vocabulary)))
    return Proposal(question, tuple(words))


# --- the edge: a vocabulary from a loaded retriever ---------------------------------------------
_cache: dict[tuple[int, str], Vocabulary] = {}
_cache_lock = threading.Lock()


def document_vocabulary(retriever, *, embed: bool = True) -> Vocabulary:
    """The vocabulary of the documents a retriever serves (cached per retriever and version:
    embedding a few hundred terms takes seconds, once).

    Args:
        retriever: a loaded :class:`index.retriever.Retriever`.
        embed: use its embedder for nearest by meaning.
    """
    key = (id(retriever), str(getattr(retriever, "version", "")))
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and (cached.embed is not None or not embed):
            return cached
    from sudachipy import SplitMode

    from index.lexical import _keep, _sudachi

    counts: dict[str, int] = {}
    known: set[str] = set()
    texts = []
    for chunk in retriever.chunks:
        text = nfkc(f"{chunk.section}\n{chunk.text}")
        texts.append(text)
        for m in _sudachi().tokenize(text, SplitMode.C):
            pos = m.part_of_speech()
            norm = _keep(m.surface(), m.normalized_form(), *pos[:2])
            if not norm:
                continue
            s = m.surface().strip()
            known.update((s, norm))
            # Terms to propose: nouns as written, verbs and adjectives in their dictionary form
            # (取り組む, not the 取り組ん of 取り組んだ).
            term = m.dictionary_form() if pos[0] in ("動詞", "形容詞") else s
            if pos[0] in _TERM_POS and len(term) >= 2 and not _NUMBER.match(term):
                counts[term] = counts.get(term, 0) + 1
    lexical = getattr(getattr(retriever, "index", None), "lexical", None)
    if lexical is not None:
        known.update(t for t in lexical._vocab if not t.startswith("#"))
    terms = tuple(sorted(counts, key=lambda t: (-counts[t], t)))
    embedder = getattr(retriever, "embedder", None) if embed else None
    vocab = Vocabulary(
        terms=terms,
        known=frozenset(known),
        text="".join("\n".join(texts).split()),
        counts=counts,
        # Words on both sides, embedded alike as passages: on A2's dev set the expected term was
        # among the three nearest for 14 of 20 words this way, 11 with the query prompt on both.
        embed=(lambda words: embedder.embed_documents(list(words))) if embedder is not None else None,
    )
    with _cache_lock:
        _cache.clear()         # one index serves at a time: keep only its vocabulary
        _cache[key] = vocab
    return vocab


def handled_spans(retriever, question: str) -> list[str]:
    """Spans of ``question`` the retriever's lexicon (with the synonyms file's rules) maps."""
    lexicon = getattr(retriever, "lexicon", None)
    return [m.text for m in lexicon.matches(question)] if lexicon is not None else []


def propose_for(retriever, question: str, *, embed: bool = True) -> Proposal:
    """:func:`propose` against the documents ``retriever`` serves."""
    return propose(question, document_vocabulary(retriever, embed=embed), handled_spans(retriever, question))
