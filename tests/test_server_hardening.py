"""The HTTP edge under hostile or careless use (issue 9): bounded bodies, a bounded answer pool,
per-client limits, security headers and cookies, and logs and errors without private data.

Servers here are real uvicorn instances on loopback, run with the options ``reformbot serve``
uses (:func:`bot.server.uvicorn_options`), unless a test only needs the ASGI app.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.contract import Answer
from bot.server import create_app, uvicorn_options
from bot.settings import Settings
from server_support import live

PERSONAL = ["鈴木花子", "hanako@example.jp", "1234 5678 9012", "090-1234-5678"]


class BlockingQA:
    """An answer service whose answers wait until the test lets them go."""

    def __init__(self):
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def ask(self, question, *, history=()):
        if question != "大綱":              # the server's warm-up question at start-up passes
            self.started.release()
            self.release.wait(30)
        return Answer(question=question, found=False, answer="", sources=[], glossary=[], index_version="v")

    def status(self):
        return {"index_version": "v"}


class QuickQA(BlockingQA):
    def __init__(self):
        super().__init__()
        self.release.set()


def settings_for(tmp_path, **kw) -> Settings:
    return Settings(data_dir=tmp_path / "data", **kw)


# --- 1. answering never blocks the server -----------------------------------------------------

def test_full_answer_pool_is_a_polite_503_not_a_stall(tmp_path):
    qa = BlockingQA()
    settings = settings_for(tmp_path, ask_workers=1, ask_queue=1, ask_rate_limit="0")
    app = create_app(settings, qa=qa)
    with live(app, settings) as (url, _):
        with ThreadPoolExecutor(2) as ex:
            running = [ex.submit(httpx.get, f"{url}/api/ask", params={"q": f"質問{i}"}, timeout=30) for i in range(2)]
            assert qa.started.acquire(timeout=10)            # one answering, one queued
            deadline = time.monotonic() + 10
            while app.state.answer_pool.in_flight < 2:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            r = httpx.get(f"{url}/api/ask", params={"q": "三つ目"}, timeout=10)
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
            assert "集中" in r.json()["error"]
            page = httpx.get(f"{url}/", params={"q": "What is PPP?"}, timeout=10)
            assert page.status_code == 503 and "Many questions" in page.text
            assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200   # the loop is free
            qa.release.set()
            assert [f.result().status_code for f in running] == [200, 200]


def test_questions_are_rate_limited_per_client_with_retry_after(tmp_path):
    settings = settings_for(tmp_path, ask_rate_limit="3/60")
    with TestClient(create_app(settings, qa=QuickQA())) as c:
        for _ in range(3):
            assert c.get("/api/ask", params={"q": "計画期間は？"}).status_code == 200
        r = c.get("/api/ask", params={"q": "計画期間は？"})
        assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60
        assert "少し時間をおいて" in r.json()["error"]
        page = c.get("/", params={"q": "What is the plan period?"})
        assert page.status_code == 429 and "Please wait" in page.text
        assert 'value="What is the plan period?"' in page.text          # the question is kept
        assert c.get("/").status_code == 200                            # the page itself is not limited


def test_flood_of_long_questions_leaves_form_and_slack_fast(tmp_path, real_settings, real_qa):
    """Many clients (X-Forwarded-For from the trusted local proxy) send the longest allowed
    questions in parallel; meanwhile the citizen form and a signed Slack event are timed."""
    from slack_emulator import SlackEmulator
    from slack_helpers import event_callback, mention, sign, slack_settings
    from bot.service import MAX_QUESTION_CHARS

    long_q = ("第７次行政改革大綱の計画期間と重点目標、市民協働の推進、デジタル化の取組について教えてください。" * 40)
    long_q = long_q[:MAX_QUESTION_CHARS]
    with SlackEmulator() as emulator:
        settings = replace(slack_settings(real_settings.data_dir, emulator), ask_rate_limit="5/60",
                           forwarded_allow_ips="127.0.0.1")
        app = create_app(settings, qa=real_qa)
        with live(app, settings) as (url, _):
            stop = threading.Event()
            codes: list[int] = []

            def flood(client_no: int) -> None:
                with httpx.Client(base_url=url, timeout=60) as c:
                    n = 0
                    while not stop.is_set():
                        n += 1
                        r = c.get("/api/ask", params={"q": f"{n}{long_q}"[:MAX_QUESTION_CHARS]},
                                  headers={"X-Forwarded-For": f"10.1.{client_no // 250}.{client_no % 250 + 1}"})
                        codes.append(r.status_code)

            flooders = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(40)]
            for t in flooders:
                t.start()
            try:
                deadline = time.monotonic() + 30
                while len(codes) < 40:                      # the flood is on
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                form_times, slack_times = [], []
                with httpx.Client(base_url=url, timeout=30) as c:
                    for i in range(5):
                        t0 = time.perf_counter()
                        assert c.get("/proposals/new").status_code == 200
                        form_times.append(time.perf_counter() - t0)
                        body = json.dumps(event_callback(mention(f"計画期間は？{i}", channel="C0FLOOD")))
                        t0 = time.perf_counter()
                        r = c.post("/slack/events", content=body,
                                   headers={"Content-Type": "application/json", **sign(body)})
                        slack_times.append(time.perf_counter() - t0)
                        assert r.status_code == 200
            finally:
                stop.set()
                for t in flooders:
                    t.join(60)
        print(f"flood: {len(codes)} answers, codes {sorted(set(codes))}; form max {max(form_times):.3f} s, "
              f"slack ack max {max(slack_times):.3f} s")
        assert max(form_times) < 1.0, form_times
        assert max(slack_times) < 3.0, slack_times
        assert 503 in codes or 429 in codes                 # the excess was refused, not queued forever


# --- 2/3. every body bounded before it is read ----------------------------------------------

def _raw_request(port: int, head: str, body_chunks=(), *, chunked: bool = False, read_timeout: float = 10):
    """Send a raw HTTP request; returns (status line, bytes of body sent before the server answered)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    s.sendall(head.encode())
    sent = 0
    s.setblocking(False)
    import select

    try:
        for chunk in body_chunks:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break
            data = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") if chunked else chunk
            try:
                s.setblocking(True)
                s.settimeout(read_timeout)
                s.sendall(data)
                s.setblocking(False)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        s.setblocking(True)
        s.settimeout(read_timeout)
        reply = b""
        try:
            while b"\r\n" not in reply:
                part = s.recv(4096)
                if not part:
                    break
                reply += part
        except ConnectionResetError:
            pass
        return reply.split(b"\r\n", 1)[0].decode(), sent
    finally:
        s.close()


