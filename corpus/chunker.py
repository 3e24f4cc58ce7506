"""Cut a parsed :class:`Document` into the :class:`Chunk` units that are embedded, indexed and cited.

Granularity (``mode``), so the index can be tuned by measurement:

- ``"section"`` (default): one chunk per section that has items (the leaves of the outline:
  ``(ｱ) 職員の能力向上`` with its bullets, ``(2) 計画の位置付け・計画期間`` with its labels …).
  A section longer than ``max_chars`` is cut between items into parts.
- ``"window"``: windows of ``window`` consecutive items of a section (``stride`` apart; equal
  to ``window`` by default, i.e. no overlap).
- ``"item"``: one chunk per item (a window of one).

Every chunk carries its heading context in ``section`` (the breadcrumb, original characters)
and in ``match_text`` (NFKC of breadcrumb + text), so lexical search hits headings too.
Glossary entries are always one chunk each, of kind ``"glossary"``.

Chunk ids (stable across rebuilds; never derived from the text):

- section mode: the section id (``s5-2``); further parts of a long section ``s5-2#2``, ``#3`` …
- window / item mode: ``s5-3-a-a/w1``, ``/w2`` … (1-based window ordinal within the section)
- glossary: the entry id (``g-ppp``; see :mod:`corpus.parser`).

So editing a bullet keeps its chunk's id and changes only that chunk's ``content_hash``
(sha256 of breadcrumb + ``"\\n"`` + text); adding or removing bullets can shift the window
ordinals after the edit in window mode, and the part numbers of a section cut into parts.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

from corpus.model import Chunk, Document, GlossaryEntry, Section
from corpus.parser import glossary_markers, resolve_markers
from corpus.repair import nfkc

__all__ = ["chunk_document", "breadcrumb", "content_hash", "BREADCRUMB_SEP", "DEFAULT_MAX_CHARS",
           "MODES"]

BREADCRUMB_SEP = " › "
# Every section of the bundled outline fits (the largest, １, is 331 characters), so by default
# a chunk is exactly one section; longer sections of a revised outline are cut between items.
DEFAULT_MAX_CHARS = 400
MODES = ("section", "window", "item")
# Names shorter than this are not matched as glossary mentions without a ※ marker.
_MIN_ALIAS = 3
_BULLETS = "・◆◇■□●○◎★☆▶►▷"


def breadcrumb(parts: Iterable[str]) -> str:
    """The display breadcrumb: ``"５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間"``."""
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


def _refs(text: str, glossary: Sequence[GlossaryEntry]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(all referenced entry ids, the ones referenced by a ※N marker)."""
    marked = resolve_markers(glossary_markers(text), glossary)
    ids = dict.fromkeys(marked)
    ids.update(dict.fromkeys(_mentions(text, glossary)))
    return tuple(ids), marked


def _pack(items: Sequence[str], max_chars: int) -> list[tuple[int, int]]:
    """Item ranges [start, end) whose joined text stays within ``max_chars`` (an item longer
    than that is a part of its own: items are never cut)."""
    ranges: list[tuple[int, int]] = []
    start, size = 0, 0
    for i, item in enumerate(items):
        add = len(item) + (1 if i > start else 0)
        if i > start and size + add > max_chars:
            ranges.append((start, i))
            start, size = i, len(item)
        else:
            size += add
    if items:
        ranges.append((start, len(items)))
    return ranges


def _windows(n: int, window: int, stride: int) -> list[tuple[int, int]]:
    if n == 0:
        return []
    out = []
    start = 0
    while True:
        end = min(start + window, n)
        out.append((start, end))
        if end >= n:
            return out
        start += stride


def _lead(items: Sequence[str], start: int) -> str:
    """The nearest plain line before a window that starts inside a run of bullets: the
    line the bullets belong to (「第４次行政改革・第５次行政改革 ➡ …」 over 「・職員の削減」)."""
    if start == 0 or not items[start] or items[start][0] not in _BULLETS:
        return ""
    for i in range(start - 1, -1, -1):
        if items[i] and items[i][0] not in _BULLETS:
            return items[i]
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
        ranges = _windows(len(items), size, stride if mode == "window" else 1)
        ids = [f"{section.id}/w{k + 1}" for k in range(len(ranges))]
    chunks = []
    for ident, (start, end) in zip(ids, ranges):
        text = "\n".join(items[start:end])
        lead = _lead(items, start) if mode != "section" else ""
        refs, marked = _refs(text, doc.glossary)
        match = nfkc(f"{crumb}\n{lead}\n{text}" if lead else f"{crumb}\n{text}")
        meta = {"level": section.level, "items": [start, end], "markers": list(marked)}
        if lead:
            meta["lead"] = lead
        chunks.append(Chunk(id=ident, kind="body", section=crumb, page=section.page, text=text,
                            content_hash=content_hash(crumb, text), match_text=match,
                            glossary_refs=refs, section_id=section.id, meta=meta))
    return chunks


def _glossary_chunk(entry: GlossaryEntry, doc: Document) -> Chunk:
    crumb = breadcrumb((doc.glossary_title, entry.heading or f"※{entry.number} {entry.term}"))
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
                   window: int = 3, stride: int | None = None, glossary: bool = True) -> list[Chunk]:
    """Cut ``doc`` into chunks: body chunks in reading order, then one chunk per glossary entry.

    Args:
        doc: the parsed document.
        mode: ``"section"`` (default), ``"window"`` or ``"item"`` — see the module docstring.
        max_chars: section mode: longest text of one chunk before the section is cut in parts.
        window: window mode: items per chunk.
        stride: window mode: items between window starts (default ``window``: no overlap).
        glossary: include the glossary chunks.

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
    for section in doc.sections:
        if section.items:
            chunks.extend(_section_chunks(section, doc, mode, max_chars, window, stride or window))
    if glossary:
        chunks.extend(_glossary_chunk(e, doc) for e in doc.glossary)
    return chunks
