"""Recognise a plan's structure in its lines: sections, items, labels, the glossary and pages.

The structure comes from the document, not from one layout:

- headings are lines numbered in any scheme of :mod:`corpus.schemes` (「１ 」「(1)」「ア 」「(ｱ)」
  「第１章」「２－１」「Ⅰ」「①」「基本方針Ⅰ」, Markdown ``#`` and .docx heading styles …). Which
  scheme is which level comes from the order in which the schemes first appear in the document:
  the first scheme seen is the top level, the next one below it, and so on. A heading of a strict
  scheme must start or continue its sequence (:class:`corpus.schemes.Sequence`), and a run of two
  or more numbered lines of one scheme with nothing between them is a list, kept as items of the
  section above (「重点目標２ …」「重点目標３ …」 under 【重点目標】; 「基本方針Ⅰ–Ⅳ」 under ４－２);
- a caption (「成果」, 「課題」): a short plain line that names part of its section's title or is
  directly followed by bullets opens a sub-section one level down;
- items: bullets (・ ● ○ ◆ ▲ …), notes (※…), plain lines stay one item each; a label
  (「【計画期間】」) takes the plain lines under it into one item, one per line;
- the glossary: a heading 「用語説明」「用語解説」「用語集」 (also 【用語解説】, ７ 用語集), then entries
  ``※N`` / ``＊N`` / ``注N`` 用語 (optionally with its page 【P.x】) and their definition lines; inside
  an entry (1) … are parts of the definition, not subsections. An entry with its page opens the
  glossary even without a heading. The glossary ends at the next heading of the top-level scheme;
- pages: when headings carry page markers (「大綱P.1」, 「（本編 p.12）」), a section's page is its
  marker or its parent's; otherwise it is the page the heading is on (the printed page number, else
  the PDF page: :mod:`corpus.pages`), and each item keeps its own page. A glossary entry without its
  【P.x】 takes, in a document with markers, the page of the first section that marks it.

Section ids follow the numbering, never the content, so they survive edits of the text:
``s5`` (５), ``s5-3`` ((3) under ５), ``s5-3-a`` (ア), ``s5-3-a-i`` ((ｲ) under ア) — kana are
romanised in 50-sound order (ア a, イ i, ウ u, エ e, オ o, カ ka …), other numbers give their value
(第２章 2, ２－１ 1, Ⅲ 3, ② 2) — ``s3-c1`` (first caption under ３), ``s0`` (text before the first
heading). Glossary ids follow the term: ``g-`` + the abbreviation in lower case (``g-ppp``), else
``g-`` + 8 hex digits of the sha1 of the NFKC term, so renumbering ※N keeps them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Sequence

from corpus.messages import OUTLINE_PROBLEMS, describe
from corpus.model import Document, GlossaryEntry, Section
from corpus.normalize import display_spacing, is_bullet
from corpus.pages import Line, read_pages
from corpus.reader import SourceText
from corpus.repair import nfkc, repair_page_lines
from corpus.schemes import (Heading, Sequence as NumberSequence, glossary_heading, match_heading, note_marker,
                            page_marker_label, split_page_marker)

__all__ = ["parse_text", "parse_sources", "merge", "ParsedText", "OutlineError", "glossary_markers",
           "resolve_markers", "GLOSSARY_TITLE"]

GLOSSARY_TITLE = "用語説明"


class OutlineError(Exception):
    "The text has no outline content to answer from"

    def __init__(self, source: str, reason: str) -> None:
        self.path = source
        self.reason = reason                       # a key of corpus.messages.OUTLINE_PROBLEMS
        self.problem, self.problem_ja = describe(OUTLINE_PROBLEMS, reason)
        super().__init__(f"{source}: {self.problem} / {self.problem_ja}")


_MARK = r"(?P<marker>(?P<mark>[※＊*]|注) ?(?P<num>[0-9０-９]{1,3}))"
# An entry line: its mark and number, then the term (and maybe its page, or its definition).
_ENTRY = re.compile(rf"^{_MARK} ?(?P<head>.+)$")
_PARTICLES = "のをでにがはとへやもか"
_LABEL = re.compile(r"^【[^】]{1,20}】")
_EXPANSION = re.compile(r"[（(]\s*(?P<exp>[A-Za-zＡ-Ｚａ-ｚ][^（）()]*?)\s*の略。?\s*[)）]\s*$")
_ABBR_IN_PARENS = re.compile(r"^(?P<base>.+?)[（(]\s*(?P<abbr>[A-Za-zＡ-Ｚａ-ｚ][A-Za-zＡ-Ｚａ-ｚ0-9０-９&＆.．\-－]*)\s*[)）]$")
# 「ＲＰＡ（ロボティック・プロセス・オートメーション）」, 「ＬＧＷＡＮ（総合行政ネットワーク）」.
_ABBR_THEN_NAME = re.compile(r"^(?P<abbr>[A-Za-zＡ-Ｚａ-ｚ][A-Za-zＡ-Ｚａ-ｚ0-9０-９&＆.．\-－]*)\s*[（(]\s*(?P<name>[^（）()]+?)\s*[)）]$")
_ABBR = re.compile(r"^[A-Za-z][A-Za-z0-9&.\-]*$")
_TERM_SEP = re.compile(r"[:：]")
_CAPTION_MAX = 8
_CAPTION_PUNCT = re.compile(r"[\s、。，,.・「」『』（）()【】:：※➡→]")
_TERM_MAX = 40


def _int(text: str) -> int:
    return int(nfkc(text))


def glossary_markers(text: str, marks: str | tuple[str, ...] = ("※",)) -> tuple[int, ...]:
    """The N of every glossary marker (``※N`` by default; ``marks`` names others: ＊, 注) in
    ``text``, in order of first appearance."""
    seen: dict[int, None] = {}
    for _, n in note_marker(text, marks):
        seen.setdefault(n, None)
    return tuple(seen)


def resolve_markers(numbers: Sequence[int], glossary: Sequence[GlossaryEntry]) -> tuple[str, ...]:
    """Glossary entry ids for ※N numbers. A number shared by several entries (the two ※3,
    「ＰＰＰ、ＰＦＩ※3」) refers to all of them."""
    ids: dict[str, None] = {}
    for n in numbers:
        for e in glossary:
            if e.number == n:
                ids.setdefault(e.id, None)
    return tuple(ids)


@dataclass
class _Node:
    id: str
    number: str
    title: str
    level: int
    path: tuple[str, ...]
    page: int | None
    caption: bool = False
    items: list[str] = field(default_factory=list)
    item_pages: list[int | None] = field(default_factory=list)
    label_open: bool = False   # the last item is a 【label】 block still taking plain lines

    def freeze(self, marks: tuple[str, ...], physical: bool) -> Section:
        items = tuple(display_spacing(i) for i in self.items)
        text = "\n".join((self.title, *items))
        return Section(id=self.id, number=self.number, title=self.title, level=self.level,
                       path=self.path, page=self.page, items=items,
                       glossary_refs=glossary_markers(text, marks),
                       item_pages=tuple(self.item_pages) if physical else ())


@dataclass
class _Entry:
    marker: str
    mark: str
    number: int
    head: str
    page: int | None
    physical_page: int | None
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedText:
    """One source's structure before merging into a :class:`Document`, and how it was read."""

    title: str
    sections: tuple[Section, ...]
    glossary: tuple[GlossaryEntry, ...]
    glossary_title: str = GLOSSARY_TITLE
    schemes: tuple[str, ...] = ()          # heading schemes by level: ("digit", "(digit)", "kana", "(kana)")
    scheme_examples: tuple[str, ...] = ()  # the first heading number of each: ("１", "(1)", "ア", "(ｱ)")
    page_source: str = "none"              # "markers" | "printed" | "pdf" | "none": where pages come from
    page_label: str = ""                   # the page markers' wording: "大綱P.{page}" ("" without markers)
    pages: int = 1                         # pages of the source (1 when it has none)
    removed: tuple[Line, ...] = ()         # running headers/footers and page numbers taken out
    unplaced: tuple[Line, ...] = ()        # lines kept out of every section and entry
    notes: tuple[str, ...] = ()            # what an admin may want to check (see corpus.inspect)
    blank_pages: tuple[int, ...] = ()      # pages without text (scanned?)


