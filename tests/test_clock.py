"""Time: dates people see are Japan's, intervals are monotonic, and nothing reads the machine's zone.

Each test sets its own clock (``ManualClock``) and, where the machine's time zone could leak in,
runs under several ``TZ`` values; the whole suite can also be run with the wall clock moved
(``pytest --clock-start=…``, see docs/testing.md).
"""
from __future__ import annotations

import re
import time
from datetime import timezone

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.settings import Settings
from bot.slack.bot import EventLedger
from clock_support import JST, ManualClock, jst
from feedback.answers import FeedbackStore
from feedback.proposals.guard import RateLimiter
from feedback.proposals.linking import ProposalPipeline
from feedback.proposals.store import ProposalStore
from feedback.proposals.web import proposal_routes
from proposals_support import VALID, fresh_form, receipt_no

ZONES = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Pacific/Kiritimati"]


@pytest.fixture(params=ZONES)
def machine_tz(request, monkeypatch):
    """The machine's time zone, set for the process (what a server in that zone would have)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def form_app(tmp_path, clock, rate_limit="0"):
    settings = Settings(data_dir=tmp_path / "data", proposals_rate_limit=rate_limit)
    store = ProposalStore(settings.database_path, clock=clock)
    app = Starlette(routes=proposal_routes(settings, store, pipeline=ProposalPipeline(store)))
    return store, TestClient(app, base_url="http://testserver")


def send(client, **overrides):
    r = client.post("/proposals", data={**fresh_form(client), **VALID, **overrides})
    assert r.status_code == 200, r.text[:300]
    return r


@pytest.mark.parametrize("before, after", [
    (jst(2026, 11, 27, 23, 59, 59), jst(2026, 11, 28, 0, 0, 0)),
    (jst(2026, 12, 31, 23, 59, 59), jst(2027, 1, 1, 0, 0, 0)),       # year change
    (jst(2028, 2, 28, 23, 59, 59), jst(2028, 2, 29, 0, 0, 0)),       # leap day
])
def test_proposals_either_side_of_midnight_jst_get_their_own_jst_dates(tmp_path, machine_tz, before, after):
    clock = ManualClock(before)
    store, c = form_app(tmp_path, clock)
    late = send(c, title="締切前の提案")
    clock.set_wall(after)
    early = send(c, title="日付が変わってからの提案")

    day_before, day_after = f"{before:%Y%m%d}", f"{after:%Y%m%d}"
    assert receipt_no(late.text).startswith(day_before + "-")
    assert receipt_no(early.text).startswith(day_after + "-")
    assert f"{before:%Y-%m-%d} 23:59 JST" in late.text          # the receipt page's 受付日時
    assert f"{after:%Y-%m-%d} 00:00 JST" in early.text
    stored = {p.title: p for p in store.list()}
    assert stored["締切前の提案"].receipt_no == receipt_no(late.text)
    utc = "%Y-%m-%dT%H:%M:%SZ"
    assert stored["締切前の提案"].created_at == f"{before.astimezone(timezone.utc):{utc}}"   # kept in UTC
    assert stored["日付が変わってからの提案"].created_at == f"{after.astimezone(timezone.utc):{utc}}"
    store.close()


def test_receipt_numbers_stay_unique_across_the_day_change(tmp_path):
    clock = ManualClock(jst(2026, 11, 27, 23, 59, 0))
    store = ProposalStore(tmp_path / "p.db", clock=clock)
    from feedback.proposals.model import ProposalInput

    numbers = []
    for i in range(120):                       # one a second, across 00:00:00 JST
        p, created = store.add(ProposalInput(title=f"提案{i}", body="本文", goal="unknown"))
        assert created
        numbers.append((clock.now(), p.receipt_no))
        clock.advance(1)
    assert len({n for _, n in numbers}) == len(numbers)
    for at, number in numbers:
        assert number.startswith(f"{at.astimezone(JST):%Y%m%d}-")
    assert {n[:8] for _, n in numbers} == {"20261127", "20261128"}
    assert {p.receipt_no for p in store.list(limit=1000)} == {n for _, n in numbers}
    store.close()


def test_rate_limit_window_ignores_wall_clock_jumps(tmp_path):
    clock = ManualClock(jst(2026, 11, 27, 23, 59, 0))
    store, c = form_app(tmp_path, clock, rate_limit="2/600")
    send(c)
    send(c)
    assert c.post("/proposals", data={**fresh_form(c), **VALID}).status_code == 429
    clock.set_wall(jst(2026, 11, 29, 0, 0, 0))        # wall clock set two days forward
    r = c.post("/proposals", data={**fresh_form(c), **VALID})
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 600
    clock.set_wall(jst(2026, 11, 1, 0, 0, 0))         # ... and back a month: still the same window
    assert c.post("/proposals", data={**fresh_form(c), **VALID}).status_code == 429
    clock.advance(601)                               # the window itself passes
    assert c.post("/proposals", data={**fresh_form(c), **VALID}).status_code == 200
    assert store.count() == 3
    store.close()


def test_default_rate_limiter_runs_on_the_monotonic_clock(time_machine):
    limiter = RateLimiter.parse("1/600")
    assert limiter.acquire("198.51.100.7") == 0
    time_machine.move_to(jst(2031, 1, 1, 0, 0, 0))    # the real wall clock jumps years ahead
    assert limiter.acquire("198.51.100.7") > 0


def test_slack_event_claims_expire_on_the_monotonic_clock(tmp_path):
    clock = ManualClock(jst(2026, 11, 27, 23, 30, 0))
    store = FeedbackStore(tmp_path / "f.db", clock=clock)
    ledger = EventLedger(ttl_seconds=3600, store=store, clock=clock)
    assert ledger.claim("Ev1")
    clock.set_wall(jst(2026, 11, 28, 2, 0, 0))        # wall clock forward past the TTL: still a retry
    assert not ledger.claim("Ev1")
    clock.set_wall(jst(2026, 11, 27, 23, 30, 0))
    clock.advance(3601)                              # the TTL really passes
    assert ledger.claim("Ev1")
    assert not ledger.claim("Ev1")
    store.close()


def test_default_event_ledger_is_not_fooled_by_the_wall_clock(time_machine, tmp_path):
    ledger = EventLedger(ttl_seconds=3600, store=FeedbackStore(tmp_path / "f.db"))
    assert ledger.claim("Ev2")
    time_machine.move_to(jst(2031, 1, 1, 0, 0, 0))
    assert not ledger.claim("Ev2")


def test_receipt_page_time_does_not_follow_the_machine_zone(tmp_path, machine_tz):
    clock = ManualClock(jst(2026, 11, 28, 8, 30, 0))   # 2026-11-27 23:30 UTC, 2026-11-27 13:30 in LA
    store, c = form_app(tmp_path, clock)
    page = send(c).text
    assert "2026-11-28 08:30 JST" in page and re.search(r"20261128-", receipt_no(page))
    store.close()
