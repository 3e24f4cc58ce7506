"""``GET /metrics`` (issue 10): what an operator's Prometheus scrapes from a running server.

The main test runs a real uvicorn server (the options ``reformbot serve`` uses) with the citizen
form on a real SQLite file and Slack against the local Web API emulator; it asks questions on the
page and the API, posts the form, sends signed Slack deliveries, then scrapes ``/metrics`` and
reads it with Prometheus' own parser. Who may scrape is checked through the same server (a
trusted proxy's X-Forwarded-For makes a client non-loopback) and on the ASGI app directly.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bot.metrics import Metrics, MetricsEndpoint, is_loopback, scrape_refusal
from bot.server import create_app
from bot.settings import Settings
from proposals_support import VALID, fresh_form, receipt_no
from server_support import live
from slack_emulator import SlackEmulator
from slack_helpers import FakeQA, event_callback, mention, next_ts, sign, slack_harness, slack_settings, slash_command

FOUND, NOT_FOUND = "計画期間は？", "ごみの収集日は？"      # FakeQA: answered / not in the outline


class Scrape:
    """One scrape, parsed with prometheus_client's parser of the text format."""

    def __init__(self, text: str):
        self.text = text
        self.families = {f.name: f for f in text_string_to_metric_families(text)}

    def value(self, sample: str, **labels) -> float | None:
        """The value of the sample named ``sample`` with exactly ``labels``; None if absent."""
        for family in self.families.values():
            for s in family.samples:
                if s.name == sample and s.labels == labels:
                    return s.value
        return None

    def label_values(self) -> set[str]:
        return {v for f in self.families.values() for s in f.samples for v in s.labels.values()}