def _label(number: str, title: str) -> str:
    return f"{number} {title}" if number else title


def _is_note(line: str) -> bool:
    return line[0] in "※＊*" or bool(re.match(r"^注[0-9０-９:：]", line))


def _is_plain(line: str) -> bool:
    return not (is_bullet(line[0]) or _is_note(line) or _LABEL.match(line))


def _unique(ident: str, taken: set[str]) -> str:
    out, k = ident, 2
    while out in taken:
        out, k = f"{ident}~{k}", k + 1
    taken.add(out)
    return out


def _split_term(head: str) -> tuple[str, str | None, str | None]:
    """``(term, abbreviation, expansion)`` of a glossary heading without its mark and page."""
    expansion = None
    m = _EXPANSION.search(head)
    term = head
    if m:
        expansion = m.group("exp").strip()
        term = head[: m.start()].strip()
    abbreviation = None
    if m := _ABBR_IN_PARENS.match(term):
        abbreviation = m.group("abbr")
    elif m := _ABBR_THEN_NAME.match(term):
        abbreviation, expansion = m.group("abbr"), expansion or m.group("name")
    elif _ABBR.match(nfkc(term)):
        abbreviation = term
    return term, abbreviation, expansion


def _aliases(term: str, abbreviation: str | None, expansion: str | None) -> tuple[str, ...]:
    names = [term, re.sub(r"[（(][^（）()]*[)）]", "", term), abbreviation or "", expansion or ""]
    out: dict[str, None] = {}
    for name in names:
        key = nfkc(name).strip()
        if not key:
            continue
        out.setdefault(key, None)
        # 「ワークライフバランス」 for 「ワーク・ライフ・バランス」: people type it without dots.
        bare = key.replace("・", "")
        if bare and bare != key:
            out.setdefault(bare, None)
    return tuple(out)


