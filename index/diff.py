"""What changed between two index versions: sections and glossary entries, line by line.

A readable diff for Japanese text: each section's items are split into bullets, lines and
sentences (「。」), compared after NFKC and whitespace folding (a full/half-width or PDF line-break
difference is not a change), and aligned with difflib. A changed line is shown whole, old beside
new, with the changed characters marked; nothing is compared byte by byte.

Pure functions over :class:`corpus.model.Document`; :func:`diff_versions` reads two version
directories (document.json and chunks.jsonl only: no FAISS, no model). With several documents
indexed, each is compared with the document of the same id in the other version (a lone document
on each side is compared with the other whatever its id: a revision saved under a new file name);
changes then carry their document (id ``doc:s5-2``, title 『document title』 › …).
"""
from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from corpus.model import Document, GlossaryEntry, Section
from index.store import CHUNKS, DOCUMENT, documents_from_dict, read_manifest

PAIR_SIMILARITY = 0.45
"""Two lines in a replaced block are shown as one changed line (old -> new) when at least this
similar (difflib ratio on NFKC text); otherwise as one removed and one added line."""


@dataclass(frozen=True)
class LineChange:
    """One bullet/line/sentence that was added, removed or changed."""

    op: str                      # "added" | "removed" | "changed"
    old: str = ""                # as written in the old version ("" when added)
    new: str = ""                # as written in the new version ("" when removed)

    def marked(self) -> tuple[str, str]:
        """(old, new) with the changed characters marked 〔-…-〕 / 〔+…+〕 (changed lines only)."""
        if self.op != "changed":
            return self.old, self.new
        # Numbers and Latin words are compared whole (「20億円」->「25億円」 marks 20/25, not 0/5).
        ot, nt = _TOKEN.findall(self.old), _TOKEN.findall(self.new)
        sm = difflib.SequenceMatcher(None, ot, nt, autojunk=False)
        o, n = [], []
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                o.append("".join(ot[i1:i2]))
                n.append("".join(nt[j1:j2]))
            else:
                if i2 > i1:
                    o.append(f"〔-{''.join(ot[i1:i2])}-〕")
                if j2 > j1:
                    n.append(f"〔+{''.join(nt[j1:j2])}+〕")
        return "".join(o), "".join(n)


_TOKEN = re.compile(r"\d+(?:[.,．，]\d+)*|[A-Za-zＡ-Ｚａ-ｚ]+|.", re.S)


@dataclass(frozen=True)
class ItemChange:
    """A section or glossary entry that was added, removed or changed."""

    kind: str                    # "section" | "glossary"
    op: str                      # "added" | "removed" | "changed"
    id: str                      # Section.id / GlossaryEntry.id (stable across versions)
    title: str                   # breadcrumb (sections) or term (glossary), newest wording
    page: int | None             # 大綱P.x (new version's, else old's)
    old_page: int | None = None
    lines: tuple[LineChange, ...] = ()
    old_title: str = ""          # when the heading itself changed
    page_label: str = ""         # ``page`` as its document prints it: "大綱P.3" (else cited as p.3)
    old_page_label: str = ""

    @property
    def citation(self) -> str:
        return f"{self.title} ({self.cite_page})" if self.page else self.title

    @property
    def cite_page(self) -> str:
        """The page as the document prints it: "大綱P.3", else "p.3" ("" without a page)."""
        return (self.page_label or f"p.{self.page}") if self.page else ""


@dataclass(frozen=True)
class RevisionDiff:
    """Everything that changed from ``old_version`` to ``new_version``."""

    old_version: str
    new_version: str
    changes: tuple[ItemChange, ...]
    changed_chunk_ids: tuple[str, ...] = ()      # old chunk ids whose text changed or that are gone
    old_built_at: str = ""
    new_built_at: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def counts(self) -> dict[str, int]:
        """{"sections_added", "sections_removed", "sections_changed", "glossary_added", …}."""
        out = {f"{k}_{op}": 0 for k in ("sections", "glossary") for op in ("added", "removed", "changed")}
        for c in self.changes:
            out[f"{'sections' if c.kind == 'section' else 'glossary'}_{c.op}"] += 1
        return out

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict:
        return {
            "old_version": self.old_version, "new_version": self.new_version,
            "old_built_at": self.old_built_at, "new_built_at": self.new_built_at,
            "counts": self.counts(), "changed_chunk_ids": list(self.changed_chunk_ids),
            "changes": [{**asdict(c), "lines": [asdict(x) for x in c.lines]} for c in self.changes],
        }


