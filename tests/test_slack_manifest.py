"""The app manifests an admin pastes into Slack agree with what the code listens to."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.slack.bot import SLASH_COMMAND

ROOT = Path(__file__).resolve().parent.parent
HTTP = ROOT / "slack" / "manifest.yml"
SOCKET = ROOT / "slack" / "manifest-socket-mode.yml"


@pytest.mark.parametrize("path", [HTTP, SOCKET])
def test_manifest_declares_what_the_bot_uses(path):
    m = yaml.safe_load(path.read_text(encoding="utf-8"))
    events = set(m["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im", "message.channels", "app_home_opened"} <= events
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    # one scope per Web API method / event the listeners use; files:read for files.info and the
    # download of a file an admin sends in a DM (it arrives as message.im, subtype file_share)
    assert {"app_mentions:read", "im:history", "channels:history", "chat:write", "commands",
            "reactions:write", "users:read", "files:read"} <= scopes
    assert [c["command"] for c in m["features"]["slash_commands"]] == [SLASH_COMMAND]
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True


def test_http_manifest_points_everything_at_one_endpoint():
    m = yaml.safe_load(HTTP.read_text(encoding="utf-8"))
    urls = [m["settings"]["event_subscriptions"]["request_url"], m["settings"]["interactivity"]["request_url"],
            m["features"]["slash_commands"][0]["url"]]
    assert all(u.startswith("https://") and u.endswith("/slack/events") for u in urls)
    assert m["settings"]["socket_mode_enabled"] is False


def test_socket_manifest_has_no_public_urls():
    m = yaml.safe_load(SOCKET.read_text(encoding="utf-8"))
    assert m["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in m["settings"]["event_subscriptions"]
    assert "url" not in m["features"]["slash_commands"][0]
