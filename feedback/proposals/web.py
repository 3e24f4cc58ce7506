"""HTTP edge of the citizen form: ``GET /proposals/new``, ``POST /proposals``, receipt.

Thin: parse the form, call validation / guard / store, render a template. Plain HTML, no
JavaScript; Japanese by default, English with ``?lang=en`` (or the form's hidden ``lang``).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.guards import BodyTooLarge, read_body
from feedback.clock import Clock

from . import messages as M
from .guard import FormTokens, RateLimiter
from .linking import ProposalPipeline, SimilarFinder
from .model import AGE_CHOICES, GOAL_CHOICES, RESIDENCY_CHOICES
from .retention import PersonalDataJanitor
from .store import ProposalStore, iso, local_time
from .validation import LIMITS, validate_proposal

if TYPE_CHECKING:
    from bot.settings import Settings

    from .outbox import OutboxWorker

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
COOKIE = "rb_form"
MAX_BODY_BYTES = 64 * 1024     # the longest valid form is ~20 KB of UTF-8
SECURITY_HEADERS = {
    # No scripts at all; styles only from our own static files.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                   autoescape=select_autoescape(["html"], default=True),
                   trim_blocks=True, lstrip_blocks=True)


def privacy_notice(settings: "Settings", lang: str) -> str:
    """The personal-information notice: the configured file, else the bundled text for ``lang``."""
    if settings.privacy_notice_file:
        return Path(settings.privacy_notice_file).read_text(encoding="utf-8-sig")
    return (HERE / f"privacy_notice_{lang}.txt").read_text(encoding="utf-8")


def client_key(request: Request) -> str:
    """Who counts as one client for rate limiting: the peer address (uvicorn resolves
    X-Forwarded-For only from trusted proxies, ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else "unknown"


class ProposalForm:
    """The form's request handlers, bound to one store and pipeline."""

    def __init__(self, settings: "Settings", store: ProposalStore, pipeline: ProposalPipeline | None,
                 similar: SimilarFinder | None = None, *, limiter: RateLimiter | None = None,
                 clock: Clock | None = None):
        self.settings = settings
        self.store = store
        self.pipeline = pipeline
        self.similar = similar
        self.clock = clock or store.clock
        self.tokens = FormTokens(store.form_secret, clock=self.clock.wall)
        self.limiter = limiter or RateLimiter.parse(settings.proposals_rate_limit, clock=self.clock.monotonic)
        # "Check similar" embeds the draft (CPU): allow it more often than submitting, not freely.
        self.preview_limiter = RateLimiter(self.limiter.limit * 6, self.limiter.window, self.limiter.clock)

    # --- rendering ---------------------------------------------------------------------------

    def _page(self, template: str, lang: str, status: int = 200, cookie: str | None = None,
              headers: dict | None = None, secure: bool = False, **ctx) -> HTMLResponse:
        html = _env.get_template(template).render(
            lang=lang, other_lang="en" if lang == "ja" else "ja",
            t=lambda key, **kw: M.t(key, lang, **kw), M=M, **ctx)
        resp = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})
        if cookie:
            # Secure over HTTPS (scheme from X-Forwarded-Proto only when a trusted proxy sent it).
            resp.set_cookie(COOKIE, cookie, max_age=7 * 24 * 3600, httponly=True, samesite="strict",
                            path="/proposals", secure=secure)
        return resp

    def _form_page(self, request: Request, lang: str, *, form: dict | None = None, errors: dict | None = None,
                   status: int = 200, form_id: str | None = None, banner: str | None = None,
                   similar=None, headers: dict | None = None) -> HTMLResponse:
        cookie = request.cookies.get(COOKIE) or ""
        new_cookie = None
        if len(cookie) != 32 or not all(c in "0123456789abcdef" for c in cookie):
            cookie = new_cookie = FormTokens.new_cookie()
        form_id = form_id if form_id and len(form_id) <= 64 else FormTokens.new_form_id()
        errors = errors or {}
        title = M.t("form_title", lang)
        if errors or banner:
            title = ("エラー: " if lang == "ja" else "Error: ") + title
        return self._page(
            "form.html", lang, status=status, cookie=new_cookie, headers=headers,
            secure=request.url.scheme == "https",
            page_title=title, form=form or {"goal": "unknown"}, errors=errors, banner=banner,
            form_id=form_id, csrf_token=self.tokens.token(cookie, form_id), limits=LIMITS,
            goals=GOAL_CHOICES, residencies=RESIDENCY_CHOICES, ages=("",) + AGE_CHOICES,
            notice=privacy_notice(self.settings, lang), notice_version=self.settings.privacy_notice_version,
            similar=similar, similar_enabled=self.similar is not None, keep_draft_on_switch=True)

    def _receipt_page(self, lang: str, receipt_no: str, created_at: str, title: str, body: str) -> HTMLResponse:
        return self._page("receipt.html", lang, page_title=M.t("receipt_title", lang), receipt_no=receipt_no,
                          received_at=local_time(created_at), title=title, body=body)

    # --- handlers ----------------------------------------------------------------------------

    async def new(self, request: Request) -> Response:
        lang = M.normalise_lang(request.query_params.get("lang"))
        return self._form_page(request, lang)

    async def index(self, request: Request) -> Response:
        lang = M.normalise_lang(request.query_params.get("lang"))
        return RedirectResponse(f"/proposals/new{'?lang=en' if lang == 'en' else ''}", status_code=303)

    async def submit(self, request: Request) -> Response:
        lang = M.normalise_lang(request.query_params.get("lang"))
        try:
            # Bounded before parsing, whether or not the client declared a length (chunked).
            await read_body(request, MAX_BODY_BYTES)
            async with request.form(max_files=0, max_fields=40, max_part_size=MAX_BODY_BYTES) as raw:
                form = {k: v for k, v in raw.items() if isinstance(v, str)}
        except BodyTooLarge:
            log.info("proposal form: body over %d bytes; 413, not read further", MAX_BODY_BYTES)
            return self._page("message.html", lang, status=413, page_title=M.t("forbidden_title", lang),
                              message=M.t("error_too_long", lang, field=M.t("body", lang), max=LIMITS["body"],
                                          n="?"))
        except ClientDisconnect:
            log.info("proposal form: client went away before the form arrived")
            return Response(status_code=400)
        except HTTPException as exc:       # malformed multipart, too many fields
            return self._page("message.html", lang, status=exc.status_code, page_title=M.t("forbidden_title", lang),
                              message=M.t("error_server", lang))
        lang = M.normalise_lang(form.get("lang") or request.query_params.get("lang"))
        kept = {k: form.get(k, "") for k in ("title", "body", "goal", "residency", "age_group", "name",
                                              "email", "consent")}
        form_id = form.get("form_id", "")

        if not self.tokens.valid(request.cookies.get(COOKIE), form_id, form.get("csrf_token")):
            log.warning("proposal form: missing or invalid CSRF token from %s", client_key(request))
            return self._form_page(request, lang, form=kept, status=403, banner=M.t("error_csrf", lang))

        if form.get("website", "").strip():
            # Honeypot: a person never sees this field. Answer exactly like a success, store nothing.
            # The number is a decoy: never stored, never issued to anyone (receipts.py).
            log.warning("proposal form: honeypot filled from %s; not stored", client_key(request))
            now = self.clock.now()
            return self._receipt_page(lang, self.store.decoy_receipt_no(now), iso(now),
                                      kept["title"].strip(), kept["body"].strip())

        if form.get("action") == "switch_lang":
            # The header's language switch on the form: the same draft, in the other language.
            lang = M.normalise_lang(request.query_params.get("lang"))
            return self._form_page(request, lang, form=kept, form_id=form_id)

        if form.get("action") == "similar":
            if self.preview_limiter.acquire(client_key(request)):
                similar = "unavailable"
            else:
                similar = await run_in_threadpool(self._similar, kept)
            return self._form_page(request, lang, form=kept, form_id=form_id, similar=similar)

        result = validate_proposal(form, lang, consent_version=self.settings.privacy_notice_version)
        if not result.ok:
            return self._form_page(request, lang, form=result.form, errors=result.errors, status=422,
                                   form_id=form_id)

        try:
            proposal, created, wait = await run_in_threadpool(self._store, result.value, form_id,
                                                              client_key(request))
        except Exception:
            log.exception("storing a proposal failed")
            return self._form_page(request, lang, form=result.form, form_id=form_id, status=503,
                                   banner=M.t("error_server", lang))
        if wait:
            minutes = max(1, int(wait // 60) + (1 if wait % 60 else 0))
            log.warning("proposal form: rate limit for %s", client_key(request))
            return self._form_page(request, lang, form=result.form, form_id=form_id, status=429,
                                   banner=M.t("error_rate", lang, minutes=minutes),
                                   headers={"Retry-After": str(math.ceil(wait))})
        if created:
            log.info("proposal %s stored (%s)", proposal.receipt_no, proposal.source)
            if self.pipeline is not None:
                self.pipeline.submit(proposal.id)
        return self._receipt_page(lang, proposal.receipt_no, proposal.created_at, proposal.title, proposal.body)

    def _store(self, value, form_id: str, client: str):
        """Store once per form; a form not stored before counts against the client's rate limit.

        Returns:
            ``(proposal, created, 0)``, or ``(None, False, seconds_to_wait)`` when rate limited.
        """
        if not self.store.token_used(form_id):
            wait = self.limiter.acquire(client)
            if wait:
                return None, False, wait
        proposal, created = self.store.add(replace(value, submission_token=form_id))
        return proposal, created, 0.0

    def _similar(self, kept: dict):
        """Published proposals close to the draft, each shown only as the title and excerpt a staff
        member approved when publishing it (never the stored text, masked or not)."""
        if self.similar is None or not (kept.get("title", "").strip() or kept.get("body", "").strip()):
            return None
        try:
            vec = self.similar.embed(kept.get("title", ""), kept.get("body", ""))
            found = self.similar.nearest(vec, published_only=True)
        except Exception:
            log.exception("similar-proposal search failed")
            return "unavailable"
        public = self.store.public_texts([s.proposal_id for s in found])
        return [{"receipt_no": s.receipt_no, "title": public[s.proposal_id].title,
                 "excerpt": public[s.proposal_id].excerpt} for s in found if s.proposal_id in public]


def proposal_routes(settings: "Settings", store: ProposalStore, linker=None, notifier=None, *,
                    similar: SimilarFinder | None = None, pipeline: ProposalPipeline | None = None,
                    limiter: RateLimiter | None = None, clock: Clock | None = None) -> list:
    """Routes of the citizen form, to mount on the main server.

    Args:
        settings: runtime settings.
        store: the proposals store.
        linker: outline retriever (``search(text, k)``) used to link new proposals.
        notifier: Slack notifier (``proposal_created(proposal)``), or None.
        similar: similar-proposal finder (None: the "check similar" button is hidden).
        pipeline: background pipeline (default: built from linker, similar and notifier).
        limiter: rate limiter (default from ``settings.proposals_rate_limit``).
        clock: time source for form tokens and the rate limit (default: the store's clock).

    Returns:
        Starlette routes under ``/proposals``.
    """
    if pipeline is None:
        pipeline = ProposalPipeline(store, linker, similar, notifier)
    form = ProposalForm(settings, store, pipeline, similar, limiter=limiter, clock=clock)
    return [
        Route("/proposals", form.submit, methods=["POST"]),
        Route("/proposals", form.index, methods=["GET"]),
        Route("/proposals/", form.index, methods=["GET"]),
        Route("/proposals/new", form.new, methods=["GET"]),
        Mount("/proposals/static", app=StaticFiles(directory=str(HERE / "static")), name="proposals_static"),
    ]


@dataclass
class ProposalsMount:
    """What the server needs for proposals."""

    routes: list
    startup: list
    shutdown: list
    store: ProposalStore
    pipeline: ProposalPipeline
    slack_plugin: Callable | None = None    # pass to ``bot.slack.mount_slack(..., plugins=[...])``
    janitor: PersonalDataJanitor | None = None   # erases names and emails past retention, daily
    outbox: "OutboxWorker | None" = None     # sends mail to citizens (None: REFORMBOT_SMTP_URL unset)

    def __iter__(self):   # ``routes, startup = mount_proposals(...)``
        return iter((self.routes, self.startup))


def mount_proposals(settings: "Settings", qa=None, *, slack_client=None,
                    store: ProposalStore | None = None) -> ProposalsMount:
    """Everything ``reformbot serve`` needs for proposals.

    Args:
        settings: runtime settings.
        qa: the QA service; its retriever links proposals to the outline and its embedder finds
            similar proposals (both loaded lazily, in the background worker).
        slack_client: Slack Web API client (default: built from settings when a bot token is set).
        store: an open store (default: ``settings.database_path``).

    Returns:
        A :class:`ProposalsMount`: routes, start-up/shutdown callables (the linking worker and the
        daily erasure of names and emails past ``settings.personal_data_retention_days``), and the
        Slack plugin.
    """
    store = store or ProposalStore(settings.database_path, mail=mail_options(settings))
    searcher = _LazyRetriever(qa) if qa is not None else None
    similar = SimilarFinder(store, _LazyEmbedder(qa)) if qa is not None else None
    notifier = None
    if settings.proposals_channel and (slack_client is not None or settings.slack_bot_token):
        from .slack import SlackNotifier

        if slack_client is None:
            from bot.slack import make_web_client

            slack_client = make_web_client(settings)
        notifier = SlackNotifier(slack_client, settings.proposals_channel, store)
    else:
        log.info("proposals: not posted to Slack (set REFORMBOT_PROPOSALS_CHANNEL and SLACK_BOT_TOKEN)")
    pipeline = ProposalPipeline(store, searcher, similar, notifier)
    routes = proposal_routes(settings, store, searcher, notifier, similar=similar, pipeline=pipeline)
    from .slack import proposals_plugin

    janitor = PersonalDataJanitor(store, store.clock, settings.personal_data_retention_days)
    outbox = outbox_worker(settings, store, notifier)
    startup = [pipeline.start] + ([outbox.start] if outbox else [])

    def close() -> None:
        janitor.stop()       # a run in progress finishes first
        pipeline.stop()      # finishes what is queued, then the store can close
        if outbox is not None:
            outbox.stop()    # a mail being sent is finished and settled first
        store.close()

    # One shutdown callable: the server runs its shutdown list in reverse order.
    return ProposalsMount(routes=routes, startup=startup + [janitor.start], shutdown=[close], store=store,
                          pipeline=pipeline, slack_plugin=proposals_plugin(store, pipeline), outbox=outbox,
                          janitor=janitor)


def mail_options(settings: "Settings"):
    """How the store queues mail to citizens, from the settings (link origin, receipts)."""
    from .mailtext import MailOptions

    return MailOptions(public_url=settings.public_url, receipts=bool(settings.mail_receipts))


def outbox_worker(settings: "Settings", store: ProposalStore, reporter=None):
    """The mail outbox worker for ``store``, woken whenever a mail is queued; None (mail is queued
    but not sent, which is logged) when ``REFORMBOT_SMTP_URL`` is not set."""
    config = settings.smtp_config()
    if config is None:
        log.info("mail to citizens: queued, not sent (set REFORMBOT_SMTP_URL and REFORMBOT_MAIL_FROM)")
        return None
    from feedback.mail import Mailer

    from .outbox import OutboxWorker

    worker = OutboxWorker(store, Mailer(config), settings.mail_from, reporter=reporter)
    store.add_outbox_listener(worker.wake)
    log.info("mail to citizens: sent through %s", config.redacted())
    return worker


class _LazyRetriever:
    """The QA service's retriever, loaded on first search (not at import or start-up)."""

    def __init__(self, qa):
        self.qa = qa

    def search(self, query: str, k: int = 10):
        return self.qa.retriever.search(query, k)


class _LazyEmbedder:
    """The retriever's embedder, so proposals are embedded with the index's model."""

    def __init__(self, qa):
        self.qa = qa

    @property
    def model_id(self) -> str:
        return self.qa.retriever.embedder.model_id

    def embed_queries(self, texts):
        return self.qa.retriever.embedder.embed_queries(texts)
