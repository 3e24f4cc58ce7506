"""The found rule's fact-kind and unknown-item checks (pure functions, fast)."""
from __future__ import annotations

import pytest

from bot.answer import asked_facts, states_fact, unknown_items, unknown_ordinals, unknown_years
from index.lexicon import QueryVocabulary

# The outline's text as the rule sees it (NFKC, lower case, no whitespace), abridged.
CORPUS = ("１これまでの行政改革の取組・本市は、第1次行政改革以降、現行の第6次行政改革に至るまで積極的に行政改革を推進"
          "◆第9次厚木市総合計画「あつぎ元気プラン」計画期間中の主な取組"
          "大綱6年間(令和3年度から令和8年度まで)実施計画第1期:3年間(令和3年度から令和5年度まで)"
          "第2期:3年間(令和6年度から令和8年度まで)"
          "・令和12(2030)年を期限とする持続可能な開発目標(sdgs)平成27(2015)年9月の国連サミット")


@pytest.mark.parametrize("question, kinds", [
    ("補助金の申請期限はいつですか", [("date", "申請期限"), ("date", "")]),
    ("公共施設駐車場の利用料金を教えて", [("amount", "利用料金")]),
    ("市民満足度調査の回答率は？", [("rate", "回答率")]),
    ("行政改革調査委員会の次回開催日は？", [("date", "次回開催日")]),
    ("委員は何人？", [("head count", "")]),
    ("市長は誰？", [("person", "")]),
    ("市ホームページのURLは？", [("contact", "url")]),
    ("How much revenue did hometown tax donations bring?", [("amount", "")]),
    ("When will the new city hall be completed?", [("date", "")]),
    # Not asking for such a fact: the noun is not the topic, or it is part of another word.
    ("料金の見直しはある？", []),
    ("市税の収納率の状況は？", []),
    ("業務の効率化のための取組は？", []),
    ("数値目標はどこに書かれる？", []),
    ("Will the city review user fees?", []),
    ("時間外勤務は減った？", []),
])
def test_asked_facts(question, kinds):
    assert asked_facts(question) == kinds


def test_a_fact_must_be_stated_in_the_passage_text_not_its_breadcrumb():
    assert states_fact("date", "大綱 ６年間（令和３年度から令和８年度まで）")
    assert not states_fact("date", "・新庁舎の建設を見据えた総合窓口や執務環境の検討")
    assert not states_fact("number", "・重点目標に基づく数値目標を位置付けた実施計画を策定", noun="数値",
                           heading="５ 第７次行政改革大綱について › (1) 基本的考え方")
    assert states_fact("amount", "効果額 220 億円以上")


def _vocabulary(corpus: str) -> QueryVocabulary:
    """The query vocabulary of a document whose text (NFKC, no whitespace) is ``corpus``."""
    return QueryVocabulary(in_document=lambda word: word in corpus.lower())


def test_the_noun_asked_about_must_be_named_by_the_passage_or_its_outline_term():
    lex = _vocabulary("県内3位の市税の収納率を維持")
    assert not states_fact("rate", "市民満足度調査における「効率的な行政運営」は、大きく上昇", noun="回答率")
    assert states_fact("rate", "国民健康保険料の収納率が11ポイント上昇", noun="収納率")
    assert states_fact("rank", "県内３位の市税の収納率を維持", noun="徴収率", lexicon=lex)   # 徴収率 -> 収納率
    assert not states_fact("date", "令和12（2030）年を期限とする", noun="申請期限")


def test_a_person_question_needs_the_role_it_names():
    passage = "庁内組織である行政改革推進本部を中心に、全庁を挙げて取組を推進"
    assert not states_fact("person", passage, question="行政改革推進本部の本部長は誰ですか")
    assert states_fact("person", "附属機関である行政改革調査委員会において点検・評価", question="Who checks it?")


@pytest.mark.parametrize("question, unknown", [
    ("令和９年度の予算はいくら？", ["2027"]),
    ("How much is the budget for fiscal 2027?", ["2027"]),
    ("令和４年度の取組は？", []),               # inside 令和３年度から令和８年度まで
    ("2030年の目標は？", []),
    ("平成27年に何があった？", []),
    ("令和2年度の収納率は？", ["2020"]),
    ("実施計画の期間は？", []),
])
def test_unknown_years(question, unknown):
    assert unknown_years(question, CORPUS) == unknown


@pytest.mark.parametrize("question, unknown", [
    ("第２期実施計画って令和何年度まで？", []),      # a later item of the labelled list
    ("第1期実施計画の期間は？", []),
    ("第6次行政改革の理念は？", []),
    ("第3期実施計画の内容は？", ["第3期"]),
    ("第9次行政改革大綱はいつ策定される？", ["第9次行政改革大綱"]),
    ("第8次大綱の重点目標は？", ["第8次"]),
])
def test_unknown_ordinals(question, unknown):
    assert unknown_ordinals(question, CORPUS) == unknown


@pytest.mark.parametrize("question, kinds", [
    ("市民活動団体への補助金の申請方法は？", [("procedure", "")]),
    ("市税の滞納があったらどうすればいい？", [("procedure", "")]),
    ("How do I apply for a passport?", [("procedure", "")]),
    ("オープンデータはどこで見られる？", [("place", "")]),
    ("Where can I download the open data?", [("place", "")]),
    ("職員研修の年間予算は？", [("amount", "年間予算")]),
    # A method named as a measure, a document or a body asked for, not a procedure or a place.
    ("キャッシュレス決済など新しい支払い方法の導入予定は？", []),
    ("取組の進捗状況の公表方法は？", []),
    ("スマート自治体の定義はどこがしたもの？", []),
    ("How does the city work with citizen groups?", []),
    ("予算は事業の効果を考えて組む？", []),
])
def test_procedure_place_and_budget_questions(question, kinds):
    assert asked_facts(question) == kinds


