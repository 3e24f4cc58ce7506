"""Mask personal data inside free text before it leaves the store (Slack, exports, previews).

Emails, phone numbers and My-Number-like digit strings (12 digits, with or without separators)
are replaced; full-width digits and symbols are recognised as well as ASCII ones.
"""
from __future__ import annotations

import re

MASK_EMAIL = "［メール省略］"
MASK_PHONE = "［電話番号省略］"
MASK_NUMBER = "［番号省略］"

_D = r"[0-9０-９]"
# Separators people type between digit groups, incl. 中黒 (・/･), half-width ｰ and slashes.
_SEP = r"[-‐‑–—−ー－ｰ 　.．()（）・･/／]"
_AT = r"[@＠]"
_EMAIL = re.compile(
    r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+\-＋．－]+" + r"\s*" + _AT + r"\s*" +
    r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+(?:\s*[.．]\s*[A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+)+"
)
# Japanese phone numbers: 0X…, +81 …, 10–11 digits in groups (03-1234-5678, 090 1234 5678,
# (046)223-1511, 0120-123-456, ＋８１ ９０…).
_PHONE = re.compile(
    r"(?:(?:\+|＋)\s*(?:81|８１)" + _SEP + r"*" + r"|(?<![0-9０-９])[(（]?[0０])"
    r"(?:" + _D + _SEP + r"{0,2}){8,10}" + _D + r"(?![0-9０-９])"
)
# Any other run of 12 or more digits, separators allowed (個人番号 is 12 digits; card numbers longer).
_LONG_DIGITS = re.compile(r"(?<![0-9０-９])" + _D + r"(?:" + _SEP + r"?" + _D + r"){11,}(?![0-9０-９])")


def mask_personal(text: str) -> str:
    """``text`` with emails, phone numbers and long digit strings replaced by placeholders."""
    text = _EMAIL.sub(MASK_EMAIL, text)
    text = _PHONE.sub(MASK_PHONE, text)
    text = _LONG_DIGITS.sub(MASK_NUMBER, text)
    return text


def excerpt(text: str, limit: int = 300) -> str:
    """A masked excerpt of at most ``limit`` characters, cut with an ellipsis."""
    masked = mask_personal(text).strip()
    return masked if len(masked) <= limit else masked[: limit - 1].rstrip() + "…"
