"""The found rule on paraphrases and procedure/place questions, with the real index and model.

Questions a staff member might type that the lexicon or the fact-kind rule must handle: verbs
conjugated where the lexicon lists the dictionary form, and "how do I / where can I" questions
the outline names the topic of but never answers.
"""
from __future__ import annotations

import pytest

from bot.evaluate import squash

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("question, expected", [
    ("残業時間は減りましたか", "時間外勤務"),           # 減り -> 減る -> 縮減
    ("職員を減らしましたか", "職員の削減"),             # 減らし -> 職員を減らす -> 職員の削減
    ("行革の進み具合はどこで確認できますか", "広報紙や市ホームページ"),   # a place the outline names
    ("厚木市の現状は？", "厚木市の状況"),               # 現状 ~ the heading's 状況: half credit
    ("国の動きは？", "国の動向"),
])
def test_answered_with_the_passage(real_qa, question, expected):
    answer = real_qa.ask(question)
    assert answer.found, answer.meta
    assert any(squash(expected) in squash(s.text + s.section) for s in answer.sources[:3])


@pytest.mark.parametrize("question", [
    "市民活動団体への補助金の申請方法は？",
    "オープンデータはどこで見られる？",
    "Where can I download the open data?",
    "Who chairs the administrative reform headquarters?",
])
def test_procedure_place_and_post_questions_are_not_answered_by_the_topic_alone(real_qa, question):
    answer = real_qa.ask(question)
    assert not answer.found, answer.meta
