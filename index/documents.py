"""Several documents in one index: which one is current, and which one a question names.

An index may hold several documents side by side (the 7th and the next outline, an outline and
its implementation plan: one per source file of the build). A question that names one of them is
answered from it; any other question from the *current* document.

The current document
    is the one the admin chose (``reformbot index current-document ID``; the choice is the small
    ``current-document`` file in the index root, kept across builds), else the newest:
    :func:`newest` orders documents by their own date (:attr:`corpus.model.Document.period`: the
    plan period, else a year on the title), a document without one counting as older than any
    with one, and among equals by the order the sources were given to the build (the later
    one is newer). A choice naming a document the current version no longer holds is ignored
    (the newest serves) until the admin chooses again.

A question names a document (:class:`DocumentNamer`) by
    - an ordinal on its title: 「第８次大綱」, 「第３次プラン」, "the 7th outline" (a noun after the
      ordinal must be on the title or be a word for a document: 「第３次総合計画」 names no title
      with 第３次 unless the title says 総合計画);
    - a word of its title that no other document contains anywhere: 「みどり市」, 「さくら市」, 「大綱」
      when only one document is an outline (words the other documents use, such as 行政 or 計画,
      name nothing);
    - its plan period: 「令和３年度から令和８年度までの大綱」, "2021-2026";
    - 「新しい大綱」 / "the new plan" (the newest of the documents the question otherwise allows
      and, for 大綱/計画/プラン/方針, of those with that word on their title), 「前の大綱」 / "the
      previous outline" (the one before it), 「現行の大綱」 (the current one) — only when that
      leaves two or more to choose from: with one plan indexed, 「前のプラン」 is the earlier plan
      its own text talks about.

The issuer's name and the age cue that named the document are left out of what is searched
(:meth:`DocumentNamer.without_names`).
"""
from __future__ import annotations

import json
import os
import re
import time
import unicodedata
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from corpus.dates import period_of_text, years_of_text
from corpus.model import Document
from index.errors import IndexError_

CURRENT_DOCUMENT = "current-document"
"""File in the index root holding the admin's choice: {"id": …, "chosen_at": …}."""


class DocumentNotFound(IndexError_):
    "No document with that id in the current index version."


# --- the current document ---------------------------------------------------------------------

def _age(doc: Document, position: int) -> tuple:
    return (1, *doc.period, position) if doc.period else (0, 0, 0, position)


def by_age(documents: Sequence[Document]) -> list[Document]:
    """The documents oldest first (see the module docstring for the order)."""
    return [d for _, d in sorted(((_age(d, i), d) for i, d in enumerate(documents)), key=lambda t: t[0])]


def newest(documents: Sequence[Document]) -> Document:
    """The newest document: latest period, else the latest source.

    Raises:
        ValueError: no documents.
    """
    if not documents:
        raise ValueError("no documents")
    return by_age(documents)[-1]


def read_choice(root: Path) -> str | None:
    """The admin's choice of current document in the index root ``root``, or None."""
    try:
        raw = json.loads((Path(root) / CURRENT_DOCUMENT).read_text(encoding="utf-8"))
        choice = raw.get("id") if isinstance(raw, dict) else None
    except (OSError, ValueError):
        return None
    return choice if isinstance(choice, str) and choice else None


