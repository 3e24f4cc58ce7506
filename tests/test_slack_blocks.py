"""Block Kit rendering and language choice: pure functions, plain unit tests."""
from __future__ import annotations

import json

import pytest

from bot.contract import Answer, GlossaryNote, Source
from bot.slack import blocks as bk
from bot.slack.messages import MESSAGES, detect_language
from slack_helpers import found_answer, not_found_answer


def texts(obj):
    """Every text string inside a Block Kit structure."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "text" and isinstance(v, str):
                yield v
            else:
                yield from texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from texts(v)


def huge_answer(n_sources=80, n_terms=80, chars=9000) -> Answer:
    sources = tuple(
        Source(rank=i + 1, text="行政改革" * (chars // 4), section=f"節{i} › " + "長い見出し" * 200, page=i,
               score=0.5, kind="body", id=f"c{i}")
        for i in range(n_sources)
    )
    glossary = tuple(GlossaryNote(term=f"用語{i}" * 50, definition="定義" * 5000) for i in range(n_terms))
    return Answer(question="質問" * 3000, found=True, answer="冒頭" * 5000, sources=sources, glossary=glossary,
                  index_version="v9")


@pytest.mark.parametrize("found", [True, False])
def test_limits_are_respected_by_trimming(found):
    answer = huge_answer()
    if not found:
        answer = Answer(**{**answer.__dict__, "found": False})
    msg = bk.answer_message(answer, lang="ja", status={"index_version": "v9", "built_at": "2026-11-27"},
                            answer_id=7, ephemeral=True, asked_by="U1")
    assert len(msg.blocks) <= bk.MAX_BLOCKS_MESSAGE
    assert all(len(t) <= bk.MAX_TEXT for t in texts(msg.blocks))
    assert len(msg.text) <= bk.MAX_FALLBACK
    # the buttons and the context line survive trimming
    assert msg.blocks[-1]["block_id"] == bk.BLOCK_FEEDBACK
    assert msg.blocks[-2]["block_id"] == bk.BLOCK_CONTEXT
    for element in msg.blocks[-1]["elements"]:
        assert len(element["text"]["text"]) <= bk.MAX_BUTTON_TEXT and element["value"] == "7"


def test_many_glossary_notes_trimmed_with_a_note():
    answer = found_answer("q")
    answer = Answer(**{**answer.__dict__, "glossary": tuple(GlossaryNote(f"T{i}", "d") for i in range(60))})
    msg = bk.answer_message(answer, lang="en", answer_id=1)
    assert len(msg.blocks) == bk.MAX_BLOCKS_MESSAGE
    assert any("shortened" in t for t in texts(msg.blocks))


def test_citation_and_quote_escape_markup_but_keep_text():
    src = Source(rank=1, text="A < B & C > D\n二行目", section="５ 章 › (2) 節", page=5, score=1, kind="body", id="x",
                 page_label="大綱P.5")
    assert bk.citation(src) == "５ 章 › (2) 節 (大綱P.5)"
    assert bk.citation(Source(**{**src.__dict__, "page": None})) == "５ 章 › (2) 節"
    # A page without the document's own wording is cited as p.N (no 大綱 for a document that is not one).
    assert bk.citation(Source(**{**src.__dict__, "page_label": ""})) == "５ 章 › (2) 節 (p.5)"
    assert bk.quote(src.text, 100) == "> A &lt; B &amp; C &gt; D\n> 二行目"


@pytest.mark.parametrize("found", [True, False])
def test_fallback_text_is_escaped_like_the_blocks(found):
    """The fallback ``text`` is mrkdwn too: a question or passage cannot become a mention or a link."""
    question = "<!channel> <https://evil.example|こちら> & <@U0BOSS>"
    src = Source(rank=1, text="A<B & <!here>", section="節 <x>", page=1, score=0.9, kind="body", id="c1")
    answer = Answer(question=question, found=found, answer="A<B & <!here>", sources=(src,),
                    glossary=(GlossaryNote("<T>", "<!everyone>"),) if found else (), index_version="v1")
    msg = bk.answer_message(answer, lang="ja", contact="課<内線>", asked_by="U0ASKER")
    for raw in ("<!channel>", "<https://", "<@U0BOSS>", "<!here>", "<!everyone>", "<x>", "<内線>", "<T>"):
        assert raw not in msg.text
    assert "&lt;!channel&gt; &lt;https://evil.example|こちら&gt; &amp; &lt;@U0BOSS&gt;" in msg.text
    simple = bk.simple_message("<!channel> 失敗")
    assert simple.text == "&lt;!channel&gt; 失敗"


def test_lead_passage_not_repeated_when_it_is_a_source():
    answer = found_answer("計画期間は？")
    body = json.dumps(bk.answer_message(answer, lang="ja").blocks, ensure_ascii=False)
    assert body.count("令和３年度から令和８年度までの６年間") == 1


def test_lead_with_a_heading_replaces_its_source_instead_of_repeating_it():
    definition = "ＰＰＰの一類型であり、民間の資金や経営能力を活用する事業手法です。"
    src = Source(rank=1, text=definition, section="用語説明 › ※3 ＰＦＩ", page=2, score=1, kind="glossary", id="g-pfi",
                 page_label="大綱P.2")
    answer = Answer(question="PFIとは", found=True, answer="※3 ＰＦＩ（Private Finance Initiative の略）\n" + definition,
                    sources=(src,))
    status = {"title": "第７次厚木市行政改革大綱（案）の概要について", "index_version": "v1"}
    body = json.dumps(bk.answer_message(answer, lang="ja", status=status).blocks, ensure_ascii=False)
    assert body.count("ＰＰＰの一類型") == 1 and "Private Finance Initiative の略" in body
    assert "用語説明 › ※3 ＰＦＩ (大綱P.2)" in body
    assert "出典：第７次厚木市行政改革大綱・索引 v1" in body and "*大綱の該当箇所*" in body      # named from the title
    other = dict(status, title="第３次みどり市行財政改革プラン（素案）概要版")
    body = json.dumps(bk.answer_message(answer, lang="ja", status=other).blocks, ensure_ascii=False)
    assert "*プランの該当箇所*" in body and "出典：第３次みどり市行財政改革プラン・索引 v1" in body


def test_a_lead_that_is_not_a_source_is_shown_first():
    answer = Answer(**{**found_answer("q").__dict__, "answer": "要約ではなく大綱の一文。"})
    blocks = bk.answer_message(answer, lang="ja").blocks
    assert "大綱の一文" in blocks[1]["text"]["text"]


def test_not_found_answer_is_labelled_related_not_answer():
    msg = bk.answer_message(not_found_answer("ごみの収集日は？"), lang="ja", contact="行政経営課")
    body = json.dumps(msg.blocks, ensure_ascii=False)
    assert "見つかりませんでした" in body and "回答ではありません" in body and "行政経営課" in body
    assert "大綱の該当箇所" not in body


def test_no_buttons_without_answer_id_and_status_line_placement():
    msg = bk.answer_message(found_answer("q"), lang="ja")
    assert all(b.get("block_id") != bk.BLOCK_FEEDBACK for b in msg.blocks)
    voted = bk.with_feedback_status(bk.answer_message(found_answer("q"), lang="ja", answer_id=3).blocks, "ありがとう")
    ids = [b.get("block_id") for b in voted]
    assert ids[-2:] == [bk.BLOCK_FEEDBACK_STATUS, bk.BLOCK_FEEDBACK]
    again = bk.with_feedback_status(voted, "ありがとう（2）")
    assert [b.get("block_id") for b in again].count(bk.BLOCK_FEEDBACK_STATUS) == 1


def test_home_view_limits_and_unavailable_index():
    many = [("x", [bk.section("y" * 5000)] * 150)]
    view = bk.home_view(None, "ja", sections=many)
    assert view["type"] == "home" and len(view["blocks"]) <= bk.MAX_BLOCKS_VIEW
    assert all(len(t) <= bk.MAX_TEXT for t in texts(view))
    assert "reformbot index build" in json.dumps(view, ensure_ascii=False)


def test_feedback_modal_shape():
    view = bk.feedback_modal(5, "en", channel_id="C1", message_ts="1.2")
    assert view["type"] == "modal" and view["callback_id"] == bk.MODAL_FEEDBACK
    assert json.loads(view["private_metadata"]) == {"answer_id": 5, "lang": "en", "channel": "C1", "ts": "1.2"}
    assert len(view["title"]["text"]) <= 24
    assert view["blocks"][0]["optional"] is True


@pytest.mark.parametrize(
    "question, lang",
    [
        ("第７次大綱の計画期間は？", "ja"),
        ("PFIとは何ですか", "ja"),              # Latin acronym in a Japanese question
        ("ＢＣＰって？", "ja"),
        ("What does BCP stand for?", "en"),
        ("what is PPP", "en"),
        ("BCP", "ja"),                          # a bare acronym is not an English question
        ("PFI?", "ja"),
        ("BCP meaning", "en"),
        ("？", "ja"),
        ("", "ja"),
    ],
)
def test_language_follows_the_question(question, lang):
    assert detect_language(question) == lang


def test_every_message_exists_in_both_languages():
    assert MESSAGES["ja"].keys() == MESSAGES["en"].keys()
