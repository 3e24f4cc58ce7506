"""Repair of PDF extraction: broken words joined, items kept apart, NFKC only for matching."""
from __future__ import annotations

import pytest

from corpus import DEFAULT_SOURCE, nfkc
from corpus.repair import repair_lines, starts_new_item


@pytest.fixture(scope="module")
def lines():
    return repair_lines(DEFAULT_SOURCE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("joined", [
    "マイナンバーカードの利便性の向上",
    "随時、新たな取組に着手",
    "職員の経験年数にかかわらず",
    "(ｲ) 持続可能な行政運営を実現する組織体制の構築",
    "(ｲ) 多様な担い手とのパートナーシップの確立",
    "(ｳ) 生産性の向上・業務の効率化",
    "(ｳ) 公共建築物の最適化・市有財産の有効活用",
    "・技術職員に対する資格を取得するための助成制度の検討",
    "・業務プロセス改革（ＢＰＲ）※6 を用いた業務の見直し",
    "時間外勤務時間の縮減",
    "住民福祉の水準を維持する自治体",
    "積極的に行政改革を推進",
    "国際目標で",
    "広範な課題に",
    "必要があります。",
])
def test_broken_words_are_joined(lines, joined):
    assert any(joined in line for line in lines), joined


def test_no_blank_lines_and_no_fragments(lines):
    assert all(line.strip() == line and line for line in lines)
    # Every fragment the extractor left behind now belongs to a longer line.
    for fragment in ("築", "し", "検討", "効率化", "確立", "推進", "など", "時、新たな取組に着手", "ーカードの"):
        assert fragment not in lines, fragment


def test_items_stay_separate(lines):
    for item in ("成果", "課題", "【重点目標】", "【位置付け】", "【計画期間】", "実施計画", "第６次行政改革",
                 "重点目標１ 強くしなやかな組織をつくる", "重点目標２ 強い財政基盤を確立する",
                 "第１期：３年間（令和３年度から令和５年度まで）", "・職員の削減", "・組織のスリム化",
                 "・未利用地の売却 など", "※主な取組は２ページに記載", "用語説明", "(5) 取組の公表",
                 "(ｱ) 更なる市民協働の推進", "・市民活動団体と市の協働で事業を実施"):
        assert item in lines, item
    assert sum(line.startswith("・") for line in lines) == 75


def test_original_characters_kept_and_nfkc_for_matching(lines):
    assert "・業務継続計画（ＢＣＰ）※5を策定" in lines      # full-width kept for display
    assert nfkc("業務継続計画（ＢＣＰ）") == "業務継続計画(BCP)"
    assert nfkc("(ｱ) 職員") == "(ア) 職員"
    assert nfkc("令和３年度") == "令和3年度"


def test_general_rules_on_new_text():
    text = "\n\n".join([
        "１ 新しい章 大綱P.9",
        "・長い説明の途中で改行され",      # ends with hiragana: continues
        "た箇所",
        "・カタカナのデジタルトランス",      # katakana split across lines
        "フォーメーション",
        "・短い項目",                        # a complete bullet: stays
        "重点目標４ 新しい目標",            # enumerated label: new item
        "(ｴ) 表のセルが",
        "分かれた見出し",
        "・項目 など",
        "次の段落",                          # after 「など」 a new line is a new item
        "ア 目標",
        "※9 用語【P.9】",
        "定義の文です。",
        "また、続きの文です。",              # after 。 a new sentence is a new line even in hiragana
    ])
    assert repair_lines(text) == [
        "１ 新しい章 大綱P.9",
        "・長い説明の途中で改行された箇所",
        "・カタカナのデジタルトランスフォーメーション",
        "・短い項目",
        "重点目標４ 新しい目標",
        "(ｴ) 表のセルが分かれた見出し",
        "・項目 など",
        "次の段落",
        "ア 目標",
        "※9 用語【P.9】",
        "定義の文です。",
        "また、続きの文です。",
    ]


def test_wrapped_full_width_lines_join_even_at_a_noun():
    wide = "・" + "行" * 38 + "勤務"          # as wide as the column: the extractor wrapped it
    assert repair_lines(f"{wide}\n時間の縮減\n・次") == [wide + "時間の縮減", "・次"]
    narrow = "課題"                              # a short caption before a lead sentence stays
    assert repair_lines(f"{wide}。\n{narrow}\n成果指標の文") == [wide + "。", "課題", "成果指標の文"]


def test_latin_words_broken_at_line_end_get_their_space_back():
    assert repair_lines("・Public Private\nPartnership の推進") == ["・Public Private Partnership の推進"]


@pytest.mark.parametrize("line,new", [
    ("・箇条", True), ("※1 用語【P.1】", True), ("【計画期間】", True), ("(3) 見出し", True), ("（３） 見出し", True),
    ("(ｱ) 項目", True), ("ア 重点目標", True), ("５ 章 大綱P.5", True), ("重点目標２ 目標", True), ("第２期：３年間", True),
    ("用語説明", True), ("ーカード", False), ("時、新た", False), ("812 市区を対象に", False),
    ("令和12（2030）年を期限", False), ("アイデアを", False),
])
def test_what_starts_a_new_item(line, new):
    assert starts_new_item(line) is new


def test_a_few_overlong_hand_edited_lines_do_not_change_the_column_width():
    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    long_bullet = "・" + "長い追加の取組" * 30
    edited = text.replace("・積極的な企業誘致の推進 ", f"・積極的な企業誘致の推進 \n\n{long_bullet} \n\n{long_bullet}２ ")
    lines = repair_lines(edited)
    assert long_bullet in lines and long_bullet + "２" in lines
    assert any("随時、新たな取組に着手" in line for line in lines)
    assert any("時間外勤務時間の縮減" in line for line in lines)
    assert "◆第９次厚木市総合計画「あつぎ元気プラン」計画期間中の主な取組" in lines


def test_a_line_wrapped_just_before_a_marker_is_joined():
    text = "\n".join([
        "・平成 25（2013）年度に日本経済新聞社が実施した経営革新度調査",
        "※1で全国１位の評価",
        "・ワーク・ライフ・バランス",
        "※4 の推進による縮減",
        "※主な取組は２ページに記載",
        "※8 キャッシュレス決済",
        "現金を使わずに支払うことです。",
    ])
    assert repair_lines(text) == [
        "・平成 25（2013）年度に日本経済新聞社が実施した経営革新度調査※1で全国１位の評価",
        "・ワーク・ライフ・バランス※4 の推進による縮減",
        "※主な取組は２ページに記載",
        "※8 キャッシュレス決済",
        "現金を使わずに支払うことです。",
    ]


def test_spaces_inside_numbered_markers_from_a_pdf_text_layer():
    """Chromium's (and Word's) print-to-PDF text layer gives 「( ｱ ) 職員の能力向上」 and
    「(1 ) …」: the markers are compacted so every heading is still found (a PDF printed that way
    lost 9 of the 28 sections before)."""
    import re

    from corpus.parser import parse_sources
    from corpus.reader import SourceText

    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    spaced = re.sub(r"^([(（])([ｱ-ﾝ0-9])([)）])", r"\1 \2 \3", text, flags=re.M)
    assert spaced.count("( ｱ )") >= 3
    assert "(ｱ) 職員の能力向上" in repair_lines(spaced)

    def titles(t):
        doc = parse_sources([SourceText("outline.txt", "outline.txt", t, "0" * 64, "utf-8")])
        return [(s.title, s.page) for s in doc.sections]

    assert titles(spaced) == titles(text)
