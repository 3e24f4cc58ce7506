"""The labels a document numbers its items with, and the items a question names.

The parser (:mod:`corpus.parser`) gives every document a tree of :class:`~corpus.model.Section`
nodes, each with the number it is written with (「ア」, 「(3)」, 「基本方針Ⅲ」, 「第２章」) and its
title. From that tree :class:`Structure` collects the *labels* the document uses — a word and a
number (重点目標２, 基本方針Ⅲ, 柱１, 第６次, 第２期, (3), ウ) — and where each one is:

* a *heading* label numbers a section or starts its title (「イ 重点目標２ …」, 「第３章 第２次プラン
  の振り返り」): the item is that section and everything under it;
* a *mention* is a label inside a line of text (「第２期：３年間（令和６年度から…）」, 「現行の第６次
  行政改革」): the item is that line (with the bullets that hang from it);
* a label on the document's title (「第３次…プラン」) is the whole document.

:func:`asked_labels` finds the labels a question names, in any width and numeral (２ 2 二 Ⅱ), and
:func:`scope_of` where they are — or that the document has the kind but not the number. Nothing
here knows any document's words: the only vocabulary is a few English words for kinds of label
(:data:`ENGLISH_LABEL_WORDS`: goal -> 目標, chapter -> 章), which hold for any plan of this kind.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from corpus.model import Document, Section

# English words for kinds of label, each the Japanese head the label's word ends with.
ENGLISH_LABEL_WORDS = {
    "goal": "目標", "objective": "目標", "target": "目標", "policy": "方針", "principle": "方針",
    "pillar": "柱", "measure": "施策", "chapter": "章", "section": "節", "part": "部",
    "phase": "期", "term": "期", "period": "期", "edition": "次", "round": "次", "item": "項目",
}
_EN_LABEL = re.compile(r"\b(" + "|".join(ENGLISH_LABEL_WORDS) + r")s?\s*(?:no\.?\s*)?(\d{1,2}|[ivx]{1,4})\b")

_D = "0-9"
_ORDINAL_Q = re.compile(r"第\s*([0-9]{1,3}|[一二三四五六七八九十]{1,3})\s*([次期回号章節編部款項条])")
_KANA = "アイウエオカキクケコサシスセソタチツテト"
_CIRCLED = "①-⑳㉑-㉟㊱-㊿"
_ROMAN_NFKC = r"(?:XII|XI|X|IX|VIII|VII|VI|V|IV|III|II|I)"


@dataclass(frozen=True)
class Place:
    """Where one label is: a heading (the section's subtree) or a mention (one item line)."""

    label: str            # as written in the document (「重点目標２」, 「第２期」, 「(3)」)
    section_id: str
    heading: bool
    line: str = ""        # the item line that mentions it (mentions only)


@dataclass
class Structure:
    """The labels of one document and the tree they sit in."""

    document: "Document"
    kinds: dict[str, dict[int, list[Place]]] = field(default_factory=dict)   # kind -> value -> places
    whole: set[tuple[str, int]] = field(default_factory=set)   # labels on the title: the whole document
    sections: dict[str, "Section"] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)

    def subtree(self, section_id: str) -> list[str]:
        """The section and every section under it, in document order."""
        out = [section_id]
        for c in self.children.get(section_id, ()):
            out += self.subtree(c)
        return out

    def ancestors(self, section_id: str) -> list[str]:
        """The section and the ones above it, nearest first."""
        out = [section_id]
        while out[-1] in self.parent:
            out.append(self.parent[out[-1]])
        return out

    def label_words(self) -> list[str]:
        return [k.split(":", 1)[1] for k in self.kinds if k.startswith("label:")]


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _squash(text: str) -> str:
    return "".join(_nfkc(text).lower().split())


def _value(numeral: str) -> int | None:
    from corpus.schemes import numeral_value

    return numeral_value(numeral)


def _heading_kind(scheme: str) -> str | None:
    """The kind a heading scheme's labels are asked by (None: never named in questions)."""
    if scheme.startswith("label:"):
        return "label:" + _nfkc(scheme.split(":", 1)[1])
    if scheme.startswith("ordinal:"):
        return "ord:" + scheme.split(":", 1)[1]
    if scheme in ("(digit)", "(kana)", "roman", "circled"):
        return scheme
    if scheme in ("kana", "kana.", "kana)"):
        return "kana"
    return None


def _labels_in_line(text: str) -> list[tuple[str, int, str]]:
    """(kind, value, as written) of the labels a line of text names: 第N次/期/章…, and a
    label word + number at its start (「柱１ …」, 「基本方針Ⅱ …」)."""
    from corpus.normalize import is_bullet
    from corpus.schemes import match_heading

    out = []
    n = _nfkc(text)
    for m in _ORDINAL_Q.finditer(n):
        v = _value(m.group(1))
        if v:
            out.append(("ord:" + m.group(2), v, m.group(0)))
    line = text.strip()
    while line and (is_bullet(line[0]) or line[0] in "【"):
        line = line[1:].lstrip()
    m = _LEADING_LABEL.match(_nfkc(line))
    if m:
        v = _value(m.group(2))
        if v:
            out.append(("label:" + m.group(1), v, _as_written(line, m.group(1) + m.group(2))))
    else:
        h = match_heading(line)
        if h is not None and h.scheme.startswith("label:") and h.value:
            out.append((_heading_kind(h.scheme), h.value, h.number))
    return out


