"""The exact line: which sentence(s) or bullet(s) of a quoted answer state the answer.

An answer quotes a whole passage (three bullets, a glossary entry, a labelled block); the reader
needs the line that answers. :func:`highlight` cuts ``answer`` into units — its lines, and each
line into sentences at 「。」 — and scores each unit by

* the question's content words it contains (Sudachi normalised forms, :mod:`index.lexical`),
  each weighed by its IDF in the document, so a rare word (ふるさと納税) counts more than a common
  one (行政);
* the kind of fact asked (``facts``: :func:`bot.answer.asked_facts`): a unit that states one (a number with
  円 for いくら, a 年度 or a date for いつ/期間, a count for いくつ) gets the weight of every
  question word, so the line with the fact wins over a line that only repeats the question;
* labels (:mod:`bot.structure`): a unit naming the item the question names (第２期) gains the
  same, one naming a sibling of it (第１期) loses it.

The best unit is the highlight; units that tie with it are added (in the answer's order). Every
line of the highlight is a substring of ``answer``. :func:`focused_notes` keeps the glossary
notes of terms named in the question or in the highlight only.
"""
from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from bot.contract import GlossaryNote
    from index.retriever import Retriever

_SENTENCE = re.compile(r"[^。]+。?")
_HEAD_CAPTION = re.compile(r"^【[^】]*】$")
TIE = 0.999
_PERIOD_WORD = re.compile(r"(?:期間|時期|期限|日程)$")
_CAPTION_CHARS = 8
# The question asks for a term's name: its heading (「ＰＦＩ（Private Finance Initiative の略）」) answers.
_NAME_CUE = re.compile(r"正式名称|正式な名前|何の略|なんの略|略称|略語|英語で|stand for|full name|abbreviation|spelled out")


def units(answer: str) -> list[str]:
    """The sentences and bullets of ``answer``, verbatim, in order (blank lines dropped)."""
    out = []
    for line in answer.split("\n"):
        if not line.strip():
            continue
        parts = [m.group(0) for m in _SENTENCE.finditer(line)]
        out += [p.strip() for p in parts if p.strip()] if len(parts) > 1 else [line.strip()]
    return out


