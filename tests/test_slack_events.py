"""The bot driven as Slack drives it: signed requests to /slack/events, replies read off the emulator."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.service import MAX_QUESTION_CHARS
from slack_emulator import BOT_ID, BOT_USER_ID
from slack_helpers import (
    SIGNING_SECRET,
    FakeQA,
    event_callback,
    found_answer,
    mention,
    message,
    slack_harness,
    strip_environment,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


@pytest.fixture
def slack(tmp_path):
    with slack_harness(tmp_path / "data") as h:
        yield h


@pytest.fixture
def serial_slack(tmp_path):
    """Listeners on one worker thread, so "nothing was posted for X" can be checked after Y's reply."""
    executor = ThreadPoolExecutor(max_workers=1)
    with slack_harness(tmp_path / "data", listener_executor=executor) as h:
        yield h
    executor.shutdown(wait=True)


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- protocol -----------------------------------------------------------------------------
def test_url_verification_is_answered(slack):
    r = slack.post({"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"})
    assert r.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in r.text


def test_bad_signature_gets_401_and_no_reply(slack):
    r = slack.event(mention("計画期間は？"), secret="not-the-secret")
    assert r.status_code == 401
    r = slack.event(mention("計画期間は？"), timestamp=int(time.time()) - 10 * 60)   # stale: replayed
    assert r.status_code == 401
    assert slack.emulator.calls_to("chat.postMessage") == []
    assert slack.qa.calls == []


