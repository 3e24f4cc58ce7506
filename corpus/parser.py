"""Recognise the outline's structure in repaired lines: sections, items, labels and the glossary.

Structure recognised (markers as written in the outline; full/half width both accepted):

- level 1  ``１ これまでの行政改革の取組 大綱P.1``  numbered section with its page (大綱P.x)
- level 2  ``(1) 社会環境の変化``                   subsection
- level 3  ``ア 重点目標１ 強くしなやかな組織をつくる``  goal
- level 4  ``(ｱ) 職員の能力向上``                   item of a goal (a table row: title + bullets)
- caption  ``成果`` / ``課題``: a short plain line that names part of its section's title
           (「成果と課題」) or is directly followed by bullets, opens a sub-section one level down
- items    bullets (``・…``), notes (``※…``), ``◆`` captions and plain lines stay one item each;
           a label (``【計画期間】``) takes the plain lines under it into one item, one per line
- glossary ``用語説明`` then entries ``※N 用語（Expansion の略）【P.x】`` with their definition
           lines; inside an entry ``(1)`` … are parts of the definition, not subsections.

Section ids follow the numbering, never the content, so they survive edits of the text:
``s5`` (５), ``s5-3`` ((3) under ５), ``s5-3-a`` (ア), ``s5-3-a-i`` ((ｲ) under ア) — kana are
romanised in 50-sound order (ア a, イ i, ウ u, エ e, オ o, カ ka …) — ``s3-c1`` (first caption
under ３), ``s0`` (text before the first heading). Glossary ids follow the term: ``g-`` + the
abbreviation in lower case (``g-ppp``, ``g-bcp``), else ``g-`` + 8 hex digits of the sha1 of
the NFKC term (``g-3b0b…`` for スマート自治体), so renumbering ※N keeps them.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Sequence

from corpus.messages import OUTLINE_PROBLEMS, describe
from corpus.model import Document, GlossaryEntry, Section
from corpus.reader import SourceText
from corpus.repair import GLOSSARY_HEADING, nfkc, repair_lines

__all__ = ["parse_text", "parse_sources", "ParsedText", "OutlineError", "glossary_markers",
           "resolve_markers", "GLOSSARY_TITLE"]

GLOSSARY_TITLE = "用語説明"


class OutlineError(Exception):
    "The text has no outline content to answer from"

    def __init__(self, source: str, reason: str) -> None:
        self.path = source
        self.reason = reason                       # a key of corpus.messages.OUTLINE_PROBLEMS
        self.problem, self.problem_ja = describe(OUTLINE_PROBLEMS, reason)
        super().__init__(f"{source}: {self.problem} / {self.problem_ja}")


_TOP = re.compile(
    r"^(?P<num>[０-９]{1,2}|[0-9]{1,2}(?=[ 　].*大綱\s*[PＰ][.．]\s*[0-9０-９]+\s*$))[ 　]+(?P<title>.+?)"
    r"(?:[ 　]*大綱\s*[PＰ][.．]\s*(?P<page>[0-9０-９]+))?\s*$"
)
_SUB = re.compile(r"^(?P<num>[(（][0-9０-９]{1,2}[)）])[ 　]*(?P<title>.+)$")
_GOAL = re.compile(r"^(?P<num>[ア-ン])[ 　]+(?P<title>.+)$")
_ITEM = re.compile(r"^(?P<num>[(（][ｱ-ﾝア-ン][)）])[ 　]*(?P<title>.+)$")
_LABEL = re.compile(r"^【[^】]{1,20}】")
_ENTRY = re.compile(
    r"^(?P<marker>※\s*(?P<num>[0-9０-９]+))[ 　]*(?P<head>.+?)[ 　]*"
    r"【\s*[PＰ][.．]?\s*(?P<page>[0-9０-９]+)\s*】\s*$"
)
# In the glossary, a heading whose 【P.x】 is missing: 「※8 キャッシュレス決済」.
_BARE_ENTRY = re.compile(r"^(?P<marker>※\s*(?P<num>[0-9０-９]+))[ 　]+(?P<head>[^\sのをでにがはとへやもか][^。、]{0,38})$")
_EXPANSION = re.compile(r"[（(]\s*(?P<exp>[A-Za-zＡ-Ｚａ-ｚ][^（）()]*?)\s*の略。?\s*[)）]\s*$")
_ABBR_IN_PARENS = re.compile(r"^(?P<base>.+?)[（(]\s*(?P<abbr>[A-Za-zＡ-Ｚａ-ｚ][A-Za-zＡ-Ｚａ-ｚ0-9０-９&＆.．\-－]*)\s*[)）]$")
_ABBR = re.compile(r"^[A-Za-z][A-Za-z0-9&.\-]*$")
_MARKER = re.compile(r"※\s*([0-9０-９]+)")
_BULLET_CHARS = "・◆◇■□●○◎★☆▶►▷"
_CAPTION_MAX = 8
_CAPTION_PUNCT = re.compile(r"[\s、。，,.・「」『』（）()【】:：※➡→]")

_KANA_ROMAJI = dict(zip(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン",
    "a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho "
    "ma mi mu me mo ya yu yo ra ri ru re ro wa wo n".split(),
))


def _int(text: str) -> int:
    return int(nfkc(text))


def _kana_key(mark: str) -> str:
    kana = nfkc(mark).strip("()（） ")
    return _KANA_ROMAJI.get(kana, f"k{ord(kana[0]):x}" if kana else "k")


def glossary_markers(text: str) -> tuple[int, ...]:
    """The N of every ※N marker in ``text``, in order of first appearance."""
    seen: dict[int, None] = {}
    for m in _MARKER.finditer(text):
        seen.setdefault(_int(m.group(1)), None)
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
    label_open: bool = False   # the last item is a 【label】 block still taking plain lines

    def freeze(self) -> Section:
        text = "\n".join((self.title, *self.items))
        return Section(id=self.id, number=self.number, title=self.title, level=self.level,
                       path=self.path, page=self.page, items=tuple(self.items),
                       glossary_refs=glossary_markers(text))


@dataclass
class _Entry:
    marker: str
    number: int
    head: str
    page: int | None
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedText:
    """One source's structure before merging into a :class:`Document`."""

    title: str
    sections: tuple[Section, ...]
    glossary: tuple[GlossaryEntry, ...]
    glossary_title: str = GLOSSARY_TITLE