def test_a_procedure_or_place_must_be_stated_by_the_passage():
    assert not states_fact("procedure", "・各種補助金などの財政的支援")
    assert not states_fact("place", "・市が保有する150件のデータを公開（オープンデータ化）")
    assert states_fact("place", "大綱の取組の進捗状況と効果等について、広報紙や市ホームページ等を通じて公表")


def test_an_english_question_for_a_post_needs_the_post_not_the_body():
    passage = "附属機関である行政改革調査委員会において点検・評価"
    assert not states_fact("person", passage, question="Who is the head of the review committee?")
    assert not states_fact("person", "庁内組織である行政改革推進本部を中心に", question="Who chairs the headquarters?")
    assert not states_fact("person", passage, question="Who are the members of the committee?")
    assert states_fact("person", passage, question="Who evaluates the administrative reform?")
    assert not states_fact("person", "公共施設の長寿命化、中長期的な経営戦略", question="Who is the head of it?")


# --- other documents (issue 11): general rules, checked on a plan in another layout ---------------

def test_a_count_is_stated_by_a_number_of_the_thing_asked_or_by_the_last_of_its_enumeration():
    assert states_fact("count", "・電子申請で受け付ける手続を１２手続から１５８手続に拡大しました。",
                       question="電子申請できる手続はいくつに増えた？")
    assert states_fact("count", "基本方針Ⅰ 効率的な行政\n基本方針Ⅱ 健全な財政\n基本方針Ⅲ 人材\n基本方針Ⅳ 共創",
                       question="基本方針はいくつありますか")
    assert not states_fact("count", "・職員の能力開発向上\n・各種研修の充実", question="研修は何件ある？")
    assert not states_fact("count", "基本方針に基づく取組", question="基本方針はいくつありますか")


def test_a_bare_measure_word_asks_only_the_kind_a_compound_names_the_noun():
    assert asked_facts("スマホを持っていない高齢者の割合は？") == [("rate", "")]
    assert states_fact("rate", "・６５歳以上の市民の約４割がスマートフォンを持っていません。")
    assert asked_facts("市民満足度調査の回答率は？") == [("rate", "回答率")]
    assert asked_facts("職員研修の年間予算は？") == [("amount", "年間予算")]


def test_who_does_something_is_answered_by_the_body_that_does_it():
    passage = "●副市長を委員長とする行財政改革推進委員会で進行を管理します。"
    assert states_fact("person", passage, question="進行管理は誰が行う？")
    assert not states_fact("person", "庁内組織である行政改革推進本部を中心に", question="推進本部の本部長は誰？")


def test_an_item_the_document_names_in_the_questions_own_words_is_known():
    corpus = "第1章プラン策定の趣旨●第2次プラン(令和3年度~令和7年度)が終了することから、第3次プランを策定"
    lex = _vocabulary(corpus)
    assert unknown_items("第２次プランはいつまでですか", corpus, lex) == []
    assert unknown_items("第4次プランはいつから？", corpus, lex) == ["第4次"]
    assert unknown_items("第6次行革の理念は？", CORPUS, _vocabulary(CORPUS)) == []       # the outline's 第6次行政改革


def test_a_numbered_sentence_parsed_as_a_heading_states_its_facts():
    """Some layouts number sentences like headings: the date of 「（三） 評価の結果は、毎年９月に…」
    is in the breadcrumb, not in the passage's text; a short heading's numbers stay numbering."""
    from bot.answer import states_fact

    sentence = "二 進め方 › （三） 評価の結果は、毎年９月に「改革白書」として取りまとめ、市の公式サイトと各地区の"
    assert states_fact("date", "市民センターで公開します。", "結果はいつ公表される？", heading=sentence)
    assert not states_fact("date", "市民センターで公開します。", "結果はいつ公表される？", heading="二 進め方")
    assert not states_fact("date", "取組を進めます。", "いつ？", heading="５ 第３次行政改革 › (2) 令和３年度の取組")


@pytest.mark.parametrize("question, kind, stated, not_stated", [
    ("オープンデータってどのくらいの頻度で更新してる？", "frequency", "全ての事務事業を３年に一度、外部評価にかけます。", "オープンデータ化を推進します。"),
    ("テレワークは週に何日までできる？", "frequency", "テレワークは週２日まで認めます。", "テレワークを推進します。"),
    ("How often is the plan reviewed?", "frequency", "毎年度、進捗を点検します。", "計画を見直します。"),
    ("推進本部の事務局の内線番号は？", "contact", "電話 046-225-2111", "行政改革推進本部を中心に推進"),
    ("Which companies run the facilities?", "name", "株式会社みどりサービスが管理します。", "指定管理者制度を活用します。"),
])
def test_frequency_contact_and_company_questions_need_that_fact(question, kind, stated, not_stated):
    assert (kind, "") in asked_facts(question)
    assert states_fact(kind, stated, question) and not states_fact(kind, not_stated, question)


@pytest.mark.parametrize("question, passage", [
    ("町にはいま何人くらい住んでるの？", "人口は約１万９千人です。"),
    ("前の計画でいくら浮いたの？", "５年間で累計９億２千万円の効果を上げました。"),
])
def test_numbers_written_with_man_and_sen_state_counts_and_amounts(question, passage):
    """１万９千人, ９億２千万円: Japanese writes large numbers with 億/万/千 between the digits."""
    assert all(states_fact(kind, passage, question, noun) for kind, noun in asked_facts(question))
