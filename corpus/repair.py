"""Repair PDF-extracted outline text into logical lines.

PDF text extraction of the outline leaves blank lines between every line, breaks lines in
the middle of words (「マイナンバ」+「ーカード」, 「随」+「時」) and splits table cells over
several lines (「(ｲ) 持続可能な行政運営を」「実現する組織体制の構」「築」). This module turns
that into one line per logical item (a heading, a bullet, a label, a paragraph) while keeping
the original characters for display; :func:`nfkc` gives the form used for matching.

The join rules are general, not tied to this file's words. A physical line is joined to the
previous one when the next line does not start a new item (bullet, numbered heading, label,
※ note, enumerated label such as 「重点目標２ 」 or 「第１期：」) and one of these holds:

1. the next line starts with a character that cannot start a Japanese item (hiragana, small
   kana, 「ー」, 「、」, closing brackets) — unless the previous line ended a sentence (。);
2. the previous line ends mid-phrase: with hiragana (a particle or verb stem), 「、」, 「・」
   or an opening bracket — but not with 「など」, which closes a bullet;
3. the previous line ends in katakana and the next starts in katakana (a split word);
4. the next line is a single character (nothing can stand alone as one character);
5. the previous line is about as wide as the text column (the extractor wrapped it), in
   display width against the 95th-percentile line width of the file.

A line indented with an ideographic space (字下げ) opens a paragraph. After a numbered heading,
hiragana can start the paragraph under it (「さくら市では、…」), so rule 1 does not apply to
hiragana there, and a line holding a sentence (。) or as wide as the column is never the rest of
a short heading. A numbered line starts an item only when its number fits its scheme's sequence
(:class:`corpus.schemes.Sequence`): 「11 ポイント上昇」 at the start of a wrapped line is no heading.
Lines come in canonical form with their pages (:mod:`corpus.pages`); each logical line keeps the
page of its first physical line.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from corpus.normalize import is_bullet
from corpus.pages import Line, read_pages
from corpus.schemes import Sequence as NumberSequence
from corpus.schemes import glossary_heading, match_heading, page_marker

__all__ = ["nfkc", "repair_lines", "repair_text", "repair_page_lines", "display_width", "starts_new_item"]

# Lines at least this fraction of the column width are taken as wrapped by the extractor.
# The column width is the 95th percentile of line widths (robust to a few over-long lines in a
# hand-edited copy). Measured on the outline: column 78 display columns; wrapped lines that
# end in a complete word are 68 and up; the widest line that ends an item on its own and is
# followed by plain text is 62 (the ◆ caption). 0.83 * 78 = 64.7 sits between.
FULL_LINE_RATIO = 0.83
COLUMN_PERCENTILE = 0.95

_CLOSERS = "）)」』】〕］]｝}〉》"
_OPENERS = "（(「『【〔［[｛{〈《"
_SMALL_KANA = "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"

# 「重点目標２ …」, 「第１期：…」: a short word with a number, then a space or a colon.
_ENUMERATED = re.compile(r"^[^\s、。，0-9０-９（）()「」・]{1,8}[0-9０-９]{1,2}[^\s、。0-9０-９]{0,2}[ 　：:]")
_INLINE_BULLET = re.compile(r"[ 　]+(?=・\S)")
# A note: 「※主な取組は…」, 「＊1 …」, 「注1 …」, 「注：…」.
_NOTE_START = re.compile(r"^(?:[※＊*]|注(?=[0-9０-９:：）)]))")
# A particle right after a marker: 「※4 の推進」 continues a sentence, 「※9 まちづくり…」 is a term.
_PARTICLES = "のをでにがはとへやもか"
_MARK = r"(?:[※＊*]|注)"
_MARKER_CONTINUES = re.compile(rf"^{_MARK}\s*[0-9０-９]+(?:[^\s0-9０-９]|[ 　]+[{_PARTICLES}])")
# 「※8 キャッシュレス決済」: a glossary heading without its 【P.x】 is complete on its own line.
_BARE_ENTRY = re.compile(rf"^{_MARK}\s*[0-9０-９]+[ 　]+[^\s{_PARTICLES}][^。、]{{0,38}}$")


def nfkc(text: str) -> str:
    """The NFKC form of ``text`` (full/half width unified), used for matching, never display.

    Args:
        text: original text.

    Returns:
        The normalized text.
    """
    return unicodedata.normalize("NFKC", text)


def display_width(text: str) -> int:
    """Display width: 2 for wide/full-width (and ambiguous) characters, 1 otherwise."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


def _is_hiragana(c: str) -> bool:
    return "\u3041" <= c <= "\u309f"


def _is_katakana(c: str) -> bool:
    return ("\u30a1" <= c <= "\u30fa") or c == "ー" or ("\uff66" <= c <= "\uff9d")