def test_unsigned_request_gets_401(slack):
    body = json.dumps(event_callback(mention("計画期間は？")))
    r = slack.http.post("/slack/events", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 401


# --- conversations ------------------------------------------------------------------------
def test_mention_is_answered_in_its_thread_with_citations_and_eyes(slack):
    event = mention("第７次大綱の計画期間は？", channel="C0GYOKAKU")
    r = slack.event(event)
    assert r.status_code == 200

    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == "C0GYOKAKU"
    assert post["thread_ts"] == event["ts"]
    blocks = all_text(post["blocks"])
    assert "令和３年度から令和８年度までの６年間" in blocks                   # outline text, quoted as written
    assert "(2) 計画の位置付け・計画期間 (大綱P.5)" in blocks                 # breadcrumb + page
    assert "Private Finance Initiative の略" in blocks                        # glossary definition
    assert "v1-test" in blocks and "2026-11-27" in blocks                     # index version/date context line
    assert "feedback_up" in blocks and "feedback_down" in blocks
    assert "６年間" in post["text"] and "大綱P.5" in post["text"]            # plain-text fallback
    assert post.headers["authorization"] == "Bearer xoxb-test-token"
    assert slack.qa.calls == [("第７次大綱の計画期間は？", ())]               # mention stripped

    slack.emulator.wait_for("reactions.remove")
    methods = [m for m in slack.emulator.methods() if m.startswith(("reactions", "chat."))]
    assert methods == ["reactions.add", "chat.postMessage", "reactions.remove"]
    add = slack.emulator.calls_to("reactions.add")[0]
    assert (add["name"], add["channel"], add["timestamp"]) == ("eyes", "C0GYOKAKU", event["ts"])


def test_english_question_gets_english_wording_and_outline_text_as_written(slack):
    slack.event(mention("What does PFI stand for?"))
    [post] = slack.emulator.wait_for("chat.postMessage")
    blocks = all_text(post["blocks"])
    assert "From the outline" in blocks and "Helpful" in blocks and "index v1-test" in blocks
    assert "大綱の該当箇所" not in blocks and "役に立った" not in blocks
    assert "令和３年度から令和８年度まで" in blocks                           # quoted text untranslated


def test_unanswered_question_says_so_labels_related_and_names_contact(tmp_path):
    with slack_harness(tmp_path / "data", settings_overrides={"contact": "行政経営課（内線1234）"}) as slack:
        slack.event(mention("ごみの収集日は？"))
        [post] = slack.emulator.wait_for("chat.postMessage")
    blocks = all_text(post["blocks"])
    assert "見つかりませんでした" in blocks
    assert "関連しそうな箇所" in blocks and "回答ではありません" in blocks
    assert "行政経営課（内線1234）にお問い合わせください" in blocks
    assert "見つかりませんでした" in post["text"] and "行政経営課（内線1234）" in post["text"]


def test_unanswered_english_question(slack):
    slack.event(mention("When is garbage collected?"))
    [post] = slack.emulator.wait_for("chat.postMessage")
    blocks = all_text(post["blocks"])
    assert "does not appear to answer" in blocks and "not an answer" in blocks and "please ask 行政経営課" in blocks


def test_direct_message_is_answered_in_the_dm(slack):
    event = message("PFIとは何ですか", channel="D0DM00001")
    slack.event(event)
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == "D0DM00001"
    assert "thread_ts" not in post.body                                       # a plain DM reply
    assert "大綱P.5" in post["text"]


def test_follow_up_in_the_thread_uses_the_earlier_question(slack):
    first = mention("第７次大綱の計画期間は？", channel="C0GYOKAKU")
    slack.event(first)
    slack.emulator.wait_for("chat.postMessage")
    # A reply in the thread, no mention: Slack sends it as message.channels.
    follow = message("第１期はいつまで？", channel="C0GYOKAKU", channel_type="channel", thread_ts=first["ts"])
    slack.event(follow)
    posts = slack.emulator.wait_for("chat.postMessage", count=2)
    assert posts[1]["thread_ts"] == first["ts"]
    question, history = slack.qa.calls[1]
    # The earlier question, with the section that answered it (bot/conversation.py reads both).
    assert question == "第１期はいつまで？" and [h["question"] for h in history] == ["第７次大綱の計画期間は？"]
    assert history[0]["section"] == found_answer("第７次大綱の計画期間は？").sources[0].section


def test_reply_in_a_thread_under_a_dm_answer_is_a_follow_up(slack):
    slack.event(message("第７次大綱の計画期間は？", channel="D0DM00001"))
    [answer] = slack.emulator.wait_for("chat.postMessage")
    slack.emulator.wait_for("reactions.remove")            # the answer's ts is logged by now
    follow = message("第１期は？", channel="D0DM00001", thread_ts=answer.response["ts"])
    slack.event(follow)
    posts = slack.emulator.wait_for("chat.postMessage", count=2)
    assert posts[1]["thread_ts"] == answer.response["ts"]
    question, history = slack.qa.calls[1]
    assert question == "第１期は？" and [h["question"] for h in history] == ["第７次大綱の計画期間は？"]


def test_thread_chatter_from_others_and_thanks_are_not_answered(serial_slack):
    slack = serial_slack
    first = mention("第７次大綱の計画期間は？", channel="C0GYOKAKU", user="U0ASKER")
    slack.event(first)
    slack.emulator.wait_for("chat.postMessage")
    in_thread = dict(channel="C0GYOKAKU", channel_type="channel", thread_ts=first["ts"])
    slack.event(message("ありがとうございます！", user="U0ASKER", **in_thread))      # not a question
    slack.event(message("会議室どこでしたっけ", user="U0COLLEAGUE", **in_thread))    # not talking to the bot
    slack.event(message("第２期は？", user="U0ASKER", **in_thread))                  # a follow-up
    posts = slack.emulator.wait_for("chat.postMessage", count=2)
    slack.bot.close()                                   # every listener has run
    assert len(slack.emulator.calls_to("chat.postMessage")) == 2
    assert posts[1]["thread_ts"] == first["ts"]
    assert [q for q, _ in slack.qa.calls] == ["第７次大綱の計画期間は？", "第２期は？"]


def test_channel_messages_outside_bot_threads_are_ignored(serial_slack):
    slack = serial_slack
    slack.event(message("雑談です", channel="C0GYOKAKU", channel_type="channel"))
    slack.event(message("別スレッド", channel="C0GYOKAKU", channel_type="channel", thread_ts="1600000000.000001"))
    slack.event(mention("計画期間は？", channel="C0MARKER"))
    slack.emulator.wait_for("chat.postMessage")
    slack.emulator.wait_for("reactions.remove")
    assert [c["channel"] for c in slack.emulator.calls_to("chat.postMessage")] == ["C0MARKER"]


# --- never twice, never to bots -----------------------------------------------------------
def test_retried_event_is_answered_once(serial_slack):
    slack = serial_slack
    body = event_callback(mention("計画期間は？"))
    assert slack.post(body).status_code == 200
    # Slack retries when it thinks the ack was late: same event_id, retry headers.
    r = slack.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert r.status_code == 200
    slack.post(body, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    slack.event(mention("マーカー", channel="C0MARKER"))
    slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == "C0MARKER")
    assert len(slack.emulator.calls_to("chat.postMessage")) == 2
    assert [q for q, _ in slack.qa.calls] == ["計画期間は？", "マーカー"]


def test_retry_arriving_after_a_restart_is_not_answered_again(tmp_path):
    """Slack retries an event whose ack was lost; if the server restarted in between, the new
    process must still know the event was answered (claims live in the SQLite file)."""
    data = tmp_path / "data"
    body = event_callback(mention("計画期間は？", channel="C0A"), event_id="Ev0RESTART")
    with slack_harness(data) as first:
        first.post(body)
        first.emulator.wait_for("chat.postMessage")
    with slack_harness(data) as second:         # a new process on the same data dir
        second.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
        second.event(mention("マーカー", channel="C0MARKER"))
        second.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == "C0MARKER")
        assert [c["channel"] for c in second.emulator.calls_to("chat.postMessage")] == ["C0MARKER"]
        assert [q for q, _ in second.qa.calls] == ["マーカー"]


