"""Mask personal data inside free text before it leaves the store (Slack, exports, listings).

Emails, phone numbers and My-Number-like digit strings (12 digits, with or without separators)
are replaced; ASCII, full-width and kanji digits (〇九〇-一二三四-五六七八) are all recognised.
The name the submitter typed into the name field is replaced wherever it reappears, with or
without spaces between family and given name, in full- or half-width, katakana or hiragana.

This is a best effort for staff views. What citizens see of a proposal is only the text a staff
member approved when publishing it (``ProposalStore.publish``), never this module's guess.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

MASK_EMAIL = "［メール省略］"
MASK_PHONE = "［電話番号省略］"
MASK_NUMBER = "［番号省略］"
MASK_NAME = "［氏名省略］"

_DIGITS = "0-9０-９〇零一二三四五六七八九"
_D = f"[{_DIGITS}]"
# Separators people type between digit groups, incl. 中黒 (・/･), half-width ｰ and slashes.
_SEP = r"[-‐‑–—−ー－ｰ 　.．()（）・･/／]"
_AT = r"[@＠]"
_EMAIL = re.compile(
    r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+\-＋．－]+" + r"\s*" + _AT + r"\s*" +
    r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+(?:\s*[.．]\s*[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+)+"
)
# Japanese phone numbers: 0X…, +81 …, 10–11 digits in groups (03-1234-5678, 090 1234 5678,
# (046)223-1511, 0120-123-456, ＋８１ ９０…, 〇九〇－一二三四－五六七八).
_PHONE = re.compile(
    r"(?:(?:\+|＋)\s*(?:81|８１)" + _SEP + r"*" + rf"|(?<![{_DIGITS}])[(（]?[0０〇零])"
    r"(?:" + _D + _SEP + r"{0,2}){8,10}" + _D + rf"(?![{_DIGITS}])"
)
# Any other run of 12 or more digits, separators allowed (個人番号 is 12 digits; card numbers longer).
_LONG_DIGITS = re.compile(rf"(?<![{_DIGITS}])" + _D + r"(?:" + _SEP + r"?" + _D + rf"){{11,}}(?![{_DIGITS}])")

# Between the parts of a name people put nothing, a space, an ideographic space or a 中黒.
_NAME_GAPS = set(" \t\u3000・･")
# Half-width voiced marks and combining (han)dakuten belong to the character before them
# (ﾀﾞ is one letter, ダ, after NFKC).
_MARKS = set("ﾞﾟ\u3099\u309a")
MIN_NAME_CHARS = 2     # a one-letter nickname would mask that letter everywhere


def _fold(text: str) -> str:
    """One spelling for comparing names: NFKC (width), case-folded, katakana as hiragana."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in folded)


def _folded_view(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` folded, without name gaps, and for each folded character its span in ``text``."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and text[j] in _MARKS:
            j += 1
        if text[i] not in _NAME_GAPS:
            for ch in _fold(text[i:j]):
                out.append(ch)
                spans.append((i, j))
        i = j
    return "".join(out), spans


def name_variants(name: str | None) -> list[str]:
    """The folded forms of a submitter's name to look for: the whole name, then each part.

    >>> name_variants("山田 太郎")
    ['山田太郎', '山田', '太郎']
    """
    parts = [p for p in re.split(r"[\s・･]+", (name or "").strip()) if p]
    whole = _folded_view("".join(parts))[0]
    found = [whole] + ([_folded_view(p)[0] for p in parts] if len(parts) > 1 else [])
    return list(dict.fromkeys(v for v in found if len(v) >= MIN_NAME_CHARS))


def _latin(ch: str) -> bool:
    """True for a Latin letter or digit, in any width (a, Ａ, ９)."""
    folded = _fold(ch)[:1]
    return folded.isascii() and folded.isalnum()


def mask_names(text: str, names: Iterable[str | None]) -> str:
    """``text`` with every appearance of the given names replaced by :data:`MASK_NAME`."""
    variants = [v for n in names for v in name_variants(n)]
    if not variants or not text:
        return text
    view, spans = _folded_view(text)
    hits: list[tuple[int, int]] = []
    for variant in sorted(set(variants), key=len, reverse=True):
        start = view.find(variant)
        while start != -1:
            a, b = spans[start][0], spans[start + len(variant) - 1][1]
            # A name in Latin letters must stand as a word ("Ken" is not in "Kendo").
            inside_word = _latin(variant[0]) and (a > 0 and _latin(text[a - 1]) or
                                                  b < len(text) and _latin(text[b]))
            if not inside_word:
                hits.append((a, b))
            start = view.find(variant, start + 1)
    if not hits:
        return text
    merged: list[list[int]] = []
    for a, b in sorted(hits):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, last = [], 0
    for a, b in merged:
        out += [text[last:a], MASK_NAME]
        last = b
    return "".join(out + [text[last:]])


def mask_personal(text: str, names: Iterable[str | None] = ()) -> str:
    """``text`` with emails, phone numbers, long digit strings and the given names replaced.

    Args:
        text: free text (a title or body).
        names: the submitter's own name(s) from the name field, to hide where they reappear.
    """
    text = _EMAIL.sub(MASK_EMAIL, text)
    text = _PHONE.sub(MASK_PHONE, text)
    text = _LONG_DIGITS.sub(MASK_NUMBER, text)
    return mask_names(text, names)


def personal_kinds(text: str, names: Iterable[str | None] = ()) -> list[str]:
    """Which kinds of personal data :func:`mask_personal` would hide in ``text``: any of
    ``"email"``, ``"phone"``, ``"number"``, ``"name"`` (empty when the text is clean)."""
    kinds = []
    for kind, pattern, mask in (("email", _EMAIL, MASK_EMAIL), ("phone", _PHONE, MASK_PHONE),
                                ("number", _LONG_DIGITS, MASK_NUMBER)):
        text, n = pattern.subn(mask, text)
        if n:
            kinds.append(kind)
    if mask_names(text, names) != text:
        kinds.append("name")
    return kinds


def excerpt(text: str, limit: int = 300, names: Iterable[str | None] = ()) -> str:
    """A masked excerpt of at most ``limit`` characters, cut with an ellipsis."""
    masked = mask_personal(text, names).strip()
    return masked if len(masked) <= limit else masked[: limit - 1].rstrip() + "…"
