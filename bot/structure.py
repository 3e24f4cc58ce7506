"""Answers shaped by the document's own structure: named items, whole lists, comparisons, two-part questions.

The document's tree and the labels it numbers its items with (重点目標２, 基本方針Ⅲ, 柱１, 第６次,
第２期, (3), ウ) come from :mod:`bot.labels`: a heading label's item is its section and everything
under it, a mention's the line that names it, a label on the title the whole document.

:func:`reshape` takes the passage answer :func:`bot.answer.compose` made and, when the question

* names an item (「重点目標２の取組は？」, 「第６次の計画期間は？」, "goal 2"): answers from that item —
  its subtree first, then lines that mention it — or refuses. A label whose kind the document
  uses but whose number it does not have (重点目標４ with three goals) is refused with a notice
  naming the items that exist; a passage about another item never answers;
* asks for a whole heading (「…を全部」, 「一覧で」, "list all"): quotes the subtree, grouped by its
  sub-headings, within :data:`LIST_CHARS`, saying how many lines were left out;
* compares two terms (「AとBの違いは？」): quotes both definitions (glossary entry or passage);
* asks two things (「計画期間と重点目標は？」): answers each part and says which the document
  does not cover.

Nothing here knows any document's words: labels, kinds and numbers come from the parsed tree.
The only vocabulary is how questions ask (全部, 違い, "list all"), which holds for any plan.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Sequence

from bot.contract import Answer, DocumentRef, Source
from bot.labels import Asked, Scope, Structure, _nfkc, _squash, each_sibling, scope_of, siblings_named, structure_of

AskedFacts = Callable[[str], "list[tuple[str, re.Pattern | None]]"]
"""The kinds of fact a question asks for, each with the evidence a passage states it by
(``bot.answer.asked_facts`` over ``FACT_KINDS``; passed in by the composer)."""

if TYPE_CHECKING:  # pragma: no cover
    from corpus.model import Document, Section
    from index.retriever import Retriever

LIST_CHARS = 2400
"""Longest list answer. Slack allows 3,000 characters per section block; the quote marks and the
bold highlight the Slack surface adds stay within it."""
SECTION_CHARS = 600
"""An item's passage is quoted with the rest of its section (all its windows) up to this length,
so 「重点目標２の歳入の確保では…」 quotes every bullet of 歳入の確保, not the best window of three."""
SEARCH_DEPTH = 40
"""Passages searched for an item question before the item's own passages are appended."""

# How a question asks for a whole heading, and how it compares two things (NFKC, lower case).
# 「全て」 as a determiner (「全ての事務事業を…」) asks nothing of the kind: only 「全部教えて」,
# 「すべて挙げて」, 「…を全部」 at the end, 「一覧」.
LIST_CUE = re.compile(r"網羅的に|(?:全部|全て|すべて|残らず|もれなく|漏れなく)(?:の?(?:取組|取り組み|施策|項目|内容))?(?:を|は)?"
                      r"(?:教えて|挙げて|あげて|知りたい|見せて|出して|示して|ください|[?？!！。]|$)"
                      r"|一覧|列挙|リストアップ|リストで"
                      r"|\blist (?:all|every|the)\b|\ball (?:the )?(?:measures|items|goals|policies|actions|points)\b"
                      r"|\bevery (?:measure|item|goal|policy|action)\b")
_COMPARE_JA = re.compile(r"^(?P<a>.+?)(?:と|、)(?P<b>.+?)(?:と)?(?:の|は|って)?(?:違い|ちがい|相違|差異|区別|どう違|何が違|同じ(?:もの)?(?:です)?か?[?？]|異なる|比較)")
_COMPARE_EN = re.compile(r"difference(?:s)? between (?P<a>.+?) and (?P<b>.+?)[?.!]*$"
                         r"|^(?:how (?:does|do|is|are) )?(?P<a2>.+?) (?:differ from|different from|vs\.?|versus|compared (?:to|with)) (?P<b2>.+?)[?.!]*$"
                         r"|^compare (?P<a3>.+?) (?:and|with|to) (?P<b3>.+?)[?.!]*$")
# 「AとBは？」, 「AとBを教えて」: two noun phrases and nothing else asked of them.
_TWO_PART_FIRST = re.compile(r"^[^、。をがにではも]{2,24}$")
_TWO_PART_REST = re.compile(r"^(?P<b>[^、。をがにではもと]{2,24}?)"
                            r"(?:は|って|を教えて(?:ください)?|について(?:教えて(?:ください)?)?|を知りたい)[?？!！。]*$")