def _entry_id(term: str, abbreviation: str | None) -> str:
    if abbreviation:
        slug = re.sub(r"[^a-z0-9]+", "-", nfkc(abbreviation).lower()).strip("-")
        if slug:
            return f"g-{slug}"
    return "g-" + hashlib.sha1(nfkc(term).encode("utf-8")).hexdigest()[:8]


def _entry(line: str, in_glossary: bool) -> tuple[_Entry, str] | None:
    """The glossary entry ``line`` opens, with the start of its definition when the line holds one.

    Outside a glossary only a line with the entry's page (「※1 経営革新度調査【P.1】」) is an entry; in
    one, 「※8 キャッシュレス決済」, 「＊1 ＲＰＡ（…）」, 「注2 ＲＰＡ：人がパソコンで…」 are too.
    """
    m = _ENTRY.match(line)
    if not m:
        return None
    head = m.group("head").strip()
    if not head or head[0] in _PARTICLES or head[0] in "、。)）":
        return None            # 「※4 の推進」: a marker in running text
    mark = "＊" if m.group("mark") == "*" else m.group("mark")
    head, page = split_page_marker(head)
    first = ""
    if page is None:
        if not in_glossary:
            return None
        if sep := _TERM_SEP.search(head):
            head, first = head[: sep.start()].strip(), head[sep.end():].strip()
        elif len(head) > _TERM_MAX or "。" in head:
            if " " not in head:
                return None
            head, first = head.split(" ", 1)
    if not head:
        return None
    return _Entry(marker=mark + m.group("num"), mark=mark, number=_int(m.group("num")), head=head,
                  page=page, physical_page=None), first


def _freeze_entries(entries: list[_Entry], taken: set[str]) -> tuple[GlossaryEntry, ...]:
    out = []
    for e in entries:
        head = display_spacing(e.head)
        term, abbreviation, expansion = _split_term(head)
        out.append(GlossaryEntry(
            id=_unique(_entry_id(term, abbreviation), taken),
            number=e.number,
            term=term,
            page=e.page,
            definition=display_spacing("\n".join(e.lines)),
            abbreviation=abbreviation,
            expansion=expansion,
            aliases=_aliases(term, abbreviation, expansion),
            heading=f"{e.marker} {head}",
            marker=e.mark,
        ))
    return tuple(out)


@dataclass
class _Reading:
    """What the first pass makes of each body line."""

    kind: str                 # "heading" | "glossary" (its heading) | "entry" | "in-glossary" | "text"
    heading: Heading | None = None
    entry: tuple[_Entry, str] | None = None


def _first_pass(body: Sequence[Line]) -> tuple[list[_Reading], list[str]]:
    """Each line's role, with the numbering checked (sequence and list rules) and notes on doubts."""
    readings: list[_Reading] = []
    notes: list[str] = []
    numbers = NumberSequence()
    in_glossary = False
    top: str | None = None        # the first heading scheme: its next number ends a glossary
    for line in body:
        text = line.text
        if glossary_heading(text):
            in_glossary = True
            readings.append(_Reading("glossary"))
            continue
        entry = _entry(text, in_glossary)
        if entry:
            in_glossary = True
            readings.append(_Reading("entry", entry=entry))
            continue
        heading = match_heading(text)
        if in_glossary:
            ends = (heading is not None and heading.scheme == top and heading.value is not None
                    and numbers.last.get(top) == heading.value - 1)
            if not ends:
                readings.append(_Reading("in-glossary"))
                continue
            in_glossary = False
        if heading is not None and numbers.plausible(heading):
            numbers.accept(heading)
            top = top or heading.scheme
            readings.append(_Reading("heading", heading))
        else:
            if heading is not None:
                notes.append(f"「{text[:30]}」 looks numbered ({heading.scheme}) but breaks its numbering: read as text")
            readings.append(_Reading("text"))
    # A run of numbered lines of one scheme with nothing between them is a list, not headings.
    i = 0
    while i < len(readings):
        j = i
        while (j + 1 < len(readings) and readings[i].kind == "heading" == readings[j + 1].kind
               and readings[j + 1].heading.scheme == readings[i].heading.scheme):
            j += 1
        if j > i:
            for k in range(i, j + 1):
                readings[k] = _Reading("text")
            notes.append(f"{j - i + 1} numbered lines from 「{body[i].text[:30]}」 have nothing between them: "
                         "read as a list of items, not as headings")
        i = j + 1
    return readings, notes


