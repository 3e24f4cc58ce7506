"""Cut a parsed :class:`Document` into the :class:`Chunk` units that are embedded, indexed and cited.

Granularity (``mode``), so the index can be tuned by measurement:

- ``"section"`` (default): one chunk per section that has items (the leaves of the outline:
  ``(ｱ) 職員の能力向上`` with its bullets, ``(2) 計画の位置付け・計画期間`` with its labels …).
  A section longer than ``max_chars`` is cut between items into the fewest parts that fit,
  balanced in size; a part that starts inside a run of bullets gets the line they hang from
  (「第４次行政改革・第５次行政改革 ➡ …」) in its ``match_text``.
- ``"window"``: windows of ``window`` consecutive items of a section (``stride`` apart; equal
  to ``window`` by default, i.e. no overlap). A caption (a short line that introduces the
  lines after it, :func:`is_caption`) opens a window and never ends one, so 「第６次行政改革」
  stays with 「量の削減から質の向上を意識した行政改革に転換」.
- ``"item"``: one chunk per item (a window of one).

Every chunk carries its heading context in ``section`` (the breadcrumb, original characters)
and in ``match_text`` (NFKC of breadcrumb + text), so lexical search hits headings too.
Glossary entries are always one chunk each, of kind ``"glossary"``.

Chunk ids (stable across rebuilds; never derived from the text):

- section mode: the section id (``s5-2``); further parts of a long section ``s5-2#2``, ``#3`` …
- window / item mode: ``s5-3-a-a/w1``, ``/w2`` … (1-based window ordinal within the section)
- glossary: the entry id (``g-ppp``; see :mod:`corpus.parser`).

So editing a bullet keeps its chunk's id and changes only that chunk's ``content_hash``
(sha256 of breadcrumb + ``"\\n"`` + text). Adding or removing bullets can shift the window
ordinals after the edit in window mode; in a section cut into parts, an edit that changes the
section's length can move the cut, changing the hash (never the ids) of its other parts too.
"""
from __future__ import annotations

import hashlib
from typing import Callable, Iterable, Sequence

from corpus.model import Chunk, Document, GlossaryEntry, Section
from corpus.normalize import is_bullet
from corpus.parser import glossary_markers, resolve_markers
from corpus.repair import nfkc

__all__ = ["chunk_document", "breadcrumb", "content_hash", "BREADCRUMB_SEP", "DEFAULT_MAX_CHARS",
           "MODES"]

BREADCRUMB_SEP = " › "
# Measured on the dev set with the default model and hybrid retriever (hit@1 / hit@3 / MRR@10,
# 40 in-scope questions, one index per setting): whole sections (400) .850/.950/.908,
# 200 .875/.975/.926, 160 .925/.975/.954, 120 .925/1.0/.958, 80 .900/.975/.943; windows of 3
# bullets .900/.975/.938, single bullets .850/.975/.908. Around 120 characters a chunk is one
# topic: (2) 計画の位置付け・計画期間 splits into its 【位置付け】 and 【計画期間】 blocks, and the
# long mixed section １ into its three runs, while most (ｱ) rows stay whole.
DEFAULT_MAX_CHARS = 120
MODES = ("section", "window", "item")
# Names shorter than this are not matched as glossary mentions without a ※ marker.
_MIN_ALIAS = 3


def breadcrumb(parts: Iterable[str]) -> str:
    """The display breadcrumb: ``"第４章 基本方針と計画期間 › ４－１ 計画期間"``."""
    return BREADCRUMB_SEP.join(parts)


def content_hash(section: str, text: str) -> str:
    """sha256 (hex) of the breadcrumb and the display text: changes when either changes."""
    return hashlib.sha256(f"{section}\n{text}".encode("utf-8")).hexdigest()


def _mentions(text: str, glossary: Sequence[GlossaryEntry], skip: str = "") -> list[str]:
    """Ids of glossary entries named in ``text`` (NFKC) without a ※ marker."""
    key = nfkc(text)
    out = []
    for e in glossary:
        if e.id == skip:
            continue
        if any(len(a) >= _MIN_ALIAS and a in key for a in e.aliases):
            out.append(e.id)
    return out


def _marks(glossary: Sequence[GlossaryEntry]) -> tuple[str, ...]:
    """The marks (※, ＊, 注) the glossary's entries are referenced by."""
    return tuple(dict.fromkeys(e.marker for e in glossary)) or ("※",)


