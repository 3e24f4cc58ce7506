"""Learning from staff: synonym lines proposed for questions not answered or marked 👎
(`reformbot feedback suggest`), accepted into the synonyms file (`reformbot feedback accept N`)."""
from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from bot.suggest import (
    Vocabulary,
    WordProposal,
    TermMatch,
    character_similarity,
    nearest_by_characters,
    nearest_by_embedding,
    propose,
    unmatched_words,
)
from feedback.answers import FeedbackStore, UnknownSuggestion
from bot.suggest_service import add_lines
from index.synonyms import SynonymLineError, parse_line
from suggest_support import ANSWER_WORD, EXPECTED_LINE, REFUSED_PARAPHRASE, private_data_dir, reuse_model


def vocab(*terms: str, embed=None) -> Vocabulary:
    return Vocabulary(terms=terms, known=frozenset(terms), text="".join(terms), embed=embed)


# --- the pure suggestion functions ---------------------------------------------------------------
def test_a_word_no_document_uses_is_unmatched_and_document_words_are_not():
    v = vocab("団体", "支援", "市民")
    assert unmatched_words("団体へのサポートは？", v) == ["サポート"]
    assert unmatched_words("団体への支援は？", v) == []


def test_words_a_rule_already_maps_are_not_proposed_again():
    v = vocab("団体", "支援")
    assert unmatched_words("団体へのサポートは？", v, handled=["サポート"]) == []


def test_one_character_words_and_numbers_are_never_proposed():
    assert unmatched_words("職員の数は2025年に？", vocab("職員")) == []


def test_verbs_are_proposed_in_their_dictionary_form():
    assert unmatched_words("税金を払って", vocab("税金")) == ["払う"]


def test_nearest_by_characters_shares_kanji_and_ignores_kana_endings():
    v = vocab("寄附", "時間外勤務", "予算")
    assert [m.term for m in nearest_by_characters("寄付", v)] == ["寄附"]
    assert nearest_by_characters("残業", v) == ()                    # nothing shared: meaning must do it
    assert character_similarity("寄付", "寄附") == pytest.approx(1 / 3)
    # ー and ト alone say nothing: サポート is not スマート
    assert nearest_by_characters("サポート", vocab("スマート")) == ()


def test_nearest_by_embedding_with_the_fake_embedder():
    from index.embedder import FakeEmbedder

    fake = FakeEmbedder(dim=256)
    v = vocab("人口減少", "寄付", "計画期間", embed=fake.embed_queries)
    nearest = nearest_by_embedding("寄付金", v)
    assert nearest[0].term == "寄付" and nearest[0].score > nearest[1].score
    assert nearest_by_embedding("寄付金", vocab("寄付")) == ()        # no embedder: nothing by meaning


def test_the_line_is_one_way_from_the_question_word_to_the_document_terms():
    w = WordProposal("残業", by_embedding=(TermMatch("時間外勤務", 0.9),), by_characters=())
    assert w.line() == "残業 => 時間外勤務"
    w = WordProposal("寄付", by_embedding=(TermMatch("財源", 0.9),), by_characters=(TermMatch("寄附", 0.33),))
    assert w.line() == "寄付 => 財源, 寄附"
    weak = WordProposal("市役所", by_characters=(TermMatch("市民", 0.25),))
    assert weak.line() == ""                                        # one common kanji is not enough
    rule = parse_line(w.line())
    assert rule.left == ("寄付",) and rule.right == ("財源", "寄附")


def test_propose_gives_one_line_per_unmatched_word():
    p = propose("寄付で集めた額は？", vocab("寄附", "確保", "額"))
    assert p.lines == ("寄付 => 寄附",) or p.lines[0].startswith("寄付 => 寄附")


# --- the synonyms file ---------------------------------------------------------------------------
def test_accepted_lines_are_written_once_and_bad_lines_not_at_all(tmp_path):
    path = tmp_path / "conf" / "synonyms.txt"
    assert add_lines(path, ["サポート => 支援"]).added == ("サポート => 支援",)
    again = add_lines(path, ["サポート=>支援", "ＢＣＰ, 業務継続計画"])       # the same rule, spaced otherwise
    assert again.already == ("サポート => 支援",) and again.added == ("ＢＣＰ, 業務継続計画",)
    assert path.read_text(encoding="utf-8") == "サポート => 支援\nＢＣＰ, 業務継続計画\n"
    for bad in (["ひとつ"], ["a => b => c"], ["ok => fine", "# only a comment"]):
        with pytest.raises(SynonymLineError):
            add_lines(path, bad)
    assert "ok" not in path.read_text(encoding="utf-8")


