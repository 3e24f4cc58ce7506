"""Structure from the document, not one layout: numbering schemes ranked by first appearance,
sequence and list rules, glossaries with ※/＊/注 marks, page markers, canonical characters."""
from __future__ import annotations

from pathlib import Path

import pytest

from corpus import load_chunks, load_document
from corpus.normalize import canonical_line, display_spacing, fold_chars
from corpus.pages import read_pages
from corpus.parser import parse_text
from corpus.schemes import match_heading, page_number_line, split_page_marker

ROOT = Path(__file__).resolve().parents[1]
SAKURA = ROOT / "benchmarks" / "practice" / "sakura-dx-plan-2nd-summary.txt"
MIDORI = ROOT.parent / "shared" / "practice" / "midori-plan-3rd-summary.txt"


def tree(parsed):
    return [(s.level, s.number, s.title) for s in parsed.sections]


# --- canonical characters and spacing ------------------------------------------------------------

def test_radicals_compatibility_ideographs_and_ligatures_are_folded():
    # Kangxi radicals (NFKC), the CJK Radicals Supplement (Unicode's EquivalentUnifiedIdeograph.txt:
    # NFKC leaves ⺠ alone), a compatibility ideograph, a ligature, ‧ for ・, 〜 for ～.
    assert fold_chars("⾏政改⾰⼤綱 市⺠ 目標⽬ ﬁle 神") == "行政改革大綱 市民 目標目 file 神"
    assert fold_chars("ワーク‧ライフ‧バランス 第２次（令和３年度〜令和７年度）") == \
        "ワーク・ライフ・バランス 第２次（令和３年度～令和７年度）"
    assert fold_chars("syl‧la‧ble") == "syl‧la‧ble"                  # a real hyphenation point stays


def test_the_documents_own_characters_stay_as_written():
    text = "第１章 ①電子申請 Ⅳ (ｱ) ９７．２％ ＰＰＰ ２－１"
    assert fold_chars(text) == text


def test_extraction_spacing_is_undone_and_japanese_is_set_without_spaces():
    assert canonical_line("平成  25 （ 2013 ）年度") == "平成 25（2013）年度"
    assert canonical_line("調査※ 1 で全国") == "調査※1 で全国"
    assert canonical_line("◆ 第９次　総合計画") == "◆第９次 総合計画"
    assert canonical_line("基本方針 Ⅰ　効率的") == "基本方針Ⅰ 効率的"
    assert canonical_line("( ｱ ) 職員") == "(ｱ) 職員"
    assert display_spacing("平成 25（2013）年度、全国 812 市区") == "平成25（2013）年度、全国812市区"
    assert display_spacing("DX の推進、Public Private Partnership の略") == "DXの推進、Public Private Partnershipの略"
    assert display_spacing("大綱 ６年間") == "大綱 ６年間"          # between two Japanese words: kept


# --- numbering schemes ---------------------------------------------------------------------------

@pytest.mark.parametrize("line, scheme, number, value, title, page", [
    ("１ これまでの行政改革の取組 大綱P.1", "digit", "１", 1, "これまでの行政改革の取組", 1),
    ("第１章 プラン策定の趣旨（本編 p.12）", "ordinal:章", "第１章", 1, "プラン策定の趣旨", 12),
    ("第3節 計画の目的", "ordinal:節", "第3節", 3, "計画の目的", None),
    ("２－１ 財政の見通し", "multi2", "２－１", 1, "財政の見通し", None),
    ("1.2.3 細目", "multi3", "1.2.3", 3, "細目", None),
    ("Ⅳ 推進体制", "roman", "Ⅳ", 4, "推進体制", None),
    ("② キャッシュレス決済の導入", "circled", "②", 2, "キャッシュレス決済の導入", None),
    ("（３）職場環境", "(digit)", "（３）", 3, "職場環境", None),
    ("(ｳ) 公平な行政サービスの確立", "(kana)", "(ｳ)", 3, "公平な行政サービスの確立", None),
    ("(b) 細目", "(alpha)", "(b)", 2, "細目", None),
    ("イ 重点目標２ 強い財政基盤を確立する", "kana", "イ", 2, "重点目標２ 強い財政基盤を確立する", None),
    ("３．計画期間", "digit.", "３．", 3, "計画期間", None),
    ("基本方針Ⅱ 健全で持続可能な財政運営", "label:基本方針", "基本方針Ⅱ", 2, "健全で持続可能な財政運営", None),
    ("## 2 はじめに（p.3）", "md2", "2", 2, "はじめに", 3),
])
def test_heading_schemes(line, scheme, number, value, title, page):
    h = match_heading(line)
    assert (h.scheme, h.number, h.value, h.title, h.page) == (scheme, number, value, title, page)


