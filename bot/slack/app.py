"""The Slack edge: the Bolt app factory, HTTP routes and Socket Mode.

The listeners (bot/slack/listeners.py) ack, call the QA service and render with
bot/slack/blocks.py; nothing here holds retrieval logic. The bot they share, with its extension
points (:class:`SlackBot`, ``slack_bot(app)``), is bot/slack/bot.py.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from bot.settings import Settings
from bot.slack import intake
from bot.slack.bot import QA, EventLedger, Plugin, SlackBot, SlackConnection, _cause

if TYPE_CHECKING:  # the Slack libraries load only when Slack is on
    from concurrent.futures import Executor

    from slack_bolt import App
    from slack_sdk import WebClient
    from starlette.routing import Route

    from feedback.answers import FeedbackStore

log = logging.getLogger("bot.slack")


class SlackConfigError(Exception):
    "The Slack settings are missing or cannot be used."


TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
"""``auth.test`` errors that mean Slack will never accept this token: retrying cannot help."""


_BOT_ATTR = "_reformbot_slack_bot"


def slack_bot(app: "App") -> SlackBot:
    """The :class:`SlackBot` behind a Bolt app built by :func:`build_slack_app`."""
    return getattr(app, _BOT_ATTR)


def make_web_client(settings: Settings) -> "WebClient":
    """A Web API client for ``settings.slack_api_base_url`` that retries 429s and connection errors."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

    base = settings.slack_api_base_url
    if not base.endswith("/"):
        base += "/"
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=base,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


class _ClientTokenNote(logging.Filter):
    """Drop Bolt's "you gave `client` as well, `token` will be unused": Bolt reads SLACK_BOT_TOKEN from
    the environment on its own, but the client we pass already carries the token from Settings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def build_slack_app(
    settings: Settings,
    qa: QA,
    *,
    client: "WebClient | None" = None,
    feedback_store: "FeedbackStore | None" = None,
    plugins: Iterable[Plugin] = (),
    token_verification: bool = True,
    listener_executor: "Executor | None" = None,
) -> "App":
    """Build the Bolt app with every listener registered.

    Args:
        settings: needs ``slack_bot_token`` and ``slack_signing_secret`` (the secret may be empty
            for Socket Mode only; HTTP routes then refuse to mount).
        qa: the answer service (``ask``, ``status``).
        client: Web API client; default built from settings (base URL, 429 retries).
        feedback_store: answer log and votes; default ``FeedbackStore(settings.database_path)``.
        plugins: ``register(bot)`` callables from other modules (e.g. proposals).
        token_verification: call ``auth.test`` now (fails fast on a bad token, or when Slack is
            unreachable). With False nothing goes over the network here: the bot counts as not yet
            connected until :func:`reach_slack` succeeds (``mount_slack`` runs it in the background).
        listener_executor: where listeners run after the ack (default: a pool of 10 threads);
            :meth:`SlackBot.close` waits for it.

    Returns:
        The Bolt ``App``; :func:`slack_bot` gives its extension points.

    Raises:
        SlackConfigError: no bot token.
    """
    from slack_bolt import App

    from bot.slack.listeners import register_listeners
    from feedback.answers import FeedbackStore

    if client is None:
        client = make_web_client(settings)
    token = client.token or settings.slack_bot_token
    if not token:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set")
    store = feedback_store if feedback_store is not None else FeedbackStore(settings.database_path)
    if listener_executor is None:
        from concurrent.futures import ThreadPoolExecutor

        listener_executor = ThreadPoolExecutor(max_workers=10, thread_name_prefix="slack-listener")
    secret = settings.slack_signing_secret
    bolt_log = logging.getLogger("bot.slack.bolt")
    if not any(isinstance(f, _ClientTokenNote) for f in bolt_log.filters):
        bolt_log.addFilter(_ClientTokenNote())
    app = App(
        client=client,          # carries the token; Bolt never reads SLACK_BOT_TOKEN itself then
        # Passed explicitly so Bolt never falls back to os.environ.
        signing_secret=secret or "socket-mode-only",
        request_verification_enabled=bool(secret),
        token_verification_enabled=token_verification,
        # Ack first, then run the listener on Bolt's thread pool (slow answers never miss 3 s).
        process_before_response=False,
        logger=bolt_log,
        listener_executor=listener_executor,
    )
    bot = SlackBot(settings=settings, qa=qa, client=client, store=store, app=app, verifies_requests=bool(secret),
        ledger=EventLedger(store=store, clock=store.clock), connection=SlackConnection(ready=token_verification),
        executor=listener_executor, owns_store=feedback_store is None,
    )
    setattr(app, _BOT_ATTR, bot)
    register_listeners(bot)
    for plugin in plugins:
        plugin(bot)
    return app


READY_WAIT_SECONDS = 1.5
"""How long a request waits for a bot that is still reaching Slack: well inside Slack's 3-second ack."""

