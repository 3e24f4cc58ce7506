"""Helpers for the Slack tests: signed requests, real payload shapes, a fake QA service, a harness.

Slack signs every request: ``v0=HMAC_SHA256(secret, "v0:{timestamp}:{raw body}")`` in
``X-Slack-Signature`` with the timestamp in ``X-Slack-Request-Timestamp``.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlencode

from bot.contract import Answer, GlossaryNote, Source
from bot.settings import Settings
from proposals_support import bundled_document
from slack_emulator import BOT_ID, BOT_USER_ID, TEAM_ID, SlackEmulator

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test"
API_APP_ID = "A0000001"

_ids = itertools.count(1)


def sign(body: bytes | str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict:
    """Headers Slack would send with ``body``."""
    raw = body.encode() if isinstance(body, str) else body
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + raw
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def next_ts() -> str:
    return f"1710000000.{next(_ids):06d}"


# --- payloads (shapes as Slack sends them) ------------------------------------------------
def event_callback(event: dict, *, event_id: str | None = None) -> dict:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
    }


def mention(text: str, *, channel: str = "C0CHANNEL", user: str = "U0STAFF1", ts: str | None = None,
            thread_ts: str | None = None) -> dict:
    ts = ts or next_ts()
    event = {
        "client_msg_id": f"msg-{ts}",
        "type": "app_mention",
        "text": f"<@{BOT_USER_ID}> {text}",
        "user": user,
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "blocks": [],
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(text: str, *, channel: str = "D0DIRECT1", channel_type: str = "im", user: str = "U0STAFF1",
            ts: str | None = None, thread_ts: str | None = None, **extra) -> dict:
    ts = ts or next_ts()
    event = {
        "client_msg_id": f"msg-{ts}",
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    event.update(extra)
    return event


def slash_command(text: str, *, response_url: str, user: str = "U0STAFF1", channel: str = "C0CHANNEL") -> str:
    """The form body of a ``/reform`` invocation."""
    return urlencode({
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "emulated-city",
        "channel_id": channel,
        "channel_name": "gyokaku",
        "user_id": user,
        "user_name": "staff",
        "command": "/reform",
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_ids)}.123.abc",
    })


def block_actions(action_id: str, value: str, *, response_url: str, user: str = "U0STAFF2",
                  channel: str = "C0CHANNEL", message: dict | None = None, ephemeral: bool = False) -> str:
    """The ``payload=`` form body of a button click on ``message``."""
    message_ts = (message or {}).get("ts", next_ts())
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "staff", "name": "staff", "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": ephemeral},
        "trigger_id": f"{next(_ids)}.123.def",
        "team": {"id": TEAM_ID, "domain": "emulated-city"},
        "channel": {"id": channel, "name": "gyokaku"},
        "response_url": response_url,
        "actions": [{
            "action_id": action_id,
            "block_id": "answer_feedback",
            "text": {"type": "plain_text", "text": action_id, "emoji": True},
            "value": value,
            "type": "button",
            "action_ts": str(time.time()),
        }],
        "state": {"values": {}},
    }
    if message is not None and not ephemeral:
        payload["message"] = message
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def view_submission(view: dict, values: dict, *, user: str = "U0STAFF2") -> str:
    """The ``payload=`` form body of a modal submit; ``values`` is ``{block_id: {action_id: value}}``."""
    state = {b: {a: {"type": "plain_text_input", "value": v} for a, v in acts.items()} for b, acts in values.items()}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "emulated-city"},
        "user": {"id": user, "username": "staff", "name": "staff", "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"{next(_ids)}.123.ghi",
        "view": {**view, "id": "V0MODAL1", "team_id": TEAM_ID, "state": {"values": state}, "hash": "1.abc",
                 "app_id": API_APP_ID, "bot_id": BOT_ID},
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


# --- a fake answer service --------------------------------------------------------------
def bundled_examples(lang: str) -> tuple[str, ...]:
    """The example questions the bot derives from the bundled outline."""
    from bot.about import describe

    return describe(bundled_document()).questions(lang)


PLAN_SOURCE = Source(
    rank=1,
    text="本大綱の計画期間は、令和３年度から令和８年度までの６年間とします。",
    section="５ 第７次行政改革大綱について › (2) 計画の位置付け・計画期間",
    page=5,
    score=0.91,
    kind="body",
    id="s5-2-001",
    page_label="大綱P.5",      # the page as the outline prints it (the real service fills it in)
)
PFI_SOURCE = Source(
    rank=2,
    text="ＰＦＩ（Private Finance Initiative）：公共施設等の建設、維持管理、運営等を民間の資金、経営能力及び技術的能力を活用して行う手法。",
    section="用語説明 › ※4 ＰＦＩ",
    page=12,
    score=0.74,
    kind="glossary",
    id="g-4",
    page_label="大綱P.12",
)


def found_answer(question: str, sources: Sequence[Source] = (PLAN_SOURCE, PFI_SOURCE)) -> Answer:
    return Answer(
        question=question,
        found=True,
        answer=sources[0].text,
        sources=tuple(sources),
        glossary=(GlossaryNote("ＰＦＩ", "Private Finance Initiative の略。公共施設等の整備等に民間の資金とノウハウを活用する手法。"),),
        index_version="v1-test",
    )


def not_found_answer(question: str) -> Answer:
    return Answer(
        question=question,
        found=False,
        answer="",
        sources=(replace(PLAN_SOURCE, score=0.21), replace(PFI_SOURCE, rank=2, score=0.18)),
        index_version="v1-test",
    )


@dataclass
class FakeQA:
    """Same two methods as ``bot.service.QAService``; answers ``found`` unless the question is in
    ``unanswerable``; records every call; can be made to fail or to wait on an event."""

    unanswerable: set[str] = field(default_factory=lambda: {"ごみの収集日は？", "When is garbage collected?"})
    fail: bool = False
    raises: BaseException | None = None          # raise this from ask() (named service errors)
    gate: threading.Event | None = None
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def ask(self, question: str, *, history: Sequence[str] = ()) -> Answer:
        self.calls.append((question, tuple(history)))
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        if self.fail:
            raise RuntimeError("index exploded")
        if self.raises is not None:
            raise self.raises
        if question in self.unanswerable:
            return not_found_answer(question)
        return found_answer(question)

    def current_document(self):
        """The bundled outline, parsed (the help and App Home name it and take their examples from it)."""
        return bundled_document()

    def status(self) -> dict:
        return {"title": "第７次厚木市行政改革大綱（概要）", "index_version": "v1-test", "built_at": "2026-11-27T00:10:00+00:00",
                "sections": 42, "glossary_terms": 8, "chunks": 120}


# --- the harness ------------------------------------------------------------------------
def strip_environment(monkeypatch) -> None:
    """No SLACK_* or REFORMBOT_* from the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith(("SLACK_", "REFORMBOT_")):
            monkeypatch.delenv(name, raising=False)