def starts_new_item(line: str) -> bool:
    """True when ``line`` begins an item of its own (bullet, numbered heading, label, note …).

    Whether a heading's number fits its scheme's sequence is not checked here (see
    :func:`repair_page_lines`).
    """
    if not line:
        return False
    if is_bullet(line[0]) or line[0] == "【":
        return True
    if _NOTE_START.match(line):
        # 「※主な取組は…」 (a note) and 「※3 ＰＰＰ…」 (a glossary entry) start items; a line the
        # extractor wrapped just before a marker (「※1で全国１位」, 「※4 の推進」) does not.
        return not _MARKER_CONTINUES.match(line)
    return bool(match_heading(line) or _ENUMERATED.match(line) or glossary_heading(line))


def _standalone(line: str) -> bool:
    """Lines that are complete by construction: a heading with its page, a closed label."""
    return bool(page_marker(line) is not None or line.endswith("】") or _BARE_ENTRY.match(line)
                or glossary_heading(line))


def _starts_continuation(line: str, after_heading: bool = False) -> bool:
    c = line[0]
    if _MARKER_CONTINUES.match(line):
        return True   # a note marker belongs to the word before it
    # Hiragana can start the paragraph under a heading (「さくら市では、…」); the rest cannot start anything.
    return (_is_hiragana(c) and not after_heading) or c in _SMALL_KANA or c in "ー、。，．,." or c in _CLOSERS


def _should_join(prev: str, line: str, new_item: bool, full_width: float, after_heading: bool = False) -> bool:
    """Whether physical ``line`` continues the logical line whose last physical line is ``prev``
    (``after_heading``: that logical line is a numbered heading)."""
    if new_item or _standalone(prev):
        return False
    if after_heading and display_width(prev) < full_width and (display_width(line) >= full_width or "。" in line):
        return False   # a sentence, or a line as wide as the column, is a paragraph, not the heading's rest
    last = prev[-1]
    if last in "。！？!?":
        return False
    if _starts_continuation(line, after_heading):
        return True
    if prev.endswith("など"):
        return False
    if _is_hiragana(last) or last in "、，,・" or last in _OPENERS:
        return True
    if _is_katakana(last) and _is_katakana(line[0]):
        return True
    if len(line) == 1:
        return True
    return display_width(prev) >= full_width


def _join(left: str, right: str) -> str:
    # Japanese joins without a space; two Latin words broken at a line end get one back.
    if left[-1].isascii() and left[-1].isalpha() and right[0].isascii() and right[0].isalpha():
        return f"{left} {right}"
    return left + right


def _physical_lines(lines: Sequence[Line]) -> list[Line]:
    out: list[Line] = []
    for line in lines:
        # 「(ｱ) 更なる市民協働の推進 ・市民活動団体と…」: a table row with the bullet on the
        # heading's line. A bullet after whitespace starts its own item.
        parts = [part for part in _INLINE_BULLET.split(line.text) if part]
        out.extend(Line(part, line.page, line.indent and k == 0) for k, part in enumerate(parts))
    return out


def repair_page_lines(lines: Sequence[Line]) -> list[Line]:
    """Logical lines of physical ``lines``: broken lines joined, each with the page it starts on.

    A numbered heading starts a new item only when its number fits its scheme's sequence
    (:class:`corpus.schemes.Sequence`): 「11 ポイント上昇」 at the start of a wrapped line continues
    the line before.

    Args:
        lines: physical lines in canonical form (:func:`corpus.pages.read_pages`).

    Returns:
        One :class:`~corpus.pages.Line` per heading, bullet, label or paragraph.
    """
    physical = _physical_lines(lines)
    if not physical:
        return []
    widths = sorted(display_width(line.text) for line in physical)
    column = widths[min(len(widths) - 1, int(COLUMN_PERCENTILE * len(widths)))]
    full_width = FULL_LINE_RATIO * column
    numbers = NumberSequence()
    logical: list[Line] = []
    prev, in_heading = "", False
    for line in physical:
        text = line.text
        new_item = starts_new_item(text)
        heading = match_heading(text) if new_item else None
        if heading is not None and not numbers.plausible(heading) and not _ENUMERATED.match(text):
            new_item, heading = False, None
        # An ideographic-space indent (字下げ) opens a paragraph.
        new_item = new_item or line.indent
        if logical and _should_join(prev, text, new_item, full_width, in_heading):
            logical[-1] = Line(_join(logical[-1].text, text), logical[-1].page)
        else:
            logical.append(line)
            in_heading = heading is not None
            if heading is not None:
                numbers.accept(heading)
        prev = text
    return logical


def repair_lines(text: str) -> list[str]:
    """Logical lines of extracted ``text``: running headers and page numbers dropped
    (:func:`corpus.pages.read_pages`), blank lines dropped, broken lines joined.

    Args:
        text: the extracted text, as decoded from the source file.

    Returns:
        One string per heading, bullet, label or paragraph, in canonical characters.
    """
    return [line.text for line in repair_page_lines(read_pages(text).lines)]


def repair_text(text: str) -> str:
    """:func:`repair_lines` joined with newlines (handy for inspection and diffs)."""
    return "\n".join(repair_lines(text))
