"""Personal data in free text (issue 9, finding 8).

Kanji and full-width phone numbers are masked; the name the submitter typed into the name field
is masked wherever it reappears in title or text, in every spelling, wherever text leaves the
store without ``--include-personal``; and citizens see of a published proposal only the title and
excerpt a staff member approved — never a regex's guess.
"""
from __future__ import annotations

import pytest

from feedback.proposals.masking import mask_personal

MASK_NAME = "［氏名省略］"
MASK_PHONE = "［電話番号省略］"


# --- masking -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, hidden", [
    ("電話は〇九〇-一二三四-五六七八です", "一二三四-五六七八"),
    ("０９０ー１２３４ー５６７８", "１２３４ー５６７８"),
    ("〇九〇－1234－５６７８まで", "1234－５６７８"),
    ("零九零 一二三四 五六七八", "一二三四 五六七八"),
    ("（〇四六）二二三－一五一一", "二二三－一五一一"),
    ("〇四六・二二三・一五一一", "二二三・一五一一"),
    ("個人番号 一二三四 五六七八 九〇一二", "五六七八 九〇一二"),
])
def test_kanji_and_full_width_phone_numbers_are_masked(text, hidden):
    masked = mask_personal(text)
    assert hidden not in masked and ("［電話番号省略］" in masked or "［番号省略］" in masked)


@pytest.mark.parametrize("text", ["二〇二六年十一月", "第一次から第七次まで", "一二三", "重点目標一・二・三",
                                  "令和三年度から令和八年度", "〇一二三四"])
def test_ordinary_kanji_numbers_are_left_alone(text):
    assert mask_personal(text) == text


@pytest.mark.parametrize("name, text", [
    ("山田 太郎", "山田太郎です"),
    ("山田 太郎", "山田　太郎です"),
    ("山田太郎", "山田 太郎です"),
    ("山田　太郎", "山田・太郎です"),
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳです"),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろうです"),
    ("Taro Yamada", "ＴＡＲＯ　ＹＡＭＡＤＡです"),
    ("Taro Yamada", "taroyamadaです"),
])
def test_the_submitters_name_is_masked_in_any_spelling(name, text):
    assert mask_personal(text, [name]) == MASK_NAME + "です"


def test_name_parts_are_masked_but_not_inside_other_words():
    assert mask_personal("山田より。太郎", ["山田 太郎"]) == f"{MASK_NAME}より。{MASK_NAME}"
    assert mask_personal("Ken likes kendo, says KEN.", ["Ken"]) == f"{MASK_NAME} likes kendo, says {MASK_NAME}."
    assert mask_personal("ひとことだけ", ["と"]) == "ひとことだけ"        # one letter: too short to hunt for
    assert mask_personal("電話 〇九〇-一二三四-五六七八 山田", ["山田"]) == f"電話 {MASK_PHONE} {MASK_NAME}"