def slack_settings(data_dir: Path, emulator: SlackEmulator, **overrides) -> Settings:
    values = dict(
        data_dir=data_dir,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_base_url=emulator.base_url,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class SlackHarness:
    """The Bolt app behind a real Starlette app, driven with signed requests like Slack does."""

    emulator: SlackEmulator
    settings: Settings
    qa: object
    bolt_app: object
    http: object                 # starlette TestClient (or httpx.Client for a live server)

    @property
    def bot(self):
        from bot.slack import slack_bot

        return slack_bot(self.bolt_app)

    @property
    def store(self):
        return self.bot.store

    def post(self, body: str | dict, *, content_type: str | None = None, headers: dict | None = None,
             timestamp: int | None = None, secret: str = SIGNING_SECRET):
        raw = json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else body
        if content_type is None:
            content_type = "application/json" if isinstance(body, dict) else "application/x-www-form-urlencoded"
        h = {"Content-Type": content_type, **sign(raw, secret=secret, timestamp=timestamp), **(headers or {})}
        return self.http.post("/slack/events", content=raw.encode(), headers=h)

    def event(self, event: dict, **kwargs):
        return self.post(event_callback(event), **kwargs)


@contextmanager
def slack_harness(data_dir: Path, qa=None, *, settings_overrides: dict | None = None,
                  starlette_app=None, **build_kwargs) -> Iterator[SlackHarness]:
    """Emulator + Bolt app + Starlette app (ours unless ``starlette_app(settings, qa)`` is given)."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from bot.slack import build_slack_app, slack_bot, slack_routes

    qa = qa if qa is not None else FakeQA()
    with SlackEmulator() as emulator:
        settings = slack_settings(data_dir, emulator, **(settings_overrides or {}))
        if starlette_app is not None:
            web, bolt_app = starlette_app(settings, qa)
        else:
            bolt_app = build_slack_app(settings, qa, **build_kwargs)
            web = Starlette(routes=slack_routes(bolt_app))
        with TestClient(web) as http:
            # A served app reaches Slack in the background at start-up: wait for it, as Slack would retry.
            assert slack_bot(bolt_app).connection.wait(30), "the bot never reached the Slack emulator"
            yield SlackHarness(emulator=emulator, settings=settings, qa=qa, bolt_app=bolt_app, http=http)

        slack_bot(bolt_app).close()          # in-flight listeners finish before the emulator stops


@contextmanager
def served(mount):
    """A TestClient on ``mount.routes``, running its startup/shutdown the way bot.server's lifespan does."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    @contextlib.asynccontextmanager
    async def lifespan(app):
        for fn in mount.startup:
            fn()
        yield
        for fn in mount.shutdown:
            fn()

    with TestClient(Starlette(routes=mount.routes, lifespan=lifespan)) as client:
        yield client


class LogSignal(logging.Handler):
    """Sets :attr:`seen` when ``logger`` logs a message containing ``needle`` (wait on it with a deadline)."""

    def __init__(self, logger: str, needle: str) -> None:
        super().__init__(logging.DEBUG)
        self.needle = needle
        self.seen = threading.Event()
        self._logger = logging.getLogger(logger)

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.seen.set()

    def __enter__(self) -> "LogSignal":
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self)
