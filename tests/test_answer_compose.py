"""The extractive composer and the answer contract, with the fake embedder (fast)."""
from __future__ import annotations

import json

import pytest

from bot.answer import compose
from index.build import build_index
from index.embedder import FakeEmbedder
from index.retriever import open_index_dir
from test_index_store import sample_corpus


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    doc, chunks = sample_corpus()
    out = tmp_path_factory.mktemp("a") / "index"
    emb = FakeEmbedder()
    build_index(chunks, doc, out, emb)
    return open_index_dir(out, emb)


def test_answer_has_the_contract_shape(retriever):
    a = compose("第７次大綱の計画期間は？", retriever, k=3)
    d = json.loads(json.dumps(a.to_dict(), ensure_ascii=False))
    assert set(d) == {"question", "found", "answer", "sources", "glossary", "index_version",
                      "document", "documents", "other_sources", "searched_as", "highlight", "notice"}
    assert d["found"] is True and d["index_version"] == retriever.version
    assert d["highlight"] and all(line in d["answer"] for line in d["highlight"].split("\n"))
    assert len(d["sources"]) == 3
    for i, s in enumerate(d["sources"], 1):
        assert set(s) == {"rank", "text", "section", "page", "score", "kind", "id", "document", "page_label"}
        # The sample document was built without page markers: its pages are cited as p.N.
        assert s["document"] == d["document"] and s["page_label"] == f"p.{s['page']}"
        assert s["rank"] == i and s["kind"] in ("body", "glossary")
    top = d["sources"][0]
    assert top["section"] == "５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間" and top["page"] == 5
    # Extractive: the answer is the cited passage, word for word.
    assert d["answer"] == top["text"]


def test_glossary_notes_for_terms_of_the_question_or_the_highlighted_line(retriever):
    a = compose("第６次行政改革で業務継続計画はどうした？", retriever, k=1)
    assert a.found and "業務継続計画（ＢＣＰ）" in a.answer and "業務継続計画" in a.highlight
    assert [g.term for g in a.glossary] == ["業務継続計画（ＢＣＰ）"]
    assert "重要業務をなるべく中断させず" in a.glossary[0].definition
    b = compose("第６次行政改革の成果は？", retriever, k=1)
    assert b.found and "業務継続計画（ＢＣＰ）" in b.answer
    for note in b.glossary:         # a term of the quoted passage gets a note only when its line is highlighted
        assert note.term.split("（")[0] in b.highlight


def test_definition_question_answers_from_the_glossary(retriever):
    a = compose("What does BCP stand for?", retriever)
    assert a.found and a.sources[0].kind == "glossary" and a.sources[0].id == "g-bcp"
    assert "重要業務" in a.answer
    assert all(g.term != "業務継続計画（ＢＣＰ）" for g in a.glossary)   # not repeated as a note


def test_out_of_scope_is_not_found_but_related_sections_are_returned(retriever):
    a = compose("粗大ごみの出し方は？", retriever, k=3)
    assert a.found is False and a.answer == "" and a.glossary == ()
    assert len(a.sources) == 3


def test_a_bare_follow_up_is_searched_with_the_previous_question(retriever):
    alone = compose("その期間は？", retriever)
    follow = compose("その期間は？", retriever, history=("第７次大綱の計画の位置付けは？",))
    assert follow.question == "その期間は？"
    assert follow.found and follow.sources[0].section.endswith("計画の位置付け・計画期間")
    assert alone.meta["query"] == "その期間は？"
    # A full question of its own is not mixed with the conversation.
    own = compose("ふるさと納税で財源を確保した？", retriever, history=("第７次大綱の計画期間は？",))
    assert own.meta["query"] == "ふるさと納税で財源を確保した？" and "ふるさと納税" in own.answer


def test_concurrent_questions_get_the_same_answers_as_one_at_a_time(retriever):
    from concurrent.futures import ThreadPoolExecutor

    questions = ["BCPって？", "第７次大綱の計画期間は？", "粗大ごみの出し方は？", "What is PPP?",
                 "指定管理者制度の活用は？", "ＰＦＩの正式名称は？"] * 8
    alone = {q: compose(q, retriever).to_dict() for q in set(questions)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda q: compose(q, retriever).to_dict(), questions))
    assert together == [alone[q] for q in questions]


def test_a_failing_structure_step_keeps_the_passage_answer(retriever, monkeypatch, caplog):
    import bot.structure

    def broken(*args, **kwargs):
        raise RuntimeError("unforeseen document")

    monkeypatch.setattr(bot.structure, "reshape", broken)
    a = compose("第７次大綱の計画期間は？", retriever, k=3)
    assert a.found and a.answer and a.highlight
    assert "structure step failed" in caplog.text
