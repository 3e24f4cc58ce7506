"""Slash command, buttons, the 👎 modal and App Home, driven with Slack's real payload shapes."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from bot.slack import blocks as bk
from slack_helpers import (
    block_actions,
    bundled_examples,
    event_callback,
    mention,
    sign,
    slack_harness,
    slash_command,
    strip_environment,
    view_submission,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


@pytest.fixture
def slack(tmp_path):
    with slack_harness(tmp_path / "data") as h:
        yield h


def button_value(blocks: list[dict], action_id: str) -> str:
    for b in blocks:
        for e in b.get("elements", []) if b.get("type") == "actions" else []:
            if e["action_id"] == action_id:
                return e["value"]
    raise AssertionError(f"no {action_id} button in {blocks}")


def rows(db_path, sql, *params):
    conn = sqlite3.connect(db_path)   # the real file, read independently of the bot
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def posted_answer(slack, question="第７次大綱の計画期間は？", channel="C0GYOKAKU"):
    """Ask in a channel; return the message as Slack would send it back in block_actions."""
    slack.event(mention(question, channel=channel))
    [post] = slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == channel)
    return {"type": "message", "ts": post.response["ts"], "text": post["text"], "blocks": post["blocks"],
            "user": "UBOT0001", "bot_id": "BBOT0001"}


# --- slash command ----------------------------------------------------------------------
def test_slash_command_answer_is_ephemeral_with_a_post_button(slack):
    started = time.perf_counter()
    r = slack.post(slash_command("PFIとは何ですか", response_url=slack.emulator.response_url("cmd")))
    assert r.status_code == 200 and time.perf_counter() - started < 3.0
    [reply] = slack.emulator.wait_for("response_url")
    assert reply.path == "/response/cmd"
    assert reply["response_type"] == "ephemeral"
    assert "大綱P.5" in reply["text"]
    assert button_value(reply["blocks"], bk.ACTION_POST).isdigit()
    assert button_value(reply["blocks"], bk.ACTION_UP) == button_value(reply["blocks"], bk.ACTION_POST)
    assert slack.emulator.calls_to("chat.postMessage") == []            # nothing public
    assert slack.qa.calls == [("PFIとは何ですか", ())]


def test_slash_command_is_acked_before_the_answer_is_worked_out(tmp_path):
    """Slack gives a slash command 3 seconds: the HTTP 200 must not wait for retrieval."""
    import threading

    from slack_helpers import FakeQA

    gate = threading.Event()
    with slack_harness(tmp_path / "data", FakeQA(gate=gate)) as slack:
        try:
            started = time.perf_counter()
            r = slack.post(slash_command("PFIとは何ですか", response_url=slack.emulator.response_url("cmd")))
            assert r.status_code == 200                       # acked while the answer is blocked
            assert time.perf_counter() - started < 3.0
            assert slack.emulator.calls_to("response_url") == []
        finally:
            gate.set()
        [reply] = slack.emulator.wait_for("response_url")
        assert reply["response_type"] == "ephemeral" and "大綱P.5" in reply["text"]


@pytest.mark.parametrize("text", ["help", "", "ヘルプ"])
def test_slash_help_explains_usage_with_examples(slack, text):
    slack.post(slash_command(text, response_url=slack.emulator.response_url()))
    [reply] = slack.emulator.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    body = json.dumps(reply["blocks"], ensure_ascii=False)
    examples = bundled_examples("ja")
    assert "/reform" in body and "使い方" in body and "第７次厚木市行政改革大綱 Q&A" in body
    assert examples and all(q in body for q in examples)
    assert slack.qa.calls == []


def test_slash_help_in_english_for_english_locale(slack):
    slack.emulator.locales["U0EN"] = "en-US"
    slack.post(slash_command("help", response_url=slack.emulator.response_url(), user="U0EN"))
    [reply] = slack.emulator.wait_for("response_url")
    assert "How to use" in reply["text"] and bundled_examples("en")[0] in reply["text"]


def test_post_to_channel_shares_the_answer_and_removes_the_ephemeral(slack):
    slack.post(slash_command("計画期間は？", response_url=slack.emulator.response_url("cmd"), user="U0ASKER"))
    [reply] = slack.emulator.wait_for("response_url")
    value = button_value(reply["blocks"], bk.ACTION_POST)

    slack.post(block_actions(bk.ACTION_POST, value, response_url=slack.emulator.response_url("click"),
                             user="U0ASKER", ephemeral=True))
    shared, deleted = slack.emulator.wait_for("response_url", count=2, where=lambda c: c.path == "/response/click")
    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False
    assert "<@U0ASKER>" in json.dumps(shared["blocks"], ensure_ascii=False)
    assert "大綱P.5" in shared["text"]
    assert all(e["action_id"] != bk.ACTION_POST for e in shared["blocks"][-1]["elements"])   # no post button
    assert deleted["delete_original"] is True
    logged = rows(slack.settings.database_path, "select surface, user_id, channel_id from answer_log order by id")
    assert logged == [{"surface": "slash", "user_id": "U0ASKER", "channel_id": "C0CHANNEL"},
                      {"surface": "shared", "user_id": "U0ASKER", "channel_id": "C0CHANNEL"}]


# --- feedback buttons -------------------------------------------------------------------
def test_thumbs_up_is_stored_and_thanked_and_a_second_vote_refused(slack):
    msg = posted_answer(slack)
    answer_id = button_value(msg["blocks"], bk.ACTION_UP)

    slack.post(block_actions(bk.ACTION_UP, answer_id, response_url=slack.emulator.response_url("v1"),
                             user="U0VOTER", channel="C0GYOKAKU", message=msg))
    [update] = slack.emulator.wait_for("chat.update")
    assert (update["channel"], update["ts"]) == ("C0GYOKAKU", msg["ts"])
    text = json.dumps(update["blocks"], ensure_ascii=False)
    assert "<@U0VOTER> さん、フィードバックありがとうございます" in text and "👍 1 ・ 👎 0" in text
    assert "大綱P.5" in text                                               # the answer itself is kept

    db = slack.settings.database_path
    votes = rows(db, "select v.verdict, v.user_id, v.channel_id, v.created_at, l.question, l.chunk_ids, l.found "
                     "from answer_votes v join answer_log l on l.id = v.answer_id")
    assert len(votes) == 1
    v = votes[0]
    assert (v["verdict"], v["user_id"], v["channel_id"]) == ("up", "U0VOTER", "C0GYOKAKU")
    assert v["question"] == "第７次大綱の計画期間は？"
    assert json.loads(v["chunk_ids"]) == ["s5-2-001", "g-4"] and v["found"] == 1
    assert v["created_at"].startswith("20")

    # Same user again (even switching to 👎): refused, told privately, nothing stored.
    slack.post(block_actions(bk.ACTION_DOWN, answer_id, response_url=slack.emulator.response_url("v2"),
                             user="U0VOTER", channel="C0GYOKAKU", message=msg))
    [again] = slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/v2")
    assert again["response_type"] == "ephemeral" and again["replace_original"] is False
    assert "すでに評価" in again["text"]
    assert len(rows(db, "select * from answer_votes")) == 1
    assert slack.emulator.calls_to("views.open") == []
    assert len(slack.emulator.calls_to("chat.update")) == 1


def test_thumbs_down_opens_modal_and_comment_is_stored(slack):
    msg = posted_answer(slack, "ごみの収集日は？")
    answer_id = button_value(msg["blocks"], bk.ACTION_DOWN)
    slack.post(block_actions(bk.ACTION_DOWN, answer_id, response_url=slack.emulator.response_url(),
                             user="U0CRITIC", channel="C0GYOKAKU", message=msg))
    [opened] = slack.emulator.wait_for("views.open")
    view = opened["view"]
    assert view["callback_id"] == bk.MODAL_FEEDBACK and opened["trigger_id"]
    [update] = slack.emulator.wait_for("chat.update")
    assert "👍 0 ・ 👎 1" in json.dumps(update["blocks"], ensure_ascii=False)

    r = slack.post(view_submission(view, {bk.MODAL_INPUT_BLOCK: {bk.MODAL_INPUT_ACTION: "担当課を知りたかった"}},
                                   user="U0CRITIC"))
    assert r.status_code == 200
    slack.bot.close()            # the submission is handled after the ack: let the listeners finish
    stored = rows(slack.settings.database_path, "select verdict, comment from answer_votes")
    assert stored == [{"verdict": "down", "comment": "担当課を知りたかった"}]


def test_vote_on_an_ephemeral_answer_updates_it_through_response_url(slack):
    slack.post(slash_command("計画期間は？", response_url=slack.emulator.response_url("cmd")))
    [reply] = slack.emulator.wait_for("response_url")
    value = button_value(reply["blocks"], bk.ACTION_UP)
    slack.post(block_actions(bk.ACTION_UP, value, response_url=slack.emulator.response_url("vote"), ephemeral=True))
    [update] = slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/vote")
    assert update["replace_original"] is True
    assert "フィードバックありがとうございます" in json.dumps(update["blocks"], ensure_ascii=False)
    assert slack.emulator.calls_to("chat.update") == []


def test_unknown_answer_id_is_reported_not_crashed(slack):
    slack.post(block_actions(bk.ACTION_UP, "99999", response_url=slack.emulator.response_url("x")))
    [reply] = slack.emulator.wait_for("response_url")
    assert reply["response_type"] == "ephemeral" and "保存できませんでした" in reply["text"]


# --- App Home and extension points ------------------------------------------------------
def home_opened(user="U0STAFF1"):
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "event_ts": "1.1"}


def test_app_home_shows_what_the_bot_knows(slack):
    slack.event(home_opened())
    [pub] = slack.emulator.wait_for("views.publish")
    assert pub["user_id"] == "U0STAFF1"
    view = pub["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = json.dumps(view, ensure_ascii=False)
    for expected in ("第７次厚木市行政改革大綱（概要）", "v1-test", "2026-11-27", "節 42", "用語 8",
                     *bundled_examples("ja"), "アイデア"):
        assert expected in text


def test_app_home_in_english_for_english_locale(slack):
    slack.emulator.locales["U0EN"] = "en-GB"
    slack.event(home_opened("U0EN"))
    [pub] = slack.emulator.wait_for("views.publish")
    text = json.dumps(pub["view"], ensure_ascii=False)
    assert "42 sections" in text and "8 glossary terms" in text and "What is PPP?" in text
    assert all(q in text for q in bundled_examples("en"))


def test_plugins_add_home_sections_and_subcommands(tmp_path):
    seen = {}

    def register(bot):
        bot.add_home_section("ideas", lambda user, lang: [bk.section(f"アイデアは /reform idea から（{user}）")])
        bot.add_home_section("recent", lambda user, lang: [bk.section("最近の提案：3件")])

        def idea(*, bot, command, args, respond, client):
            seen["args"] = args
            respond(text="受け付けました", response_type="ephemeral")

        bot.add_subcommand("idea", idea)

    with slack_harness(tmp_path / "data", plugins=[register]) as slack:
        slack.event(home_opened())
        [pub] = slack.emulator.wait_for("views.publish")
        text = json.dumps(pub["view"], ensure_ascii=False)
        assert "アイデアは /reform idea から（U0STAFF1）" in text and "最近の提案：3件" in text
        assert "準備中" not in text                                   # default ideas text replaced
        slack.post(slash_command("idea 窓口をオンラインに", response_url=slack.emulator.response_url()))
        [reply] = slack.emulator.wait_for("response_url")
        assert reply["text"] == "受け付けました" and seen["args"] == "窓口をオンラインに"
        assert slack.qa.calls == []


def test_app_home_publish_error_is_logged(slack, caplog):
    slack.emulator.fail("views.publish", "not_enabled")
    slack.event(home_opened())
    slack.emulator.wait_until(lambda e: e.calls_to("views.publish"))
    slack.bot.close()                                     # the listener has finished (and logged)
    assert "not_enabled" in caplog.text


# --- shared answers: the question stays text ---------------------------------------------
def test_shared_answer_keeps_mentions_and_links_in_the_question_as_text(slack):
    question = "<!channel> 計画期間は <https://evil.example|こちら> & <@U0BOSS>"
    slack.post(slash_command(question, response_url=slack.emulator.response_url("cmd"), user="U0ASKER"))
    [reply] = slack.emulator.wait_for("response_url")
    slack.post(block_actions(bk.ACTION_POST, button_value(reply["blocks"], bk.ACTION_POST),
                             response_url=slack.emulator.response_url("click"), user="U0ASKER", ephemeral=True))
    [shared] = slack.emulator.wait_for("response_url", where=lambda c: c.get("response_type") == "in_channel")
    assert "&lt;!channel&gt; 計画期間は &lt;https://evil.example|こちら&gt; &amp; &lt;@U0BOSS&gt;" in shared["text"]
    blocks = json.dumps(shared["blocks"], ensure_ascii=False)
    assert "&lt;!channel&gt;" in blocks and "<!channel>" not in blocks
    # Whatever reached Slack's text fields (shared message, replies, posts): no mention, no link.
    for call in slack.emulator.calls:
        text = call.get("text") or ""
        assert "<!channel>" not in text and "<https://evil.example" not in text and "<@U0BOSS>" not in text


# --- replays: same signed body, same timestamp, within Slack's 5 minutes -----------------
def send_raw(slack, raw: str, headers: dict):
    return slack.http.post("/slack/events", content=raw.encode(), headers=headers)


def test_replayed_slash_command_is_answered_once(slack):
    raw = slash_command("計画期間は？", response_url=slack.emulator.response_url("cmd"))
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(raw)}
    for _ in range(3):
        assert send_raw(slack, raw, headers).status_code == 200
    slack.post(slash_command("マーカー", response_url=slack.emulator.response_url("marker")))
    slack.emulator.wait_for("response_url", where=lambda c: c.path == "/response/marker")
    slack.bot.close()                                         # every listener has run
    assert len([c for c in slack.emulator.calls_to("response_url") if c.path == "/response/cmd"]) == 1
    assert [q for q, _ in slack.qa.calls] == ["計画期間は？", "マーカー"]
    logged = rows(slack.settings.database_path, "select question from answer_log order by id")
    assert logged == [{"question": "計画期間は？"}, {"question": "マーカー"}]


def test_replayed_click_is_handled_once(slack):
    slack.post(slash_command("計画期間は？", response_url=slack.emulator.response_url("cmd"), user="U0ASKER"))
    [reply] = slack.emulator.wait_for("response_url")
    raw = block_actions(bk.ACTION_POST, button_value(reply["blocks"], bk.ACTION_POST),
                        response_url=slack.emulator.response_url("click"), user="U0ASKER", ephemeral=True)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(raw)}
    for _ in range(3):
        assert send_raw(slack, raw, headers).status_code == 200
    slack.bot.close()
    shared = [c for c in slack.emulator.calls_to("response_url") if c.get("response_type") == "in_channel"]
    assert len(shared) == 1
    surfaces = rows(slack.settings.database_path, "select surface from answer_log order by id")
    assert surfaces == [{"surface": "slash"}, {"surface": "shared"}]


def test_two_invocations_with_the_same_text_are_both_answered(slack):
    """Deduplication is per invocation (trigger_id), not per text: asking again is answered again."""
    for name in ("first", "second"):
        slack.post(slash_command("計画期間は？", response_url=slack.emulator.response_url(name)))
    slack.bot.close()
    assert sorted(c.path for c in slack.emulator.calls_to("response_url")) == ["/response/first", "/response/second"]


@pytest.mark.parametrize("body, signature, key", [
    ({"type": "event_callback", "event_id": "Ev1"}, None, "event:Ev1"),
    ({"command": "/reform", "trigger_id": "13.45.ab"}, "v0=sig", "command:13.45.ab"),
    ({"command": "/reform"}, "v0=sig", "command:v0=sig"),                      # no trigger_id: the signature
    ({"type": "block_actions", "trigger_id": "13.46.cd"}, None, "interaction:13.46.cd"),
    ({"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_ts": "1.5"}]}, None, "interaction:U1:1.5"),
    ({"type": "view_submission", "trigger_id": "13.47.ef"}, None, "interaction:13.47.ef"),
    ({"type": "block_suggestion", "trigger_id": "x"}, "v0=sig", None),       # options loading: harmless to repeat
    ({"type": "url_verification", "challenge": "c"}, "v0=sig", None),
    ({"command": "/reform"}, None, None),                                      # nothing identifies it
])
def test_delivery_keys(body, signature, key):
    from bot.slack.listeners import delivery_key

    assert delivery_key(body, signature) == key


# --- /reform help lists every subcommand the server registers ------------------------------
def served_bot(settings, qa):
    """The server as `reformbot serve` composes it (every plugin), with Slack on."""
    from bot.server import create_app

    web = create_app(settings, qa=qa)
    [route] = [r for r in web.routes if getattr(r, "path", "") == "/slack/events"]
    return web, route.endpoint.bolt_app


@pytest.fixture
def served(tmp_path):
    with slack_harness(tmp_path / "data", starlette_app=served_bot) as h:
        yield h


def help_reply(slack, user="U0STAFF1"):
    slack.post(slash_command("help", response_url=slack.emulator.response_url(), user=user))
    [reply] = slack.emulator.wait_for("response_url")
    return reply["text"], json.dumps(reply["blocks"], ensure_ascii=False)


def test_slash_help_lists_every_registered_subcommand_in_japanese(served):
    text, blocks = help_reply(served)
    for shown in (text, blocks):
        assert "`/reform [質問] | changes | idea | help`" in shown
        assert "`/reform idea`（`アイデア` でも可） — 職員のアイデアを登録するフォームを開きます" in shown
        assert "`/reform changes`（`改訂`、`変更点` でも可） — 最新の改訂で大綱の何が変わったか" in shown
        assert "`/reform help` — この使い方を表示します" in shown


def test_slash_help_lists_every_registered_subcommand_in_english(served):
    served.emulator.locales["U0EN"] = "en-US"
    text, blocks = help_reply(served, user="U0EN")
    for shown in (text, blocks):
        assert "`/reform [question] | changes | idea | help`" in shown
        assert "`/reform idea` (or `アイデア`) — opens the form to submit a staff idea" in shown
        assert "`/reform changes` (or `改訂`, `変更点`) — shows what the latest revision of the outline changed" in shown
        assert "`/reform help` — shows this help" in shown


def test_help_is_built_from_what_is_registered_not_a_list(tmp_path):
    def register(bot):
        def hello(*, bot, command, args, respond, client):
            respond(text="こんにちは", response_type="ephemeral")

        bot.add_subcommand("hello", hello, {"ja": "あいさつします", "en": "says hello"})
        bot.add_subcommand("quiet", hello)                  # an alias without a summary of its own
        bot.add_subcommand("bare", lambda **kw: None)       # no summary at all: listed by name

    with slack_harness(tmp_path / "data", plugins=[register]) as slack:
        text, _ = help_reply(slack)
        assert "`/reform [質問] | hello | bare | help`" in text
        assert "• `/reform hello`（`quiet` でも可） — あいさつします" in text
        assert "• `/reform bare`\n" in text
        slack.event(mention("help"))                        # help in a mention says the same
        [post] = slack.emulator.wait_for("chat.postMessage")
        assert "`/reform [質問] | hello | bare | help`" in post["text"]


def test_manifest_usage_hint_names_every_registered_subcommand(served):
    """The hint Slack shows while typing `/reform` (the manifests are pasted by an admin)."""
    from pathlib import Path

    import yaml

    expected = bk.usage_line(served.bot.commands("ja"), "ja")
    root = Path(__file__).resolve().parent.parent / "slack"
    for name in ("manifest.yml", "manifest-socket-mode.yml"):
        m = yaml.safe_load((root / name).read_text(encoding="utf-8"))
        [command] = m["features"]["slash_commands"]
        assert command["usage_hint"] == expected, name
