"""The Slack Web API emulator itself: what it answers, records and fails on command."""
from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_emulator import BOT_USER_ID, SlackEmulator


@pytest.fixture
def slack():
    with SlackEmulator() as e:
        yield e


def test_records_methods_bodies_and_headers(slack):
    client = WebClient(token="xoxb-1", base_url=slack.base_url)
    assert client.auth_test()["user_id"] == BOT_USER_ID
    posted = client.chat_postMessage(channel="C1", text="親", blocks=[{"type": "divider"}])
    client.chat_postMessage(channel="C1", thread_ts=posted["ts"], text="子")
    assert client.chat_update(channel="C1", ts=posted["ts"], text="更新")["ts"] == posted["ts"]
    assert client.chat_postEphemeral(channel="C1", user="U1", text="私だけ")["message_ts"]
    client.reactions_add(channel="C1", timestamp=posted["ts"], name="eyes")
    client.reactions_remove(channel="C1", timestamp=posted["ts"], name="eyes")
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["view"]["type"] == "home"
    assert client.views_open(trigger_id="t", view={"type": "modal", "blocks": []})["ok"]
    replies = client.conversations_replies(channel="C1", ts=posted["ts"])["messages"]
    assert [m["text"] for m in replies] == ["子"]
    slack.locales["U9"] = "en-US"
    assert client.users_info(user="U9", include_locale=True)["user"]["locale"] == "en-US"
    assert slack.methods() == ["auth.test", "chat.postMessage", "chat.postMessage", "chat.update",
                               "chat.postEphemeral", "reactions.add", "reactions.remove", "views.publish",
                               "views.open", "conversations.replies", "users.info"]
    first = slack.calls_to("chat.postMessage")[0]
    assert first["blocks"] == [{"type": "divider"}] and first.headers["authorization"] == "Bearer xoxb-1"
    assert slack.calls_to("reactions.add")[0]["name"] == "eyes"                # form-encoded body parsed


def test_errors_and_rate_limits_on_command(slack):
    client = WebClient(token="xoxb-1", base_url=slack.base_url)         # no retry handler: see the raw 429
    slack.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C404", text="x")
    assert err.value.response["error"] == "channel_not_found"
    slack.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429 and err.value.response.headers["Retry-After"] == "7"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]        # faults are used up
    with pytest.raises(AssertionError, match="expected 2 x chat.postMessage"):
        slack.wait_for("chat.postMessage", count=2, timeout=0.2)       # failed calls do not count


def test_files_are_described_and_downloaded_only_with_the_bot_token(slack):
    import threading
    import urllib.request

    client = WebClient(token="xoxb-test-token", base_url=slack.base_url)
    shared = slack.add_file("改訂版.txt", "大綱の本文".encode(), user="U0ADMIN")
    info = client.files_info(file=shared["id"])["file"]
    assert info["name"] == "改訂版.txt" and info["size"] == len("大綱の本文".encode())
    assert info["mimetype"] == "text/plain" and info["filetype"] == "text"
    url = info["url_private_download"]

    request = urllib.request.Request(url, headers={"Authorization": "Bearer xoxb-test-token"})
    with urllib.request.urlopen(request) as r:
        assert r.read().decode() == "大綱の本文"
    [download] = slack.wait_for("file_download")
    assert download.headers["authorization"] == "Bearer xoxb-test-token"

    for headers in ({}, {"Authorization": "Bearer xoxb-someone-else"}):        # Slack's sign-in page instead
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as r:
            assert r.headers["Content-Type"].startswith("text/html") and b"Sign in" in r.read()
    assert [c.status for c in slack.calls_to("file_download")] == [200, 302, 302]

    with pytest.raises(SlackApiError) as err:
        client.files_info(file="F404")
    assert err.value.response["error"] == "file_not_found"

    gate = threading.Event()                                  # a held answer waits for the test
    slack.hold("files.info", gate)
    result = {}
    thread = threading.Thread(target=lambda: result.update(client.files_info(file=shared["id"]).data))
    thread.start()
    slack.wait_until(lambda s: s.held("files.info") == 1)
    assert not result
    gate.set()
    thread.join(10)
    assert result["ok"]