# --- the feedback database ------------------------------------------------------------------------
def test_problem_questions_are_grouped_newest_first_without_user_ids(tmp_path):
    store = FeedbackStore(tmp_path / "fb.db")
    store.record_answer(question="団体へのサポートは？", chunk_ids=[], found=False, user_id="U1")
    store.record_answer(question="計画期間は？", chunk_ids=["a"], found=True, user_id="U2")
    down = store.record_answer(question="PFIとは", chunk_ids=["b"], found=True, user_id="U3")
    store.vote(down, user_id="U3", channel_id="C", verdict="down")
    store.record_answer(question="団体へのサポートは?", chunk_ids=[], found=False, user_id="U4")
    problems = store.problem_questions()
    assert [(p.question, p.not_answered, p.votes_down) for p in problems] == [
        ("団体へのサポートは?", 2, 0), ("PFIとは", 0, 1)]
    assert "U1" not in json.dumps([p.__dict__ for p in problems])
    # answered since: no longer a problem
    store.record_answer(question="団体へのサポートは？", chunk_ids=["c"], found=True)
    assert [p.question for p in store.problem_questions()] == ["PFIとは"]


def test_the_list_shown_is_kept_so_numbers_do_not_shift(tmp_path):
    store = FeedbackStore(tmp_path / "fb.db")
    store.remember_suggestions([("q1", ["a => b"]), ("q2", [])])
    store.record_answer(question="new", chunk_ids=[], found=False)      # arrives after the list
    assert store.shown_suggestion(1).lines == ("a => b",) and store.shown_suggestion(2).question == "q2"
    with pytest.raises(UnknownSuggestion):
        store.shown_suggestion(3)
    assert stat.S_IMODE(os.stat(tmp_path / "fb.db").st_mode) == 0o600


# --- the CLI ---------------------------------------------------------------------------------------
def cli(*args: str, env: dict | None = None):
    from bot.cli import _add_subcommands, app

    _add_subcommands()
    return CliRunner().invoke(app, list(args), env=env)


def test_accept_without_a_list_is_one_error_line(tmp_path):
    r = cli("feedback", "accept", "1", env={"REFORMBOT_DATA_DIR": str(tmp_path / "d")})
    assert r.exit_code == 2
    assert r.output.strip().startswith("error: ") and len(r.output.strip().splitlines()) == 1
    FeedbackStore(tmp_path / "d" / "reformbot.db").close()
    r = cli("feedback", "accept", "3", env={"REFORMBOT_DATA_DIR": str(tmp_path / "d")})
    assert r.exit_code == 2 and "run `reformbot feedback suggest`" in r.output
    assert len(r.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_refused_question_is_answered_after_its_suggestion_is_accepted(real_settings, real_qa, tmp_path, monkeypatch):
    """The issue's test, for real: real index and model, a running service, no restart."""
    from dataclasses import replace

    from bot.service import QAService

    data = private_data_dir(real_settings, tmp_path / "data")
    settings = replace(real_settings, data_dir=data)
    env = {"REFORMBOT_DATA_DIR": str(data)}
    opener = reuse_model(real_qa)
    monkeypatch.setattr("bot.indexing.open_retriever_from_settings", opener)   # the CLI reuses the model too
    server = QAService(settings, open_retriever=opener)                       # "the running server"

    refused = server.ask(REFUSED_PARAPHRASE)
    assert not refused.found
    store = FeedbackStore(settings.database_path)
    store.record_answer(question="ごみの収集日は？", chunk_ids=[], found=False, surface="web")
    store.record_answer(question=REFUSED_PARAPHRASE, chunk_ids=[s.id for s in refused.sources],
                        found=refused.found, surface="web", user_id="U0SECRET")

    shown = cli("feedback", "suggest", env=env)
    assert shown.exit_code == 0, shown.output
    assert f"  1. {REFUSED_PARAPHRASE}" in shown.output and EXPECTED_LINE in shown.output
    assert "with this line: answered from" in shown.output          # the preview, before accepting
    assert "U0SECRET" not in shown.output
    as_json = json.loads(cli("feedback", "suggest", "--json", "--limit", "5", env=env).output)
    assert as_json[0]["question"] == REFUSED_PARAPHRASE and as_json[0]["lines"][0].startswith(EXPECTED_LINE)
    assert as_json[0]["words"][0]["by_embedding"] and as_json[0]["with_lines"]["found"] is True

    # a new question between suggest and accept: N still means what was shown
    store.record_answer(question="水道料金は上がりますか", chunk_ids=[], found=False, surface="api")
    store.close()
    accepted = cli("feedback", "accept", "1", env=env)
    assert accepted.exit_code == 0, accepted.output
    assert f"added: {EXPECTED_LINE}" in accepted.output
    written = settings.synonyms_path.read_text(encoding="utf-8")
    assert written.startswith(EXPECTED_LINE) and written.count("\n") == 1

    server.refresh()            # the server's index watcher tick: it sees the changed file
    answered = server.ask(REFUSED_PARAPHRASE)
    assert answered.found and ANSWER_WORD in answered.sources[0].text

    again = cli("feedback", "accept", "1", env=env)
    assert again.exit_code == 0 and "already in the file" in again.output
    assert settings.synonyms_path.read_text(encoding="utf-8").count(EXPECTED_LINE) == 1
    edited = cli("feedback", "accept", "1", "--edit", "ひとつ", env=env)
    assert edited.exit_code == 2 and edited.output.startswith("error: ")
