"""Build time for a 100-page PDF plan, stage by stage.

A synthetic plan of ``--pages`` A4 pages (chapters 第N章, sections N－M, ① items, ・ bullets with
figures, a 用語解説 glossary with ＊N marks, a running header and 「- N -」 footers on every page) is
set by reportlab with a built-in Japanese CID font, or with ``--producer chromium`` printed by
Debian's Chromium with Noto CJK fonts (the test suite's two PDF producers), then:

    read    pypdf text extraction of every page (corpus.reader)
    parse   canonical form, page furniture, repair, structure (corpus.load_document)
    chunk   corpus.load_chunks
    build   a full index version with the real default model, from the file (index build)

Read, parse and chunk are repeated ``--repeat`` times, the build ``--build-repeat`` times (it embeds
every chunk: about a minute on 2 cores); medians are printed and written to
benchmarks/results/pdf_build_<producer>.json.

    .venv/bin/python benchmarks/bench_pdf_build.py [--pages 100] [--repeat 3] [--build-repeat 1]
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))          # the tests' PDF producer

from corpus import load_chunks, load_document  # noqa: E402
from corpus.reader import read_source  # noqa: E402

FIELDS = ["行政サービス", "財政運営", "人材育成", "公共施設", "市民協働", "デジタル化", "防災", "子育て支援", "環境", "地域経済"]


def plan_lines(pages: int) -> list[str]:
    """A plan of ``pages`` pages: one section (N－M with three ① items of bullets) a page, then the glossary."""
    title = "ひかり市第４次行政経営改革プラン"
    lines = [title, "令和９年３月 ひかり市総合政策部", ""]
    chapter = 0
    for page in range(pages - 2):          # and two pages of glossary
        section = page % 4 + 1
        if section == 1:
            chapter += 1
            lines.append(f"第{chapter}章 {FIELDS[chapter % len(FIELDS)]}の改革（本編 p.{page * 3 + 1}）")
        lines.append(f"{chapter}－{section} {FIELDS[(chapter + section) % len(FIELDS)]}の取組{page + 1}")
        for item in range(1, 4):
            lines.append("①②③"[item - 1] + f" 重点施策{page + 1}-{item}")
            for k in range(2):
                lines.append(f"・令和{9 + k}年度までに{FIELDS[(page + k) % len(FIELDS)]}の指標を{(page * 7 + k * 3) % 90 + 5}％"
                             f"改善し、年間約{(page + 1) * (k + 2) * 11:,}時間の事務を見直します。")
        if page + 1 < pages - 2:
            lines.append("\f")
    lines += ["\f", "用語解説"]
    for n in range(1, 31):
        lines += [f"＊{n} 用語{n}（Term {n} の略）", f"{FIELDS[n % len(FIELDS)]}に関する用語{n}の説明です。"]
    return lines


def make_pdf(lines: list[str], producer: str) -> bytes:
    from pdf_support import chromium_pdf, reportlab_pdf

    if producer == "reportlab":
        return reportlab_pdf(lines, header=lines[0], footer="- {page} -")
    from browser_support import ARGS, CHROMIUM
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            return chromium_pdf(browser, lines, header=lines[0], footer="- {page} -")
        finally:
            browser.close()


def median_seconds(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3, help="runs of read, parse and chunk (median)")
    ap.add_argument("--build-repeat", type=int, default=1, help="runs of the index build (median; ~1 min each)")
    ap.add_argument("--producer", choices=("reportlab", "chromium"), default="reportlab")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pdf-build-"))
    pdf = tmp / "plan.pdf"
    lines = plan_lines(args.pages)
    pdf.write_bytes(make_pdf(lines, args.producer))
    src = read_source(pdf)
    pages = src.text.count("\f") + 1
    read_s, _ = median_seconds(lambda: read_source(pdf), args.repeat)
    parse_s, doc = median_seconds(lambda: load_document(pdf), args.repeat)
    chunk_s, chunks = median_seconds(lambda: load_chunks(doc), args.repeat)

    from bot.settings import Settings
    from index.versions import build_version_from_settings

    def build():
        settings = Settings(data_dir=Path(tempfile.mkdtemp(dir=tmp)) / "data", sources=(pdf,))
        return build_version_from_settings(settings)

    build_s, report = median_seconds(build, args.build_repeat)
    results = {
        "producer": args.producer, "pages": pages, "pdf_bytes": pdf.stat().st_size, "sections": len(doc.sections), "glossary": len(doc.glossary),
        "chunks": len(chunks), "chunks_without_page": sum(c.page is None for c in chunks), "repeat": args.repeat,
        "build_repeat": args.build_repeat,
        "seconds": {"read": round(read_s, 3), "parse (incl. read)": round(parse_s, 3), "chunk": round(chunk_s, 3),
                    "index build (incl. all, real model)": round(build_s, 3)},
        "embedded": report.embedded,
    }
    print(f"{args.producer}: {pages} pages, {pdf.stat().st_size // 1024} KB: {len(doc.sections)} sections, {len(doc.glossary)} glossary "
          f"terms, {len(chunks)} chunks ({results['chunks_without_page']} without a page)")
    for stage, seconds in results["seconds"].items():
        print(f"  {stage:<38} {seconds:7.2f} s")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"pdf_build_{args.producer}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
