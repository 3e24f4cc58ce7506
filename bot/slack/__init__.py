"""The Slack bot: Bolt app factory, listeners, Block Kit rendering and strings.

``blocks.py`` and ``messages.py`` are pure; ``app.py`` and ``listeners.py`` are the Slack edge
(slack_bolt and slack_sdk are imported only when a Slack app is actually built); ``bot.py`` is the
bot both share, with its extension points.
"""
from bot.slack.app import (
    SlackConfigError,
    SlackMount,
    build_slack_app,
    make_web_client,
    mount_slack,
    slack_bot,
    slack_routes,
    start_socket_mode,
)
from bot.slack.bot import SlackBot

__all__ = [
    "SlackBot",
    "SlackConfigError",
    "SlackMount",
    "build_slack_app",
    "make_web_client",
    "mount_slack",
    "slack_bot",
    "slack_routes",
    "start_socket_mode",
]