def _label(number: str, title: str) -> str:
    return f"{number} {title}" if number else title


def _is_plain(line: str) -> bool:
    return not (line[0] in _BULLET_CHARS or line[0] == "※" or _LABEL.match(line))


def _unique(ident: str, taken: set[str]) -> str:
    out, k = ident, 2
    while out in taken:
        out, k = f"{ident}~{k}", k + 1
    taken.add(out)
    return out


def _split_term(head: str) -> tuple[str, str | None, str | None]:
    """``(term, abbreviation, expansion)`` of a glossary heading without its ※N and 【P.x】."""
    expansion = None
    m = _EXPANSION.search(head)
    term = head
    if m:
        expansion = m.group("exp").strip()
        term = head[: m.start()].strip()
    abbreviation = None
    m = _ABBR_IN_PARENS.match(term)
    if m:
        abbreviation = m.group("abbr")
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


def _freeze_entries(entries: list[_Entry], taken: set[str]) -> tuple[GlossaryEntry, ...]:
    out = []
    for e in entries:
        term, abbreviation, expansion = _split_term(e.head)
        out.append(GlossaryEntry(
            id=_unique(_entry_id(term, abbreviation), taken),
            number=e.number,
            term=term,
            page=e.page,
            definition="\n".join(e.lines),
            abbreviation=abbreviation,
            expansion=expansion,
            aliases=_aliases(term, abbreviation, expansion),
            heading=f"{e.marker} {e.head}",
        ))
    return tuple(out)


