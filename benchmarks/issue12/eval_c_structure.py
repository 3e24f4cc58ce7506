"""Helper C's structure dev set (benchmarks/issue12/dev/c_structure.tsv): items, lists,
comparisons, two-part questions and items a document does not have, over three documents.

    OMP_NUM_THREADS=1 python benchmarks/issue12/eval_c_structure.py [--data /tmp/c-structure] [-v]

One real index per document (default model), built once under ``--data`` and reused. A question
is correct when every gold text is in what the reader sees (answer, notice and the first source's
breadcrumb; NFKC, whitespace removed) and no forbidden text is in the answer, or, for "-", when it
is refused. Also prints the share of dev questions (../shared/eval/dev_qa.tsv) whose gold text is
in ``highlight``.
"""
from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
DOCUMENTS = {
    "outline": SHARED / "outline-7th-summary.txt",
    "midori": SHARED / "practice" / "midori-plan-3rd-summary.txt",
    "sakura": ROOT / "benchmarks" / "practice" / "sakura-dx-plan-2nd-summary.txt",
}


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def service(name: str, data: Path):
    from bot.indexing import build_from_settings
    from bot.service import QAService
    from bot.settings import Settings

    settings = Settings(data_dir=data / name, sources=(DOCUMENTS[name],))
    if not (data / name / "index").exists():
        build_from_settings(settings)
    return QAService(settings)


def seen(answer) -> str:
    d = answer.to_dict()
    first = d["sources"][0]["section"] if d["sources"] and d["found"] else ""
    return squash("\n".join([d["answer"], d.get("notice", ""), first]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("/tmp/c-structure"))
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--set", default="benchmarks/issue12/dev/c_structure.tsv", help="the question set (TSV)")
    args = ap.parse_args()
    rows = [line.rstrip("\n").split("\t") for line in
            (ROOT / args.set).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    services = {}
    right, strict, by_kind = 0, 0, {}
    for doc, question, kind, gold, forbidden in rows:
        qa = services.get(doc) or services.setdefault(doc, service(doc, args.data))
        a = qa.ask(question)
        text = seen(a)
        if gold == "-":
            ok = not a.found
            why = "" if ok else f"answered: {a.answer[:60]!r}"
        else:
            missing = [g for g in gold.split("｜") if squash(g) not in text]
            bad = [f for f in forbidden.split("｜") if forbidden != "-" and squash(f) in squash(a.answer)]
            ok = a.found and not missing and not bad
            why = "" if ok else f"found={a.found} missing={missing} forbidden={bad} {a.meta.get('reason', '')}"
        # benchmarks/eval_issue12.py's rule: golds in answer + highlight only (not notice, not citation)
        said = squash(a.answer + "\n" + a.to_dict().get("highlight", ""))
        strict_ok = (not a.found) if gold == "-" else (
            a.found and all(squash(g) in said for g in gold.split("｜"))
            and not any(forbidden != "-" and squash(f) in squash(a.answer) for f in forbidden.split("｜")))
        strict += strict_ok
        if ok and not strict_ok:
            why = "correct, but a gold is only in the notice or citation"
        right += ok
        k = by_kind.setdefault(kind, [0, 0])
        k[0] += ok
        k[1] += 1
        if not ok or not strict_ok or args.v:
            print(f"{'ok ' if ok else 'BAD'} [{doc}/{kind}] {question}  {why}")
            if args.v:
                print("   ", a.answer.replace("\n", " / ")[:200], "|", a.to_dict().get("notice", ""))
    print(f"structure (answer + highlight only, as eval_issue12): {strict}/{len(rows)} = {strict / len(rows):.3f}")
    print(f"structure: {right}/{len(rows)} = {right / len(rows):.3f}  " +
          "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in by_kind.items()))
    # share of dev questions whose gold text is in highlight
    qa = services.get("outline") or service("outline", args.data)
    dev = [line.split("\t") for line in (SHARED / "eval/dev_qa.tsv").read_text(encoding="utf-8").splitlines()
           if line.strip() and not line.startswith("#")]
    inscope = [(q, g.strip()) for q, g in dev if g.strip() != "-"]
    hl = 0
    for q, g in inscope:
        a = qa.ask(q)
        h = a.to_dict().get("highlight", "")
        inside = squash(g) in squash(h)
        hl += inside
        if args.v and not inside:
            print(f"highlight miss: {q} gold={g} highlight={h[:80]!r} answer={a.answer[:60]!r}")
    print(f"highlight: {hl}/{len(inscope)} = {hl / len(inscope):.3f} of in-scope dev questions have the gold text in highlight")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
