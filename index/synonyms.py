"""Synonym rules in the Solr/Elasticsearch synonym format: the admin's file and the general vocabulary.

Format (one rule a line; the format Solr's SynonymGraphFilter and Elasticsearch's ``synonym``
filter read, so lists written for either work here)::

    # a comment; blank lines are skipped
    残業, 時間外勤務, overtime          equivalents: any of them names all of them
    行革 => 行政改革                    one-way: 行革 names 行政改革, not the reverse
    キャッシュレス, 電子決済 => 納付手段   several words on the left

Words are compared after NFKC and lower-casing (``ＢＣＰ`` = ``bcp``); a ``\\,`` is a comma inside a
word. A line that does not parse (an empty side, ``=>`` twice) is reported with its line number and
skipped: a typo in the admin's file never stops the server.

The engine reads no settings: the application reads the file (``REFORMBOT_SYNONYMS_FILE``) and
passes the parsed rules in (:class:`index.retriever.Retriever`, ``synonyms=``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


class SynonymLineError(ValueError):
    "A synonym line does not parse."


@dataclass(frozen=True)
class SynonymRule:
    """One line: a question word in ``left`` names every word of ``right``.

    Equivalents (``a, b, c``) have ``left == right``; a one-way rule (``a => b``) has them apart.
    """

    left: tuple[str, ...]
    right: tuple[str, ...]
    line: int = 0            # 1-based line number in its file (0: not from a file)

    @property
    def equivalent(self) -> bool:
        return self.left == self.right


@dataclass(frozen=True)
class SynonymProblem:
    """A line that was skipped, and why."""

    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}: {self.text!r}"


@dataclass(frozen=True)
class SynonymFile:
    """The parsed rules of one file and the lines that were skipped."""

    rules: tuple[SynonymRule, ...] = ()
    problems: tuple[SynonymProblem, ...] = ()


_SPLIT = re.compile(r"(?<!\\),")


def _words(side: str) -> tuple[str, ...]:
    out = []
    for w in _SPLIT.split(side):
        w = " ".join(w.replace("\\,", ",").split())
        if w and w not in out:
            out.append(w)
    return tuple(out)


def parse_line(text: str, line: int = 0) -> SynonymRule | None:
    """The rule on one line; None for a blank or comment line.

    Raises:
        SynonymLineError: the line has ``=>`` more than once, an empty side, or only one word.
    """
    body = text.split("#", 1)[0].strip() if not text.lstrip().startswith("#") else ""
    if not body:
        return None
    if body.count("=>") > 1:
        raise SynonymLineError("'=>' more than once")
    if "=>" in body:
        lhs, rhs = body.split("=>")
        left, right = _words(lhs), _words(rhs)
        if not left or not right:
            raise SynonymLineError("a side of '=>' is empty")
        return SynonymRule(left, right, line)
    words = _words(body)
    if len(words) < 2:
        raise SynonymLineError("equivalents need at least two words separated by ','")
    return SynonymRule(words, words, line)


def parse_synonyms(text: str) -> SynonymFile:
    """Every rule of a synonyms text; malformed lines are skipped and listed in ``problems``.

    Args:
        text: the file's text (Solr/Elasticsearch format, see the module docstring).

    Returns:
        :class:`SynonymFile` with the rules in file order and the skipped lines.
    """
    rules, problems = [], []
    for no, raw in enumerate(text.splitlines(), 1):
        try:
            rule = parse_line(raw, no)
        except SynonymLineError as exc:
            problems.append(SynonymProblem(no, raw.strip(), str(exc)))
            continue
        if rule is not None:
            rules.append(rule)
    return SynonymFile(tuple(rules), tuple(problems))


def read_synonyms(path: Path) -> SynonymFile:
    """:func:`parse_synonyms` of the file at ``path``; an absent file has no rules.

    A file that cannot be read or decoded is one problem (line 0), not an exception.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return SynonymFile()
    except (OSError, UnicodeDecodeError) as exc:
        return SynonymFile((), (SynonymProblem(0, str(path), f"cannot read the file ({exc})"),))
    return parse_synonyms(text)


def file_signature(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of the file, None when absent: a change means it must be read again."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def format_rule(left: "list[str] | tuple[str, ...]", right: "list[str] | tuple[str, ...] | None" = None) -> str:
    """One line for ``left`` (equivalents when ``right`` is None, else ``left => right``)."""
    esc = lambda ws: ", ".join(" ".join(w.split()).replace(",", "\\,") for w in ws)  # noqa: E731
    return esc(left) if right is None else f"{esc(left)} => {esc(right)}"


def append_synonym(path: Path, line: str) -> SynonymRule:
    """Append one rule line to the synonyms file at ``path`` (created with its folder if absent).

    The line is checked first, so a malformed one is never written; the file gets its missing
    final newline before the line; the write is one ``O_APPEND`` call under an exclusive lock, so
    two writers never interleave.

    Args:
        path: the synonyms file (the application passes ``REFORMBOT_SYNONYMS_FILE``).
        line: one rule, e.g. ``"残業, 時間外勤務"`` or ``"行革 => 行政改革"`` (see :func:`format_rule`).

    Returns:
        The parsed rule (with its line number in the file).

    Raises:
        SynonymLineError: ``line`` is not one rule (several lines, a comment, malformed).
    """
    if "\n" in line.strip() or "\r" in line.strip():
        raise SynonymLineError("one rule per call: the text has several lines")
    rule = parse_line(line)
    if rule is None:
        raise SynonymLineError("the line holds no rule")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        prefix = b""
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                prefix = b"\n"
            os.lseek(fd, 0, os.SEEK_SET)
            lines = os.read(fd, size).count(b"\n") + (1 if prefix else 0)
        else:
            lines = 0
        os.write(fd, prefix + line.strip().encode("utf-8") + b"\n")
    finally:
        os.close(fd)   # releases the lock
    return SynonymRule(rule.left, rule.right, lines + 1)