@pytest.mark.parametrize("line", ["20 億円を超える財源", "812 市区を対象に", "令和12（2030）年を期限",
                                  "第１期：３年間", "・箇条", "３．０％以下", "大綱 ６年間", "アイデアを募集"])
def test_text_that_only_looks_numbered_is_no_heading(line):
    assert match_heading(line) is None


def test_page_markers_and_page_number_lines():
    assert split_page_marker("経営革新度調査【P.1】") == ("経営革新度調査", 1)
    assert split_page_marker("趣旨（本編12ページ）") == ("趣旨", 12)
    assert split_page_marker("計画の推進") == ("計画の推進", None)
    for line, number in (("- 3 -", 3), ("－３－", 3), ("3/12", 3), ("P.3", 3), ("3", 3), ("3 ページ", 3)):
        assert page_number_line(canonical_line(line))[0] == number, line
    assert page_number_line("2013年") is None and page_number_line("file:///a.txt 1/7") is None


# --- levels from the order of first appearance ---------------------------------------------------

def test_the_first_scheme_seen_is_the_top_level_whatever_it_is():
    a = parse_text("題\nⅠ 総論\n(1) 目的\n・項目\nⅡ 各論\n(1) 施策\n・項目\n")
    b = parse_text("題\n(1) 総論\nⅠ 目的\n・項目\n(2) 各論\nⅠ 施策\n・項目\n")
    assert tree(a) == [(1, "Ⅰ", "総論"), (2, "(1)", "目的"), (1, "Ⅱ", "各論"), (2, "(1)", "施策")]
    assert tree(b) == [(1, "(1)", "総論"), (2, "Ⅰ", "目的"), (1, "(2)", "各論"), (2, "Ⅰ", "施策")]
    assert a.schemes == ("roman", "(digit)") and b.schemes == ("(digit)", "roman")
    assert [s.id for s in a.sections] == ["s1", "s1-1", "s2", "s2-1"]


def test_a_number_that_breaks_its_sequence_is_text_and_said_so():
    parsed = parse_text("題\n１ はじめに\n・財源は前年より\n11 ポイント上昇\n・収納率は維持した。\n12 市で実施\n"
                        "２ 取組\n・項目\n")
    assert tree(parsed) == [(1, "１", "はじめに"), (1, "２", "取組")]
    assert parsed.sections[0].items == ("・財源は前年より11ポイント上昇", "・収納率は維持した。", "12市で実施")
    assert any("「12 市で実施」 looks numbered (digit) but breaks its numbering" in n for n in parsed.notes)


def test_numbered_lines_with_nothing_between_them_are_a_list_not_headings():
    parsed = parse_text("題\n第４章 方針\n４－１ 基本方針\n基本方針Ⅰ 効率化\n基本方針Ⅱ 財政\n第５章 推進項目\n"
                        "基本方針Ⅰ 効率化\n（１）オンライン化\n●申請\n基本方針Ⅱ 財政\n（１）歳出\n●見直し\n")
    assert parsed.sections[1].items == ("基本方針Ⅰ 効率化", "基本方針Ⅱ 財政")
    assert [s.path[-1] for s in parsed.sections if s.id.startswith("s5")] == [
        "第５章 推進項目", "基本方針Ⅰ 効率化", "（１） オンライン化", "基本方針Ⅱ 財政", "（１） 歳出"]
    assert any("read as a list" in n for n in parsed.notes)


# --- glossaries and pages ------------------------------------------------------------------------