# "What is the plan period, and who checks progress?": two questions, each with its own question word.
_TWO_QUESTIONS_EN = re.compile(r"^(?P<a>(?:what|who|when|how|where|which)\b.+?)\s*(?:,\s*and|,|\band)\s+(?P<b>(?:what|who|when|how|where|which)\b.+)$", re.I)
# 「計画期間は？重点目標は？」: two questions, each ending in its own question mark.
_TWO_QUESTIONS_JA = re.compile(r"^(?P<a>[^?？]{2,40}[?？])\s*(?P<b>[^?？]{2,40}[?？])$")
_TWO_PART_EN = re.compile(r"^what (?:is|are) (?:the )?(?P<a>[a-z][a-z ]{2,40}?) and (?:the )?(?P<b>[a-z][a-z ]{2,40}?)[?.!]*$")

# Words that only say what is asked of an item, never what about it: 「重点目標２の取組は？」 asks
# for the item itself. Sudachi normalised forms.
FRAME_WORDS = frozenset(
    "取組 取り組み 取組み 施策 内容 項目 中身 全部 全て 全体 一覧 教える 知る 何 なに なん 具体 具体的 的 "
    "ある 書く 記載 載る 説明 概要 詳細 詳しい 主 主な 推進 項 事項 する いる なる れる 挙げる 示す "
    "位置 位置付ける 位置づける 位置付け 付ける 掲げる 含む 含める 入る".split())



# --- what the question asks of the item ------------------------------------------------------
def topic_phrases(question: str, asked: Sequence[Asked], title: str = "") -> list[list[tuple[str, str]]]:
    """The question's content words without its labels and frame words (取組, 内容, 全部 …),
    grouped into phrases of adjacent words (「計画期間」 is one phrase, 「歳入の確保」 two). A phrase
    of the document's ``title`` (「プランの基本方針Ⅲ」, 「大綱の重点目標２」) names the document, not
    a topic, and is left out."""
    from index.lexical import content_word_spans

    q = _nfkc(question)
    for a in sorted(asked, key=lambda a: -a.start):
        q = q[: a.start] + "　" * (a.end - a.start) + q[a.end:]
    # The noun an ordinal numbers is part of its name: 「第６次行革」 is the item, not a topic.
    named = {a.end for a in asked if a.kind.startswith("ord:")}
    phrases: list[list[tuple[str, str]]] = []
    last_end = -2
    for start, end, surface, norm in content_word_spans(q):
        if norm in FRAME_WORDS or surface in FRAME_WORDS or not re.search(r"[\u3400-\u9fff\u30a0-\u30ffA-Za-z]", surface):
            last_end = -2
            continue
        if start in named:
            named.add(end)
            last_end = -2
            continue
        if start == last_end and phrases:
            phrases[-1].append((surface, norm))
        else:
            phrases.append([(surface, norm)])
        last_end = end
    key = _squash(title)
    return [p for p in phrases if not key or _squash("".join(su for su, _ in p)) not in key]


def _verbal(phrase: Sequence[tuple[str, str]]) -> bool:
    """A verb or adjective (its dictionary form ends in kana: 引き継ぐ, 新しい): the document may
    say it in other words (継承), so it does not decide alone."""
    return len(phrase) == 1 and bool(re.search(r"[\u3041-\u309f]$", phrase[0][1]))


_DATE_STRICT = re.compile(r"年度|[0-9０-９]+\s*年(?!間)|[0-9０-９]+\s*月|[0-9０-９]+\s*日|[～〜~]")


def _phrase_present(phrase: Sequence[tuple[str, str]], text: str, norms: frozenset[str]) -> bool:
    whole = _squash("".join(s for s, _ in phrase))
    if whole in text:
        return True
    if len(phrase) == 1:
        surface, norm = phrase[0]
        if norm in norms or _squash(surface) in text:
            return True
        # 「職員数」 is one word; 「職員」 in the passage speaks of it (half its character pairs).
        key = _squash(surface)
        pairs = [key[i:i + 2] for i in range(len(key) - 1)]
        if len(key) >= 3 and sum(p in text for p in pairs) * 2 >= len(pairs):
            return True
    long_parts = [(su, n) for su, n in phrase if len(su) >= 2]
    if len(phrase) > 1 and long_parts and all(n in norms or _squash(su) in text for su, n in long_parts):
        return True
    # A period asked (「期間」「時期」) is stated by a date, not by the word.
    head = phrase[-1][0]
    if head.endswith(("期間", "時期", "期限", "いつ")) and _DATE_STRICT.search(text):
        return all(_squash(s) in text or n in norms for s, n in phrase[:-1])
    return False


