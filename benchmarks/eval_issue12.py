"""Every target of issue 12 in one run (a benchmark, not a test).

    python benchmarks/eval_issue12.py                         # all sets: the lead's one clean run
    python benchmarks/eval_issue12.py --sets dev,latency      # the dev set only (anyone may run this)
    python benchmarks/eval_issue12.py --data /tmp/i12         # reuse (or build once) indexes there
                                                              # (built by older code? use a new dir)
    python benchmarks/eval_issue12.py --heldout-dir benchmarks/issue12/dev/e_smoke   # smoke sets

The held-out sets under benchmarks/issue12/heldout/ were written (helper E) and committed before the
system was ever run on them (see benchmarks/issue12/README.md). Only the lead runs them, once, on the
final system; everyone else runs ``--sets dev,latency`` or points ``--heldout-dir`` at a directory of
their own with files of the same names.

Each document is indexed alone with the real default model (a data dir per document, under a temp
dir or ``--data``): the bundled outline (everyday, chat, threads, structure, dev), the midori and
sakura practice plans (threads, structure) and the new document ``<heldout-dir>/*-plan.txt``
(newdoc). Answers come from :class:`bot.service.QAService`, the service every surface calls.

Sets (``--sets``, comma-separated; default all):

* everyday  everyday.tsv (question<TAB>gold or -): hit@3, MRR@10, in-scope answered, out-of-scope
            refused (:func:`bot.evaluate.evaluate`). Targets .95 / - / .90 / .90.
* chat      chat_wrappers.tsv (prefix<TAB>suffix): every bare question of everyday.tsv and the dev set
            wrapped by 3 wrappers chosen with a seeded generator (the same on every run); share of
            wrapped questions whose found/not-found and first source id equal the bare question's.
            Target .98.
* threads   threads.tsv (thread_id, document, turn, question, gold / - / *): each thread asked turn by
            turn with the earlier turns as history; share of scored turns right (gold in the top 3
            with found, or refused for -). Target .90.
* structure structure.tsv (kind, document, question, golds, forbidden): correct when answer text +
            highlight hold every gold and no forbidden text (or the answer is refused for -). Target .95.
* newdoc    newdoc_qa.tsv over <heldout-dir>/*-plan.txt: in-scope answered and refused. Targets .90 / .90.
* dev       ../shared/eval/dev_qa.tsv: the four figures (today 1.000 .988 1.000 1.000) and the share of
            in-scope dev questions whose gold text is in ``highlight``.
* latency   warm answer time p50 of the dev questions through QAService.ask (what /api/ask calls, k=3),
            in process after a warm-up: the HTTP layer is left out (benchmarks/bench_serve.py times it).
            Target 25 ms.

Writes benchmarks/results/eval_issue12.json (figures, and per set the questions it got wrong).
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import random
import shutil
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HELDOUT = ROOT / "benchmarks" / "issue12" / "heldout"
DEV = ROOT.parent / "shared" / "eval" / "dev_qa.tsv"
DOCUMENTS = {
    "outline": ROOT / "corpus" / "outline-7th-summary.txt",
    "midori": ROOT.parent / "shared" / "practice" / "midori-plan-3rd-summary.txt",
    "sakura": ROOT / "benchmarks" / "practice" / "sakura-dx-plan-2nd-summary.txt",
}
RESULTS = ROOT / "benchmarks" / "results"
ALL_SETS = ("everyday", "chat", "threads", "structure", "newdoc", "dev", "latency")
WRAPS_PER_QUESTION = 3
SEED = "issue12"
SEP = " | "
TARGETS = {   # (figure, goal, higher is better)
    "everyday.hit_at_3": 0.95, "everyday.in_scope_answered": 0.90, "everyday.out_of_scope_refused": 0.90,
    "chat.same": 0.98, "threads.right": 0.90, "structure.correct": 0.95,
    "newdoc.in_scope_answered": 0.90, "newdoc.out_of_scope_refused": 0.90,
    "dev.hit_at_3": 1.0, "dev.mrr_at_10": 0.988, "dev.in_scope_answered": 1.0, "dev.out_of_scope_refused": 1.0,
}
LATENCY_TARGET_MS = 25.0


# ---------------------------------------------------------------- reading the sets (pure)

class SetFileError(ValueError):
    "A question set file is not in its documented format."


def squash(text: str) -> str:
    """NFKC with all whitespace removed (as :func:`bot.evaluate.squash`)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _rows(path: Path, columns: int) -> list[tuple[int, list[str]]]:
    """Non-comment, non-blank lines of a TSV split on tabs, each with its line number.

    Fields are kept verbatim (a wrapper's spaces matter); only the line end is dropped.

    Raises:
        SetFileError: a line has fewer than ``columns`` fields.
    """
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < columns:
            raise SetFileError(f"{path}:{n}: expected {columns} tab-separated fields, got {len(parts)}")
        rows.append((n, parts))
    return rows