def _as_written(line: str, key: str) -> str:
    """The start of ``line`` whose NFKC is ``key`` (「基本方針Ⅲ」 for 「基本方針III」)."""
    for i in range(1, len(line) + 1):
        if "".join(_nfkc(line[:i]).split()) == key:
            return line[:i]
    return key


# 「柱１ 行かない窓口」 「重点目標２：…」 「基本方針Ⅲ …」 (NFKC): a word, its number, a space or colon.
_LEADING_LABEL = re.compile(r"^(?!第)([\u3400-\u9fff\u30a0-\u30ff]{1,6}?)\s?([0-9]{1,2}|" + _ROMAN_NFKC +
                            r"|[一二三四五六七八九十]{1,3})(?=[\s:：]|$)")


def _hanging(lines: Sequence[str], i: int) -> list[str]:
    """The bullets that hang from line ``i`` when it is a caption (not a bullet itself):
    「第４次行政改革・第５次行政改革 ➡ …」 then 「・職員の削減」 「・組織のスリム化」 …"""
    from corpus.normalize import is_bullet

    from corpus.chunker import is_caption

    if not lines[i] or is_bullet(lines[i][0]):
        return []
    out = []
    rest = list(lines[i + 1:])
    # A caption (「第６次行政改革」) introduces the plain line after it too.
    if rest and rest[0] and not is_bullet(rest[0][0]) and is_caption(lines[i], rest[0]) \
            and not _labels_in_line(rest[0]):
        out.append(rest.pop(0))
    for line in rest:
        if not line or not is_bullet(line[0]):
            break
        out.append(line)
    return out


def structure_of(document: "Document") -> Structure:
    """The labels of ``document`` (cached per document object)."""
    key = id(document)
    cached = _CACHE.get(key)
    if cached is not None and cached.document is document:
        return cached
    from corpus.schemes import match_heading

    s = Structure(document)
    stack: list["Section"] = []
    for sec in document.sections:
        s.sections[sec.id] = sec
        while stack and stack[-1].level >= sec.level:
            stack.pop()
        if stack:
            s.parent[sec.id] = stack[-1].id
            s.children.setdefault(stack[-1].id, []).append(sec.id)
        stack.append(sec)

        def add(kind, value, written, heading, line=""):
            if kind and value:
                s.kinds.setdefault(kind, {}).setdefault(value, []).append(Place(written, sec.id, heading, line))

        if sec.number:
            h = match_heading(f"{sec.number} {sec.title}")
            if h is not None:
                add(_heading_kind(h.scheme), h.value, sec.number, True)
        for kind, value, written in _labels_in_line(sec.title):
            add(kind, value, written, True)
        lines = [line for item in sec.items for line in item.split("\n")]
        for i, line in enumerate(lines):
            for kind, value, written in _labels_in_line(line):
                add(kind, value, written, False, "\n".join([line] + _hanging(lines, i)))
    for kind, value, _ in _labels_in_line(document.title):
        s.whole.add((kind, value))
        s.kinds.setdefault(kind, {}).setdefault(value, [])
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = s
    return s


_CACHE: dict[int, Structure] = {}


@dataclass(frozen=True)
class Asked:
    """One label a question names."""

    kind: str
    value: int
    text: str              # NFKC, as matched
    start: int = 0
    end: int = 0
    written: str = ""      # as the question writes it (「重点目標４」), for notices

    @property
    def shown(self) -> str:
        return self.written or self.text


