"""The query vocabulary (index/lexicon.py): three layers of synonym rules, driven by the document's words."""
from __future__ import annotations

import threading
import unicodedata

import pytest

from index.lexicon import QueryVocabulary, dictionary_form_text, matching_text, stem
from index.synonyms import parse_synonyms

OUTLINE_WORDS = "時間外勤務 縮減 行政改革 大綱 計画期間 委託化 予算編成 職員 市 企業誘致 業務継続計画 bcp 点検・評価 広報紙"


def _doc(words: str):
    """``in_document`` over a text made of ``words`` (NFKC, lower case, no spaces, as the index has it)."""
    text = "".join(unicodedata.normalize("NFKC", words).lower().split())
    return lambda w: w in text


def _terms(vocab: QueryVocabulary, question: str) -> list[str]:
    return [t for m in vocab.matches(question) for t in m.terms]


@pytest.fixture(scope="module")
def vocab() -> QueryVocabulary:
    return QueryVocabulary(in_document=_doc(OUTLINE_WORDS))


@pytest.mark.parametrize("question, term", [
    ("残業は減った？", "時間外勤務"),                 # Sudachi group 残業 = 時間外勤務 = 超過勤務
    ("行革の推進体制", "行政改革"),                   # Sudachi: 行革 = 行政改革
    ("外注を増やす？", "委託"),    # Sudachi: 外注 = 委託 (the document says 委託化)
    ("What is the budget policy?", "予算編成"),       # administrative vocabulary, English
    ("When does the outline end?", "大綱"),
    ("Will the city outsource more?", "委託化"),
    ("What is a business continuity plan?", "業務継続計画"),
])
def test_everyday_and_english_words_reach_the_documents_words(vocab, question, term):
    assert term in _terms(vocab, question)


def test_only_words_the_document_uses_are_searched():
    """A group names many words; the document decides which help (外注 -> 委託, not 委嘱 or 委任)."""
    vocab = QueryVocabulary(in_document=_doc("業務の委託を進める"))
    assert vocab.expansion_terms("外注を増やす？") == ["委託"]
    # the same question against a document that says neither: nothing to add
    assert QueryVocabulary(in_document=_doc("ごみの収集")).expand("外注を増やす？") == "外注を増やす？"


def test_a_question_with_nothing_to_map_is_searched_as_asked(vocab):
    assert vocab.expand("ごみの収集日は？") == "ごみの収集日は？"
    assert vocab.matches("ごみの収集日は？") == []


def test_question_words_never_trigger(vocab):
    """"will" is a Sudachi word (ウイル), but an English stop word never names a topic."""
    assert all(m.text != "will" for m in vocab.matches("Will the city outsource more?"))


def test_words_inside_other_words_do_not_match():
    """Japanese words match on Sudachi word boundaries only: 会社 is not in 社会社会."""
    vocab = QueryVocabulary(synonyms=parse_synonyms("会社, 企業").rules, in_document=_doc("企業"), general=False)
    assert _terms(vocab, "会社の数") == ["企業"]
    assert vocab.matches("社会社会") == []


def test_ascii_words_match_whole_words_only():
    vocab = QueryVocabulary(synonyms=parse_synonyms("ai, 人工知能").rules, in_document=_doc("人工知能"), general=False)
    assert vocab.matches("Who chairs the committee?") == []
    assert _terms(vocab, "Is AI used?") == ["人工知能"]


def test_expand_appends_only_terms_the_question_does_not_already_contain(vocab):
    assert vocab.expand("残業を減らす") == "残業を減らす 時間外勤務 縮減"
    assert vocab.expand("時間外勤務の縮減は？") == "時間外勤務の縮減は？"


def test_rewrite_reads_abbreviations_as_the_documents_words(vocab):
    assert vocab.rewrite("第６次行革の課題は？") == "第6次行政改革の課題は?"


def test_layers_in_order_admin_file_then_document_then_general():
    synonyms = parse_synonyms("残業 => 超勤").rules
    document = parse_synonyms("残業, 時間外労働").rules
    vocab = QueryVocabulary(synonyms, document, _doc("超勤 時間外労働 時間外勤務"))
    terms = _terms(vocab, "残業は？")
    assert terms[:2] == ["超勤", "時間外労働"] and "時間外勤務" in terms
    assert [m.layer for m in vocab.matches("残業は？")] == [0]
    assert vocab.with_synonyms(()).matches("残業は？")[0].layer == 1