def read_wrappers(path: Path) -> list[tuple[str, str]]:
    """``(prefix, suffix)`` pairs of chat_wrappers.tsv (either may be empty, not both)."""
    out = []
    for n, parts in _rows(path, 2):
        if not (parts[0] + parts[1]).strip():
            raise SetFileError(f"{path}:{n}: empty wrapper")
        out.append((parts[0], parts[1]))
    return out


@dataclass(frozen=True)
class Turn:
    thread: str
    document: str
    turn: int
    question: str
    gold: str                      # text, "-" (must be refused) or "*" (not scored)

    @property
    def scored(self) -> bool:
        return self.gold != "*"


def read_threads(path: Path) -> dict[str, list[Turn]]:
    """Threads of threads.tsv in file order, each a list of turns in turn order."""
    threads: dict[str, list[Turn]] = {}
    for n, p in _rows(path, 5):
        if not p[2].strip().isdigit() or not p[3].strip() or not p[4].strip():
            raise SetFileError(f"{path}:{n}: expected thread_id, document, turn number, question, gold")
        t = Turn(p[0].strip(), p[1].strip(), int(p[2]), p[3].strip(), p[4].strip())
        threads.setdefault(t.thread, []).append(t)
    for turns in threads.values():
        turns.sort(key=lambda t: t.turn)
    return threads


@dataclass(frozen=True)
class StructureCase:
    kind: str                      # item | list | compare | twopart | missing
    document: str
    question: str
    golds: tuple[str, ...]         # empty = must be refused
    forbidden: tuple[str, ...]


def _texts(field: str) -> tuple[str, ...]:
    field = field.strip()
    return () if field == "-" else tuple(x.strip() for x in field.split(SEP) if x.strip())


def read_structure(path: Path) -> list[StructureCase]:
    """Cases of structure.tsv."""
    cases = []
    for n, p in _rows(path, 5):
        if p[0].strip() not in {"item", "list", "compare", "twopart", "missing"} or not p[2].strip():
            raise SetFileError(f"{path}:{n}: expected kind, document, question, golds, forbidden")
        cases.append(StructureCase(p[0].strip(), p[1].strip(), p[2].strip(), _texts(p[3]), _texts(p[4])))
    return cases


def wrapped(question: str, wrappers: list[tuple[str, str]], n: int = WRAPS_PER_QUESTION) -> list[str]:
    """``n`` wrappings of ``question``, chosen by a generator seeded with the question (stable across runs)."""
    rng = random.Random(f"{SEED}:{question}")
    return [p + question + s for p, s in (wrappers[i] for i in rng.sample(range(len(wrappers)), min(n, len(wrappers))))]


def new_document(heldout: Path) -> Path:
    """The one ``*-plan.txt`` of the held-out directory.

    Raises:
        SetFileError: none or several.
    """
    found = sorted(heldout.glob("*-plan.txt"))
    if len(found) != 1:
        raise SetFileError(f"{heldout}: expected exactly one *-plan.txt, found {len(found)}")
    return found[0]


# ---------------------------------------------------------------- reading answers

def highlight_text(answer) -> str:
    """The answer's ``highlight`` as one string ("" while the contract has none)."""
    h = getattr(answer, "highlight", None)
    if h is None:
        try:
            h = answer.to_dict().get("highlight")
        except Exception:
            h = None
    if h is None:
        return ""
    if isinstance(h, str):
        return h
    return "\n".join(x if isinstance(x, str) else str(x.get("text", "")) if isinstance(x, dict) else str(x) for x in h)


def first_id(answer) -> str | None:
    return answer.sources[0].id if answer.sources else None


# ---------------------------------------------------------------- running

