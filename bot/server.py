"""HTTP edge: the staff Q&A page, the JSON API, health; Slack and the proposal form mount here.

Thin: handlers parse the request, call :class:`bot.service.QAService`, and render.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot import messages
from bot.about import current as current_about
from bot.guards import AccessLog, AnswerPool, BodyLimit, Busy, SecurityHeaders
from bot.metrics import Metrics, MetricsEndpoint
from bot.highlight import segments
from bot.render_text import split_lead
from bot.service import EmptyQuestion, MAX_HISTORY, MAX_QUESTION_CHARS, QAService, QuestionTooLong, clean_question
from bot.web_feedback import ANSWER_ID_HEADER, VOTE_PATH, WebFeedback
from feedback.proposals.guard import RateLimiter

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

SECTION_CHARS = 300
"""Longest section breadcrumb a page's follow-up form carries back."""
BUSY_RETRY_AFTER = 5
"""Seconds a client is asked to wait when every answer worker is busy."""
DEFAULT_BODY_LIMIT = 16 * 1024
"""Request bodies on routes that take none (GET pages, the API): a few headers' worth."""
BODY_LIMITS = (("/proposals", 64 * 1024), ("/slack/events", 1024 * 1024))
"""Bodies the form and Slack may send; the form and the Slack route check tighter limits themselves."""


def _lang(request: Request, question: str = "") -> str:
    lang = request.query_params.get("lang", "")
    if lang in messages.WEB:
        return lang
    return "en" if question and messages.is_english(question) else "ja"


