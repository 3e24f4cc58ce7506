"""The running Slack bot (:class:`SlackBot`): its services, state and extension points.

Other modules extend the bot through :class:`SlackBot` (``slack_bot(app)``): register Bolt
listeners on ``bot.app`` directly, add ``/reform <word>`` subcommands with
:meth:`SlackBot.add_subcommand`, App Home sections with :meth:`SlackBot.add_home_section`, and take
files sent in DMs with :meth:`SlackBot.set_upload_handler`.
Built by bot/slack/app.py (the Bolt app factory), used by bot/slack/listeners.py.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Protocol, Sequence

from bot.contract import Answer
from bot.settings import Settings
from bot.slack.respond import cause
from bot.slack import blocks as bk
from feedback.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:  # the Slack libraries load only when Slack is on
    from concurrent.futures import Executor

    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.metrics import Metrics
    from feedback.answers import FeedbackStore

log = logging.getLogger("bot.slack")

SLASH_COMMAND = "/reform"


class QA(Protocol):
    """What the bot needs from the answer service."""

    def ask(self, question: str, *, history: Sequence[str] = ()) -> Answer: ...

    def status(self) -> dict: ...


Subcommand = Callable[..., None]
"""``/reform <word> …`` handler, called after the ack as
``handler(bot=SlackBot, command=dict, args=str, respond=Respond, client=WebClient)``."""

Plugin = Callable[["SlackBot"], None]
"""A module's ``register(bot)``: adds listeners, subcommands and home sections."""

UploadHandler = Callable[[dict], bool]
"""Files sent to the bot in a DM: ``handler(message_event) -> bool``, called after the ack; True when
the message needs nothing else, False when its text is to be answered as a question too."""


class EventLedger:
    """Keys already handled (event ids, channel+ts), so a retried or repeated event is answered once.

    In memory, bounded, with a time to live longer than Slack's retry window (~5 minutes); with
    a ``store`` the claims are also written to SQLite, so a retry that arrives after a restart
    (or at another process sharing the data dir) is not answered again.

    Expiry in memory is measured on the monotonic clock, so setting the wall clock forward never
    lets a retry through; the SQLite claims (which must outlive the process) carry wall time and
    are consulted only after memory has said yes, so they can refuse but never re-admit a key.
    """

    def __init__(self, ttl_seconds: float = 3600, max_keys: int = 50_000, store: "FeedbackStore | None" = None,
                 clock: Clock = SYSTEM_CLOCK):
        self.ttl = ttl_seconds
        self.max_keys = max_keys
        self.store = store
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True the first time ``key`` is seen (within the TTL), False afterwards."""
        now = self.clock.monotonic()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at < self.ttl and len(self._seen) < self.max_keys:
                    break
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
        if self.store is not None:
            try:
                return self.store.claim_event(key, now=self.clock.wall(), ttl_seconds=self.ttl)
            except Exception:   # the database is unavailable: answering beats staying silent
                log.exception("could not record Slack event claim %s; using memory only", key)
        return True


class SlackConnection:
    """Whether the bot has reached Slack (``auth.test`` answered), so it can handle requests.

    A bot built with ``token_verification=True`` is connected from the start. ``mount_slack`` builds
    it unconnected and calls :func:`reach_slack` on a thread at server start, which retries with
    backoff while Slack is unreachable: a network that is down when the server starts must not leave
    Slack off until the next restart. Meanwhile ``POST /slack/events`` stays mounted and answers 503
    (Slack retries events; see :func:`slack_routes`). A request that arrives meanwhile calls
    :meth:`nudge`, so the retry loop tries again at once rather than after its backoff.
    """

    def __init__(self, *, ready: bool = False):
        self._ready = threading.Event()
        self.wake = threading.Event()         # the retry loop waits on it between attempts
        self.refused: str | None = None      # why Slack refused the token, once it has
        self.last_error: str | None = None   # the latest failed attempt, for the 503 log line
        if ready:
            self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float) -> bool:
        """True once connected; False if ``timeout`` seconds pass first (or the token was refused)."""
        if self.refused is not None:
            return self.ready
        return self._ready.wait(timeout)

    def nudge(self) -> None:
        """Cut the retry loop's current backoff short."""
        self.wake.set()

    def mark_ready(self) -> None:
        self.last_error = None
        self._ready.set()