class Indexes:
    """One QAService per document, each over its own data dir (built on first use when absent)."""

    def __init__(self, base: Path):
        self.base = base
        self._qa: dict[str, object] = {}
        self.build_seconds: dict[str, float] = {}

    def qa(self, key: str, source: Path):
        if key not in self._qa:
            from bot.indexing import build_from_settings
            from bot.service import QAService
            from bot.settings import Settings

            settings = Settings(data_dir=self.base / key)
            service = QAService(settings)
            try:
                service.retriever
            except Exception:     # not built here yet: build it from this one document
                t = time.perf_counter()
                build_from_settings(settings, sources=[source])
                self.build_seconds[key] = round(time.perf_counter() - t, 1)
                service = QAService(settings)
            service.ask("計画")   # warm: model and caches loaded before anything is timed
            self._qa[key] = service
        return self._qa[key]


def ask_in_thread(qa, question: str, earlier: list[tuple[str, object]], k: int = 10):
    """Ask ``question`` with the thread's earlier ``(question, answer)`` turns, as Slack threads do.

    Where the service reads turns (``bot.conversation`` exists), each earlier turn goes as
    ``{"question", "section"}`` with the section of its answer's first source ("" when refused),
    what the Slack listener keeps per thread; otherwise as the earlier questions (strings). A
    parameter for earlier answers (``answers`` / ``previous_answers`` / ``turns``) gets them too.
    One place to adapt.
    """
    params = inspect.signature(qa.ask).parameters
    if importlib.util.find_spec("bot.conversation") is not None:
        history: list = [{"question": q, "section": a.sources[0].section if a.found and a.sources else ""}
                         for q, a in earlier]
    else:
        history = [q for q, _ in earlier]
    kwargs: dict = {"history": history, "k": k}
    for name in ("answers", "previous_answers"):
        if name in params:
            kwargs[name] = [a for _, a in earlier]
    if "turns" in params:
        kwargs["turns"] = list(earlier)
    return qa.ask(question, **kwargs)


def run_qa_set(path: Path, qa, name: str) -> dict:
    from bot.evaluate import evaluate

    answers = {}

    def ask(q):
        answers[q] = qa.ask(q, k=10)
        return answers[q]

    report = evaluate(path, ask)
    out = {k: v for k, v in report.to_dict().items() if k != "misses"}
    out["misses"] = [{"question": m.question, "expected": m.expected, "problem": m.problem, "rank": m.rank}
                     for m in report.misses]
    out["_answers"] = answers
    print(f"== {name}: {path}  ({report.questions} q., {report.in_scope} in scope)")
    for m in report.misses:
        print(f"   [{m.problem}] {m.question} -> {m.expected} (rank {m.rank}, found={int(m.found)})")
    return out


def run_chat(wrappers_path: Path, bare_paths: list[Path], qa) -> dict:
    from bot.evaluate import read_cases

    wrappers = read_wrappers(wrappers_path)
    same = same_when_found = total = 0
    diffs = []
    for path in bare_paths:
        for case in read_cases(path):
            bare = qa.ask(case.question)
            for w in wrapped(case.question, wrappers):
                total += 1
                try:
                    a = qa.ask(w)
                    ok = a.found == bare.found and first_id(a) == first_id(bare)
                except ValueError as exc:     # EmptyQuestion / QuestionTooLong
                    a, ok = None, False
                    print(f"   error {exc!r}: {w}")
                same += ok
                # a refused answer's nearest passage is not shown as an answer: compare it only when found
                same_when_found += ok or (a is not None and not a.found and not bare.found)
                if not ok:
                    diffs.append({"bare": case.question, "wrapped": w, "bare_found": bare.found,
                                  "found": getattr(a, "found", None), "bare_first": first_id(bare),
                                  "first": first_id(a) if a else None})
    print(f"== chat: {total} wrapped questions ({len(wrappers)} wrappers x{WRAPS_PER_QUESTION})")
    for d in diffs:
        print(f"   [differs] found {int(d['bare_found'])}->{d['found']} first {d['bare_first']}->{d['first']}: {d['wrapped']}")
    return {"wrapped": total, "same": round(same / total, 4) if total else 0.0,
            "same_found_and_first_when_found": round(same_when_found / total, 4) if total else 0.0,
            "differs": diffs}


