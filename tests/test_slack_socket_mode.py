"""Socket Mode: the bot connects to a fake Slack WebSocket endpoint, receives envelopes, acks them,
and answers through the Web API emulator — the path `reformbot serve` takes when SLACK_APP_TOKEN is set."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest
from aiohttp import WSMsgType, web

from bot.slack import mount_slack, slack_bot
from slack_emulator import SlackEmulator
from slack_helpers import APP_TOKEN, FakeQA, event_callback, mention, served, slack_settings, strip_environment


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    strip_environment(monkeypatch)


class FakeSocketModeServer:
    """Slack's side of a Socket Mode connection: says hello, sends envelopes, records acks."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.connections = 0
        self._cond = threading.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=test-ticket&app_id=A0000001"

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        with self._cond:
            self.connections += 1
            self._cond.notify_all()
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                                      "connection_info": {"app_id": "A0000001"}}))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                with self._cond:
                    self.received.append(json.loads(msg.data))
                    self._cond.notify_all()
        return ws

    def start(self) -> "FakeSocketModeServer":
        ready = threading.Event()

        async def boot() -> None:
            app = web.Application()
            app.router.add_get("/link/", self._link)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(boot())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="fake-socket-mode")
        self._thread.start()
        assert ready.wait(10)
        return self

    def stop(self) -> None:
        async def down() -> None:
            if self._ws is not None:
                await self._ws.close()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(down(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def send(self, envelope: dict) -> None:
        assert self._ws is not None, "no client connected"
        asyncio.run_coroutine_threadsafe(self._ws.send_str(json.dumps(envelope)), self._loop).result(10)

    def wait_connected(self, timeout: float = 10) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.connections > 0, timeout), "the bot never connected"

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict:
        with self._cond:
            assert self._cond.wait_for(lambda: any(m.get("envelope_id") == envelope_id for m in self.received), timeout), \
                f"no ack for {envelope_id}; got {self.received}"
            return next(m for m in self.received if m.get("envelope_id") == envelope_id)


def test_socket_mode_receives_events_and_commands_and_answers(tmp_path):
    qa = FakeQA()
    fake = FakeSocketModeServer().start()
    try:
        with SlackEmulator() as emulator:
            emulator.socket_mode_url = fake.url
            emulator.fail("apps.connections.open", "internal_error")     # Slack hiccups once at start-up
            # Socket Mode only: no signing secret, no public URL.
            settings = slack_settings(tmp_path / "data", emulator, slack_signing_secret="", slack_app_token=APP_TOKEN)
            mount = mount_slack(settings, qa)
            assert mount.routes == []                                    # no HTTP endpoint without a secret
            assert len(mount.startup) == 1
            with served(mount):
                fake.wait_connected(timeout=15)
                [opened] = emulator.wait_for("apps.connections.open")            # the retry that worked
                assert [c.error for c in emulator.calls_to("apps.connections.open")] == ["internal_error", None]
                assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"

                ask = mention("第７次大綱の計画期間は？", channel="C0SOCKET")
                fake.send({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                           "retry_attempt": 0, "retry_reason": "", "payload": event_callback(ask, event_id="Ev-1")})
                fake.wait_ack("env-1")
                [post] = emulator.wait_for("chat.postMessage")
                assert post["channel"] == "C0SOCKET" and post["thread_ts"] == ask["ts"]
                assert "大綱P.5" in post["text"]

                # The same event again (a Socket Mode retry, then a redelivery): acked, not answered twice.
                fake.send({"envelope_id": "env-2", "type": "events_api", "accepts_response_payload": False,
                           "retry_attempt": 1, "retry_reason": "timeout", "payload": event_callback(ask, event_id="Ev-1")})
                fake.send({"envelope_id": "env-3", "type": "events_api", "accepts_response_payload": False,
                           "retry_attempt": 2, "retry_reason": "timeout", "payload": event_callback(ask, event_id="Ev-1")})
                fake.wait_ack("env-3")

                fake.send({"envelope_id": "env-4", "type": "slash_commands", "accepts_response_payload": True,
                           "payload": {"command": "/reform", "text": "PFIとは何ですか", "user_id": "U0STAFF1",
                                       "channel_id": "C0SOCKET", "team_id": "T0000001", "api_app_id": "A0000001",
                                       "response_url": emulator.response_url("sock"), "trigger_id": "1.2.3"}})
                fake.wait_ack("env-4")
                [reply] = emulator.wait_for("response_url")
                assert reply["response_type"] == "ephemeral" and "大綱P.5" in reply["text"]
                slack_bot(mount.app).close()
                assert len(emulator.calls_to("chat.postMessage")) == 1
                assert [q for q, _ in qa.calls] == ["第７次大綱の計画期間は？", "PFIとは何ですか"]
    finally:
        fake.stop()


def test_slack_off_without_settings(tmp_path, caplog):
    from bot.settings import Settings

    caplog.set_level("INFO")
    mount = mount_slack(Settings(data_dir=tmp_path), FakeQA())
    assert mount.routes == [] and mount.startup == [] and mount.app is None
    assert "Slack is off" in caplog.text