def _nfkc(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def highlight(answer: str, question: str, retriever: "Retriever | None" = None, *,
              document: str | None = None, structure=None, heading: str = "", facts=None) -> str:
    """The sentence(s) or bullet(s) of ``answer`` that state the answer to ``question``.

    Args:
        answer: the quoted passage(s) (``Answer.answer``).
        question: the question as searched.
        retriever: for the document's IDF (words weigh 1 without it).
        document: the document answered from (its IDF).
        structure: the document's :class:`bot.structure.Structure`, for item labels.
        facts: the kinds of fact asked, with their evidence (``bot.structure.AskedFacts``).
        heading: the glossary entry's heading when ``answer`` quotes one (its first line): the
            definition is the answer unless the question asks for the name (正式名称, "stand for")
            or a kind of fact (いつ), which a sentence of it states.

    Returns:
        Lines each of which is a substring of ``answer``; "" for an empty answer.
    """
    from index.lexical import content_words

    asked_kinds = facts(question) if facts is not None else []

    if heading and answer.startswith(heading) and answer[len(heading):].strip():
        pieces = [heading.strip()] + units(answer[len(heading):])
    else:
        pieces = units(answer)
    if not pieces:
        return ""
    if heading and pieces[0] == heading.strip() and len(pieces) > 1:
        if _NAME_CUE.search(unicodedata.normalize("NFKC", question).lower()):
            return pieces[0]
        if not asked_kinds:
            return "\n".join(pieces[1:])
        pieces = pieces[1:]
    if len(pieces) == 1:
        return pieces[0]
    idf = _idf(retriever, document)
    question = _with_document_terms(question, retriever)
    asked, siblings = _labels(question, structure)
    said = unicodedata.normalize("NFKC", question)
    if structure is not None:
        # The label's own characters (第, 期, 2) say which item, not which line.
        from bot.labels import asked_labels

        for a in sorted(asked_labels(said, structure), key=lambda a: -a.start):
            said = said[: a.start] + " " * (a.end - a.start) + said[a.end:]
    # Numbers alone (「3つの」) say how many, not which line; labels count through ``structure``.
    words = [(surface, norm, idf(norm)) for surface, norm in content_words(said)
             if re.search(r"[\u3400-\u9fff\u30a0-\u30ffA-Za-z]", surface)]
    total = sum(w for _, _, w in words) or 1.0
    from bot.structure import _DATE_STRICT

    # A date is stated by a year or a day (令和３年度, 9月), not by the word 期間.
    evidence = [_DATE_STRICT if kind == "date" else e for kind, e in asked_kinds if e is not None]
    if _DATE_STRICT not in evidence and any(_PERIOD_WORD.search(surface) for surface, _, _ in words):
        evidence.append(_DATE_STRICT)      # 「期間は？」 is answered by the years, not by the word
    # The item's own label decides only between it and its siblings in the same answer
    # (第１期 and 第２期 in one block); alone it would lift a caption over the line that answers.
    contested = any(label(piece) for piece in pieces for label in siblings)
    scores: list[float] = []
    for piece in pieces:
        squashed = _nfkc(piece)
        norms = {n for _, n in content_words(piece)}
        score = sum(w if norm in norms or _nfkc(surface) in squashed else w * _partial(_nfkc(surface), squashed)
                    for surface, norm, w in words)
        n = unicodedata.normalize("NFKC", piece)
        score += total * sum(1 for f in evidence if f.search(n))
        if contested:
            score += total * sum(1 for label in asked if label(piece))
            score -= total * sum(1 for label in siblings if label(piece))
        if _HEAD_CAPTION.match(piece.strip()) or (len(piece.strip()) <= _CAPTION_CHARS and piece is not pieces[-1]
                                                    and not piece.rstrip().endswith("。")):
            score *= 0.5       # 「【計画期間】」, 「実施計画」 name the topic; the line under them states it
        scores.append(score)
    best = max(scores)
    least = min((w for _, _, w in words), default=1.0)
    if best < least and len(pieces) <= 4:
        # No line says more than the heading that was asked (「必要性は？」 -> 4 必要性): all of them answer.
        return "\n".join(pieces)
    if best <= 0:
        return pieces[0]
    return "\n".join(p for p, s in zip(pieces, scores) if s >= best * TIE)


def _with_document_terms(question: str, retriever) -> str:
    """An English question with the document's words its terms map to (the retriever's query
    expansion: "first phase" -> 第1期, "how long" -> 計画期間), so its words can be found in the
    Japanese lines; a Japanese question as it is."""
    if re.search(r"[\u3040-\u30ff\u3400-\u9fff]", question):
        return question
    expand = getattr(getattr(retriever, "lexicon", None), "expansion_terms", None)
    if expand is None:
        return question
    try:
        terms = expand(question)
    except Exception:       # a lexicon that cannot read this question adds nothing
        return question
    return question + " " + " ".join(terms) if terms else question


def _partial(word: str, text: str) -> float:
    """Half credit for a long word whose character pairs are half in ``text`` (職員数 ~ 職員)."""
    if len(word) < 3:
        return 0.0
    pairs = [word[i:i + 2] for i in range(len(word) - 1)]
    return 0.5 if sum(p in text for p in pairs) * 2 >= len(pairs) else 0.0


def _idf(retriever, document):
    from index.lexical import tokenize

    if retriever is None or not hasattr(retriever, "idf_of"):
        return lambda norm: 1.0
    try:
        raw = retriever.idf_of(document) if document else retriever.idf_of()
    except Exception:      # an index without per-document statistics: equal weights
        return lambda norm: 1.0

    def weight(norm: str) -> float:
        toks = tokenize(norm) or [norm]
        return max(0.1, max(raw(t) for t in toks))
    return weight


def _labels(question: str, structure):
    """Tests for units naming the question's labels, and for units naming their siblings."""
    if structure is None:
        return [], []
    from bot.labels import _labels_in_line, asked_labels

    asked = asked_labels(question, structure)
    if not asked:
        return [], []

    values = {(a.kind, a.value) for a in asked}

    def names(kind, value, same):
        def test(piece: str) -> bool:
            found = [(k, v) for k, v, _ in _labels_in_line(piece)] + _number_labels(piece, structure)
            if same:
                return any(k == kind and v == value for k, v in found)
            return any(k == kind and (k, v) not in values for k, v in found)
        return test
    return ([names(a.kind, a.value, True) for a in asked], [names(a.kind, a.value, False) for a in asked])


def _number_labels(piece: str, structure) -> list[tuple[str, int]]:
    from bot.labels import asked_labels

    return [(a.kind, a.value) for a in asked_labels(piece, structure)]


def focused_notes(question: str, answer: str, highlighted: str, retriever: "Retriever | None",
                  document: str | None, limit: int = 5) -> tuple["GlossaryNote", ...]:
    """Glossary notes for the terms the question or the highlighted line names (by a term, its
    abbreviation or spelled-out form, or a ※N mark), in that order; an entry the answer already
    quotes gets none."""
    if retriever is None or not hasattr(retriever, "glossary_for"):
        return ()
    from bot.contract import GlossaryNote
    from corpus.parser import glossary_markers, resolve_markers

    doc = retriever.find_document(document) if document and hasattr(retriever, "find_document") else None
    doc = doc or retriever.documents[0]
    matcher = retriever.glossary_for(doc.id)
    entries = [e for e, _ in matcher.find(question)] + [e for e, _ in matcher.find(highlighted)]
    marks = tuple(dict.fromkeys(e.marker for e in doc.glossary)) or ("※",)
    ids = resolve_markers(glossary_markers(highlighted, marks), doc.glossary)
    entries += [e for e in doc.glossary if e.id in ids]
    quoted = _nfkc(answer)
    out: dict[str, GlossaryNote] = {}
    for e in entries:
        if e.id in out or _nfkc(e.definition)[:40] in quoted:
            continue
        out[e.id] = GlossaryNote(term=e.term, definition=e.definition)
    return tuple(out.values())[:limit]


def finish(answer, question: str, retriever: "Retriever | None", facts=None):
    """``answer`` with its ``highlight`` (unless :mod:`bot.structure` chose one) and glossary notes
    for the terms of the question and the highlight only."""
    from dataclasses import replace

    if not answer.found or not answer.answer.strip():
        return replace(answer, highlight="", glossary=())
    document = answer.document.id if answer.document is not None else None
    structure = None
    if retriever is not None and getattr(retriever, "documents", ()):
        from bot.labels import structure_of

        doc = (retriever.find_document(document) if document and hasattr(retriever, "find_document") else None) \
            or retriever.documents[0]
        structure = structure_of(doc)
        document = doc.id if len(retriever.documents) > 1 else None
    chosen = answer.meta.get("highlight")
    if not chosen or not all(line in answer.answer for line in chosen.split("\n")):
        asked = answer.meta.get("query") or question
        lead = answer.sources[0] if answer.sources else None
        heading = answer.answer.split("\n", 1)[0] if lead is not None and lead.kind == "glossary" \
            and lead.section.split(" › ")[-1] == answer.answer.split("\n", 1)[0] else ""
        chosen = highlight(answer.answer, asked, retriever, document=document, structure=structure,
                           heading=heading, facts=facts)
    notes = focused_notes(question, answer.answer, chosen, retriever, document)
    return replace(answer, highlight=chosen, glossary=notes)


def segments(answer: str, highlighted: str) -> list[tuple[str, bool]]:
    """``answer`` cut into ``(text, highlighted)`` runs, in order, for a surface to mark: the web
    page wraps the highlighted runs in ``<mark>``. Joined, the texts are ``answer`` again."""
    spans = []
    start = 0
    for line in (x for x in highlighted.split("\n") if x.strip()):
        i = answer.find(line, start)
        if i < 0:
            i = answer.find(line)
        if i >= 0:
            spans.append((i, i + len(line)))
            start = i + len(line)
    spans.sort()
    out, at = [], 0
    for a, b in spans:
        if a < at:
            continue
        if a > at:
            out.append((answer[at:a], False))
        out.append((answer[a:b], True))
        at = b
    if at < len(answer):
        out.append((answer[at:], False))
    return out


def without(answer: str, highlighted: str) -> str:
    """``answer`` without its highlighted runs (blank lines left by them dropped)."""
    rest = "".join(text for text, marked in segments(answer, highlighted) if not marked)
    return "\n".join(line for line in rest.split("\n") if line.strip())
