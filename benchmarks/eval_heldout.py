"""Dev, probe and held-out figures in one run (not a test), with every decision's signals.

    python benchmarks/eval_heldout.py                 # all three sets, misses with signals
    python benchmarks/eval_heldout.py --data /tmp/ir  # reuse an index built there
    python benchmarks/eval_heldout.py --all           # print signals of every question

Writes benchmarks/results/eval_heldout.json. The question sets and what each one can prove:

* dev (../shared/eval/dev_qa.tsv) and probe (benchmarks/index_probe_qa.tsv): used to choose the
  weights and calibrate the found rule; they show the targets are kept, not that it generalises.
* heldout (90 q.): written before the system was run on it (commit b2bf0f8); its failures were
  then read while the lexicon and the fact-kind rule were written, so later figures on it are
  optimistic.
* heldout2 (65 q.): written after the first pass was frozen (462a9bb) and measured once clean;
  its failures were then read for the second pass (b13651a), so later figures on it are
  optimistic too.
* heldout3 (39 q.): written after the second pass was frozen, measured once: the clean figure.
* heldout4 (43 q.): written before the fourth pass (fd06154), measured once clean
  (.806 1.0 .898 .806 .667); its failures were then read for the fourth pass.
* heldout5 (40 q.): everyday staff wording that paraphrases the outline, written and committed
  (9abb752) before the fifth pass, measured once clean (.600 .800 .702 .600 1.0); its failures
  were then read for the fifth pass.

Measured on 2 cores, default model (hit@1 / hit@3 / MRR@10 / in-scope answered / out-of-scope
refused; "first run" = the rule as of the round start, commit b2bf0f8):

    set        first run                     pass 1 (462a9bb)              pass 2 (b13651a)
    dev        .925 .975 .950 .975 1.0       .975 1.0 .988 1.0 1.0         .975 1.0 .988 1.0 1.0
    heldout    .662 .868 .768 .588 .682      .853 .985 .913 .971 .955*     .853 .985 .913 .971 .955*
    heldout2   .745 .851 .815 .723 .611      .787 .936 .873 .808 .667      .830 .957 .896 .936 .889*
    heldout3   .720 .800 .787 .640 .714      -                             .720 .920 .807 .920 .857
    probe      .895 1.0 .939 1.0 .950        .895 1.0 .939 1.0 1.0         .895 1.0 .939 1.0 1.0

    * measured after its failures had been read (not clean evidence).

Third pass (commits 0e344fb..f891344: sub-items matched only through a restated ancestor
heading are demoted, a section titled by the question's words is lifted, window chunks never
end on a caption line, counters dropped from the BM25 query), before -> after, same figures in
the same order, plus warm latency p50:

    dev        .975 1.0 .988 1.0 1.0    17.5 ms  ->  .975 1.0 .988 1.0 1.0    19.0 ms
    heldout    .853 .985 .913 .971 .955 20.6 ms  ->  .868 .985 .924 .971 .955 27.5 ms *
    heldout2   .830 .957 .896 .936 .889 21.6 ms  ->  .851 .957 .910 .957 .889 31.1 ms *
    heldout3   .720 .920 .807 .920 .857 18.5 ms  ->  .800 .920 .860 .920 .857 19.8 ms *
    probe      .895 1.0 .939 1.0 1.0    14.1 ms  ->  .947 1.0 .974 1.0 1.0    14.3 ms

    The "after" latencies were taken while three busy-loop processes of another session held
    the CPUs (load 5.7); an A/B on the dev questions in one process at that time gave p50 16.7 ms
    without the new rules and 16.3 ms with them, so the rules cost nothing measurable.
    * every set's changed questions were read while the rule was tuned (heldout3 included, so it
      is no longer a clean set; a fresh set is needed for the next clean figure).

Fourth pass (edd003d: procedure / place questions and English "who chairs/heads" need a passage
stating a procedure, a place or the post; 年間予算 asks an amount. 601733a: lexicon words in
dictionary form match conjugated verbs for coverage. This commit: a question word sharing a kanji
with the first passage's heading counts half for coverage, 現状 ~ 厚木市の状況, 動き ~ 国の動向),
before -> after, same order as above:

    dev        .975 1.0 .988 1.0 1.0    15.1 ms  ->  .975 1.0 .988 1.0 1.0    15.5 ms
    heldout    .868 .985 .924 .971 .955 17.0 ms  ->  .868 .985 .924 .971 1.0  17.3 ms
    heldout2   .851 .957 .910 .957 .889 16.0 ms  ->  .851 .957 .910 .957 .944 16.5 ms
    heldout3   .800 .920 .860 .920 .857 15.3 ms  ->  .800 .920 .860 1.0 1.0   15.7 ms *
    heldout4   .806 1.0 .898 .806 .667 16.2 ms  ->  .806 1.0 .898 .806 1.0  16.4 ms  (first = clean)
    probe      .947 1.0 .974 1.0 1.0    13.7 ms  ->  .947 1.0 .974 1.0 1.0    14.0 ms

    The conjugation matching moves no question of these sets; it turns staff-style questions
    such as 「残業時間は減りましたか」 from refused to answered (tests/test_found_rule_real.py).
    heldout4's failures were read while the procedure/place rule was written, so its "after"
    is optimistic; a fresh set is needed for the next clean figure.
    * heldout3's two gains (国の動き…, 厚木市の現状) are the failures the heading rule was written
      for; ten other 状況/現状/動向 questions the outline does not answer kept their verdicts.

Fifth pass (4377019, 39c9474: everyday synonyms of the outline's own terms in the lexicon —
未収金 = 債権管理, 土地の売却 = 未利用地の売却, 窓口 = 総合窓口, 払う方法 = 新たな納付手段,
目的以外 = 行政財産目的外使用許可, 働き方のルール = 働き方改革関連法, オンライン / 届出 / forms,
会社 = 企業, 建物 = 公共建築物, "social environment", "encouraged" = 参加しやすい環境, "end" = 計画期間,
目指すこと = 重点目標), before -> after, same order:

    dev        .975 1.0 .988 1.0 1.0     ->  .975 1.0 .988 1.0 1.0
    heldout    .868 .985 .924 .971 1.0   ->  .882 .985 .934 1.0 1.0   *
    heldout2   .851 .957 .910 .957 .944  ->  .851 .957 .910 1.0 .944  *
    heldout3   .800 .920 .860 1.0 1.0    ->  .800 .920 .860 1.0 1.0
    heldout4   .806 1.0 .898 .806 1.0    ->  .871 1.0 .930 .968 1.0   *
    heldout5   .600 .800 .702 .600 1.0   ->  .667 .933 .798 .867 1.0  *  (first = clean)
    probe      .947 1.0 .974 1.0 1.0     ->  .947 1.0 .974 1.0 1.0

    * the known over-refusals of these sets (未収金, 土地の売却, 窓口のあり方, お金を払う方法,
      "social environment", "encouraged", heldout5's paraphrases) were read while the synonyms
      were chosen, so these "after" figures are optimistic; each synonym maps to a term the
      outline contains (tests/test_index_lexicon.py) and no out-of-scope question changed verdict.

This script calls :func:`bot.evaluate.evaluate` and reads the :class:`EvalReport` fields, so the
order in which ``reformbot eval`` prints misses and figures does not matter to it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETS = {
    "dev": ROOT.parent / "shared" / "eval" / "dev_qa.tsv",
    "probe": ROOT / "benchmarks" / "index_probe_qa.tsv",
    "heldout": ROOT / "benchmarks" / "heldout_qa.tsv",
    "heldout2": ROOT / "benchmarks" / "heldout2_qa.tsv",
    "heldout3": ROOT / "benchmarks" / "heldout3_qa.tsv",
    "heldout4": ROOT / "benchmarks" / "heldout4_qa.tsv",
    "heldout5": ROOT / "benchmarks" / "heldout5_qa.tsv",
}
RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", help="data dir holding a built index (default: build one in a temp dir)")
    ap.add_argument("--all", action="store_true", help="print every question's signals, not only misses")
    ap.add_argument("--sets", default="dev,heldout,heldout2,heldout3,heldout4,heldout5,probe")
    args = ap.parse_args()

    from bot.answer import compose
    from bot.evaluate import evaluate, first_rank, read_cases
    from bot.indexing import build_from_settings, open_retriever_from_settings
    from bot.settings import Settings

    data = Path(args.data) if args.data else Path(tempfile.mkdtemp()) / "data"
    settings = Settings(data_dir=data)
    if not args.data:
        build_from_settings(settings)
    retriever = open_retriever_from_settings(settings)
    compose("大綱", retriever)  # warm

    out = {}
    for name in args.sets.split(","):
        path = SETS[name]
        answers = {}

        def ask(q: str):
            t = time.perf_counter()
            a = compose(q, retriever, k=10)
            answers[q] = (a, time.perf_counter() - t)
            return a

        report = evaluate(path, ask)
        lat = sorted(t for _, t in answers.values())
        print(f"== {name}: {path.name}")
        print(f"questions {report.questions} (in scope {report.in_scope}, out of scope {report.out_of_scope})\n"
              f"hit@1 {report.hit_at_1:.3f}  hit@3 {report.hit_at_3:.3f}  hit@5 {report.hit_at_5:.3f}  "
              f"MRR@10 {report.mrr_at_10:.3f}\n"
              f"in-scope answered {report.in_scope_answered:.3f}  out-of-scope refused {report.out_of_scope_refused:.3f}")
        print(f"latency p50 {1000 * lat[len(lat) // 2]:.1f} ms  p95 {1000 * lat[int(len(lat) * 0.95)]:.1f} ms")
        bad = {m.question for m in report.misses}
        for case in read_cases(path):
            a, _ = answers[case.question]
            if not args.all and case.question not in bad:
                continue
            rank = first_rank(a, case.expected) if case.in_scope else None
            ok = (a.found != case.in_scope) and "MISS" or "ok"
            if case.in_scope and (rank is None or rank > 3):
                ok = "MISS"
            print(f"  {ok:4} found={int(a.found)} rank={rank} cov={a.meta['coverage']:.2f} "
                  f"dense={a.meta['dense']:.3f} [{a.meta['reason']}] {case.question} -> {case.expected}")
            if ok == "MISS":
                for s in a.sources[:3]:
                    print(f"         - {s.section.split(' › ')[-1][:30]} | {s.text[:40]!r}")
        out[name] = {k: v for k, v in report.to_dict().items() if k != "misses"}
        out[name]["misses"] = len(report.misses)
        out[name]["latency_p50_ms"] = round(1000 * lat[len(lat) // 2], 2)
        out[name]["latency_p95_ms"] = round(1000 * lat[int(len(lat) * 0.95)], 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_heldout.json").write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
