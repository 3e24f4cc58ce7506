"""What ``POST /slack/events`` checks before Bolt sees a request: size, signature, age.

Slack signs every request: ``X-Slack-Signature: v0=HMAC_SHA256(signing secret, "v0:{timestamp}:{raw body}")``
with the timestamp in ``X-Slack-Request-Timestamp``, and asks apps to refuse requests more than
five minutes old (https://docs.slack.dev/authentication/verifying-requests-from-slack/). Here that
check runs on the raw bytes, before anything is parsed, and the body is read only up to a bound,
so an unsigned, oversized or malformed request costs at most :data:`MAX_BODY_BYTES` of memory and
one log line (bot/slack/app.py turns :class:`RequestRefused` into the HTTP status).

Nothing here imports Slack or the web framework; :func:`read_body` takes anything with
``.headers`` and an async ``.stream()`` (a Starlette request).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import AsyncIterator, Mapping, Protocol

MAX_BODY_BYTES = 512 * 1024
"""The largest request body read from Slack.

Slack publishes no maximum request size; what it sends this bot is bounded by its message limits:
message text is truncated at 40,000 characters, a message has at most 50 blocks and a view 100,
with at most 3,000 characters per text object. The largest legitimate body is a DM or thread
message near the 40,000-character limit: in Japanese, JSON-escaped as ``\\uXXXX`` (6 bytes per
character) once in ``text`` and once in its ``rich_text`` block, about 480 KB. Button clicks carry
the bot's own message (answers are a few thousand characters, tens of KB form-encoded) and modal
submissions at most a 4,000-character idea. Slack's own bolt-js caps bodies at 4 MB by default,
without a Slack-specific reason; 512 KiB is the bound that fits what this bot can receive.
"""

MAX_REQUEST_AGE_SECONDS = 5 * 60
"""Slack's replay window: a request whose timestamp is further from now than this is refused."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class RequestRefused(Exception):
    "A request to the Slack route that is answered with an error status, not passed to Bolt."

    status = 400


class BodyTooLarge(RequestRefused):
    "The request body is larger than the Slack route accepts."

    status = 413


class BadSignature(RequestRefused):
    "The request is not signed with the signing secret, or its timestamp is missing, malformed or stale."

    status = 401


class MalformedBody(RequestRefused):
    "The signed body is not an event, slash command or interactive payload that can be parsed."

    status = 400


class SlackNotReady(RequestRefused):
    "The bot has not reached Slack yet (or Slack refused its token): the request cannot be handled now."

    status = 503


class _Streaming(Protocol):
    headers: Mapping[str, str]

    def stream(self) -> AsyncIterator[bytes]: ...


def signature_headers(headers: Mapping[str, str], *, now: float) -> tuple[str, str]:
    """The timestamp and signature headers, checked for shape and age (no body needed).

    Args:
        headers: the request headers (case-insensitive mapping).
        now: the current wall-clock time, seconds since the epoch.

    Returns:
        ``(timestamp, signature)`` as sent.

    Raises:
        BadSignature: a header is missing or malformed, or the timestamp is outside Slack's window.
    """
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise BadSignature("no X-Slack-Signature / X-Slack-Request-Timestamp header")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise BadSignature("X-Slack-Request-Timestamp is not a Unix time")
    age = now - int(timestamp)
    if abs(age) > MAX_REQUEST_AGE_SECONDS:
        raise BadSignature(f"timestamp is {age:+.0f} s from now (more than {MAX_REQUEST_AGE_SECONDS} s)")
    if not _SIGNATURE.fullmatch(signature):
        raise BadSignature("X-Slack-Signature is not a v0 signature")
    return timestamp, signature


def check_signature(secret: str, timestamp: str, signature: str, body: bytes) -> None:
    """Raise :class:`BadSignature` unless ``signature`` is Slack's v0 HMAC of ``timestamp`` and the raw ``body``."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise BadSignature("signature does not match the body")


def check_declared_length(headers: Mapping[str, str], limit: int = MAX_BODY_BYTES) -> None:
    """Refuse a declared ``Content-Length`` over ``limit`` before anything is read.

    Raises:
        BodyTooLarge: more than ``limit`` bytes declared.
        MalformedBody: ``Content-Length`` is not a number.
    """
    declared = headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise MalformedBody("Content-Length is not a number")
    if int(declared) > limit:
        raise BodyTooLarge(f"Content-Length {int(declared)} bytes is over the {limit}-byte limit")


async def read_body(request: _Streaming, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, read chunk by chunk and never past ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before anything is read; a chunked or
    under-declared body is refused as soon as the bytes received pass the limit.

    Raises:
        BodyTooLarge: more than ``limit`` bytes declared or sent.
        MalformedBody: ``Content-Length`` is not a number.
    """
    check_declared_length(request.headers, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body passed the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