def asked_labels(question: str, structure: Structure) -> list[Asked]:
    """The labels of ``structure``'s kinds that ``question`` names, in any width and numeral
    (２ 2 二 Ⅱ), English kind words included ("goal 2" names 重点目標２ when the document's
    label word ends in 目標)."""
    q = _nfkc(question)
    out: list[Asked] = []
    taken: list[tuple[int, int]] = []

    def add(kind, numeral, m, group=0):
        v = _value(numeral)
        span = (m.start(group), m.end(group))
        if v and not any(a < span[1] and span[0] < b for a, b in taken):
            taken.append(span)
            written = question[span[0]: span[1]] if len(question) == len(q) else m.group(group)
            out.append(Asked(kind, v, m.group(group), *span, written=written))

    for m in _ORDINAL_Q.finditer(q):
        if "ord:" + m.group(2) in structure.kinds:
            add("ord:" + m.group(2), m.group(1), m)
    words = sorted(structure.label_words(), key=len, reverse=True)
    for w in words:
        # The word ends no longer compound (電柱１本 is no 柱１) and the number counts nothing.
        for m in re.finditer(r"(?<![\u3400-\u9fff\u30a0-\u30ff])" + re.escape(w) +
                             rf"\s*([0-9]{{1,2}}|{_ROMAN_NFKC}|[一二三四五六七八九十]{{1,3}})(?![0-9つ個件人年月日円%本回倍])", q):
            add("label:" + w, m.group(1), m)
    lower = q.lower()
    for m in _EN_LABEL.finditer(lower):
        head = ENGLISH_LABEL_WORDS[m.group(1)]
        kinds = [k for k in structure.kinds if (k.startswith("label:") and k.endswith(head)) or k == "ord:" + head]
        if kinds:
            add(kinds[0], m.group(2), m)
    # 「(3)の取組」, not 「alert(1)」: a bracket right after a letter or digit is a call or a note.
    if "(digit)" in structure.kinds:
        for m in re.finditer(r"(?<![A-Za-z0-9_])\(([0-9]{1,2})\)", q):
            add("(digit)", m.group(1), m)
    if "(kana)" in structure.kinds:
        for m in re.finditer(rf"(?<![A-Za-z0-9_])\(([{_KANA}])\)", q):
            add("(kana)", m.group(1), m)
    if "kana" in structure.kinds:
        for m in re.finditer(rf"(?<![ァ-ヺー\(])([{_KANA}])(?![ァ-ヺー\)])", q):
            add("kana", m.group(1), m)
    # 「柱２の②」: NFKC makes ② a plain 2, so circled numbers are read in the question as written.
    if "circled" in structure.kinds and len(question) == len(q):
        for m in re.finditer(rf"([{_CIRCLED}])", question):
            add("circled", m.group(1), m)
    return out


@dataclass(frozen=True)
class Scope:
    """Where a question's named items are: the sections whose subtrees count, and lines that
    mention them; ``missing`` when the document has the kind but not the number."""

    sections: tuple[str, ...] = ()      # heading items' subtrees (all their section ids)
    roots: tuple[str, ...] = ()         # the heading items themselves
    lines: tuple[tuple[str, str], ...] = ()   # (section id, line) mentions
    missing: tuple[Asked, ...] = ()
    existing: tuple[str, ...] = ()      # the labels of the missing kind the document has
    asked: tuple[Asked, ...] = ()


def scope_of(question: str, structure: Structure) -> Scope | None:
    """The item(s) ``question`` names in ``structure``, or None when it names none (or only the
    document itself)."""
    asked = [a for a in asked_labels(question, structure) if (a.kind, a.value) not in structure.whole]
    if not asked:
        return None
    return _scope_for(asked, structure)


def siblings_named(scope: Scope) -> bool:
    """Does the question name several items of one kind (「第１期と第２期」, 「柱１と柱２」)? Each is
    then answered from its own place, not from one that names them all."""
    return len(scope.asked) > 1 and len({a.kind for a in scope.asked}) == 1 \
        and len({a.value for a in scope.asked}) == len(scope.asked)


def each_sibling(scope: Scope, structure: Structure) -> list[Scope]:
    """One scope per item of :func:`siblings_named`, each keeping every label as asked (so none of
    them counts as a topic word of the others)."""
    out = []
    for a in scope.asked:
        one = _scope_for([a], structure)
        out.append(one if one.missing else replace(one, asked=scope.asked))
    return out


def _scope_for(asked: Sequence[Asked], structure: Structure) -> Scope:
    missing = [a for a in asked if a.value not in structure.kinds.get(a.kind, {})]
    if missing:
        kind = structure.kinds[missing[0].kind]
        existing = []
        for v in sorted(kind):
            places = kind[v]
            if places:
                existing.append(places[0].label)
        return Scope(missing=tuple(missing), existing=tuple(dict.fromkeys(existing)), asked=tuple(asked))
    sections: set[str] | None = None
    lines: list[tuple[str, str]] = []
    roots: list[str] = []
    for a in asked:
        places = structure.kinds[a.kind][a.value]
        mine = {sid for p in places if p.heading for sid in structure.subtree(p.section_id)}
        roots += [p.section_id for p in places if p.heading]
        lines += [(p.section_id, p.line) for p in places if not p.heading]
        # Several labels (「重点目標２の(ｲ)」) narrow each other: the sections under all of them.
        sections = mine if sections is None else (sections & mine if sections & mine else sections | mine)
    ordered = tuple(sid for sid in structure.sections if sid in (sections or set()))
    root_set = [r for r in dict.fromkeys(roots) if r in (sections or set())]
    # The innermost roots: 「重点目標２の(ｲ)」 lists (ｲ), not the whole goal.
    inner = tuple(r for r in root_set if not any(o != r and r in structure.ancestors(o) for o in root_set))
    if len(asked) > 1 and lines:
        lines = [(sid, line) for sid, line in lines
                 if all(_mentions_label(line, a) or sid in (sections or set()) for a in asked)]
    return Scope(sections=ordered, roots=inner, lines=tuple(dict.fromkeys(lines)), asked=tuple(asked))


def _mentions_label(text: str, asked: Asked) -> bool:
    return any(k == asked.kind and v == asked.value for k, v, _ in _labels_in_line(text))
