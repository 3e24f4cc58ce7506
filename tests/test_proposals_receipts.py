"""受付番号 (issue 9, finding 5): random, so they reveal no count; the honeypot's numbers are never
a real proposal's; numbers typed back with full-width digits or other dashes are still found."""
from __future__ import annotations

import re
import secrets
import sqlite3
from collections import deque

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.settings import Settings
from clock_support import ManualClock, jst
from feedback.proposals.cli import proposals_app
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.model import ProposalInput
from feedback.proposals.store import ProposalStore
from feedback.proposals.web import proposal_routes
from proposals_support import bundled_document, old_database, receipt_no, submit

DAY = jst(2026, 11, 28, 10, 0, 0)


class ScriptedRandom:
    """``randbelow`` that returns the numbers a test pushed, then real random ones."""

    def __init__(self):
        self.queue: deque[int] = deque()
        self.asked = 0

    def push(self, *numbers: int) -> None:
        self.queue.extend(numbers)

    def __call__(self, n: int) -> int:
        self.asked += 1
        return self.queue.popleft() if self.queue else secrets.randbelow(n)


def idea(i: int = 0) -> ProposalInput:
    return ProposalInput(title=f"提案{i}", body="本文です。", goal="unknown")


@pytest.fixture
def form(tmp_path):
    clock = ManualClock(DAY)
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit="0")
    store = ProposalStore(settings.database_path, clock=clock)
    client = TestClient(Starlette(routes=proposal_routes(settings, store, document=bundled_document, pipeline=ProposalPipeline(store))))
    yield store, client
    store.close()


def test_honeypot_number_is_never_the_next_citizens_number(form):
    store, c = form
    trapped = [receipt_no(submit(c, title=f"bot{i}", website="http://spam.example").text) for i in range(20)]
    real = [receipt_no(submit(c, title=f"citizen{i}").text) for i in range(20)]
    assert not set(trapped) & set(real)
    assert all(re.fullmatch(r"20261128-\d{5}", n) for n in trapped + real)     # same shape, JST date
    assert {p.receipt_no for p in store.list(limit=100)} == set(real)       # decoys never stored


def test_receipt_numbers_do_not_count_the_proposals(tmp_path):
    store = ProposalStore(tmp_path / "p.db", clock=ManualClock(DAY))
    numbers = [store.add(idea(i))[0].receipt_no for i in range(12)]
    suffixes = [int(n.split("-")[1]) for n in numbers]
    assert suffixes != list(range(1, 13))        # the old scheme: the row id
    assert suffixes != sorted(suffixes)          # not increasing either (1 in 12! by chance)
    assert len(set(numbers)) == 12
    store.close()


def test_a_decoy_is_never_issued_to_a_proposal_even_when_drawn(tmp_path):
    rnd = ScriptedRandom()
    store = ProposalStore(tmp_path / "p.db", clock=ManualClock(DAY), randbelow=rnd)
    decoys = {store.decoy_receipt_no() for _ in range(30)}
    rnd.push(*(int(d[-5:]) for d in decoys))       # the random source offers every decoy first
    issued = [store.add(idea(i))[0].receipt_no for i in range(30)]
    assert not decoys & set(issued)
    assert rnd.asked >= 90                          # the decoys were drawn and passed over
    store.close()


def test_a_taken_number_is_drawn_again_and_a_crowded_day_widens(tmp_path):
    rnd = ScriptedRandom()
    store = ProposalStore(tmp_path / "p.db", clock=ManualClock(DAY), randbelow=rnd)
    first = store.add(idea(1))[0].receipt_no
    rnd.push(int(first[-5:]))                       # a clash with a stored number
    second = store.add(idea(2))[0].receipt_no
    assert second != first and re.fullmatch(r"20261128-\d{5}", second)
    store.close()

    taken = int(first[-5:])
    crowded = ProposalStore(tmp_path / "p.db", clock=ManualClock(DAY),
                            randbelow=lambda n: taken if n == 10 ** 5 else secrets.randbelow(n))
    widened = crowded.add(idea(3))[0].receipt_no     # every 5-digit draw clashes: one digit more
    assert re.fullmatch(r"20261128-\d{6}", widened)
    crowded.close()


def test_honeypot_never_repeats_a_number_issued_in_the_old_format(tmp_path):
    """Before random numbers, 受付番号 were the row id; a decoy must not hit one of those either."""
    path = tmp_path / "p.db"
    old = [f"20261128-{i:05d}" for i in range(1, 41)]
    old_database(path, old)
    rnd = ScriptedRandom()
    store = ProposalStore(path, clock=ManualClock(DAY), randbelow=rnd)
    rnd.push(*range(1, 41))                         # offered every old number first
    decoy = store.decoy_receipt_no()
    assert decoy not in old
    store.close()


@pytest.mark.parametrize("typed", ["20261128-00004", "２０２６１１２８－００００４", "20261128ー00004",
                                   " 20261128 00004 ", "2026112800004", "２０２６１１２８ー００００４"])
def test_old_receipt_numbers_are_still_found_as_typed(tmp_path, monkeypatch, typed):
    path = tmp_path / "data" / "reformbot.db"
    path.parent.mkdir()
    old_database(path, [f"20261128-{i:05d}" for i in range(1, 6)])
    r = CliRunner().invoke(proposals_app, ["show", typed, "--db", str(path)])
    assert r.exit_code == 0, r.output
    assert "受付番号   20261128-00004" in r.stdout and "旧提案4" in r.stdout
    store = ProposalStore(path)
    assert store.get(typed).id == 4 and store.get("4").id == 4 and store.get(4).id == 4
    store.close()


def test_new_receipt_numbers_are_found_with_full_width_digits(tmp_path):
    store = ProposalStore(tmp_path / "p.db", clock=ManualClock(DAY))
    p = store.add(idea())[0]
    wide = p.receipt_no.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert store.get(wide).id == p.id
    assert store.get(p.receipt_no.replace("-", "")).id == p.id
    store.close()


def test_unknown_receipt_error_shows_the_new_format(tmp_path):
    ProposalStore(tmp_path / "p.db").close()
    r = CliRunner().invoke(proposals_app, ["show", "20990101-99999", "--db", str(tmp_path / "p.db")])
    assert r.exit_code == 2 and "like 20261127-48213" in r.output


def test_receipt_table_unique_index_still_guards_the_numbers(tmp_path):
    store = ProposalStore(tmp_path / "p.db", clock=ManualClock(DAY))
    p = store.add(idea())[0]
    store.close()
    con = sqlite3.connect(tmp_path / "p.db")
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO proposals (receipt_no, source, title, body, created_at, status)"
                    " VALUES (?, 'citizen', 't', 'b', 'x', 'received')", (p.receipt_no,))
    con.close()
