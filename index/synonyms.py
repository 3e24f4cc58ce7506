"""The admin's synonyms file, in the Solr/Elasticsearch synonym format.

One rule a line; ``#`` starts a comment line:

- ``a, b, c`` — equivalents: a question with any of them also searches the others;
- ``a, b => c, d`` — one way: a question with ``a`` or ``b`` searches ``c`` and ``d`` (and
  counts as asking for them when passages are judged); a question with ``c`` is unchanged.

Minimal version written on branch i12-suggest (learning from staff) against the API helper A1
provides on i12-thesaurus: :func:`parse_synonyms`, :func:`read_synonyms`, :func:`append_synonym`.
The rules reach the engine as extra :class:`index.lexicon.LexiconEntry` items
(:func:`lexicon_entries`), so expansion and the coverage rewrite treat them like the lexicon's.
"""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from index.lexicon import LexiconEntry


class SynonymSyntaxError(ValueError):
    "A line of the synonyms file is not a Solr synonym rule."


@dataclass(frozen=True)
class SynonymRule:
    """One line of the synonyms file: ``inputs => outputs`` (one way) or ``inputs`` (equivalents)."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...] = ()

    @property
    def one_way(self) -> bool:
        return bool(self.outputs)

    def words(self) -> tuple[str, ...]:
        """Every word the rule names."""
        return self.inputs + self.outputs

    def line(self) -> str:
        """The rule written back in the file's format."""
        left = ", ".join(self.inputs)
        return f"{left} => {', '.join(self.outputs)}" if self.outputs else left

    def key(self) -> tuple:
        """What makes two rules the same (NFKC, case, spacing and word order of each side ignored)."""
        return (frozenset(_norm(w) for w in self.inputs), frozenset(_norm(w) for w in self.outputs))


def _norm(word: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", word).lower().split())


def _words(side: str, line_no: int, line: str) -> tuple[str, ...]:
    words = tuple(" ".join(w.split()) for w in side.split(","))
    if not words or any(not w for w in words):
        raise SynonymSyntaxError(f"line {line_no}: empty word in {line!r} (words are separated by commas)")
    return words


def parse_line(line: str, line_no: int = 1) -> SynonymRule:
    """One rule from one line.

    Raises:
        SynonymSyntaxError: empty, a lone word, or more than one ``=>``.
    """
    text = line.strip()
    if not text or text.startswith("#"):
        raise SynonymSyntaxError(f"line {line_no}: no rule")
    if text.count("=>") > 1:
        raise SynonymSyntaxError(f"line {line_no}: more than one '=>' in {text!r}")
    if "=>" in text:
        left, right = text.split("=>")
        return SynonymRule(_words(left, line_no, text), _words(right, line_no, text))
    words = _words(text, line_no, text)
    if len(words) < 2:
        raise SynonymSyntaxError(f"line {line_no}: {text!r} names one word; write `word, other` or `word => other`")
    return SynonymRule(words)


def parse_synonyms(text: str) -> tuple[SynonymRule, ...]:
    """Every rule of a synonyms file's text (blank and ``#`` lines skipped).

    Raises:
        SynonymSyntaxError: a line is not a rule (its number is in the message).
    """
    out = []
    for no, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.strip().startswith("#"):
            out.append(parse_line(line, no))
    return tuple(out)


def read_synonyms(path: Path | str) -> tuple[SynonymRule, ...]:
    """The rules of the file at ``path``; none when it does not exist."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    return parse_synonyms(text)


def append_synonym(path: Path | str, line: str) -> bool:
    """Append the rule ``line`` to the file (created with its directory); False when the same
    rule is already there (nothing written).

    Raises:
        SynonymSyntaxError: ``line`` is not a rule, or the file already holds a line that is not.
    """
    rule = parse_line(line)
    path = Path(path)
    if any(r.key() == rule.key() for r in read_synonyms(path)):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    with open(path, "a", encoding="utf-8") as fh:
        if text and not text.endswith("\n"):
            fh.write("\n")
        fh.write(rule.line() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return True


def file_stamp(path: Path | str) -> tuple[int, int] | None:
    """(mtime in ns, size) of the file, or None when it is missing: a running server compares
    stamps to notice an edit."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def lexicon_entries(rules: tuple[SynonymRule, ...]) -> tuple[LexiconEntry, ...]:
    """The rules as lexicon entries: the words a question may use mapped to the words to search.

    ``a => b`` is one entry (term ``b``, word ``a``); ``a, b`` gives one entry per word, whose
    term is the others, so either word searches the other.
    """
    out = []
    for rule in rules:
        if rule.one_way:
            out.append(LexiconEntry(" ".join(rule.outputs), (), rule.inputs))
        else:
            for w in rule.inputs:
                others = [o for o in rule.inputs if o != w]
                out.append(LexiconEntry(" ".join(others), (), (w,)))
    return tuple(out)
