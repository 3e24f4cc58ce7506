"""Dataclasses for the outline as a structured document.

source file -> :class:`Document` (sections + glossary) -> :class:`Chunk` list.
Display text keeps the original characters; ``match_text`` is NFKC for matching.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GlossaryEntry:
    """One glossary entry (※N, ＊N or 注N), e.g. ※3 ＰＰＰ (Public Private Partnership)."""

    id: str                      # stable, e.g. "g-ppp"
    number: int                  # N of ※N (two entries share 3)
    term: str                    # as written, e.g. "ＰＰＰ", "業務継続計画（ＢＣＰ）"
    page: int | None             # 【P.x】, else where the term is first marked (or, in a document
                                 # without page markers, the page the entry is on)
    definition: str              # full text, multi-part definitions joined with newlines
    abbreviation: str | None = None   # "ＰＰＰ", "ＢＣＰ" (original characters)
    expansion: str | None = None      # "Public Private Partnership"
    aliases: tuple[str, ...] = ()     # NFKC match keys: term, abbreviation, expansion, reading parts
    heading: str = ""            # the entry's heading as written, without 【P.x】:
                                 # "※3 ＰＰＰ（Public Private Partnershipの略）"
    marker: str = "※"           # the mark that ties the text to the entry: "※", "＊" or "注"


@dataclass(frozen=True)
class Section:
    """A node of the plan's structure: numbered section, (n) subsection, ア goal, (ｱ) item …"""

    id: str                      # stable, e.g. "s5-3-a-i"
    number: str                  # as written: "５", "(3)", "ア", "(ｱ)", "第２章", "２－１", "基本方針Ⅰ"
    title: str                   # heading text as written
    level: int                   # 1 = the document's top-level numbering scheme
    path: tuple[str, ...]        # breadcrumb labels ("number title") from the top, including this
                                 # one: ("第４章 基本方針と計画期間", "４－１ 計画期間")
    page: int | None             # its page marker (大綱P.x, inherited from the section above), else
                                 # the page the heading is on (printed number, else the PDF page)
    items: tuple[str, ...] = ()  # bullets / lines directly under this heading, repaired; a
                                 # 【label】 item holds its lines joined with "\n"
    glossary_refs: tuple[int, ...] = ()  # ※N (＊N, 注N) markers found in this section's text
    item_pages: tuple[int | None, ...] = ()  # the page of each item, when pages come from the
                                 # file (no page markers); empty otherwise


@dataclass(frozen=True)
class Document:
    """A parsed plan: one or more source files read as one document.

    An index may hold several documents side by side (one per source file given to the build);
    ``id`` tells them apart in chunks, citations and ``reformbot index current-document``.
    """

    title: str                           # the first source's first line (else its metadata title)
    sources: tuple[str, ...]             # file names
    source_hashes: dict[str, str]        # file name -> sha256 of the bytes
    sections: tuple[Section, ...]
    glossary: tuple[GlossaryEntry, ...]
    glossary_title: str = "用語説明"     # heading of the glossary as written (breadcrumb root)
    id: str = ""                         # from the file name: "outline-7th-summary" ("" when not set)
    page_label: str = ""                 # how the document prints a page marker, "{page}" for the
                                         # number: "大綱P.{page}", "本編 p.{page}" ("" when it has none)
    period: tuple[int, int] | None = None  # its own date, western years: the plan period
                                         # (2021, 2026), else a year on its title (corpus/dates.py)

    def cite_page(self, page: int | None) -> str:
        """A page as this document prints it: "大綱P.5", "本編 p.9", else "p.5" ("" for no page)."""
        if page in (None, ""):
            return ""
        return (self.page_label or "p.{page}").replace("{page}", str(page))

    @property
    def breadcrumbs(self) -> dict[str, str]:
        """Section id -> breadcrumb string ("５ … › (2) …")."""
        return {s.id: " › ".join(s.path) for s in self.sections}


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded, indexed and cited."""

    id: str                      # stable across rebuilds while its section/entry identity holds
    kind: str                    # "body" | "glossary"
    section: str                 # breadcrumb for display: "第４章 基本方針と計画期間 › ４－１ 計画期間"
    page: int | None
    text: str                    # display text (original characters)
    content_hash: str            # sha256 of text + section (hex)
    match_text: str = ""         # NFKC form used for lexical matching and embedding
    glossary_refs: tuple[str, ...] = ()   # GlossaryEntry ids mentioned in the text
    section_id: str = ""         # Section.id or GlossaryEntry.id this chunk comes from
    document: str = ""           # Document.id of the document it is cut from ("" when not set)
    meta: dict = field(default_factory=dict, compare=False, hash=False)
