"""HTTP edge of the citizen pages: the form (``GET /proposals/new``, ``POST /proposals``) and its
receipt; the status page (``/proposals/status``: 受付番号 + 照会キー); the public list of published
proposals with the city's answers (``GET /proposals``), a page per proposal and an Atom feed.

Thin: parse the request, call validation / guard / store / public, render a template. Plain
HTML, no JavaScript; Japanese by default, English with ``?lang=en`` (or a form's hidden ``lang``).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.guards import BodyTooLarge, read_body
from feedback.clock import Clock

from . import lookup_keys
from . import messages as M
from .guard import FormTokens, RateLimiter
from .linking import ProposalPipeline, SimilarFinder
from .model import AGE_CHOICES, GOAL_UNKNOWN, RESIDENCY_CHOICES, STATUSES, PublicProposal
from .retention import PersonalDataJanitor
from .public import (MAX_QUERY_CHARS, FeedEntry, PublicSearch, atom_feed, entry_id, public_answer)
from .receipts import EXAMPLE as RECEIPT_EXAMPLE
from .receipts import normalise_receipt
from .store import ProposalStore, iso, local_time
from .validation import LIMITS, is_blank, validate_proposal

if TYPE_CHECKING:
    from bot.about import About
    from bot.settings import Settings
    from corpus.model import Document

    from .outbox import OutboxWorker

DocumentSource = Callable[[], "Document | None"]
"""Where the form finds the current document (its goals, name and city): ``QAService.current_document``."""

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


def privacy_notice(settings: "Settings", lang: str, city: str = "") -> str:
    """The personal-information notice: the configured file as written, else the bundled text for
    ``lang`` naming ``city`` (a neutral wording when it is empty)."""
    if settings.privacy_notice_file:
        return Path(settings.privacy_notice_file).read_text(encoding="utf-8-sig")
    text = (HERE / f"privacy_notice_{lang}.txt").read_text(encoding="utf-8")
    words = M.place_words(city, lang)
    who = words["city"] or M.t("privacy_neutral_city", lang)
    return text.replace("{city}", who).replace("{area_en}", words["area_en"]).replace("{area}", words["area"])


def browser_cookie(request: Request) -> tuple[str, str | None]:
    """The browser's form cookie, and a new one to set when it sent none (or a malformed one).

    Returns:
        ``(cookie, new_cookie)``; ``new_cookie`` is None when the browser's own is kept.
    """
    cookie = request.cookies.get(COOKIE) or ""
    if len(cookie) != 32 or not all(c in "0123456789abcdef" for c in cookie):
        cookie = FormTokens.new_cookie()
        return cookie, cookie
    return cookie, None


def client_key(request: Request) -> str:
    """Who counts as one client for rate limiting: the peer address (uvicorn resolves
    X-Forwarded-For only from trusted proxies, ``--forwarded-allow-ips``)."""
    return request.client.host if request.client else "unknown"


class ProposalForm:
    """The form's request handlers, bound to one store and pipeline."""

    def __init__(self, settings: "Settings", store: ProposalStore, pipeline: ProposalPipeline | None,
                 similar: SimilarFinder | None = None, *, limiter: RateLimiter | None = None,
                 clock: Clock | None = None, document: DocumentSource | None = None):
        self.settings = settings
        self.document = document
        self.store = store
        self.pipeline = pipeline
        self.similar = similar
        self.clock = clock or store.clock
        self.tokens = FormTokens(store.form_secret, clock=self.clock.wall)
        self.limiter = limiter or RateLimiter.parse(settings.proposals_rate_limit, clock=self.clock.monotonic)
        # "Check similar" embeds the draft (CPU): allow it more often than submitting, not freely.
        self.preview_limiter = RateLimiter(self.limiter.limit * 6, self.limiter.window, self.limiter.clock)

    # --- rendering ---------------------------------------------------------------------------

    def about(self) -> "About":
        """The current document (goals, name) and city, as every page of the form names them."""
        from bot.about import describe

        document = None
        if self.document is not None:
            try:
                document = self.document()
            except Exception:        # the form still works: only わからない, neutral wording
                log.exception("proposal form: reading the current document failed")
        return describe(document, self.settings.city_name)

    def _page(self, template: str, lang: str, status: int = 200, cookie: str | None = None,
              headers: dict | None = None, secure: bool = False, about: "About | None" = None,
              **ctx) -> HTMLResponse:
        words = M.document_words(about or self.about(), lang)
        html = _env.get_template(template).render(
            lang=lang, other_lang="en" if lang == "ja" else "ja",
            t=lambda key, **kw: M.t(key, lang, **{**words, **kw}),
            label=lambda table, key: M.label(table, key, lang, **words), M=M, **ctx)
        resp = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})
        if cookie:
            # Secure over HTTPS (scheme from X-Forwarded-Proto only when a trusted proxy sent it).
            resp.set_cookie(COOKIE, cookie, max_age=7 * 24 * 3600, httponly=True, samesite="strict",
                            path="/proposals", secure=secure)
        return resp

    def _form_page(self, request: Request, lang: str, *, form: dict | None = None, errors: dict | None = None,
                   status: int = 200, form_id: str | None = None, banner: str | None = None,
                   similar=None, headers: dict | None = None) -> HTMLResponse:
        cookie, new_cookie = browser_cookie(request)
        form_id = form_id if form_id and len(form_id) <= 64 else FormTokens.new_form_id()
        errors = errors or {}
        title = M.t("form_title", lang)
        if errors or banner:
            title = ("エラー: " if lang == "ja" else "Error: ") + title
        about = self.about()
        # The document's goals as it words them (in both languages), then わからない.
        goals = [(g.key, g.text) for g in about.goals] + [(GOAL_UNKNOWN, M.GOAL_UNKNOWN_LABEL[lang])]
        return self._page(
            "form.html", lang, status=status, cookie=new_cookie, headers=headers,
            secure=request.url.scheme == "https", about=about,
            page_title=title, nav="form", form=form or {"goal": GOAL_UNKNOWN}, errors=errors, banner=banner,
            form_id=form_id, csrf_token=self.tokens.token(cookie, form_id), limits=LIMITS,
            goals=goals, has_goals=bool(about.goals), residencies=RESIDENCY_CHOICES, ages=("",) + AGE_CHOICES,
            notice=privacy_notice(self.settings, lang, about.city),
            notice_version=self.settings.privacy_notice_version,
            similar=similar, similar_enabled=self.similar is not None, keep_draft_on_switch=True)

    def _receipt_page(self, lang: str, receipt_no: str, created_at: str, title: str, body: str,
                      lookup_key: str | None) -> HTMLResponse:
        """The receipt; ``lookup_key`` None means it was shown on the first receipt (a resend)."""
        return self._page("receipt.html", lang, page_title=M.t("receipt_title", lang), receipt_no=receipt_no,
                          received_at=local_time(created_at), title=title, body=body, lookup_key=lookup_key,
                          key_hint=M.t("lookup_key_hint", lang))

    # --- handlers ----------------------------------------------------------------------------

    async def new(self, request: Request) -> Response:
        lang = M.normalise_lang(request.query_params.get("lang"))
        return self._form_page(request, lang)

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
            # The number is a decoy: never stored, never issued to anyone (receipts.py); so is the key.
            log.warning("proposal form: honeypot filled from %s; not stored", client_key(request))
            now = self.clock.now()
            return self._receipt_page(lang, self.store.decoy_receipt_no(now), iso(now),
                                      kept["title"].strip(), kept["body"].strip(), lookup_keys.new_key())

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

        about = self.about()
        result = validate_proposal(form, lang, consent_version=self.settings.privacy_notice_version,
                                   goals=about.goals, words=M.document_words(about, lang))
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
        return self._receipt_page(lang, proposal.receipt_no, proposal.created_at, proposal.title, proposal.body,
                                  proposal.lookup_key)

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