def parse_text(text: str, *, source: str = "<text>", taken_ids: set[str] | None = None) -> ParsedText:
    """Parse one source's text (as read) into sections and glossary entries.

    Args:
        text: the source text as read (pages separated by form feeds; repaired here).
        source: the file name, named in errors.
        taken_ids: ids already used by earlier sources; new ids are made unique against it.

    Returns:
        The title (first line), sections in reading order, glossary entries, and how the text was
        read (heading schemes by level, where pages come from, what was removed or not placed).

    Raises:
        OutlineError: the text has no lines.
    """
    paged = read_pages(text)
    lines = repair_page_lines(paged.lines)
    if not lines:
        raise OutlineError(source, "no_text")
    taken = set() if taken_ids is None else taken_ids
    first = match_heading(lines[0].text)
    title, body = lines[0].text, list(lines[1:])
    if first is not None and first.scheme.startswith("md") and not first.number:
        title = first.title                 # 「# 計画の概要」
    elif first is not None or _entry(title, False) or glossary_heading(title):
        title, body = "", list(lines)       # no title line: the file starts with its first section
    title = display_spacing(title)

    readings, notes = _first_pass(body)
    order: list[str] = []
    examples: list[str] = []
    for r in readings:
        if r.kind == "heading" and r.heading.scheme not in order:
            order.append(r.heading.scheme)
            examples.append(r.heading.number or r.heading.title[:10])
    uses_markers = any(r.heading.page is not None for r in readings if r.kind == "heading")
    physical = not uses_markers and paged.pages > 1
    page_label = next((page_marker_label(line.text) or "" for line, r in zip(body, readings)
                       if r.kind == "heading" and r.heading.page is not None), "")
    page_source = "markers" if uses_markers else ("printed" if paged.printed else "pdf") if paged.pages > 1 else "none"

    nodes: list[_Node] = []
    stack: list[_Node] = []
    entries: list[_Entry] = []
    unplaced: list[Line] = []
    glossary_title = GLOSSARY_TITLE
    captions: dict[str, int] = {}
    unnumbered: dict[str, int] = {}

    def open_section(number: str, title_: str, level: int, page: int | None, key: str,
                     caption: bool = False) -> _Node:
        while stack and stack[-1].level >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        if not key:      # an unnumbered heading (a styled .docx heading): counted among its siblings
            owner = parent.id if parent is not None else ""
            unnumbered[owner] = unnumbered.get(owner, 0) + 1
            key = f"h{unnumbered[owner]}"
        ident = f"{parent.id}-{key}" if parent else f"s{key}"
        if page is None and parent is not None and uses_markers:
            page = parent.page
        title_ = display_spacing(title_)
        node = _Node(id=_unique(ident, taken), number=number, title=title_, level=level,
                     path=(parent.path if parent else ()) + (_label(number, title_),),
                     page=page, caption=caption)
        nodes.append(node)
        stack.append(node)
        return node

    def current(line: Line) -> _Node:
        if not stack:
            open_section("", title or source, 1, line.page, "0")
        return stack[-1]

    for i, (line, reading) in enumerate(zip(body, readings)):
        text = line.text
        nxt = body[i + 1].text if i + 1 < len(body) else ""
        if reading.kind == "glossary":
            glossary_title = glossary_heading(text) or text
            continue
        if reading.kind == "entry":
            entry, definition = reading.entry
            entry.physical_page = line.page
            entries.append(entry)
            if definition:
                entry.lines.append(definition)
            continue
        if reading.kind == "in-glossary":
            if entries:
                entries[-1].lines.append(text)
            else:
                unplaced.append(line)   # text between the glossary's heading and its first entry
            continue
        if reading.kind == "heading":
            h = reading.heading
            node = open_section(h.number, h.title, order.index(h.scheme) + 1, h.page if uses_markers else line.page,
                                h.key)
            if node.page is None:
                node.page = line.page     # before the first page marker: the page it is on, if known
            continue
        node = current(line)
        if node.label_open and _is_plain(text):
            node.items[-1] += "\n" + text
            continue
        node.label_open = False
        if _is_caption(text, nxt, stack):
            owner = next(n for n in reversed(stack) if not n.caption)
            captions[owner.id] = captions.get(owner.id, 0) + 1
            open_section("", text, owner.level + 1, owner.page if uses_markers else line.page,
                         f"c{captions[owner.id]}", caption=True)
            continue
        node.items.append(text)
        node.item_pages.append(line.page)
        node.label_open = bool(_LABEL.match(text))

    marks = tuple(dict.fromkeys(e.mark for e in entries)) or ("※",)
    sections = tuple(n.freeze(marks, physical) for n in nodes)
    for e in entries:
        if e.page is None and not uses_markers:
            e.page = e.physical_page
        elif e.page is None:
            # The page of the first section that marks the term: where the reader meets it; else
            # (marked nowhere) the page the entry is on, if the file has pages.
            e.page = next((s.page for s in sections if e.number in s.glossary_refs), e.physical_page)
    glossary = _freeze_entries(entries, taken)
    if not sections and not glossary:
        raise OutlineError(source, "no_outline")
    notes += _marker_notes(sections, glossary, marks)
    return ParsedText(title=title, sections=sections, glossary=glossary, glossary_title=glossary_title,
                      schemes=tuple(order), scheme_examples=tuple(examples), page_source=page_source,
                      page_label=page_label, pages=paged.pages,
                      removed=paged.removed, unplaced=tuple(unplaced), notes=tuple(notes),
                      blank_pages=paged.blank_pages)


