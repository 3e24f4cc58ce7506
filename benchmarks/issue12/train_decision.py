"""Fit the found/not-found model across documents and report leave-one-document-out figures.

    OMP_NUM_THREADS=1 python benchmarks/issue12/train_decision.py            # report + write the model
    python benchmarks/issue12/train_decision.py --cache /tmp/decision-idx      # reuse indexes built there
    python benchmarks/issue12/train_decision.py --dry-run                      # report only
    python benchmarks/issue12/train_decision.py --list                         # every question's signals

One command, deterministic (no random split, Newton's method from zero), re-runnable after any
change to the signals (lexicon, expansion, retrieval): it builds one index per document with the
default model, asks every question of that document's sets, and keeps the signals of those that
reach the model (the rules in front of it — unknown item or year, fact kind not stated, glossary
definition — decide the others, see :func:`bot.answer.decide`).

Then, for each document D, a logistic regression is fitted on the other documents and tested on
D: in-scope answered / out-of-scope refused, rules included, next to the old thresholds (as
calibrated on the bundled outline). Last, the model is fitted on all documents and written to
``bot/decision.json`` (features, standardisation, weights, bias, threshold, and these
figures in ``meta``).

Each document weighs the same in the fit (the bundled outline has ~350 questions, the others
~40), and within a document answerable and unanswerable questions weigh the same.

The held-out sets of issue 12 (benchmarks/issue12/heldout/) are never read.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

SHARED = ROOT.parent / "shared"
if not (SHARED / "eval" / "dev_qa.tsv").is_file():
    SHARED = Path("/work/shared")
B = ROOT / "benchmarks"
DOCS = B / "issue12" / "docs"

# document -> (source, question sets)
DOCUMENTS: dict[str, tuple[Path | None, list[Path]]] = {
    "outline": (None, [SHARED / "eval" / "dev_qa.tsv", B / "index_probe_qa.tsv", B / "heldout_qa.tsv",
                       B / "heldout2_qa.tsv", B / "heldout3_qa.tsv", B / "heldout4_qa.tsv", B / "heldout5_qa.tsv"]),
    "midori": (SHARED / "practice" / "midori-plan-3rd-summary.txt", [SHARED / "practice" / "midori-qa.tsv"]),
    "sakura": (B / "practice" / "sakura-dx-plan-2nd-summary.txt", [B / "practice" / "sakura-qa.tsv"]),
    "kaede": (DOCS / "kaede-reform-plan-4th.txt", [DOCS / "kaede-qa.tsv"]),
    "hibari": (DOCS / "hibari-finance-dx-plan.md", [DOCS / "hibari-qa.tsv"]),
    "tsubame": (DOCS / "tsubame-management-policy.txt", [DOCS / "tsubame-qa.tsv"]),
}
EMBEDDING: list[str] = []     # the embedding model the indexes were built with
# The features the model uses, of those :mod:`bot.decision` computes. fused_margin (rank-1 minus
# rank-2 fused score) is left out: it depends on the fusion weights and lowered the figures of
# four of the six documents. L2 and the threshold were chosen on a small grid (L2 0.3/1/3,
# threshold 0.4/0.5/0.6) by the leave-one-document-out figures below, so those are slightly
# optimistic; a document added later and measured once is the clean figure.
USED = ("coverage", "coverage_top1", "dense", "dense_top1", "dense_margin", "bm25_top1", "english",
        "english_coverage", "english_dense", "length", "glossary", "fact_stated", "noun_missing", "person_stated")
L2 = 3.0           # ridge penalty on the standardised weights (not on the bias)
THRESHOLD = 0.4


@dataclass
class Row:
    document: str
    qset: str
    question: str
    in_scope: bool
    rule: bool | None        # the rules' verdict, None when the model decides
    old: bool                # the old thresholds' verdict (rules included)
    x: list[float] | None    # the model's features when it decides
    retrieved: bool = True   # in scope: the gold text is in the top passages the decision sees


def collect(cache: Path, documents: list[str]) -> list[Row]:
    from bot.answer import ALL_WORDS_FOUND, Thresholds, decide
    from bot.evaluate import read_cases, squash
    from bot.indexing import build_from_settings, open_retriever_from_settings
    from bot.settings import DEFAULT_CORPUS, Settings

    old = Thresholds(learned=False)
    rows: list[Row] = []
    for name in documents:
        source, sets = DOCUMENTS[name]
        settings = Settings(data_dir=cache / name / "data", sources=((source or DEFAULT_CORPUS).resolve(),))
        try:
            retriever = open_retriever_from_settings(settings)
        except Exception:       # nothing built there yet (or a stale format): build it
            build_from_settings(settings)
            retriever = open_retriever_from_settings(settings)
        EMBEDDING[:] = [retriever.embedder.model_id]
        seen: set[str] = set()
        for path in sets:
            if not path.is_file():
                print(f"  (skipped {path}: not found)")
                continue
            for case in read_cases(path):
                if case.question in seen:
                    continue
                seen.add(case.question)
                hits = retriever.search(case.question, k=max(10, old.passages))
                d = decide(case.question, hits, retriever, old)
                x = [float(d.signals[f]) for f in USED] if d.signals is not None else None
                gold = squash(case.expected)
                retrieved = any(gold in squash(h.chunk.section + h.chunk.text) for h in hits[:old.passages])
                # The full-coverage rule answers in front of the model, but its questions still
                # teach the model what answered questions look like.
                by_rule = x is None or d.reason == ALL_WORDS_FOUND
                rows.append(Row(name, path.stem, case.question, case.in_scope,
                                d.found if by_rule else None, d.found, x, retrieved))
    return rows


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = L2):
    """Weighted, L2-regularised logistic regression by Newton's method (deterministic).

    Returns:
        (mean, scale, weights, bias) with the features standardised by mean and scale.
    """
    mean = (w[:, None] * X).sum(0) / w.sum()
    scale = np.sqrt((w[:, None] * (X - mean) ** 2).sum(0) / w.sum())
    scale[scale < 1e-9] = 1.0
    Z = np.hstack([np.ones((len(X), 1)), (X - mean) / scale])
    beta = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], l2)
    reg[0] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(Z @ beta, -60, 60)))
        grad = Z.T @ (w * (p - y)) + reg * beta
        H = (Z * (w * p * (1 - p))[:, None]).T @ Z + np.diag(reg) + 1e-9 * np.eye(Z.shape[1])
        step = np.linalg.solve(H, grad)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return mean, scale, beta[1:], float(beta[0])


def weights_for(rows: list[Row]) -> np.ndarray:
    """Each document weighs 1, split equally between its in-scope and out-of-scope questions."""
    w = np.zeros(len(rows))
    docs = {r.document for r in rows}
    for d in docs:
        for label in (True, False):
            idx = [i for i, r in enumerate(rows) if r.document == d and r.in_scope == label]
            if idx:
                w[idx] = 0.5 / len(idx)
    return w * len(rows) / max(1, len(docs))


def predict(rows: list[Row], model) -> list[bool]:
    mean, scale, coef, bias = model
    out = []
    for r in rows:
        if r.rule is not None:
            out.append(r.rule)
        else:
            z = bias + float(((np.array(r.x) - mean) / scale) @ coef)
            out.append(1 / (1 + np.exp(-z)) >= THRESHOLD)
    return out


def rates(rows: list[Row], found: list[bool]) -> tuple[float, float, int, int]:
    ins = [f for r, f in zip(rows, found) if r.in_scope]
    outs = [f for r, f in zip(rows, found) if not r.in_scope]
    return (sum(ins) / len(ins) if ins else float("nan"),
            sum(not f for f in outs) / len(outs) if outs else float("nan"), len(ins), len(outs))


def fit_rows(rows: list[Row]):
    # An in-scope question whose passages do not hold the answer (a retrieval miss) would teach
    # the model to answer from passages that do not answer: it is left out of the fit (it still
    # counts, as not answered, in every figure).
    train = [r for r in rows if r.x is not None and (r.retrieved or not r.in_scope)]
    X = np.array([r.x for r in train])
    y = np.array([1.0 if r.in_scope else 0.0 for r in train])
    return fit(X, y, weights_for(train))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", help="directory for the per-document indexes (reused when present)")
    ap.add_argument("--documents", default=",".join(DOCUMENTS))
    ap.add_argument("--out", default=str(ROOT / "bot" / "decision.json"))
    ap.add_argument("--dry-run", action="store_true", help="report only; do not write the model")
    ap.add_argument("--list", action="store_true", help="print every question's verdicts")
    ap.add_argument("--without", default="", help="features to leave out (comma-separated), to compare")
    args = ap.parse_args()
    global USED
    USED = tuple(f for f in USED if f not in args.without.split(","))

    cache = Path(args.cache) if args.cache else Path(tempfile.mkdtemp(prefix="decision-"))
    documents = args.documents.split(",")
    rows = collect(cache, documents)

    lines: list[str] = []
    say = lines.append
    say(f"{'document':10} {'in':>4} {'out':>4} {'model':>5} | {'old thresholds':>15} | "
          f"{'leave-one-document-out':>23} | {'fitted on all':>14}")
    say(f"{'':10} {'':>4} {'':>4} {'':>5} | {'answ.':>7} {'refus.':>7} | {'answ.':>11} {'refus.':>11} | "
          f"{'answ.':>6} {'refus.':>7}")
    full = fit_rows(rows)
    figures = {}
    for d in documents:
        mine = [r for r in rows if r.document == d]
        others = [r for r in rows if r.document != d]
        lodo = predict(mine, fit_rows(others))
        old_a, old_r, n_in, n_out = rates(mine, [r.old for r in mine])
        lo_a, lo_r, _, _ = rates(mine, lodo)
        all_a, all_r, _, _ = rates(mine, predict(mine, full))
        n_model = sum(r.x is not None for r in mine)
        figures[d] = {"in_scope": n_in, "out_of_scope": n_out, "old": [round(old_a, 3), round(old_r, 3)],
                      "leave_one_out": [round(lo_a, 3), round(lo_r, 3)], "fitted": [round(all_a, 3), round(all_r, 3)]}
        say(f"{d:10} {n_in:4} {n_out:4} {n_model:5} | {old_a:7.3f} {old_r:7.3f} | {lo_a:11.3f} {lo_r:11.3f} | "
              f"{all_a:6.3f} {all_r:7.3f}")
        sets = sorted({r.qset for r in mine}, key=[r.qset for r in mine].index)
        for qset in sets if len(sets) > 1 else ():
            idx = [i for i, r in enumerate(mine) if r.qset == qset]
            sub = [mine[i] for i in idx]
            o = rates(sub, [r.old for r in sub])
            lo = rates(sub, [lodo[i] for i in idx])
            fa = rates(sub, predict(sub, full))
            say(f"  {qset[:8]:8} {o[2]:4} {o[3]:4} {sum(r.x is not None for r in sub):5} | {o[0]:7.3f} {o[1]:7.3f} | "
                  f"{lo[0]:11.3f} {lo[1]:11.3f} | {fa[0]:6.3f} {fa[1]:7.3f}")
        if args.list:
            for r, f in zip(mine, lodo):
                mark = "ok  " if f == r.in_scope else "MISS"
                how = "rule " if r.rule is not None else "model"
                say(f"    {mark} {how} lodo={int(f)} old={int(r.old)} {r.qset:12} {r.question}")
    mean, scale, coef, bias = full
    say("\nweights (standardised features):")
    for name, c in sorted(zip(USED, coef), key=lambda t: -abs(t[1])):
        say(f"  {name:18} {c:+.3f}")
    say(f"  {'(bias)':18} {bias:+.3f}")
    if not args.dry_run:
        write_model(Path(args.out), full, figures)
        say(f"\nwrote {args.out}")
    # Printed last, so that a reader cutting the output short (| head) cannot stop the write.
    print("\n".join(lines))


def write_model(out: Path, full, figures: dict) -> None:
    """Write the model fitted on all documents (validated by :func:`bot.decision.parse_model`)."""
    from bot.decision import DecisionModel, parse_model

    mean, scale, coef, bias = full
    model = DecisionModel(USED, tuple(round(float(v), 6) for v in mean), tuple(round(float(v), 6) for v in scale),
                          tuple(round(float(v), 6) for v in coef), round(bias, 6), THRESHOLD, EMBEDDING[0],
                          {"trained_by": "benchmarks/issue12/train_decision.py", "l2": L2, "documents": figures})
    parse_model(model.to_json())     # what is written must load
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