def _norms(text: str) -> frozenset[str]:
    from index.lexical import content_words

    return frozenset(n for _, n in content_words(text))


def answers_topic(question: str, asked: Sequence[Asked], text: str, facts: "AskedFacts | None" = None,
                  title: str = "") -> bool:
    """Does ``text`` (a passage with its headings) speak of what ``question`` asks of the item:
    every phrase of the question (:func:`topic_phrases`) in it, and every kind of fact asked
    (a date, an amount …) stated by it?"""
    # An English question's words are not the document's: the label chose the item, and only the
    # kind of fact asked ("how much", "when") is checked.
    if re.search(r"[\u3040-\u30ff\u3400-\u9fff]", question):
        squashed = _squash(text)
        norms = _norms(text)
        phrases = topic_phrases(question, asked, title)
        nouns = [p for p in phrases if not _verbal(p)] or phrases
        present = sum(_phrase_present(p, squashed, norms) for p in nouns)
        # Every noun of a one-noun question (「計画期間」); half of several (「どんな方向に転換」 ->
        # 転換 is said, 方向 is the asker's word).
        if present * 2 < len(nouns) or (len(nouns) == 1 and not present):
            return False
    for kind, evidence in (facts(question) if facts is not None else ()):
        if kind == "date":
            evidence = _DATE_STRICT
        if evidence is not None and not evidence.search(_nfkc(text)):
            return False
    return True


# --- answers ----------------------------------------------------------------------------------
def reshape(answer: Answer, question: str, retriever: "Retriever",
            compose: Callable[..., Answer], k: int = 3, facts: AskedFacts | None = None) -> Answer:
    """The passage answer ``compose`` made for ``question``, reshaped by the document's structure
    when the question names an item, asks for a whole list, compares two terms or asks two things;
    otherwise ``answer`` unchanged.

    Args:
        answer: the plain answer (top passage quoted, or refused).
        question: the user's question.
        retriever: the loaded retriever (documents, chunks, search).
        compose: :func:`bot.answer.compose` without this step, for the parts of a question.
        k: sources returned.
        facts: the kinds of fact a question asks for (:data:`AskedFacts`); None: none checked.
    """
    document = _document(answer, retriever)
    if document is None:
        return answer
    structure = structure_of(document)
    query = answer.meta.get("query") or question
    compared = compare_terms(question)
    if compared:
        return _compare(answer, question, compared, retriever, document, k) or answer
    scope = scope_of(query, structure) if query != question else scope_of(question, structure)
    if scope is None and query != question:
        scope = scope_of(question, structure)
    wants_list = bool(LIST_CUE.search(_nfkc(question).lower()))
    if scope is not None and siblings_named(scope) and (scope.missing or not (wants_list or not topic_phrases(
            query, scope.asked, document.title))):
        # 「第１期と第２期の期間は？」: each item answers for itself; together, or which one does not
        # (「第１期と第３期の…」: 第１期's, and a notice that there is no 第３期).
        parts = [_item(answer, question, query, one, structure, retriever, document, k, wants_list, facts)
                 for one in each_sibling(scope, structure)]
        return _joined(answer, parts, k) or replace(
            parts[-1], notice=" ".join(dict.fromkeys(p.notice for p in parts if p.notice)))
    if scope is not None:
        return _item(answer, question, query, scope, structure, retriever, document, k, wants_list, facts)
    if wants_list and answer.found:
        return _whole_list(answer, question, query, structure, retriever, document, k) or answer
    parts = two_parts(question)
    if parts:
        return _two_part(answer, question, parts, compose, structure, retriever, document, k) or answer
    return answer


def _joined(answer: Answer, parts: Sequence[Answer], k: int) -> Answer | None:
    """Answers to the parts of one question as one answer: every found part's quote (once each),
    its lead source first, the notices of the parts not found."""
    found = [p for p in parts if p.found]
    if not found:
        return None
    texts = list(dict.fromkeys(p.answer for p in found))
    sources: list[Source] = []
    for p in found:
        if p.sources and p.sources[0].id not in {s.id for s in sources}:
            sources.append(replace(p.sources[0], rank=len(sources) + 1))
    for s in answer.sources:
        if len(sources) < k and s.id not in {x.id for x in sources}:
            sources.append(replace(s, rank=len(sources) + 1))
    notice = " ".join(dict.fromkeys(p.notice for p in parts if not p.found and p.notice))
    meta = {**answer.meta, "reason": "each named item", "structure": "items"}
    if len(found) < len(parts):
        meta["reason"] = "each named item; some the document does not have or does not say"
    highlights = [p.highlight or p.meta.get("highlight") for p in found if p.highlight or p.meta.get("highlight")]
    if highlights:
        meta["highlight"] = "\n".join(dict.fromkeys(highlights))
    return replace(answer, found=True, answer="\n\n".join(texts), sources=tuple(sources), notice=notice, meta=meta)


