"""A plan's list of goals, found in its structure: 重点目標, 基本方針Ⅰ–Ⅳ, 柱1–5 …

Plans name their goals with a word and a number, and count them from one: the goals are the
sections (or the listed lines) labelled with one repeated word and the numbers 1, 2 … N. Which
word it is comes from the document, never from here.

Where to look, best first:

* a word that labels both sibling headings and the lines of a list (the plan lists its goals in
  an overview, then gives each a chapter: 「【基本方針】 基本方針Ⅰ …」 and 「ア 基本方針Ⅰ …」);
* sibling headings labelled with one word, a word used for one such group only (a word repeated
  under every goal, 施策1–3 under each 基本方針, is a level below the goals);
* lines of one list item or consecutive items (an overview with no chapter per goal).

Then the shallowest, then the first in the document. A proposal is linked to a goal by its
breadcrumb (:func:`goal_of_breadcrumb`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

from corpus.chunker import BREADCRUMB_SEP
from corpus.model import Document, Section
from corpus.schemes import numeral_value

__all__ = ["Goal", "find_goals", "goal_of_breadcrumb"]


@dataclass(frozen=True)
class Goal:
    """One goal of the plan, as written."""

    key: str                    # its number, "1" … "N": the value forms and the store use
    label: str                  # word and number as written: "基本方針Ⅰ", "柱２"
    title: str                  # what it says: "効率的で質の高い行政サービスへの転換"
    word: str                   # the word that labels every goal of the list: "基本方針"
    section_id: str | None = None        # its section, when the goals are headings
    path: tuple[str, ...] = ()           # that section's breadcrumb labels

    @property
    def text(self) -> str:
        """Label and title: 「基本方針Ⅰ 効率的で質の高い行政サービスへの転換」."""
        return f"{self.label} {self.title}".strip()


@dataclass(frozen=True)
class _Candidate:
    word: str                   # NFKC, to compare
    goals: tuple[Goal, ...]
    from_sections: bool
    level: int
    position: int               # order in the document


@dataclass(frozen=True)
class _Label:
    word: str                   # as written: "基本方針", "柱"
    number: str                 # word and number as written: "基本方針Ⅰ"
    value: int
    title: str

    @property
    def key(self) -> str:       # NFKC, to compare
        return unicodedata.normalize("NFKC", self.word)


_D = "0-9０-９"
_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_KANJI_NUM = "一二三四五六七八九十"
# 「重点目標２ …」 「基本方針Ⅰ …」 「柱1：…」: a word (kanji or katakana, not an edition 第…), its
# number, then a space, a colon or the end. One character is a word too (柱), unlike in headings.
_LABEL = re.compile(rf"^(?P<word>(?!第)[\u3041-\u309f\u30a1-\u30fa\u30fc\u3400-\u9fff々]{{0,7}}[\u30a1-\u30fa\u30fc\u3400-\u9fff々])"
                    rf"(?P<num>[{_D}]{{1,2}}|[{_ROMAN}]|[{_KANJI_NUM}]{{1,3}})(?:[ 　]+|[:：] ?|$)(?P<title>.*)$")


def _goal_label(text: str) -> _Label | None:
    """``text`` read as 「word + number + title」, else None."""
    text = " ".join(text.split())
    m = _LABEL.match(text)
    if not m:
        return None
    word = m.group("word")
    num = m.group("num")
    if num[0] in _KANJI_NUM and word[-1] in _KANJI_NUM:     # 「十二」 split as 十 + 二: no word
        return None
    value = numeral_value(num)
    if not value:
        return None
    return _Label(word, word + num, value, m.group("title").strip())


def _section_label(s: Section) -> _Label | None:
    """The goal label of a section: in its number (「基本方針Ⅰ」) or at the start of its title."""
    if s.number:
        h = _goal_label(f"{s.number} {s.title}")
        if h is not None:
            return h
    return _goal_label(s.title)


def _counts_from_one(labels: Sequence[_Label]) -> bool:
    return len(labels) >= 2 and [h.value for h in labels] == list(range(1, len(labels) + 1))


def _from_sections(doc: Document) -> list[_Candidate]:
    parent_of = {}
    by_path = {s.path: s.id for s in doc.sections}
    for s in doc.sections:
        parent_of[s.id] = by_path.get(s.path[:-1])
    groups: dict[tuple, list[tuple[int, Section, _Label]]] = {}
    for i, s in enumerate(doc.sections):
        h = _section_label(s)
        if h is not None:
            groups.setdefault((parent_of[s.id], h.key), []).append((i, s, h))
    out = []
    for (_, word), members in groups.items():
        labels = [h for _, _, h in members]
        if not _counts_from_one(labels):
            continue
        goals = tuple(Goal(str(h.value), h.number, h.title, h.word, s.id, s.path)
                      for _, s, h in members)
        out.append(_Candidate(word, goals, True, members[0][1].level, members[0][0]))
    return out


def _lines(items: Iterable[str]) -> list[str]:
    return [line for item in items for line in item.split("\n")]


def _from_items(doc: Document) -> list[_Candidate]:
    out = []
    for i, s in enumerate(doc.sections):
        run: list[_Label] = []
        for line in _lines(s.items) + [""]:
            h = _goal_label(line)
            if h is not None and run and h.key == run[0].key and h.value == run[-1].value + 1:
                run.append(h)
                continue
            if _counts_from_one(run):
                out.append(_Candidate(run[0].key, tuple(Goal(str(x.value), x.number, x.title,
                                                                x.word) for x in run),
                                      False, s.level + 1, i))
            run = [h] if h is not None and h.value == 1 else []
    return out


def find_goals(doc: Document | None) -> tuple[Goal, ...]:
    """The plan's goals in order, or ``()`` when it has no list of goals that can be found.

    Args:
        doc: the parsed plan (None: no document, no goals).

    Returns:
        :class:`Goal` objects numbered from "1"; with ``section_id`` when each goal is a heading.
    """
    if doc is None:
        return ()
    sections, items = _from_sections(doc), _from_items(doc)
    if not sections and not items:
        return ()
    listed = {c.word for c in items}
    per_word: dict[str, int] = {}
    for c in sections:
        per_word[c.word] = per_word.get(c.word, 0) + 1

    def rank(c: _Candidate) -> tuple:
        both = c.from_sections and c.word in listed
        unique = c.from_sections and per_word[c.word] == 1
        return (not both, not unique, not c.from_sections, c.level, c.position)

    best = min(sections + items, key=rank)
    if not best.from_sections:
        # The same list also given as headings elsewhere: take those, for their sections.
        same = [c for c in sections if c.word == best.word and len(c.goals) == len(best.goals)]
        if same:
            best = min(same, key=rank)
    return best.goals


def goal_of_breadcrumb(breadcrumb: str, goals: Sequence[Goal]) -> Goal | None:
    """The goal a passage lies under, from its breadcrumb (「… › 基本方針Ⅱ 健全で… › （１） 歳出の見直し」).

    A breadcrumb is under a goal when it starts with the goal's section, or when one of its
    headings carries the goal's word and number (the goals repeated in another chapter), or, for
    goals found only as a list, names the goal's title.

    Args:
        breadcrumb: a chunk's breadcrumb, headings joined with " › ".
        goals: the plan's goals (:func:`find_goals`).

    Returns:
        The goal, or None outside every goal.
    """
    if not goals:
        return None
    segments = [seg.strip() for seg in breadcrumb.split(BREADCRUMB_SEP.strip())]
    for g in goals:
        if g.path and tuple(segments[: len(g.path)]) == g.path:
            return g
    by_number = {(unicodedata.normalize("NFKC", g.word), g.key): g for g in goals}
    for seg in segments:
        for text in (seg, seg.partition(" ")[2]):        # 「ア 重点目標２ …」: after the section's own number
            h = _goal_label(text) if text else None
            if h is not None and (h.key, str(h.value)) in by_number:
                return by_number[(h.key, str(h.value))]
    squashed = [_squash(seg) for seg in segments]
    for g in goals:
        title = _squash(g.title)
        if not g.section_id and len(title) >= 4 and any(title in seg for seg in squashed):
            return g
    return None


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())
