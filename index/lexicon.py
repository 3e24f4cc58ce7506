"""The query vocabulary: a question's words read with the words the indexed document uses.

Why
    The default embedder (multilingual-e5-small, 4-bit) is weak across languages, and BM25 over
    Sudachi tokens sees no Japanese word in an English question at all. Staff also ask with
    everyday words where a plan uses administrative ones (残業 for 時間外勤務, 行革 for 行政改革,
    外注 for 委託). So a question's words are read through synonym rules in three layers
    (docs/vocabulary.md), first match preferred:

    1. the admin's synonyms file (``REFORMBOT_SYNONYMS_FILE``, :mod:`index.synonyms`), passed in
       by the application;
    2. the document's own abbreviations and spelled-out forms (:mod:`index.document_terms`);
    3. the general thesaurus (:mod:`index.thesaurus`): general municipal vocabulary (English and
       everyday Japanese) and the Sudachi synonym dictionary.

The document decides
    A rule names many words; only those the indexed document uses help (``in_document``): 外注
    names 委嘱, 委託, 委任 … and the outline that says 委託化 is searched with 委託. So nothing
    here is written for one document, and one more line never adds words a document lacks.

How it is used
    * :meth:`QueryVocabulary.expand` appends the document's words for every match to the
      question, for BM25 and the dense query (the original words stay);
    * :meth:`QueryVocabulary.matches` gives, per matched span, the document's words for it, so
      the found/not-found rule counts 「残業」 as present in a passage that says 時間外勤務 and
      "outline" in one that says 大綱;
    * :meth:`QueryVocabulary.rewrite` replaces each match by its first document word
      (「第６次行革」 -> 「第6次行政改革」) for the unknown-item check.

Matching: NFKC, lower case; English phrases as sequences of whole words after a light stemmer
(:func:`stem`: "attract businesses" = "attracting business"); Japanese words as substrings of the
question without spaces that begin and end on Sudachi word boundaries (「会社」 is not found in
「社会社」), looked up in a dict by every length at every position (no regular expression per
word), and also in the question with its verbs in dictionary form (減らして -> 減らす). Longer
matches win over shorter ones inside them. Tables are built once (the general ones on first use
for all retrievers) and only read afterwards, so a vocabulary is safe to share between threads.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from index.lexical import EN_STOP
from index.synonyms import SynonymRule

MAX_TERMS_PER_MATCH = 4
"""Document words searched for one matched question word: a broad Sudachi group (給与, 報酬, 手当 …)
should not drown the question's own words."""
_GENERAL_LAYER = 2     # layers 2 and 3: the general thesaurus (administrative vocabulary, Sudachi)


@dataclass(frozen=True)
class LexiconMatch:
    """A span of the (NFKC, lower-case) question that names words of the document."""

    start: int
    end: int
    text: str
    terms: tuple[str, ...]        # the document's words for it (NFKC, lower case), preferred first
    conjugated: bool = False      # matched through a verb's dictionary form (減り for 減る)
    layer: int = 0                # the most trusted layer that matched: 0 admin's file, 1 document,
                                  # 2 administrative vocabulary, 3 Sudachi synonym groups
    term_layers: tuple[int, ...] = ()   # the layer each of ``terms`` comes from

    @property
    def term(self) -> str:
        """The preferred document word."""
        return self.terms[0]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _key(word: str) -> str:
    """A Japanese word's matching form: NFKC, lower case, no spaces."""
    return "".join(_norm(word).split())


class _TriggerTable:
    """Rules indexed by their trigger words: Japanese words by exact key, English phrases by
    their first stemmed word."""

    def __init__(self, rules: Sequence[SynonymRule], layer: int, short_targets: bool) -> None:
        self.rules = tuple(rules)
        self.layer = layer
        self.short_targets = short_targets   # 1-character targets allowed (curated layers only)
        self.ja: dict[str, list[int]] = {}
        self.en: dict[str, list[tuple[tuple[str, ...], str, int]]] = {}
        for rid, rule in enumerate(self.rules):
            for w in rule.left:
                n = " ".join(_norm(w).split())
                if n.isascii():
                    if n in EN_STOP:   # "will", "can": question words, never a topic
                        continue
                    words = tuple(stem(x) for x in _WORD.findall(n))
                    if words and len(" ".join(words)) >= 2:
                        self.en.setdefault(words[0], []).append((words, " ".join(_WORD.findall(n)), rid))
                else:
                    k = _key(n)
                    if len(k) >= 2:
                        self.ja.setdefault(k, []).append(rid)
        self.lengths = sorted({len(k) for k in self.ja}, reverse=True)

    def targets(self, rid: int) -> tuple[str, ...]:
        return self.rules[rid].right


