"""The answer feedback store (real SQLite files) and `reformbot feedback stats` through the CLI runner."""
from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from typer.testing import CliRunner

from feedback.answers import AlreadyVoted, BadVerdict, FeedbackStore, UnknownAnswer
from feedback.cli import feedback_app


@pytest.fixture
def store(tmp_path):
    s = FeedbackStore(tmp_path / "data" / "reformbot.db")
    yield s
    s.close()


def log(store, question, found=True, **kw):
    return store.record_answer(question=question, chunk_ids=["c1", "c2"], found=found, channel_id="C1", **kw)


def test_migrations_applied_on_open_wal_and_idempotent(tmp_path):
    path = tmp_path / "reformbot.db"
    FeedbackStore(path).close()
    FeedbackStore(path).close()                                   # re-open: nothing re-applied
    conn = sqlite3.connect(path)
    assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    applied = conn.execute("select name from _sqlite_migrations where migration_set = 'answer_feedback'").fetchall()
    assert applied == [("001_answer_log_and_votes",), ("002_slack_event_claims",), ("003_answer_meta",),
                       ("005_answer_log_section",)]
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    assert {"answer_log", "answer_votes", "slack_event_claims"} <= tables


def test_one_vote_per_user_per_answer(store):
    a = log(store, "計画期間は？")
    b = log(store, "PFIとは？")
    assert store.vote(a, user_id="U1", channel_id="C1", verdict="up").up == 1
    with pytest.raises(AlreadyVoted):
        store.vote(a, user_id="U1", channel_id="C1", verdict="down")
    assert store.vote(a, user_id="U2", channel_id="C1", verdict="down").down == 1
    assert store.vote(b, user_id="U1", channel_id="C1", verdict="down").down == 1     # another answer: fine
    with pytest.raises(UnknownAnswer):
        store.vote(999, user_id="U1", channel_id="C1", verdict="up")
    with pytest.raises(BadVerdict):
        store.vote(a, user_id="U3", channel_id="C1", verdict="meh")
    assert len(store.votes()) == 3


def test_concurrent_double_clicks_store_one_vote(tmp_path):
    path = tmp_path / "reformbot.db"
    store = FeedbackStore(path)
    a = log(store, "計画期間は？")
    results = []

    def click():
        other = FeedbackStore(path)                               # separate connections, like processes
        try:
            other.vote(a, user_id="U1", channel_id="C1", verdict="up")
            results.append("stored")
        except AlreadyVoted:
            results.append("refused")
        finally:
            other.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["refused"] * 7 + ["stored"]
    assert len(store.votes(a)) == 1
    store.close()


def test_thread_questions_are_the_conversation(store):
    log(store, "計画期間は？", thread_ts="111.1")
    log(store, "第１期は？", thread_ts="111.1")
    log(store, "別の話", thread_ts="222.2")
    assert store.thread_questions("C1", "111.1") == ["計画期間は？", "第１期は？"]
    assert store.thread_questions("C2", "111.1") == []
    assert store.thread_questions("C1", "") == []


def seed(path):
    store = FeedbackStore(path)
    for _ in range(3):
        log(store, "ごみの収集日は？", found=False)
    log(store, "駐車場の料金は？", found=False)
    a = log(store, "計画期間は？")
    b = log(store, "DXの取組は？")
    store.vote(a, user_id="U1", channel_id="C1", verdict="up")
    store.vote(b, user_id="U1", channel_id="C1", verdict="down")
    store.vote(b, user_id="U2", channel_id="C1", verdict="down")
    store.add_comment(b, user_id="U2", comment="具体的な事業名が知りたい")
    store.close()


def test_feedback_stats_cli_lists_unhelpful_and_unanswered(tmp_path):
    path = tmp_path / "reformbot.db"
    seed(path)
    result = CliRunner().invoke(feedback_app, ["stats", "--db", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Answers shown:        6" in out and "Not in the outline:   4" in out
    assert "👍 1  👎 2" in out and "helpful 33%" in out
    unhelpful = out.split("Most often marked unhelpful")[1].split("Most often unanswered")[0]
    assert "2  DXの取組は？" in unhelpful
    unanswered = out.split("Most often unanswered")[1]
    assert unanswered.index("3  ごみの収集日は？") < unanswered.index("1  駐車場の料金は？")
    assert "具体的な事業名が知りたい" in out


def test_feedback_stats_json_and_default_path_from_settings(tmp_path, monkeypatch):
    data = tmp_path / "data"
    seed(data / "reformbot.db")
    monkeypatch.setenv("REFORMBOT_DATA_DIR", str(data))
    result = CliRunner().invoke(feedback_app, ["stats", "--json", "--limit", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["votes"] == {"up": 1, "down": 2}
    assert summary["most_unanswered"] == [{"question": "ごみの収集日は？", "count": 3}]


def test_feedback_stats_without_database_says_so(tmp_path):
    path = tmp_path / "nothing.db"
    result = CliRunner().invoke(feedback_app, ["stats", "--db", str(path)])
    assert result.exit_code == 0 and "No feedback yet" in result.output
    assert not path.exists()                                     # reading never creates the file


def test_event_claims_are_durable_and_expire(tmp_path):
    path = tmp_path / "fb.db"
    store = FeedbackStore(path)
    assert store.claim_event("event:Ev1", now=1000.0, ttl_seconds=3600) is True
    assert store.claim_event("event:Ev1", now=1001.0, ttl_seconds=3600) is False
    store.close()
    reopened = FeedbackStore(path)                       # another process, same file
    assert reopened.claim_event("event:Ev1", now=1002.0, ttl_seconds=3600) is False
    assert reopened.claim_event("event:Ev2", now=1002.0, ttl_seconds=3600) is True
    assert reopened.claim_event("event:Ev1", now=1000.0 + 3601, ttl_seconds=3600) is True   # expired
    reopened.close()