def write_choice(root: Path, document_id: str | None) -> None:
    """Record (or, with None, clear) the admin's choice; replaced atomically."""
    root = Path(root)
    path = root / CURRENT_DOCUMENT
    if document_id is None:
        path.unlink(missing_ok=True)
        return
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{CURRENT_DOCUMENT}.{os.getpid()}.{time.time_ns()}.tmp"
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    tmp.write_text(json.dumps({"id": document_id, "chosen_at": when}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def current_document(documents: Sequence[Document], choice: str | None = None) -> Document:
    """The document questions go to by default: ``choice`` when it is one of ``documents``, else
    the :func:`newest`.

    Raises:
        ValueError: no documents.
    """
    for d in documents:
        if choice is not None and d.id == choice:
            return d
    return newest(documents)


def find_document(documents: Sequence[Document], ref: str) -> Document:
    """The document whose id is ``ref`` or starts with it (a unique prefix).

    Raises:
        DocumentNotFound: no document, or several, match.
    """
    exact = [d for d in documents if d.id == ref]
    hits = exact or [d for d in documents if d.id.startswith(ref)]
    if len(hits) == 1:
        return hits[0]
    ids = ", ".join(d.id for d in documents)
    if not hits:
        raise DocumentNotFound(f"no document {ref!r} in the current index version (documents: {ids})")
    raise DocumentNotFound(f"{ref!r} matches several documents ({', '.join(d.id for d in hits)}): give more of the id")


# --- which document a question names ----------------------------------------------------------

_ORDINAL = re.compile(r"第\s*(\d{1,3})\s*([次期回号版])")
_ORDINAL_EN = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b", re.I)
_NOUN_AFTER = re.compile(r"^[\s・]*([\u3400-\u9fff\u30a0-\u30ffー]{2,})")
DOCUMENT_WORDS = ("大綱", "計画", "プラン", "方針", "文書", "資料", "行革", "素案", "版")
"""Nouns that stand for a document whatever its title says (「第８次の大綱」, 「新しいプラン」)."""
_DOC = "(?:" + "|".join(sorted(DOCUMENT_WORDS, key=len, reverse=True)) + "|もの|ほう|方)"
_EN_DOC = r"\s+(?=(?:outline|plan|document|version|one|edition)\b)"


def _cue(japanese: str, english: str) -> re.Pattern:
    # The cue is group 1 (Japanese; its noun, which stays in the question, group 2) or group 3 (English).
    return re.compile(rf"({japanese})(?:ほうの|方の)?(?=({_DOC}))|\b({english}){_EN_DOC}", re.I)


_CUES = (
    ("current", _cue("現行の?|今の|現在の", "current|present")),
    ("new", _cue("新しい|新たな|最新の?|次期の?|改訂後の|改定後の|新", "new|newer|newest|latest|revised|next|upcoming")),
    ("old", _cue("旧|前の|以前の|古い|従来の|改訂前の|改定前の|前回の|前期の", "old|older|oldest|previous|former|earlier|prior|last")),
)
# The body that issued a document (みどり市, さくら市, 〇〇県): on its title, it names the document.
_ISSUER = re.compile(r"[^\s0-9]{1,8}[市町村区県都府道]")
KIND_WORDS = ("大綱", "計画", "プラン", "方針")
"""Nouns that name a kind of document: 「新しい大綱」 picks among the documents with 大綱 on their
title. The other nouns (方, もの, 文書, "plan" …) stand for any document."""


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


class DocumentNamer:
    """Which of several documents a question names (see the module docstring).

    Args:
        documents: the indexed documents.
        texts: document id -> all of its text (title, headings, passages), for telling which
            title words only one document uses.
        tokenize: text -> words (the BM25 tokenizer: 「みどり市」 gives みどり市, みどり).
        expand: question -> question with the terms it stands for ("outline" -> 大綱), optional.
    """

    def __init__(self, documents: Sequence[Document], texts: Mapping[str, str], tokenize,
                 expand=None) -> None:
        self.documents = list(documents)
        self._texts = {d.id: _squash(f"{d.title}\n{texts.get(d.id, '')}") for d in self.documents}
        self._tokenize = tokenize
        self._expand = expand
        self._title_words = self._distinctive_title_words()

    def _distinctive_title_words(self) -> dict[str, frozenset[str]]:
        """Title word -> the documents whose titles have it, for words no other document uses."""
        owners: dict[str, set[str]] = {}
        for d in self.documents:
            for w in self._tokenize(d.title):
                w = _squash(w)
                if len(w) >= 2 and not w.isdigit():
                    owners.setdefault(w, set()).add(d.id)
        everyone = {d.id for d in self.documents}
        out = {}
        for w, ids in owners.items():
            if ids != everyone and not any(w in self._texts[o] for o in everyone - ids):
                out[w] = frozenset(ids)
        return out

    def by_title_words(self, question: str) -> set[str]:
        """Documents named by a title word only they use."""
        text = self._expand(question) if self._expand else question
        words = {_squash(w) for w in self._tokenize(text)}
        return {i for w in words & self._title_words.keys() for i in self._title_words[w]}

    def by_ordinal(self, question: str) -> set[str]:
        """Documents whose title carries the question's ordinal (第８次, "8th")."""
        q = unicodedata.normalize("NFKC", question)
        out: set[str] = set()
        for d in self.documents:
            title = unicodedata.normalize("NFKC", d.title)
            own = {(int(n), unit) for n, unit in _ORDINAL.findall(title)}
            if not own:
                continue
            for m in _ORDINAL.finditer(q):
                if (int(m.group(1)), m.group(2)) not in own:
                    continue
                noun = _NOUN_AFTER.match(q[m.end():])
                head = noun.group(1) if noun else ""
                if not head or any(head.startswith(w) for w in DOCUMENT_WORDS) or head[:2] in title:
                    out.add(d.id)
            if any(int(n) in {k for k, _ in own} for n in _ORDINAL_EN.findall(q)):
                out.add(d.id)
        return out

    def by_period(self, question: str) -> set[str]:
        """Documents whose plan period is the range the question names (or holds it)."""
        period = period_of_text(question)
        if period is None:
            years = sorted(set(years_of_text(question)))
            if len(years) < 2:
                return set()
            period = (years[0], years[-1])
        exact = {d.id for d in self.documents if d.period == period}
        if exact:
            return exact
        return {d.id for d in self.documents if d.period and d.period[0] <= period[0] and period[1] <= d.period[1]}

    def _allowed(self, question: str) -> tuple[list[set[str]], set[str]]:
        """(the sets of documents each signal names, the documents they allow together)."""
        signals = [s for s in (self.by_title_words(question), self.by_ordinal(question), self.by_period(question)) if s]
        allowed = set.intersection(*signals) if signals else {d.id for d in self.documents}
        if signals and not allowed:          # conflicting signals (「第８次大綱とみどり市のプラン」)
            allowed = set.union(*signals)
        return signals, allowed

    def _cue(self, question: str, allowed: set[str], current: str | None) -> tuple[str | None, re.Pattern | None]:
        """The document an age cue picks (「新しい大綱」, 「前のプラン」, "the previous outline",
        「現行の大綱」), with the cue's pattern; (None, None) when there is none.

        A cue picks among the allowed documents of the kind its noun names (大綱: those with 大綱 on
        their title), and only when there are two or more of them: with one plan indexed,
        「前のプラン」 is the plan before it that the text itself talks about (第２次プラン).
        """
        q = unicodedata.normalize("NFKC", question)
        for pick, pattern in _CUES:
            m = pattern.search(q)
            if not m:
                continue
            noun = m.group(2) or ""
            kind = [d for d in by_age(self.documents) if d.id in allowed
                    and (noun not in KIND_WORDS or noun in unicodedata.normalize("NFKC", d.title))]
            if len(kind) < 2 or (pick == "current" and current not in {d.id for d in kind}):
                continue
            return {"current": current, "new": kind[-1].id, "old": kind[-2].id}[pick], pattern
        return None, None

    def without_names(self, question: str, current: str | None = None) -> str:
        """The question without the issuer's name that named a document (「みどり市のプランの計画期間は？」
        -> 「のプランの計画期間は？」) and the age cue that chose one (「新しい大綱の…」 -> 「大綱の…」):
        they chose the document, they are not what is asked, and left in they make the passage
        under the title (the preamble) look like the answer. Other title words (大綱, 行政改革) stay:
        they are also what questions are about (on the dev set, leaving out every title word cost
        hit@1 .975 -> .900 with the practice plan indexed beside the outline)."""
        _, cue = self._cue(question, self._allowed(question)[1], current)
        q = unicodedata.normalize("NFKC", question)
        squashed = _squash(q)
        for w in sorted(self._title_words, key=len, reverse=True):
            if w in squashed and _ISSUER.fullmatch(w):
                q = q.replace(w, "")
        if cue is not None:
            q = cue.sub("", q)
            q = " ".join(q.split()) if q.isascii() else q
        # 「みどり市のプラン」 alone asks about the document itself: nothing else to search for.
        return q if len(re.sub(r"[\sのはをがにへと?？、。]", "", q)) >= 2 else question

    def named(self, question: str, current: str | None = None) -> list[str]:
        """The ids of the documents ``question`` names, in index order (empty: it names none).

        Args:
            question: the question (with the conversation's previous question, for a follow-up).
            current: the current document's id (for 「現行の大綱」).
        """
        if len(self.documents) < 2:
            return []
        signals, allowed = self._allowed(question)
        picked, _ = self._cue(question, allowed, current)
        if picked is not None:
            return [picked]
        return [d.id for d in self.documents if d.id in allowed] if signals else []


def choose(named: Iterable[str], current: str, documents: Sequence[Document]) -> str:
    """The one document to answer from: the current one when the question names it (or names
    nothing), else the newest of those it names."""
    named = list(named)
    if not named or current in named:
        return current
    return by_age([d for d in documents if d.id in named])[-1].id
