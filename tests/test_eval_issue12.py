"""The issue 12 question sets parse, and every gold text is verbatim in its document.

Reads the set files and the documents only: no index is built and the system answers nothing here,
so the held-out sets stay unseen by the system (benchmarks/issue12/README.md).
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bot.contract import Answer
from bot.evaluate import read_cases

ROOT = Path(__file__).resolve().parent.parent
SET_DIRS = [ROOT / "benchmarks" / "issue12" / "heldout", ROOT / "benchmarks" / "issue12" / "dev" / "e_smoke"]


def _script():
    spec = importlib.util.spec_from_file_location("eval_issue12", ROOT / "benchmarks" / "eval_issue12.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module      # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


E = _script()


def _documents(set_dir: Path) -> dict[str, str]:
    docs = {k: E.squash(p.read_text(encoding="utf-8")) for k, p in E.DOCUMENTS.items() if p.is_file()}
    docs["newdoc"] = E.squash(E.new_document(set_dir).read_text(encoding="utf-8"))
    return docs


@pytest.mark.parametrize("set_dir", SET_DIRS, ids=lambda p: p.name)
def test_every_gold_text_is_verbatim_in_its_document(set_dir):
    docs = _documents(set_dir)
    if "outline" not in docs or "midori" not in docs:
        pytest.skip("../shared is not there")
    missing = []
    for name, doc in (("everyday.tsv", "outline"), ("newdoc_qa.tsv", "newdoc")):
        for case in read_cases(set_dir / name):
            if case.in_scope and E.squash(case.expected) not in docs[doc]:
                missing.append(f"{name}: {case.expected}")
    for turns in E.read_threads(set_dir / "threads.tsv").values():
        for t in turns:
            if t.gold not in ("-", "*") and E.squash(t.gold) not in docs[t.document]:
                missing.append(f"threads.tsv {t.thread}: {t.gold}")
    for c in E.read_structure(set_dir / "structure.tsv"):
        for text in c.golds + c.forbidden:
            if E.squash(text) not in docs[c.document]:
                missing.append(f"structure.tsv {c.question}: {text}")
    assert missing == []


def test_the_held_out_sets_have_their_documented_sizes():
    d = SET_DIRS[0]
    everyday = read_cases(d / "everyday.tsv")
    assert (sum(c.in_scope for c in everyday), sum(not c.in_scope for c in everyday)) == (30, 10)
    assert len(E.read_wrappers(d / "chat_wrappers.tsv")) >= 20
    threads = E.read_threads(d / "threads.tsv")
    assert len(threads) == 20 and all(t[0].turn == 1 and len(t) >= 2 for t in threads.values())
    structure = E.read_structure(d / "structure.tsv")
    assert len(structure) == 30 and {c.kind for c in structure} == {"item", "list", "compare", "twopart", "missing"}
    newdoc = read_cases(d / "newdoc_qa.tsv")
    assert sum(c.in_scope for c in newdoc) >= 30 and sum(not c.in_scope for c in newdoc) >= 10


def test_wrappings_are_the_same_on_every_run_and_differ_between_questions():
    wrappers = [(f"p{i} ", f" s{i}") for i in range(20)]
    first = E.wrapped("BCPって何ですか？", wrappers)
    assert first == E.wrapped("BCPって何ですか？", wrappers) and len(set(first)) == 3
    assert all("BCPって何ですか？" in w for w in first)
    assert E.wrapped("PFIとは？", wrappers) != [w.replace("BCPって何ですか？", "PFIとは？") for w in first]


def test_a_structure_answer_needs_every_gold_and_no_sibling():
    case = E.StructureCase("list", "outline", "q", ("Ａ案", "Ｂ案"), ("Ｃ案",))
    answer = Answer(question="q", found=True, answer="・Ａ案\n・Ｂ 案")
    assert E.structure_correct(case, answer)
    assert not E.structure_correct(case, Answer(question="q", found=True, answer="・Ａ案\n・Ｂ案\n・Ｃ案"))
    assert not E.structure_correct(case, Answer(question="q", found=False, answer="・Ａ案\n・Ｂ案"))
    refuse = E.StructureCase("missing", "outline", "q", (), ())
    assert E.structure_correct(refuse, Answer(question="q", found=False, answer=""))
    assert not E.structure_correct(refuse, answer)


def test_a_malformed_line_names_its_file_and_line(tmp_path):
    bad = tmp_path / "threads.tsv"
    bad.write_text("# header\nt1\toutline\tone\tq\t*\n", encoding="utf-8")
    with pytest.raises(E.SetFileError, match="threads.tsv:2"):
        E.read_threads(bad)
