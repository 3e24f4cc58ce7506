"""The answer contract shared by every surface (web, API, CLI, Slack).

``{"question", "found", "answer", "sources": [{"rank", "text", "section", "page", "score",
"kind", "id"}], "glossary": [{"term", "definition"}], "index_version"}``
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


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
    meta: dict = field(default_factory=dict, compare=False)   # not part of the contract

    def to_dict(self) -> dict:
        """The contract as plain JSON-ready data (``meta`` left out)."""
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.answer,
            "sources": [asdict(s) for s in self.sources],
            "glossary": [asdict(g) for g in self.glossary],
            "index_version": self.index_version,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        return cls(
            question=data["question"],
            found=bool(data["found"]),
            answer=data["answer"],
            sources=tuple(Source(**s) for s in data.get("sources", ())),
            glossary=tuple(GlossaryNote(**g) for g in data.get("glossary", ())),
            index_version=data.get("index_version", ""),
        )