def test_same_event_delivered_twice_and_mention_plus_message_answer_once(serial_slack):
    slack = serial_slack
    body = event_callback(mention("計画期間は？", channel="C0A"), event_id="Ev0DUPLICATE")
    slack.post(body)
    slack.post(body)
    # The same channel message can arrive as app_mention and as message.channels (different event ids).
    m = mention("PFIとは？", channel="C0B")
    slack.event(m)
    slack.event(message(m["text"], channel="C0B", channel_type="channel", ts=m["ts"], thread_ts=None))
    slack.event(mention("マーカー", channel="C0MARKER"))
    slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == "C0MARKER")
    assert sorted(c["channel"] for c in slack.emulator.calls_to("chat.postMessage")) == ["C0A", "C0B", "C0MARKER"]


def test_no_reply_to_bots_own_messages_edits_or_deletions(serial_slack):
    slack = serial_slack
    dm = "D0DM00001"
    ignored = [
        message("他のボットです", channel=dm, bot_id="B0OTHER", subtype="bot_message"),
        message("bot without subtype", channel=dm, bot_id="B0OTHER", bot_profile={"id": "B0OTHER"}),
        message("自分の投稿", channel=dm, user=BOT_USER_ID, bot_id=BOT_ID),
        {**message("", channel=dm), "subtype": "message_changed",
         "message": {"type": "message", "user": "U0STAFF1", "text": "計画期間は？（編集）", "ts": "1.2"},
         "previous_message": {"type": "message", "user": "U0STAFF1", "text": "計画期間は？", "ts": "1.2"}},
        {**message("", channel=dm), "subtype": "message_deleted", "deleted_ts": "1.2",
         "previous_message": {"type": "message", "user": "U0STAFF1", "text": "計画期間は？", "ts": "1.2"}},
        message("チャンネルに参加しました", channel=dm, subtype="channel_join"),
    ]
    for event in ignored:
        event.pop("user", None) if event.get("subtype") in ("message_changed", "message_deleted") else None
        assert slack.event(event).status_code == 200
    slack.event(message("マーカー", channel="D0MARKER"))
    slack.emulator.wait_for("chat.postMessage")
    slack.emulator.wait_for("reactions.remove")
    assert [c["channel"] for c in slack.emulator.calls_to("chat.postMessage")] == ["D0MARKER"]
    assert [q for q, _ in slack.qa.calls] == ["マーカー"]


