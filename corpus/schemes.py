"""The numbering of Japanese municipal plans: heading schemes, page markers and glossary markers.

A heading is a line that starts with a number in one of these schemes (full and half width alike):

=================  ===========================================  =========================
scheme             as written                                   value
=================  ===========================================  =========================
``ordinal:章``      第１章 / 第1節 / 第二編 (編 部 章 節 款 項)      the number
``multi2/3``        ２－１ / 1.1 / 1-2-3                          the last part
``roman``           Ⅰ / Ⅱ. / II.                                the numeral
``circled``         ① ②                                          the number
``(digit)``         (1) （１） ⑴     ``digit)`` 1)                the number
``(kana)``          (ｱ) （ア）       ``kana)`` ｱ)                 50-sound order (ア 1, イ 2 …)
``(alpha)``         (a) （ａ）                                     a 1, b 2 …
``(kanji)``         （一）                                         the number
``digit``           １ / 1 (then a space) ``digit.`` １． / 1.    the number
``kana``            ア / イ． (then a space)                      50-sound order
``kanji``           一 / 二、                                      the number
``label:<word>``    重点目標２ / 基本方針Ⅰ / 施策2 (then a space)  the number
``md<N>``           ``#``×N (Markdown, and .docx heading styles)  that of the number after it
=================  ===========================================  =========================

Which scheme is which level is not fixed here: the parser ranks them by the order in which they
first appear in each document (:mod:`corpus.parser`). A scheme whose marker also starts ordinary
text (「1 」, 「ア 」, 「基本方針Ⅰ 」) is *strict*: a line counts as its heading only when its number
starts (1) or continues (last + 1) the scheme's sequence, so 「11 ポイント上昇」 at the start of a
wrapped line is not heading 11. A page marker ending a heading (「大綱P.1」, 「（本編 p.12）」,
「【P.2】」) gives its page.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Heading", "match_heading", "numeral_value", "page_marker", "page_marker_label", "split_page_marker",
           "Sequence", "GLOSSARY_WORDS", "glossary_heading", "NOTE_MARKS", "note_marker", "NUMBER_LINE", "page_number_line"]

_D = "0-9０-９"
_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_ROMAN_LOWER = "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ"
_CIRCLED = "①-⑳㉑-㉟㊱-㊿"
_PAREN_DIGITS = "⑴-⒇"
_KANJI_NUM = "〇一二三四五六七八九十百"
_KANA = "ア-ンｱ-ﾝ"
KANA_ORDER = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
# A number followed by one of these is a quantity (「20 億円」, 「3 年間」, 「令和12 年度」), never a heading.
# Only units that do not also start common words (人材, 本市, 回答 …): the sequence rule does the rest.
_COUNTERS = "年月日円万億千百件歳％%"
_TITLE = rf"(?P<title>[^\s{_COUNTERS}0-9０-９、。，,．.)）].*?)"

# A page marker at the end of a heading or glossary entry: 「大綱P.1」 「（本編 p.12）」 「【P.2】」
# 「(p.3)」 「（本編12ページ）」. The word before P is the document the page is of (大綱, 本編).
_PAGE_WORD = r"(?:(?<=[ (（【\[［])[\u3400-\u9fff]{1,4} ?)?"
_PAGE_AT_END = re.compile(
    rf" ?(?:(?P<open>[(（【\[［])?{_PAGE_WORD}[PpＰｐ] ?[.．]? ?(?P<page>[{_D}]{{1,4}})"
    rf"(?: ?[-－~〜～] ?[{_D}]{{1,4}})?(?(open)[)）】\]］])"
    rf"|[(（【\[［]{_PAGE_WORD}(?P<page2>[{_D}]{{1,4}}) ?(?:ページ|頁)[)）】\]］])$")


@dataclass(frozen=True)
class Heading:
    """A line read as a numbered heading."""

    scheme: str              # e.g. "digit", "(kana)", "ordinal:章", "label:重点目標", "md2"
    number: str              # as written: "１", "(ｱ)", "第１章", "２－１", "基本方針Ⅰ" ("" for an unnumbered md heading)
    value: int | None        # its place in the sequence (1-based), None when it has none
    title: str               # the rest of the line, without the page marker
    page: int | None = None  # page marker at the end, if any
    strict: bool = False     # its marker also starts ordinary text: see Sequence

    @property
    def key(self) -> str:
        """The part of a section id this heading gives: the value, kana romanised (ア a, イ i …)."""
        if self.value is None:
            return ""
        if "kana" in self.scheme:
            return _KANA_ROMAJI[self.value - 1] if self.value <= len(_KANA_ROMAJI) else f"k{self.value}"
        return str(self.value)


_KANA_ROMAJI = ("a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he ho "
                "ma mi mu me mo ya yu yo ra ri ru re ro wa wo n").split()


def _kanji_value(s: str) -> int | None:
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    total, current = 0, 0
    for c in s:
        if c in digits:
            current = digits[c]
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        elif c == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current or None


def numeral_value(numeral: str) -> int | None:
    """The value of one numeral as written: １ 12 Ⅳ iv ① ⑵ 十二 ア ｲ ｂ … (None when it is none of these)."""
    s = numeral.strip()
    if not s:
        return None
    n = unicodedata.normalize("NFKC", s)
    if n.isdigit():
        return int(n)
    if len(s) == 1:
        value = unicodedata.numeric(s, None)
        if value is not None and value == int(value) and value > 0:
            return int(value)      # Ⅳ ⅳ ① ⑵ 三
        if n in KANA_ORDER:
            return KANA_ORDER.index(n) + 1
        if n.isascii() and n.isalpha():
            return ord(n.lower()) - ord("a") + 1
    if re.fullmatch(r"[IVXivx]+", n):
        return _roman_ascii(n.upper())
    return _kanji_value(s)


def _roman_ascii(s: str) -> int | None:
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for i, c in enumerate(s):
        v = values[c]
        total += -v if i + 1 < len(s) and values[s[i + 1]] > v else v
    return total or None


def split_page_marker(text: str) -> tuple[str, int | None]:
    """``(text without its trailing page marker, the page)``: 「取組 大綱P.1」 -> ("取組", 1)."""
    m = _PAGE_AT_END.search(text)
    if not m or m.start() == 0:
        return text, None
    page = m.group("page") or m.group("page2")
    return text[: m.start()].rstrip(), int(unicodedata.normalize("NFKC", page))


def page_marker_label(text: str) -> str | None:
    """The wording of a page marker ending ``text``, with ``{page}`` for its number, or None:
    「取組 大綱P.1」 -> "大綱P.{page}", 「趣旨 （本編 p.1）」 -> "本編p.{page}", 「（本編12ページ）」 ->
    "本編{page}ページ". Citations then name a page the way the document prints it (without
    spaces, which PDF extraction adds or drops: 「大綱 P.1」 is the same marker)."""
    m = _PAGE_AT_END.search(text)
    if not m or m.start() == 0:
        return None
    group = "page" if m.group("page") else "page2"
    before = text[m.start(): m.start(group)].strip().lstrip("(（【[［").strip()
    after = text[m.end(group): m.end()].strip().rstrip(")）】]］").strip()
    after = re.sub(r"^ ?[-－~〜～] ?[0-9０-９]{1,4}", "", after)     # a range 「P.3-4」 cites its first page
    return "".join(f"{before}{{page}}{after}".split())


def page_marker(text: str) -> int | None:
    """The page of a page marker ending ``text``, or None."""
    return split_page_marker(text)[1]


_PATTERNS: list[tuple[str, re.Pattern, bool]] = [
    # (scheme, pattern, strict). Order matters: the more specific first.
    ("ordinal", re.compile(rf"^(?P<num>第 ?(?P<v>[{_D}]{{1,3}}|[{_KANJI_NUM}]{{1,4}}) ?(?P<unit>[編部章節款項]))"
                           rf"(?: |[:：] ?|(?=[「『【]))(?P<title>\S.*)$"), False),
    ("multi", re.compile(rf"^(?P<num>[{_D}]{{1,2}}(?: ?[－\-‐−–.．] ?[{_D}]{{1,2}}){{1,2}})[.．]? "
                         + _TITLE + "$"), True),
    ("roman", re.compile(rf"^(?P<num>[{_ROMAN}](?:[.．、] ?| )|(?:I{{1,3}}|IV|VI{{0,3}}|IX|X{{1,2}})[.．] ?)"
                         rf"(?P<title>\S.*)$"), False),
    ("roman-lower", re.compile(rf"^(?P<num>[{_ROMAN_LOWER}])(?:[.．、] ?| )(?P<title>\S.*)$"), False),
    ("circled", re.compile(rf"^(?P<num>[{_CIRCLED}]) ?(?P<title>[^\s{_COUNTERS}].*)$"), False),
    ("(digit)", re.compile(rf"^(?P<num>[(（](?P<v>[{_D}]{{1,2}})[)）]|[{_PAREN_DIGITS}]) ?(?P<title>\S.*)$"), False),
    ("(kana)", re.compile(rf"^(?P<num>[(（](?P<v>[{_KANA}])[)）]) ?(?P<title>\S.*)$"), False),
    ("(alpha)", re.compile(r"^(?P<num>[(（](?P<v>[a-zａ-ｚ])[)）]) ?(?P<title>\S.*)$"), False),
    ("(kanji)", re.compile(rf"^(?P<num>[(（](?P<v>[{_KANJI_NUM}]{{1,3}})[)）]) ?(?P<title>\S.*)$"), False),
    ("digit)", re.compile(rf"^(?P<num>(?P<v>[{_D}]{{1,2}})[)）]) ?" + _TITLE + "$"), True),
    ("kana)", re.compile(rf"^(?P<num>(?P<v>[{_KANA}])[)）]) ?(?P<title>\S.*)$"), True),
    ("digit.", re.compile(rf"^(?P<num>(?P<v>[{_D}]{{1,2}})[.．、]) ?" + _TITLE + "$"), True),
    ("digit", re.compile(rf"^(?P<num>[{_D}]{{1,2}}) " + _TITLE + "$"), True),
    ("kana.", re.compile(rf"^(?P<num>(?P<v>[{_KANA}])[.．、]) ?(?P<title>\S.*)$"), True),
    ("kana", re.compile(rf"^(?P<num>[{_KANA}]) (?P<title>\S.*)$"), True),
    ("kanji", re.compile(rf"^(?P<num>(?P<v>[{_KANJI_NUM}]{{1,3}})[、．.]?) (?P<title>\S.*)$"), True),
    # 「重点目標２ …」 「基本方針Ⅰ …」 「施策２：…」: a short word, its number, a space or a colon.
    ("label", re.compile(rf"^(?P<num>(?P<label>[^\s{_D}、。，,.．・「」『』()（）【】※＊*#:：第{_ROMAN}\u25a0-\u25ff★☆•]{{1,6}}?"
                         rf"[\u3400-\u9fff\u30a0-\u30ffＡ-Ｚａ-ｚA-Za-z])"
                         rf"(?P<v>[{_D}]{{1,2}}|[{_ROMAN}]|[{_KANJI_NUM}]{{1,3}}))(?: |[:：] ?)"
                         + _TITLE + "$"), True),
]
_MARKDOWN = re.compile(r"^(?P<hashes>#{1,6}) +(?P<rest>\S.*)$")


def match_heading(line: str) -> Heading | None:
    """The numbered heading ``line`` is, if it is one (sequence not checked: see :class:`Sequence`).

    Args:
        line: one logical line in canonical spacing (:func:`corpus.normalize.canonical_spacing`).

    Returns:
        The :class:`Heading`, or None.
    """
    m = _MARKDOWN.match(line)
    if m:
        inner = _match_numbered(m.group("rest"))
        scheme = f"md{len(m.group('hashes'))}"
        if inner:
            return Heading(scheme, inner.number, inner.value, inner.title, inner.page)
        title, page = split_page_marker(m.group("rest"))
        return Heading(scheme, "", None, title, page)
    return _match_numbered(line)


def _match_numbered(line: str) -> Heading | None:
    for scheme, pattern, strict in _PATTERNS:
        m = pattern.match(line)
        if not m:
            continue
        groups = m.groupdict()
        number = m.group("num").strip()
        if scheme == "ordinal":
            scheme = f"ordinal:{m.group('unit')}"
        elif scheme == "multi":
            parts = re.split(r" ?[－\-‐−–.．] ?", number.rstrip(".．"))
            scheme = f"multi{len(parts)}"
            groups["v"] = parts[-1]
        elif scheme == "label":
            scheme = f"label:{m.group('label')}"
        raw = groups.get("v") or number.rstrip(".．、 ")
        title, page = split_page_marker(m.group("title").strip())
        if not title:
            continue
        return Heading(scheme, number, numeral_value(raw), title, page, strict)
    return None


class Sequence:
    """The last number seen of each scheme, to tell a strict scheme's headings from text.

    A heading of a strict scheme is plausible when its number is 1 (a new list) or follows the last
    one of its scheme; any other heading is plausible whatever its number.
    """

    def __init__(self) -> None:
        self.last: dict[str, int | None] = {}

    def plausible(self, heading: Heading) -> bool:
        if not heading.strict or heading.value is None:
            return True
        return heading.value == 1 or self.last.get(heading.scheme) == heading.value - 1

    def accept(self, heading: Heading) -> None:
        self.last[heading.scheme] = heading.value


# Headings of a glossary section, as Japanese plans name it.
GLOSSARY_WORDS = ("用語説明", "用語解説", "用語集", "用語の説明", "用語の解説", "用語一覧", "注釈", "脚注")
_GLOSSARY_HEADING = re.compile(
    r"^(?:#{1,6} )?[" + "".join(chr(c) for c in range(0x25A0, 0x2600)) + r"・]?"
    r"[【〔［\[(（<＜〈《]?(?P<word>" + "|".join(GLOSSARY_WORDS) + r")[】〕］\])）>＞〉》]?$")


def glossary_heading(line: str) -> str | None:
    """The heading text when ``line`` opens a glossary section (「用語説明」, 「【用語解説】」, 「７ 用語集」), else None."""
    m = _GLOSSARY_HEADING.match(line)
    if m:
        return line.lstrip("# ")
    h = match_heading(line)
    if h and _GLOSSARY_HEADING.match(h.title):
        return line.lstrip("# ")
    return None


# Marks that tie a word in the text to its glossary entry: ※1, ＊1, *1, 注1, （注1）.
NOTE_MARKS = ("※", "＊", "*", "注")
_NOTE = re.compile(rf"(?P<mark>[※＊*]|(?<![\u3400-\u9fff])注) ?(?P<num>[{_D}]{{1,3}})")


def note_marker(text: str, marks: str | tuple[str, ...] = NOTE_MARKS) -> list[tuple[str, int]]:
    """Every note marker in ``text`` whose mark is one of ``marks``: ``[("※", 1), ("注", 3) …]``."""
    out = []
    for m in _NOTE.finditer(text):
        mark = "＊" if m.group("mark") == "*" else m.group("mark")
        if mark in marks or m.group("mark") in marks:
            out.append((mark, int(unicodedata.normalize("NFKC", m.group("num")))))
    return out


# A line that is only a page number: 「- 3 -」 「－３－」 「3」 「3/12」 「3 / 12」 「P.3」 「p3」 「3ページ」.
NUMBER_LINE = re.compile(
    rf"^(?P<dash>[-－‐―—–−] ?)?(?:[PpＰｐ] ?[.．]? ?)?(?P<n>[{_D}]{{1,4}})(?: ?[/／] ?[{_D}]{{1,4}})?"
    rf"(?: ?(?:ページ|頁))?(?(dash) ?[-－‐―—–−])$")


def page_number_line(line: str) -> tuple[int, bool] | None:
    """``(number, decorated)`` when ``line`` is only a page number; ``decorated`` is False for a bare
    「3」, which could also be a table cell."""
    m = NUMBER_LINE.match(line)
    if not m:
        return None
    bare = line.strip() == m.group("n")
    return int(unicodedata.normalize("NFKC", m.group("n"))), not bare
