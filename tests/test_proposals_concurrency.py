"""500 concurrent submissions to a real uvicorn, from several processes and threads: every one
stored exactly once with a unique 受付番号 (checked in the SQLite file afterwards).

2 processes x 2 threads x 125 POSTs sent together: all 500 are in flight at once."""
from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor

from starlette.applications import Starlette

from bot.settings import Settings
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.model import ProposalInput
from feedback.proposals.store import ProposalStore
from feedback.proposals.web import proposal_routes
from proposals_support import add_many, bundled_document, live_server, submit_many


def test_500_concurrent_submissions_each_stored_once(tmp_path):
    settings = Settings(data_dir=tmp_path, proposals_rate_limit="0")
    store = ProposalStore(settings.database_path)
    app = Starlette(routes=proposal_routes(settings, store, document=bundled_document, pipeline=ProposalPipeline(store)))
    ctx = multiprocessing.get_context("spawn")
    with live_server(app) as server:
        with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
            futures = [pool.submit(submit_many, server.url, 250, 2, f"p{n}") for n in range(2)]
            results = [pair for f in futures for pair in f.result()]
    store.close()

    assert len(results) == 500
    con = sqlite3.connect(settings.database_path)
    stored = con.execute("SELECT title, receipt_no FROM proposals").fetchall()
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert len(stored) == 500
    assert sorted(stored) == sorted(results)                      # each stored exactly once
    assert len({no for _, no in stored}) == 500                   # unique receipt numbers
    assert len({t for t, _ in stored}) == 500


def test_several_processes_write_the_same_file(tmp_path):
    db = tmp_path / "shared.db"        # not created beforehand: the processes race to migrate it
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=3, mp_context=ctx) as pool:
        got = [no for f in [pool.submit(add_many, str(db), 100, f"w{n}") for n in range(3)] for no in f.result()]
    assert len(got) == len(set(got)) == 300
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*), COUNT(DISTINCT receipt_no) FROM proposals").fetchone() == (300, 300)
    assert con.execute("SELECT COUNT(*) FROM proposal_status_history").fetchone()[0] == 300


def run_at_once(target, n: int = 8) -> list[BaseException]:
    """Call ``target(i)`` for i in 0..n-1 on n threads released together; the errors raised."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            target(i)
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_many_connections_opening_a_new_file_at_once_migrate_it_once(tmp_path):
    db = tmp_path / "fresh.db"

    def open_and_add(i: int) -> None:
        store = ProposalStore(db)        # each with its own connection, like separate processes
        store.add(ProposalInput(title=f"t{i}", body="b", goal="unknown"))
        store.close()

    assert run_at_once(open_and_add) == []
    con = sqlite3.connect(db)
    from sqlite_utils import Database

    from feedback.proposals.store import migrations

    every = [m.name for m in migrations.pending(Database(memory=True))]
    assert con.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid").fetchall() == [(n,) for n in every]
    assert con.execute("SELECT COUNT(DISTINCT receipt_no) FROM proposals").fetchone()[0] == 8


def test_both_stores_opening_one_new_file_at_once_all_succeed(tmp_path):
    """At server start the answer-feedback store and the proposal store open reformbot.db
    together; switching a new file to WAL must wait for the other connection, not fail."""
    from feedback.answers import FeedbackStore

    for run in range(50):
        db = tmp_path / f"new-{run}.db"

        def open_store(i: int) -> None:
            if i % 2:
                store = ProposalStore(db)
                store.add(ProposalInput(title=f"t{i}", body="b", goal="unknown"))
            else:
                store = FeedbackStore(db)
            store.close()

        errors = run_at_once(open_store)
        assert errors == [], (run, errors)
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT COUNT(DISTINCT receipt_no) FROM proposals").fetchone()[0] == 4
        con.close()