# --- ack first, work later ----------------------------------------------------------------
def test_ack_comes_before_slow_work(tmp_path):
    gate = threading.Event()
    qa = FakeQA(gate=gate)
    with slack_harness(tmp_path / "data", qa) as slack:
        started = time.perf_counter()
        r = slack.event(mention("計画期間は？"))
        acked_in = time.perf_counter() - started
        assert r.status_code == 200
        assert acked_in < 3.0
        # The answer is still being prepared (QA blocked) and the ack has gone out.
        slack.emulator.wait_for("reactions.add")
        assert slack.emulator.calls_to("chat.postMessage") == []
        gate.set()
        slack.emulator.wait_for("chat.postMessage")
        slack.emulator.wait_for("reactions.remove")


# --- robustness ---------------------------------------------------------------------------
def test_rate_limited_post_is_retried_after_retry_after(slack):
    slack.emulator.rate_limit("chat.postMessage", retry_after=1)
    slack.event(mention("計画期間は？"))
    [post] = slack.emulator.wait_for("chat.postMessage", timeout=15)
    attempts = slack.emulator.calls_to("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9                  # waited for Retry-After
    assert "大綱P.5" in post["text"]


def test_failing_answer_tells_the_user_and_listener_survives(tmp_path, caplog):
    qa = FakeQA(fail=True)
    with slack_harness(tmp_path / "data", qa) as slack:
        event = mention("計画期間は？")
        slack.event(event)
        [post] = slack.emulator.wait_for("chat.postMessage")
        assert post["thread_ts"] == event["ts"]
        assert "問題が発生しました" in post["text"]
        slack.emulator.wait_for("reactions.remove")                 # 👀 removed even on failure
        qa.fail = False
        slack.event(mention("もう一度"))
        slack.emulator.wait_for("chat.postMessage", count=2)
    assert "index exploded" in caplog.text


@pytest.mark.parametrize("error, says", [
    ("index", "`reformbot index build` の実行を依頼してください"),
    ("too_long", f"{MAX_QUESTION_CHARS}文字以内"),
])
def test_named_service_errors_get_a_reply_that_says_what_to_do(tmp_path, error, says):
    from bot.service import QuestionTooLong
    from index.errors import IndexNotBuilt

    exc = IndexNotBuilt("no index in data/index") if error == "index" else QuestionTooLong("501 characters")
    with slack_harness(tmp_path / "data", FakeQA(raises=exc)) as slack:
        slack.event(mention("計画期間は？"))
        [post] = slack.emulator.wait_for("chat.postMessage")
    assert says in post["text"]


def test_web_api_error_is_logged_not_raised(slack, caplog):
    slack.emulator.fail("reactions.add", "missing_scope")
    slack.emulator.fail("chat.postMessage", "not_in_channel")
    slack.event(mention("計画期間は？", channel="C0PRIVATE"))
    # first post fails; the bot tries to say something went wrong (second post succeeds)
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert "問題が発生しました" in post["text"]
    assert "not_in_channel" in caplog.text and "missing_scope" in caplog.text
    # The emulator answered reactions.add with an error, so there is nothing to remove.
    assert slack.emulator.calls_to("reactions.remove") == []


def test_help_in_a_mention(slack):
    slack.event(mention("help"))
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert "/reform" in post["text"]


def test_a_greeting_alone_asks_for_a_question_and_a_thank_you_in_a_thread_is_quiet(serial_slack):
    slack = serial_slack
    slack.event(mention("お疲れ様です！", channel="C0GYOKAKU"))
    [prompt] = slack.emulator.wait_for("chat.postMessage")
    assert "質問を書いてください" in prompt["text"]
    slack.event(message("第７次大綱の計画期間は？", channel="D0DM00001"))
    answer = slack.emulator.wait_for("chat.postMessage", count=2)[1]
    slack.emulator.wait_for("reactions.remove")
    slack.event(message("ありがとうございます :pray:", channel="D0DM00001", thread_ts=answer.response["ts"]))
    slack.event(message("ありがとう。ところでPFIとは？", channel="D0DM00001", thread_ts=answer.response["ts"]))
    slack.emulator.wait_for("chat.postMessage", count=3)
    slack.bot.close()
    assert len(slack.emulator.calls_to("chat.postMessage")) == 3
    assert [q for q, _ in slack.qa.calls] == ["第７次大綱の計画期間は？", "ありがとう。ところでPFIとは？"]