PAGE_SIZE = 20            # proposals per page of the public list
FEED_ENTRIES = 50         # the feed's newest entries
STATUS_FORM_ID = "status-lookup"    # the status form's CSRF token binds the browser cookie to this
MAX_LOOKUP_BODY = 4 * 1024          # a lookup is two short fields and a token


def local_date(iso_text: str | None) -> str:
    """The JST date of a stored UTC timestamp, e.g. ``2026-11-27`` (empty when there is none)."""
    if not iso_text:
        return ""
    try:
        return local_time(iso_text)[:10]
    except ValueError:          # not the store's own format: show what there is
        return iso_text[:10]


class CitizenPages:
    """What a citizen reads after sending: the status page (受付番号 + 照会キー, POST only, so the key
    never travels in a URL) and the public list of published proposals with the city's answers, a
    page per proposal and an Atom feed of them.

    Args:
        form: the form's handlers (their store, clock, token signer and page renderer are shared).
        search: search over the public list (by meaning when it has a finder).
        lookup_limiter: status lookups per client.
        search_limiter: searches by meaning per client (past it, substring search only).
    """

    def __init__(self, form: ProposalForm, search: PublicSearch, *, lookup_limiter: RateLimiter,
                 search_limiter: RateLimiter):
        self.form = form
        self.store = form.store
        self.search = search
        self.lookup_limiter = lookup_limiter
        self.search_limiter = search_limiter

    # --- status page ---------------------------------------------------------------------------

    def _status_form(self, request: Request, lang: str, *, receipt: str = "", errors: dict | None = None,
                     banner: str | None = None, status: int = 200, headers: dict | None = None) -> HTMLResponse:
        """The lookup form. Everything on it depends only on what was typed, never on the database."""
        cookie, new_cookie = browser_cookie(request)
        errors = errors or {}
        title = M.t("status_title", lang)
        if errors or banner:
            title = ("エラー: " if lang == "ja" else "Error: ") + title
        prefill = normalise_receipt(receipt) if receipt else None
        switch = f"/proposals/status?lang={'en' if lang == 'ja' else 'ja'}" + (f"&receipt={prefill}" if prefill else "")
        return self.form._page(
            "status.html", lang, status=status, cookie=new_cookie, headers=headers,
            secure=request.url.scheme == "https", page_title=title, nav="status", switch_href=switch,
            receipt=receipt, errors=errors, banner=banner, csrf_token=self.form.tokens.token(cookie, STATUS_FORM_ID),
            receipt_example=RECEIPT_EXAMPLE, key_example=lookup_keys.EXAMPLE)

    async def status_form(self, request: Request) -> Response:
        """``GET /proposals/status``; ``?receipt=`` fills in the number (never the key)."""
        lang = M.normalise_lang(request.query_params.get("lang"))
        receipt = (request.query_params.get("receipt") or "").strip()[:40]
        return self._status_form(request, lang, receipt=receipt)

    async def status_lookup(self, request: Request) -> Response:
        """``POST /proposals/status``: the status and the city's answer, or one "no match" reply for a
        wrong number and a wrong key alike (same status, same page, same work)."""
        lang = M.normalise_lang(request.query_params.get("lang"))
        try:
            await read_body(request, MAX_LOOKUP_BODY)
            async with request.form(max_files=0, max_fields=10, max_part_size=MAX_LOOKUP_BODY) as raw:
                form = {k: v for k, v in raw.items() if isinstance(v, str)}
        except BodyTooLarge:
            return self._status_form(request, lang, status=413, banner=M.t("error_temporary", lang))
        except ClientDisconnect:
            return Response(status_code=400)
        except HTTPException as exc:
            return self._status_form(request, lang, status=exc.status_code, banner=M.t("error_temporary", lang))
        lang = M.normalise_lang(form.get("lang") or request.query_params.get("lang"))
        receipt, key = form.get("receipt", "").strip()[:40], form.get("key", "")[:64]
        if not self.form.tokens.valid(request.cookies.get(COOKIE), STATUS_FORM_ID, form.get("csrf_token")):
            log.warning("status lookup: missing or invalid CSRF token from %s", client_key(request))
            return self._status_form(request, lang, receipt=receipt, status=403, banner=M.t("error_csrf_lookup", lang))
        errors = {}
        if is_blank(receipt):
            errors["receipt"] = M.t("error_required", lang, field=M.t("receipt_no", lang))
        elif normalise_receipt(receipt) is None:
            errors["receipt"] = M.t("error_receipt_format", lang, example=RECEIPT_EXAMPLE)
        if is_blank(key):
            errors["key"] = M.t("error_required", lang, field=M.t("lookup_key", lang))
        elif lookup_keys.normalise_key(key) is None:
            errors["key"] = M.t("error_key_format", lang, example=lookup_keys.EXAMPLE)
        if errors:
            return self._status_form(request, lang, receipt=receipt, errors=errors, status=422)
        wait = self.lookup_limiter.acquire(client_key(request))
        if wait:
            log.warning("status lookup: rate limit for %s", client_key(request))
            minutes = max(1, math.ceil(wait / 60))
            return self._status_form(request, lang, receipt=receipt, status=429,
                                     banner=M.t("error_status_rate", lang, minutes=minutes),
                                     headers={"Retry-After": str(math.ceil(wait))})
        try:
            found = await run_in_threadpool(self._lookup, receipt, key)
        except Exception:
            log.exception("status lookup failed")
            return self._status_form(request, lang, receipt=receipt, status=503, banner=M.t("error_temporary", lang))
        if found is None:
            log.info("status lookup: no match (from %s)", client_key(request))
            return self._status_form(request, lang, receipt=receipt, status=404, banner=M.t("status_not_found", lang))
        proposal, answer = found
        return self.form._page(
            "status_result.html", lang, page_title=M.t("status_result_title", lang), nav="status",
            switch_href=f"/proposals/status?lang={'en' if lang == 'ja' else 'ja'}&receipt={proposal.receipt_no}",
            p=proposal, history=_status_steps(proposal), answer=answer, local_time=local_time, local_date=local_date)

    def _lookup(self, receipt: str, key: str):
        proposal = self.store.status_lookup(receipt, key)
        if proposal is None:
            return None
        return proposal, public_answer(self.store, proposal.id)

    # --- public list, one proposal, feed -------------------------------------------------------

    def _public(self, p: PublicProposal) -> dict:
        """One published proposal as the pages and the feed show it, with the city's answer."""
        answer = public_answer(self.store, p.id)
        updated = max(t for t in (p.published_at, p.status_at, getattr(answer, "created_at", "") or "") if t)
        return {"p": p, "answer": answer, "updated": updated}

    def _listing(self, *, goal, status, q, page, by_meaning):
        substring_only = False
        if q:
            result = self.search.search(q, goal=goal, status=status, by_meaning=by_meaning)
            substring_only = not result.by_meaning
            total = len(result.ids)
        else:
            total = self.store.published_count(goal=goal, status=status)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(page, pages)
        offset = (page - 1) * PAGE_SIZE
        if q:
            items = self.store.published(ids=result.ids, limit=PAGE_SIZE, offset=offset)
        else:
            items = self.store.published(goal=goal, status=status, limit=PAGE_SIZE, offset=offset)
        return {"entries": [self._public(p) for p in items], "total": total, "page": page, "pages": pages,
                "first": offset + 1 if items else 0, "last": offset + len(items), "substring_only": substring_only}

    async def listing(self, request: Request) -> Response:
        """``GET /proposals``: published proposals; ``goal``, ``status``, ``q`` and ``page`` filter."""
        qp = request.query_params
        lang = M.normalise_lang(qp.get("lang"))
        about = self.form.about()
        # The filter offers the current document's goals; a proposal counts under the goal it chose,
        # by the label stored with it (a goal "1" of an earlier document is another goal).
        labels = {g.key: g.label for g in about.goals}
        goal = qp.get("goal") if qp.get("goal") in labels or qp.get("goal") == GOAL_UNKNOWN else None
        status = qp.get("status") if qp.get("status") in STATUSES else None
        q = " ".join((qp.get("q") or "").split())[:MAX_QUERY_CHARS]
        page = int(qp["page"]) if (qp.get("page") or "").isdecimal() and 0 < len(qp["page"]) < 7 else 1
        by_meaning = bool(q) and self.search.finder is not None and not self.search_limiter.acquire(client_key(request))
        try:
            data = await run_in_threadpool(self._listing, goal=labels.get(goal, goal), status=status, q=q,
                                           page=max(1, page), by_meaning=by_meaning)
        except Exception:
            log.exception("public list failed")
            return self.form._page("message.html", lang, status=503, page_title=M.t("list_title", lang),
                                   message=M.t("error_temporary", lang), nav="list", **_back_to_list(lang))

        def url(**change) -> str:
            params = {"lang": lang if lang == "en" else None, "goal": goal, "status": status, "q": q or None,
                      "page": None, **change}
            params = {k: v for k, v in params.items() if v not in (None, "", 1)}
            return "/proposals" + (f"?{urlencode(params)}" if params else "")

        other = "en" if lang == "ja" else "ja"
        return self.form._page(
            "list.html", lang, page_title=M.t("list_title", lang), nav="list",
            switch_href=url(lang=other if other == "en" else None, page=data["page"]),
            goal=goal or "", status_filter=status or "", q=q, statuses=STATUSES, about=about,
            goals=[(g.key, g.text) for g in about.goals] + [(GOAL_UNKNOWN, M.GOAL_UNKNOWN_LABEL[lang])],
            prev_url=url(page=data["page"] - 1) if data["page"] > 1 else None,
            next_url=url(page=data["page"] + 1) if data["page"] < data["pages"] else None,
            feed_url="/proposals/feed.atom" + ("?lang=en" if lang == "en" else ""),
            filtered=bool(goal or status or q), local_date=local_date, **data)

    async def detail(self, request: Request) -> Response:
        """``GET /proposals/{receipt_no}``: one published proposal; 404 for any other number."""
        lang = M.normalise_lang(request.query_params.get("lang"))
        receipt = normalise_receipt(request.path_params["receipt_no"])
        found = await run_in_threadpool(self._detail, receipt) if receipt else None
        if found is None:
            return self.form._page("message.html", lang, status=404, page_title=M.t("not_found_title", lang),
                                   message=M.t("no_such_public_proposal", lang), nav="list", **_back_to_list(lang))
        other = "en" if lang == "ja" else "ja"
        return self.form._page(
            "proposal.html", lang, page_title=found["p"].title, nav="list", local_date=local_date,
            switch_href=f"/proposals/{receipt}" + ("?lang=en" if other == "en" else ""), **found)

    def _detail(self, receipt: str):
        items = self.store.published(receipt_no=receipt)
        return self._public(items[0]) if items else None

    async def feed(self, request: Request) -> Response:
        """``GET /proposals/feed.atom``: the newest published proposals and answers, as Atom 1.0."""
        lang = M.normalise_lang(request.query_params.get("lang"))
        feed_id, entries = await run_in_threadpool(self._feed_entries)
        words = M.document_words(self.form.about(), lang)
        base = str(request.base_url).rstrip("/")
        suffix = "?lang=en" if lang == "en" else ""
        body = atom_feed(
            feed_id=f"urn:uuid:{feed_id}", title=f"{M.t('list_title', lang)} | {M.t('site_name', lang, **words)}",
            subtitle=M.t("feed_subtitle", lang), lang=lang, self_url=f"{base}/proposals/feed.atom{suffix}",
            alternate_url=f"{base}/proposals{suffix}", author=M.t("site_name", lang, **words),
            updated=max((e["updated"] for e in entries), default=iso(self.form.clock.now())),
            entries=[FeedEntry(id=entry_id(feed_id, e["p"].receipt_no), title=e["p"].title,
                               link=f"{base}/proposals/{e['p'].receipt_no}{suffix}", updated=e["updated"],
                               published=e["p"].published_at or e["updated"], summary=e["p"].excerpt,
                               content=_feed_content(e, lang, words)) for e in entries])
        return Response(body, media_type="application/atom+xml; charset=utf-8",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=300"})

    def _feed_entries(self) -> tuple[str, list[dict]]:
        """The feed's id and its entries: the most recently changed published proposals."""
        entries = [self._public(p) for p in self.store.published()]
        newest = sorted(entries, key=lambda e: (e["updated"], e["p"].id), reverse=True)[:FEED_ENTRIES]
        return self.store.feed_id, newest


def _back_to_list(lang: str) -> dict:
    """message.html's link back to the public list (instead of the form)."""
    return {"back_href": "/proposals" + ("?lang=en" if lang == "en" else ""), "back_label": M.t("back_to_list", lang)}


def _status_steps(p) -> list:
    """A proposal's status history as the citizen sees it: each change of status and when, without
    who made it, staff notes or publishing events."""
    steps = []
    for change in p.history:
        if not steps or steps[-1].status != change.status:
            steps.append(change)
    return steps


def _feed_content(entry: dict, lang: str, words: dict) -> str:
    """A feed entry's text: status, goal (as stored with the proposal) and the city's answer."""
    p, answer = entry["p"], entry["answer"]
    lines = [f"{M.t('status_label', lang)}: {M.label(M.STATUS_LABELS, p.status, lang)}",
             f"{M.t('goal', lang, **words)}: {M.goal_text(p.goal, p.goal_text, lang)}",
             f"{M.t('received_on', lang)}: {local_date(p.created_at)}"]
    if answer is not None:
        lines += ["", f"{M.t('answer_heading', lang)} ({local_date(answer.created_at)}):", answer.text]
    return "\n".join(lines)


def proposal_routes(settings: "Settings", store: ProposalStore, linker=None, notifier=None, *,
                    similar: SimilarFinder | None = None, pipeline: ProposalPipeline | None = None,
                    limiter: RateLimiter | None = None, clock: Clock | None = None,
                    lookup_limiter: RateLimiter | None = None, search: PublicSearch | None = None,
                    document: DocumentSource | None = None) -> list:
    """Routes of the citizen pages, to mount on the main server.

    Args:
        settings: runtime settings.
        store: the proposals store.
        linker: outline retriever (``search(text, k)``) used to link new proposals.
        notifier: Slack notifier (``proposal_created(proposal)``), or None.
        similar: similar-proposal finder (None: the "check similar" button is hidden and the public
            list searches by substring only).
        pipeline: background pipeline (default: built from linker, similar and notifier).
        limiter: rate limiter (default from ``settings.proposals_rate_limit``).
        clock: time source for form tokens and the rate limits (default: the store's clock).
        lookup_limiter: status-page lookups per client (default: 4x ``limiter``'s count, same window).
        search: the public list's search (default: by meaning with ``similar``).
        document: the current document (its goals, name and city), e.g. ``qa.current_document``;
            None: no goals (only わからない) and neutral wording.

    Returns:
        Starlette routes under ``/proposals``.
    """
    if pipeline is None:
        pipeline = ProposalPipeline(store, linker, similar, notifier)
    form = ProposalForm(settings, store, pipeline, similar, limiter=limiter, clock=clock, document=document)
    base = form.limiter
    pages = CitizenPages(
        form, search or PublicSearch(store, similar),
        lookup_limiter=lookup_limiter or RateLimiter(base.limit * 4, base.window, base.clock),
        # Searching by meaning embeds the query (CPU), like "check similar": as often as that.
        search_limiter=RateLimiter(base.limit * 12, base.window, base.clock))
    return [
        Route("/proposals", form.submit, methods=["POST"]),
        Route("/proposals", pages.listing, methods=["GET"]),
        Route("/proposals/", pages.listing, methods=["GET"]),
        Route("/proposals/new", form.new, methods=["GET"]),
        Route("/proposals/status", pages.status_form, methods=["GET"]),
        Route("/proposals/status", pages.status_lookup, methods=["POST"]),
        Route("/proposals/feed.atom", pages.feed, methods=["GET"]),
        Mount("/proposals/static", app=StaticFiles(directory=str(HERE / "static")), name="proposals_static"),
        Route("/proposals/{receipt_no}", pages.detail, methods=["GET"]),   # last: any other name is a 受付番号
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
    store = store or ProposalStore(settings.database_path,
                                   mail=mail_options(settings, getattr(qa, "current_document", None)))
    searcher = _LazyRetriever(qa) if qa is not None else None
    similar = SimilarFinder(store, _LazyEmbedder(qa)) if qa is not None else None
    notifier = None
    if settings.proposals_channel and (slack_client is not None or settings.slack_bot_token):
        from .slack import SlackNotifier

        if slack_client is None:
            from bot.slack import make_web_client

            slack_client = make_web_client(settings)
        notifier = SlackNotifier(slack_client, settings.proposals_channel, store,
                                 document=getattr(qa, "current_document", None), city_name=settings.city_name)
    else:
        log.info("proposals: not posted to Slack (set REFORMBOT_PROPOSALS_CHANNEL and SLACK_BOT_TOKEN)")
    document = getattr(qa, "current_document", None)
    pipeline = ProposalPipeline(store, searcher, similar, notifier, document=document)
    routes = proposal_routes(settings, store, searcher, notifier, similar=similar, pipeline=pipeline,
                             document=document)
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
                          pipeline=pipeline, slack_plugin=proposals_plugin(store, pipeline, document=document),
                          outbox=outbox, janitor=janitor)


def mail_options(settings: "Settings", document: DocumentSource | None = None):
    """How the store queues mail to citizens, from the settings (link origin, receipts) and the
    city: ``REFORMBOT_CITY_NAME``, else the one the current ``document()`` names when a mail is written."""
    from .mailtext import MailOptions

    def city() -> str:
        from bot.about import describe

        return describe(document(), settings.city_name).city

    return MailOptions(public_url=settings.public_url, receipts=bool(settings.mail_receipts),
                       city=settings.city_name or (city if document is not None else ""))


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
