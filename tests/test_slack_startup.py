"""Starting `reformbot serve` with Slack in HTTP mode while Slack cannot be reached, or refuses the token.

The server starts either way; the bot reaches Slack in the background and `/slack/events` is
mounted from the start (503 to signed requests until connected, 401 to unsigned ones)."""
from __future__ import annotations

import json

import pytest

from bot.slack import mount_slack, slack_bot
from slack_emulator import SlackEmulator
from slack_helpers import FakeQA, LogSignal, event_callback, mention, served, sign, slack_settings, strip_environment


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


def post_event(http, event: dict, *, signed: bool = True):
    raw = json.dumps(event_callback(event), ensure_ascii=False)
    headers = {"Content-Type": "application/json", **(sign(raw) if signed else {})}
    return http.post("/slack/events", content=raw.encode(), headers=headers)


def test_http_mode_reaches_slack_once_it_comes_up_without_a_restart(tmp_path):
    emulator = SlackEmulator()                 # its port is reserved but refuses connections until start()
    try:
        settings = slack_settings(tmp_path / "data", emulator)
        with LogSignal("bot.slack", "Slack connection (auth.test) failed") as refused:
            mount = mount_slack(settings, FakeQA(), retry_delays=(0.05, 0.2), ready_wait=0.05)
            assert [r.path for r in mount.routes] == ["/slack/events"]      # mounted while Slack is down
            with served(mount) as http:
                assert refused.seen.wait(30), "the bot never tried to reach Slack"
                bot = slack_bot(mount.app)
                assert not bot.connection.ready
                assert post_event(http, mention("計画期間は？", channel="C0EARLY")).status_code == 503
                assert post_event(http, mention("計画期間は？"), signed=False).status_code == 401

                emulator.start()                   # Slack comes back
                assert bot.connection.wait(30), "the bot did not reconnect"
                r = post_event(http, mention("第７次大綱の計画期間は？", channel="C0LATER"))
                assert r.status_code == 200
                [post] = emulator.wait_for("chat.postMessage")
                assert post["channel"] == "C0LATER" and "大綱P.5" in post["text"]
                assert emulator.calls_to("auth.test")
    finally:
        emulator.stop()


def test_bad_token_turns_slack_off_but_not_the_server(tmp_path, caplog):
    with SlackEmulator() as emulator:
        emulator.fail("auth.test", "invalid_auth", times=5)
        with LogSignal("bot.slack", "Slack is off") as off:
            mount = mount_slack(slack_settings(tmp_path / "data", emulator), FakeQA(), retry_delays=(0.05, 0.2))
            with served(mount) as http:
                assert off.seen.wait(30)
                assert post_event(http, mention("計画期間は？")).status_code == 503
                assert [c.error for c in emulator.calls_to("auth.test")] == ["invalid_auth"]   # no retrying a refused token
                assert emulator.calls_to("chat.postMessage") == []
    assert "invalid_auth" in caplog.text and "Check SLACK_BOT_TOKEN" in caplog.text
