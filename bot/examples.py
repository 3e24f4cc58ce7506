"""Example questions for staff, chosen from the current document's own glossary and headings.

The same document always gives the same examples (no randomness, no clock): the first glossary
terms, the plan period when the plan states one, its goals, and the first heading under its
first goal. The wording of the questions lives in :mod:`bot.messages` (``EXAMPLE_PATTERNS``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from bot.messages import EXAMPLE_PATTERNS
from corpus.goals import Goal
from corpus.model import Document, GlossaryEntry, Section

MAX_EXAMPLES = 4
_PERIOD = re.compile(r"[\u30a1-\u30fa\u30fc\u3400-\u9fff]{0,4}期間")     # 計画期間, 推進期間, 期間
_HEADING_CHARS = 20       # a longer heading reads as a sentence, not as something to ask about


@dataclass(frozen=True)
class Example:
    """An example question and what the passage answering it holds."""

    question: str
    expect: tuple[str, ...] = ()    # text the right passage (its text or breadcrumb) contains


def _ascii(text: str) -> str | None:
    """``text`` in NFKC when it is a Latin abbreviation (ＰＦＩ -> PFI), else None."""
    n = unicodedata.normalize("NFKC", text or "")
    return n if n.isascii() and n.replace(".", "").replace("-", "").isalnum() and any(c.isalpha() for c in n) else None


def _terms(glossary: Sequence[GlossaryEntry]) -> list[tuple[str, GlossaryEntry]]:
    """(what to ask about, entry): Latin abbreviations first (staff type them), in glossary order."""
    abbreviated = [(_ascii(e.abbreviation or e.term), e) for e in glossary]
    out = [(a, e) for a, e in abbreviated if a]
    out += [(e.term, e) for a, e in abbreviated if not a and len(e.term) <= _HEADING_CHARS]
    return out


def _period(doc: Document) -> tuple[str, Section] | None:
    """(the word the plan uses for its period, the section stating it): a heading that names a
    period and has text under it (「４－１ 計画期間」), else a 【…期間】 item, else such a heading."""
    for s in doc.sections:
        m = _PERIOD.search(s.title)
        if m and s.items:
            return m.group(0), s
    for s in doc.sections:
        for item in s.items:
            m = re.match(r"【([^】]*期間)】", item)
            if m:
                return m.group(1), s
    for s in doc.sections:
        m = _PERIOD.search(s.title)
        if m:
            return m.group(0), s
    return None


def _heading(doc: Document, goals: Sequence[Goal]) -> Section | None:
    """The first heading with text of its own under the first goal, else in the document."""
    inside = [s for s in doc.sections if goals and goals[0].path and s.path[: len(goals[0].path)] == goals[0].path
              and s.id != goals[0].section_id]
    for s in inside or doc.sections:
        if s.items and s.level > 1 and 2 <= len(s.title) <= _HEADING_CHARS and not _PERIOD.search(s.title):
            return s
    return None


def example_questions(doc: Document | None, goals: Sequence[Goal] = ()) -> dict[str, tuple[Example, ...]]:
    """Example questions about ``doc`` by language (``ja``, ``en``), at most :data:`MAX_EXAMPLES` each.

    Args:
        doc: the current document (None: no examples).
        goals: its goals (:func:`corpus.goals.find_goals`).

    Returns:
        ``{"ja": (Example, …), "en": (…)}``; a language gets no example it cannot word from the
        document (English needs Latin glossary abbreviations or a plan period).
    """
    out: dict[str, list[Example]] = {"ja": [], "en": []}
    if doc is None:
        return {lang: () for lang in out}
    p = EXAMPLE_PATTERNS
    terms = _terms(doc.glossary)
    latin = [(t, e) for t, e in terms if _ascii(t)]
    period = _period(doc)
    heading = _heading(doc, goals)
    if terms:
        t, e = terms[0]
        out["ja"].append(Example(p["ja"]["term"].format(term=t), (e.term,)))
    if period:
        word, s = period
        out["ja"].append(Example(p["ja"]["period"].format(period=word), (s.title,)))
    if goals:
        out["ja"].append(Example(p["ja"]["goals"].format(word=goals[0].word), tuple(g.title for g in goals[:2])))
    if heading is not None:
        out["ja"].append(Example(p["ja"]["heading"].format(heading=heading.title), (heading.title,)))
    if len(terms) > 1:
        t, e = terms[1]
        out["ja"].append(Example(p["ja"]["term_short"].format(term=t), (e.term,)))
    if latin:
        t, e = latin[1] if len(latin) > 1 else latin[0]
        out["en"].append(Example(p["en"]["stand_for"].format(term=t), (e.term,)))
        t, e = latin[0]
        if len(latin) > 1:
            out["en"].append(Example(p["en"]["term"].format(term=t), (e.term,)))
    if period:
        out["en"].append(Example(p["en"]["period"], (period[1].title,)))
    return {lang: tuple(examples[:MAX_EXAMPLES]) for lang, examples in out.items()}