def test_a_glossary_with_star_marks_and_abbreviation_names():
    parsed = parse_text("題\n第１章 振り返り（本編 p.6）\n○ＲＰＡ＊1の導入\n第２章 推進（本編 p.9）\n●ＫＰＩ＊2の公表\n"
                        "【用語解説】\n＊1 ＲＰＡ（ロボティック・プロセス・オートメーション）\n定型作業を自動で行う仕組みです。\n"
                        "＊2 ＫＰＩ（重要業績評価指標）\n目標の達成度合いを測る指標です。\n")
    rpa, kpi = parsed.glossary
    assert (rpa.marker, rpa.number, rpa.abbreviation, rpa.expansion) == ("＊", 1, "ＲＰＡ", "ロボティック・プロセス・オートメーション")
    assert "重要業績評価指標" in kpi.aliases and kpi.id == "g-kpi"
    assert parsed.glossary_title == "【用語解説】"
    # Without 【P.x】 an entry takes the page of the section that marks it (the 本編 pages here).
    assert (rpa.page, kpi.page) == (6, 9)
    assert [s.glossary_refs for s in parsed.sections] == [(1,), (2,)]
    assert [s.page for s in parsed.sections] == [6, 9]


def test_a_glossary_with_note_marks_and_a_term_with_its_definition_on_one_line():
    parsed = parse_text("題\n1 計画\n・自治体ＤＸ推進計画（注1）の改定\n用語集\n注1 自治体ＤＸ推進計画：国が示した計画です。\n"
                        "注2 ＲＰＡ（Robotic Process Automation の略）\n定型作業を代行する技術です。\n")
    first, second = parsed.glossary
    assert (first.term, first.definition, first.marker) == ("自治体ＤＸ推進計画", "国が示した計画です。", "注")
    assert (second.abbreviation, second.expansion) == ("ＲＰＡ", "Robotic Process Automation")
    assert parsed.sections[0].glossary_refs == (1,)


def test_the_glossary_ends_at_the_next_top_level_heading():
    parsed = parse_text("題\n１ 総論\n・用語※1\n用語説明\n※1 用語\n(1) 定義の一\n(2) 定義の二\n２ 資料\n・続き\n")
    assert parsed.glossary[0].definition == "(1) 定義の一\n(2) 定義の二"
    assert tree(parsed) == [(1, "１", "総論"), (1, "２", "資料")]


def test_printed_page_numbers_are_the_pages_when_the_document_has_no_page_markers():
    text = "計画\nⅠ 総論\n・一\n- 1 -\n計画\n・二\nⅡ 各論\n・三\n- 2 -\n計画\n・四\n- 3 -\n"
    paged = read_pages(text)
    assert [line.text for line in paged.removed] == ["- 1 -", "- 2 -", "- 3 -", "計画", "計画"]
    parsed = parse_text(text)
    assert parsed.page_source == "printed"
    assert [(s.title, s.page, s.items, s.item_pages) for s in parsed.sections] == [
        ("総論", 1, ("・一", "・二"), (1, 2)), ("各論", 2, ("・三", "・四"), (2, 3))]
    chunks = load_chunks(load_document(_write(text)), max_chars=4)
    assert [(c.text, c.page) for c in chunks] == [("・一", 1), ("・二", 2), ("・三", 2), ("・四", 3)]


def test_running_lines_whose_numbers_vary_are_removed_and_give_the_page():
    body = [("総論の一", "総論の二"), ("各論の一", "各論の二"), ("資料の一", "資料の二")]
    pages = [f"11/27/26, 10:5{i} PM\n{a}\n{b}\nfile:///tmp/plan.txt {i}/3" for i, (a, b) in enumerate(body, 1)]
    paged = read_pages("\f".join(pages))
    assert [line.text for line in paged.lines] == [t for pair in body for t in pair]
    assert [line.page for line in paged.lines] == [1, 1, 2, 2, 3, 3] and paged.printed
    assert len(paged.removed) == 6