# --- splitting and comparing text -------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[。．！？])")


def units(items: Sequence[str]) -> list[str]:
    """Split section items into the units a reader compares: bullets, lines, then sentences."""
    out = []
    for item in items:
        for line in str(item).split("\n"):
            for s in _SENTENCE.split(line):
                s = s.strip()
                if s:
                    out.append(s)
    return out


def key(text: str) -> str:
    """Comparison key: NFKC, no whitespace (PDF extraction puts spaces and breaks anywhere)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def diff_lines(old: Sequence[str], new: Sequence[str]) -> tuple[LineChange, ...]:
    """Added, removed and changed units between two unit lists, in reading order."""
    ok, nk = [key(x) for x in old], [key(x) for x in new]
    out: list[LineChange] = []
    sm = difflib.SequenceMatcher(None, ok, nk, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if tag == "delete":
            out += [LineChange("removed", old=x) for x in old[i1:i2]]
        elif tag == "insert":
            out += [LineChange("added", new=x) for x in new[j1:j2]]
        else:
            out += _pair(list(old[i1:i2]), list(new[j1:j2]))
    return tuple(out)


def _pair(old: list[str], new: list[str]) -> list[LineChange]:
    """Align a replaced block: similar lines become "changed", the rest removed/added, in order."""
    out: list[LineChange] = []
    j = 0
    for o in old:
        best, best_r = None, PAIR_SIMILARITY
        for jj in range(j, len(new)):
            r = difflib.SequenceMatcher(None, key(o), key(new[jj]), autojunk=False).ratio()
            if r >= best_r:
                best, best_r = jj, r
        if best is None:
            out.append(LineChange("removed", old=o))
            continue
        out += [LineChange("added", new=x) for x in new[j:best]]
        out.append(LineChange("changed", old=o, new=new[best]))
        j = best + 1
    out += [LineChange("added", new=x) for x in new[j:]]
    return out


# --- documents ------------------------------------------------------------------------------

def _crumb(s: Section) -> str:
    return " › ".join(s.path) if s.path else f"{s.number} {s.title}".strip()


def _glossary_units(g: GlossaryEntry) -> list[str]:
    return units([g.definition])


def _glossary_title(g: GlossaryEntry) -> str:
    return f"{g.marker}{g.number} {g.term}"


def diff_documents(old: Document, new: Document) -> tuple[ItemChange, ...]:
    """Sections and glossary entries added, removed and changed from ``old`` to ``new``.

    Sections are matched by their stable id; the order is the new document's reading order,
    with removed items where they stood in the old one. Pages carry the documents' own wording.
    """
    from dataclasses import replace

    return tuple(replace(c, page_label=(new if c.op != "removed" else old).cite_page(c.page),
                         old_page_label=old.cite_page(c.old_page)) for c in _diff_documents(old, new))


def _diff_documents(old: Document, new: Document) -> list[ItemChange]:
    changes: list[ItemChange] = []
    old_s = {s.id: s for s in old.sections}
    new_s = {s.id: s for s in new.sections}
    for s in _merged(old.sections, new.sections):
        o, n = old_s.get(s.id), new_s.get(s.id)
        if o is None:
            changes.append(ItemChange("section", "added", n.id, _crumb(n), n.page,
                                      lines=tuple(LineChange("added", new=x) for x in units(n.items))))
        elif n is None:
            changes.append(ItemChange("section", "removed", o.id, _crumb(o), o.page, old_page=o.page,
                                      lines=tuple(LineChange("removed", old=x) for x in units(o.items))))
        else:
            lines = diff_lines(units(o.items), units(n.items))
            title_changed = key(_crumb(o)) != key(_crumb(n))
            if lines or title_changed or o.page != n.page:
                changes.append(ItemChange("section", "changed", n.id, _crumb(n), n.page, old_page=o.page,
                                          lines=lines, old_title=_crumb(o) if title_changed else ""))
    old_g = {g.id: g for g in old.glossary}
    new_g = {g.id: g for g in new.glossary}
    for g in _merged(old.glossary, new.glossary):
        o, n = old_g.get(g.id), new_g.get(g.id)
        if o is None:
            changes.append(ItemChange("glossary", "added", n.id, _glossary_title(n), n.page,
                                      lines=tuple(LineChange("added", new=x) for x in _glossary_units(n))))
        elif n is None:
            changes.append(ItemChange("glossary", "removed", o.id, _glossary_title(o), o.page, old_page=o.page,
                                      lines=tuple(LineChange("removed", old=x) for x in _glossary_units(o))))
        else:
            lines = diff_lines(_glossary_units(o), _glossary_units(n))
            title_changed = key(_glossary_title(o)) != key(_glossary_title(n))
            if lines or title_changed or o.page != n.page:
                changes.append(ItemChange("glossary", "changed", n.id, _glossary_title(n), n.page,
                                          old_page=o.page, lines=lines,
                                          old_title=_glossary_title(o) if title_changed else ""))
    return changes


def _merged(old: Sequence, new: Sequence) -> list:
    """New items in order, with removed old items inserted after their old predecessor."""
    new_ids = {x.id for x in new}
    out = list(new)
    for i, x in enumerate(old):
        if x.id in new_ids:
            continue
        prev_ids = [y.id for y in old[:i] if y.id in {z.id for z in out}]
        pos = next((k + 1 for k in range(len(out) - 1, -1, -1) if prev_ids and out[k].id == prev_ids[-1]), 0)
        out.insert(pos, x)
    return out


# --- versions on disk -----------------------------------------------------------------------

def _read_version(directory: Path) -> tuple[tuple[Document, ...], dict[tuple[str, str], tuple[str, str]]]:
    """The documents of a version, and (document, chunk id within it) -> (chunk id, content hash)."""
    docs = documents_from_dict(json.loads((directory / DOCUMENT).read_text(encoding="utf-8")))
    chunks = {}
    with (directory / CHUNKS).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                c = json.loads(line)
                doc = c.get("document") or docs[0].id
                own = c["id"][len(doc) + 1:] if c["id"].startswith(f"{doc}:") else c["id"]
                chunks[(doc, own)] = (c["id"], c["content_hash"])
    return docs, chunks


def _pairs(old: Sequence[Document], new: Sequence[Document]) -> list[tuple[Document | None, Document | None]]:
    """Old and new documents compared with each other: same id, else the lone one on each side."""
    new_ids = {d.id for d in new}
    old_ids = {d.id for d in old}
    lone_old = [d for d in old if d.id not in new_ids]
    lone_new = [d for d in new if d.id not in old_ids]
    renamed = {lone_old[0].id: lone_new[0]} if len(lone_old) == len(lone_new) == 1 else {}
    pairs: list[tuple[Document | None, Document | None]] = []
    for o in old:
        n = next((d for d in new if d.id == o.id), None) or renamed.get(o.id)
        pairs.append((o, n))
    paired = {n.id for _, n in pairs if n is not None}
    pairs += [(None, n) for n in new if n.id not in paired]
    return pairs


def _empty(like: Document) -> Document:
    return Document(title=like.title, sources=(), source_hashes={}, sections=(), glossary=(), id=like.id)


def _named(change: ItemChange, doc: Document) -> ItemChange:
    from dataclasses import replace

    return replace(change, id=f"{doc.id}:{change.id}", title=f"『{doc.title}』 › {change.title}",
                   old_title=f"『{doc.title}』 › {change.old_title}" if change.old_title else "")


def diff_versions(old_dir: Path, new_dir: Path) -> RevisionDiff:
    """The diff between two version directories (reads document.json and chunks.jsonl).

    Raises:
        IndexNotBuilt, IndexMismatch: a version's manifest is missing or unreadable.
    """
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    om, nm = read_manifest(old_dir), read_manifest(new_dir)
    old_docs, old_chunks = _read_version(old_dir)
    new_docs, new_chunks = _read_version(new_dir)
    several = len(old_docs) > 1 or len(new_docs) > 1
    changes: list[ItemChange] = []
    changed_chunks: list[str] = []
    for o, n in _pairs(old_docs, new_docs):
        found = diff_documents(o or _empty(n), n or _empty(o))
        changes += [_named(c, n or o) for c in found] if several else found
        if o is None:
            continue
        theirs = {own: h for (doc, own), (_, h) in new_chunks.items() if n is not None and doc == n.id}
        changed_chunks += [cid for (doc, own), (cid, h) in old_chunks.items() if doc == o.id and theirs.get(own) != h]
    return RevisionDiff(old_version=old_dir.name, new_version=new_dir.name,
                        changes=tuple(changes), changed_chunk_ids=tuple(changed_chunks),
                        old_built_at=om.built_at, new_built_at=nm.built_at)


# --- text rendering (CLI) -------------------------------------------------------------------

OP_MARK = {"added": "+", "removed": "-", "changed": "~"}
OP_LABEL = {"added": "追加", "removed": "削除", "changed": "変更"}


def display_width(text: str) -> int:
    """Terminal columns of ``text`` (East Asian wide and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_width(text: str, width: int) -> list[str]:
    """Wrap ``text`` to ``width`` terminal columns (Japanese has no spaces: break anywhere)."""
    lines, cur, w = [], [], 0
    for ch in text:
        cw = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if w + cw > width and cur:
            lines.append("".join(cur))
            cur, w = [], 0
        cur.append(ch)
        w += cw
    if cur or not lines:
        lines.append("".join(cur))
    return lines


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def format_diff(diff: RevisionDiff, width: int = 100, side_by_side: bool = True) -> str:
    """The diff as text: a summary, then each changed item with old and new side by side.

    Args:
        diff: the diff.
        width: terminal width in columns.
        side_by_side: two columns (旧 | 新); False puts old above new (narrow terminals, logs).
    """
    c = diff.counts()
    out = [f"{diff.old_version} → {diff.new_version}",
           f"節: 追加 {c['sections_added']} / 削除 {c['sections_removed']} / 変更 {c['sections_changed']}   "
           f"用語: 追加 {c['glossary_added']} / 削除 {c['glossary_removed']} / 変更 {c['glossary_changed']}"]
    if diff.empty:
        out.append("変更はありません (no changes)")
        return "\n".join(out)
    col = max(20, (width - 3) // 2)
    for ch in diff.changes:
        out.append("")
        page = f" ({ch.cite_page})" if ch.page else ""
        if ch.old_page and ch.page != ch.old_page and ch.op == "changed":
            page = f" ({ch.old_page_label or f'p.{ch.old_page}'} → {ch.cite_page})"
        kind = "節" if ch.kind == "section" else "用語"
        out.append(f"{OP_MARK[ch.op]} [{kind}{OP_LABEL[ch.op]}] {ch.title}{page}  <{ch.id}>")
        if ch.old_title:
            out.append(f"    見出し: {ch.old_title} → {ch.title}")
        for line in ch.lines:
            old, new = line.marked()
            if side_by_side:
                left = wrap_width(old, col) if old else [""]
                right = wrap_width(new, col) if new else [""]
                for i in range(max(len(left), len(right))):
                    lo = left[i] if i < len(left) else ""
                    ro = right[i] if i < len(right) else ""
                    mark = OP_MARK[line.op] if i == 0 else " "
                    out.append(f"{mark} {_pad(lo, col)} │ {ro}".rstrip())
            else:
                if old:
                    out.append(f"  - 旧: {old}")
                if new:
                    out.append(f"  + 新: {new}")
    return "\n".join(out)
