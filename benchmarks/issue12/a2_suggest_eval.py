"""A2's figures for learning from staff: how often a proposed synonym line pairs an everyday word
with the document term a person would choose, and how many refused questions it makes answered.

    REFORMBOT_DATA_DIR=/tmp/data python benchmarks/issue12/a2_suggest_eval.py benchmarks/issue12/dev/a2_suggest.tsv

Per line of the set (question, everyday word, expected document terms):
- detected: the word is among the question's words that match no document term;
- line: an expected term is a target of the word's proposed line (nearest by meaning, by characters);
- top3: an expected term is among the three nearest of either method (what ``--json`` shows);
- refused before / answered after: the question with the served vocabulary, then with every line
  proposed for it applied (a scratch synonyms file, never the real one).
"""
from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def related(a: str, b: str) -> bool:
    from index.lexical import nfkc

    a, b = nfkc(a), nfkc(b)
    return a in b or b in a


def main(path: str) -> None:
    from bot.service import QAService
    from bot.settings import Settings
    from bot.suggest import document_vocabulary, propose, propose_for
    from index.lexical import nfkc

    rows = [line.rstrip("\n").split("\t") for line in Path(path).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    with tempfile.TemporaryDirectory() as tmp:
        synonyms = Path(tmp) / "synonyms.txt"
        qa = QAService(replace(Settings.from_env(), synonyms_file=str(synonyms)))
        retriever = qa.retriever
        vocab = document_vocabulary(retriever)
        out = []
        for question, word, expected in rows:
            terms = expected.split("|")
            p = propose(question, vocab)            # every unmatched word, whatever the lexicon maps
            w = next((x for x in p.words if nfkc(x.word) == nfkc(word)), None)
            before = qa.ask(question).found
            lines = propose_for(retriever, question).lines
            after = before
            if not before and lines:
                synonyms.write_text("\n".join(lines) + "\n", encoding="utf-8")
                qa.reload_synonyms()
                after = qa.ask(question).found
                synonyms.unlink()
                qa.reload_synonyms()
            near = [m.term for m in (w.by_embedding[:3] + w.by_characters[:3])] if w else []
            out.append({
                "question": question, "word": word, "detected": w is not None,
                "line": w.line() if w else "",
                "line_hit": bool(w) and any(related(t, e) for t in w.targets() for e in terms),
                "top3_hit": any(related(t, e) for t in near for e in terms),
                "refused_before": not before, "answered_after": (not before) and after, "served_lines": list(lines),
            })
    n = len(out)
    refused = sum(r["refused_before"] for r in out)
    summary = {
        "questions": n,
        "detected": round(sum(r["detected"] for r in out) / n, 3),
        "line_hit": round(sum(r["line_hit"] for r in out) / n, 3),
        "top3_hit": round(sum(r["top3_hit"] for r in out) / n, 3),
        "refused_before": refused,
        "answered_after_accept": sum(r["answered_after"] for r in out),
    }
    for r in out:
        print(("ok  " if r["line_hit"] else ("top3" if r["top3_hit"] else "miss")), r["question"], "|", r["line"] or "-",
              "| refused" if r["refused_before"] else "", "-> answered" if r["answered_after"] else "")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
