"""Expansions derived from each indexed document: its abbreviations and their spelled-out forms.

A document defines its own short names: a glossary entry 「業務継続計画（ＢＣＰ）」 with its English
expansion, or body text 「民間資金を活用した社会資本整備（ＰＦＩ）」 and 「ＲＰＡ（ロボティック・プロセス・
オートメーション）」 (headings are scanned the same way). Each such pair becomes an equivalence
rule, so a question that says one form searches with the other and is covered by a passage that
uses the other. Derived from the stored chunks and glossary when the index is opened (a regular
expression over the text, a few milliseconds), so a new build brings its document's own terms.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from index.synonyms import SynonymRule

# After NFKC and lower-casing: 「…社会資本整備(pfi)」 and 「rpa(ロボティック・プロセス・オートメーション)」.
_LONG_THEN_ABBR = re.compile(r"([^\s()（）、。,.:：;；「」『』【】\[\]※*＊]{2,40})\(([a-z][a-z0-9&\-]{1,9})\)")
_ABBR_THEN_LONG = re.compile(r"(?<![a-z0-9])([a-z][a-z0-9&\-]{1,9})\(([^()]{2,60})\)")
_NOTE = re.compile(r"\s*(?:の略|の頭文字)[。.]?\s*$")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _clean(long: str) -> str:
    long = _NOTE.sub("", long).strip(" ・-")
    return long if long.isascii() else long.replace(" ", "")


def parenthesised_pairs(text: str) -> list[tuple[str, str]]:
    """(abbreviation, spelled-out form) pairs written ``long（ABBR）`` or ``ABBR（long）`` in ``text``."""
    t = _norm(text)
    out = []
    for m in _LONG_THEN_ABBR.finditer(t):
        long = _clean(m.group(1))
        if len(long) >= 2 and _JAPANESE.search(long):
            out.append((m.group(2), long))
    for m in _ABBR_THEN_LONG.finditer(t):
        long = _clean(m.group(2))
        if len(long) >= 2 and long != m.group(1) and (_JAPANESE.search(long) or " " in long):
            out.append((m.group(1), long))
    return out


def document_rules(glossary_names: Iterable[Iterable[str]], texts: Iterable[str]) -> tuple[SynonymRule, ...]:
    """Equivalence rules from a document's glossary and text.

    Args:
        glossary_names: for each glossary entry, its names (term, abbreviation, expansion,
            aliases; :func:`index.retriever.glossary_aliases`).
        texts: the document's section headings and chunk texts.

    Returns:
        One rule per glossary entry with two names or more, and one per abbreviation the
        glossary does not define, with every spelled-out form the text gives it.
    """
    groups: dict[str, list[str]] = {}
    order: list[list[str]] = []
    for names in glossary_names:
        words = sorted({_norm(n) for n in names if n}, key=lambda w: (-len(w), w))
        if len(words) >= 2:
            order.append(words)
            for w in words:
                groups.setdefault(w, words)
    defined = set(groups)       # the glossary's names: its own spelled-out form is the one to use
    for text in texts:
        for abbr, long in parenthesised_pairs(text):
            if abbr in defined:     # 「令和12年を期限とする持続可能な開発目標（ＳＤＧｓ）」 adds no name
                continue
            group = groups.get(abbr)
            if group is None:
                group = [abbr]
                order.append(group)
                groups[abbr] = group
            if long not in group:
                group.append(long)
                groups.setdefault(long, group)
    return tuple(SynonymRule(tuple(g), tuple(g)) for g in order if len(g) >= 2)
