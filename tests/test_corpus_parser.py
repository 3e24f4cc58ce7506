"""The parser on the real bundled outline: every section, page, goal, item and glossary entry."""
from __future__ import annotations

import pytest

from corpus import DEFAULT_SOURCE, load_document, nfkc
from corpus.parser import parse_text


@pytest.fixture(scope="module")
def doc():
    return load_document(DEFAULT_SOURCE)


def by_path(doc, *labels):
    """The section whose breadcrumb labels start with the given prefixes, level by level."""
    for s in doc.sections:
        if len(s.path) == len(labels) and all(p.startswith(l) for p, l in zip(s.path, labels)):
            return s
    raise AssertionError(f"no section {labels}: {[s.path for s in doc.sections]}")


def test_title_is_the_first_line(doc):
    assert doc.title == "第７次厚木市行政改革大綱（案）の概要について"
    assert doc.sources == ("outline-7th-summary.txt",)
    assert len(doc.source_hashes["outline-7th-summary.txt"]) == 64


def test_top_level_sections_with_their_pages(doc):
    top = [(s.number, s.title, s.page) for s in doc.sections if s.level == 1]
    assert top == [
        ("１", "これまでの行政改革の取組", 1),
        ("２", "第７次行政改革大綱策定の背景", 1),
        ("３", "第６次行政改革の成果と課題", 3),
        ("４", "第７次行政改革の必要性", 4),
        ("５", "第７次行政改革大綱について", 5),
    ]
    assert [s.id for s in doc.sections if s.level == 1] == ["s1", "s2", "s3", "s4", "s5"]


def test_subsections_of_section_2_and_5(doc):
    subs = {s.path[0][0]: [] for s in doc.sections}
    for s in doc.sections:
        if s.level == 2 and s.number:
            subs[s.path[0][0]].append((s.number, s.title))
    assert subs["２"] == [("(1)", "社会環境の変化"), ("(2)", "国の動向"), ("(3)", "厚木市の状況")]
    assert subs["５"] == [
        ("(1)", "改革を推進するに当たっての基本的考え方"),
        ("(2)", "計画の位置付け・計画期間"),
        ("(3)", "重点目標に位置付ける具体的な取組"),
        ("(4)", "行政改革取組の推進"),
        ("(5)", "取組の公表"),
        ("(6)", "大綱の見直し"),
    ]
    # Pages are inherited from the numbered section.
    assert all(s.page == 5 for s in doc.sections if s.id.startswith("s5"))
    assert by_path(doc, "５", "(2)").path == ("５ 第７次行政改革大綱について", "(2) 計画の位置付け・計画期間")


def test_goals_and_their_items(doc):
    goals = [s for s in doc.sections if s.level == 3]
    assert [(g.number, g.title) for g in goals] == [
        ("ア", "重点目標１ 強くしなやかな組織をつくる"),
        ("イ", "重点目標２ 強い財政基盤を確立する"),
        ("ウ", "重点目標３ 市民協働により公共サービスを向上させる"),
    ]
    items = {g.number: [(s.number, s.title) for s in doc.sections if s.level == 4 and s.path[2] == g.path[2]]
             for g in goals}
    assert items == {
        "ア": [("(ｱ)", "職員の能力向上"), ("(ｲ)", "持続可能な行政運営を実現する組織体制の構築"),
              ("(ｳ)", "生産性の向上・業務の効率化")],
        "イ": [("(ｱ)", "事業見直しの徹底"), ("(ｲ)", "歳入の確保"), ("(ｳ)", "公共建築物の最適化・市有財産の有効活用")],
        "ウ": [("(ｱ)", "更なる市民協働の推進"), ("(ｲ)", "多様な担い手とのパートナーシップの確立"),
              ("(ｳ)", "公平な行政サービスの確立")],
    }
    assert [g.id for g in goals] == ["s5-3-a", "s5-3-i", "s5-3-u"]


def test_item_tables_become_heading_plus_bullets(doc):
    row = by_path(doc, "５", "(3)", "ア", "(ｱ)")
    assert row.items == (
        "・職員の能力開発向上",
        "・各種研修の充実",
        "・積極的に研修を受けることができる環境づくり",
        "・幹部職員のマネジメント力の強化",
        "・技術職員に対する資格を取得するための助成制度の検討",
    )
    # The bullet that shared its line with the heading in the extraction is split off.
    assert by_path(doc, "５", "(3)", "ウ", "(ｱ)").items == ("・市民活動団体と市の協働で事業を実施",)


