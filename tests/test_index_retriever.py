"""Hybrid retrieval and glossary handling, with the fake embedder (fast)."""
from __future__ import annotations

import pytest

from index.build import build_index
from index.embedder import FakeEmbedder
from index.lexical import nfkc
from index.retriever import GlossaryMatcher, Hit, glossary_aliases, open_index_dir
from test_index_store import GLOSSARY, sample_corpus


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    doc, chunks = sample_corpus()
    out = tmp_path_factory.mktemp("r") / "index"
    emb = FakeEmbedder()
    build_index(chunks, doc, out, emb)
    return open_index_dir(out, emb)


def test_aliases_cover_abbreviation_full_name_and_expansion():
    by_id = {g.id: g for g in GLOSSARY}
    assert {"bcp", "業務継続計画"} <= glossary_aliases(by_id["g-bcp"])
    assert {"ppp", "public private partnership"} <= glossary_aliases(by_id["g-ppp"])


@pytest.mark.parametrize("question, entry", [
    ("BCPって？", "g-bcp"),
    ("ＢＣＰって？", "g-bcp"),
    ("What is PPP?", "g-ppp"),
    ("what does ppp stand for", "g-ppp"),
    ("PFIの正式名称は？", "g-pfi"),
    ("Private Finance Initiativeとは", "g-pfi"),
    ("業務継続計画の意味を教えて", "g-bcp"),
    ("スマート自治体とは？", "g-smart"),
])
def test_a_question_about_a_term_gets_its_definition_first(retriever, question, entry):
    hits = retriever.search(question, k=5)
    assert hits[0].chunk.id == entry
    assert hits[0].chunk.kind == "glossary" and hits[0].glossary_match
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_naming_a_term_while_asking_more_is_not_a_definition_question():
    m = GlossaryMatcher(GLOSSARY)
    assert [e.id for e, _ in m.find("業務継続計画は見直す？")] == ["g-bcp"]
    assert m.asks_definition("業務継続計画は見直す？") == []
    assert [e.id for e in m.asks_definition("BCPとは何ですか")] == ["g-bcp"]
    assert m.find("apppp の件") == []     # abbreviations match whole words only


def test_hits_are_typed_and_scored(retriever):
    hits = retriever.search("計画期間は何年間？", k=3)
    assert all(isinstance(h, Hit) for h in hits)
    assert hits[0].chunk.section.endswith("計画の位置付け・計画期間")
    assert 0 < hits[0].score <= 1 and hits[0].score >= hits[-1].score
    assert hits[0].lexical_score > 0 and -1 <= hits[0].dense_score <= 1


def test_info_describes_the_loaded_index(retriever):
    info = retriever.info()
    assert info["title"].startswith("第７次厚木市行政改革大綱")
    assert info["chunks"] == 9 and info["glossary_terms"] == 4 and info["sections"] == 5
    assert info["index_version"] == retriever.version and info["built_at"].endswith("Z")
    assert info["model"] == "fake-hash-64"
    assert retriever.changed_on_disk() is False


def test_hits_outside_the_dense_candidates_still_get_their_cosine(retriever):
    import numpy as np

    from index.retriever import FusionWeights, Retriever

    narrow = Retriever(retriever.index, retriever.embedder, FusionWeights(candidates=1))
    hits = narrow.search("業務継続計画（ＢＣＰ）の見直し", k=5)
    q = retriever.embedder.embed_queries(["業務継続計画(BCP)の見直し"])[0]
    chunk_pos = {c.id: i for i, c in enumerate(retriever.chunks)}
    for h in hits:
        expected = float(retriever.index.vectors.reconstruct(chunk_pos[h.chunk.id]) @ q)
        assert h.dense_score == pytest.approx(expected, abs=1e-5)


def test_coverage_counts_a_word_through_its_outline_term(retriever, monkeypatch):
    from index.lexicon import QueryVocabulary
    from index.lexical import nfkc

    text = ["３ 第６次行政改革の成果と課題\n・ワーク・ライフ・バランスの推進による職員一人当たりの時間外勤務時間の縮減"]
    # the vocabulary of a document that says this (the sample corpus does not)
    document = "".join(nfkc(text[0]).split())
    monkeypatch.setattr(retriever, "lexicon", QueryVocabulary(in_document=lambda w: w in document))
    assert retriever.lexical_coverage("時間外勤務の縮減", text) == pytest.approx(1.0)
    assert retriever.lexical_coverage("残業の縮減", text) == pytest.approx(1.0)          # 残業 -> 時間外勤務
    assert retriever.lexical_coverage("Was overtime reduced?", text) == pytest.approx(1.0)  # reduce -> 縮減
    assert retriever.lexical_coverage("What is the overtime pay?", text) < 1.0        # "pay": no entry
    assert retriever.lexical_coverage("overtime", text) == pytest.approx(1.0)


