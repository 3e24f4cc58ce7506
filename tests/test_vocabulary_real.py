"""The query vocabulary on real indexes: the default model, documents parsed for real."""
from __future__ import annotations

import dataclasses
import unicodedata

import pytest

SMALL_PLAN = """第２次さくら町防災計画（案）の概要

１ 計画の背景
・地域防災拠点整備計画（ＺＢＫ）を令和９年度までに策定します。
・町内の避難所の配置を見直します。

２ 主な取組
(1) 拠点の整備
・地域防災拠点整備計画の対象は小学校３０校です。
・非常用発電機を全ての拠点に配備します。
(2) 訓練
・防災訓練を年２回実施します。
"""


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    """An index of a plan written here, whose abbreviation ＺＢＫ no data file knows."""
    from bot.service import QAService
    from document_support import built_plan

    return QAService(built_plan(tmp_path_factory.mktemp("small-plan"), "sakura-bousai.txt", SMALL_PLAN))


def test_an_abbreviation_only_the_document_defines_is_answered(small_plan):
    """「ＺＢＫ」 is spelled out once, in another section; the passage that answers uses the long form."""
    from index.lexicon import QueryVocabulary

    retriever = small_plan.retriever
    assert "地域防災拠点整備計画" in retriever.lexicon.expand("ZBKの対象校は何校？")
    answer = small_plan.ask("ZBKの対象校は何校？")
    assert answer.found and "30校" in _squash(answer.sources[0].text)
    # without the document's own terms the same question finds no such passage first
    bare = QueryVocabulary(in_document=lambda w: w in retriever.corpus_text)
    assert "地域防災拠点整備計画" not in bare.expand("ZBKの対象校は何校？")


@pytest.mark.parametrize("question, expected", [
    ("What is the plan period?", "令和12年度"),
    ("What is the target for online applications?", "６０％以上"),
    ("How will the city cut spending?", "歳出の見直し"),
    ("What is the upper limit on overtime?", "３６０時間"),
])
def test_english_questions_on_another_plan_need_no_line_of_their_own(midori_qa, question, expected):
    """The practice plan is in no data file: the general vocabulary and its own words carry English."""
    answer = midori_qa.ask(question)
    assert answer.found, answer
    assert any(_squash(expected) in _squash(f"{s.section}{s.text}") for s in answer.sources[:3])


def test_a_running_server_picks_up_an_edited_synonyms_file(real_settings, tmp_path):
    """A question refused before is answered after a line is added, with no restart: the server's
    watcher calls refresh(), which sees the changed file."""
    from bot.service import QAService
    from index.synonyms import append_synonym

    path = tmp_path / "synonyms.txt"
    path.write_text("# the admin's synonyms\nこれは壊れた行\n", encoding="utf-8")      # malformed: skipped
    qa = QAService(dataclasses.replace(real_settings, synonyms_file=str(path)))
    question = "ヨコモジは何年間？"
    assert not qa.ask(question).found
    append_synonym(path, "ヨコモジ => 大綱")
    assert qa.refresh() is False          # no new index version; the synonyms were read again
    after = qa.ask(question)
    assert after.found and "6年間" in _squash(after.sources[0].text)
    # and reload_synonyms() (what `feedback accept` calls) applies the file at once
    path.write_text("", encoding="utf-8")
    assert qa.reload_synonyms() == 0
    assert not qa.ask(question).found