def _document(answer: Answer, retriever: "Retriever"):
    documents = tuple(getattr(retriever, "documents", ()))
    if not documents:
        return None
    if answer.document is not None:
        found = retriever.find_document(answer.document.id) if hasattr(retriever, "find_document") else None
        if found is not None:
            return found
    return documents[0]


def _chunks_of(retriever: "Retriever", document: "Document"):
    first = retriever.documents[0].id
    return [c for c in retriever.chunks if (c.document or first) == document.id and c.kind == "body"]


def quote(chunk) -> str:
    """A passage as quoted: its text, a glossary entry's heading first (as ``bot.answer.quote``)."""
    if chunk.kind == "glossary" and chunk.section:
        return f"{chunk.section.split(' › ')[-1]}\n{chunk.text}"
    return chunk.text


def _headed(chunk) -> str:
    return f"{chunk.section}\n{chunk.text}"


def _source(chunk, rank: int, retriever: "Retriever", score: float = 0.0) -> Source:
    doc = retriever.document_of(chunk) if hasattr(retriever, "document_of") else None
    ref = DocumentRef(id=doc.id, title=doc.title) if doc is not None else None
    return Source(rank=rank, text=chunk.text, section=chunk.section, page=chunk.page, score=round(score, 4),
                  kind=chunk.kind, id=chunk.id, document=ref,
                  page_label=doc.cite_page(chunk.page) if doc is not None else "")


_RANKS: dict[tuple, dict] = {}


def _ranked_in(scope_chunks, query: str, retriever: "Retriever", document: "Document"):
    """The scope's chunks, best first: by the retriever's rank, then in document order."""
    key = (id(retriever), query, document.id)
    rank = _RANKS.get(key)
    if rank is None:
        hits = retriever.search(query, k=SEARCH_DEPTH, documents=[document.id]) \
            if len(retriever.documents) > 1 else retriever.search(query, k=SEARCH_DEPTH)
        rank = {h.chunk.id: (i, h.score) for i, h in enumerate(hits)}
        if len(_RANKS) >= 8:        # one question's searches are reused; nothing is kept for long
            _RANKS.clear()
        _RANKS[key] = rank
    order = {c.id: i for i, c in enumerate(scope_chunks)}
    return sorted(scope_chunks, key=lambda c: (rank.get(c.id, (SEARCH_DEPTH + order[c.id], 0.0))[0])), rank