def test_labels_keep_their_lines(doc):
    period = by_path(doc, "５", "(2)")
    assert period.items[0] == "【位置付け】\n総合計画に掲げる「効果的・効率的な行政運営の推進」を具現化するための計画"
    assert period.items[1].splitlines() == [
        "【計画期間】",
        "大綱 ６年間（令和３年度から令和８年度まで）",
        "実施計画",
        "第１期：３年間（令和３年度から令和５年度まで）",
        "第２期：３年間（令和６年度から令和８年度まで）",
    ]
    basics = by_path(doc, "５", "(1)")
    goals = next(i for i in basics.items if i.startswith("【重点目標】"))
    assert goals.splitlines()[1:] == ["重点目標１ 強くしなやかな組織をつくる", "重点目標２ 強い財政基盤を確立する",
                                      "重点目標３ 市民協働により公共サービスを向上させる"]
    # The bullets after the label block are items of their own, not part of the label.
    assert basics.items[-1] == "・重点目標に基づく具体的な取組や数値目標を位置付けた実施計画を策定"


def test_results_and_issues_lists(doc):
    results = by_path(doc, "３", "成果")
    issues = by_path(doc, "３", "課題")
    assert len(results.items) == 6 and all(i.startswith("・") for i in results.items)
    assert "・ふるさと納税や広告料収入で20億円を超える財源を確保" in results.items
    assert issues.items[0] == "成果指標が未達成となっている次の取組を継続的に実施"
    assert issues.items[1:] == ("・組織のマネジメント力の強化", "・企業誘致の促進", "・市民活動充実のための団体等への支援",
                                "・市民参加による行政評価の実施")
    assert (results.id, issues.id) == ("s3-c1", "s3-c2")
    assert results.page == issues.page == 3


def test_section_1_keeps_bullets_and_captions_as_items(doc):
    s1 = by_path(doc, "１")
    assert s1.items[0] == "・本市は、第１次行政改革以降、現行の第６次行政改革に至るまで積極的に行政改革を推進"
    assert "◆第９次厚木市総合計画「あつぎ元気プラン」計画期間中の主な取組" in s1.items
    assert "第６次行政改革" in s1.items
    assert "量の削減から質の向上を意識した行政改革に転換" in s1.items
    assert "・職員の削減" in s1.items


GLOSSARY = [
    # number, term, abbreviation, expansion, page, start of the definition
    # Definitions in canonical spacing: 「全国 812 市区」 in the text, 「全国812市区」 in every chunk.
    (1, "経営革新度調査", None, None, 1, "日本経済新聞社が全国812市区を対象に"),
    (2, "スマート自治体", None, None, 1, "総務省「地方自治体における業務プロセス・システムの標準化及びＡＩ・ロボティクスの活用"),
    (3, "ＰＰＰ", "ＰＰＰ", "Public Private Partnership", 2, "公共施設等の設計、建設、維持管理、運営等を行政と民間が連携"),
    (3, "ＰＦＩ", "ＰＦＩ", "Private Finance Initiative", 2, "ＰＰＰの一類型であり"),
    (4, "ワーク・ライフ・バランス", None, None, 2, "働く者の「仕事と生活の調和」という意味です。"),
    (5, "業務継続計画（ＢＣＰ）", "ＢＣＰ", None, 2, "災害・事故で被害を受けても、重要業務をなるべく中断させず"),
    (6, "業務プロセス改革（ＢＰＲ）", "ＢＰＲ", "Business Process Re-engineering", 4, "目標を達成するために、既存の業務内容や組織構造"),
    (7, "持続可能な開発目標（ＳＤＧｓ）", "ＳＤＧｓ", "Sustainable Development Goals", 4, "平成27（2015）年９月の国連サミットで採択"),
]


