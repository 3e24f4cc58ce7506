"""A1's figures for issue 12 deliverable 1 (not a test): each question set against an index of its
own document, built in a temporary data dir with the default model.

    OMP_NUM_THREADS=1 python benchmarks/issue12/a1_eval.py            # every set below
    OMP_NUM_THREADS=1 python benchmarks/issue12/a1_eval.py --misses   # and each miss

Prints hit@3 / MRR@10 / in-scope answered / out-of-scope refused and warm latency per set.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
DEV = ROOT / "benchmarks" / "issue12" / "dev"
# document -> question sets about it
SETS = {
    ROOT / "corpus" / "outline-7th-summary.txt": [DEV / "a1_paraphrase_qa.tsv"],
    SHARED / "practice" / "midori-plan-3rd-summary.txt": [SHARED / "practice" / "midori-qa.tsv",
                                                          DEV / "a1_paraphrase_midori_qa.tsv"],
    ROOT / "benchmarks" / "practice" / "sakura-dx-plan-2nd-summary.txt": [ROOT / "benchmarks" / "practice" / "sakura-qa.tsv"],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--misses", action="store_true")
    args = ap.parse_args()
    from bot.answer import compose
    from bot.evaluate import evaluate
    from bot.indexing import build_from_settings, open_retriever_from_settings
    from bot.settings import Settings

    for source, sets in SETS.items():
        settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "data", sources=(source,))
        build_from_settings(settings)
        retriever = open_retriever_from_settings(settings)
        compose("計画", retriever)
        for path in sets:
            times = []

            def ask(q: str):
                t = time.perf_counter()
                a = compose(q, retriever, k=10)
                times.append(time.perf_counter() - t)
                return a

            r = evaluate(path, ask)
            times.sort()
            print(f"{path.name:34} n={r.questions:3} hit@3 {r.hit_at_3:.3f} MRR@10 {r.mrr_at_10:.3f} "
                  f"answered {r.in_scope_answered:.3f} refused {r.out_of_scope_refused:.3f} "
                  f"p50 {1000 * times[len(times) // 2]:.1f} ms", flush=True)
            if args.misses:
                for m in r.misses:
                    print("   MISS", m)


if __name__ == "__main__":
    main()
