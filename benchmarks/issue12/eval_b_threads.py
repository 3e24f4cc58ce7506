"""Follow-ups in a thread: helper B's dev set (benchmarks/issue12/dev/b_threads.tsv), not a test.

    OMP_NUM_THREADS=1 python benchmarks/issue12/eval_b_threads.py [--data /tmp/b-threads] [-v]

Builds (or reuses, under ``--data``) the real indexes of the bundled outline and the みどり市
practice plan with the default model, asks each thread's turns in order through
``QAService.ask(question, history=[{question, section}])`` — the way the Slack listener keeps a
thread (``--strings``: earlier questions only, as ``reformbot ask --previous``) — and scores the last turn: right when it is answered and the gold text is in its first
source's text or section path (NFKC, whitespace removed), or, for gold "-", when it is refused.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SET = ROOT / "benchmarks" / "issue12" / "dev" / "b_threads.tsv"
MIDORI = ROOT.parent / "shared" / "practice" / "midori-plan-3rd-summary.txt"


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def threads(path: Path = SET) -> list[tuple[str, str, list[str]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            doc, gold, *turns = line.split("\t")
            out.append((doc, gold, turns))
    return out


def service(data: Path, sources):
    from bot.indexing import build_from_settings
    from bot.service import QAService
    from bot.settings import Settings

    settings = Settings(data_dir=data, **({"sources": sources} if sources else {}))
    if not (settings.index_dir / "current").exists():
        build_from_settings(settings)
    return QAService(settings)


def right(answer, gold: str) -> bool:
    if gold == "-":
        return not answer.found
    if not answer.found or not answer.sources:
        return False
    first = answer.sources[0]
    return squash(gold) in squash(first.text) or squash(gold) in squash(first.section)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--strings", action="store_true",
                        help="earlier turns as questions only (default: {question, section} as Slack keeps them)")
    args = parser.parse_args()
    base = args.data or Path(tempfile.mkdtemp(prefix="b-threads-"))
    qas = {"outline": service(base / "outline", None), "midori": service(base / "midori", (MIDORI,))}
    ok = 0
    rows = threads()
    for doc, gold, turns in rows:
        qa = qas[doc]
        history: list = []
        for turn in turns:
            answer = qa.ask(turn, history=tuple(history))
            section = answer.sources[0].section if answer.found and answer.sources else ""
            history.append(turn if args.strings else {"question": turn, "section": section})
        good = right(answer, gold)
        ok += good
        if args.verbose or not good:
            first = answer.sources[0].section if answer.sources else ""
            print(f"{'OK ' if good else 'BAD'} {' / '.join(turns)}  -> found={answer.found} "
                  f"searched={answer.meta.get('query')!r} first={first!r}")
    print(f"follow-ups right: {ok}/{len(rows)} = {ok / len(rows):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
