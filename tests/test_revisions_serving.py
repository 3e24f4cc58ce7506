"""A running server follows a new index version: live uvicorn, concurrent queries, Slack announcements."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

import revision_support as R
from bot import service
from bot.server import create_app
from bot.service import QAService
from bot.settings import Settings
from corpus import load_chunks, load_document
from index.embedder import FakeEmbedder
from index.versions import build_version

QUESTION = "ふるさと納税や広告料収入で確保した財源は？"


def wait_until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Wait for something another thread does (polling; the assertion is on the outcome, not a time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} not reached within {timeout}s"
        time.sleep(0.02)


def cli(*args: str, settings: Settings) -> str:
    """Run `reformbot index ...` in its own process; returns stdout (fails the test on error)."""
    env = {**os.environ, "REFORMBOT_DATA_DIR": str(settings.data_dir), "REFORMBOT_EMBEDDING_MODEL": "fake"}
    reformbot = Path(sys.executable).parent / "reformbot"
    r = subprocess.run([str(reformbot), "index", *args], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def fast_watcher(monkeypatch):
    monkeypatch.setattr(service, "WATCH_INTERVAL", 0.05)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    path = R.write_revised(tmp_path_factory.mktemp("src"))
    return [(doc, load_chunks(doc)) for doc in (load_document(), load_document(path))]


def build(settings, corpus, **kw):
    doc, chunks = corpus
    return build_version(chunks, doc, settings.index_dir, FakeEmbedder(), **kw)


@contextmanager
def live_server(app):
    """uvicorn on a free loopback port in a thread (lifespan included: the watcher runs)."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, what="uvicorn start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_live_server_switches_with_queries_in_flight_and_none_fails(tmp_path, corpora, fast_watcher):
    # Load shedding is not under test here (tests/test_server_hardening.py): no rate limit, room in the queue.
    settings = Settings(data_dir=tmp_path / "data", embedding_model="fake", threads=2, ask_rate_limit="0", ask_queue=64)
    v1 = build(settings, corpora[0])
    qa = QAService(settings)
    app = create_app(settings, qa)
    results: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    errors: list[str] = []
    stop = threading.Event()

    with live_server(app) as base:
        def client_loop(n: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while not stop.is_set():
                    try:
                        r = http.get("/api/ask", params={"q": QUESTION})
                    except httpx.HTTPError as exc:      # a dropped connection is a failed request
                        errors.append(repr(exc))
                        continue
                    body = r.json()
                    text = "\n".join(s["text"] for s in body.get("sources", []))
                    results[n].append((r.status_code, body.get("index_version", ""), text))

        threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        wait_until(lambda: all(len(results[i]) >= 3 for i in range(6)), what="queries on v1")
        # the admin publishes the revision from another process, as in production
        out = cli("build", "--source", str(R.write_revised(tmp_path)), "--json", settings=settings)
        v2 = SimpleNamespace(version=__import__("json").loads(out)["version"])
        wait_until(lambda: all(any(v == v2.version for _, v, _ in results[i]) for i in range(6)),
                   what="every client served by v2")
        marks = {i: len(results[i]) for i in range(6)}
        wait_until(lambda: all(len(results[i]) >= marks[i] + 3 for i in range(6)), what="queries on v2")
        cli("rollback", settings=settings)                  # and back again, still under load
        back = SimpleNamespace(version=v1.version)
        wait_until(lambda: httpx.get(f"{base}/healthz").json()["index_version"] == back.version,
                   what="rollback followed")
        marks = {i: len(results[i]) for i in range(6)}
        wait_until(lambda: all(len(results[i]) >= marks[i] + 2 for i in range(6)), what="queries after rollback")
        stop.set()
        for t in threads:
            t.join(timeout=60)

    assert not errors
    total = sum(len(r) for r in results.values())
    assert total >= 6 * 8
    for n, rows in results.items():
        assert {status for status, _, _ in rows} == {200}, n
        versions = [v for _, v, _ in rows]
        assert set(versions) <= {v1.version, v2.version}
        # each client sees v1, then v2, then v1 again: never a mix within a phase
        phases = [v for i, v in enumerate(versions) if i == 0 or v != versions[i - 1]]
        assert phases == [v1.version, v2.version, v1.version], phases
        for _, v, text in rows:
            if v == v2.version:
                assert "25億円" in text and "20億円" not in text
            else:
                assert "20億円" in text and "25億円" not in text


def test_web_answers_carry_the_version_and_the_what_changed_summary(tmp_path, corpora):
    from starlette.testclient import TestClient

    settings = Settings(data_dir=tmp_path / "data", embedding_model="fake")
    build(settings, corpora[0])
    qa = QAService(settings)
    with TestClient(create_app(settings, qa)) as http:
        v2 = build(settings, corpora[1])
        qa.refresh()
        body = http.get("/api/ask", params={"q": "改訂で何が変わった？"}).json()
        assert body["index_version"] == v2.version and body["found"] is True
        assert "25億円" in body["answer"] and R.REMOVED_BULLET in body["answer"]
        assert http.get("/healthz").json()["index_version"] == v2.version


# --- Slack ---------------------------------------------------------------------------------------

def test_switch_is_announced_proposals_flagged_and_staff_can_ask_what_changed(tmp_path, corpora, fast_watcher):
    from starlette.testclient import TestClient

    from bot.slack import make_web_client
    from feedback.proposals.model import LinkResult, ProposalInput, SectionLink
    from feedback.proposals.store import ProposalStore
    from slack_emulator import SlackEmulator
    from slack_helpers import event_callback, mention, sign, slack_settings

    with SlackEmulator() as emulator:
        settings = slack_settings(tmp_path / "data", emulator, embedding_model="fake",
                                  announce_channel="C0ANNOUNCE", proposals_channel="C0PROPOSALS")
        v1 = build(settings, corpora[0])
        store = ProposalStore(settings.database_path)
        linked, other = (store.add(ProposalInput(title=t, body="本文です。", goal="1"))[0]
                         for t in ("ふるさと納税の返礼品を増やす（連絡 ０９０・１２３４・５６７８）", "市民参加の拡大"))
        store.save_link(linked.id, LinkResult("1", {}, (SectionLink(1, "s3-c1", "３ 第６次行政改革の成果と課題 › 成果", 3, 0.8),)))
        store.save_link(other.id, LinkResult("2", {}, (SectionLink(1, "s1", "１ これまでの行政改革の取組", 1, 0.7),)))
        store.close()

        qa = QAService(settings)
        app = create_app(settings, qa, slack_client=make_web_client(settings))
        with TestClient(app) as http:
            assert qa.ask("PFIとは").index_version == v1.version
            v2 = build(settings, corpora[1])
            announce = emulator.wait_for("chat.postMessage", where=lambda c: c.get("channel") == "C0ANNOUNCE")[0]
            blocks = str(announce["blocks"])
            assert v2.version in blocks and v1.version in blocks
            assert "３ 第６次行政改革の成果と課題 › 成果 (大綱P.3)" in blocks
            assert "〔+25+〕" in blocks and f"※8 {R.ADDED_TERM}" in blocks
            assert "変更 2" in announce["text"]
            assert "revision_undo" not in blocks          # no REFORMBOT_ADMINS: no 元に戻す nobody may use

            flagged = emulator.wait_for("chat.postMessage", where=lambda c: c.get("channel") == "C0PROPOSALS"
                                        and "改訂で関連する節が変わった提案" in c.get("text", ""))[0]
            assert linked.receipt_no in flagged["text"] and "ふるさと納税の返礼品" in flagged["text"]
            assert other.receipt_no not in flagged["text"]
            assert "１２３４" not in flagged["text"] + str(flagged["blocks"]) and "［電話番号省略］" in flagged["text"]

            raw = __import__("json").dumps(event_callback(mention("改訂で何が変わった？")), ensure_ascii=False)
            r = http.post("/slack/events", content=raw.encode(),
                          headers={"Content-Type": "application/json", **sign(raw)})
            assert r.status_code == 200
            reply = emulator.wait_for("chat.postMessage", where=lambda c: c.get("channel") == "C0CHANNEL")[0]
            assert "25億円" in str(reply["blocks"]) and "大綱P.3" in str(reply["blocks"])
            emulator.wait_for("reactions.remove")            # the listener finished before we stop
        posts = emulator.calls_to("chat.postMessage")
        assert [c["channel"] for c in posts].count("C0ANNOUNCE") == 1              # announced once
        assert sum("改訂で関連する節が変わった提案" in c.get("text", "") for c in posts) == 1   # flagged once
        assert [c["channel"] for c in posts].count("C0CHANNEL") == 1               # one reply


def test_a_server_started_on_a_damaged_current_version_says_how_to_recover(tmp_path, corpora, fast_watcher):
    from starlette.testclient import TestClient

    settings = Settings(data_dir=tmp_path / "data", embedding_model="fake")
    v1 = build(settings, corpora[0])
    v2 = build(settings, corpora[1])
    (settings.index_dir / "versions" / v2.version / "manifest.json").write_text("{ damaged", encoding="utf-8")
    qa = QAService(settings)
    with TestClient(create_app(settings, qa)) as http:
        r = http.get("/api/ask", params={"q": QUESTION})
        assert r.status_code == 503
        assert "未作成または破損" in r.json()["error"] and "reformbot index rollback" in r.json()["error"]
        en = http.get("/api/ask", params={"q": "What did hometown tax donations raise?"})
        assert "damaged" in en.json()["error"] and "rollback" in en.json()["error"]
        assert "reformbot index rollback" in http.get("/healthz").json()["error"]          # the admin's view
        cli("rollback", settings=settings)                        # what the message tells the admin to do
        wait_until(lambda: http.get("/healthz").json().get("index_version") == v1.version, what="switch")
        assert http.get("/api/ask", params={"q": QUESTION}).json()["index_version"] == v1.version