def _item(answer: Answer, question: str, query: str, scope: Scope, structure: Structure,
          retriever: "Retriever", document: "Document", k: int, wants_list: bool,
          facts: AskedFacts | None = None) -> Answer:
    from bot.messages import structure_text

    lang = "en" if not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", question) else "ja"
    if scope.missing:
        names = "、".join(scope.existing) if lang == "ja" else ", ".join(scope.existing)
        notice = structure_text(lang, "no_such_item", item=scope.missing[0].shown, existing=names) if names \
            else structure_text(lang, "no_such_item_none", item=scope.missing[0].shown)
        return _refused(answer, notice, "the document has no " + scope.missing[0].text)
    chunks = _chunks_of(retriever, document)
    in_tree = [c for c in chunks if c.section_id in scope.sections]
    mentions = [c for c in chunks if any(c.section_id == sid and _squash(line.split("\n")[0]) in _squash(c.text)
                                         for sid, line in scope.lines)]
    topic = topic_phrases(query, scope.asked, document.title)
    asks_fact = bool(facts(query)) if facts is not None else False
    # 「重点目標２は？」 asks for the item itself: all of it. 「第２次プランはいつまで？」 asks a fact of it.
    if (wants_list or (not topic and not asks_fact)) and len(scope.roots) > 1 \
            and len({a.kind for a in scope.asked}) == 1 and len(scope.asked) > 1:
        # 「基本方針Ⅰと基本方針Ⅱの取組は？」: each named item, in the document's order.
        parts = [_as_list(answer, question, r, structure, retriever, document, k, share=len(scope.roots))
                 for r in scope.roots]
        sources = tuple(replace(p.sources[0], rank=i + 1) for i, p in enumerate(parts))
        return replace(parts[0], answer="\n\n".join(p.answer for p in parts), sources=sources[:max(k, len(parts))],
                       notice=" ".join(dict.fromkeys(p.notice for p in parts if p.notice)),
                       meta={**parts[0].meta, "highlight": "\n".join(p.meta["highlight"] for p in parts)})
    if (wants_list or (not topic and not asks_fact)) and scope.roots:
        root = _best_root(scope, in_tree, query, retriever, document)
        return _as_list(answer, question, root, structure, retriever, document, k, highlight_root=not wants_list)
    ranked_tree, rank = _ranked_in(in_tree, query, retriever, document)
    ranked_mentions, _ = _ranked_in([c for c in mentions if c not in in_tree], query, retriever, document)
    for chunk in ranked_tree + ranked_mentions:
        text = _headed(chunk)
        if chunk in mentions and chunk not in in_tree:
            # A mention counts by its own line (and the caption it hangs from), not its neighbours.
            lines = [line for sid, line in scope.lines
                     if sid == chunk.section_id and _squash(line.split("\n")[0]) in _squash(chunk.text)]
            text = chunk.section + "\n" + "\n".join(_with_caption(chunk.text, _near_label(line, scope.asked))
                                                     for line in lines)
        if answers_topic(query, scope.asked, text, facts, document.title):
            sources = [_source(chunk, 1, retriever, rank.get(chunk.id, (0, 0.0))[1])]
            sources += [replace(s, rank=len(sources) + i + 1) for i, s in
                        enumerate(s for s in answer.sources if s.id != chunk.id)][: k - 1]
            text = quote(chunk)
            mention = [line for sid, line in scope.lines
                       if sid == chunk.section_id and _squash(line.split("\n")[0]) in _squash(chunk.text)]
            if chunk not in in_tree and mention and len("\n".join(mention)) <= SECTION_CHARS:
                text = "\n".join(_with_caption(chunk.text, line) for line in mention)
            if chunk in in_tree:
                whole = "\n".join(c.text for c in chunks if c.section_id == chunk.section_id)
                if len(whole) <= SECTION_CHARS:
                    text = whole
                # The headings from the named item down to the passage, so the quote says whose it is
                # (「イ 重点目標２ …」 over 「(ｲ) 歳入の確保」 over its bullets).
                text = "\n".join(_headings_down(structure, scope.roots, chunk.section_id) + [text])
            return replace(answer, found=True, answer=text, sources=tuple(sources),
                           meta={**answer.meta, "reason": "the named item's passage", "structure": "item",
                                 "item_labels": [a.text for a in scope.asked]})
    label = scope.asked[0]
    return _refused(answer, structure_text(lang, "item_silent", item=label.shown), f"{label.text} does not say this")


def _headings_down(structure: Structure, roots: Sequence[str], section_id: str) -> list[str]:
    """The heading lines from the named item (one of ``roots``) down to ``section_id``."""
    chain = structure.ancestors(section_id)
    for i, sid in enumerate(chain):
        if sid in roots:
            return [_heading_line(structure.sections[x]) for x in reversed(chain[: i + 1])]
    return []


def _near_label(mention: str, asked: Sequence[Asked]) -> str:
    """A mention with its first line cut to what speaks of the label: the clause it stands in
    (「第６次行政改革の理念としていた「…」を継承し、」 — not 「次に掲げる事項を重点目標に掲げ」 further
    on, which is about the plan itself) and the sentence before it, which the label's sentence
    continues (「令和３年度に…計画を策定し…。第１期計画の期間が満了…」); the bullets under it kept."""
    first, *rest = mention.split("\n")
    n = _nfkc(first)
    at = [(n.find(a.text), len(a.text)) for a in asked if a.text and n.find(a.text) >= 0]
    if not at or len(n) != len(first):
        return mention
    start = min(p for p, _ in at)
    end = max(p + length for p, length in at)
    stop = re.compile(r"[、。,]")
    m = stop.search(n, end + 2)
    clause_end = m.end() if m else len(n)
    sentence_start = n.rfind("。", 0, start) + 1
    before = n.rfind("。", 0, max(sentence_start - 1, 0)) + 1 if sentence_start > 0 else sentence_start
    lead = first[before:sentence_start] if sentence_start > 0 else ""
    return "\n".join([lead + first[max(sentence_start, start - 8):clause_end], *rest])


def _with_caption(text: str, line: str) -> str:
    """The mentioned line with the short caption lines above it in its item (「【計画期間】」)."""
    lines = text.split("\n")
    key = _squash(line.split("\n")[0])
    for i, current in enumerate(lines):
        if key in _squash(current):
            before = [x for x in lines[max(0, i - 3): i] if x.startswith("【") or len(x) <= 8]
            return "\n".join(before + [line])
    return line