def parse_text(text: str, *, source: str = "<text>", taken_ids: set[str] | None = None) -> ParsedText:
    """Parse one source's (unrepaired) text into sections and glossary entries.

    Args:
        text: the source text as read (PDF extraction artefacts are repaired here).
        source: the file name, named in errors.
        taken_ids: ids already used by earlier sources; new ids are made unique against it.

    Returns:
        The title (first line), sections in reading order and glossary entries.

    Raises:
        OutlineError: the text has no lines.
    """
    lines = repair_lines(text)
    if not lines:
        raise OutlineError(source, "no_text")
    taken = set() if taken_ids is None else taken_ids
    title = lines[0]
    body = lines[1:]
    if _TOP.match(title) or _ENTRY.match(title):
        title, body = "", lines  # no title line: the file starts with its first section

    nodes: list[_Node] = []
    stack: list[_Node] = []
    entries: list[_Entry] = []
    glossary_title = GLOSSARY_TITLE
    in_glossary = False
    captions: dict[str, int] = {}

    def open_section(number: str, title_: str, level: int, page: int | None, key: str,
                     caption: bool = False) -> _Node:
        while stack and stack[-1].level >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        ident = f"{parent.id}-{key}" if parent else f"s{key}"
        if page is None and parent is not None:
            page = parent.page
        node = _Node(id=_unique(ident, taken), number=number, title=title_, level=level,
                     path=(parent.path if parent else ()) + (_label(number, title_),),
                     page=page, caption=caption)
        nodes.append(node)
        stack.append(node)
        return node

    def current() -> _Node:
        if not stack:
            open_section("", title or source, 1, None, "0")
        return stack[-1]

    for i, line in enumerate(body):
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if GLOSSARY_HEADING.match(line):
            in_glossary, glossary_title = True, line.strip()
            continue
        m = _ENTRY.match(line) or (_BARE_ENTRY.match(line) if in_glossary else None)
        if m:
            in_glossary = True
            page = m.groupdict().get("page")
            entries.append(_Entry(marker=re.sub(r"\s+", "", m.group("marker")), number=_int(m.group("num")),
                                  head=m.group("head").strip(), page=_int(page) if page else None))
            continue
        if in_glossary:
            if entries:
                entries[-1].lines.append(line)
            continue  # text between 用語説明 and the first entry carries nothing to cite
        if m := _TOP.match(line):
            page = _int(m.group("page")) if m.group("page") else None
            open_section(m.group("num"), m.group("title").strip(), 1, page, str(_int(m.group("num"))))
            continue
        if m := _SUB.match(line):
            open_section(m.group("num"), m.group("title").strip(), 2, None, str(_int(m.group("num")[1:-1])))
            continue
        if m := _ITEM.match(line):
            open_section(m.group("num"), m.group("title").strip(), 4, None, _kana_key(m.group("num")))
            continue
        if m := _GOAL.match(line):
            open_section(m.group("num"), m.group("title").strip(), 3, None, _kana_key(m.group("num")))
            continue
        node = current()
        if node.label_open and _is_plain(line):
            node.items[-1] += "\n" + line
            continue
        node.label_open = False
        if _is_caption(line, nxt, stack):
            owner = next(n for n in reversed(stack) if not n.caption)
            captions[owner.id] = captions.get(owner.id, 0) + 1
            open_section("", line, owner.level + 1, owner.page, f"c{captions[owner.id]}", caption=True)
            continue
        node.items.append(line)
        node.label_open = bool(_LABEL.match(line))

    sections = tuple(n.freeze() for n in nodes)
    glossary = _freeze_entries(entries, taken)
    if not sections and not glossary:
        raise OutlineError(source, "no_outline")
    return ParsedText(title=title, sections=sections, glossary=glossary, glossary_title=glossary_title)


def _is_caption(line: str, nxt: str, stack: list[_Node]) -> bool:
    """A short plain line that names part of its section's title, or heads a run of bullets."""
    if not stack or not _is_plain(line) or len(line) > _CAPTION_MAX or _CAPTION_PUNCT.search(line):
        return False
    owner = next((n for n in reversed(stack) if not n.caption), None)
    if owner is None or owner.level > 2:
        return False
    key = nfkc(line)
    return key in nfkc(owner.title) or nxt.startswith("・")


def parse_sources(sources: Sequence[SourceText]) -> Document:
    """Parse and merge source texts into one :class:`Document`.

    Args:
        sources: texts as returned by :func:`corpus.reader.read_source`, usually one.

    Returns:
        The document; its title is the first source's first line.

    Raises:
        OutlineError: a source has nothing to parse.
    """
    taken: set[str] = set()
    title = ""
    sections: list[Section] = []
    entries: list[GlossaryEntry] = []
    glossary_title = GLOSSARY_TITLE
    for src in sources:
        parsed = parse_text(src.text, source=src.path, taken_ids=taken)
        title = title or parsed.title
        sections.extend(parsed.sections)
        entries.extend(parsed.glossary)
        if parsed.glossary:
            glossary_title = parsed.glossary_title
    return Document(
        title=title or (sources[0].name if sources else ""),
        sources=tuple(s.name for s in sources),
        source_hashes={s.name: s.sha256 for s in sources},
        sections=tuple(sections),
        glossary=tuple(entries),
        glossary_title=glossary_title,
    )