def test_coverage_credits_a_word_without_its_suffix_but_not_part_of_a_word(retriever):
    text = ["(ｳ) 公平な行政サービスの確立\n・受益者負担の見直し"]
    assert retriever.lexical_coverage("公平性", text) == pytest.approx(1.0)      # 公平性 -> 公平
    # 「住民」 is an everyday word for 市民, but 住民票 is another thing: no credit.
    assert retriever.lexical_coverage("住民票", ["市民とともに協働で推進"]) == 0.0


def test_coverage_by_text_scores_each_passage_alone(retriever):
    both, each = retriever.coverage_by_text("業務継続計画の見直し", ["業務継続計画", "見直し", "無関係"])
    assert both == pytest.approx(1.0)
    assert 0 < each[0] < 1 and 0 < each[1] < 1 and each[2] == 0.0


def test_english_questions_search_the_outline_terms_they_name(retriever):
    """The lexicon expands "implementation plan … period" into 実施計画/計画期間 for BM25."""
    from index.retriever import FusionWeights, Retriever

    plain = Retriever(retriever.index, retriever.embedder, FusionWeights(expand_dense=False, expand_lexical=False))
    q = "What is the period of the implementation plan?"
    assert all(h.lexical_score == 0 for h in plain.search(q, k=3))
    hits = retriever.search(q, k=5)       # the fake embedder's dense list is noise; BM25 is not
    assert max(hits, key=lambda h: h.lexical_score).chunk.id == "c-s5-2"


@pytest.fixture(scope="module")
def outline_retriever(tmp_path_factory):
    """The bundled outline, chunked as `reformbot index build` does, with the fake embedder."""
    from corpus import load_chunks, load_document
    from index.build import CHUNKING

    doc = load_document(None)
    out = tmp_path_factory.mktemp("outline") / "index"
    emb = FakeEmbedder()
    build_index(list(load_chunks(doc, **CHUNKING)), doc, out, emb)
    return open_index_dir(out, emb)


@pytest.mark.parametrize("question", ["重点目標は何ですか", "３つの重点目標は？", "重点目標を教えて"])
def test_a_heading_concept_gets_the_passage_listing_it_before_a_sub_item(outline_retriever, question):
    top = outline_retriever.search(question, k=5)[0].chunk
    assert "重点目標1強くしなやかな組織をつくる" in "".join(nfkc(top.text).split()), (top.section, top.text[:60])


def test_sub_items_are_only_those_matched_through_a_restated_ancestor_heading(outline_retriever):
    r = outline_retriever
    ids = {c.id: i for i, c in enumerate(r.chunks)}
    every = range(len(r.chunks))
    demoted = {r.chunks[i].id for i in r._sub_items("重点目標は何ですか", every)}
    assert "s5-3-a-a/w1" in demoted                          # (ｱ) 職員の能力向上 under ア 重点目標１
    assert not demoted & {"s5-1/w1", "s5-1/w2"}              # the passages that say 重点目標 themselves
    # Something narrower that the sub-item's own words match keeps it.
    assert ids["s5-3-a-a/w1"] not in r._sub_items("重点目標の職員の能力向上は？", every)
    # A heading no passage restates (２ …策定の背景) is where the answer is: nothing is demoted for it.
    assert r._sub_items("背景は？", every) == []



def test_a_section_named_by_the_question_is_titled_and_others_are_not(outline_retriever):
    r = outline_retriever
    titled = {r.chunks[i].id for i in r._titled("成果は何ですか", range(len(r.chunks)))}
    assert titled and all(cid.startswith("s3-c1/") for cid in titled)      # ３ … › 成果, not › 課題
    both = {r.chunks[i].id for i in r._titled("第６次行政改革の課題は？", range(len(r.chunks)))}
    assert both and all(cid.startswith("s3-c2/") for cid in both)
    assert r._titled("成果指標の職員数は？", range(len(r.chunks))) == []    # 職員数 is in no title


def test_a_word_sharing_a_kanji_with_the_first_passages_heading_counts_half(retriever):
    passage = "２ 第７次行政改革大綱策定の背景 › (3) 厚木市の状況\n・更なる少子高齢化の進展"
    plain, _ = retriever.coverage_by_text("厚木市の現状は？", [passage])
    headed, each = retriever.coverage_by_text("厚木市の現状は？", [passage], headed=True)
    assert plain < headed < 1.0 and each[0] == headed      # 現状 ~ 状況: half credit
    # Only the first passage's heading counts, and only with headed=True.
    _, each = retriever.coverage_by_text("厚木市の現状は？", ["無関係\n・無関係", passage], headed=True)
    assert each[1] == plain