def _marker_notes(sections: Sequence[Section], glossary: Sequence[GlossaryEntry], marks: tuple[str, ...]) -> list[str]:
    """Glossary markers without an entry, and entries no section marks."""
    numbers = {e.number for e in glossary}
    used = {n for s in sections for n in s.glossary_refs}
    notes = []
    for s in sections:
        for n in s.glossary_refs:
            if glossary and n not in numbers:
                notes.append(f"{marks[0]}{n} in 「{s.path[-1][:30]}」 has no glossary entry")
    for e in glossary:
        if e.number not in used:
            notes.append(f"glossary entry {e.marker}{e.number} {e.term} is not marked in the text")
    return notes


def _is_caption(line: str, nxt: str, stack: list[_Node]) -> bool:
    """A short plain line that names part of its section's title, or heads a run of bullets."""
    if not stack or not _is_plain(line) or len(line) > _CAPTION_MAX or _CAPTION_PUNCT.search(line):
        return False
    owner = next((n for n in reversed(stack) if not n.caption), None)
    if owner is None or owner.level > 2:
        return False
    key = nfkc(line)
    return key in nfkc(owner.title) or nxt.startswith("・")


def parse_sources(sources: Sequence[SourceText], *, id: str = "") -> Document:
    """Parse and merge source texts into one :class:`Document`.

    Args:
        sources: texts as returned by :func:`corpus.reader.read_source`, usually one.
        id: the document's id (see :func:`corpus.document_id`).

    Returns:
        The document; its title is the first source's first line (else its metadata title, else its
        file name).

    Raises:
        OutlineError: a source has nothing to parse.
    """
    taken: set[str] = set()
    return merge(sources, [parse_text(src.text, source=src.path, taken_ids=taken) for src in sources], id=id)


def merge(sources: Sequence[SourceText], parsed: Sequence[ParsedText], *, id: str = "") -> Document:
    """One :class:`Document` of sources and their parses (``parsed[i]`` of ``sources[i]``, ids already
    unique across them).

    Its page label is the first source's that has page markers; its period (:mod:`corpus.dates`)
    comes from its sections and title.
    """
    from corpus.dates import plan_period

    title = ""
    glossary_title = GLOSSARY_TITLE
    for src, p in zip(sources, parsed):
        title = title or p.title or src.title
        if p.glossary:
            glossary_title = p.glossary_title
    sections = tuple(s for p in parsed for s in p.sections)
    title = title or (sources[0].name if sources else "")
    return Document(
        title=title,
        sources=tuple(s.name for s in sources),
        source_hashes={s.name: s.sha256 for s in sources},
        sections=sections,
        glossary=tuple(e for p in parsed for e in p.glossary),
        glossary_title=glossary_title,
        id=id,
        page_label=next((p.page_label for p in parsed if p.page_label), ""),
        period=plan_period(title, sections),
    )
