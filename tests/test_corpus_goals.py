"""A plan's goals, short title, kind and municipality, read from the document alone.

Three plans in three layouts: the bundled outline (ア 重点目標１–３ under (3), listed again in a
【重点目標】 item), the practice plan of みどり市 (基本方針Ⅰ–Ⅳ as numbers of their own, listed
in ４－２), and the さくら市 DX plan (柱１–３ after the section numbers, a one-character word).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from corpus import BREADCRUMB_SEP, load_document
from corpus.goals import find_goals, goal_of_breadcrumb
from corpus.model import Document, Section
from corpus.titles import place_name, plan_kind, short_title

ROOT = Path(__file__).resolve().parent.parent
MIDORI = ROOT.parent / "shared" / "practice" / "midori-plan-3rd-summary.txt"
SAKURA = ROOT / "benchmarks" / "practice" / "sakura-dx-plan-2nd-summary.txt"


@pytest.fixture(scope="module")
def bundled():
    return load_document()


@pytest.fixture(scope="module")
def midori():
    if not MIDORI.exists():
        pytest.skip(f"practice plan not found at {MIDORI}")
    return load_document(MIDORI)


def test_the_bundled_outline_has_its_three_goals_under_their_sections(bundled):
    goals = find_goals(bundled)
    assert [(g.key, g.label, g.word) for g in goals] == [("1", "重点目標１", "重点目標"), ("2", "重点目標２", "重点目標"),
                                                        ("3", "重点目標３", "重点目標")]
    assert goals[2].text == "重点目標３ 市民協働により公共サービスを向上させる"
    assert [g.section_id for g in goals] == ["s5-3-a", "s5-3-i", "s5-3-u"]


def test_midori_has_four_basic_policies(midori):
    goals = find_goals(midori)
    assert [g.label for g in goals] == ["基本方針Ⅰ", "基本方針Ⅱ", "基本方針Ⅲ", "基本方針Ⅳ"]
    assert [g.key for g in goals] == ["1", "2", "3", "4"]
    assert goals[3].title == "市民・企業との共創の推進" and goals[0].section_id == "s5-1"


def test_a_one_character_goal_word_after_a_section_number():
    goals = find_goals(load_document(SAKURA))
    assert [g.text for g in goals] == ["柱１ 行かない窓口の実現", "柱２ 業務の標準化と効率化", "柱３ 誰一人取り残さないデジタル化"]


def _doc(*sections: Section) -> Document:
    return Document(title="t", sources=("t.txt",), source_hashes={}, sections=sections, glossary=())


def _s(ident: str, number: str, title: str, level: int, path: tuple[str, ...], items=()) -> Section:
    return Section(ident, number, title, level, path + (f"{number} {title}".strip(),), 1, tuple(items))


def test_goals_only_listed_in_an_item_are_found_and_link_by_title():
    root = _s("s1", "１", "目指す姿", 1, ())
    doc = _doc(root, _s("s1-1", "(1)", "施策の柱", 2, root.path,
                        ["柱1 行政サービスのデジタル化", "柱2 財政の健全化", "柱3 協働のまちづくり"]),
               _s("s2", "２", "主な取組", 1, ()),
               _s("s2-1", "(1)", "財政の健全化に向けて", 2, ("２ 主な取組",), ["・歳出の見直し"]))
    goals = find_goals(doc)
    assert [g.label for g in goals] == ["柱1", "柱2", "柱3"] and goals[0].section_id is None
    assert goal_of_breadcrumb("２ 主な取組 › (1) 財政の健全化に向けて", goals) == goals[1]


def test_a_word_repeated_under_every_goal_is_not_the_goal_list():
    a = _s("s1", "基本目標1", "暮らし", 1, ())
    b = _s("s2", "基本目標2", "しごと", 1, ())
    doc = _doc(a, _s("s1-1", "施策1", "子育て", 2, a.path), _s("s1-2", "施策2", "教育", 2, a.path),
               b, _s("s2-1", "施策1", "産業", 2, b.path), _s("s2-2", "施策2", "雇用", 2, b.path))
    assert [g.label for g in find_goals(doc)] == ["基本目標1", "基本目標2"]


def test_no_list_of_goals_means_no_goals():
    doc = _doc(_s("s1", "１", "はじめに", 1, ()), _s("s2", "２", "統一 的な運用", 1, ()))
    assert find_goals(doc) == () and find_goals(None) == ()
    assert goal_of_breadcrumb("１ はじめに", ()) is None


def test_numbers_must_count_from_one():
    doc = _doc(_s("s1", "目標2", "a", 1, ()), _s("s2", "目標3", "b", 1, ()))
    assert find_goals(doc) == ()


def test_breadcrumbs_link_to_the_goal_they_lie_under(bundled):
    goals = find_goals(bundled)
    crumbs = {s.id: BREADCRUMB_SEP.join(s.path) for s in bundled.sections}
    assert goal_of_breadcrumb(crumbs["s5-3-i-i"], goals).key == "2"
    assert goal_of_breadcrumb(crumbs["s5-3-u"], goals).key == "3"
    assert goal_of_breadcrumb(crumbs["s5-3"], goals) is None         # the heading above the goals
    assert goal_of_breadcrumb(crumbs["s5-1"], goals) is None         # lists them, is none of them
    assert goal_of_breadcrumb("用語説明 › ※2 スマート自治体", goals) is None


def test_breadcrumbs_link_to_midoris_basic_policies(midori):
    m = find_goals(midori)
    assert goal_of_breadcrumb("第５章 推進項目 › 基本方針Ⅱ 健全で持続可能な財政運営 › （２） 歳入の確保", m).label == "基本方針Ⅱ"
    # the same goal heading in another chapter (and another layout) is the same goal
    assert goal_of_breadcrumb("第６章 数値目標 › 基本方針Ⅲ 人材の育成", m).key == "3"
    assert goal_of_breadcrumb("第４章 基本方針と計画期間 › ４－１ 計画期間", m) is None


@pytest.mark.parametrize("title, short, place, kind", [
    ("第３次みどり市行財政改革プラン（素案）概要版", "第３次みどり市行財政改革プラン", "みどり市", "プラン"),
    ("さくら市第２期デジタル行政推進計画（概要版）", "さくら市第２期デジタル行政推進計画", "さくら市", "計画"),
    ("令和８年度 青葉村行政改革実施計画", "令和８年度 青葉村行政改革実施計画", "青葉村", "計画"),
    ("みなと町行政改革大綱（案）の概要について", "みなと町行政改革大綱", "みなと町", "大綱"),
    ("都市計画マスタープラン", "都市計画マスタープラン", None, "プラン"),
    ("市町村合併の記録", "市町村合併の記録", None, None),
    ("行政改革大綱【概要版】", "行政改革大綱", None, "大綱"),
])
def test_titles(title, short, place, kind):
    assert short_title(title) == short
    assert place_name(title) == place
    assert plan_kind(title) == kind