def test_all_glossary_entries(doc):
    got = [(e.number, e.term, e.abbreviation, e.expansion, e.page) for e in doc.glossary]
    assert got == [g[:5] for g in GLOSSARY]
    for entry, expected in zip(doc.glossary, GLOSSARY):
        assert entry.definition.startswith(expected[5]), entry
        assert entry.definition.endswith(("。", "自治体")), entry
    assert len({e.id for e in doc.glossary}) == 8
    assert [e.id for e in doc.glossary if e.abbreviation] == ["g-ppp", "g-pfi", "g-bcp", "g-bpr", "g-sdgs"]
    assert doc.glossary[2].heading == "※3 ＰＰＰ（Public Private Partnershipの略）"


def test_multi_part_definition_has_all_parts(doc):
    smart = next(e for e in doc.glossary if e.term == "スマート自治体")
    lines = smart.definition.splitlines()
    assert len(lines) == 4
    assert [l[:3] for l in lines[1:]] == ["(1)", "(2)", "(3)"]
    assert lines[1].endswith("住民福祉の水準を維持する自治体")
    assert lines[2] == "(2) 職員を事務作業から解放し、職員でなければできない、より価値のある業務に注力する自治体"
    assert "職員の経験年数にかかわらずミスなく事務処理を行える自治体" in lines[3]
    # The glossary's (1)(2)(3) are not sections of the outline.
    assert not any(s.title.startswith("人口減少が深刻化") for s in doc.sections)


def test_glossary_aliases_are_nfkc_match_keys(doc):
    wlb = next(e for e in doc.glossary if e.number == 4)
    assert "ワークライフバランス" in wlb.aliases
    bcp = next(e for e in doc.glossary if e.number == 5)
    assert {"BCP", "業務継続計画", "業務継続計画(BCP)"} <= set(bcp.aliases)


def test_markers_in_the_body_link_to_entries(doc):
    refs = {s.id: s.glossary_refs for s in doc.sections if s.glossary_refs}
    assert refs == {"s1": (1,), "s2-2": (2,), "s2-3": (3,), "s3-c1": (4, 5), "s5-3-i-a": (6,), "s5-4": (7,)}


def test_text_without_title_or_headings_still_parses():
    parsed = parse_text("１ はじめに 大綱P.2\n\n・一つ目の取組\n")
    assert parsed.title == ""
    assert [(s.id, s.page, s.items) for s in parsed.sections] == [("s1", 2, ("・一つ目の取組",))]


def test_revised_outline_with_a_new_glossary_entry_and_bullet():
    text = DEFAULT_SOURCE.read_text(encoding="utf-8")
    text = text.replace("・積極的な企業誘致の推進 \n\n・指定管理者", "・積極的な企業誘致の推進 \n\n・ＤＸ※8の推進 \n\n・指定管理者")
    text += "※8 デジタルトランスフォーメーション（ＤＸ）（Digital Transformation の略。）【P.2】 \n\nデジタル技術で業務を変革することです。 \n"
    from corpus.reader import SourceText
    from corpus.parser import parse_sources

    doc = parse_sources([SourceText("rev.txt", "rev.txt", text, "0" * 64, "utf-8")])
    assert len(doc.glossary) == 9
    dx = doc.glossary[-1]
    assert (dx.number, dx.abbreviation, dx.expansion, dx.page, dx.id) == (8, "ＤＸ", "Digital Transformation", 2, "g-dx")
    s23 = by_path(doc, "２", "(3)")
    assert "・ＤＸ※8の推進" in s23.items and s23.glossary_refs == (8, 3)  # order of appearance
    assert nfkc(dx.definition) == "デジタル技術で業務を変革することです。"


def test_glossary_heading_without_page():
    parsed = parse_text("題\n１ 章 大綱P.1\n・まちづくり※9の推進\n用語説明\n※9 まちづくり協議会\n地域の団体です。\n"
                        "※10 ＤＸ（Digital Transformation の略）【P.3】\n変革です。\n")
    first, second = parsed.glossary
    # Without its 【P.x】 an entry takes the page of the first section that marks it (※9 in １, 大綱P.1).
    assert (first.number, first.term, first.page, first.definition) == (9, "まちづくり協議会", 1, "地域の団体です。")
    assert (second.number, second.abbreviation, second.page) == (10, "ＤＸ", 3)
    assert parsed.sections[0].glossary_refs == (9,)
