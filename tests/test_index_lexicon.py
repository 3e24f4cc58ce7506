"""The bilingual domain lexicon used for query expansion (pure, fast)."""
from __future__ import annotations

import threading
import unicodedata

import pytest

from index.lexicon import DomainLexicon, default_lexicon, matching_text, parse_lexicon, stem


def _terms(lexicon: DomainLexicon, question: str) -> list[str]:
    return [m.entry.term for m in lexicon.matches(question)]


def test_every_term_is_the_outlines_own_word():
    """Expansion must only ever add words the outline contains, or it would search for nothing."""
    from corpus import DEFAULT_SOURCE

    outline = "".join(unicodedata.normalize("NFKC", DEFAULT_SOURCE.read_text(encoding="utf-8")).lower().split())
    missing = [e.term for e in default_lexicon().entries
               if "".join(unicodedata.normalize("NFKC", e.term).lower().split()) not in outline]
    assert missing == []


def test_the_table_parses_into_terms_with_english_and_japanese_words():
    entries = parse_lexicon("""
        # comment
        実施計画 | implementation plan; action plan |
        時間外勤務 | overtime | 残業; 超過勤務
    """)
    assert [e.term for e in entries] == ["実施計画", "時間外勤務"]
    assert entries[0].english == ("implementation plan", "action plan") and entries[0].japanese == ()
    assert entries[1].japanese == ("残業", "超過勤務")


@pytest.mark.parametrize("question, term", [
    ("When does the outline end?", "大綱"),
    ("What are the priority goals?", "重点目標"),
    ("How long is the second phase of the implementation plan?", "実施計画"),
    ("Does the city plan to attract businesses?", "企業誘致"),     # stemmed: attracting business
    ("Tell me about work-life balance", "ワーク・ライフ・バランス"),
    ("残業は減った？", "時間外勤務"),
    ("行革の推進体制", "行政改革"),
    ("ＮＰＯとの協働", "市民活動団体"),                              # full width, ASCII word
])
def test_everyday_and_english_words_map_to_the_outline_term(question, term):
    assert term in _terms(default_lexicon(), question)


def test_longest_match_wins_and_the_outlines_own_word_stays_itself():
    lex = default_lexicon()
    assert _terms(lex, "総合窓口は？") == ["総合窓口"]
    assert "第６次行政改革" in _terms(lex, "前回の行政改革の課題")      # not 行政改革 alone
    assert _terms(lex, "sixth administrative reform") == ["第６次行政改革"]


def test_a_word_written_exactly_beats_another_that_only_stems_the_same():
    lex = default_lexicon()
    assert _terms(lex, "staff") == ["職員"]                 # not the "staffing" of 人員配置
    assert _terms(lex, "staffing") == ["人員配置"]


def test_ascii_words_match_whole_words_only():
    assert "ＡＩ" not in _terms(default_lexicon(), "Who chairs the committee?")
    assert "ＡＩ" in _terms(default_lexicon(), "Is AI used?")


def test_expand_appends_only_terms_the_question_does_not_already_contain():
    lex = default_lexicon()
    assert lex.expand("残業を減らす") == "残業を減らす 時間外勤務 縮減"
    assert lex.expand("総合窓口の検討は？") == "総合窓口の検討は？"
    assert lex.expand("ごみの収集日は？") == "ごみの収集日は？"


def test_rewrite_reads_abbreviations_as_the_outlines_words():
    lex = default_lexicon()
    assert lex.rewrite("第６次行革の課題は？") == "第6次行政改革の課題は?"
    assert lex.rewrite("When does the outline end?") == "when does the 大綱 計画期間 ?"   # "end" asks the period


def test_spans_refer_to_the_matching_text():
    q = "What is the  implementation plan?"
    text = matching_text(q)
    for m in default_lexicon().matches(q):
        assert text[m.start:m.end] == m.text


def test_stemmer_is_consistent_not_linguistic():
    assert stem("businesses") == stem("business") == "business"
    assert stem("attracting") == stem("attract")
    assert stem("revised") == stem("revise")
    assert stem("policies") == "policy"


def test_one_lexicon_answers_many_threads_alike():
    lex = default_lexicon()
    questions = ["When does the outline end?", "残業を減らす取組", "ＮＰＯや市民団体との協働"] * 20
    expected = [lex.expand(q) for q in questions]
    results: list[list[str]] = [[] for _ in range(8)]

    def work(i: int) -> None:
        results[i] = [lex.expand(q) for q in questions]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_conjugated_verbs_match_their_dictionary_form_entries():
    lex = default_lexicon()
    # 減る / 職員を減らす / 増やす are listed; questions conjugate them.
    assert [(m.text, m.entry.term) for m in lex.matches("残業時間は減りましたか")][-1] == ("減り", "縮減")
    assert [(m.text, m.entry.term) for m in lex.matches("職員を減らしましたか")] == [("職員を減らし", "職員の削減")]
    assert lex.rewrite("時間外勤務は減っている？") == "時間外勤務は縮減ている?"
    # Spans stay those of the question as written; a longer listed phrase in dictionary form
    # (収入を増やす) wins over a shorter literal word inside it (広告収入), as it would unconjugated.
    assert [(m.text, m.entry.term) for m in lex.matches("広告収入を増やしている？")] == \
        [("広告", "広告料収入"), ("収入を増やし", "歳入の確保")]


def test_dictionary_form_text_maps_back_to_the_question():
    from index.lexicon import dictionary_form_text

    lemma, origin = dictionary_form_text("職員を減らして")
    assert lemma.startswith("職員を減らす")
    assert len(origin) == len(lemma) and origin[-1] < len("職員を減らして")
    assert dictionary_form_text("how many staff") == ("how many staff", tuple(range(14)))


def test_a_conjugated_bare_verb_counts_for_coverage_but_is_not_searched_with():
    lex = default_lexicon()
    q = "公園のベンチを増やしてほしい"
    assert [(m.text, m.entry.term, m.conjugated) for m in lex.matches(q)] == [("増やし", "確保", True)]
    assert lex.expansion_terms(q) == []
    # With its object it is specific enough to search with.
    assert lex.expansion_terms("職員を減らしましたか") == ["職員の削減"]


@pytest.mark.parametrize("question, term", [
    # everyday staff words for the outline's administrative ones (lexicon, fifth pass)
    ("未収金の回収は？", "債権管理"),
    ("市の土地を売る計画", "未利用地の売却"),
    ("支払い手段は増える？", "新たな納付手段"),
    ("窓口の一本化", "総合窓口"),
    ("本来の目的以外で貸す", "行政財産目的外使用許可"),
    ("labor law changes", "働き方改革関連法"),
    ("How does society's social environment affect the plan?", "社会環境の変化"),
    ("Are citizens encouraged to join?", "参加しやすい環境"),
    ("When does the plan expire?", "計画期間"),
    ("Can application forms be sent by email?", "行政手続"),
    ("Are old facilities repaired?", "長寿命化"),
    ("使われていない土地はある？", "未利用地"),
    ("市が目指すことは？", "重点目標"),
])
def test_everyday_synonyms_added_in_the_fifth_pass_map_to_outline_terms(question, term):
    assert term in _terms(default_lexicon(), question)
