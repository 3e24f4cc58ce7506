"""Cost curve: question length (characters) -> answer latency, in process, default model.

Builds the real index (bundled outline, default model) in a temporary data dir and asks
questions of growing length, made by joining real staff questions (dev set) until the length is
reached, so the text stays realistic. Prints the median and p95 per length and the ratio to the
shortest; writes benchmarks/results/question_length.json. The answer service's length cap
(bot/service.py MAX_QUESTION_CHARS) is chosen from this curve.

    .venv/bin/python benchmarks/bench_question_length.py [--runs 15] [--lengths 20,50,100,...]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")

from bench_serve import pct, questions  # noqa: E402


def question_of(length: int, pool: list[str], start: int) -> str:
    text, i = "", start
    while len(text) < length:
        text += pool[i % len(pool)] + " "
        i += 1
    return text[:length]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--lengths", default="10,25,50,100,150,200,300,400,500,1000")
    args = ap.parse_args()

    from bot.service import QAService, clean_question
    import bot.service as service
    from bot.settings import Settings
    from bot.indexing import build_from_settings

    service.MAX_QUESTION_CHARS = 10**6          # measure past today's cap
    pool = questions()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        build_from_settings(settings)
        qa = QAService(settings)
        qa.ask("大綱")
        rows = []
        for length in [int(x) for x in args.lengths.split(",")]:
            times = []
            for r in range(args.runs):
                q = question_of(length, pool, r * 3)
                clean_question(q)
                t0 = time.perf_counter()
                qa.ask(q)
                times.append((time.perf_counter() - t0) * 1000)
            rows.append({"chars": length, "median_ms": statistics.median(times), "p95_ms": pct(times, 95)})
    base = rows[0]["median_ms"]
    print(f"{'chars':>6} {'median ms':>10} {'p95 ms':>8} {'x shortest':>10}")
    for row in rows:
        row["ratio"] = row["median_ms"] / base
        print(f"{row['chars']:>6} {row['median_ms']:>10.1f} {row['p95_ms']:>8.1f} {row['ratio']:>10.1f}")
    out = ROOT / "benchmarks" / "results" / "question_length.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": args.runs, "cores": os.cpu_count(), "rows": rows}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
