"""Answers shown on the staff page, by /api/ask and by `reformbot ask` are logged for
`reformbot feedback stats`, and the staff page takes 👍/👎 without JavaScript.

Real SQLite files, real HTTP (Starlette's TestClient on the real app), the real index.
"""
from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot import cli
from bot.server import create_app
from bot.settings import Settings
from proposals_support import hidden
from test_server import CONTRACT_KEYS      # the contract as /api/ask gives it, in one place

cli._add_subcommands()
runner = CliRunner()
REFUSED = "ごみの収集日は？"


@pytest.fixture
def settings(tmp_path, real_settings, monkeypatch):
    """A data dir of its own (so its reformbot.db counts only this test's answers) with a copy of
    the real index; the CLI reads it from REFORMBOT_DATA_DIR."""
    data = tmp_path / "data"
    shutil.copytree(real_settings.index_dir, data / "index")
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(data))
    return Settings(data_dir=data, ask_rate_limit="0")


@pytest.fixture
def app(settings, real_qa):
    return create_app(settings, qa=real_qa)


@pytest.fixture
def web(app):
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def rows(db_path, sql, *params):
    conn = sqlite3.connect(db_path)       # the real file, read independently of the server
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def stats(*extra):
    r = runner.invoke(cli.app, ["feedback", "stats", *extra])
    assert r.exit_code == 0, r.output
    return r.stdout


# --- every surface is counted ---------------------------------------------------------------------

def test_answers_on_the_page_the_api_and_the_cli_are_counted_by_surface(web, settings):
    """What a newcomer saw: ten questions on the web page, the API and the CLI (one refused), and
    `feedback stats` said 0 / 0."""
    for q in ("PFIとは何ですか", "第７次大綱の計画期間は？", REFUSED, "BCPって？"):
        assert web.get("/", params={"q": q}).status_code == 200
    for q in ("PPPとは何の略？", "What does BCP stand for?", "重点目標は何ですか", "PFIとは"):
        assert web.get("/api/ask", params={"q": q}).status_code == 200
    for q in ("第1期実施計画の期間は？", "計画期間は？"):
        r = runner.invoke(cli.app, ["ask", q])
        assert r.exit_code == 0, r.output
    assert web.get("/", params={"q": "  "}).status_code == 400          # no answer shown: not counted

    out = stats()
    assert "Answers shown:        10" in out
    assert "Not in the outline:   1" in out
    by_surface = out.split("By surface", 1)[1]
    assert re.search(r"web \(staff web page\)\s+4\s+1\s+0\s+0", by_surface)
    assert re.search(r"api \(/api/ask\)\s+4\s+0\s+0\s+0", by_surface)
    assert re.search(r"cli \(reformbot ask\)\s+2\s+0\s+0\s+0", by_surface)
    as_json = json.loads(stats("--json"))
    assert as_json["answers"] == 10 and as_json["unanswered"] == 1
    assert {s: v["answers"] for s, v in as_json["by_surface"].items()} == {"web": 4, "api": 4, "cli": 2}
    assert [r["question"] for r in rows(settings.database_path, "select question from answer_log where found = 0")] == [REFUSED]


def test_the_api_contract_is_unchanged_and_the_answer_id_travels_in_a_header(web, settings):
    r = web.get("/api/ask", params={"q": "PFIとは何ですか"})
    assert set(r.json()) == CONTRACT_KEYS
    [logged] = rows(settings.database_path, "select * from answer_log")
    assert r.headers["X-Answer-Id"] == str(logged["id"])
    assert (logged["surface"], logged["question"], logged["found"]) == ("api", "PFIとは何ですか", 1)
    assert json.loads(logged["chunk_ids"]) == [s["id"] for s in r.json()["sources"]]
    assert logged["index_version"] == r.json()["index_version"]
    assert "X-Answer-Id" not in web.get("/api/ask", params={"q": ""}).headers     # refused input: nothing logged


def test_answers_are_logged_off_the_event_loop(app, web):
    import asyncio
    import threading

    store = app.state.feedback_store
    seen = {}
    original = store.record_answer

    def record_answer(**kw):
        try:
            asyncio.get_running_loop()
            seen["on_loop"] = True
        except RuntimeError:
            seen["on_loop"] = False
        seen["thread"] = threading.current_thread().name
        return original(**kw)

    store.record_answer = record_answer
    web.get("/", params={"q": "PFIとは何ですか"})
    assert seen["on_loop"] is False, seen


