"""Suggestions from the answer log, and accepting them: what ``reformbot feedback suggest`` /
``accept`` and the Slack 「同義語に追加」 button share.

answer log (not answered, 👎) -> grouped questions -> :func:`bot.suggest.propose_for` against the
serving index -> numbered list, remembered in the feedback database -> accept N -> lines appended
to the synonyms file (:mod:`index.synonyms`) -> the running server applies the changed file
(:meth:`bot.service.QAService.reload_synonyms`, on its next index check: no restart).
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from bot.suggest import Proposal, propose_for
from feedback.answers import FeedbackStore, ProblemQuestion


log = logging.getLogger(__name__)


class NothingToAccept(ValueError):
    "The suggestion has no synonym line (every word of its question is a document word)."


@dataclass(frozen=True)
class Preview:
    """What the question would get with the proposed lines added: found or not, and from where.

    A line pairing a word with an unrelated term shows up here (answered from a passage about
    something else) before anyone accepts it.
    """

    found: bool
    section: str = ""

    def to_dict(self) -> dict:
        return {"found": self.found, "section": self.section}


@dataclass(frozen=True)
class Suggestion:
    """One numbered entry of the list: the question, why it is there, and the proposed lines."""

    n: int
    problem: ProblemQuestion
    proposal: Proposal
    preview: Preview | None = None

    @property
    def lines(self) -> tuple[str, ...]:
        return self.proposal.lines

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "question": self.problem.question,
            "not_answered": self.problem.not_answered,
            "votes_down": self.problem.votes_down,
            "last_asked": self.problem.last_asked,
            "lines": list(self.lines),
            "words": [w.to_dict() for w in self.proposal.words],
            "with_lines": self.preview.to_dict() if self.preview else None,
        }


@dataclass(frozen=True)
class Accepted:
    """What accepting did: lines appended, and lines the file already had (not written twice)."""

    added: tuple[str, ...]
    already: tuple[str, ...]


def list_suggestions(store: FeedbackStore, retriever, *, limit: int = 20, embed: bool = True,
                     rules: Sequence = ()) -> list[Suggestion]:
    """The problem questions, newest first, each with its proposal and what the proposal would
    change; remembered as the list shown (so ``accept N`` means this list's N whatever is asked
    afterwards).

    Args:
        store: the feedback database.
        retriever: the serving index (its documents' words, its embedder, its lexicon with the
            synonyms file's rules: words a rule already maps are not proposed again).
        limit: most questions listed.
        embed: also find the nearest terms by meaning (the embedder); False: by characters only.
        rules: the synonyms file's rules now (:func:`index.synonyms.read_synonyms`), for the preview.
    """
    out = []
    for n, problem in enumerate(store.problem_questions(limit), 1):
        proposal = propose_for(retriever, problem.question, embed=embed)
        out.append(Suggestion(n, problem, proposal, preview(retriever, problem.question, proposal.lines, rules)))
    store.remember_suggestions([(s.problem.question, s.lines) for s in out])
    return out


def preview(retriever, question: str, lines: Sequence[str], rules: Sequence = ()) -> Preview | None:
    """Answer ``question`` on a copy of ``retriever`` searching with ``rules`` plus ``lines``; the
    serving retriever is not touched. None when there are no lines or it cannot be tried.
    """
    from bot.answer import compose
    from index.synonyms import parse_line

    if not lines or not hasattr(retriever, "set_synonyms"):
        return None
    try:
        extra = tuple(r for r in (parse_line(line) for line in lines) if r is not None)
        trial = copy.copy(retriever)          # shares the index; only its vocabulary is replaced
        trial.set_synonyms(tuple(rules) + extra)
        answer = compose(question, trial, k=3)
    except Exception as exc:        # a preview never stops the list (nor the Slack button)
        log.warning("preview of %r with %s failed: %s", question, list(lines), exc)
        return None
    return Preview(answer.found, answer.sources[0].section if answer.found and answer.sources else "")


def _key(rule) -> tuple:
    """What makes two rules the same: NFKC, case, spacing and word order of each side aside."""
    import unicodedata

    norm = lambda words: frozenset(" ".join(unicodedata.normalize("NFKC", w).lower().split()) for w in words)  # noqa: E731
    return norm(rule.left), norm(rule.right)


def add_lines(path: Path, lines: Sequence[str]) -> Accepted:
    """Append each rule in ``lines`` to the synonyms file unless the same rule is already there.

    Raises:
        index.synonyms.SynonymLineError: a line is not a Solr synonym rule (nothing written).
        NothingToAccept: no lines.
    """
    from index.synonyms import SynonymLineError, append_synonym, format_rule, parse_line, read_synonyms

    if not lines:
        raise NothingToAccept("no synonym line to add")
    rules = []
    for line in lines:           # all or nothing: check every line before writing one
        rule = parse_line(line)
        if rule is None:
            raise SynonymLineError(f"{line!r} holds no rule")
        rules.append(rule)
    present = {_key(r) for r in read_synonyms(path).rules}
    added, already = [], []
    for rule in rules:
        text = format_rule(rule.left, None if rule.equivalent else rule.right)
        if _key(rule) in present:
            already.append(text)
            continue
        append_synonym(path, text)
        present.add(_key(rule))
        added.append(text)
    return Accepted(tuple(added), tuple(already))


def accept(store: FeedbackStore, path: Path, n: int, edit: str | None = None) -> tuple[str, Accepted]:
    """Append suggestion ``n``'s lines (or ``edit`` instead) to the synonyms file at ``path``.

    Returns:
        (the question, what was written).

    Raises:
        feedback.answers.UnknownSuggestion: no suggestion ``n`` in the list last shown.
        NothingToAccept, index.synonyms.SynonymLineError: see :func:`add_lines`.
    """
    shown = store.shown_suggestion(n)
    lines = [edit] if edit is not None else list(shown.lines)
    if not lines:
        raise NothingToAccept(f"suggestion {n} has no synonym line (every word of 「{shown.question}」 is in the "
                              f"documents); write one with --edit \"word => document term\"")
    return shown.question, add_lines(path, lines)