def test_one_way_rules_do_not_go_back():
    vocab = QueryVocabulary(parse_synonyms("行革 => 行政改革").rules, in_document=_doc("行革 行政改革"), general=False)
    assert _terms(vocab, "行革とは") == ["行政改革"]
    assert vocab.matches("行政改革とは") == []


def test_english_ordinals_name_numbered_items():
    vocab = QueryVocabulary(in_document=_doc("第2期 第6次"))
    assert "第2期" in _terms(vocab, "the second phase")
    assert "第6次" in _terms(vocab, "the 6th reform")


def test_a_word_written_exactly_beats_another_that_only_stems_the_same():
    vocab = QueryVocabulary(parse_synonyms("staff, 職員\nstaffing, 人員配置").rules, in_document=_doc("職員 人員配置"),
                            general=False)
    assert _terms(vocab, "staff") == ["職員"]
    assert _terms(vocab, "staffing") == ["人員配置"]


def test_spans_refer_to_the_matching_text(vocab):
    q = "What is the  budget policy?"
    text = matching_text(q)
    for m in vocab.matches(q):
        assert text[m.start:m.end] == m.text


def test_stemmer_is_consistent_not_linguistic():
    assert stem("businesses") == stem("business") == "business"
    assert stem("attracting") == stem("attract")
    assert stem("revised") == stem("revise")
    assert stem("policies") == "policy"


def test_one_vocabulary_answers_many_threads_alike(vocab):
    questions = ["When does the outline end?", "残業を減らす取組", "行革の推進体制"] * 20
    expected = [vocab.expand(q) for q in questions]
    results: list[list[str]] = [[] for _ in range(8)]

    def work(i: int) -> None:
        results[i] = [vocab.expand(q) for q in questions]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_conjugated_verbs_match_their_dictionary_form_entries():
    vocab = QueryVocabulary(parse_synonyms("減る, 縮減\n職員を減らす, 職員の削減").rules,
                            in_document=_doc("縮減 職員の削減"), general=False)
    assert [(m.text, m.term, m.conjugated) for m in vocab.matches("残業時間は減りましたか")] == [("減り", "縮減", True)]
    assert [(m.text, m.term) for m in vocab.matches("職員を減らしましたか")] == [("職員を減らし", "職員の削減")]


def test_dictionary_form_text_maps_back_to_the_question():
    lemma, origin = dictionary_form_text("職員を減らして")
    assert lemma.startswith("職員を減らす")
    assert len(origin) == len(lemma) and origin[-1] < len("職員を減らして")
    assert dictionary_form_text("how many staff") == ("how many staff", tuple(range(14)))


def test_a_conjugated_bare_verb_counts_for_coverage_but_is_not_searched_with():
    vocab = QueryVocabulary(parse_synonyms("増やす, 確保\n職員を減らす, 職員の削減").rules,
                            in_document=_doc("確保 職員の削減"), general=False)
    q = "公園のベンチを増やしてほしい"
    assert [(m.text, m.term, m.conjugated) for m in vocab.matches(q)] == [("増やし", "確保", True)]
    assert vocab.expansion_terms(q) == []
    assert vocab.expansion_terms("職員を減らしましたか") == ["職員の削減"]


def test_the_general_layer_is_loaded_once_and_shared():
    from index.lexicon import _sudachi_table

    a = QueryVocabulary(in_document=_doc("大綱"))
    b = QueryVocabulary(in_document=_doc("計画"))
    assert a._tables[-1] is b._tables[-1] is _sudachi_table()


def test_a_coordination_that_lists_the_word_is_not_searched_for_it():
    """「点検・評価」 lists 点検 beside 評価: searching it for 「誰が点検するの？」 pulled in every passage
    about 評価. A real compound of the word (有効活用 for 活用) still is."""
    vocab = QueryVocabulary(in_document=_doc("行政改革調査委員会において点検・評価 評価 有効活用 活用"))
    assert vocab.expand("誰が点検するの？") == "誰が点検するの？"
