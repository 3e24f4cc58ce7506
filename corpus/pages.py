"""Pages of a source text: running headers, footers and page numbers removed, each line's page kept.

Pages are separated by form feeds (``\\f``: the PDF reader puts one between pages, as ``pdftotext``
does). A text without form feeds is cut into pages at its page-number lines (「- 3 -」 closing each
page, or opening it when the text starts with one).

On each page, the first and last :data:`ZONE` lines are where running lines stand:

- a page-number line (「- 3 -」, 「3」, 「3/12」, 「P.3」) is removed and gives the page's printed number;
- a line that stands there on most pages, once its digits are masked (so 「11/27/26, 10:55 PM」 and
  「file:///…/outline.txt 3/7」 repeat even though their numbers vary), is a running header or footer and
  is removed; a number in it that grows with the page (「3/7」) is the page's printed number. A line
  numbered like a heading counts only as the very first or last line of a page: 「(1) 事業の目的」 under
  the title of every sheet of an evaluation is content, 「第２章 基本計画」 above every page a header.

The first line of the first page is kept even when it repeats as a running header (a plan's name
printed at the top of every page is also its title), unless it holds a URL, a time or a date. A page's number is its printed number, else one counted from a neighbour that has one,
else (with form feeds) its place in the file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from corpus.normalize import canonical_line
from corpus.schemes import match_heading, page_number_line

__all__ = ["Line", "PagedText", "read_pages", "ZONE"]

ZONE = 3               # lines at the top and at the bottom of a page where running lines are looked for
_DIGITS = re.compile(r"[0-9０-９]+")


@dataclass(frozen=True)
class Line:
    """One line of text and the page it is on (None when the source has no pages)."""

    text: str
    page: int | None = None
    indent: bool = False     # it began with an ideographic space: a new paragraph (字下げ)


# The paragraph indent: an ideographic space (U+3000), which Chromium's PDF text layer gives as an
# em space (U+2003).
_INDENTS = ("\u3000", "\u2003")


def _lines(page: str) -> list[Line]:
    out = []
    for raw in page.splitlines():
        text = canonical_line(raw)
        if text:
            out.append(Line(text, None, raw.lstrip(" \t").startswith(_INDENTS)))
    return out


@dataclass(frozen=True)
class PagedText:
    """A source's lines in reading order, in canonical form, with what was taken out."""

    lines: tuple[Line, ...]          # the text's non-blank lines, running lines and page numbers removed
    removed: tuple[Line, ...] = ()   # the running headers/footers and page-number lines removed
    pages: int = 1                   # pages in the source (1 when it has none)
    printed: bool = False            # page numbers were printed on the pages (not counted)
    blank_pages: tuple[int, ...] = ()   # pages (1-based places in the file) with no text at all


def _key(line: str) -> str:
    return _DIGITS.sub("#", line)


def _split_at_number_lines(lines: list[Line]) -> tuple[list[tuple[list[Line], int | None]], list[Line]] | None:
    """Pages of a text without form feeds, cut at its page-number lines (with those lines), or None
    when it has none."""
    marks = [(i, page_number_line(line.text)) for i, line in enumerate(lines)]
    marks = [(i, m) for i, m in marks if m]
    decorated = [(i, n) for i, (n, dec) in marks if dec]
    bare = [(i, n) for i, (n, dec) in marks if not dec]
    # A bare number counts only in an increasing run of them (a table cell 「3」 is not a page).
    if len(bare) < 2 or any(b[1] <= a[1] for a, b in zip(bare, bare[1:])):
        bare = []
    cuts = sorted(decorated + bare)
    if not cuts:
        return None
    pages: list[tuple[list[Line], int | None]] = []
    header = cuts[0][0] == 0     # the text opens with its first page number: numbers head their pages
    start, number = 0, None
    for i, n in cuts:
        if header:
            if i > start:
                pages.append((lines[start:i], number))
            start, number = i + 1, n
        else:
            pages.append((lines[start:i], n))
            start = i + 1
    rest = lines[start:]
    if rest:
        pages.append((rest, number if header else (cuts[-1][1] + 1)))
    return pages, [Line(lines[i].text, n) for i, n in cuts]


