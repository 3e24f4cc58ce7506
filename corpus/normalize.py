"""The canonical characters and spacing of source text, the same whatever the file's format.

A ``.txt`` and the PDF printed from it must give the same sections and chunks. A PDF's text layer
differs from the text it was made from in two ways, and both are undone here, for every format alike:

1. Code points (:func:`fold_chars`). A CJK font draws 行 and the Kangxi radical ⾏ with one glyph, and
   the PDF writer may record either in the text layer (Chromium's print to PDF with Noto CJK records
   ⾏ ⼤ ⽬ ⺠ for 行 大 目 民, and ‧ for ・). Folded, from maintained data rather than a list of our own:
   CJK radicals and strokes to the ideograph Unicode names as equivalent (``unicode/EquivalentUnifiedIdeograph.txt``;
   NFKC covers the Kangxi Radicals block but not the CJK Radicals Supplement, where ⺠ is), CJK
   compatibility ideographs and Latin ligatures (ﬁ) by their NFKC decomposition, and ‧ (U+2027
   HYPHENATION POINT) to ・ except between two Latin letters. Nothing else changes: the document's own
   full-width digits and letters, ①, Ⅰ and ｱ stay as written (NFKC is for matching only, see
   :func:`corpus.repair.nfkc`). The few characters that Japanese encodings map two ways (〜/～,
   −/－, ‖/∥ …: JIS X 0208 as Shift_JIS has them, and Microsoft's CP932) take their CP932 form, the
   one Windows, where city offices write their plans, gives; the pairs come from Python's own
   ``shift_jis`` and ``cp932`` codec tables.
2. Spacing. Text extraction adds spaces where the font changes (「で 20 億円」 for 「で20億円」) and
   around brackets (「（ 2013 ）」). :func:`canonical_spacing` (applied to every physical line before
   the structure is read) collapses runs of spaces and drops those inside brackets, next to
   full-width punctuation, between a note mark and its number (「※ 1」) and after a leading bullet;
   :func:`display_spacing` (applied to titles, items and definitions once the structure is read,
   because 「1 Background」 needs its space to be read as a heading) drops spaces between Japanese
   text and half-width letters or digits. Japanese text is set without such spaces; a text file
   typed with them (「全国 812 市区」) gives the same chunk as its PDF (「全国812市区」).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

__all__ = ["fold_chars", "canonical_spacing", "display_spacing", "canonical_line", "EQUIVALENT_IDEOGRAPHS",
           "is_bullet"]

EQUIVALENT_IDEOGRAPHS = Path(__file__).resolve().parent / "unicode" / "EquivalentUnifiedIdeograph.txt"

# Blocks whose code points are folded by their NFKC form: Kangxi Radicals, CJK Compatibility
# Ideographs (and Supplement), Alphabetic Presentation Forms (the ﬁ ﬂ ligatures).
_NFKC_BLOCKS = ((0x2F00, 0x2FDF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F), (0xFB00, 0xFB4F))
_EUI_LINE = re.compile(r"^([0-9A-F]{4,6})(?:\.\.([0-9A-F]{4,6}))?\s*;\s*([0-9A-F]{4,6})")
_HYPHENATION_POINT = re.compile(r"‧(?![A-Za-z])|(?<![A-Za-z])‧")


def _jis_to_cp932() -> dict[int, str]:
    """Characters that Shift_JIS (JIS X 0208) and CP932 decode differently from the same bytes."""
    table: dict[int, str] = {}
    for lead in list(range(0x81, 0xA0)) + list(range(0xE0, 0xFD)):
        for trail in range(0x40, 0xFD):
            code = bytes((lead, trail))
            try:
                jis, cp932 = code.decode("shift_jis"), code.decode("cp932")
            except UnicodeDecodeError:
                continue
            if jis != cp932:
                table[ord(jis)] = cp932
    return table


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = _jis_to_cp932()
    for lo, hi in _NFKC_BLOCKS:
        for cp in range(lo, hi + 1):
            c = chr(cp)
            folded = unicodedata.normalize("NFKC", c)
            if folded != c:
                table[cp] = folded
    for line in EQUIVALENT_IDEOGRAPHS.read_text(encoding="utf-8").splitlines():
        m = _EUI_LINE.match(line)
        if m:
            lo = int(m.group(1), 16)
            hi = int(m.group(2), 16) if m.group(2) else lo
            for cp in range(lo, hi + 1):
                table[cp] = chr(int(m.group(3), 16))
    return table


def fold_chars(text: str) -> str:
    """``text`` with radicals, compatibility ideographs and ligatures folded (see the module docstring).

    Args:
        text: text as extracted or read.

    Returns:
        The same text with only those code points replaced.
    """
    text = text.translate(_fold_table())
    if "‧" in text:
        text = _HYPHENATION_POINT.sub("・", text)
    return text


_SPACES = re.compile(r"[ \t\u3000\u00a0\u2000-\u200a\u202f\u205f]+")
_OPENERS = "（(「『【〔［[｛{〈《"
_CLOSERS = "）)」』】〕］]｝}〉》"
# Full-width punctuation (、。，．：；！？ and full-width brackets) carries its own spacing. Not ・:
# 「推進 ・市民活動…」 is a bullet standing after a heading on its line (a table row).
_WIDE_PUNCT = "".join(chr(c) for c in list(range(0x3001, 0x3004)) + list(range(0x3008, 0x3012))
                      + list(range(0x3014, 0x301C))
                      + [cp for cp in range(0xFF01, 0xFF61)
                         if unicodedata.category(chr(cp)) in ("Po", "Ps", "Pe")])
_INSIDE_BRACKETS = re.compile(rf"(?<=[{re.escape(_OPENERS)}]) | (?=[{re.escape(_CLOSERS)}])")
_AROUND_WIDE_PUNCT = re.compile(rf" (?=[{re.escape(_WIDE_PUNCT)}])|(?<=[{re.escape(_WIDE_PUNCT)}]) ")
# 「※ 1」「＊ 2」「注 3」 -> 「※1」: a note mark is written against its number.
_NOTE_NUMBER = re.compile(r"((?:[※＊*]|(?<![\u3400-\u9fff])注)) (?=[0-9０-９])")
# Symbols a CJK font may not have, so that a PDF draws them in another font and extraction puts a
# space before them (「基本方針 Ⅰ」, 「※ この文書は」): roman numerals, circled numbers, ※, shapes.
_SYMBOLS = "\u2160-\u217f\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf\u203b\u25a0-\u25ff"
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_SPACE_BEFORE_SYMBOL = re.compile(rf"(?<=[{_CJK}]) (?=[{_SYMBOLS}])|(?<=※) (?=[{_CJK}])")

# Bullets: the Geometric Shapes block (■□▲△▼▽◆◇○◎●…), the stars, and the bullet and middle dots.
_BULLET_RANGES = ((0x25A0, 0x25FF), (0x2605, 0x2606), (0x2022, 0x2023), (0x2043, 0x2043), (0x30FB, 0x30FB),
                  (0xFF65, 0xFF65), (0x2756, 0x2756))


def is_bullet(char: str) -> bool:
    """True for a character that marks a list item at the start of a line (・ ● ○ ◆ ▲ ■ ★ • …)."""
    if not char:
        return False
    cp = ord(char[0])
    return any(lo <= cp <= hi for lo, hi in _BULLET_RANGES)


def canonical_spacing(line: str) -> str:
    """One physical line with extraction spacing undone, structure intact (see the module docstring).

    Args:
        line: one line of text, characters already folded.

    Returns:
        The line stripped, runs of spaces (ideographic included) as one ASCII space, no space inside
        brackets, around full-width punctuation, between a note mark and its number, between
        Japanese text and a following symbol (Ⅰ ① ※ ◆), or after a leading bullet.
    """
    line = _SPACES.sub(" ", line).strip(" \ufeff\f\v")
    if " " not in line:
        return line
    line = _INSIDE_BRACKETS.sub("", line)
    line = _AROUND_WIDE_PUNCT.sub("", line)
    line = _NOTE_NUMBER.sub(r"\1", line)
    line = _SPACE_BEFORE_SYMBOL.sub("", line)
    if len(line) > 1 and line[1] == " " and is_bullet(line[0]):
        line = line[0] + line[2:]
    return line


def canonical_line(line: str) -> str:
    """:func:`fold_chars` then :func:`canonical_spacing`: the form every physical line is read in."""
    return canonical_spacing(fold_chars(line))


# Japanese text: kana, CJK ideographs, CJK symbols and punctuation, full-width forms.
_JA = r"\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef※"
_JA_ALNUM_SPACE = re.compile(rf"(?<=[{_JA}]) +(?=[0-9A-Za-z])|(?<=[0-9A-Za-z]) +(?=[{_JA}])")


def display_spacing(text: str) -> str:
    """``text`` without spaces between Japanese text and half-width letters or digits.

    Args:
        text: a title, item or definition (may hold several lines).

    Returns:
        The text as chunks show it: 「全国 812 市区」 and 「全国812市区」 both give 「全国812市区」.
    """
    return _JA_ALNUM_SPACE.sub("", text)