def test_declared_oversized_body_is_refused_before_reading(tmp_path):
    settings = settings_for(tmp_path)
    with live(create_app(settings, qa=QuickQA()), settings) as (_, port):
        for method, path in (("GET", "/api/ask?q=PFI"), ("GET", "/"), ("GET", "/healthz"), ("POST", "/proposals"),
                             ("POST", "/slack/events"), ("POST", "/api/ask"), ("PUT", "/no-such-page")):
            head = (f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    f"Content-Length: {300 * 1024 * 1024}\r\n\r\n")
            status, sent = _raw_request(port, head)            # no body sent at all: answered anyway
            assert " 413 " in status, (method, path, status)


def test_chunked_50mb_form_post_stops_at_the_limit(tmp_path):
    settings = settings_for(tmp_path)
    with live(create_app(settings, qa=QuickQA()), settings) as (_, port):
        head = ("POST /proposals HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"body=" + b"a" * (64 * 1024 - 5)
        status, sent = _raw_request(port, head, (chunk for _ in range(800)), chunked=True)   # ~50 MB offered
        assert " 413 " in status, status
        assert sent < 16 * 1024 * 1024, sent                 # stopped near the limit (socket buffers aside)


# --- 6. headers and cookies -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/?q=PFI", "/api/ask?q=PFI", "/healthz", "/static/site.css",
                                  "/proposals/new", "/no-such-page"])