def scrape(url: str, **headers) -> Scrape:
    r = httpx.get(f"{url}/metrics", headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(r.text)


def wait_for(condition, what: str, timeout: float = 30.0):
    """Poll ``condition()`` until it returns something truthy (bounded; work finishes on other threads)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        pause.wait(0.02)


class _Retriever:
    """Just enough of the index for the proposals pipeline: no outline hits, a fixed vector."""

    class embedder:
        model_id = "test-embedder"

        @staticmethod
        def embed_queries(texts):
            import numpy as np

            return np.full((len(texts), 4), 0.5, dtype=np.float32)

    def search(self, query, k=10):
        return []


class LinkingHeld(FakeQA):
    """FakeQA whose index (used to link proposals) is reachable only once ``linking`` is set."""

    def __init__(self):
        super().__init__()
        self.linking = threading.Event()

    @property
    def retriever(self):
        assert self.linking.wait(30), "the test never let linking run"
        return _Retriever()


@contextmanager
def _released(gate: threading.Event):
    """Set ``gate`` on the way out, so a failing test does not leave the pipeline waiting on it."""
    try:
        yield
    finally:
        gate.set()


# --- a real server, every surface ---------------------------------------------------------------

def test_metrics_count_what_a_real_server_did(tmp_path):
    qa = LinkingHeld()
    with SlackEmulator() as emulator:
        settings = replace(slack_settings(tmp_path / "data", emulator), ask_rate_limit="0", proposals_rate_limit="0")
        app = create_app(settings, qa=qa)
        [slack_route] = [r for r in app.routes if getattr(r, "path", "") == "/slack/events"]
        bolt_app = slack_route.endpoint.bolt_app

        @bolt_app.event("reaction_added")
        def fails(event):                # a listener that raises: Slack's delivery counts as failed
            raise RuntimeError("this listener fails on purpose")

        with live(app, settings) as (url, _), _released(qa.linking):
            from bot.slack import slack_bot

            assert slack_bot(bolt_app).connection.wait(30), "the bot never reached the Slack emulator"
            with httpx.Client(base_url=url, timeout=30) as c:
                assert c.get("/api/ask", params={"q": FOUND}).status_code == 200
                assert c.get("/api/ask", params={"q": FOUND}).status_code == 200
                assert c.get("/", params={"q": NOT_FOUND}).status_code == 200
                assert c.get("/api/ask", params={"q": ""}).status_code == 400          # refused, not an answer
                assert c.get("/no/such/鈴木花子", params={"q": "秘密"}).status_code == 404
                assert c.get("/static/site.css").status_code == 200
                page = c.post("/proposals", data={**fresh_form(c), **VALID})
                assert page.status_code == 200 and receipt_no(page.text)

                def signed(body: str, content_type: str):
                    return c.post("/slack/events", content=body.encode(),
                                  headers={"Content-Type": content_type, **sign(body)})

                assert signed(json.dumps(event_callback(mention(FOUND))), "application/json").status_code == 200
                command = slash_command(NOT_FOUND, response_url=emulator.response_url("cmd"))
                assert signed(command, "application/x-www-form-urlencoded").status_code == 200
                reaction = {"type": "reaction_added", "user": "U0STAFF1", "reaction": "eyes", "event_ts": next_ts(),
                            "item": {"type": "message", "channel": "C0CHANNEL", "ts": next_ts()}}
                assert signed(json.dumps(event_callback(reaction)), "application/json").status_code == 200

            # Slack listeners run after the ack, on Bolt's threads: wait until all three finished.
            def slack_done():
                s = scrape(url)
                finished = [s.value("reformbot_slack_events_total", type=t, outcome=o) for t, o in
                            (("app_mention", "handled"), ("command", "handled"), ("reaction_added", "failed"))]
                return s if finished == [1, 1, 1] else None

            m = wait_for(slack_done, "the Slack listeners to finish")

            # requests by route template and status; the user's path never becomes a label
            req = "reformbot_http_requests_total"
            assert m.value(req, method="GET", route="/api/ask", status="200") == 2
            assert m.value(req, method="GET", route="/api/ask", status="400") == 1
            assert m.value(req, method="GET", route="/", status="200") == 1
            assert m.value(req, method="GET", route="(unmatched)", status="404") == 1
            assert m.value(req, method="GET", route="/static/{path}", status="200") == 1
            assert m.value(req, method="POST", route="/proposals", status="200") == 1
            assert m.value(req, method="POST", route="/slack/events", status="200") == 3
            assert not [v for v in m.label_values() if "鈴木" in v or "no/such" in v or "秘密" in v]

            # answers from every surface, found or not, and their latency
            ans = "reformbot_answers_total"
            assert m.value(ans, surface="api", result="found") == 2
            assert m.value(ans, surface="web", result="not_found") == 1
            assert m.value(ans, surface="mention", result="found") == 1
            assert m.value(ans, surface="slash", result="not_found") == 1
            assert m.value("reformbot_answer_seconds_count", surface="api") == 2
            assert m.value("reformbot_answer_seconds_bucket", surface="api", le="+Inf") == 2
            assert m.families["reformbot_answer_seconds"].type == "histogram"

            # proposals, the index serving, the linking backlog (held until the test lets it run)
            assert m.value("reformbot_proposals_received_total", source="citizen") == 1
            assert m.value("reformbot_index_info", version="v1-test", model="") == 1
            assert m.value("reformbot_index_available") == 1
            assert m.value("reformbot_proposals_linking_backlog") == 1
            qa.linking.set()
            wait_for(lambda: scrape(url).value("reformbot_proposals_linking_backlog") == 0, "the backlog to drain")

            # the scrapes themselves are requests too
            assert scrape(url).value(req, method="GET", route="/metrics", status="200") >= 2


# --- who may scrape --------------------------------------------------------------------------------

def test_metrics_refused_to_other_machines_without_a_token(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")                 # trusts X-Forwarded-For from 127.0.0.1
    with live(create_app(settings, qa=FakeQA()), settings) as (url, _):
        assert httpx.get(f"{url}/metrics").status_code == 200      # loopback
        far = httpx.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        head = httpx.head(f"{url}/metrics")
        post = httpx.post(f"{url}/metrics")
    assert far.status_code == 403
    assert far.headers["content-type"].startswith("text/plain")
    assert "REFORMBOT_METRICS_TOKEN" in far.text and "ループバック" in far.text
    assert "reformbot_" not in far.text
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    assert post.status_code == 405

    # The ASGI app called with a scope whose client is another machine (no proxy involved).
    app = create_app(Settings(data_dir=tmp_path / "direct"), qa=FakeQA())
    assert TestClient(app, client=("192.0.2.7", 50000)).get("/metrics").status_code == 403
    assert TestClient(app, client=("::1", 50000)).get("/metrics").status_code == 200


def test_metrics_token_required_from_everyone_when_set(tmp_path):
    token = "b6c1f0e2-metrics-token"
    settings = Settings(data_dir=tmp_path / "data", metrics_token=token)
    with live(create_app(settings, qa=FakeQA()), settings) as (url, _):
        bare = httpx.get(f"{url}/metrics")                                     # loopback, no token
        wrong = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer nope"})
        basic = httpx.get(f"{url}/metrics", headers={"Authorization": f"Basic {token}"})
        far = scrape(url, Authorization=f"Bearer {token}", **{"X-Forwarded-For": "203.0.113.9"})
        lower = scrape(url, Authorization=f"bearer {token}")
    for refused in (bare, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in refused.text and token not in refused.text
    assert far.value("reformbot_index_available") == 1 and lower.families


def test_scrape_refusal_rules():
    assert scrape_refusal("127.0.0.1", None, "") is None
    assert scrape_refusal("127.8.9.10", None, "") is None
    assert scrape_refusal("::1", None, "") is None
    assert scrape_refusal("::ffff:127.0.0.1", None, "") is None
    for host in ("10.0.0.5", "203.0.113.9", "2001:db8::1", "localhost", "", None):
        assert scrape_refusal(host, None, "") == 403, host
    assert scrape_refusal("127.0.0.1", None, "t0k") == 401
    assert scrape_refusal("127.0.0.1", "Bearer t0k ", "t0k") is None
    assert scrape_refusal("10.0.0.5", "Bearer t0k", "t0k") is None
    assert scrape_refusal("10.0.0.5", "Bearer t0", "t0k") == 401
    assert scrape_refusal("10.0.0.5", "Bearer", "t0k") == 401
    assert not is_loopback("::ffff:10.0.0.1")


# --- the core, without a server -------------------------------------------------------------------

def test_each_app_has_its_own_registry():
    a, b = Metrics(), Metrics()
    a.answered("api", True, 0.03)
    a.request_done("BREW", "(unmatched)", 404, 1.0)               # a method nobody sends stays one label
    a.request_done("PROPFIND", "(unmatched)", 404, 1.0)
    assert a.registry.get_sample_value("reformbot_answers_total", {"surface": "api", "result": "found"}) == 1
    assert b.registry.get_sample_value("reformbot_answers_total", {"surface": "api", "result": "found"}) is None
    assert a.registry.get_sample_value("reformbot_http_requests_total",
                                       {"method": "other", "route": "(unmatched)", "status": "404"}) == 2
    # nothing in the process-wide registry, so apps (and tests) in one process never collide
    from prometheus_client import REGISTRY

    assert REGISTRY.get_sample_value("reformbot_answers_total", {"surface": "api", "result": "found"}) is None


def test_gauges_are_read_at_scrape_time_and_survive_failures(caplog):
    m = Metrics()
    versions = iter(["v1", "v2"])
    m.watch_index(lambda: {"index_version": next(versions), "model": "e5"})
    pending = [3]
    m.watch_linking_backlog(lambda: pending[0])
    first = Scrape(m.exposition().decode())
    pending[0] = 0
    second = Scrape(m.exposition().decode())
    assert first.value("reformbot_index_info", version="v1", model="e5") == 1
    assert second.value("reformbot_index_info", version="v2", model="e5") == 1
    assert second.value("reformbot_index_info", version="v1", model="e5") is None      # only what serves now
    assert (first.value("reformbot_proposals_linking_backlog"),
            second.value("reformbot_proposals_linking_backlog")) == (3, 0)

    def unbuilt():
        raise FileNotFoundError("data/index/current")

    def closed():
        raise RuntimeError("database closed")

    m.watch_index(unbuilt)
    m.watch_linking_backlog(closed)
    with caplog.at_level("WARNING", logger="bot.metrics"):
        broken = Scrape(m.exposition().decode())
        Scrape(m.exposition().decode())
    assert broken.value("reformbot_index_available") == 0
    assert not broken.families["reformbot_index_info"].samples
    assert "reformbot_proposals_linking_backlog" not in broken.families
    # each cause logged once, not at every scrape (Prometheus scrapes every 15 s or so)
    assert [r.getMessage() for r in caplog.records] == [
        "metrics: index status unavailable: data/index/current",
        "metrics: proposals backlog unavailable: database closed"]


def test_an_unbuilt_index_is_a_zero_not_an_error(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data"))          # the real service, nothing built
    r = TestClient(app, client=("127.0.0.1", 50000)).get("/metrics")
    assert r.status_code == 200
    assert Scrape(r.text).value("reformbot_index_available") == 0


# --- Slack answers: what counts ---------------------------------------------------------------------

def test_slack_answers_errors_and_refusals(tmp_path):
    from bot.service import QuestionTooLong
    from bot.slack.metrics import metrics_plugin

    m = Metrics()
    qa = FakeQA()
    with slack_harness(tmp_path / "data", qa, plugins=[metrics_plugin(m)]) as slack:
        def count(**labels):
            return m.registry.get_sample_value("reformbot_answers_total", labels) or 0

        def finished(kind):
            return m.registry.get_sample_value("reformbot_slack_events_total", {"type": kind, "outcome": "handled"})

        slack.event(mention(FOUND))
        wait_for(lambda: finished("app_mention") == 1, "the mention listener")
        qa.fail = True
        slack.event(mention("予算は？"))
        wait_for(lambda: finished("app_mention") == 2, "the second mention listener")
        qa.fail, qa.raises = False, QuestionTooLong("201 characters")
        slack.event(mention("長" * 201))
        wait_for(lambda: finished("app_mention") == 3, "the third mention listener")
    assert count(surface="mention", result="found") == 1
    assert count(surface="mention", result="error") == 1        # the index failed: the user got an apology
    assert sum(count(surface="mention", result=r) for r in ("found", "not_found", "error")) == 2   # too long: refused
    assert m.registry.get_sample_value("reformbot_slack_events_total",
                                       {"type": "app_mention", "outcome": "failed"}) is None


@pytest.mark.parametrize("body, label", [
    ({"type": "event_callback", "event": {"type": "app_mention"}}, "app_mention"),
    ({"command": "/reform", "text": "help"}, "command"),
    ({"type": "block_actions"}, "block_actions"),
    ({"type": "event_callback", "event": {"type": "Some Thing<script>"}}, "other"),
    ({"type": "event_callback", "event": "not a dict"}, "other"),
    ("not a dict", "other"),
])
def test_slack_payload_type_labels(body, label):
    from bot.slack.metrics import payload_type

    assert payload_type(body) == label


def test_endpoint_is_plain_asgi():
    """MetricsEndpoint needs no web framework: call it with a bare scope."""
    import asyncio

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/metrics", "headers": [], "client": ("127.0.0.1", 1)}
    asyncio.run(MetricsEndpoint(Metrics())(scope, receive, send))
    assert sent[0]["status"] == 200 and b"reformbot_http_requests" in sent[1]["body"]
