"""Follow-ups read with the conversation (bot/conversation.py), and through QAService.ask."""
from __future__ import annotations

import pytest

from bot.conversation import Turn, read_follow_up, topic


@pytest.mark.parametrize("history, question, searched, how", [
    # a switched numbered item: the previous question with the item swapped
    (["第１期実施計画の期間は？"], "第２期は？", "第２期実施計画の期間は？", "item"),
    (["基本目標２は何ですか"], "基本目標３のほうは？", "基本目標３は何ですか", "item"),
    (["基本目標１は何ですか", "基本目標２は？"], "じゃあ３は？", "基本目標３は何ですか", "item"),
    (["基本方針Ⅱは何ですか"], "基本方針Ⅳは？", "基本方針Ⅳは何ですか", "item"),
    (["(2)の取組は？"], "(3)は？", "(3)の取組は？", "item"),
    (["第１期実施計画の期間は？"], "じゃあ２期は？", "第２期実施計画の期間は？", "item"),
    (["What is goal 2?"], "What about goal 3?", "What is goal 3?", "item"),
    # ellipsis: the previous frame with another topic
    (["第１期実施計画の期間は？"], "じゃあ大綱全体だと？", "大綱全体の期間は？", "topic"),
    (["ふるさと納税の成果は？"], "収納率は？", "収納率の成果は？", "topic"),
    (["What does PFI stand for?"], "What about PPP?", "What does PPP stand for?", "topic"),
    # a year the previous question did not have: put in front of it
    (["経常収支比率の目標は"], "令和７年度は？", "令和７年度の経常収支比率の目標は", "item"),
    # pronouns: the previous topic stands in
    (["第７次大綱の計画の位置付けは？"], "その期間は？", "第７次大綱の計画の期間は？", "pronoun"),
    (["BCPって何ですか"], "大綱ではそれをどうするって書いてある？", "大綱ではBCPをどうするって書いてある？", "pronoun"),
    (["基本目標３の具体的な取組は？"], "その中で公平なサービスのための取組は？", "基本目標３の公平なサービスのための取組は？", "within"),
    # more of the same
    (["基本目標２は何ですか"], "具体的には？", "基本目標２は何ですか 具体的には？", "more"),
])
def test_a_follow_up_is_read_with_the_previous_question(history, question, searched, how):
    reading = read_follow_up(question, history)
    assert (reading.searched, reading.how, reading.context_used) == (searched, how, True)


@pytest.mark.parametrize("history, question", [
    ([], "第２期は？"),                                                    # nothing to follow
    (["BCPって何ですか"], "PFIとは？"),                                     # a question of its own
    (["第１期実施計画の期間は？"], "市税の収納率の状況は？"),                  # its own topic and attribute
    (["第１期実施計画の期間は？"], "BCPって？"),                              # asks what BCP is
    (["ＫＰＩの意味は"], "誰が進行を管理するの？"),                            # its own predicate
    (["基本方針はいくつありますか"], "基本方針Ⅴは？"),                         # an item the previous one had none of
    (["What does PFI stand for?"], "When was the plan adopted?"),
])
def test_a_question_of_its_own_is_not_merged(history, question):
    reading = read_follow_up(question, history)
    assert reading.searched == question and not reading.context_used


def test_a_new_topic_marker_is_never_merged():
    reading = read_follow_up("ところでPFIは？", ["第１期実施計画の期間は？"])
    assert reading.searched == "PFIは？" and not reading.context_used
    assert read_follow_up("PFIは？", ["BCPって何ですか"], new_topic=True).searched == "PFIは？"


def test_a_pronoun_falls_back_to_its_own_words():
    reading = read_follow_up("それって誰が点検するの？", ["第１期実施計画の期間は？"])
    assert reading.searched == "第１期実施計画って誰が点検するの？" and reading.fallbacks == ("誰が点検するの？",)
    assert read_follow_up("それはいつ？", ["BCPって何ですか"]).fallbacks == ()      # 「いつ？」 alone asks nothing


def test_a_new_question_about_the_previous_topic_is_not_the_previous_passage_again():
    previous = Turn("BCPって何ですか", "用語説明 › ※5 業務継続計画（ＢＣＰ）")
    reading = read_follow_up("大綱ではそれをどうするって書いてある？", [previous])
    assert reading.not_section == previous.section
    # 「その中で」 asks within the previous answer: its section stays allowed
    assert read_follow_up("その中で残業については？", [Turn("方針Ⅲの取組は？", "第５章 › 方針Ⅲ")]).not_section == ""


def test_a_swapped_topic_falls_back_to_the_follow_up_itself():
    reading = read_follow_up("じゃあ第２次プランは？", ["プランの計画期間は？"])
    assert reading.searched == "第２次プランの計画期間は？"
    assert reading.fallbacks == ("第２次プランは？",)
    assert read_follow_up("担当は？", ["第１期実施計画の期間は？"]).fallbacks[0] == "第１期実施計画の担当は？"


