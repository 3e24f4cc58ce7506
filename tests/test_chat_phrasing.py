"""Chat phrasing never changes the answer (bot/chat.py): greetings, preambles, sign-offs, mentions,
links and emoji around a question give the same answer as the bare question."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat import read_message, strip_markup
from chat_support import ENGLISH_WRAPPERS, JAPANESE_WRAPPERS, questions, wrappings

DEV_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev_qa.tsv"
MIDORI_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "practice" / "midori-qa.tsv"
IDENTICAL_TARGET = 0.98
"""Issue 12: wrapped questions get the bare question's found/not-found and first source for ≥ 0.98."""


@pytest.mark.parametrize("message, question", [
    ("お疲れ様です。BCPって何ですか？", "BCPって何ですか？"),
    ("田中さんに聞かれたのですが、BCPって何ですか？", "BCPって何ですか？"),
    ("<@U0123ABC> さんに聞かれたのですが、BCPって何ですか？", "BCPって何ですか？"),
    ("田中さんにBCPって何か聞かれたのですが", "BCPって何か"),
    ("田中さんから「BCPって何ですか？」と聞かれたのですが、わかりますか？", "BCPって何ですか？"),
    ("お世話になっております。計画期間は？よろしくお願いします。", "計画期間は？"),
    ("【至急】BCPとは？ :pray:", "BCPとは？"),
    # how the question reached the asker, and a wish to know soon, are not the question
    ("市民の方から電話で問い合わせがあって、BCPって何？と聞かれました。", "BCPって何？"),
    ("窓口で相談を受けまして、PFIの正式名称は？", "PFIの正式名称は？"),
    ("【至急】What does PFI stand for?今日中に知りたいです。", "What does PFI stand for?"),
    ("ちょっと確認なんですけど、BCPって何？ってわかります？", "BCPって何？"),
    ("BCPって何？（窓口で聞かれて困ってます）", "BCPって何？"),
    ("すみません、ちょっと教えてください。PFIの正式名称は？", "PFIの正式名称は？"),
    ("<#C0123|general> <!here> BCPの意味を教えて 🙏", "BCPの意味を教えて"),
    ("https://example.org/x BCPって何ですか", "BCPって何ですか"),
    ("参考 <https://example.org/a|資料> BCPって？", "BCPって？"),
    ("Hi team, what does PFI stand for? Thanks in advance!", "what does PFI stand for?"),
    ("<@U0123ABC> asked me: what is PPP?", "what is PPP?"),
    ("BCPって何ですか。よろしくお願いします :bow:", "BCPって何ですか。"),
    ("BCPって何ですか よろしくお願いします", "BCPって何ですか"),
    ("Morning team, what is PPP? No rush.", "what is PPP?"),
])
def test_the_question_is_read_out_of_the_chat_phrasing(message, question):
    assert read_message(message).question == question


@pytest.mark.parametrize("bare", ["BCPの意味を教えて", "BCPの説明をお願いします", "大綱の計画期間は何年間？", "What does PFI stand for?",
                                  "history of the plan?", "第4次・第5次行政改革で職員数はどうした？",
                                  "お疲れ様の言い方は？", "Hints for the budget?"])
def test_a_bare_question_is_left_as_it_is(bare):
    assert read_message(bare).question == bare


def test_a_thank_you_alone_is_social_and_a_thank_you_with_a_question_is_not():
    assert read_message("ありがとうございます！").social_only
    assert read_message("thanks :pray:").social_only
    thanks_and_question = read_message("ありがとう。ところでPFIとは？")
    assert not thanks_and_question.social_only
    assert thanks_and_question.question == "PFIとは？" and thanks_and_question.new_topic


def test_markup_goes_but_link_words_stay():
    assert strip_markup("<@U01> <#C01|general> <!channel> :+1: 👍🏽 BCP") == "BCP"
    assert "資料" in strip_markup("<https://example.org/a|資料>") and "example" not in strip_markup("<https://example.org/a|資料>")


def test_wrappings_are_deterministic_and_meet_every_wrapper():
    qs = questions(DEV_SET)
    assert wrappings(qs[0], 0) == wrappings(qs[0], 0)
    ja = [w for i, q in enumerate(qs) for w in wrappings(q, i)]
    assert len({t for t in JAPANESE_WRAPPERS if any(t.format(q=q) in ja for q in qs)}) == len(JAPANESE_WRAPPERS)
    assert wrappings("What does PFI stand for?", 0)[0] in [t.format(q="What does PFI stand for?") for t in ENGLISH_WRAPPERS]


def _identical(qa, path: Path) -> tuple[int, int, list[str]]:
    same, total, diffs = 0, 0, []
    for i, q in enumerate(questions(path)):
        bare = qa.ask(q)
        expected = (bare.found, bare.sources[0].id if bare.sources else None)
        for wrapped in wrappings(q, i):
            a = qa.ask(wrapped)
            total += 1
            assert a.question == " ".join(wrapped.split())      # the contract keeps what was typed
            if (a.found, a.sources[0].id if a.sources else None) == expected:
                same += 1
            else:
                diffs.append(f"{wrapped!r} searched as {a.meta.get('asked')!r}")
    return same, total, diffs


@pytest.mark.slow
def test_wrapped_dev_questions_get_the_bare_answer(real_qa, midori_qa):
    """The dev set (bundled outline) and the practice set (みどり市), four wrappings a question,
    against the real indexes: found/not-found and the first source as for the bare question.
    Measured 304/304 = 1.000 (main before this change: 169/304 = 0.556)."""
    same_dev, total_dev, diffs_dev = _identical(real_qa, DEV_SET)
    same_mid, total_mid, diffs_mid = _identical(midori_qa, MIDORI_SET)
    same, total = same_dev + same_mid, total_dev + total_mid
    assert total >= 300
    assert same / total >= IDENTICAL_TARGET, "\n".join(diffs_dev + diffs_mid)


@pytest.mark.slow
def test_a_colleagues_mention_inside_the_question_does_not_change_the_answer(real_qa):
    bare = real_qa.ask("BCPって何ですか？")
    wrapped = real_qa.ask("<@U0COLLEAGUE> さんに聞かれたのですが、BCPって何ですか？")
    assert bare.found and wrapped.found and wrapped.sources[0].id == bare.sources[0].id
    assert wrapped.meta["asked"] == "BCPって何ですか？" and wrapped.searched_as == ""


def test_a_sentence_that_names_what_the_documents_know_stays_beside_the_question():
    corpus = "業務継続計画（ＢＣＰ）の見直し"
    message = "業務継続計画の件です。いつ見直しますか？ 資料はこちら"
    assert read_message(message, lambda w: w in corpus).question == "業務継続計画の件です。 いつ見直しますか？"
    assert read_message(message).question == "いつ見直しますか？"          # without the documents' words