@dataclass
class SlackBot:
    """The running bot: its Bolt app, Web API client, services, and extension points."""

    settings: Settings
    qa: QA
    client: "WebClient"
    store: "FeedbackStore"
    app: "App | None" = None
    ledger: EventLedger = field(default_factory=EventLedger)
    connection: SlackConnection = field(default_factory=lambda: SlackConnection(ready=True))
    subcommands: dict[str, Subcommand] = field(default_factory=dict)
    subcommand_summaries: dict[str, Mapping[str, str]] = field(default_factory=dict)
    home_sections: list[tuple[str, bk.HomeSection]] = field(default_factory=list)
    verifies_requests: bool = True
    executor: "Executor | None" = None
    owns_store: bool = False
    metrics: "Metrics | None" = None       # set by bot.slack.metrics.metrics_plugin; listeners count answers
    upload_handler: UploadHandler | None = None   # set by bot.slack.publish.publish_plugin
    _user_langs: dict[str, str] = field(default_factory=dict)

    # --- extension points ----------------------------------------------------------------
    def add_subcommand(self, word: str, handler: Subcommand, summary: Mapping[str, str] | None = None) -> None:
        """Route ``/reform <word> …`` to ``handler`` (see :data:`Subcommand`).

        Args:
            word: the first word after ``/reform``; words sharing a handler are one command's aliases.
            handler: called after the ack.
            summary: what it does, by language (``{"ja": …, "en": …}``), shown by ``/reform help``.
        """
        self.subcommands[word.lower()] = handler
        if summary:
            self.subcommand_summaries[word.lower()] = summary

    def commands(self, lang: str) -> list[bk.CommandHelp]:
        """Every registered subcommand, once per handler in registration order, with its aliases."""
        grouped: dict[int, list[str]] = {}
        handlers: dict[int, Subcommand] = {}
        for word, handler in self.subcommands.items():
            grouped.setdefault(id(handler), []).append(word)
            handlers[id(handler)] = handler
        out = []
        for words in grouped.values():
            summary = next((self.subcommand_summaries[w] for w in words if w in self.subcommand_summaries), {})
            out.append(bk.CommandHelp(words=tuple(words), summary=summary.get(lang) or summary.get("ja", "")))
        return out

    def help_message(self, lang: str) -> bk.SlackMessage:
        """``/reform help``: usage, every registered subcommand, example questions."""
        return bk.help_message(lang, self.commands(lang), self.about())

    def about(self):
        """The current document as the bot names it (:func:`bot.about.current`)."""
        from bot.about import current

        return current(self.qa, self.settings.city_name)

    def add_home_section(self, name: str, provider: bk.HomeSection) -> None:
        """Add blocks to the App Home tab; a provider named ``"ideas"`` replaces the default
        "how to submit ideas" text. ``provider(user_id, lang) -> list of blocks``."""
        self.home_sections = [(n, p) for n, p in self.home_sections if n != name] + [(name, provider)]

    def set_upload_handler(self, handler: UploadHandler) -> None:
        """Hand DMs that carry files to ``handler`` (see :data:`UploadHandler`); without one, such a
        message is answered as a question, like any other DM."""
        self.upload_handler = handler

    def close(self) -> None:
        """Let running listeners finish, then close the store if the bot opened it."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        if self.owns_store:
            self.store.close()

    # --- helpers used by listeners and plugins -------------------------------------------
    def status(self) -> dict | None:
        """``qa.status()``, or None (logged) when the index cannot be read."""
        try:
            return self.qa.status()
        except Exception:  # the answer still goes out, just without the date line
            log.exception("qa.status() failed")
            return None

    def user_lang(self, user_id: str) -> str:
        """The user's Slack locale as ``ja``/``en`` (users.info, cached); ``ja`` if unknown."""
        if user_id in self._user_langs:
            return self._user_langs[user_id]
        lang = "ja"
        try:
            resp = self.client.users_info(user=user_id, include_locale=True)
            locale = (resp.get("user") or {}).get("locale") or ""
            lang = "en" if locale.startswith("en") else "ja"
        except Exception as exc:
            log.warning("users.info failed for %s: %s", user_id, _cause(exc))
        self._user_langs[user_id] = lang
        return lang

    def publish_home(self, user_id: str) -> None:
        """Render and publish the App Home tab for ``user_id``."""
        lang = self.user_lang(user_id)
        extra = []
        for name, provider in self.home_sections:
            try:
                extra.append((name, list(provider(user_id, lang))))
            except Exception:
                log.exception("App Home section %r failed", name)
        view = bk.home_view(self.status(), lang, contact=self.settings.contact, sections=extra, about=self.about())
        self.client.views_publish(user_id=user_id, view=view)


_cause = cause      # the name listeners import
