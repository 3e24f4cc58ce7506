"""What `/slack/events` does before Bolt sees a request: bounded reading, signature first, no tracebacks.

Requests go through the real route (signed like Slack signs them, or not); the chunked-body test
drives the route as an ASGI app with a ``receive`` that counts what it hands out, because the test
client reads the whole request body before the app runs."""
from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from bot.slack import intake
from slack_helpers import SIGNING_SECRET, event_callback, message, sign, slack_harness, strip_environment


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


@pytest.fixture
def slack(tmp_path):
    with slack_harness(tmp_path / "data") as h:
        yield h


def problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- size: bounded before it is read -------------------------------------------------------
def test_declared_oversized_body_gets_413_without_being_read(slack, caplog):
    raw = json.dumps(event_callback(message("あ" * 200_000)))          # ~1.2 MB as Slack-style \u escapes
    assert len(raw) > intake.MAX_BODY_BYTES
    r = slack.http.post("/slack/events", content=raw.encode(),
                        headers={"Content-Type": "application/json", **sign(raw)})
    assert r.status_code == 413
    assert [r.getMessage() for r in problems(caplog)] == [
        f"Slack request from testclient refused with 413: Content-Length {len(raw)} bytes is over the "
        f"{intake.MAX_BODY_BYTES}-byte limit"]
    assert slack.qa.calls == []


def test_longest_message_slack_sends_still_fits_and_gets_a_reply(slack):
    """40,000 characters (Slack truncates longer messages), escaped in both text and rich_text."""
    text = "あ" * 40_000
    event = message(text, channel="D0LONG")
    event["blocks"] = [{"type": "rich_text", "block_id": "b1", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]
    raw = json.dumps(event_callback(event))                            # ensure_ascii: \u3042 per character
    assert len(raw) <= intake.MAX_BODY_BYTES
    r = slack.http.post("/slack/events", content=raw.encode(), headers={"Content-Type": "application/json", **sign(raw)})
    assert r.status_code == 200
    [post] = slack.emulator.wait_for("chat.postMessage")
    assert post["channel"] == "D0LONG"
    assert slack.qa.calls == [(text, ())]          # the whole question reached the service (which refuses it as too long)


def call_route(app, headers: dict, chunks: int, chunk: bytes = b"x" * 65536) -> tuple[int, int]:
    """POST /slack/events as an ASGI app; the body is ``chunks`` chunks, no Content-Length.

    Returns:
        (HTTP status, bytes the app pulled from ``receive``).
    """
    pulled = 0
    sent = 0
    status: list[int] = []

    async def receive():
        nonlocal pulled, sent
        if sent == chunks:
            return {"type": "http.disconnect"}
        sent += 1
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": sent < chunks}

    async def send(msg):
        if msg["type"] == "http.response.start":
            status.append(msg["status"])

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/slack/events", "raw_path": b"/slack/events", "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("203.0.113.9", 40000), "server": ("127.0.0.1", 8000)}
    asyncio.run(app(scope, receive, send))
    return status[0], pulled


def test_chunked_body_reading_stops_at_the_limit(slack):
    app = slack.http.app
    chunk = 65536
    # 16 MB on offer, signed-looking headers (fresh timestamp, a signature that will not match).
    headers = {"Content-Type": "application/json", **sign(b"", secret="not-the-secret")}
    status, pulled = call_route(app, headers, chunks=256, chunk=b"x" * chunk)
    assert status == 413
    assert pulled <= intake.MAX_BODY_BYTES + chunk
    # Unsigned: refused on its headers, nothing read at all.
    status, pulled = call_route(app, {"Content-Type": "application/json"}, chunks=256, chunk=b"x" * chunk)
    assert (status, pulled) == (401, 0)


# --- signature before parsing, and no tracebacks -------------------------------------------
UNSIGNED_JUNK = [
    ("application/json", "{{{", None),
    ("application/json", "[1,2]", None),
    ("application/x-www-form-urlencoded", "payload={bad", None),
    ("application/json", json.dumps(event_callback(message("計画期間は？"))), "abc"),     # timestamp not a number
]


@pytest.mark.parametrize("content_type, body, timestamp", UNSIGNED_JUNK)
def test_unsigned_malformed_body_gets_401_and_one_log_line(slack, caplog, content_type, body, timestamp):
    headers = {"Content-Type": content_type}
    if timestamp is not None:
        headers.update({"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + "0" * 64})
    r = slack.http.post("/slack/events", content=body.encode(), headers=headers)
    assert r.status_code == 401
    [line] = problems(caplog)
    assert "refused with 401" in line.getMessage() and line.exc_info is None
    assert "Traceback" not in caplog.text
    assert slack.qa.calls == []


SIGNED_JUNK = [
    ("application/json", b"{{{"),
    ("application/json", b"[1,2]"),
    ("application/json", b'"just a string"'),
    ("application/x-www-form-urlencoded", b"payload={bad"),
    ("application/x-www-form-urlencoded", b"payload=%5B1%5D"),                # payload=[1]
    ("application/json", b'{"type": "event_callback", "event": \xff}'),       # not UTF-8
]


@pytest.mark.parametrize("content_type, body", SIGNED_JUNK)
def test_signed_malformed_body_gets_400_and_one_log_line(slack, caplog, content_type, body):
    r = slack.http.post("/slack/events", content=body, headers={"Content-Type": content_type, **sign(body)})
    assert r.status_code == 400
    [line] = problems(caplog)
    assert "refused with 400" in line.getMessage() and line.exc_info is None
    assert "Traceback" not in caplog.text


def test_signature_is_checked_on_the_raw_bytes():
    body = "計画期間は？".encode()
    headers = {k.lower(): v for k, v in sign(body).items()}
    timestamp, signature = intake.signature_headers(headers, now=time.time())
    intake.check_signature(SIGNING_SECRET, timestamp, signature, body)
    with pytest.raises(intake.BadSignature):
        intake.check_signature(SIGNING_SECRET, timestamp, signature, body + b" ")
    with pytest.raises(intake.BadSignature):
        intake.check_signature("another-secret", timestamp, signature, body)


@pytest.mark.parametrize("timestamp, why", [
    (None, "no X-Slack-Signature"), ("abc", "not a Unix time"), ("-5", "not a Unix time"),
    ("1e9", "not a Unix time"), (str(10**20), "not a Unix time"),
])
def test_malformed_timestamps_are_refused_before_any_arithmetic(timestamp, why):
    headers = {"x-slack-signature": "v0=" + "0" * 64}
    if timestamp is not None:
        headers["x-slack-request-timestamp"] = timestamp
    with pytest.raises(intake.BadSignature, match=why):
        intake.signature_headers(headers, now=1_700_000_000)


@pytest.mark.parametrize("offset", [-301, 301])
def test_timestamps_outside_slacks_five_minutes_are_refused(offset):
    now = 1_700_000_000
    headers = {"x-slack-signature": "v0=" + "0" * 64, "x-slack-request-timestamp": str(now + offset)}
    with pytest.raises(intake.BadSignature, match="more than 300 s"):
        intake.signature_headers(headers, now=now)
    headers["x-slack-request-timestamp"] = str(now + offset - (1 if offset > 0 else -1))
    assert intake.signature_headers(headers, now=now)[0] == str(now + offset - (1 if offset > 0 else -1))