def run_threads(path: Path, indexes: Indexes, documents: dict[str, Path]) -> dict:
    from bot.evaluate import first_rank

    threads = read_threads(path)
    right = scored = last_right = 0
    wrong = []
    for tid, turns in threads.items():
        qa = indexes.qa(turns[0].document, documents[turns[0].document])
        earlier: list[tuple[str, object]] = []
        ok_turn = True
        for t in turns:
            a = ask_in_thread(qa, t.question, earlier)
            earlier.append((t.question, a))
            if not t.scored:
                continue
            if t.gold == "-":
                ok = not a.found
            else:
                rank = first_rank(a, t.gold)
                ok = a.found and rank is not None and rank <= 3
            scored += 1
            right += ok
            ok_turn = ok
            if not ok:
                wrong.append({"thread": tid, "turn": t.turn, "question": t.question, "gold": t.gold,
                              "found": a.found, "rank": None if t.gold == "-" else first_rank(a, t.gold),
                              "context": a.meta.get("searched") or a.meta.get("context")})
        last_right += ok_turn
    print(f"== threads: {len(threads)} threads, {scored} scored turns")
    for w in wrong:
        print(f"   [wrong] {w['thread']}#{w['turn']} {w['question']} -> {w['gold']} (found={int(w['found'])}, rank {w['rank']})")
    return {"threads": len(threads), "scored_turns": scored, "right": round(right / scored, 4) if scored else 0.0,
            "last_turn_right": round(last_right / len(threads), 4) if threads else 0.0, "wrong": wrong}


def structure_correct(case: StructureCase, answer) -> bool:
    """Every gold in answer text + highlight and no forbidden text; or refused when no gold."""
    if not case.golds:
        return not answer.found
    text = squash(answer.answer + "\n" + highlight_text(answer))
    return (answer.found and all(squash(g) in text for g in case.golds)
            and not any(squash(f) in text for f in case.forbidden))


def run_structure(path: Path, indexes: Indexes, documents: dict[str, Path]) -> dict:
    cases = read_structure(path)
    by_kind: dict[str, list[int]] = {}
    wrong = []
    for c in cases:
        a = indexes.qa(c.document, documents[c.document]).ask(c.question)
        ok = structure_correct(c, a)
        by_kind.setdefault(c.kind, []).append(int(ok))
        if not ok:
            text = squash(a.answer + highlight_text(a))
            wrong.append({"kind": c.kind, "document": c.document, "question": c.question, "found": a.found,
                          "missing": [g for g in c.golds if squash(g) not in text],
                          "forbidden_present": [f for f in c.forbidden if squash(f) in text]})
    print(f"== structure: {len(cases)} questions")
    for w in wrong:
        print(f"   [wrong] {w['kind']:8} {w['document']:8} {w['question']} found={int(w['found'])} "
              f"missing={w['missing']} forbidden={w['forbidden_present']}")
    n_ok = sum(sum(v) for v in by_kind.values())
    return {"questions": len(cases), "correct": round(n_ok / len(cases), 4) if cases else 0.0,
            "by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())}, "wrong": wrong}


def highlight_share(path: Path, answers: dict) -> dict:
    """Share of in-scope questions whose gold text is in the answer's highlight."""
    from bot.evaluate import read_cases

    cases = [c for c in read_cases(path) if c.in_scope]
    has = sum(squash(c.expected) in squash(highlight_text(answers[c.question])) for c in cases)
    with_any = sum(bool(highlight_text(answers[c.question])) for c in cases)
    return {"gold_in_highlight": round(has / len(cases), 4) if cases else 0.0,
            "with_highlight": round(with_any / len(cases), 4) if cases else 0.0}


def run_latency(path: Path, qa, rounds: int = 3) -> dict:
    from bot.evaluate import read_cases

    qs = [c.question for c in read_cases(path)]
    for q in qs:                       # warm-up pass, not timed
        qa.ask(q)
    times = []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            qa.ask(q)
            times.append(1000 * (time.perf_counter() - t))
    times.sort()
    p50, p95 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"== latency: {len(times)} warm in-process QAService.ask calls: p50 {p50:.1f} ms  p95 {p95:.1f} ms")
    return {"calls": len(times), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
            "how": "in-process QAService.ask (k=3) after a warm-up pass; HTTP layer not included"}


# ---------------------------------------------------------------- report