@lru_cache(maxsize=1)
def _administrative_table() -> _TriggerTable:
    """The curated part of the general layer, looked up first (its 1-character targets, 市 for
    "city", are allowed)."""
    from index.thesaurus import administrative_rules

    return _TriggerTable(administrative_rules(), 2, True)


@lru_cache(maxsize=1)
def _sudachi_table() -> _TriggerTable:
    from index.thesaurus import sudachi_rules

    return _TriggerTable(sudachi_rules(), 3, False)


class QueryVocabulary:
    """Finds rule words in a question and maps them to the words the document uses.

    Args:
        synonyms: the admin's rules (layer 1), preferred over everything else.
        document: rules derived from the indexed documents (layer 2).
        in_document: whether a word (NFKC, lower case, no spaces) occurs in the indexed
            documents; None: every word counts (no document to ask).
        general: whether the general thesaurus is used (layer 3; tests of one layer turn it off).
    """

    def __init__(self, synonyms: Sequence[SynonymRule] = (), document: Sequence[SynonymRule] = (),
                 in_document: Callable[[str], bool] | None = None, general: bool = True) -> None:
        self.synonyms = tuple(synonyms)
        self.document = tuple(document)
        self._tables = [_TriggerTable(self.synonyms, 0, True), _TriggerTable(self.document, 1, True)]
        if general:
            self._tables += [_administrative_table(), _sudachi_table()]
        self._in_document = in_document
        self._known: dict[str, bool] = {}
        self._cache: dict[tuple[str, bool], list[LexiconMatch]] = {}
        self._lock = threading.Lock()

    def with_synonyms(self, synonyms: Sequence[SynonymRule]) -> "QueryVocabulary":
        """The same vocabulary with another admin layer (the others are shared, not rebuilt)."""
        other = QueryVocabulary.__new__(QueryVocabulary)
        other.synonyms = tuple(synonyms)
        other.document = self.document
        other._tables = [_TriggerTable(other.synonyms, 0, True)] + self._tables[1:]
        other._in_document = self._in_document
        other._known = self._known          # the document is the same: what it uses too
        other._cache = {}
        other._lock = threading.Lock()
        return other

    def _used(self, word: str) -> bool:
        k = _key(word)
        got = self._known.get(k)
        if got is None:
            got = self._in_document is None or bool(self._in_document(k))
            self._known[k] = got
        return got

    def _terms(self, hits: Iterable[tuple[_TriggerTable, int]], surface: str) -> tuple[tuple[str, int], ...]:
        out: list[str] = []
        layers: list[int] = []
        for table, rid in hits:
            for w in table.targets(rid):
                w = unicodedata.normalize("NFKC", w)
                n = " ".join(w.lower().split())
                n = n if n.isascii() else _key(n)
                if n in out or n == surface or (len(n) < 2 and not table.short_targets):
                    continue
                # An English word of a general group for a Japanese question word (目標 -> "goals")
                # is found inside the document's English names, not as a word of its own; an
                # abbreviation (ＰＰＰ, BCP: written in capitals) is a word of the document.
                if n.isascii() and not surface.isascii() and table.layer >= 2 and not w.isupper():
                    continue
                if self._used(n):
                    out.append(n)
                    layers.append(table.layer)
        return tuple(zip(out, layers))

    def matches(self, question: str, conjugated: bool = True) -> list[LexiconMatch]:
        """Non-overlapping matches in the NFKC, lower-case question, longest first, in text order,
        each with the document's words for it (a match the document has no word for is left out).

        Japanese words are matched in the question without spaces; English ones with them, so
        spans refer to :func:`matching_text` of the question.

        Args:
            question: the question (or any text).
            conjugated: also match dictionary forms against conjugated verbs (減り for 減る).
        """
        key = (question, conjugated)
        cached = self._cache.get(key)
        if cached is not None:
            return list(cached)
        found = self._matches(question, conjugated)
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[key] = found
        return list(found)

    def _matches(self, question: str, conjugated: bool) -> list[LexiconMatch]:
        text = matching_text(question)
        # (start, end) -> [(layer, exact, table, rid)], collected over every table.
        spans: dict[tuple[int, int, bool], list[tuple[int, bool, _TriggerTable, int]]] = {}
        words = [(m.start(), m.end(), stem(m.group(0))) for m in _WORD.finditer(text)]
        for table in self._tables:
            if not table.en:
                continue
            for i, (_, _, w) in enumerate(words):
                for seq, original, rid in table.en.get(w, ()):
                    if tuple(x[2] for x in words[i:i + len(seq)]) == seq:
                        start, end = words[i][0], words[i + len(seq) - 1][1]
                        exact = " ".join(_WORD.findall(text[start:end])) == original
                        spans.setdefault((start, end, False), []).append((table.layer, exact, table, rid))
        if _JA.search(text):
            bounds = word_boundaries(text)
            lemma, origin = dictionary_form_text(text) if conjugated else (text, ())
            hays = [(text, None)] + ([(lemma, origin)] if lemma != text else [])
            for table in self._tables:
                if not table.ja:
                    continue
                for hay, where in hays:
                    n = len(hay)
                    for i in range(n):
                        for length in table.lengths:
                            if i + length > n:
                                continue
                            rids = table.ja.get(hay[i:i + length])
                            if not rids:
                                continue
                            if where is None:
                                start, end = i, i + length
                            else:
                                start, end = where[i], where[i + length - 1] + 1
                            if start not in bounds or end not in bounds:
                                continue
                            for rid in rids:
                                spans.setdefault((start, end, where is not None), []).append(
                                    (table.layer, True, table, rid))
        found: list[LexiconMatch] = []
        taken = [False] * len(text)
        # Longest first; on a tie the literal match before the conjugated one, then text order.
        for (start, end, conj) in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[2], s[0])):
            if any(taken[start:end]):
                continue
            hits = spans[(start, end, conj)]
            if any(exact for _, exact, _, _ in hits):   # "staff" as written, not "staffing" stemmed
                hits = [h for h in hits if h[1]]
            hits.sort(key=lambda h: h[0])
            surface = text[start:end]
            terms = self._terms(((t, r) for _, _, t, r in hits), surface if surface.isascii() else _key(surface))
            if not terms:
                continue
            for j in range(start, end):
                taken[j] = True
            found.append(LexiconMatch(start, end, surface, tuple(t for t, _ in terms), conj, hits[0][0],
                                      tuple(layer for _, layer in terms)))
        return sorted(found, key=lambda m: m.start)

    def expansion_terms(self, question: str, per_match: int = MAX_TERMS_PER_MATCH) -> list[str]:
        """The document words named by the question (in order, once each, at most ``per_match``
        for one matched word), excluding words the question already contains verbatim."""
        text = matching_text(question)
        squashed = text.replace(" ", "")
        out: list[str] = []
        for m in self.matches(question):
            # A conjugated bare verb (増やして) is too generic to search with: it would pull in
            # sections about something else. It still counts for coverage; a conjugated phrase
            # with its object (職員を減らして) is specific enough.
            if m.conjugated and not _OBJECT_PHRASE.search(m.text):
                continue
            # A word the document itself uses is searched as asked: general synonyms would only
            # pull in passages about something else (活用 -> 利用, 時間外勤務 -> 残業 of a glossary
            # note), except the longer compounds it is part of (活用 -> 有効活用) and the admin's
            # and the document's own words. (Measured: skipping only the Sudachi synonyms ranked
            # one dev-like question better and one worse.)
            used = self._used(m.text)
            # Likewise a part of a longer word the document uses (目標 of 重点目標).
            run = _run_around(text, m.start, m.end)
            if run != m.text and self._used(run):
                continue
            for t, layer in list(zip(m.terms, m.term_layers))[:per_match]:
                # A coordination that lists the word (点検・評価 for 点検) is not a longer compound
                # of it: searching it would add the other word (評価) and its passages.
                if used and layer >= _GENERAL_LAYER and (_key(m.text) not in t or _key(m.text) in t.split("・")):
                    continue
                if t not in out and t not in text and t not in squashed:
                    out.append(t)
        return out

    def expand(self, question: str, per_match: int = MAX_TERMS_PER_MATCH) -> str:
        """The question followed by the document words it names (for BM25 and the dense query;
        ``per_match``: at most this many words for one matched question word)."""
        extra = self.expansion_terms(question, per_match)
        return f"{question} {' '.join(extra)}" if extra else question

    def rewrite(self, question: str) -> str:
        """The question with each match replaced by its preferred document word (for the
        unknown-item check): 「第６次行革の課題」 -> 「第6次行政改革の課題」."""
        text = matching_text(question)
        out, pos = [], 0
        for m in self.matches(question):
            out.append(text[pos:m.start])
            # Keep a space around a replaced English phrase so the words beside it stay words.
            out.append(f" {m.term} " if m.text.isascii() else m.term)
            pos = m.end
        out.append(text[pos:])
        return " ".join("".join(out).split())