def client_key(request: Request) -> str:
    """Who counts as one client for rate limits: the peer address (uvicorn takes it from
    X-Forwarded-For only when the peer is a trusted proxy, ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else "unknown"


def question_digest(question: str) -> str:
    """A short hash that lets an operator match log lines without the log holding the question."""
    return hashlib.sha256(question.encode("utf-8")).hexdigest()[:12]


class Answering:
    """The one way the web surfaces answer: clean, rate-limit, compute on the worker pool, log.

    Returns ``(answer or None, error message or None, HTTP status, extra headers)``; the headers
    carry ``X-Answer-Id`` when the answer was logged for feedback. Answers (found, not found,
    failed) are counted in ``metrics`` under ``surface``.
    """

    def __init__(self, qa: QAService, pool: AnswerPool, limiter: RateLimiter, metrics: Metrics | None = None,
                 feedback: WebFeedback | None = None):
        self.qa, self.pool, self.limiter, self.metrics, self.feedback = qa, pool, limiter, metrics, feedback

    def _count(self, surface: str, found: bool | None, started: float) -> None:
        if self.metrics is not None:
            self.metrics.answered(surface, found, time.perf_counter() - started)

    async def __call__(self, request: Request, question: str, lang: str, surface: str = "web",
                       history: tuple = ()):
        text = messages.WEB[lang]
        try:
            question = clean_question(question)
            history = bounded_history(history)
        except EmptyQuestion:
            return None, text["empty"], 400, {}
        except QuestionTooLong:
            return None, text["too_long"].format(max=MAX_QUESTION_CHARS), 400, {}
        wait = self.limiter.acquire(client_key(request))
        if wait:
            log.info("ask: rate limit for a client; retry in %.0f s", wait)
            return None, text["rate_limited"], 429, {"Retry-After": str(math.ceil(wait))}
        started = time.perf_counter()
        try:
            answer = await self.pool.run(_ask_with, self.qa, question, history)
        except Busy:
            log.warning("ask: %d answers running or queued; 503", self.pool.capacity)
            return None, text["busy"], 503, {"Retry-After": str(BUSY_RETRY_AFTER)}
        except Exception as exc:  # index missing or mismatched, or a bug: log the cause, answer politely
            from index.errors import IndexError_  # lazy; named errors live there

            self._count(surface, None, started)
            if isinstance(exc, IndexError_):
                log.error("index unavailable: %s", exc)
                return None, text["unavailable"], 503, {}
            log.exception("answering question %s failed", question_digest(question))
            return None, text["error"], 500, {}
        self._count(surface, answer.found, started)
        answer_id = await self.feedback.record(answer, lang=lang, surface=surface) if self.feedback else None
        return answer, None, 200, ({ANSWER_ID_HEADER: str(answer_id)} if answer_id is not None else {})


def bounded_history(items) -> tuple:
    """Earlier turns sent by a page or an API client, bounded: the last :data:`MAX_HISTORY`, each a
    question (cleaned, at most :data:`MAX_QUESTION_CHARS`) or ``{"question", "section"}`` with
    the section cut to :data:`SECTION_CHARS`; empty ones dropped.

    Raises:
        QuestionTooLong: an earlier question is over the limit.
    """
    out: list = []
    for item in list(items)[-MAX_HISTORY:]:
        if isinstance(item, dict):
            q, section = item.get("question") or "", str(item.get("section") or "")[:SECTION_CHARS]
        else:
            q, section = item, ""
        try:
            q = clean_question(str(q))
        except EmptyQuestion:
            continue
        out.append({"question": q, "section": section} if section else q)
    return tuple(out)


def _ask_with(qa: QAService, question: str, history: tuple):
    return qa.ask(question, history=history) if history else qa.ask(question)


def create_app(
    settings: "Settings",
    qa: QAService | None = None,
    *,
    extra_routes: list | None = None,
    startup: list[Callable[[], None]] | None = None,
    slack_client=None,
) -> Starlette:
    """Build the ASGI app.

    Args:
        settings: runtime settings.
        qa: the answer service (default: on-disk index of ``settings``).
        extra_routes: more routes to mount (tests).
        startup: callables run once the server starts (e.g. Socket Mode).
        slack_client: Slack Web API client to use instead of building one (tests).
    """
    from feedback.answers import FeedbackStore
    from feedback.permissions import private_dir

    private_dir(settings.data_dir)      # databases with personal data live here: owner-only (0700)
    qa = qa or QAService(settings)
    pool = AnswerPool(settings.ask_workers, settings.ask_queue)
    metrics = Metrics()                 # GET /metrics; a registry of this app's own
    metrics.watch_index(qa.status)
    feedback_store = FeedbackStore(settings.database_path)     # answers shown here, and votes on them
    feedback = WebFeedback(feedback_store)
    answering = Answering(qa, pool, RateLimiter.parse(settings.ask_rate_limit), metrics, feedback)
    routes: list = []
    on_start: list[Callable[[], None]] = [lambda: _warm(qa)]
    on_start += startup or []
    on_stop: list[Callable[[], None]] = [feedback_store.close, pool.shutdown]     # run in reverse order

    # --- revisions: begin ---
    # Follow `reformbot index build | rollback` without a restart: a thread polls the `current`
    # pointer and swaps the new version in while the old one keeps answering (bot/service.py).
    watcher = None
    if hasattr(qa, "refresh"):
        from bot.service import IndexWatcher

        watcher = IndexWatcher(qa)
        on_start.append(watcher.start)
        on_stop.append(watcher.stop)
    # --- revisions: end ---

    def page(request: Request, lang: str, *, q: str = "", answer=None, error=None, status: int = 200,
             headers: dict | None = None, notice: str | None = None, notice_error: bool = False,
             previous: str = "") -> Response:
        headers = dict(headers or {})
        vote, new_cookie = None, None
        if answer is not None and ANSWER_ID_HEADER in headers:
            cookie, is_new = feedback.voter(request)
            new_cookie = cookie if is_new else None
            vote = feedback.form(cookie, int(headers[ANSWER_ID_HEADER]))
            headers["Cache-Control"] = "no-store"           # the vote form carries a token for this browser
        lead, others = split_lead(answer)
        about = current_about(qa, settings.city_name)      # the page names the document serving now
        text = about.fill_all(messages.WEB[lang], lang)
        if not about.questions(lang):
            text["placeholder"] = ""
        response = templates.TemplateResponse(
            request,
            "index.html",
            {
                "t": text,
                "lang": lang,
                "other_lang": "en" if lang == "ja" else "ja",
                "q": q,
                "answer": answer,
                "lead": lead,
                "others": others,
                "marked": segments(answer.answer, answer.highlight) if answer is not None and answer.found else [],
                "error": error,
                "notice": notice,
                "notice_error": notice_error,
                "vote": vote,
                "examples": about.questions(lang),
                "contact": settings.contact,
                "maxlen": MAX_QUESTION_CHARS,
                "previous": previous[:MAX_QUESTION_CHARS],
                "follow": follow_up_fields(answer),
            },
            status_code=status,
            headers=headers,
        )
        if new_cookie:
            feedback.set_cookie(response, new_cookie, request)
        return response

    async def home(request: Request) -> Response:
        q = request.query_params.get("q", "")
        lang = _lang(request, q)
        answer, error, status = (None, None, 200)
        headers: dict = {}
        # The answer page's 「続けて質問する」 form carries the previous question (as it was read)
        # and the section that answered it: a follow-up is read with them, without JavaScript.
        previous = request.query_params.get("previous", "")
        history = ({"question": previous, "section": request.query_params.get("previous_section", "")},) \
            if previous.strip() else ()
        if "q" in request.query_params:
            answer, error, status, headers = await answering(request, q, lang, surface="web", history=history)
        return page(request, lang, q=q, answer=answer, error=error, status=status, headers=headers,
                    previous=previous if error else "")

    async def vote(request: Request) -> Response:
        """👍/👎 from the staff page's form under an answer (no JavaScript)."""
        try:
            async with request.form(max_files=0, max_fields=10) as raw:
                form = {k: v for k, v in raw.items() if isinstance(v, str)}
        except Exception:          # malformed body, too many fields
            form = {}
        lang = form.get("lang") if form.get("lang") in messages.WEB else _lang(request)
        outcome, status = await feedback.vote(request, form)
        return page(request, lang, status=status, notice=messages.WEB[lang][outcome], notice_error=status >= 400)

    async def api_ask(request: Request) -> Response:
        q = request.query_params.get("q", "")
        lang = _lang(request, q)
        # ?history=earlier question (repeated, oldest first; the last MAX_HISTORY are used).
        history = tuple(request.query_params.getlist("history"))
        answer, error, status, headers = await answering(request, q, lang, surface="api", history=history)
        if answer is None:
            return JSONResponse({"error": error}, status_code=status, headers=headers)
        return JSONResponse(answer.to_dict(), headers=headers)

    async def healthz(request: Request) -> Response:
        try:
            info = qa.status()
        except Exception as exc:
            # The cause (with paths) goes to the log for the operator, not to whoever asks.
            log.error("health check: %s", exc)
            return JSONResponse({"status": "unavailable", "error": messages.WEB["en"]["unavailable"]},
                                status_code=503)
        return JSONResponse({"status": "ok", **info})

    routes += [
        Route("/", home),
        Route(VOTE_PATH, vote, methods=["POST"]),
        Route("/api/ask", api_ask),
        Route("/healthz", healthz),
        Route("/metrics", MetricsEndpoint(metrics, settings.metrics_token), methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    # --- proposals: begin ---
    # The citizen form (/proposals/new, /proposals, receipts) and its Slack triage plugin.
    from feedback.proposals.web import mount_proposals

    proposals = mount_proposals(settings, qa, slack_client=slack_client)
    routes += proposals.routes
    on_start += proposals.startup
    proposals.store.add_listener(lambda p: metrics.proposal_received(p.source))
    metrics.watch_linking_backlog(proposals.store.pending_count)
    on_stop += proposals.shutdown
    # --- proposals: end ---

    # --- slack: begin ---
    # mount_slack decides: HTTP routes when bot token + signing secret are set, Socket Mode
    # (started on startup) when SLACK_APP_TOKEN is set too, else it logs that Slack is off.
    from bot.slack import mount_slack
    from bot.slack.metrics import metrics_plugin

    from bot.slack.publish import publish_plugin  # a revised outline sent by an admin in a DM, 公開する / 元に戻す
    from bot.slack.revisions import slack_plugin as revisions_plugin  # switch announcements, /reform changes

    # The metrics plugin last: it wraps Bolt's error handler, which @app.error would replace.
    slack = mount_slack(settings, qa, client=slack_client,
                        plugins=[revisions_plugin, publish_plugin, proposals.slack_plugin, metrics_plugin(metrics)])
    routes += slack.routes
    on_start += slack.startup
    on_stop += slack.shutdown       # Socket Mode closed, running listeners finished, store closed
    # --- slack: end ---


    routes += extra_routes or []

    @contextlib.asynccontextmanager
    async def lifespan(app):
        for fn in on_start:
            try:
                fn()
            except Exception:
                log.exception("start-up step %r failed", fn)
        yield
        for fn in reversed(on_stop):
            try:
                fn()
            except Exception:
                log.exception("shutdown step %r failed", fn)

    middleware = [
        Middleware(AccessLog, on_done=metrics.request_done),
        Middleware(SecurityHeaders),
        Middleware(BodyLimit, default=DEFAULT_BODY_LIMIT, limits=BODY_LIMITS),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.qa = qa
    app.state.settings = settings
    app.state.index_watcher = watcher
    app.state.answer_pool = pool
    app.state.metrics = metrics
    app.state.feedback_store = feedback_store
    return app


def follow_up_fields(answer) -> dict | None:
    """What the answer page's 「続けて質問する」 form carries: the question as it was read (so a
    chain of follow-ups keeps its topic) and the section that answered it."""
    if answer is None:
        return None
    previous = answer.searched_as or answer.meta.get("asked") or answer.question
    section = answer.sources[0].section if answer.found and answer.sources else ""
    return {"previous": previous[:MAX_QUESTION_CHARS], "previous_section": section[:SECTION_CHARS]}


def _warm(qa: QAService) -> None:
    """Load the index (and model) before the first request, so it is not slow."""
    try:
        qa.ask("大綱")
    except Exception as exc:
        log.error("index not loaded at start-up: %s", exc)


def serve(settings: "Settings") -> None:
    """Run the HTTP server on settings.host:port (blocks)."""
    import uvicorn

    uvicorn.run(create_app(settings), **uvicorn_options(settings))


def uvicorn_options(settings: "Settings") -> dict:
    """How ``reformbot serve`` runs uvicorn.

    uvicorn's access log is off: it prints the request line with the query string, and questions
    travel in ``?q=``; :class:`bot.guards.AccessLog` logs the path, status and latency instead.
    X-Forwarded-For/-Proto are honoured only from ``settings.forwarded_allow_ips``.
    """
    return {"host": settings.host, "port": settings.port, "log_level": "info", "access_log": False,
            "proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips,
            "server_header": False}