def table(results: dict) -> list[tuple[str, str, str, str]]:
    """``(figure, measured, target, verdict)`` rows for every figure measured."""
    rows = []

    def add(name: str, value, target, better_high: bool = True):
        if value is None:
            return
        if target is None:
            verdict = ""
        else:
            v = round(value, 3)   # figures are quoted to three places ("today .988" is 0.9875)
            verdict = "ok" if (v >= target if better_high else v <= target) else "BELOW" if better_high else "ABOVE"
        shown = f"{value:.3f}" if isinstance(value, float) and value <= 1.0 else f"{value:.1f}"
        rows.append((name, shown, "" if target is None else (f"≥ {target}" if better_high else f"≤ {target}"), verdict))

    for set_name in ("everyday", "newdoc", "dev"):
        r = results.get(set_name)
        if not r:
            continue
        for fig in ("hit_at_1", "hit_at_3", "mrr_at_10", "in_scope_answered", "out_of_scope_refused"):
            add(f"{set_name} {fig}", r.get(fig), TARGETS.get(f"{set_name}.{fig}"))
        if "gold_in_highlight" in r:
            add(f"{set_name} gold in highlight", r["gold_in_highlight"], None)
    if "chat" in results:
        add("chat same found + first source", results["chat"]["same"], TARGETS["chat.same"])
        add("chat same found (+ first when found)", results["chat"]["same_found_and_first_when_found"], None)
    if "threads" in results:
        add("threads follow-up turns right", results["threads"]["right"], TARGETS["threads.right"])
        add("threads last turn right", results["threads"]["last_turn_right"], None)
    if "structure" in results:
        add("structure correct", results["structure"]["correct"], TARGETS["structure.correct"])
        for k, v in results["structure"]["by_kind"].items():
            rows.append((f"  structure {k}", v, "", ""))
    if "latency" in results:
        add("warm ask p50 ms (in process)", results["latency"]["p50_ms"], LATENCY_TARGET_MS, better_high=False)
    return rows


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(ALL_SETS), help=f"comma-separated subset of {','.join(ALL_SETS)}")
    ap.add_argument("--data", help="directory holding one data dir per document (built there when absent); "
                                   "default: a fresh temp dir")
    ap.add_argument("--heldout-dir", default=str(HELDOUT), help="directory of the set files (default: the held-out sets)")
    ap.add_argument("--dev", default=str(DEV), help="dev question file")
    ap.add_argument("--out", default=str(RESULTS / "eval_issue12.json"), help="JSON results file")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")   # before the model is imported (lazily, below)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = set(sets) - set(ALL_SETS)
    if unknown:
        ap.error(f"unknown sets: {', '.join(sorted(unknown))} (choose from {', '.join(ALL_SETS)})")
    heldout, dev = Path(args.heldout_dir), Path(args.dev)
    base = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="eval_issue12-"))
    indexes = Indexes(base)
    documents = dict(DOCUMENTS)
    if "newdoc" in sets:
        documents["newdoc"] = new_document(heldout)
    outline = lambda: indexes.qa("outline", documents["outline"])   # noqa: E731

    t0 = time.perf_counter()
    results: dict = {}
    if "everyday" in sets:
        results["everyday"] = run_qa_set(heldout / "everyday.tsv", outline(), "everyday")
    if "chat" in sets:
        results["chat"] = run_chat(heldout / "chat_wrappers.tsv", [heldout / "everyday.tsv", dev], outline())
    if "threads" in sets:
        results["threads"] = run_threads(heldout / "threads.tsv", indexes, documents)
    if "structure" in sets:
        results["structure"] = run_structure(heldout / "structure.tsv", indexes, documents)
    if "newdoc" in sets:
        doc = documents["newdoc"]
        results["newdoc"] = run_qa_set(heldout / "newdoc_qa.tsv", indexes.qa(doc.stem, doc), f"newdoc ({doc.name})")
    if "dev" in sets:
        r = run_qa_set(dev, outline(), "dev")
        r.update(highlight_share(dev, r["_answers"]))
        results["dev"] = r
    if "latency" in sets:
        results["latency"] = run_latency(dev, outline())
    for r in results.values():
        r.pop("_answers", None)

    rows = table(results)
    width = max((len(r[0]) for r in rows), default=10)
    print(f"\n{'figure':{width}}  {'measured':>9}  {'target':>7}  verdict")
    for name, value, target, verdict in rows:
        print(f"{name:{width}}  {value:>9}  {target:>7}  {verdict}")
    results["_run"] = {"sets": sets, "heldout_dir": str(heldout), "data": str(base),
                       "builds_seconds": indexes.build_seconds, "seconds": round(time.perf_counter() - t0, 1)}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"\nwrote {out}")
    if not args.data:
        shutil.rmtree(base, ignore_errors=True)    # our own temp indexes; --data keeps them
    return results


if __name__ == "__main__":
    main()