def test_a_failing_answer_log_never_fails_the_answer(web, settings, caplog):
    conn = sqlite3.connect(settings.database_path)       # every insert into the log now fails, in SQLite itself
    conn.execute("create trigger refuse before insert on answer_log begin select raise(abort, 'log refused'); end")
    conn.commit()
    conn.close()
    page = web.get("/", params={"q": "PFIとは何ですか"})
    assert page.status_code == 200 and "Private Finance Initiative" in page.text
    assert 'class="vote"' not in page.text                 # nothing to vote on
    api = web.get("/api/ask", params={"q": "PFIとは何ですか"})
    assert api.status_code == 200 and "X-Answer-Id" not in api.headers
    r = runner.invoke(cli.app, ["ask", "PFIとは何ですか"])
    assert r.exit_code == 0 and "Private Finance Initiative" in r.stdout
    assert caplog.text.count("answer not logged") == 3 and "log refused" in caplog.text


# --- 👍/👎 on the staff page ---------------------------------------------------------------------

def browser(web) -> TestClient:
    """Another browser on the same running app (its own cookies; the app's lifespan is web's)."""
    return TestClient(web.app, base_url="http://testserver")


def vote_form(html: str) -> dict:
    return {"answer_id": hidden(html, "answer_id"), "token": hidden(html, "token"), "lang": hidden(html, "lang")}


def test_staff_page_vote_is_stored_once_per_browser(web, settings):
    page = web.get("/", params={"q": "PFIとは何ですか"})
    assert 'method="post" action="/vote"' in page.text and "この回答は役に立ちましたか？" in page.text
    cookie = web.cookies.get("rb_voter")
    assert cookie and "httponly" in page.headers["set-cookie"].lower() and "samesite=strict" in page.headers["set-cookie"].lower()
    form = vote_form(page.text)

    r = web.post("/vote", data={**form, "verdict": "up"})
    assert r.status_code == 200 and "評価ありがとうございました" in r.text
    again = web.post("/vote", data={**form, "verdict": "down"})
    assert again.status_code == 200 and "すでに評価をいただいています" in again.text
    [vote] = rows(settings.database_path, "select * from answer_votes")
    assert (vote["answer_id"], vote["verdict"]) == (int(form["answer_id"]), "up")
    assert vote["user_id"].startswith("web:") and cookie not in vote["user_id"]     # a hash, not the cookie

    # Another browser (its own cookie) may vote on an answer it was shown.
    other = browser(web)
    other_page = other.get("/", params={"q": "ごみの収集日は？"})
    assert other.post("/vote", data={**vote_form(other_page.text), "verdict": "down"}).status_code == 200
    out = stats()
    assert "👍 1  👎 1" in out
    assert re.search(r"web \(staff web page\)\s+2\s+1\s+1\s+1", out)


def test_vote_needs_this_browsers_token_for_this_answer(web, settings):
    first = vote_form(web.get("/", params={"q": "PFIとは何ですか"}).text)
    second = vote_form(web.get("/", params={"q": "BCPって？"}).text)
    cookie = web.cookies.get("rb_voter")

    swapped = web.post("/vote", data={**first, "token": second["token"], "verdict": "up"})
    assert swapped.status_code == 403 and "もう一度質問してから評価してください" in swapped.text
    assert web.post("/vote", data={**first, "token": "", "verdict": "up"}).status_code == 403
    stranger = browser(web)                                   # a cross-site post: no cookie comes with it
    assert stranger.post("/vote", data={**first, "verdict": "up"}).status_code == 403
    stranger.cookies.set("rb_voter", "0" * 32)               # someone else's cookie
    assert stranger.post("/vote", data={**first, "verdict": "up"}).status_code == 403
    assert web.cookies.get("rb_voter") == cookie
    bad = web.post("/vote", data={**first, "verdict": "meh"})
    assert bad.status_code == 400 and "回答の下のボタンから評価してください" in bad.text
    assert web.post("/vote", data={**first, "answer_id": "x", "verdict": "up"}).status_code == 400
    assert web.post("/vote").status_code == 400                                # nothing posted at all
    assert rows(settings.database_path, "select * from answer_votes") == []
    assert web.post("/vote", data={**first, "verdict": "down"}).status_code == 200      # the real one still works


def test_vote_in_english_on_the_english_page(web):
    page = web.get("/", params={"q": "What does BCP stand for?", "lang": "en"})
    assert "Was this answer helpful?" in page.text and "Not helpful" in page.text
    form = vote_form(page.text)
    assert form["lang"] == "en"
    r = web.post("/vote", data={**form, "verdict": "down"})
    assert r.status_code == 200 and '<html lang="en">' in r.text and "Thank you for rating the answer" in r.text
    expired = web.post("/vote", data={**form, "token": "1.x", "verdict": "down"})
    assert expired.status_code == 403 and "Please ask again and then rate the answer" in expired.text


def test_staff_page_links_to_the_proposal_form_in_both_languages(web):
    assert '<a href="/proposals/new">行政改革のアイデアを提案する' in web.get("/").text
    assert '<a href="/proposals/new?lang=en">Propose a reform idea' in web.get("/", params={"lang": "en"}).text
    assert web.get("/proposals/new").status_code == 200