def test_security_headers_on_every_route(tmp_path, path):
    with TestClient(create_app(settings_for(tmp_path), qa=QuickQA())) as c:
        r = c.get(path)
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in r.headers      # plain HTTP: no HSTS


def test_cookie_is_secure_behind_a_trusted_https_proxy_only(tmp_path):
    settings = settings_for(tmp_path, forwarded_allow_ips="127.0.0.1")
    with live(create_app(settings, qa=QuickQA()), settings) as (url, _):
        https = httpx.get(f"{url}/proposals/new", headers={"X-Forwarded-Proto": "https"})
        plain = httpx.get(f"{url}/proposals/new")
    assert "secure" in https.headers["set-cookie"].lower()
    assert "strict-transport-security" in https.headers
    assert "secure" not in plain.headers["set-cookie"].lower()
    untrusted = replace(settings, forwarded_allow_ips="192.0.2.1")      # not the proxy we come from
    with live(create_app(untrusted, qa=QuickQA()), untrusted) as (url, _):
        forged = httpx.get(f"{url}/proposals/new", headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in forged.headers["set-cookie"].lower()


def test_serve_takes_forwarded_allow_ips(monkeypatch, tmp_path):
    import bot.server
    from bot import cli

    seen = {}
    monkeypatch.setattr(bot.server, "serve", lambda settings: seen.setdefault("s", settings))
    r = CliRunner().invoke(cli.app, ["serve", "--forwarded-allow-ips", "10.0.0.5,10.0.0.6"])
    assert r.exit_code == 0, r.output
    opts = uvicorn_options(seen["s"])
    assert opts["forwarded_allow_ips"] == "10.0.0.5,10.0.0.6" and opts["proxy_headers"] is True
    monkeypatch.setenv("REFORMBOT_FORWARDED_ALLOW_IPS", "10.9.9.9")
    seen.clear()
    assert CliRunner().invoke(cli.app, ["serve"]).exit_code == 0
    assert seen["s"].forwarded_allow_ips == "10.9.9.9"


# --- 7/12. logs and errors hold nothing private ---------------------------------------------

class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(f"{record.name} {record.getMessage()}")


def test_access_log_has_route_status_latency_never_the_question(tmp_path):
    from proposals_support import VALID, fresh_form

    settings = settings_for(tmp_path, proposals_rate_limit="0")
    collect = Collect()
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.access", "uvicorn.error")]
    with live(create_app(settings, qa=QuickQA()), settings) as (url, _):
        for lg in loggers:
            lg.addHandler(collect)
        old = logging.getLogger("bot.access").level
        logging.getLogger("bot.access").setLevel(logging.INFO)
        try:
            q = "私は鈴木花子 hanako@example.jp 個人番号 1234 5678 9012 の件です"
            assert httpx.get(f"{url}/api/ask", params={"q": q}).status_code == 200
            assert httpx.get(f"{url}/", params={"q": q}).status_code == 200
            with httpx.Client(base_url=url) as c:
                form = fresh_form(c)
                c.post("/proposals", data={**form, **VALID, "name": "鈴木花子", "email": "hanako@example.jp",
                                           "body": "電話は 090-1234-5678 です。" + VALID["body"]})
        finally:
            for lg in loggers:
                lg.removeHandler(collect)
            logging.getLogger("bot.access").setLevel(old)
    text = "\n".join(collect.lines)
    assert any(line.startswith("bot.access GET /api/ask 200 ") and line.endswith("ms") for line in collect.lines), text
    for secret in PERSONAL + ["q="]:
        assert secret not in text, secret


def test_health_and_errors_never_show_server_paths(tmp_path):
    settings = settings_for(tmp_path)          # no index built
    with TestClient(create_app(settings)) as c:
        health = c.get("/healthz")
        api = c.get("/api/ask", params={"q": "計画期間は？"})
        page = c.get("/", params={"q": "計画期間は？"})
    assert health.status_code == 503 and api.status_code == 503 and page.status_code == 503
    for r in (health, api, page):
        assert str(tmp_path) not in r.text and "/data" not in r.text
