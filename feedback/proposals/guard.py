"""Abuse guards for the citizen form: signed form tokens (CSRF + double submit) and rate limits.

Pure and clock-injectable, so tests need no sleeps.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from typing import Callable

TOKEN_MAX_AGE = 24 * 3600   # a form left open over a day must be reloaded


class FormTokens:
    """Per-render form ids bound to a browser cookie by an HMAC.

    The page carries ``form_id`` (random; it doubles as the double-submit key) and
    ``csrf_token = "<issued>.<hmac(secret, cookie | form_id | issued)>"``; the browser carries the
    cookie. A cross-site page can make the browser send the cookie but cannot read a token, and a
    token without the matching cookie is useless.
    """

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time, max_age: int = TOKEN_MAX_AGE):
        self.secret = secret
        self.clock = clock
        self.max_age = max_age

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_hex(16)

    @staticmethod
    def new_form_id() -> str:
        return secrets.token_hex(16)

    def _mac(self, cookie: str, form_id: str, issued: int) -> str:
        msg = f"{cookie}|{form_id}|{issued}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def token(self, cookie: str, form_id: str) -> str:
        """A CSRF token for this cookie and form id, valid for ``max_age`` seconds."""
        issued = int(self.clock())
        return f"{issued}.{self._mac(cookie, form_id, issued)}"

    def valid(self, cookie: str | None, form_id: str | None, token: str | None) -> bool:
        """True when ``token`` was issued for this cookie and form id and has not expired."""
        if not cookie or not form_id or not token or "." not in token:
            return False
        issued_text, mac = token.split(".", 1)
        if not issued_text.isdigit():
            return False
        issued = int(issued_text)
        age = self.clock() - issued
        if age < -60 or age > self.max_age:
            return False
        return hmac.compare_digest(mac, self._mac(cookie, form_id, issued))


class RateLimiter:
    """At most ``limit`` stored submissions per client in any ``window`` seconds (sliding window).

    ``limit = 0`` turns limiting off. In-process state: with several server processes each has
    its own window, which still bounds a single client to ``processes x limit``.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, spec: str, clock: Callable[[], float] = time.monotonic) -> "RateLimiter":
        """From ``"COUNT/SECONDS"`` (``"0"`` or ``""``: off)."""
        spec = (spec or "0").strip()
        if "/" not in spec:
            return cls(int(spec or 0), 1.0, clock)
        count, seconds = spec.split("/", 1)
        return cls(int(count), float(seconds), clock)

    def acquire(self, key: str) -> float:
        """Count one submission for ``key`` if allowed.

        Returns:
            0 when the submission may go ahead (and it was counted), else seconds until it may.
        """
        if self.limit <= 0:
            return 0.0
        with self._lock:
            now = self.clock()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.001, hits[0] + self.window - now)
            hits.append(now)
            if len(self._hits) > 100_000:       # bound memory under a flood of distinct clients
                for k in [k for k, d in self._hits.items() if not d or d[-1] <= now - self.window]:
                    del self._hits[k]
            return 0.0
