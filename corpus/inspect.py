"""What a source file will be read as, for an admin to check before publishing it.

    >>> from corpus.inspect import inspect_source, format_inspection
    >>> print(format_inspection(inspect_source("plan.pdf")))

The section tree (numbering as written, level, page, item count), the glossary terms with their
pages, where the pages come from, how the numbering schemes were ranked into levels, what was
taken out as page furniture (running headers and footers, page numbers), what could not be placed
in any section or entry, and what is worth a look (a marker without a glossary entry, a numbered
line that breaks its numbering, numbered lines read as a list, pages without text). Pure: it reads
the file and returns data; the CLI prints it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from corpus.chunker import chunk_document
from corpus.model import GlossaryEntry, Section
from corpus.pages import Line
from corpus.parser import merge, parse_text
from corpus.reader import SourceLimits, read_source

__all__ = ["Inspection", "inspect_source", "format_inspection"]

PAGE_SOURCES = {
    "markers": "page markers in the headings (大綱P.x, 本編 p.x); sections under a heading take its page",
    "printed": "page numbers printed on the pages (- 3 -, 3/12 …)",
    "pdf": "the PDF's own pages (the document prints no page markers or numbers)",
    "none": "none: the file has no pages and prints no page markers",
}


@dataclass(frozen=True)
class Inspection:
    """How one source file is read."""

    source: str                       # the path given
    encoding: str                     # "utf-8", "cp932", "pdf", "docx" …
    title: str
    pages: int
    page_source: str                  # a key of PAGE_SOURCES
    schemes: tuple[str, ...]          # numbering schemes, top level first
    scheme_examples: tuple[str, ...]  # the first number written in each
    sections: tuple[Section, ...]
    glossary_title: str
    glossary: tuple[GlossaryEntry, ...]
    chunks: int
    chunks_without_page: int
    removed: tuple[Line, ...]         # page furniture taken out
    unplaced: tuple[Line, ...]        # text in no section or entry
    notes: tuple[str, ...]
    blank_pages: tuple[int, ...]

    def to_dict(self) -> dict:
        """A JSON-ready form (``reformbot index inspect --json``)."""
        return {
            "source": self.source, "encoding": self.encoding, "title": self.title, "pages": self.pages,
            "page_source": self.page_source,
            "levels": [{"level": i + 1, "scheme": s, "example": e}
                       for i, (s, e) in enumerate(zip(self.schemes, self.scheme_examples))],
            "sections": [{"id": s.id, "number": s.number, "title": s.title, "level": s.level, "page": s.page,
                          "items": len(s.items), "path": list(s.path)} for s in self.sections],
            "glossary_title": self.glossary_title,
            "glossary": [{"id": e.id, "marker": f"{e.marker}{e.number}", "term": e.term, "page": e.page,
                          "abbreviation": e.abbreviation, "expansion": e.expansion} for e in self.glossary],
            "chunks": self.chunks, "chunks_without_page": self.chunks_without_page,
            "removed": [{"text": l.text, "page": l.page} for l in self.removed],
            "unplaced": [{"text": l.text, "page": l.page} for l in self.unplaced],
            "notes": list(self.notes), "blank_pages": list(self.blank_pages),
        }


def inspect_source(path: str | Path, *, limits: SourceLimits | None = None) -> Inspection:
    """Read one source file as the index build would, and report how it was read.

    Args:
        path: a .txt, .md, .pdf or .docx file.
        limits: size, page and time bounds (as the build applies them).

    Returns:
        The :class:`Inspection`.

    Raises:
        SourceError, OutlineError: the file cannot be read, or holds no outline content.
    """
    src = read_source(path, limits=limits)
    parsed = parse_text(src.text, source=src.path)
    doc = merge([src], [parsed])
    chunks = chunk_document(doc)
    notes = list(parsed.notes)
    if parsed.blank_pages:
        notes.append(f"pages without any text: {_ranges(parsed.blank_pages)} (scanned? run OCR on them, "
                     "or export the PDF again with its text)")
    return Inspection(
        source=str(path), encoding=src.encoding, title=doc.title, pages=parsed.pages,
        page_source=parsed.page_source, schemes=parsed.schemes, scheme_examples=parsed.scheme_examples,
        sections=parsed.sections, glossary_title=parsed.glossary_title, glossary=parsed.glossary,
        chunks=len(chunks), chunks_without_page=sum(c.page is None for c in chunks),
        removed=parsed.removed, unplaced=parsed.unplaced, notes=tuple(notes), blank_pages=parsed.blank_pages)


def _ranges(numbers: Sequence[int]) -> str:
    out, start, prev = [], None, None
    for n in list(numbers) + [None]:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    return ", ".join(out)


def _page(page: int | None) -> str:
    return f"p.{page}" if page is not None else "p.-"


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_inspection(ins: Inspection, *, show: int = 12) -> str:
    """The inspection as plain text: summary, section tree, glossary, pages, removed, unplaced, notes.

    Args:
        ins: the inspection.
        show: at most this many removed or unplaced lines are listed (the count is always given).
    """
    lines = [f"file: {ins.source} ({ins.encoding}, {ins.pages} page{'s' if ins.pages != 1 else ''})",
             f"title: {ins.title}"]
    if ins.schemes:
        lines.append("heading levels (in the order the numbering first appears): " + "  ".join(
            f"{i + 1}: {e} [{s}]" for i, (s, e) in enumerate(zip(ins.schemes, ins.scheme_examples))))
    lines.append(f"sections ({len(ins.sections)}):")
    for s in ins.sections:
        indent = "  " * len(s.path)
        lines.append(f"{indent}{s.path[-1]}  [{s.id}, {_page(s.page)}, {len(s.items)} item{'s' * (len(s.items) != 1)}]")
    lines.append(f"glossary «{ins.glossary_title}» ({len(ins.glossary)} term{'s' * (len(ins.glossary) != 1)}):"
                 if ins.glossary else "glossary: none found")
    for e in ins.glossary:
        extra = f" = {e.expansion}" if e.expansion else ""
        lines.append(f"  {e.marker}{e.number} {e.term}{extra}  [{e.id}, {_page(e.page)}] {_short(e.definition)}")
    lines.append(f"pages: {PAGE_SOURCES[ins.page_source]}")
    lines.append(f"chunks: {ins.chunks}" + (f", {ins.chunks_without_page} without a page" if ins.chunks_without_page
                                            else ", every one with a page"))
    for label, rows in (("removed as page furniture (headers, footers, page numbers)", ins.removed),
                        ("not placed in any section or glossary entry", ins.unplaced)):
        lines.append(f"{label}: {len(rows)} line{'s' * (len(rows) != 1)}")
        lines += [f"  {_page(l.page)}  {_short(l.text, 60)}" for l in rows[:show]]
        if len(rows) > show:
            lines.append(f"  … and {len(rows) - show} more")
    lines.append("check:" if ins.notes else "check: nothing to report")
    lines += [f"  - {n}" for n in ins.notes]
    return "\n".join(lines)
