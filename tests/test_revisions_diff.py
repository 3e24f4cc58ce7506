"""The revision diff on the real outline and a revised copy: exactly the edits, readable for Japanese."""
from __future__ import annotations

import pytest

import revision_support as R
from bot.revisions import is_revision_question
from bot.slack.revisions import announcement_message
from corpus import load_document
from index.diff import (LineChange, RevisionDiff, diff_documents, diff_lines, display_width, format_diff,
                        units)


@pytest.fixture(scope="module")
def revised_diff(tmp_path_factory) -> RevisionDiff:
    path = R.write_revised(tmp_path_factory.mktemp("rev"))
    return RevisionDiff("v1", "v2", diff_documents(load_document(), load_document(path)))


def test_diff_lists_exactly_the_four_edits(revised_diff):
    got = [(c.kind, c.op, c.id, [(x.op, x.old, x.new) for x in c.lines]) for c in revised_diff.changes]
    assert got == [
        ("section", "changed", "s3-c1", [
            ("changed", "・" + R.OLD_FIGURE, "・" + R.NEW_FIGURE),
            ("removed", "・" + R.REMOVED_BULLET, ""),
        ]),
        ("section", "changed", "s3-c2", [("added", "", "・" + R.ADDED_BULLET)]),
        ("glossary", "added", revised_diff.changes[2].id, [("added", "", R.ADDED_DEFINITION)]),
    ]
    assert revised_diff.changes[2].title == f"※8 {R.ADDED_TERM}"
    assert revised_diff.counts() == {
        "sections_added": 0, "sections_removed": 0, "sections_changed": 2,
        "glossary_added": 1, "glossary_removed": 0, "glossary_changed": 0}


def test_changed_items_carry_breadcrumb_and_page(revised_diff):
    first = revised_diff.changes[0]
    assert first.citation == "３ 第６次行政改革の成果と課題 › 成果 (大綱P.3)"


def test_changed_figure_is_marked_as_a_whole_number(revised_diff):
    old, new = revised_diff.changes[0].lines[0].marked()
    assert "〔-20-〕億円" in old and "〔+25+〕億円" in new


def test_width_and_line_breaks_are_not_changes():
    old = ["・ふるさと納税で20億円を確保", "【計画期間】\n大綱 ６年間"]
    new = ["・ふるさと納税で２０億円を  確保", "【計画期間】\n大綱　6年間"]
    assert diff_lines(units(old), units(new)) == ()


def test_units_split_bullets_lines_and_sentences():
    assert units(["一文目です。二文目です。", "・箇条\n続きの行"]) == ["一文目です。", "二文目です。", "・箇条", "続きの行"]


def test_a_rewritten_line_is_removed_plus_added_not_a_change():
    got = diff_lines(["・職員の削減"], ["・未利用地の売却"])
    assert [x.op for x in got] == ["removed", "added"]


def test_identical_documents_have_an_empty_diff():
    doc = load_document()
    d = RevisionDiff("a", "b", diff_documents(doc, doc))
    assert d.empty and "変更はありません" in format_diff(d)


def test_side_by_side_columns_line_up_in_display_width(revised_diff):
    text = format_diff(revised_diff, width=80)
    rows = [ln for ln in text.splitlines() if "│" in ln]
    assert rows, text
    cols = {display_width(ln.split("│")[0]) for ln in rows}
    assert len(cols) == 1, cols          # Japanese full-width characters counted as two columns
    assert "※8 キャッシュレス決済 (大綱P.3)" in text


def test_announcement_blocks_cite_pages_and_stay_within_limits(revised_diff):
    text, blocks = announcement_message(revised_diff)
    body = str(blocks)
    assert "大綱P.3" in body and "v2" in body and "〔+25+〕" in body
    assert "変更 2" in text and len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    many = RevisionDiff("a", "b", revised_diff.changes * 40)
    _, blocks = announcement_message(many)
    assert len(blocks) <= 50 and "ほか" in str(blocks[-1])


@pytest.mark.parametrize("question,expected", [
    ("改訂で何が変わった？", True),
    ("最新の改訂の変更点は？", True),
    ("what changed in the latest revision?", True),
    ("What's new in the latest version?", True),
    ("第６次行政改革で何が変わった？", False),     # about the outline's content
    ("業務継続計画は見直す？", False),
    ("Will the BCP be updated?", False),
    ("PFIとは何ですか", False),
])
def test_revision_questions_are_told_apart_from_outline_questions(question, expected):
    assert is_revision_question(question) is expected


def test_line_change_marks_only_changed_lines():
    assert LineChange("added", new="・新").marked() == ("", "・新")
