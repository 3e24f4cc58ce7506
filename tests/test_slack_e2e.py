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
