"""Two documents in one index with the real default model: which document answers, as staff see it."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import document_support as D
from bot import cli
from bot.service import QAService
from bot.settings import DEFAULT_CORPUS, Settings

cli._add_subcommands()
runner = CliRunner()


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("real-docs") / "data")
    r = runner.invoke(cli.app, ["index", "build", "--source", str(DEFAULT_CORPUS), "--source", str(D.MIDORI)],
                      env={"REFORMBOT_DATA_DIR": str(settings.data_dir)})
    assert r.exit_code == 0, r.output
    return QAService(settings)


def choose(qa, *args):
    r = runner.invoke(cli.app, ["index", "current-document", *args], env={"REFORMBOT_DATA_DIR": str(qa.settings.data_dir)})
    assert r.exit_code == 0, r.output


def test_ambiguous_question_answered_from_the_current_document_with_the_other_shown(qa):
    choose(qa, "--newest")
    a = qa.ask("計画期間は？")
    assert a.found and a.document.id == D.MIDORI_ID and "令和８年度から令和12年度まで" in a.answer
    [other] = a.other_sources
    assert other.document.id == D.OUTLINE_7_ID and "令和３年度から令和８年度まで" in other.text


def test_the_previous_plan_of_the_only_plan_is_the_one_its_text_talks_about(qa):
    a = qa.ask("前のプランの財政効果はいくら？")      # 第２次プラン: 累計１８億円 (not the outline, an older document)
    assert a.found and a.document.id == D.MIDORI_ID and "１８億円" in a.answer


def test_a_named_document_answers_whatever_is_current(qa):
    choose(qa, D.OUTLINE_7_ID)
    try:
        a = qa.ask("計画期間は？")
        assert a.found and a.document.id == D.OUTLINE_7_ID and "令和３年度から令和８年度まで" in a.answer
        assert [s.document.id for s in a.other_sources] == [D.MIDORI_ID]
        a = qa.ask("みどり市のプランの計画期間は？")
        assert a.found and a.document.id == D.MIDORI_ID and "令和８年度から令和12年度まで" in a.answer
        assert a.other_sources == ()
    finally:
        choose(qa, "--newest")
    a = qa.ask("第７次大綱の重点目標は何ですか")
    assert a.found and a.document.id == D.OUTLINE_7_ID and "重点目標" in a.answer
    a = qa.ask("What is the plan period of the 7th outline?")
    assert a.found and a.document.id == D.OUTLINE_7_ID and "令和３年度から令和８年度まで" in a.answer


def test_named_items_are_those_of_the_document_answered_from(qa):
    """bot/structure.py reads the labels of the document the answer is about, not the whole index."""
    missing = qa.ask("みどり市のプランの基本方針５は？")
    assert not missing.found and "基本方針Ⅰ" in missing.notice and "基本方針Ⅳ" in missing.notice
    third = qa.ask("みどり市のプランの基本方針Ⅲの取組は？")
    assert third.found and "メンター" in third.answer and "ネーミングライツ" not in third.answer
    assert third.sources[0].document.id == third.document.id != qa.ask("大綱の計画期間は？").document.id
    goal = qa.ask("大綱の重点目標４は何ですか")
    assert not goal.found and "重点目標１" in goal.notice and "基本方針" not in goal.notice