def read_pages(text: str) -> PagedText:
    """The lines of ``text`` with their pages, running headers/footers and page numbers removed.

    Args:
        text: a source's text as read (pages separated by form feeds, if it has pages).

    Returns:
        The :class:`PagedText`; every line is in canonical form (:func:`corpus.normalize.canonical_line`).
    """
    raw_pages = text.split("\f")
    if len(raw_pages) > 1 and not raw_pages[-1].strip():
        raw_pages.pop()                     # a final form feed ends the last page
    pages = [_lines(p) for p in raw_pages]
    blank = tuple(i + 1 for i, p in enumerate(pages) if not p)
    removed: list[Line] = []
    printed: list[int | None]
    counted = len(pages) > 1                # pages from the file, counted from 1
    if not counted:
        cut = _split_at_number_lines(pages[0]) if pages else None
        if cut is None:
            return PagedText(tuple(pages[0]) if pages else (), (), 1, False, ())
        cut_pages, removed = cut
        pages = [p for p, _ in cut_pages]
        printed = [n for _, n in cut_pages]
    else:
        printed = [None] * len(pages)
        for i, page in enumerate(pages):
            keep = []
            for j, line in enumerate(page):
                number = page_number_line(line.text)
                in_zone = j < ZONE or j >= len(page) - ZONE
                if number and (number[1] or in_zone):
                    if in_zone and printed[i] is None:
                        printed[i] = number[0]
                    removed.append(Line(line.text, i + 1))
                    continue
                keep.append(line)
            pages[i] = keep
    running = _running_keys(pages)
    if running:
        for i, n in enumerate(_numbers_in_running(pages, running)):
            if printed[i] is None and n is not None:
                printed[i] = n
        for i, page in enumerate(pages):
            keep = []
            for j, line in enumerate(page):
                in_zone = j < ZONE or j >= len(page) - ZONE
                if _may_run(page, j) and _key(line.text) in running and not (i == 0 and j == 0 and _titlelike(line.text)):
                    removed.append(Line(line.text, i + 1 if counted else printed[i]))
                    continue
                keep.append(line)
            pages[i] = keep
    has_printed = any(n is not None for n in printed)
    numbers = _fill(printed) if has_printed else [i + 1 for i in range(len(pages))]
    lines = tuple(Line(line.text, numbers[i], line.indent) for i, page in enumerate(pages) for line in page)
    return PagedText(lines, tuple(removed), len(pages), has_printed, blank)


# What a title never holds and page furniture often does: a URL, a time of day, a date, 「n/N」.
_FURNITURE = re.compile(r"://|[0-9]{1,2}:[0-9]{2}|[0-9]+/[0-9]+/[0-9]+|[0-9]+ ?/ ?[0-9]+$")


def _titlelike(text: str) -> bool:
    """Whether a running line at the very top of the first page may be the document's title (a
    plan's name printed as the running header), not a date, a URL or a page count."""
    return not _FURNITURE.search(text)


def _may_run(page: Sequence[Line], j: int) -> bool:
    """Whether line ``j`` of ``page`` stands where a running header or footer can."""
    if not (j < ZONE or j >= len(page) - ZONE):
        return False
    return j in (0, len(page) - 1) or match_heading(page[j].text) is None


def _zone(page: Sequence[Line]) -> list[str]:
    return [line.text for j, line in enumerate(page) if _may_run(page, j)]


def _running_keys(pages: Sequence[Sequence[Line]]) -> set[str]:
    """Digit-masked lines that stand in the top or bottom zone of most pages."""
    with_text = [p for p in pages if p]
    if len(with_text) < 2:
        return set()
    counts: dict[str, int] = {}
    for page in with_text:
        for key in {_key(text) for text in _zone(page)}:
            counts[key] = counts.get(key, 0) + 1
    need = max(2, -(-len(with_text) // 2))
    return {k for k, c in counts.items() if c >= need}


def _numbers_in_running(pages: Sequence[Sequence[Line]], running: set[str]) -> list[int | None]:
    """Per page, a number in a running line that grows by one from page to page (「3/7」), if any.

    Of several such numbers (a time that moves on by a minute a page would be one) the one that
    counts from 1 is taken, else the one nearest its line's end.
    """
    candidates: list[tuple[int, int, dict[int, int]]] = []     # (|offset|, -position, page -> number)
    for key in sorted(running):
        if "#" not in key:
            continue
        per_page: dict[int, list[int]] = {}
        for i, page in enumerate(pages):
            for text in _zone(page):
                if _key(text) == key:
                    per_page[i] = [int(_ascii_digits(d)) for d in _DIGITS.findall(text)]
                    break
        if len(per_page) < 2:
            continue
        width = min(len(v) for v in per_page.values())
        for pos in range(width):
            offsets = {v[pos] - i for i, v in per_page.items()}
            if len(offsets) == 1 and len({v[pos] for v in per_page.values()}) > 1:
                candidates.append((abs(offsets.pop() - 1), -pos, {i: v[pos] for i, v in per_page.items()}))
    found: list[int | None] = [None] * len(pages)
    if candidates:
        for i, n in min(candidates, key=lambda c: c[:2])[2].items():
            found[i] = n
    return found


def _ascii_digits(s: str) -> str:
    return s.translate({0xFF10 + d: str(d) for d in range(10)})


def _fill(printed: Sequence[int | None]) -> list[int | None]:
    """Printed page numbers with the gaps counted from the nearest printed neighbour (never below 1)."""
    out = list(printed)
    known = [i for i, n in enumerate(printed) if n is not None]
    for i, n in enumerate(out):
        if n is None:
            j = min(known, key=lambda k: abs(k - i))
            guess = printed[j] + (i - j)
            out[i] = guess if guess >= 1 else None
    return out