def test_a_heading_on_every_page_is_content_unless_it_is_the_pages_first_or_last_line():
    sheets = [("窓口改革事業", "手続を減らす", "待ち時間を半減"), ("施設再編事業", "施設を集約する", "延床面積を８％削減"),
              ("人材育成事業", "研修を充実する", "受講者が倍増")]
    pages = [f"事務事業評価シート\n{name}\n(1) 事業の目的\n・{aim}\n(2) 成果\n・{result}\n- {i} -"
             for i, (name, aim, result) in enumerate(sheets, 1)]
    paged = read_pages("\f".join(pages))
    assert [line.text for line in paged.lines].count("(1) 事業の目的") == 3      # content on every sheet
    assert [line.text for line in paged.removed] == ["- 1 -", "- 2 -", "- 3 -", "事務事業評価シート", "事務事業評価シート"]
    chapter = read_pages("\f".join(f"第２章 基本計画\n・本文{k}です。\n・続き{k}です。\n- {i} -"
                                    for i, k in enumerate("一二三", 1)))
    assert [line.text for line in chapter.lines] == ["第２章 基本計画"] + [f"・{w}{k}です。" for k in "一二三"
                                                                           for w in ("本文", "続き")]


def test_pdf_pages_count_when_nothing_is_printed_and_a_cover_is_not_page_one():
    paged = read_pages("表紙\f本文の一\n- 1 -\f本文の二\n- 2 -")
    assert [(line.text, line.page) for line in paged.lines] == [("表紙", None), ("本文の一", 1), ("本文の二", 2)]
    plain = read_pages("一\f二\f三")
    assert [line.page for line in plain.lines] == [1, 2, 3] and not plain.printed


def _write(text: str) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "plan.txt"
    path.write_text(text, encoding="utf-8")
    return path


# --- the practice plans: every section and glossary entry ----------------------------------------

def test_the_third_layout_practice_plan_reads_completely():
    doc = load_document(SAKURA)
    assert doc.title == "さくら市第２期デジタル行政推進計画（概要版）"
    titled = [(s.level, s.number, s.title, s.page) for s in doc.sections if s.number]
    assert titled[:5] == [(1, "Ⅰ", "計画の概要", 1), (2, "１．", "計画策定の趣旨", 1), (2, "２．", "計画の位置付け", 1),
                          (2, "３．", "計画期間", 1), (1, "Ⅱ", "第１期計画の成果と課題", 2)]
    assert len(titled) == 23 and sum(s.level == 3 for s in doc.sections) == 8
    assert [(e.marker, e.number, e.term, e.page) for e in doc.glossary] == [
        ("注", 1, "自治体ＤＸ推進計画", 4), ("注", 2, "ＲＰＡ", 4), ("注", 3, "マイナンバーカード", 4),
        ("注", 4, "ガバメントクラウド", 4), ("注", 5, "デジタル推進委員", 4)]
    chunks = load_chunks(doc)
    assert all(c.page for c in chunks)
    assert not any("- 2 -" in c.text or c.text.count("さくら市第２期デジタル行政推進計画") for c in chunks)


@pytest.mark.skipif(not MIDORI.exists(), reason=f"practice plan not found at {MIDORI}")
def test_the_midori_practice_plan_reads_completely():
    doc = load_document(MIDORI)
    chapters = [(s.number, s.title, s.page) for s in doc.sections if s.level == 1 and s.number]
    assert chapters == [("第１章", "プラン策定の趣旨", 1), ("第２章", "みどり市を取り巻く状況", 3),
                        ("第３章", "第２次プランの振り返り", 6), ("第４章", "基本方針と計画期間", 9),
                        ("第５章", "推進項目", 12), ("第６章", "数値目標", 18), ("第７章", "推進体制と進行管理", 20)]
    policies = [s for s in doc.sections if s.number.startswith("基本方針")]
    assert [p.number for p in policies] == ["基本方針Ⅰ", "基本方針Ⅱ", "基本方針Ⅲ", "基本方針Ⅳ"]
    assert [len([s for s in doc.sections if s.path[:2] == p.path and len(s.path) == 3]) for p in policies] == [2, 2, 2, 2]
    assert next(s for s in doc.sections if s.number == "４－２").items[-1] == "基本方針Ⅳ 市民・企業との共創の推進"
    assert [(e.number, e.abbreviation, e.page) for e in doc.glossary] == [
        (1, "ＲＰＡ", 6), (2, "ＬＧＷＡＮ", 12), (3, None, 12), (4, "ＫＰＩ", 20)]
    assert len(doc.sections) == 24
