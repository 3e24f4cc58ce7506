"""Retrieval and found/not-found figures of each calibration document, each indexed alone.

    OMP_NUM_THREADS=1 python benchmarks/issue12/eval_decision.py                     # every document
    python benchmarks/issue12/eval_decision.py --documents kaede,hibari --misses      # and their misses
    python benchmarks/issue12/eval_decision.py --cache /tmp/decision-idx             # reuse indexes

The documents and question sets are those of ``train_decision.py`` (the held-out sets of
issue 12 are never read). Figures: hit@1 / hit@3 / MRR@10 / in-scope answered / out-of-scope
refused, with ``bot.evaluate.evaluate`` (k=10), the way ``reformbot eval`` scores a set.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from train_decision import DOCUMENTS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", help="directory for the per-document indexes (reused when present)")
    ap.add_argument("--documents", default=",".join(DOCUMENTS))
    ap.add_argument("--misses", action="store_true", help="print each miss")
    args = ap.parse_args()

    from bot.answer import compose
    from bot.evaluate import evaluate
    from bot.indexing import build_from_settings, open_retriever_from_settings
    from bot.settings import DEFAULT_CORPUS, Settings

    cache = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="decision-eval-"))
    print(f"{'document':10} {'set':22} {'in':>4} {'out':>4}  hit@1 hit@3 MRR@10 answered refused")
    for name in args.documents.split(","):
        source, sets = DOCUMENTS[name]
        settings = Settings(data_dir=cache / name / "data", sources=((source or DEFAULT_CORPUS).resolve(),))
        try:
            retriever = open_retriever_from_settings(settings)
        except Exception:       # nothing built there yet: build it
            build_from_settings(settings)
            retriever = open_retriever_from_settings(settings)
        for path in sets:
            if not path.is_file():
                continue
            r = evaluate(path, lambda q: compose(q, retriever, k=10))
            print(f"{name:10} {path.name[:22]:22} {r.in_scope:4} {r.out_of_scope:4}  {r.hit_at_1:.3f} {r.hit_at_3:.3f} "
                  f"{r.mrr_at_10:.3f}  {r.in_scope_answered:.3f}    {r.out_of_scope_refused:.3f}")
            for m in r.misses if args.misses else ():
                print(f"    [{m.problem}] {m.question} -> {m.expected} (rank {m.rank}, found={int(m.found)})")


if __name__ == "__main__":
    main()
