"""Slack's side of ``/metrics``: count each listener that finishes, and answers from every listener.

:func:`metrics_plugin` is a :data:`bot.slack.bot.Plugin`: it hands the bot the metrics (the
listeners count answers through ``SlackBot.metrics``) and wraps two hooks of Bolt's listener
runner, which runs every listener after the ack: the error handler (a listener raised) and the
completion handler (a listener finished, either way). Register it last: ``@app.error`` replaces
the error handler, so an error handler registered after this plugin would stop failures being
told apart from successes (they would count as handled).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.slack.bot import Plugin, SlackBot

FAILED = "reformbot_listener_failed"
"""Key in the Bolt request context that marks a delivery whose listener raised."""
_TYPE = re.compile(r"[a-z_]{1,40}")


def payload_type(body: Any) -> str:
    """The metrics label of a Slack payload: the event type for events (``app_mention``,
    ``message``), ``command`` for slash commands, else the payload type (``block_actions``,
    ``view_submission``); ``other`` for anything unexpected."""
    if not isinstance(body, dict):
        return "other"
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        kind = (body.get("event") or {}).get("type") if isinstance(body.get("event"), dict) else None
    return kind if isinstance(kind, str) and _TYPE.fullmatch(kind) else "other"


def metrics_plugin(metrics: "Metrics") -> "Plugin":
    """A plugin that counts Slack listeners that finish (handled / failed) into ``metrics``."""

    def register(bot: "SlackBot") -> None:
        from slack_bolt.listener.listener_completion_handler import ListenerCompletionHandler
        from slack_bolt.listener.listener_error_handler import ListenerErrorHandler

        class MarkFailed(ListenerErrorHandler):
            def __init__(self, inner: ListenerErrorHandler):
                self.inner = inner

            def handle(self, error, request, response):
                request.context[FAILED] = True
                self.inner.handle(error=error, request=request, response=response)

        class CountFinished(ListenerCompletionHandler):
            def __init__(self, inner: ListenerCompletionHandler):
                self.inner = inner

            def handle(self, request, response):
                try:
                    self.inner.handle(request=request, response=response)
                finally:
                    metrics.slack_finished(payload_type(request.body), bool(request.context.get(FAILED)))

        bot.metrics = metrics
        runner = bot.app.listener_runner
        runner.listener_error_handler = MarkFailed(runner.listener_error_handler)
        runner.listener_completion_handler = CountFinished(runner.listener_completion_handler)

    return register
