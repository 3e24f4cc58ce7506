"""A plan's own date: the years of its plan period (「令和３年度から令和８年度まで」), else a year on its title.

Several documents can be indexed side by side (the 7th and the next outline, an outline and its
implementation plan); the newest of them is the one questions go to by default. "Newest" is read
from the documents themselves, here: the years are western (令和３年度 -> 2021).

    >>> period_of_text("大綱 ６年間（令和３年度から令和８年度まで）")
    (2021, 2026)
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

from corpus.model import Section

__all__ = ["ERA_START", "era_year", "period_of_text", "years_of_text", "plan_period"]

ERA_START = {"令和": 2018, "平成": 1988, "昭和": 1925}
"""The western year before the first year of each era (令和元年 = 2019)."""

_ERA = "(令和|平成|昭和)"
_NUM = r"(元|\d{1,2})"
_SEP = r"\s*(?:から|より|~|〜|～|-|－|—|―|‐|ー)\s*"
# 「令和３年度から令和８年度まで」 「令和8(2026)年度～12年度」 「令和３～８年度」
_ERA_RANGE = re.compile(rf"{_ERA}\s*{_NUM}\s*(?:年度?)?\s*(?:[(（]\d{{4}}[)）])?\s*(?:年度?)?{_SEP}"
                        rf"{_ERA}?\s*{_NUM}\s*(?:[(（]\d{{4}}[)）])?\s*年")
_WESTERN_RANGE = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*(?:年度?)?" + _SEP + r"((?:19|20)\d\d)(?!\d)")
_ERA_YEAR = re.compile(rf"{_ERA}\s*{_NUM}\s*(?:[(（]\d{{4}}[)）])?\s*年")
_WESTERN_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年")

PERIOD_WORDS = ("計画期間", "期間")
"""Words of a heading or 【label】 under which a plan states its period, most specific first."""


def era_year(era: str, number: str) -> int:
    """The western year of 令和N年 (``number`` "元" or digits)."""
    return ERA_START[era] + (1 if number == "元" else int(number))


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def period_of_text(text: str) -> tuple[int, int] | None:
    """The first year range in ``text`` (era or western), as western years, or None."""
    t = _nfkc(text)
    found = []
    for m in _ERA_RANGE.finditer(t):
        a = era_year(m.group(1), m.group(2))
        b = era_year(m.group(3) or m.group(1), m.group(4))
        if a <= b:
            found.append((m.start(), (a, b)))
    for m in _WESTERN_RANGE.finditer(t):
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b:
            found.append((m.start(), (a, b)))
    return min(found)[1] if found else None


def years_of_text(text: str) -> list[int]:
    """Every year ``text`` names (令和３年, 2021年), in order, as western years."""
    t = _nfkc(text)
    found = [(m.start(), era_year(m.group(1), m.group(2))) for m in _ERA_YEAR.finditer(t)]
    found += [(m.start(), int(m.group(1))) for m in _WESTERN_YEAR.finditer(t)]
    return [y for _, y in sorted(found)]


def _period_blocks(sections: Iterable[Section]) -> Iterable[str]:
    """Texts that state the plan period: 【計画期間】 blocks, then sections titled 計画期間."""
    sections = list(sections)
    for word in PERIOD_WORDS:
        for s in sections:
            for item in s.items:
                if item.startswith("【") and word in item.split("】", 1)[0]:
                    yield item
        for s in sections:
            if word in s.title:
                yield "\n".join((s.title, *s.items))


def plan_period(title: str, sections: Sequence[Section]) -> tuple[int, int] | None:
    """The document's own date as a (first, last) western year pair.

    The plan period stated under a 【計画期間】 label or a heading titled 計画期間 comes first
    (「令和３年度から令和８年度まで」 -> (2021, 2026)); else a year range on the title; else a single
    year on the title (「令和８年３月」 -> (2026, 2026)); else None.
    """
    for block in _period_blocks(sections):
        period = period_of_text(block)
        if period:
            return period
    period = period_of_text(title)
    if period:
        return period
    years = years_of_text(title)
    return (years[0], years[0]) if years else None