def _refs(text: str, glossary: Sequence[GlossaryEntry]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(all referenced entry ids, the ones referenced by a ※N (＊N, 注N) marker)."""
    marked = resolve_markers(glossary_markers(text, _marks(glossary)), glossary)
    ids = dict.fromkeys(marked)
    ids.update(dict.fromkeys(_mentions(text, glossary)))
    return tuple(ids), marked


def _pack(items: Sequence[str], max_chars: int) -> list[tuple[int, int]]:
    """Item ranges [start, end) that cut a section into the fewest parts whose joined text
    stays within ``max_chars``, balanced so that no part is a lone leftover bullet.

    Items are never cut: an item longer than ``max_chars`` is a part of its own.
    """
    n = len(items)
    if n == 0:
        return []
    sizes = [len(item) + 1 for item in items]          # +1: the joining newline
    total = sum(sizes) - 1
    if total <= max_chars:
        return [(0, n)]
    longest_item = max(sizes) - 1
    limit = max(max_chars, longest_item)
    for parts in range(-(-total // max_chars), n + 1):
        ranges = _balanced(sizes, parts)
        if max(sum(sizes[a:b]) - 1 for a, b in ranges) <= limit:
            return ranges
    return [(i, i + 1) for i in range(n)]


def _balanced(sizes: Sequence[int], parts: int) -> list[tuple[int, int]]:
    """Split ``sizes`` into ``parts`` consecutive runs minimising the largest run (linear
    partition by dynamic programming; sections have tens of items at most)."""
    n = len(sizes)
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    inf = float("inf")
    # best[k][i]: smallest possible largest run when the first i items form k runs.
    best = [[inf] * (n + 1) for _ in range(parts + 1)]
    cut = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0
    for k in range(1, parts + 1):
        for i in range(k, n + 1):
            for j in range(k - 1, i):
                cost = max(best[k - 1][j], prefix[i] - prefix[j])
                if cost < best[k][i]:
                    best[k][i], cut[k][i] = cost, j
    ranges = []
    i = n
    for k in range(parts, 0, -1):
        j = cut[k][i]
        ranges.append((j, i))
        i = j
    return ranges[::-1]


def _windows(items: Sequence[str], window: int, stride: int, captions: bool = True) -> list[tuple[int, int]]:
    """Windows of ``window`` items, ``stride`` apart. With ``captions``, a caption (:func:`is_caption`)
    opens a window: a window ends before a caption met after its first item (unless the caption
    follows another caption), and a window never ends on a caption (it takes the next item)."""
    n = len(items)
    if n == 0:
        return []

    def cap(j: int) -> bool:
        return captions and j + 1 < n and is_caption(items[j], items[j + 1])

    out = []
    start = 0
    while True:
        end = min(start + window, n)
        for j in range(start + 1, end):
            if cap(j) and not cap(j - 1):
                end = j
                break
        while end < n and cap(end - 1):
            end += 1
        out.append((start, end))
        if end >= n:
            return out
        # Without overlap the next window starts where this one ended (even when moved).
        start = end if stride == window else start + stride


# A caption is at most this long (「第４次行政改革・第５次行政改革 ➡ 効果額 220 億円以上」 is 30).
_CAPTION_MAX = 40


def is_caption(item: str, following: str) -> bool:
    """True when ``item`` is a caption of ``following``, the item after it: a short single line
    without a bullet or sentence end that introduces the lines after it (「第６次行政改革」 over
    「量の削減から質の向上を意識した行政改革に転換」, 「第４次行政改革・第５次行政改革 ➡ …」 over its
    bullets). A bulleted line (・, ◆ …), a ※ note and a 【label】 block (which holds its own lines)
    are not captions, and a ※ note after a line is no content that line introduces."""
    line = item.strip()
    if not line or "\n" in line or len(line) > _CAPTION_MAX or following.strip().startswith(("※", "＊", "注")):
        return False
    return not is_bullet(line[0]) and line[0] not in "※＊【" and not line.endswith(("。", "．"))


def _lead(items: Sequence[str], start: int) -> str:
    """The nearest plain line before a window that starts inside a run of bullets: the
    line the bullets belong to (「第４次行政改革・第５次行政改革 ➡ …」 over 「・職員の削減」)."""
    if start == 0 or not items[start] or not is_bullet(items[start][0]):
        return ""
    for i in range(start - 1, -1, -1):
        if items[i] and not is_bullet(items[i][0]):
            # A 【label】 block or a ※ note closes over its own lines; bullets after it are not its.
            return "" if items[i][0] in "【※＊" else items[i]
    return ""


def _section_chunks(section: Section, doc: Document, mode: str, max_chars: int, window: int,
                    stride: int) -> list[Chunk]:
    crumb = breadcrumb(section.path)
    items = section.items
    if mode == "section":
        ranges = _pack(items, max_chars)
        ids = [section.id if k == 0 else f"{section.id}#{k + 1}" for k in range(len(ranges))]
    else:
        size = 1 if mode == "item" else window
        # Item mode stays one item per chunk, captions included.
        ranges = _windows(items, size, stride if mode == "window" else 1, captions=mode == "window")
        ids = [f"{section.id}/w{k + 1}" for k in range(len(ranges))]
    chunks = []
    for ident, (start, end) in zip(ids, ranges):
        text = "\n".join(items[start:end])
        lead = _lead(items, start)
        refs, marked = _refs(text, doc.glossary)
        match = nfkc(f"{crumb}\n{lead}\n{text}" if lead else f"{crumb}\n{text}")
        meta = {"level": section.level, "items": [start, end], "markers": list(marked)}
        if lead:
            meta["lead"] = lead
        # Pages from the file (no page markers): the page the chunk's first item is on.
        page = section.item_pages[start] if section.item_pages else section.page
        chunks.append(Chunk(id=ident, kind="body", section=crumb, page=page, text=text,
                            content_hash=content_hash(crumb, text), match_text=match,
                            glossary_refs=refs, section_id=section.id, meta=meta))
    return chunks


def _glossary_chunk(entry: GlossaryEntry, doc: Document) -> Chunk:
    crumb = breadcrumb((doc.glossary_title, entry.heading or f"{entry.marker}{entry.number} {entry.term}"))
    text = entry.definition
    match = nfkc(f"{crumb}\n{text}")
    # Names people type that the text does not contain (「ワークライフバランス」).
    extra = [a for a in entry.aliases if a not in match]
    if extra:
        match += "\n" + " ".join(extra)
    refs = tuple(_mentions(text, doc.glossary, skip=entry.id))
    meta = {"number": entry.number, "term": entry.term}
    return Chunk(id=entry.id, kind="glossary", section=crumb, page=entry.page, text=text,
                 content_hash=content_hash(crumb, text), match_text=match, glossary_refs=refs,
                 section_id=entry.id, meta=meta)


def chunk_document(doc: Document, *, mode: str = "section", max_chars: int = DEFAULT_MAX_CHARS,
                   window: int = 3, stride: int | None = None, glossary: bool = True,
                   progress: Callable[[int, int], None] | None = None) -> list[Chunk]:
    """Cut ``doc`` into chunks: body chunks in reading order, then one chunk per glossary entry.

    Args:
        doc: the parsed document.
        mode: ``"section"`` (default), ``"window"`` or ``"item"`` — see the module docstring.
        max_chars: section mode: longest text of one chunk before the section is cut in parts.
        window: window mode: items per chunk.
        stride: window mode: items between window starts (default ``window``: no overlap).
        glossary: include the glossary chunks.
        progress: optional ``progress(done, total)`` after each section and glossary entry.

    Returns:
        The chunks; ids are unique.

    Raises:
        ValueError: unknown mode or a non-positive size.
    """
    if mode not in MODES:
        raise ValueError(f"unknown chunk mode {mode!r}; use one of {', '.join(MODES)}")
    if max_chars < 1 or window < 1 or (stride is not None and stride < 1):
        raise ValueError("max_chars, window and stride must be positive")
    chunks: list[Chunk] = []
    entries = doc.glossary if glossary else ()
    total, done = len(doc.sections) + len(entries), 0
    for section in doc.sections:
        if section.items:
            chunks.extend(_section_chunks(section, doc, mode, max_chars, window, stride or window))
        done += 1
        if progress:
            progress(done, total)
    for entry in entries:
        chunks.append(_glossary_chunk(entry, doc))
        done += 1
        if progress:
            progress(done, total)
    return chunks