def _best_root(scope: Scope, in_tree, query: str, retriever: "Retriever", document: "Document") -> str:
    if len(scope.roots) == 1 or not in_tree:
        return scope.roots[0]
    ranked, _ = _ranked_in(in_tree, query, retriever, document)
    structure = structure_of(document)
    for chunk in ranked:
        for root in scope.roots:
            if chunk.section_id in structure.subtree(root):
                return root
    return scope.roots[0]


def _heading_line(section: "Section") -> str:
    return f"{section.number} {section.title}".strip()


def subtree_lines(structure: Structure, root: str) -> list[tuple[int, str, str]]:
    """(depth, kind "heading"/"item", text) of the subtree under ``root``, in document order."""
    out = []
    base = structure.sections[root].level
    for sid in structure.subtree(root):
        sec = structure.sections[sid]
        out.append((sec.level - base, "heading", _heading_line(sec)))
        for item in sec.items:
            out.append((sec.level - base + 1, "item", item))
    return out


def _as_list(answer: Answer, question: str, root: str, structure: Structure, retriever: "Retriever",
             document: "Document", k: int, *, highlight_root: bool = False, share: int = 1) -> Answer:
    """The subtree under ``root`` as the answer: its heading, each sub-heading with its items."""
    from bot.messages import structure_text

    lang = "en" if not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", question) else "ja"
    rows = subtree_lines(structure, root)
    kept: list[str] = []
    left = 0
    size = 0
    for depth, kind, text in rows:
        if size + len(text) + 1 > LIST_CHARS // share:
            left += 1 if kind == "item" else 0
            continue
        kept.append(text)
        size += len(text) + 1
    chunks = _chunks_of(retriever, document)
    tree = set(structure.subtree(root))
    in_tree = [c for c in chunks if c.section_id in tree]
    sec = structure.sections[root]
    crumb = " › ".join(sec.path)
    first = in_tree[0] if in_tree else None
    lead = Source(rank=1, text="\n".join(kept), section=crumb, page=sec.page, score=1.0, kind="body",
                  id=root, document=first and _source(first, 1, retriever).document,
                  page_label=document.cite_page(sec.page))
    others = [replace(s, rank=i + 2) for i, s in enumerate(s for s in answer.sources if s.id not in
                                                            {c.id for c in in_tree})][: k - 1]
    notice = structure_text(lang, "list_left_out", n=left, section=crumb) if left else ""
    meta = {**answer.meta, "reason": "the whole heading asked", "structure": "list", "list_root": root,
            "left_out": left, "highlight": _heading_line(sec)}    # the heading names what is listed
    return replace(answer, found=True, answer="\n".join(kept), sources=(lead, *others), notice=notice,
                   meta=meta)


def _whole_list(answer: Answer, question: str, query: str, structure: Structure, retriever: "Retriever",
                document: "Document", k: int) -> Answer | None:
    """A list asked without a label: the heading above the top passage that the question names
    (「具体的な取組を全部」 -> 「(3) 重点目標に位置付ける具体的な取組」), else the top passage's section."""
    top = next((s for s in answer.sources if s.kind == "body"), None)
    if top is None:
        return None
    chunk = next((c for c in retriever.chunks if c.id == top.id), None)
    if chunk is None or chunk.section_id not in structure.sections:
        return None
    from index.lexical import content_words

    words = {n for _, n in content_words(_nfkc(query))} - FRAME_WORDS
    best, best_score = chunk.section_id, 0
    for sid in structure.ancestors(chunk.section_id):
        title = {n for _, n in content_words(_nfkc(structure.sections[sid].title))}
        score = len(words & title)
        if score > best_score:
            best, best_score = sid, score
    return _as_list(answer, question, best, structure, retriever, document, k)


def _refused(answer: Answer, notice: str, reason: str) -> Answer:
    return replace(answer, found=False, answer="", glossary=(), notice=notice,
                   meta={**answer.meta, "reason": reason, "structure": "refused"})


