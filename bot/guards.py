"""Guards at the HTTP edge: bounded bodies, security headers, a privacy-safe access log, and a
bounded pool that keeps answering off the event loop.

The server faces the internet (the citizen form) and the city network (the staff page), so one
visitor must never be able to slow it for others:

* :class:`BodyLimit` refuses a body larger than its route allows *before* reading it (by
  ``Content-Length``) and stops reading a chunked body as soon as it passes the limit.
* :class:`SecurityHeaders` puts the same headers on every response (CSP with
  ``frame-ancestors 'none'``, ``nosniff``, referrer policy; HSTS over HTTPS).
* :class:`AccessLog` logs method, path, status and latency — never the query string or a body,
  which carry questions and form fields (uvicorn's own access log is switched off by
  :func:`bot.server.serve`).
* :class:`AnswerPool` runs answers (query embedding is CPU work, ~0.1–1 s for long questions)
  on a few worker threads behind a bounded queue; when it is full the caller gets :class:`Busy`
  at once (a polite 503), not a stall.

All four are plain ASGI / asyncio and know nothing of the answer service.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Iterable, Sequence

log = logging.getLogger("bot.http")
access_log = logging.getLogger("bot.access")

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000"


class BodyTooLarge(Exception):
    "The request body is larger than its route allows."

    def __init__(self, limit: int):
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class Busy(Exception):
    "Every answer worker is busy and the queue is full."


async def _plain(send: Send, status: int, text: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *headers]})
    await send({"type": "http.response.body", "body": body})


def too_large_text(limit: int) -> str:
    kb = max(1, limit // 1024)
    return (f"送信された内容が大きすぎます（上限 {kb} KB）。内容を短くして、もう一度お試しください。\n"
            f"The request is too large (limit {kb} KB). Please shorten it and try again.\n")


class BodyLimit:
    """ASGI middleware: at most ``limit`` bytes of request body per route, checked before reading.

    Args:
        app: the ASGI app to guard.
        default: the limit (bytes) for routes not listed; small, since only forms and Slack post.
        limits: ``(path prefix, bytes)`` pairs; the longest matching prefix wins.
    """

    def __init__(self, app: ASGIApp, default: int = 16 * 1024, limits: Sequence[tuple[str, int]] = ()):
        self.app = app
        self.default = default
        self.limits = sorted(limits, key=lambda pl: len(pl[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                log.info("%s %s: bad Content-Length; 400", scope["method"], scope["path"])
                await _plain(send, 400, "Content-Length が正しくありません。/ Bad Content-Length.\n")
                return
            if int(declared) > limit:
                log.info("%s %s: body of %s bytes over the %d-byte limit; 413 before reading",
                         scope["method"], scope["path"], declared, limit)
                await _plain(send, 413, too_large_text(limit))
                return
        received = 0
        started = False

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            log.info("%s %s: streamed body passed the %d-byte limit; 413, reading stopped",
                     scope["method"], scope["path"], limit)
            if not started:
                await _plain(send, 413, too_large_text(limit))


class SecurityHeaders:
    """ASGI middleware: the same security headers on every HTTP response (a route's own win)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str] | None = None):
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or SECURITY_HEADERS).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []),
                                                  *((k, v) for k, v in extra if k not in present)]}
            await send(message)

        await self.app(scope, receive, with_headers)


class AccessLog:
    """ASGI middleware: one line per request — method, path, status, milliseconds.

    Never the query string (questions travel in ``?q=``), never a body or a header value. A path
    that matched no route is logged as ``(unmatched)``, since it is whatever the client typed.

    ``on_done(method, route, status, ms)`` is called after each request (``/metrics`` counts
    there) with the matched route's template (``/static/{path}``, from Starlette's
    ``scope["route"]``), or ``(unmatched)``: never the path the client sent.
    """

    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.perf_counter,
                 on_done: Callable[[str, str, int, float], Any] | None = None):
        self.app = app
        self.clock = clock
        self.on_done = on_done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 500

        async def record(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            ms = (self.clock() - started) * 1000
            path = scope["path"] if status != 404 else "(unmatched)"
            access_log.info("%s %s %d %.1fms", scope["method"], path[:120], status, ms)
            if self.on_done is not None:
                self.on_done(scope["method"], route_template(scope), status, ms)


def route_template(scope: Scope) -> str:
    """The template of the route that handled the request (``/proposals/static/{path}``), or
    ``(unmatched)``: a label with no user text and a bounded number of values."""
    template = getattr(scope.get("route"), "path_format", None)
    return template if isinstance(template, str) and template else "(unmatched)"


async def read_body(request, limit: int) -> bytes:
    """Read a Starlette request's body, raising :class:`BodyTooLarge` as soon as it passes
    ``limit`` bytes (chunked or not); what was read is kept where ``request.body()`` and
    ``request.form()`` look for it.

    Raises:
        BodyTooLarge: over the limit (declared or streamed); reading stops there.
    """
    declared = request.headers.get("content-length")
    if declared and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body     # Starlette's own cache of the body (what request.body() sets)
    return body


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return v.decode("latin-1").strip()
    return None


class AnswerPool:
    """A few worker threads with a bounded queue for CPU-bound answers.

    ``workers`` answers run at once (each embedding uses the BLAS/torch threads set by
    ``REFORMBOT_THREADS``, so more workers than cores only slows each answer); up to ``queue``
    more wait. Past that, :meth:`run` raises :class:`Busy` immediately.
    """

    def __init__(self, workers: int = 1, queue: int = 8):
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="answer")
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._in_flight = 0
        self._count_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Answers running or waiting now."""
        return self._in_flight

    def _release(self, _future) -> None:
        with self._count_lock:
            self._in_flight -= 1
        self._slots.release()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on a worker and return its result.

        Raises:
            Busy: all workers are busy and the queue is full.
        """
        if not self._slots.acquire(blocking=False):
            raise Busy()
        with self._count_lock:
            self._in_flight += 1
        future = self._executor.submit(fn, *args)
        # The slot is freed when the work ends, not when the caller stops waiting: a visitor who
        # disconnects must not leave their answer running outside the bound.
        future.add_done_callback(self._release)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()          # still queued: never runs; running: finishes, then frees
            raise

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
