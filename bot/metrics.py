"""Operations metrics in Prometheus text format, served on ``GET /metrics``.

:class:`Metrics` is the pure core: counters and a histogram in a registry of its own (never the
process-wide default, so tests and several apps in one process do not collide), and gauges read
at scrape time from callables the server hands in (the index version from ``qa.status()``, the
linking backlog from the proposals store). The edges call its hook methods:

* ``request_done`` — :class:`bot.guards.AccessLog`'s ``on_done``, with the route template;
* ``answered`` — every surface that answers (web page, API, Slack mentions, DMs, /reform);
* ``slack_finished`` — where a Slack listener finishes (bot/slack/metrics.py);
* ``proposal_received`` — each proposal the store adds.

:class:`MetricsEndpoint` is a plain ASGI app: loopback clients only, or anyone with
``Authorization: Bearer <REFORMBOT_METRICS_TOKEN>`` when a token is set.

Labels never carry user text: routes are templates (``/static/{path}``), methods outside the
standard set are ``other``, and answer surfaces and Slack payload types come from code.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest

log = logging.getLogger(__name__)

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text format :func:`prometheus_client.generate_latest` writes (every Prometheus reads it)."""
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ANSWER_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds. A typical question takes ~0.04 s, a 200-character one ~0.15 s (service.py); the upper
buckets show queueing behind the answer pool and a first answer that loads the model."""

REFUSED = {
    403: ("/metrics はこのサーバー自身（ループバック）からのみ読めます。\n"
          "Metrics are served to this machine only (loopback). To scrape from another machine, "
          "set REFORMBOT_METRICS_TOKEN and send Authorization: Bearer <token>.\n"),
    401: ("/metrics にはトークンが必要です。\n"
          "Metrics need the token: send Authorization: Bearer <REFORMBOT_METRICS_TOKEN>.\n"),
}


class Metrics:
    """Counters, an answer-latency histogram and scrape-time gauges for one app.

    Args:
        registry: where the metrics live (default: a new, private one).
    """

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter("reformbot_http_requests", "HTTP requests by method, route template and status",
                                ["method", "route", "status"], registry=r)
        self.answers = Counter("reformbot_answers", "Questions answered, by surface and result "
                               "(found, not_found, or error when no answer could be given)",
                               ["surface", "result"], registry=r)
        self.answer_seconds = Histogram("reformbot_answer_seconds", "Time to answer a question, by surface "
                                        "(on the web including the wait for an answer worker)",
                                        ["surface"], buckets=ANSWER_BUCKETS, registry=r)
        self.slack_events = Counter("reformbot_slack_events", "Slack events, commands and interactions whose "
                                    "listener finished, by payload type and outcome (handled, or failed: "
                                    "the listener raised)", ["type", "outcome"], registry=r)
        self.proposals = Counter("reformbot_proposals_received", "Proposals stored, by source (citizen form, "
                                 "staff in Slack)", ["source"], registry=r)
        self._gauges = _ScrapeTimeGauges()
        r.register(self._gauges)

    # --- hooks called by the edges -------------------------------------------------------------

    def request_done(self, method: str, route: str, status: int, ms: float) -> None:
        """One HTTP request finished (the signature of :class:`bot.guards.AccessLog`'s ``on_done``).

        Args:
            method: the request method; anything outside :data:`METHODS` counts as ``other``.
            route: the matched route's template, or ``(unmatched)`` (:func:`bot.guards.route_template`).
            status: the response status.
            ms: milliseconds (unused: answer latency has its own histogram).
        """
        self.requests.labels(method if method in METHODS else "other", route, str(status)).inc()

    def answered(self, surface: str, found: bool | None, seconds: float) -> None:
        """A question was answered on ``surface`` (``found`` None: it failed with an error)."""
        result = "error" if found is None else ("found" if found else "not_found")
        self.answers.labels(surface, result).inc()
        self.answer_seconds.labels(surface).observe(seconds)

    def slack_finished(self, payload_type: str, failed: bool) -> None:
        """A Slack listener finished for a delivery of ``payload_type``; ``failed`` if it raised."""
        self.slack_events.labels(payload_type, "failed" if failed else "handled").inc()

    def proposal_received(self, source: str) -> None:
        """A proposal was stored (``citizen``, ``staff``)."""
        self.proposals.labels(source).inc()

    # --- gauges read at scrape time ------------------------------------------------------------

    def watch_index(self, status: Callable[[], dict]) -> None:
        """Report the serving index from ``status()`` (``qa.status()``) at each scrape."""
        self._gauges.index_status = status

    def watch_linking_backlog(self, count: Callable[[], int]) -> None:
        """Report ``count()`` (proposals waiting to be linked to the outline) at each scrape."""
        self._gauges.backlog = count

    def exposition(self) -> bytes:
        """Everything, in the Prometheus text format (reads the gauges: call off the event loop)."""
        return generate_latest(self.registry)


class _ScrapeTimeGauges:
    """A collector whose values are read when Prometheus scrapes, not kept up to date."""

    def __init__(self) -> None:
        self.index_status: Callable[[], dict] | None = None
        self.backlog: Callable[[], int] | None = None
        self._said: dict[str, str] = {}     # the last failure logged per gauge: once, not every scrape

    def _failed(self, what: str, exc: Exception) -> None:
        if self._said.get(what) != str(exc):
            log.warning("metrics: %s unavailable: %s", what, exc)
            self._said[what] = str(exc)

    def describe(self) -> list:
        return []       # names are not reserved: collect() reads the index, never at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.index_status is not None:
            info = GaugeMetricFamily("reformbot_index_info", "The index version serving answers (value 1)",
                                     labels=["version", "model"])
            up = GaugeMetricFamily("reformbot_index_available", "1 when the index can answer, else 0")
            try:
                status = self.index_status()
            except Exception as exc:     # not built or damaged: say so with a 0, the cause goes to the log
                self._failed("index status", exc)
                up.add_metric([], 0)
            else:
                self._said.pop("index status", None)
                info.add_metric([str(status.get("index_version", "")), str(status.get("model", ""))], 1)
                up.add_metric([], 1)
            yield info
            yield up
        if self.backlog is not None:
            backlog = GaugeMetricFamily("reformbot_proposals_linking_backlog",
                                        "Proposals stored but not yet linked to the outline")
            try:
                backlog.add_metric([], self.backlog())
            except Exception as exc:
                self._failed("proposals backlog", exc)
            else:
                self._said.pop("proposals backlog", None)
                yield backlog


# --- who may read ---------------------------------------------------------------------------------

def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback; False for names, None and anything else."""
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def scrape_refusal(client_host: str | None, authorization: str | None, token: str) -> int | None:
    """Whether a scrape may be served: None if so, else the HTTP status to refuse it with.

    Without a token, loopback clients only (403 for others). With a token, everyone must send
    ``Authorization: Bearer <token>`` (401 otherwise), compared in constant time; a local reverse
    proxy makes every client look like loopback, so loopback alone is not enough then.
    """
    if token:
        scheme, _, given = (authorization or "").strip().partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
        return None if ok else 401
    return None if is_loopback(client_host) else 403


class MetricsEndpoint:
    """``GET /metrics`` as a plain ASGI app (mount it with ``Route("/metrics", ..., methods=["GET"])``).

    Args:
        metrics: what to serve.
        token: ``REFORMBOT_METRICS_TOKEN`` (empty: loopback clients only).
    """

    def __init__(self, metrics: Metrics, token: str = ""):
        self.metrics = metrics
        self.token = token

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        client = scope.get("client")
        host = client[0] if client else None
        refusal = scrape_refusal(host, _header(scope, b"authorization"), self.token)
        if refusal is not None:
            log.info("GET /metrics from %s refused with %d", host, refusal)
            extra = [(b"www-authenticate", b'Bearer realm="reformbot metrics"')] if refusal == 401 else []
            await _respond(send, refusal, REFUSED[refusal].encode("utf-8"), b"text/plain; charset=utf-8", extra)
            return
        # The gauges read the index status and SQLite: off the event loop.
        body = await asyncio.get_running_loop().run_in_executor(None, self.metrics.exposition)
        await _respond(send, 200, b"" if scope.get("method") == "HEAD" else body, TEXT_FORMAT.encode(),
                       [(b"cache-control", b"no-store")], length=len(body))


async def _respond(send: Callable, status: int, body: bytes, content_type: bytes,
                   extra: list[tuple[bytes, bytes]], length: int | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body) if length is None else length).encode()),
        *extra]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: dict, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return v.decode("latin-1")
    return None