# --- comparisons ------------------------------------------------------------------------------
def compare_terms(question: str) -> tuple[str, str] | None:
    """The two terms of 「AとBの違いは？」 / "difference between A and B", or None."""
    q = _nfkc(question).strip()
    if _COMPARE_JA.search(q):
        from index.lexical import content_word_spans

        spans = content_word_spans(q)
        for sep in re.finditer(r"と|、", q):
            if any(a < sep.start() < b for a, b, _, _ in spans):
                continue        # the と of ふるさと納税 separates nothing
            m = _COMPARE_JA.match(q[: sep.start()].replace("と", "\u2060").replace("、", "\u2060") + q[sep.start():])
            if m:
                return _clean_term(q[: sep.start()]), _clean_term(m.group("b"))
            break
        return None
    m = _COMPARE_EN.search(q.lower())
    if m:
        a, b = next((m.group(x), m.group(y)) for x, y in (("a", "b"), ("a2", "b2"), ("a3", "b3")) if m.group(x))
        return _clean_term(a), _clean_term(b)
    return None


def _clean_term(term: str) -> str:
    t = term.strip(" 　「」『』\"'")
    t = re.sub(r"^(?:the|a|an)\s+", "", t)
    return t


def _definition(term: str, retriever: "Retriever", document: "Document"):
    """The passage that defines ``term``: its glossary entry, else the best passage naming it."""
    several = len(retriever.documents) > 1
    for ask in (f"{term}とは", term):
        hits = retriever.search(ask, k=3, documents=[document.id]) if several else retriever.search(ask, k=3)
        key = _squash(term)
        for h in hits:
            own = _squash(h.chunk.section.split(" › ")[-1] + h.chunk.text)
            if key in own or (h.chunk.kind == "glossary" and h.glossary_match):
                return h
    return None


def _definition_quote(term: str, retriever: "Retriever", document: "Document") -> tuple[str, Source] | None:
    hit = _definition(term, retriever, document)
    return (quote(hit.chunk), _source(hit.chunk, 1, retriever, hit.score)) if hit is not None else None


def _item_quote(term: str, structure: Structure, retriever: "Retriever",
                document: "Document") -> tuple[str, Source] | None:
    """A compared term that is an item of the document (「重点目標２」, 「第１期」): its heading and
    what is under it, or the line that names it."""
    scope = scope_of(term, structure)
    if scope is None or scope.missing:
        return None
    chunks = _chunks_of(retriever, document)
    if scope.roots:
        root = scope.roots[0]
        lines, size = [], 0
        for _, _, text in subtree_lines(structure, root):
            if size + len(text) > LIST_CHARS // 2:
                break
            lines.append(text)
            size += len(text) + 1
        sec = structure.sections[root]
        first = next((c for c in chunks if c.section_id in structure.subtree(root)), None)
        ref = _source(first, 1, retriever).document if first is not None else None
        return "\n".join(lines), Source(rank=1, text="\n".join(lines), section=" › ".join(sec.path), page=sec.page,
                                        score=1.0, kind="body", id=root, document=ref,
                                        page_label=document.cite_page(sec.page))
    for sid, line in scope.lines:
        chunk = next((c for c in chunks if c.section_id == sid and _squash(line.split("\n")[0]) in _squash(c.text)), None)
        if chunk is not None:
            return _with_caption(chunk.text, line), _source(chunk, 1, retriever)
    return None


def _compare(answer: Answer, question: str, terms: tuple[str, str], retriever: "Retriever",
             document: "Document", k: int) -> Answer | None:
    from bot.messages import structure_text

    lang = "en" if not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", question) else "ja"
    structure = structure_of(document)
    found = [(t, _item_quote(t, structure, retriever, document) or _definition_quote(t, retriever, document))
             for t in terms]
    have = [(t, q) for t, q in found if q is not None]
    if not have:
        return None
    if len(have) == 2 and have[0][1][0] == have[1][1][0]:
        return None
    text = "\n\n".join(q[0] for _, q in have)
    # Each term's line: an item's heading, a glossary entry's definition, else the line naming it.
    lines = [_compared_line(q[0], q[1], t) for t, q in have]
    sources = [replace(q[1], rank=i + 1) for i, (_, q) in enumerate(have)]
    sources += [replace(s, rank=len(sources) + i + 1) for i, s in
                enumerate(s for s in answer.sources if s.id not in {x.id for x in sources})][: max(0, k - len(sources))]
    missing = [t for t, q in found if q is None]
    notice = ""
    if missing:
        gone = scope_of(missing[0], structure)
        notice = (structure_text(lang, "no_such_item", item=gone.missing[0].shown,
                                 existing=("、" if lang == "ja" else ", ").join(gone.existing))
                  if gone is not None and gone.missing and gone.existing
                  else structure_text(lang, "part_missing", part=missing[0]))
    return replace(answer, found=True, answer=text, sources=tuple(sources), notice=notice,
                   meta={**answer.meta, "reason": "two terms compared", "structure": "compare",
                         "terms": list(terms), "highlight": "\n".join(x for x in lines if x)})


