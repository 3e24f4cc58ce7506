"""End to end: the real server (bot.server.create_app), the real QA service over the real index
built from the bundled outline with the default model, Slack driven by signed requests."""
from __future__ import annotations

import json
import sqlite3

import pytest

from bot.slack import blocks as bk
from slack_helpers import block_actions, mention, message, slack_harness, slash_command

pytestmark = pytest.mark.slow


def real_server(settings, qa):
    from bot.server import create_app

    web = create_app(settings, qa=qa)
    [route] = [r for r in web.routes if getattr(r, "path", "") == "/slack/events"]
    return web, route.endpoint.bolt_app


@pytest.fixture
def slack(tmp_path, real_qa):
    with slack_harness(tmp_path / "data", real_qa, starlette_app=real_server) as h:
        yield h


def test_real_answers_in_slack(slack):
    assert slack.http.get("/healthz").json()["status"] == "ok"          # the same server as the web page
    version = slack.qa.status()["index_version"]

    ask = mention("第７次大綱の計画期間は？", channel="C0GYOKAKU")
    slack.event(ask)
    [post] = slack.emulator.wait_for("chat.postMessage", timeout=30)
    assert post["thread_ts"] == ask["ts"]
    blocks = json.dumps(post["blocks"], ensure_ascii=False)
    assert "令和３年度から令和８年度まで" in blocks
    assert "(2) 計画の位置付け・計画期間 (大綱P.5)" in blocks
    assert version in blocks
    assert "大綱P.5" in post["text"]

    slack.event(message("What does BCP stand for?", channel="D0DM00001"))
    [dm] = slack.emulator.wait_for("chat.postMessage", where=lambda c: c["channel"] == "D0DM00001", timeout=30)
    dm_blocks = json.dumps(dm["blocks"], ensure_ascii=False)
    assert "From the outline" in dm_blocks and "業務継続" in dm_blocks and "(大綱P.2)" in dm_blocks

    slack.post(slash_command("ごみの収集日は？", response_url=slack.emulator.response_url("cmd")))
    [reply] = slack.emulator.wait_for("response_url", timeout=30)
    refused = json.dumps(reply["blocks"], ensure_ascii=False)
    assert reply["response_type"] == "ephemeral"
    assert "見つかりませんでした" in refused and "回答ではありません" in refused and "行政経営課" in refused

    # 👍 on the channel answer lands in the real SQLite file with the chunk ids that were shown.
    msg = {"type": "message", "ts": post.response["ts"], "text": post["text"], "blocks": post["blocks"]}
    value = next(e["value"] for b in post["blocks"] if b.get("block_id") == bk.BLOCK_FEEDBACK for e in b["elements"])
    slack.post(block_actions(bk.ACTION_UP, value, response_url=slack.emulator.response_url("v"),
                             channel="C0GYOKAKU", message=msg))
    slack.emulator.wait_for("chat.update", timeout=30)
    slack.bot.close()
    conn = sqlite3.connect(slack.settings.database_path)
    [(verdict, chunk_ids)] = conn.execute(
        "select v.verdict, l.chunk_ids from answer_votes v join answer_log l on l.id = v.answer_id").fetchall()
    conn.close()
    shown = [s.id for s in slack.qa.ask("第７次大綱の計画期間は？").sources]
    assert verdict == "up" and json.loads(chunk_ids) == shown and shown


def test_a_thread_is_a_conversation_with_the_bot(slack):
    """Follow-ups in a thread (no mention), against the real index: a switched item is searched as
    the previous question and says so; a thank-you alone gets no reply; a thank-you with a new
    question is answered on its own; a colleague's mention inside a question changes nothing."""
    channel = "C0GYOKAKU"

    def answers(n):
        return slack.emulator.wait_for("chat.postMessage", count=n, timeout=30)

    first = mention("第１期実施計画の期間は？", channel=channel, user="U0ASKER")
    slack.event(first)
    answers(1)
    in_thread = dict(channel=channel, channel_type="channel", thread_ts=first["ts"], user="U0ASKER")

    slack.event(message("第２期は？", **in_thread))
    second = answers(2)[1]
    blocks = json.dumps(second["blocks"], ensure_ascii=False)
    assert second["thread_ts"] == first["ts"]
    assert "『第２期実施計画の期間は？』として検索しました" in blocks and "令和６年度から令和８年度まで" in blocks
    assert "第２期実施計画の期間は？" in second["text"]                  # the fallback text says it too

    slack.event(message("それって誰が点検するの？", **in_thread))
    third = answers(3)[2]
    assert "行政改革調査委員会" in json.dumps(third["blocks"], ensure_ascii=False)

    slack.event(message("ありがとうございます！ :pray:", **in_thread))      # nothing to answer
    slack.event(message("ありがとう。ところでPFIとは？", **in_thread))      # answered, on its own
    fourth = answers(4)[3]
    blocks = json.dumps(fourth["blocks"], ensure_ascii=False)
    assert "Private Finance Initiative" in blocks and "として検索しました" not in blocks
    slack.bot.close()
    assert len(slack.emulator.calls_to("chat.postMessage")) == 4          # the thank-you got no reply
    conn = sqlite3.connect(slack.settings.database_path)
    rows = conn.execute("select question, section from answer_log order by id").fetchall()
    conn.close()
    assert rows[0][0] == "第１期実施計画の期間は？" and rows[0][1].endswith("計画の位置付け・計画期間")
    assert rows[3][0] == "ありがとう。ところでPFIとは？"                    # logged as typed


def test_a_colleagues_mention_in_the_question_gives_the_bare_answer(slack):
    slack.event(mention("BCPって何ですか？", channel="C0GYOKAKU"))
    slack.event(mention("<@U0COLLEAGUE> さんに聞かれたのですが、BCPって何ですか？", channel="C0GYOKAKU"))
    slack.event(mention("<!here> 参考 <https://example.org/bcp.pdf|資料> BCPって何ですか？ :pray:", channel="C0GYOKAKU"))
    posts = slack.emulator.wait_for("chat.postMessage", count=3, timeout=30)
    sources = [json.dumps(p["blocks"], ensure_ascii=False) for p in posts]
    assert all("重要業務をなるべく中断させず" in s for s in sources)
    assert not any("見つかりませんでした" in s for s in sources)
