"""A local Slack Web API emulator for tests and benchmarks.

A small threaded HTTP server on a free 127.0.0.1 port (refusing connections until started). It records every call (method, parsed
body, headers, arrival time), answers plausible JSON for the methods the bot uses, accepts
``response_url`` posts under ``/response/<name>``, and can be told to answer 429 (with
Retry-After) or an error for a method, or to hold a method's answer until the test lets it go.
Tests wait for calls with :meth:`SlackEmulator.wait_for`, a bounded wait on a condition variable
(no sleeps).

Files uploaded with :meth:`SlackEmulator.add_file` are described by ``files.info`` and served at
their ``url_private_download`` (recorded as the method ``"file_download"``) only with
``Authorization: Bearer <bot_token>``, as files.slack.com serves them only with a token that has
``files:read``; without it the download is redirected to an HTML sign-in page, as Slack does.

Usage::

    with SlackEmulator() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.base_url)
        ...
        [call] = slack.wait_for("chat.postMessage")
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, urlsplit

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class Call:
    """One request the emulator received."""

    method: str                 # "chat.postMessage", …, or "response_url"
    body: dict
    headers: dict
    path: str
    at: float = field(default_factory=time.perf_counter)
    status: int = 200           # what the emulator answered
    error: str | None = None    # the error it answered with, if it was told to fail
    response: dict = field(default_factory=dict)   # the JSON it answered

    def __getitem__(self, key: str) -> Any:
        return self.body[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.body.get(key, default)


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None
    times: int


@dataclass
class EmulatedFile:
    """A file someone uploaded to Slack (see :meth:`SlackEmulator.add_file`)."""

    id: str
    name: str
    data: bytes
    user: str
    mimetype: str
    filetype: str
    size: int                   # what files.info says (the real length unless the test says otherwise)


_TYPES = {".txt": ("text/plain", "text"), ".md": ("text/markdown", "markdown"), ".pdf": ("application/pdf", "pdf"),
          ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
          ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
          ".png": ("image/png", "png")}


class SlackEmulator:
    """Records Web API calls and answers like Slack would (see module docstring)."""

    def __init__(self, bot_token: str = "xoxb-test-token") -> None:
        self.bot_token = bot_token                   # file downloads need "Authorization: Bearer <bot_token>"
        self.files: dict[str, EmulatedFile] = {}
        self.calls: list[Call] = []
        self.locales: dict[str, str] = {}            # user id -> Slack locale for users.info
        self.socket_mode_url: str | None = None      # answer of apps.connections.open
        self._faults: dict[str, list[_Fault]] = {}
        self._holds: dict[str, threading.Event] = {}
        self._waiting: dict[str, int] = {}           # requests held right now, by method
        self._file_ids = itertools.count(1)
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        # Bound now (the port, and so base_url, is known) but listening only from start(): until
        # then connections to it are refused, as when Slack is unreachable.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class(), bind_and_activate=False)
        self._server.daemon_threads = True
        self._server.server_bind()
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Use as ``SLACK_API_BASE_URL``."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A ``response_url`` for slash command and interactivity payloads."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def start(self) -> "SlackEmulator":
        """Start answering (connections were refused until now)."""
        self._server.server_activate()
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), name="slack-emulator",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:        # shutdown() waits for serve_forever, which never ran otherwise
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "SlackEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- scripting -----------------------------------------------------------------------
    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        self._faults.setdefault(method, []).append(_Fault(429, "ratelimited", retry_after, times))

    def fail(self, method: str, error: str = "internal_error", times: int = 1, status: int = 200) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        self._faults.setdefault(method, []).append(_Fault(status, error, None, times))

    def hold(self, method: str, gate: threading.Event) -> None:
        """Answer ``method`` (``"file_download"`` for downloads) only once ``gate`` is set (at most 30 s)."""
        self._holds[method] = gate

    def held(self, method: str) -> int:
        """How many requests for ``method`` are waiting on their gate right now."""
        with self._cond:
            return self._waiting.get(method, 0)

    def add_file(self, name: str, data: bytes, *, user: str = "U0STAFF1", size: int | None = None,
                 mimetype: str | None = None, filetype: str | None = None) -> dict:
        """Upload ``data`` as ``name`` by ``user``; returns the file object as a message event carries it.

        Args:
            size: what ``files.info`` reports (default the real length; a test can make it lie).
            mimetype, filetype: default from the name's suffix, as Slack guesses them.
        """
        guess = _TYPES.get(("." + name.rsplit(".", 1)[-1].lower()) if "." in name else "", ("application/octet-stream", "binary"))
        f = EmulatedFile(id=f"F{next(self._file_ids):08d}", name=name, data=data, user=user,
                         mimetype=mimetype or guess[0], filetype=filetype or guess[1],
                         size=len(data) if size is None else size)
        self.files[f.id] = f
        return self._file_object(f)

    def _file_object(self, f: EmulatedFile) -> dict:
        base = f"http://127.0.0.1:{self.port}/files-pri/{TEAM_ID}-{f.id}"
        safe = quote(f.name)
        return {"id": f.id, "created": 1700000000, "timestamp": 1700000000, "name": f.name, "title": f.name,
                "mimetype": f.mimetype, "filetype": f.filetype, "pretty_type": f.filetype.upper(), "user": f.user,
                "user_team": TEAM_ID, "editable": False, "size": f.size, "mode": "hosted", "is_external": False,
                "external_type": "", "is_public": False, "public_url_shared": False, "display_as_bot": False,
                "username": "", "url_private": f"{base}/{safe}", "url_private_download": f"{base}/download/{safe}",
                "permalink": f"https://emulated.slack.com/files/{f.user}/{f.id}/{safe}"}

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self._faults.clear()
            self._holds.clear()

    # --- inspection ----------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        with self._cond:
            return [c.method for c in self.calls]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 10.0, where: Callable[[Call], bool] | None = None
    ) -> list[Call]:
        """Block until at least ``count`` matching calls arrived; return them.

        Raises:
            AssertionError: not enough calls within ``timeout`` seconds (lists what did arrive).
        """

        def matching() -> list[Call]:
            return [c for c in self.calls
                    if c.method == method and c.status == 200 and c.error is None and (where is None or where(c))]

        with self._cond:
            ok = self._cond.wait_for(lambda: len(matching()) >= count, timeout=timeout)
            if not ok:
                raise AssertionError(f"expected {count} x {method} within {timeout}s; got {self.methods()}")
            return matching()

    def wait_until(self, predicate: Callable[["SlackEmulator"], bool], timeout: float = 10.0) -> None:
        """Block until ``predicate(self)`` holds (re-checked on every recorded call)."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError(f"condition not met within {timeout}s; calls: {self.methods()}")

    # --- the server ----------------------------------------------------------------------
    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _take_fault(self, method: str) -> _Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    def _answer(self, method: str, body: dict) -> dict:
        if method == "auth.test":
            return {
                "ok": True, "url": "https://emulated.slack.com/", "team": "Emulated City", "user": "reformbot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"type": "message", "ts": ts, "text": body.get("text", ""), "bot_id": BOT_ID,
                                "user": BOT_USER_ID, "blocks": body.get("blocks", [])}}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text", "")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("reactions.add", "reactions.remove"):
            return {"ok": True}
        if method in ("views.publish", "views.open", "views.update"):
            view = body.get("view") or {}
            return {"ok": True, "view": {"id": "V" + self._next_ts().replace(".", ""), **(view if isinstance(view, dict) else {})}}
        if method == "conversations.replies":
            ts = body.get("ts")
            messages = [
                {"type": "message", "ts": c.body.get("ts", ""), "text": c.body.get("text", "")}
                for c in self.calls
                if c.method == "chat.postMessage" and c.body.get("thread_ts") == ts
            ]
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "users.info":
            user = body.get("user", "")
            return {"ok": True, "user": {"id": user, "name": user.lower(), "locale": self.locales.get(user, "ja-JP")}}
        if method == "files.info":
            f = self.files.get(str(body.get("file", "")))
            if f is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": self._file_object(f), "comments": [], "response_metadata": {"next_cursor": ""}}
        if method == "apps.connections.open":
            if not self.socket_mode_url:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_mode_url}
        return {"ok": False, "error": "unknown_method"}

    def _handler_class(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _handle(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = _parse_body(raw, self.headers.get("Content-Type", ""), url.query)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if url.path.startswith("/response/"):
                    call = Call("response_url", body, headers, url.path)
                    self._record(call)
                    self._send(200, b"ok", "text/plain")
                    return
                if url.path == "/signin":
                    self._send(200, b"<!DOCTYPE html><html><body>Sign in to Emulated City</body></html>", "text/html")
                    return
                method = "file_download" if url.path.startswith("/files-pri/") else url.path.rsplit("/", 1)[-1]
                call = Call(method, body, headers, url.path)
                gate = emulator._holds.get(method)
                if gate is not None:
                    with emulator._cond:
                        emulator._waiting[method] = emulator._waiting.get(method, 0) + 1
                        emulator._cond.notify_all()
                    gate.wait(30)
                    with emulator._cond:
                        emulator._waiting[method] -= 1
                with emulator._cond:
                    fault = emulator._take_fault(method)
                if fault is not None:
                    call.status, call.error = fault.status, fault.error
                    extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                    payload = json.dumps({"ok": False, "error": fault.error}).encode()
                    self._record(call)
                    self._send(fault.status, payload, "application/json", extra)
                    return
                if method == "file_download":
                    self._download(call)
                    return
                with emulator._cond:
                    answer = emulator._answer(method, body)
                call.response = answer
                self._record(call)
                self._send(200, json.dumps(answer, ensure_ascii=False).encode(), "application/json")

            def _download(self, call: Call) -> None:
                # /files-pri/<team>-<file id>/download/<name>
                file_id = call.path.split("/")[2].rsplit("-", 1)[-1]
                f = emulator.files.get(file_id)
                if call.headers.get("authorization") != f"Bearer {emulator.bot_token}":
                    call.status = 302
                    self._record(call)
                    self._send(302, b"", "text/html", {"Location": "/signin"})
                    return
                if f is None:
                    call.status = 404
                    self._record(call)
                    self._send(404, b"<html>not found</html>", "text/html")
                    return
                self._record(call)
                self._send(200, f.data, f.mimetype)

            def _record(self, call: Call) -> None:
                with emulator._cond:
                    emulator.calls.append(call)
                    emulator._cond.notify_all()

            def _send(self, status: int, payload: bytes, ctype: str, extra: dict | None = None) -> None:
                self.send_response(status)
                textual = ctype.startswith("text/") or ctype.endswith("json")
                self.send_header("Content-Type", ctype + ("; charset=utf-8" if textual else ""))
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            do_POST = _handle
            do_GET = _handle

        return Handler


def _parse_body(raw: bytes, content_type: str, query: str) -> dict:
    """JSON or form bodies (and query strings) as a dict; JSON-looking form fields decoded."""
    body: dict = dict(parse_qsl(query))
    text = raw.decode("utf-8", "replace")
    if "application/json" in content_type and text:
        body.update(json.loads(text))
    elif text:
        body.update(parse_qsl(text, keep_blank_values=True))
    for key in ("blocks", "view", "attachments"):
        value = body.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                body[key] = json.loads(value)
            except ValueError:
                pass
    return body