@pytest.mark.parametrize("history, question, searched", [
    (["第２期実施計画の期間は？"], "いつまで？", "第２期実施計画はいつまで？"),
    (["BCPって何ですか"], "じゃあ何年間？", "BCPは何年間？"),
    (["How long is the plan period?"], "And who?", "How long is the plan period? And who?"),
])
def test_a_question_word_alone_is_asked_of_the_previous_topic(history, question, searched):
    reading = read_follow_up(question, history)
    assert (reading.searched, reading.how) == (searched, "predicate")


def test_the_previous_answers_heading_stands_in_when_the_question_had_no_topic():
    reading = read_follow_up("それはいつまで？", [Turn("詳しく見せて", "第４章 › ４－１ 計画期間")])
    assert reading.searched == "計画期間はいつまで？"
    # richer history items as mappings work too (the web page and the API send them)
    assert read_follow_up("第２期は？", [{"question": "第１期の期間は？", "section": "x"}]).searched == "第２期の期間は？"


def test_topic_of_a_question():
    assert topic("第１期実施計画の期間は？") == ("第１期実施計画", "の期間は？")
    assert topic("BCPって何ですか") == ("BCP", "って何ですか")
    assert topic("What does PFI stand for?")[0] == "PFI"


# --- through the service, against the real index ---------------------------------------------
@pytest.mark.slow
def test_thread_follow_ups_against_the_real_index(real_qa):
    first = "第１期実施計画の期間は？"
    second = real_qa.ask("第２期は？", history=[first])
    assert second.found and second.question == "第２期は？"
    assert second.searched_as == "第２期実施計画の期間は？" and "令和６年度から令和８年度まで" in second.answer

    who = real_qa.ask("それって誰が点検するの？", history=[first])
    assert who.found and "行政改革調査委員会" in who.sources[0].text

    # after a definition, what the document does about the term is another passage
    definition = real_qa.ask("BCPって何ですか")
    turn = {"question": "BCPって何ですか", "section": definition.sources[0].section}
    doing = real_qa.ask("大綱ではそれをどうするって書いてある？", history=[turn])
    assert doing.found and doing.sources[0].section != definition.sources[0].section
    assert "ＢＣＰ" in doing.sources[0].text

    whole = real_qa.ask("じゃあ大綱全体だと？", history=[first])
    assert whole.found and whole.searched_as == "大綱全体の期間は？" and "令和３年度から令和８年度まで" in whole.answer

    new_topic = real_qa.ask("ありがとう。ところでPFIとは？", history=["BCPって何ですか"])
    assert new_topic.found and new_topic.searched_as == "" and "Private Finance Initiative" in new_topic.answer
    assert new_topic.question == "ありがとう。ところでPFIとは？"

    # a follow-up in chat phrasing, after a question in chat phrasing
    polite = real_qa.ask("すみません、大綱は？", history=["お疲れ様です。第１期実施計画の期間は？"])
    assert polite.found and polite.searched_as == "大綱の期間は？"


@pytest.mark.slow
def test_an_item_the_document_does_not_have_is_refused_in_a_thread(real_qa):
    third = real_qa.ask("第３期は？", history=["第１期実施計画の期間は？"])
    assert third.searched_as == "第３期実施計画の期間は？" and not third.found


def test_no_question_of_the_dev_and_practice_sets_is_merged_with_an_earlier_one():
    """Full questions (their own topic and predicate) are read on their own after any question."""
    from chat_support import questions
    from test_chat_phrasing import DEV_SET, MIDORI_SET

    earlier = ["第１期実施計画の期間は？", "BCPって何ですか", "What does PFI stand for?", "基本方針Ⅱは何ですか"]
    merged = [(e, q) for q in questions(DEV_SET) + questions(MIDORI_SET) for e in earlier
              if read_follow_up(q, [e]).context_used]
    assert merged == []


def test_a_numbered_item_must_be_named_by_the_answer_else_it_is_asked_alone():
    reading = read_follow_up("基本目標３のほうは？", ["基本目標２は何ですか"])
    assert reading.names == "基本目標３" and reading.fallbacks == ("基本目標３は？",)
    year = read_follow_up("令和７年度は？", ["経常収支比率の目標は"])
    assert year.names == "令和７年度" and year.fallbacks == ("令和７年度の経常収支比率は？",)
    assert read_follow_up("じゃあ大綱全体だと？", ["第１期実施計画の期間は？"]).names == ""   # a plain topic


@pytest.mark.slow
def test_the_item_asked_is_the_item_answered_on_the_practice_plan(midori_qa):
    year = midori_qa.ask("令和７年度は？", history=["経常収支比率の目標は"])
    assert year.found and "９７．２％" in year.sources[0].text
    assert year.searched_as == "令和７年度の経常収支比率は？"
    plan = midori_qa.ask("第２次プランは？", history=["プランの計画期間は？"])
    assert plan.found and "第２次プラン" in plan.sources[0].text
