"""Score the answer pipeline on a question set (format of ``../shared/eval/dev_qa.tsv``).

Each non-comment line is ``question<TAB>expected``. ``expected`` is text that must appear in the
text or section path of one of the top three sources (after NFKC and removing all whitespace),
or ``-`` when the outline does not answer the question and the answer must have ``found=false``.
"""
from __future__ import annotations

import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from bot.contract import Answer


class EvalFileError(ValueError):
    "The question file is not in the question<TAB>expected format."


@dataclass(frozen=True)
class EvalCase:
    question: str
    expected: str          # "-" = out of scope

    @property
    def in_scope(self) -> bool:
        return self.expected != "-"


@dataclass(frozen=True)
class Miss:
    """A question the pipeline got wrong, and how."""

    question: str
    expected: str
    problem: str           # "not in top 3" | "not answered" | "not refused"
    rank: int | None       # rank of the first source containing the expected text (None: not in top 10)
    found: bool
    top_sections: tuple[str, ...]


@dataclass
class EvalReport:
    """Retrieval and answer-decision figures for one question set."""

    questions: int
    in_scope: int
    out_of_scope: int
    hit_at_1: float
    hit_at_3: float
    hit_at_5: float
    mrr_at_10: float
    in_scope_answered: float
    out_of_scope_refused: float
    misses: list[Miss] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["misses"] = [asdict(m) for m in self.misses]
        return d

    def format(self) -> str:
        """Plain-text report: each miss first, then the figures as the last five lines.

        The figures come last so that a terminal, CI log or hook that shows only the tail of the
        output still shows all of them, however many misses precede them.
        """
        lines: list[str] = []
        if self.misses:
            lines.append(f"misses ({len(self.misses)}):")
            for m in self.misses:
                where = f"rank {m.rank}" if m.rank else "not in top 10"
                lines.append(f"  [{m.problem}] {m.question}  expected: {m.expected}  ({where}; found={m.found})")
                for s in m.top_sections[:3]:
                    lines.append(f"      - {' '.join(s.split())}")   # one line per source
        else:
            lines.append("misses: none")
        lines += [
            f"questions: {self.questions} (in scope {self.in_scope}, out of scope {self.out_of_scope})"
            f"  time {self.seconds:.2f}s",
            f"hit@1  {self.hit_at_1:.3f}   hit@3  {self.hit_at_3:.3f}   hit@5  {self.hit_at_5:.3f}",
            f"MRR@10 {self.mrr_at_10:.3f}",
            f"in-scope answered     {self.in_scope_answered:.3f}",
            f"out-of-scope refused  {self.out_of_scope_refused:.3f}",
        ]
        return "\n".join(lines)


def squash(text: str) -> str:
    """NFKC with all whitespace removed: the comparison form of the eval."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def read_cases(path: Path) -> list[EvalCase]:
    """Question/expected pairs from a TSV file; ``#`` lines and blank lines are skipped.

    Raises:
        EvalFileError: a line has no tab or an empty field.
    """
    cases = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            raise EvalFileError(f"{path}:{n}: expected 'question<TAB>answer text or -'")
        cases.append(EvalCase(parts[0].strip(), parts[1].strip()))
    return cases


def first_rank(answer: Answer, expected: str, limit: int = 10) -> int | None:
    """1-based rank of the first source whose text or section contains ``expected``."""
    want = squash(expected)
    for i, s in enumerate(answer.sources[:limit], 1):
        if want in squash(s.text) or want in squash(s.section):
            return i
    return None


def evaluate(tsv_path: Path, ask: Callable[[str], Answer]) -> EvalReport:
    """Ask every question and score the answers.

    Args:
        tsv_path: question file (see module docstring).
        ask: ``ask(question) -> Answer``; should return at least 10 sources for MRR@10.

    Returns:
        The :class:`EvalReport`. Retrieval figures (hit@k, MRR) count in-scope questions whatever
        ``found`` says; ``in_scope_answered`` is the share of them with ``found=true``, and
        ``out_of_scope_refused`` the share of ``-`` questions with ``found=false``.
    """
    t0 = time.perf_counter()
    cases = read_cases(tsv_path)
    hits = {1: 0, 3: 0, 5: 0}
    rr = 0.0
    answered = refused = 0
    misses: list[Miss] = []
    for case in cases:
        ans = ask(case.question)
        tops = tuple(f"{s.section} ({s.cite_page()}) {s.text[:40]}" for s in ans.sources[:3])
        if not case.in_scope:
            if not ans.found:
                refused += 1
            else:
                misses.append(Miss(case.question, case.expected, "not refused", None, True, tops))
            continue
        rank = first_rank(ans, case.expected)
        for k in hits:
            if rank is not None and rank <= k:
                hits[k] += 1
        rr += 1.0 / rank if rank else 0.0
        answered += ans.found
        if rank is None or rank > 3:
            misses.append(Miss(case.question, case.expected, "not in top 3", rank, ans.found, tops))
        elif not ans.found:
            misses.append(Miss(case.question, case.expected, "not answered", rank, False, tops))
    n_in = sum(c.in_scope for c in cases)
    n_out = len(cases) - n_in

    def rate(x: float, n: int) -> float:
        return round(x / n, 4) if n else 0.0

    return EvalReport(
        questions=len(cases), in_scope=n_in, out_of_scope=n_out,
        hit_at_1=rate(hits[1], n_in), hit_at_3=rate(hits[3], n_in), hit_at_5=rate(hits[5], n_in),
        mrr_at_10=rate(rr, n_in), in_scope_answered=rate(answered, n_in),
        out_of_scope_refused=rate(refused, n_out), misses=misses,
        seconds=round(time.perf_counter() - t0, 3),
    )