_KANJI_KANA = re.compile(r"[\u3400-\u9fff\u30a0-\u30ff]+")


def _run_around(text: str, start: int, end: int) -> str:
    """The run of kanji and katakana of ``text`` that holds ``text[start:end]`` (the span itself
    when it is not all kanji and katakana)."""
    for m in _KANJI_KANA.finditer(text):
        if m.start() <= start and end <= m.end():
            return m.group(0)
    return text[start:end]


@lru_cache(maxsize=4096)
def word_boundaries(text: str) -> frozenset[int]:
    """Offsets in ``text`` where a Sudachi short unit (mode A) begins or ends."""
    from sudachipy import SplitMode

    from index.lexical import _sudachi      # lazy: Sudachi loads its dictionary on first use

    out = {0, len(text)}
    for m in _sudachi().tokenize(text, SplitMode.A):
        out.add(m.begin())
        out.add(m.end())
    return frozenset(out)


_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


def stem(word: str) -> str:
    """A light English stemmer for matching: plural, -ing and -ed endings off.

    "businesses" -> "business", "attracting" -> "attract", "policies" -> "policy",
    "revised" -> "revis" (and "revise" -> "revis"): both sides of a match go through it, so
    it only has to be consistent, not linguistic.
    """
    w = word.lower()
    if len(w) <= 3:
        return w
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x"),
                         ("nesses", "ness"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + repl
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


_CJK = re.compile(r"([\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]) +(?=[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef])")


def matching_text(question: str) -> str:
    """NFKC, lower case, single spaces, and no spaces between Japanese characters."""
    t = " ".join(_norm(question).split())
    return _CJK.sub(r"\1", t)


_INFLECTED_POS = ("動詞", "形容詞")
_OBJECT_PHRASE = re.compile(r"[\u3400-\u9fff\u30a0-\u30ff]{2,}[をがに]")


@lru_cache(maxsize=4096)
def dictionary_form_text(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` with every inflected verb and adjective in its dictionary form (Sudachi), and for
    each character of the result the offset of the character of ``text`` it comes from.

    「職員を減らして」 -> 「職員を減らすて」: a lexicon word written in its dictionary form
    (職員を減らす) then matches. Only Japanese text is tokenized; other text is returned as is.
    Cached: the same question is matched several times per answer.
    """
    if not _JA.search(text):
        return text, tuple(range(len(text)))
    from sudachipy import SplitMode

    from index.lexical import _sudachi      # lazy: Sudachi loads its dictionary on first use

    out: list[str] = []
    origin: list[int] = []
    for m in _sudachi().tokenize(text, SplitMode.C):
        surface, begin = m.surface(), m.begin()
        form = m.dictionary_form() if m.part_of_speech()[0] in _INFLECTED_POS else surface
        if form == surface or not form:
            out.append(surface)
            origin.extend(range(begin, begin + len(surface)))
        else:
            out.append(form)
            # The shared stem keeps its offsets; a longer ending points to the word's last char.
            for i in range(len(form)):
                origin.append(begin + min(i, len(surface) - 1))
    return "".join(out), tuple(origin)


_JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