_REFUSAL_BODY = {400: "bad request", 401: "invalid request", 413: "request too large", 503: "not connected to Slack yet"}


def slack_routes(
    bolt_app: "App",
    path: str = "/slack/events",
    *,
    max_body_bytes: int = intake.MAX_BODY_BYTES,
    ready_wait: float = READY_WAIT_SECONDS,
) -> "list[Route]":
    """Starlette routes for events, slash commands and interactivity on one URL.

    Before Bolt sees a request, and before anything in it is parsed: a declared size over
    ``max_body_bytes`` gets 413; missing, malformed or stale (> 5 minutes) signature headers get 401;
    the body is read only up to ``max_body_bytes`` (413 beyond, chunked or not); a signature that
    does not match the raw body gets 401. A signed body Bolt cannot parse gets 400. Each refusal is
    one log line, never a traceback (bot/slack/intake.py).

    While the bot has not reached Slack (:class:`SlackConnection`), a signed request waits up to
    ``ready_wait`` seconds for it, then gets 503: Slack retries an event that was not answered 2xx,
    and a slash command can be sent again. ``url_verification`` needs no connection and is answered
    throughout.

    Bolt's dispatch (middleware, ack) runs on a worker thread so the event loop never waits on it.

    Raises:
        SlackConfigError: the app was built without a signing secret.
    """
    from slack_bolt import BoltRequest
    from slack_bolt.adapter.starlette.handler import to_starlette_response
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    bot = slack_bot(bolt_app)
    if not bot.verifies_requests:
        raise SlackConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests")
    secret = bot.settings.slack_signing_secret
    clock = bot.ledger.clock
    connection = bot.connection

    def dispatch(raw: bytes, headers, query):
        """Parse and dispatch a signed body (on a worker thread)."""
        try:
            request = BoltRequest(body=raw.decode("utf-8"), query=query, headers=headers)
        except Exception as exc:  # whatever Bolt's parser and context builder cannot read
            raise intake.MalformedBody(f"{type(exc).__name__}: {exc}") from None
        if not isinstance(request.body, dict):
            raise intake.MalformedBody(f"the body is a JSON {type(request.body).__name__}, not an object")
        if request.body.get("type") != "url_verification" and not connection.ready:
            connection.nudge()
            if not connection.wait(ready_wait):
                raise intake.SlackNotReady(connection.refused or connection.last_error or "still connecting")
        return bolt_app.dispatch(request)

    async def slack_events(request: Request):
        peer = request.client.host if request.client else "?"
        try:
            # Everything that needs no body first, so an unsigned request is never read at all.
            intake.check_declared_length(request.headers, max_body_bytes)
            timestamp, signature = intake.signature_headers(request.headers, now=clock.wall())
            raw = await intake.read_body(request, max_body_bytes)
            intake.check_signature(secret, timestamp, signature, raw)
            bolt_resp = await run_in_threadpool(dispatch, raw, request.headers, request.query_params)
        except intake.RequestRefused as exc:
            log.warning("Slack request from %s refused with %d: %s", peer, exc.status, exc)
            return JSONResponse({"error": _REFUSAL_BODY.get(exc.status, "refused")}, status_code=exc.status)
        except ClientDisconnect:
            log.warning("Slack request from %s abandoned: the client disconnected while sending it", peer)
            return JSONResponse({"error": "bad request"}, status_code=400)
        return to_starlette_response(bolt_resp)

    slack_events.bolt_app = bolt_app  # type: ignore[attr-defined]  # lets tests and plugins find the bot
    return [Route(path, slack_events, methods=["POST"], name="slack_events")]


