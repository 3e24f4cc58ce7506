"""What a plan's title says: its short name, the kind of plan, and the municipality it is of.

Titles of Japanese municipal plans follow a few habits: an edition (第３次), the municipality
(みどり市, 〇〇町), the subject, the kind of document (大綱, 計画, プラン), and often a note on this
copy ((案), （素案）, 概要版, の概要について). The functions here read those habits; nothing is known
about any one plan.

    >>> short_title("第３次みどり市行財政改革プラン（素案）概要版")
    '第３次みどり市行財政改革プラン'
    >>> place_name("第３次みどり市行財政改革プラン（素案）概要版")
    'みどり市'
    >>> plan_kind("第３次みどり市行財政改革プラン")
    'プラン'
"""
from __future__ import annotations

import re

__all__ = ["short_title", "place_name", "plan_kind", "PLAN_KINDS"]

# A note in brackets about this copy of the plan, not its name: (案) （素案） 【概要版】 (抜粋).
_COPY_NOTE = re.compile(r"\s*[(（【\[［][^()（）【】\[\]［］]{0,8}?(?:案|概要|抜粋|暫定|改訂版|最終版)[^()（）【】\[\]［］]{0,4}[)）】\]］]")
# The same notes without brackets at the end: 概要版, の概要について, について, 概要.
_COPY_TAIL = re.compile(r"\s*(?:の概要について|の概要|概要版|概要|について|（?案）?)\s*$")

PLAN_KINDS = ("大綱", "計画", "プラン", "方針", "指針", "ビジョン", "戦略", "構想", "プログラム")
"""The kinds of document a plan's name ends with, longest match first when they overlap."""

_KANA_KANJI = "\u3041-\u309f\u30a1-\u30fa\u30fc\u3400-\u9fff々ヶ"
# A municipality: a few kana or kanji ending in 市, 町 or 村, at the start of the title, after an
# edition (第３次), a space or an opening bracket.
_PLACE = re.compile(rf"(?:^|(?<=[\s「『【（(次]))(?P<name>[{_KANA_KANJI}]{{1,8}}?[市町村])")
# One character before 市/町/村 that makes an ordinary word, not a name: 都市, 本市, 全町, 市町村.
_NOT_A_PLACE = set("都本当全各同他旧新市町村")


def short_title(title: str) -> str:
    """The plan's name without the notes about this copy: (案), （素案）, 概要版, の概要について.

    Args:
        title: the document's title as written.

    Returns:
        The name as written (original characters), or ``title`` stripped when nothing is left.
    """
    name = " ".join(title.split())
    while True:
        shorter = _COPY_TAIL.sub("", _COPY_NOTE.sub("", name)).strip()
        if shorter == name or not shorter:
            break
        name = shorter
    return name or title.strip()


def place_name(title: str) -> str | None:
    """The municipality a plan's title names (「第３次〇〇市行政改革大綱」 -> 〇〇市), or None.

    Only names ending in 市, 町 or 村 are read; a prefecture or a ward is left to the settings.
    """
    for m in _PLACE.finditer(short_title(title)):
        name = m.group("name")
        if len(name) == 2 and name[0] in _NOT_A_PLACE:
            continue
        if name.startswith(("第", "市")):
            continue
        return name
    return None


def plan_kind(title: str) -> str | None:
    """The kind of document the plan's name ends with (大綱, 計画, プラン …), or None."""
    name = re.sub(r"[(（][^()（）]*[)）]$", "", short_title(title)).strip()   # （第２次）
    for kind in sorted(PLAN_KINDS, key=len, reverse=True):
        if name.endswith(kind):
            return kind
    return None
