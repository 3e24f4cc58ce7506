"""The answer contract shared by every surface (web, API, CLI, Slack).

``{"question", "found", "answer", "sources": [{"rank", "text", "section", "page", "score",
"kind", "id", "document": {"id", "title"}, "page_label"}], "glossary": [{"term", "definition"}],
"index_version", "document": {"id", "title"}, "documents": [{"id", "title"}],
"other_sources": [source, …], "searched_as": str, "highlight", "notice"}``

``document`` is the document the answer is about (the current one, or the one the question
names), ``documents`` every indexed document; with more than one, ``other_sources`` holds the
passages of the other documents that answer the question too (each names its document), and
surfaces name the document in every citation.

``searched_as`` is what was searched when the conversation's earlier turns were used to read the
question (a follow-up 「第２期は？」 searched as 「第２期実施計画の期間は？」), shown by every surface
(「『…』として検索しました」); "" when the question was searched on its own. ``question`` is always the
message as the user typed it (chat phrasing and all).

``highlight`` is the line(s) of ``answer`` that state the answer, verbatim: each of its lines is
a sentence or bullet of ``answer`` ("" when nothing is found). Surfaces show it first (Slack in
bold, the web page marked, the CLI on top) with the rest of ``answer`` as context. ``notice`` is a
short line of the bot's own about how the answer was shaped by the document's structure: which
items exist when the question named one that does not, how many lines of a long list were left
out, which part of a two-part question the document does not cover ("" when there is nothing to say).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class DocumentRef:
    """Which indexed document a passage or an answer comes from."""

    id: str
    title: str


@dataclass(frozen=True)
class Source:
    """One cited passage."""

    rank: int
    text: str
    section: str
    page: int | None
    score: float
    kind: str          # "body" | "glossary"
    id: str            # chunk id
    document: DocumentRef | None = None   # None only in answers made before documents had ids
    page_label: str = ""     # the page as the document prints it: "大綱P.5", "本編p.9", "p.5" ("" without a page)

    def cite_page(self) -> str:
        """The page for a citation: ``page_label``, else "p.N" ("" without a page)."""
        if self.page in (None, ""):
            return ""
        return self.page_label or f"p.{self.page}"


@dataclass(frozen=True)
class GlossaryNote:
    """A glossary definition shown beside the answer."""

    term: str
    definition: str


@dataclass(frozen=True)
class Answer:
    """An extractive answer: outline text only, never generated facts."""

    question: str
    found: bool
    answer: str
    sources: tuple[Source, ...] = ()
    glossary: tuple[GlossaryNote, ...] = ()
    index_version: str = ""
    document: DocumentRef | None = None          # the document answered from (current or named)
    documents: tuple[DocumentRef, ...] = ()      # every indexed document, in index order
    other_sources: tuple[Source, ...] = ()       # passages of the other documents that answer it too
    searched_as: str = ""                        # the question as read with the conversation ("" = on its own)
    highlight: str = ""        # the line(s) of ``answer`` that state the answer, verbatim
    notice: str = ""           # how the document's structure shaped the answer (bot/structure.py)
    meta: dict = field(default_factory=dict, compare=False)   # not part of the contract

    @property
    def several_documents(self) -> bool:
        """True when more than one document is indexed: citations then name their document."""
        return len(self.documents) > 1

    def to_dict(self) -> dict:
        """The contract as plain JSON-ready data (``meta`` left out)."""
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.answer,
            "sources": [asdict(s) for s in self.sources],
            "glossary": [asdict(g) for g in self.glossary],
            "index_version": self.index_version,
            "document": asdict(self.document) if self.document else None,
            "documents": [asdict(d) for d in self.documents],
            "other_sources": [asdict(s) for s in self.other_sources],
            "searched_as": self.searched_as,
            "highlight": self.highlight,
            "notice": self.notice,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        return cls(
            question=data["question"],
            found=bool(data["found"]),
            answer=data["answer"],
            sources=tuple(_source(s) for s in data.get("sources", ())),
            glossary=tuple(GlossaryNote(**g) for g in data.get("glossary", ())),
            index_version=data.get("index_version", ""),
            document=_ref(data.get("document")),
            documents=tuple(r for r in (_ref(d) for d in data.get("documents", ())) if r),
            other_sources=tuple(_source(s) for s in data.get("other_sources", ())),
            searched_as=data.get("searched_as", ""),
            highlight=data.get("highlight", ""),
            notice=data.get("notice", ""),
        )


def _ref(data: dict | None) -> DocumentRef | None:
    return DocumentRef(id=data.get("id", ""), title=data.get("title", "")) if data else None


def _source(data: dict) -> Source:
    return Source(**{**data, "document": _ref(data.get("document"))})
