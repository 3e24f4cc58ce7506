"""Sudachi tokenization and BM25 on outline text."""
from __future__ import annotations

from index.lexical import LexicalIndex, TokenizerConfig, char_bigrams, tokenize


def test_full_width_and_half_width_give_the_same_tokens():
    assert tokenize("ＢＣＰって？") == tokenize("BCPって?") == ["bcp"]


def test_particles_auxiliaries_and_symbols_are_dropped():
    toks = tokenize("業務継続計画（ＢＣＰ）の見直しを行います。")
    assert "の" not in toks and "を" not in toks and "(" not in toks and "ます" not in toks
    assert {"業務", "継続", "計画", "bcp", "見直し"} <= set(toks)


def test_compounds_are_indexed_whole_and_in_parts():
    toks = tokenize("マイナンバーカードの利便性の向上")
    assert {"マイナンバーカード", "マイナンバー", "カード", "利便性", "向上"} <= set(toks)
    assert "マイナンバーカード" not in tokenize("マイナンバーカードの利便性", TokenizerConfig("A"))


def test_english_question_keeps_only_content_words():
    assert tokenize("What does PFI stand for?") == ["pfi"]


def test_char_bigrams_are_prefixed():
    assert char_bigrams("納税額") == ["#納税", "#税額"]


def test_bm25_finds_the_passage_with_the_rare_word(tmp_path):
    docs = ["ふるさと納税や広告料収入で20億円を超える財源を確保",
            "市税の収納強化に取り組んだ結果、県内３位の市税の収納率を維持",
            "業務継続計画（ＢＣＰ）を策定"]
    lex = LexicalIndex.build(docs)
    assert lex.search("ふるさと納税の成果は？", 3)[0][0] == 0
    assert lex.search("ＢＣＰ", 3)[0][0] == 2
    assert lex.search("粗大ごみ", 3) == []
    assert lex.idf("粗大ごみ") > lex.idf("bcp") > 0
    lex.save(tmp_path / "lex")
    again = LexicalIndex.load(tmp_path / "lex")
    assert again.n_docs == 3 and again.config == lex.config
    assert again.search("市税の収納率", 3)[0][0] == 1
