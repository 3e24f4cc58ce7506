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

A question that names a glossary term is answered by that term's entry. Thresholds were
calibrated on the dev set (see :data:`THRESHOLDS` and the README's figures).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from bot.contract import Answer, GlossaryNote, Source

if TYPE_CHECKING:  # pragma: no cover
    from index.retriever import Hit, Retriever


@dataclass(frozen=True)
class Thresholds:
    """When the outline counts as answering the question."""

    coverage: float = 0.6          # lexical coverage alone that suffices
    dense: float = 0.86            # cosine alone that suffices
    coverage_with_dense: float = 0.4
    dense_with_coverage: float = 0.83
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
    glossary = any(h.glossary_match and h.rank == 1 for h in top)
    t = thresholds
    if glossary:
        return Decision(True, coverage, dense, True, "names a glossary term")
    if coverage >= t.coverage:
        return Decision(True, coverage, dense, False, "question words found in the passages")
    if dense >= t.dense:
        return Decision(True, coverage, dense, False, "passage very similar to the question")
    if coverage >= t.coverage_with_dense and dense >= t.dense_with_coverage:
        return Decision(True, coverage, dense, False, "words and meaning both close")
    return Decision(False, coverage, dense, False, "the outline does not seem to cover this")


def compose(question: str, retriever: "Retriever", k: int = 3, history: Sequence[str] = (),
            thresholds: Thresholds = THRESHOLDS) -> Answer:
    """Answer ``question`` with passages quoted from the outline.

    Args:
        question: the user's question (Japanese or English).
        retriever: a loaded :class:`~index.retriever.Retriever`.
        k: number of sources to return.
        history: earlier questions of the conversation, oldest first (not used for retrieval
            yet; accepted so every surface can pass it).
        thresholds: the found/not-found rule.

    Returns:
        The :class:`Answer`: ``answer`` quotes the top passage when ``found``; ``sources`` are the
        ``k`` best passages with breadcrumb, page, score, kind and id; ``glossary`` defines the
        glossary terms named in the quoted passage(s).
    """
    hits = retriever.search(question, k=max(k, thresholds.passages))
    decision = decide(question, hits, retriever, thresholds)
    sources = tuple(
        Source(rank=h.rank, text=h.chunk.text, section=h.chunk.section, page=h.chunk.page,
               score=round(h.score, 4), kind=h.chunk.kind, id=h.chunk.id)
        for h in hits[:k]
    )
    answer_text = ""
    notes: tuple[GlossaryNote, ...] = ()
    if decision.found:
        quoted = [hits[0]]
        answer_text = hits[0].chunk.text
        notes = glossary_notes(quoted + list(hits[1:k]), retriever)
    return Answer(
        question=question, found=decision.found, answer=answer_text, sources=sources,
        glossary=notes, index_version=retriever.version,
        meta={"coverage": round(decision.coverage, 4), "dense": round(decision.dense, 4),
              "reason": decision.reason},
    )


def glossary_notes(hits: Sequence["Hit"], retriever: "Retriever", limit: int = 5) -> tuple[GlossaryNote, ...]:
    """Definitions of the glossary terms named (or ※-referenced) in the cited passages.

    A glossary passage that is itself cited does not get a note repeating it.
    """
    cited_entries = {h.chunk.section_id or h.chunk.id for h in hits if h.chunk.kind == "glossary"}
    seen: dict[str, GlossaryNote] = {}
    for h in hits:
        entries = [e for e, _ in retriever.glossary.find(h.chunk.text)]
        entries += [e for e in (retriever.glossary_entry(r) for r in h.chunk.glossary_refs) if e]
        for e in entries:
            if e.id in seen or e.id in cited_entries:
                continue
            seen[e.id] = GlossaryNote(term=e.term, definition=e.definition)
    return tuple(seen.values())[:limit]
