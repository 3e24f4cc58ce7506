"""Hybrid retrieval and glossary handling, with the fake embedder (fast)."""
from __future__ import annotations

import pytest

from index.build import build_index
from index.embedder import FakeEmbedder
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