def start_socket_mode(bolt_app: "App", app_token: str):
    """Connect ``bolt_app`` over Socket Mode (no public URL needed) without blocking.

    Uses slack_sdk's built-in WebSocket client; ``apps.connections.open`` goes to the same Web API
    base URL as the rest of the bot. Returns the handler; call ``.close()`` to disconnect.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bolt_app, app_token=app_token, web_client=bolt_app.client)
    handler.connect()
    log.info("Slack Socket Mode connected")
    return handler


def retry_with_backoff(
    attempt: Callable[[], Any],
    stopping: threading.Event,
    *,
    what: str,
    first_delay: float = 1.0,
    max_delay: float = 60.0,
    wake: threading.Event | None = None,
    give_up: Callable[[Exception], bool] | None = None,
) -> bool:
    """Call ``attempt()`` until it returns without raising; each failure logged with its cause.

    Args:
        attempt: one try; raises on failure.
        stopping: set to end the loop (e.g. at server shutdown).
        what: names the attempt in the log line.
        first_delay, max_delay: the wait after the first failure, doubling up to ``max_delay``.
        wake: when given, the waits are on this event instead (set it to retry at once; whoever
            sets ``stopping`` must set it too).
        give_up: ``give_up(exc)`` True ends the loop at once (it logs why).

    Returns:
        True once an attempt succeeded; False if stopped or given up first.
    """
    delay = first_delay
    while not stopping.is_set():
        try:
            attempt()
            return True
        except Exception as exc:
            if give_up is not None and give_up(exc):
                return False
            log.error("%s failed (%s); retrying in %g s", what, _cause(exc), delay)
        if wake is None:
            stopping.wait(delay)
        else:
            wake.wait(delay)
            wake.clear()
        delay = min(delay * 2, max_delay)
    return False


def connect_with_retry(handler, stopping: threading.Event, first_delay: float = 1.0, max_delay: float = 60.0) -> bool:
    """``handler.connect()`` until it succeeds or ``stopping`` is set; errors logged with their cause.

    Returns:
        True once connected, False if stopped first.
    """
    connected = retry_with_backoff(handler.connect, stopping, what="Slack Socket Mode connection",
                                   first_delay=first_delay, max_delay=max_delay)
    if connected:
        log.info("Slack Socket Mode connected")
    return connected


def _api_error(exc: Exception) -> str | None:
    """The Slack error code of a Web API error (``invalid_auth``, …); None for network errors."""
    response = getattr(exc, "response", None)
    try:
        return response.get("error") if response is not None else None
    except Exception:
        return None


def reach_slack(bot: SlackBot, stopping: threading.Event, *, first_delay: float = 1.0, max_delay: float = 60.0) -> bool:
    """``auth.test`` until Slack answers, then mark ``bot`` connected (HTTP requests are handled from then on).

    Unreachable Slack (connection refused, timeouts, 5xx) is retried with backoff, woken early by
    :meth:`SlackConnection.nudge`. A refused token is final: logged as "Slack is off", no retries.

    Returns:
        True once connected; False if stopped first or the token was refused.
    """
    connection = bot.connection

    def attempt() -> None:
        try:
            result = bot.client.auth_test()
        except Exception as exc:
            connection.last_error = _cause(exc)
            raise
        _prime_bolt_authorization(bot.app, result)
        connection.mark_ready()
        log.info("Slack connected as %s (%s)", result.get("user"), result.get("team"))

    def token_refused(exc: Exception) -> bool:
        if _api_error(exc) not in TOKEN_REFUSED:
            return False
        connection.refused = f"Slack refused the bot token ({_cause(exc)})"
        log.error("Slack is off: %s. Check SLACK_BOT_TOKEN and SLACK_API_BASE_URL, then restart.", connection.refused)
        return True

    return retry_with_backoff(attempt, stopping, what="Slack connection (auth.test)", first_delay=first_delay,
                              max_delay=max_delay, wake=connection.wake, give_up=token_refused)


def _prime_bolt_authorization(bolt_app: "App | None", auth_test) -> None:
    """Give Bolt the ``auth.test`` answer we already have.

    A Bolt app built without token verification calls ``auth.test`` itself on its first request,
    inside the 3-second ack; handing it ours saves that round trip. Bolt keeps the answer on its
    SingleTeamAuthorization middleware, which has no public setter: should a Bolt version keep it
    elsewhere, nothing breaks, Bolt just makes that one call itself.
    """
    from slack_bolt.middleware.authorization.single_team_authorization import SingleTeamAuthorization

    for middleware in getattr(bolt_app, "_middleware_list", ()):
        if isinstance(middleware, SingleTeamAuthorization) and middleware.auth_test_result is None:
            middleware.auth_test_result = auth_test


@dataclass
class SlackMount:
    """What the HTTP server needs to run the bot: routes, and callables for start and stop."""

    routes: list = field(default_factory=list)
    startup: list[Callable[[], Any]] = field(default_factory=list)
    shutdown: list[Callable[[], Any]] = field(default_factory=list)
    app: "App | None" = None

    def __iter__(self):  # ``routes, startup = mount_slack(...)``
        return iter((self.routes, self.startup))


def mount_slack(
    settings: Settings,
    qa: QA,
    *,
    plugins: Iterable[Plugin] = (),
    feedback_store: "FeedbackStore | None" = None,
    client: "WebClient | None" = None,
    retry_delays: tuple[float, float] = (1.0, 60.0),
    ready_wait: float = READY_WAIT_SECONDS,
) -> SlackMount:
    """Everything ``reformbot serve`` needs for Slack, or an empty mount (logged) when Slack is off.

    HTTP mode when the bot token and signing secret are set; Socket Mode in addition when
    ``SLACK_APP_TOKEN`` is set. Nothing goes over the network here: the returned ``startup``
    callable reaches Slack on a background thread (``auth.test``, then Socket Mode), retrying while
    Slack is unreachable, and the HTTP route is mounted from the start (503 until connected; see
    :func:`slack_routes`).

    Args:
        retry_delays: first and longest wait between connection attempts, in seconds.
        ready_wait: how long an HTTP request waits for a bot that is still connecting.
    """
    has_token = bool(settings.slack_bot_token or (client is not None and client.token))
    http = bool(has_token and settings.slack_signing_secret)
    socket = bool(has_token and settings.slack_app_token)
    if not (http or socket):
        log.info("Slack is off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)")
        return SlackMount()
    try:
        app = build_slack_app(settings, qa, client=client, feedback_store=feedback_store, plugins=plugins,
                              token_verification=False)
    except Exception as exc:  # a missing token or an unusable database must not take the web page down with it
        log.error("Slack is off: the bot could not start (%s). Check SLACK_BOT_TOKEN and SLACK_API_BASE_URL.", _cause(exc))
        return SlackMount()
    bot = slack_bot(app)
    mount = SlackMount(app=app)
    if http:
        mount.routes = slack_routes(app, ready_wait=ready_wait)
        log.info("Slack HTTP mode: POST /slack/events")
    first_delay, max_delay = retry_delays
    stopping = threading.Event()
    handlers: list = []

    def _connect() -> None:
        # Retrying in the background: a network that is down when the server starts must not leave
        # Slack off until the next restart. Once connected, slack_sdk's Socket Mode client
        # reconnects by itself.
        if not reach_slack(bot, stopping, first_delay=first_delay, max_delay=max_delay):
            return
        if socket:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(app, app_token=settings.slack_app_token, web_client=app.client)
            handlers.append(handler)
            connect_with_retry(handler, stopping, first_delay, max_delay)

    def _start() -> None:
        threading.Thread(target=_connect, name="slack-connect", daemon=True).start()

    def _stop() -> None:
        stopping.set()
        bot.connection.nudge()          # ends a backoff wait now
        for h in handlers:
            h.close()

    mount.startup.append(_start)
    mount.shutdown.append(_stop)
    mount.shutdown.append(bot.close)
    return mount
