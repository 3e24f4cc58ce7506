"""Extractive answers: the outline's own passages, cited, with glossary notes — never generated facts.

``compose(question, retriever)`` searches, decides whether the outline answers the question at
all, and builds the shared :class:`~bot.contract.Answer`. When it does not (「ごみの収集日は？」),
``found`` is false, ``answer`` is empty, and the nearest sections are still returned as
``sources`` for surfaces to show as "related", never as the answer.

The decision (:func:`decide`) uses two signals that do not depend on rank:

* lexical coverage — the IDF-weighted share of the question's content words (Sudachi normalised
  forms) that occur in the top passages. Out-of-scope questions name things the outline never
  mentions (粗大ごみ, 児童手当, 駐車場料金), so their rare words are missing;
* dense similarity — the cosine between the question and the best passage, which rescues
  paraphrases and English questions whose words are not in the text.

A question that names a numbered item the outline never names (「第9次行政改革大綱」 when the
outline only knows the 第1次–第7次 reforms and the 第９次総合計画) is refused whatever the
scores say: ordinals are where word overlap misleads most.

A question that only asks what a glossary term is (「BCPって？」) is answered by that term's entry.
Thresholds are explained in :class:`Thresholds`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from bot.contract import Answer, GlossaryNote, Source

if TYPE_CHECKING:  # pragma: no cover
    from index.retriever import Hit, Retriever


@dataclass(frozen=True)
class Thresholds:
    """When the outline counts as answering the question.

    Calibrated on the dev set (40 in-scope, 6 out-of-scope questions) and two sets of questions
    written for this purpose (38 in-scope, 20 out-of-scope, 10 of them English), default model,
    window-3 chunks. Japanese in-scope questions had coverage ≥ 0.60, or coverage 0.39–0.58 with
    cosine ≥ 0.835 (paraphrases: 「職員数はどうした？」, 「感染症への対応は？」); out-of-scope ones
    had coverage ≤ 0.36, or cosine ≤ 0.82 (「図書館の開館時間は？」 0.57 / 0.81). English questions
    share few words with the Japanese text, so coverage says nothing there: in-scope ones had
    cosine ≥ 0.83, out-of-scope ones ≤ 0.80. The margins are a few hundredths; more questions
    would move these numbers.
    """

    coverage: float = 0.6          # lexical coverage alone that suffices
    coverage_with_dense: float = 0.38
    dense_with_coverage: float = 0.83
    dense: float = 0.90            # cosine alone that suffices (near restatement of a passage)
    dense_english: float = 0.815   # cosine that suffices for a question with no Japanese in it
    passages: int = 3              # top passages whose words count for coverage


THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Decision:
    """Why ``found`` is what it is (kept in ``Answer.meta`` for logs and calibration)."""

    found: bool
    coverage: float
    dense: float
    glossary: bool
    reason: str


def decide(question: str, hits: Sequence["Hit"], retriever: "Retriever",
           thresholds: Thresholds = THRESHOLDS) -> Decision:
    """Does the outline answer ``question``, judging by the retrieved ``hits``?

    Args:
        question: the user's question.
        hits: the retriever's hits for it, best first.
        retriever: for the lexical statistics (IDF) of the index.
        thresholds: the calibrated rule.

    Returns:
        A :class:`Decision`.
    """
    if not hits:
        return Decision(False, 0.0, 0.0, False, "nothing retrieved")
    top = hits[: thresholds.passages]
    coverage = retriever.lexical_coverage(question, [f"{h.chunk.section}\n{h.chunk.text}" for h in top])
    dense = max(h.dense_score for h in top)
    # 「BCPって？」 is answered by the entry; 「BCPの訓練日程は？」 names the term but must still be
    # covered by the text like any other question.
    glossary = hits[0].definition_asked
    t = thresholds
    unknown = unknown_ordinals(question, retriever.corpus_text)
    if unknown:
        return Decision(False, coverage, dense, glossary, f"the outline does not mention {unknown[0]}")
    if glossary:
        return Decision(True, coverage, dense, True, "asks what a glossary term means")
    if coverage >= t.coverage:
        return Decision(True, coverage, dense, False, "question words found in the passages")
    if dense >= t.dense:
        return Decision(True, coverage, dense, False, "passage very similar to the question")
    if coverage >= t.coverage_with_dense and dense >= t.dense_with_coverage:
        return Decision(True, coverage, dense, False, "words and meaning both close")
    if not _JAPANESE.search(question) and dense >= t.dense_english:
        return Decision(True, coverage, dense, False, "English question close to a passage")
    return Decision(False, coverage, dense, False, "the outline does not seem to cover this")


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
_ORDINAL = re.compile(r"第([0-9]+)([次期回号章条])")
_NOUN_AFTER = re.compile(r"^[・、\s]*(?:第[0-9]+[次期回号章条][・、\s]*)*([\u3400-\u9fff\u30a0-\u30ffA-Za-z]{2,})")
ORDINAL_WINDOW = 10


def unknown_ordinals(question: str, corpus_text: str) -> list[str]:
    """Numbered items of the question (「第9次行政改革」) that the outline never names.

    An ordinal counts as known when the outline has the same ``第N次``/``第N期`` followed within
    :data:`ORDINAL_WINDOW` characters by the word that follows it in the question (its head
    noun: 行政改革, 実施計画, 大綱), or directly preceded by it, as a label (「実施計画 第１期」).

    Args:
        question: the question.
        corpus_text: the outline's text, NFKC, without whitespace.

    Returns:
        The unknown items as written in the (NFKC) question.
    """
    q = "".join(unicodedata.normalize("NFKC", question).split())
    unknown = []
    for m in _ORDINAL.finditer(q):
        ordinal = m.group(0)
        noun_m = _NOUN_AFTER.match(q[m.end():])
        positions = [i.start() for i in re.finditer(re.escape(ordinal), corpus_text)]
        if not positions:
            unknown.append(ordinal)
            continue
        if not noun_m:
            continue
        noun = noun_m.group(1)[:4]      # the head of the following compound is enough
        w = ORDINAL_WINDOW
        if not any(noun in corpus_text[p + len(ordinal): p + len(ordinal) + w + len(noun)]
                   or corpus_text[max(0, p - 2 - len(noun)): p].find(noun) >= 0 for p in positions):
            unknown.append(ordinal + noun_m.group(1))
    return unknown


def with_context(question: str, history: Sequence[str]) -> str:
    """The text to search for ``question``: itself, or, for a bare follow-up, the previous
    question and then it."""
    if not history:
        return question
    from index.lexical import content_words

    if len(content_words(question)) > 1:
        return question
    return f"{history[-1]}\n{question}"


def compose(question: str, retriever: "Retriever", k: int = 3, history: Sequence[str] = (),
            thresholds: Thresholds = THRESHOLDS) -> Answer:
    """Answer ``question`` with passages quoted from the outline.

    Args:
        question: the user's question (Japanese or English).
        retriever: a loaded :class:`~index.retriever.Retriever`.
        k: number of sources to return.
        history: earlier questions of the conversation, oldest first. A follow-up that names
            at most one topic word (「その期間は？」, 「具体的には？」) is searched together with the
            previous question; the quoted question stays the user's own.
        thresholds: the found/not-found rule.

    Returns:
        The :class:`Answer`: ``answer`` quotes the top passage when ``found``; ``sources`` are the
        ``k`` best passages with breadcrumb, page, score, kind and id; ``glossary`` defines the
        glossary terms named in the quoted passage(s).
    """
    query = with_context(question, history)
    hits = retriever.search(query, k=max(k, thresholds.passages))
    decision = decide(query, hits, retriever, thresholds)
    sources = tuple(
        Source(rank=h.rank, text=h.chunk.text, section=h.chunk.section, page=h.chunk.page,
               score=round(h.score, 4), kind=h.chunk.kind, id=h.chunk.id)
        for h in hits[:k]
    )
    answer_text = ""
    notes: tuple[GlossaryNote, ...] = ()
    if decision.found:
        quoted = [hits[0]]
        answer_text = quote(hits[0].chunk)
        notes = glossary_notes(quoted + list(hits[1:k]), retriever, quoted=quoted[0].chunk)
    return Answer(
        question=question, found=decision.found, answer=answer_text, sources=sources,
        glossary=notes, index_version=retriever.version,
        meta={"coverage": round(decision.coverage, 4), "dense": round(decision.dense, 4),
              "reason": decision.reason, "query": query},
    )


def quote(chunk) -> str:
    """The passage as quoted in ``answer``: its text, and for a glossary entry its heading first
    (「※3 ＰＦＩ（Private Finance Initiative の略）」 answers "What does PFI stand for?")."""
    if chunk.kind == "glossary" and chunk.section:
        heading = chunk.section.split(" › ")[-1]
        return f"{heading}\n{chunk.text}"
    return chunk.text


def glossary_notes(hits: Sequence["Hit"], retriever: "Retriever", limit: int = 5,
                   quoted=None) -> tuple[GlossaryNote, ...]:
    """Definitions of the glossary terms named (or ※-referenced) in the cited passages, in order.

    The entry quoted as the answer itself does not get a note repeating it.
    """
    cited_entries = {quoted.section_id or quoted.id} if quoted is not None and quoted.kind == "glossary" else set()
    seen: dict[str, GlossaryNote] = {}
    for h in hits:
        entries = [e for e, _ in retriever.glossary.find(h.chunk.text)]
        entries += [e for e in (retriever.glossary_entry(r) for r in h.chunk.glossary_refs) if e]
        for e in entries:
            if e.id in seen or e.id in cited_entries:
                continue
            seen[e.id] = GlossaryNote(term=e.term, definition=e.definition)
    return tuple(seen.values())[:limit]