def _compared_line(text: str, source: Source, term: str) -> str:
    lines = [x for x in text.split("\n") if x.strip()]
    if not lines:
        return ""
    if source.kind == "glossary" and len(lines) > 1:
        return lines[1]
    key = _squash(term)
    return next((x for x in lines if key in _squash(x)), lines[0])


# --- two-part questions -------------------------------------------------------------------------
def two_parts(question: str) -> tuple[str, str] | None:
    """「計画期間と重点目標は？」 -> ("計画期間は？", "重点目標は？"); None when the question does not
    ask two things joined by と/及び (or "what are A and B")."""
    q = _nfkc(question).strip()
    from index.lexical import content_word_spans

    spans = content_word_spans(q)
    for sep in re.finditer(r"と|及び|および|、", q):
        if any(a < sep.start() < b for a, b, _, _ in spans):
            continue            # the と of ふるさと納税 joins nothing
        first = q[: sep.start()].strip()
        m = _TWO_PART_REST.match(q[sep.end():].strip(" 、"))
        if m and _TWO_PART_FIRST.match(first):
            return f"{first}は？", f"{m.group('b').strip()}は？"
        break
    m = _TWO_QUESTIONS_JA.match(q)
    if m:
        return m.group("a").strip(), re.sub(r"^(?:and|also|それと|あと|また)[,、\s]*", "", m.group("b").strip(), flags=re.I)
    m = _TWO_QUESTIONS_EN.match(q)
    if m:
        return m.group("a").rstrip(" ,?") + "?", m.group("b").strip()
    m = _TWO_PART_EN.match(q.lower())
    if m:
        return f"What is the {m.group('a')}?", f"What is the {m.group('b')}?"
    return None


def _part(part: str, compose: Callable[..., Answer], structure: Structure, retriever: "Retriever",
          document: "Document", k: int) -> Answer:
    """One part of a two-part question: a heading it names exactly (「数値目標は？」 -> 第６章 数値目標)
    is quoted whole; anything else is answered as a question of its own."""
    plain = compose(part)
    key = _squash(re.sub(r"(?:は|って)?[?？]$", "", _nfkc(part)))
    for sid, sec in structure.sections.items():
        if _squash(sec.title) == key and (sec.items or structure.children.get(sid)):
            return _as_list(plain, part, sid, structure, retriever, document, k)
    return plain


def _two_part(answer: Answer, question: str, parts: tuple[str, str], compose: Callable[..., Answer],
              structure: Structure, retriever: "Retriever", document: "Document", k: int) -> Answer | None:
    from bot.messages import structure_text

    lang = "en" if not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", question) else "ja"
    # The whole phrase as the document writes it (「社会保障と税の一体改革」) is one thing, not two.
    whole = _squash(re.sub(r"(?:は|って|を教えて.*|について.*)?[?？!！。]*$", "", _nfkc(question)))
    a, b = (_part(p, compose, structure, retriever, document, k) for p in parts)
    if a.found and b.found and a.sources and b.sources and a.sources[0].id == b.sources[0].id:
        return None
    if answer.found and answer.sources and whole and whole in _squash(answer.sources[0].text):
        return None
    answered = [x for x in (a, b) if x.found]
    if not answered:
        return None
    text = "\n\n".join(x.answer for x in answered)
    sources: list[Source] = []
    for x in answered:
        if x.sources and x.sources[0].id not in {s.id for s in sources}:
            sources.append(replace(x.sources[0], rank=len(sources) + 1))
    for x in (a, b):
        for s in x.sources[1:]:
            if s.id not in {y.id for y in sources} and len(sources) < 3:
                sources.append(replace(s, rank=len(sources) + 1))
    missing = [re.sub(r"(?:は？|\?)$", "", p) for p, x in zip(parts, (a, b)) if not x.found]
    notice = structure_text(lang, "part_missing", part=missing[0].removeprefix("What is the ")) if missing else ""
    glossary = tuple(dict.fromkeys(a.glossary + b.glossary))
    highlights = [x.highlight or x.meta.get("highlight") for x in answered if x.highlight or x.meta.get("highlight")]
    meta = {**answer.meta, "reason": "two questions in one", "structure": "twopart", "parts": list(parts)}
    if highlights:
        meta["highlight"] = "\n".join(highlights)
    return replace(answer, found=True, answer=text, sources=tuple(sources), glossary=glossary, notice=notice,
                   meta=meta)
